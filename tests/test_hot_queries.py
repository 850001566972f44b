"""The interactive commands read a large book through indexes: no statement they run scans the
contacts table (or one of its indexes that holds every contact) from end to end. Plans do not
depend on the book's size (crm keeps no statistics), so a small book shows what a million-
contact one does; benchmarks/bench_scale.py measures the time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmcli import db as storage
from crmcli import migrations

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
NEW_INDEXES = {"contacts_trashed", "contacts_birthday_day", "contact_details_phone_tail",
               "contacts_cadence", "contacts_birthday_live", "followups_due",
               "followups_open", "deals_close", "deals_totals"}
NOW = {"CRM_NOW": "2026-03-10T09:00:00+00:00"}
COMMANDS = [
    ["show", "2"],
    ["show", "Ana Lima"],
    ["show", "+351 21 123 4567"],  # by phone, in the form it was typed
    ["show", "211234567"],  # by phone, national digits
    ["list", "lima"],
    ["mutt-query", "ana"],
    ["dashboard"],
    ["due"],
    ["birthdays"],
    ["pipeline"],
]


@pytest.fixture
def book(crm, db_path):
    jose = crm.add("José Núñez", "-e", "jose@acme.example", "-p", "+34 612 34 56 78",
                   "--birthday", "1980-03-12", "--company", "ACME", "-t", "vip")
    ana = crm.add("Ana Lima", "-e", "ana@lima.example", "-p", "+351 21 123 4567",
                  "--birthday", "14/03")
    gone = crm.add("Gone Person", "-p", "+351 21 765 4321")
    crm.ok("rm", str(gone), "--yes")
    crm.ok("edit", str(jose), "--cadence", "30")
    crm.ok("note", str(ana), "Wants a pilot", env=NOW)
    crm.ok("log", str(jose), "--type", "call", "Agreed on a pilot", env=NOW)
    crm.ok("follow-up", str(ana), "2026-03-11", "Send the quote", env=NOW)
    crm.ok("deal", "add", str(ana), "Pilot", "--value", "1000", "--close", "2026-03-13",
           env=NOW)
    return db_path


def _statements(monkeypatch, crm, args: list[str]) -> list[str]:
    """The SQL ``crm ARGS`` runs, with its parameters in place."""
    seen: list[str] = []
    opened = storage._open

    def traced(path, read_only):
        conn = opened(path, read_only)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(storage, "_open", traced)
    result = crm(*args, env={**NOW, "CRM_CONFIG": "/nonexistent"})
    assert result.exit_code == 0, result.stderr
    monkeypatch.undo()
    return [sql for sql in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def full_scans_of_contacts(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The contacts table, or its indexes that hold every row, that ``sql`` reads from end to
    end (a Rewind or Last on a cursor opened on it); partial indexes (a bounded few) pass."""
    whole = {root: name for name, root in conn.execute(
        "SELECT name, rootpage FROM sqlite_master WHERE tbl_name = 'contacts'"
        " AND type IN ('table', 'index') AND coalesce(sql, '') NOT LIKE '% WHERE %'")}
    cursors: dict[int, str | None] = {}
    scans = []
    for _, opcode, p1, p2, p3, *_ in conn.execute(f"EXPLAIN {sql}"):
        if opcode.startswith("Open"):
            cursors[p1] = whole.get(p2) if opcode in ("OpenRead", "OpenWrite") and p3 == 0 \
                else None
        elif opcode in ("Rewind", "Last") and cursors.get(p1):
            scans.append(cursors[p1])
    return scans


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_interactive_commands_never_scan_every_contact(book, crm, monkeypatch, args):
    statements = _statements(monkeypatch, crm, args)
    assert statements
    conn = sqlite3.connect(book)
    scanning = {sql: scans for sql in statements
                if (scans := full_scans_of_contacts(conn, sql))}
    assert scanning == {}


def test_the_check_sees_a_full_scan(book):
    conn = sqlite3.connect(book)
    assert full_scans_of_contacts(conn, "SELECT id FROM contacts WHERE title = 'x'") == [
        "contacts"]
    assert full_scans_of_contacts(conn, "SELECT id FROM contacts WHERE birthday LIKE '%-05'"
                                  ) == ["contacts"]
    assert full_scans_of_contacts(conn, "SELECT id FROM contacts WHERE deleted_at IS NOT NULL"
                                  ) == []
    assert full_scans_of_contacts(conn, "SELECT 1 FROM contacts WHERE id = 1") == []


def test_show_by_phone_and_the_agenda_are_unchanged_by_the_indexes(book, crm):
    shown = crm.ok("show", "211234567", "--json").json()
    assert shown["name"] == "Ana Lima"
    assert crm("show", "+351 21 765 4321").exit_code == 3  # trashed: not found
    due = crm.ok("due", "--json", env=NOW).json()
    assert [(row["section"], row["contact"]) for row in due] == [
        ("upcoming", "Ana Lima"), ("birthdays", "José Núñez"), ("birthdays", "Ana Lima")]


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_the_indexes_come_with_the_upgrade_from_each_release(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    database = storage.connect(path)
    assert not migrations.migrations.pending(storage.utilities(database))
    names = {name for (name,) in database.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert names >= NEW_INDEXES
    from crmcli import contact_refs

    for number in ("+34 612 34 56 78", "612345678", "0034612345678"):
        assert "José Núñez" in [name for _, name in contact_refs.holders(database, "phone", number)]


def test_the_dashboard_shows_the_first_of_many_and_counts_them_all(crm):
    ana = crm.add("Ana Lima")
    for number in range(12):
        crm.ok("deal", "add", str(ana), f"Deal {number}", "--close", "2026-03-12", env=NOW)
        crm.ok("follow-up", str(ana), "2026-03-12", f"Call {number}", env=NOW)
    page = crm.ok(env=NOW).stdout
    assert "Deals closing this week, and overdue: 10 of 12 (crm deal list shows them all)" in page
    assert "Deal 9" in page and "Deal 10" not in page
    assert "Upcoming (12)" in page and "… 9 more" in page and "Call 3" not in page
    assert len(crm.ok("dashboard", "--json", env=NOW).json()["deals_closing"]) == 12
