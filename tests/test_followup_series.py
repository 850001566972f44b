"""A follow-up series has one identity (its UID): ``done`` opens the next occurrence under it,
and books from every release get one for each follow-up they hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmcli import db as storage

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00+00:00")


def test_done_opens_the_next_occurrence_under_the_same_uid(crm):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "2026-11-26", "Weekly call", "--every", "1w")
    crm.ok("follow-up", "ana", "2026-11-27", "Once")
    first, once = crm.ok("followups", "--json").json()
    crm.ok("done", str(first["id"]))
    (following,) = [f for f in crm.ok("followups", "--json").json() if f["text"] == "Weekly call"]
    assert following["id"] != first["id"] and following["due"] == "2026-12-03"
    assert following["uid"] == first["uid"] != once["uid"]
    assert first["uid"].startswith("followup-") and first["uid"].endswith("@crmcli")


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 14],
                         ids=lambda p: p.stem)  # books from before migration 14
def test_books_from_every_release_get_a_series_uid_per_follow_up(tmp_path, crm, release):
    with sqlite3.connect(crm.db_path) as conn:
        conn.executescript(release.read_text())
    storage.connect(crm.db_path).close()
    with sqlite3.connect(crm.db_path) as conn:
        rows = conn.execute("SELECT id, uid FROM followups").fetchall()
    uids = [uid for _, uid in rows]
    assert all(uid and uid.startswith("followup-") for uid in uids)
    assert len(set(uids)) == len(uids)
    contact = crm.add("Series Tester")
    crm.ok("follow-up", str(contact), "2026-11-26", "Every week", "--every", "1w")
    opened = [f for f in crm.ok("followups", "--json").json() if f["text"] == "Every week"]
    crm.ok("done", str(opened[0]["id"]))
    again = [f for f in crm.ok("followups", "--json").json() if f["text"] == "Every week"]
    assert [f["uid"] for f in again] == [opened[0]["uid"]] and again[0]["due"] == "2026-12-03"
    if release.stem != "v1":
        assert len(rows) == 7
