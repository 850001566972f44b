"""contact_moments, each contact's latest personal interactions kept by triggers: after every
write path (log, unlog and back, an edit of the moment, campaign mail, merge, undo, forget,
trash, load of a dump, the migration of every release) it holds what a plain reading of the
interactions gives."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from crmcli import activity, db

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def at(days: float) -> dict:
    return {"CRM_NOW": (NOW - dt.timedelta(days=days)).isoformat()}


def expected(conn) -> dict[int, tuple[str, str]]:
    """Per contact still in the book: its latest personal interaction as stored and the
    latest ten as seconds since the epoch, newest first."""
    found: dict[int, list[str]] = {}
    for contact_id, happened in conn.execute(
            "SELECT i.contact_id, i.happened_at FROM interactions i JOIN contacts c"
            " ON c.id = i.contact_id WHERE i.deleted_at IS NULL AND i.campaign IS NULL"):
        found.setdefault(contact_id, []).append(happened)
    return {contact_id: (max(stamps), ",".join(
        str(int(dt.datetime.fromisoformat(s).timestamp()))
        for s in sorted(stamps, reverse=True)[:10]))
        for contact_id, stamps in found.items()}


def stored(conn) -> dict[int, tuple[str, str]]:
    return {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT contact_id, last_at, moments FROM contact_moments")}


def check(path: Path) -> dict[int, tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        assert stored(conn) == expected(conn)
        return stored(conn)


def test_every_write_path_keeps_the_latest_moments(crm, db_path, tmp_path):
    ana, bo, cy = (int(crm.ok("add", name, env=at(900)).stdout) for name in ("Ana", "Bo", "Cy"))
    for days in range(1, 13):
        crm.ok("log", str(ana), f"call {days}", env=at(days * 3.5))
    crm.ok("log", str(bo), "met", "-t", "meeting", env=at(2))
    crm.ok("log", str(cy), "mail", "-t", "email", env=at(40))
    assert len(check(db_path)[ana][1].split(",")) == 10
    conn = db.connect(db_path)
    with db.transaction(conn):
        activity.log_campaign_mail(conn, ana, "2026-06-30T11:00:00Z", "News", "spring", "<m@x>")
    before = check(db_path)[ana]
    assert before[0] == "2026-06-27T00:00:00Z"  # the campaign mail is not personal contact
    newest = conn.execute("SELECT id FROM interactions WHERE contact_id = ? AND campaign IS"
                          " NULL ORDER BY happened_at DESC", [ana]).fetchone()[0]
    crm.ok("unlog", str(newest), "--yes", env=at(0))
    assert check(db_path)[ana][0] == "2026-06-23T12:00:00Z"
    crm.ok("unlog", str(newest), "--undo", "--yes", env=at(0))
    assert check(db_path)[ana] == before
    moved = activity.get_interaction(conn, newest)  # as sync edits a journal entry
    activity.update_interaction(conn, replace(moved, happened_at="2026-01-01T08:00:00Z"))
    assert check(db_path)[ana][0] == "2026-06-23T12:00:00Z"
    conn.close()
    crm.ok("merge", str(ana), str(bo), "--yes", env=at(0))
    assert check(db_path)[ana][0] == "2026-06-28T12:00:00Z" and bo not in check(db_path)
    crm.ok("undo", env=at(0))
    assert check(db_path)[bo][0] == "2026-06-28T12:00:00Z"
    crm.ok("forget", str(cy), "--yes", env=at(0))
    assert cy not in check(db_path)
    crm.ok("rm", str(bo), "--yes", env=at(0))
    kept = check(db_path)
    crm.ok("dump", "-o", str(tmp_path / "book.jsonl"), env=at(0))
    copy = tmp_path / "copy.db"
    crm.ok("--db", str(copy), "load", str(tmp_path / "book.jsonl"), env=at(0))
    assert check(copy) == kept


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 31],
                         ids=lambda p: p.stem)  # books from before migration 31
def test_the_migration_from_every_release_fills_the_latest_moments(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    db.connect(path).close()
    found = check(path)
    assert found or release.stem == "v1"  # v1 had no interactions yet
