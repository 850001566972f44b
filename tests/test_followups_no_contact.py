"""Follow-ups about nobody (chores, tasks made on a phone): the migration that allows them,
from every release, and every place that shows follow-ups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmcli import db as storage
from crmcli.errors import StorageError
from crmcli.migrations import migrations

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
NOW = {"CRM_NOW": "2026-11-26T10:00:00+00:00"}


def _book(tmp_path: Path, release: Path) -> Path:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    return path


def _followups(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM followups ORDER BY id").fetchall()


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_release_books_take_follow_ups_without_a_contact(tmp_path, release, crm):
    path = _book(tmp_path, release)
    old = _followups(path) if "followups" in release.read_text() else []
    with sqlite3.connect(path) as conn:
        counter = conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'followups'").fetchone()
    crm.db_path = path
    crm.ok("list", env=NOW)  # upgrades the book
    kept = [(row[0], row[1], row[5], row[9]) for row in old]  # id, contact, text, created
    assert [(row[0], row[1], row[5], row[9]) for row in _followups(path)] == kept
    database = storage.connect(path)
    assert not migrations.pending(storage.utilities(database))
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute("PRAGMA foreign_key_check").fetchall() == []
    assert database.execute("PRAGMA user_version").fetchone()[0] == storage.SCHEMA_VERSION
    database.close()

    chore = int(crm.ok("follow-up", "--no-contact", "tomorrow", "Renew", "the", "domain",
                       env=NOW).stdout)
    assert counter is None or chore > counter[0]  # ids are never given twice
    ana = crm.add("Ana Lima Test")
    theirs = int(crm.ok("follow-up", str(ana), "tomorrow", "Call", env=NOW).stdout)
    crm.ok("followups", "edit", str(chore), "--text", "Renew the domains", env=NOW)
    with sqlite3.connect(path) as conn:  # the version trigger survived the rebuild
        assert conn.execute("SELECT contact_id, version FROM followups WHERE id = ?",
                            [chore]).fetchone() == (None, 2)
    # the journal still sees the table: the edit is undone
    crm.ok("undo", env=NOW)
    listed = {f["id"]: f for f in crm.ok("followups", "--json", env=NOW).json()}
    assert listed[chore]["text"] == "Renew the domain" and listed[chore]["contact"] is None
    # a contact deleted for good still takes its own follow-ups with it (the cascade is kept)
    crm.ok("rm", str(ana), "--yes", env=NOW)
    crm.ok("trash", "--empty", "--yes", env=NOW)
    ids = {row[0] for row in _followups(path)}
    assert theirs not in ids and chore in ids


def test_an_upgrade_that_would_leave_rows_pointing_at_nothing_changes_nothing(tmp_path):
    path = _book(tmp_path, RELEASES[0])
    with sqlite3.connect(path) as conn:  # foreign keys are off in a plain sqlite3 connection
        conn.execute("INSERT INTO notes (contact_id, body, created_at, updated_at)"
                     " VALUES (999, 'orphan', '2026-01-01', '2026-01-01')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    with pytest.raises(StorageError, match=r"rows pointing at nothing \(notes row"):
        storage.connect(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        assert "followups" not in {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture
def chores(crm):
    """A contact with a follow-up, a chore due today and a weekly chore next week."""
    crm.add("Ana Lima", "-c", "Acme")
    crm.ok("follow-up", "ana", "today", "Call", env=NOW)
    crm.ok("follow-up", "--no-contact", "today", "Pay", "the", "invoice", env=NOW)
    crm.ok("follow-up", "--no-contact", "2026-12-01", "Team review", "--every", "1w", env=NOW)
    return crm


def test_no_contact_takes_when_and_text(crm):
    assert crm.ok("follow-up", "--no-contact", "fri", "Renew the domain", env=NOW).stdout \
        == "1\n"
    record = crm.ok("followups", "--json").json()[0]
    assert (record["contact_id"], record["contact"], record["text"], record["due"]) == (
        None, None, "Renew the domain", "2026-11-27")
    for args, message in ((["--no-contact", "fri"], "--no-contact needs WHEN and TEXT"),
                          (["ana"], "missing WHEN")):
        refused = crm("follow-up", *args, env=NOW)
        assert refused.exit_code == 2 and message in refused.stderr
        assert refused.stderr.count("\n") == 1


def test_due_and_the_dashboard_show_no_contact(chores):
    rows = chores.ok("due", "--json", env=NOW).json()
    assert [(r["section"], r["contact_id"], r["contact"], r["text"]) for r in rows] == [
        ("today", 1, "Ana Lima", "Call"), ("today", None, None, "Pay the invoice"),
        ("upcoming", None, None, "Team review")]
    page = chores.ok("due", "-f", "table", env=NOW).stdout
    assert page.count("— no contact —") == 2 and "Ana Lima" in page
    assert "— no contact —" in chores.ok(env=NOW).stdout  # the dashboard


def test_remind_mails_them(chores):
    digest = chores.ok("remind", "--stdout", env=NOW).stdout
    assert "— no contact —: Pay the invoice (crm done 2)" in digest
    assert "Ana Lima (Acme): Call (crm done 1)" in digest


def test_calendar_export_holds_them_unless_contacts_are_chosen(chores):
    everything = chores.ok("export", "-f", "ics", env=NOW).stdout
    assert "SUMMARY:Pay the invoice\n" in everything
    assert "SUMMARY:Team review\n" in everything and "RRULE:FREQ=WEEKLY" in everything
    assert "DESCRIPTION:Not about anyone in the book" in everything
    assert "SUMMARY:Call (Ana Lima)" in everything
    chosen = chores.ok("export", "ana", "-f", "ics", env=NOW).stdout
    assert chosen.count("BEGIN:VEVENT") == 1 and "Pay the invoice" not in chosen


def test_done_and_undo_of_a_chore(chores):
    assert chores.ok("done", "3", env=NOW).stdout == "4\n"  # the next week's chore
    following = chores.ok("followups", "--json", env=NOW).json()[-1]
    assert (following["id"], following["contact_id"], following["due"]) == (
        4, None, "2026-12-08")
    chores.ok("undo", env=NOW)
    assert [f["id"] for f in chores.ok("followups", "--json", env=NOW).json()] == [1, 2, 3]
    chores.ok("followups", "rm", "2", "--yes", env=NOW)
    chores.ok("undo", env=NOW)
    assert [f["id"] for f in chores.ok("followups", "--json", env=NOW).json()] == [1, 2, 3]


def test_a_trashed_contact_hides_its_own_follow_ups_only(chores):
    chores.ok("rm", "ana", "--yes", env=NOW)
    assert [(f["id"], f["contact"]) for f in chores.ok("followups", "--json", env=NOW).json()
            ] == [(2, None), (3, None)]
    assert [r["id"] for r in chores.ok("due", "--json", env=NOW).json()] == [2, 3]
    chores.ok("restore", "ana", env=NOW)
    assert [f["id"] for f in chores.ok("followups", "--json", env=NOW).json()] == [1, 2, 3]
