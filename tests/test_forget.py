"""crm forget and crm trash --empty: deleted for good, journal included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SECRET = "Zanzibarian"


def _book(crm) -> None:
    crm.ok("demo")
    crm.ok("note", "ana", f"Lives near the {SECRET} embassy")
    crm.ok("log", "ana", "--type", "call", f"{SECRET} visit planned")
    crm.ok("follow-up", "ana", "fri", f"Ask about {SECRET}")
    crm.ok("edit", "ana", "--title", f"{SECRET} consul")


def _raw_bytes(db_path: Path) -> bytes:
    return b"".join(Path(f"{db_path}{suffix}").read_bytes() for suffix in ("", "-wal")
                    if Path(f"{db_path}{suffix}").exists())


def test_forget_asks_first(crm):
    crm.add("Ana Lima")
    result = crm("forget", "ana")
    assert result.exit_code == 1 and "--yes" in result.stderr
    assert crm.ok("show", "ana", "--json").json()["name"] == "Ana Lima"


def test_forget_removes_the_person_and_every_trace(crm, db_path):
    _book(crm)
    deals_before = {deal["id"] for deal in crm.ok("deal", "list", "--status", "all",
                                                   "--json").json()}
    assert "forgot Ana Lima #2" in crm.ok("forget", "ana", "--yes").stderr
    assert crm("show", "2").exit_code == 3
    conn = sqlite3.connect(db_path)
    for table in ("notes", "interactions", "followups", "contact_details", "contact_tags"):
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE contact_id = 2"
                            ).fetchone() == (0,), table
    # Her deals stay with the company, without her.
    deals_after = {deal["id"] for deal in crm.ok("deal", "list", "--status", "all",
                                                  "--json").json()}
    assert deals_after == deals_before
    assert conn.execute("SELECT count(*) FROM journal_changes WHERE old LIKE ?",
                        [f"%{SECRET}%"]).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM journal_changes WHERE table_name = 'contacts'"
                        " AND row_id = 2").fetchone() == (0,)
    assert not any("ana" in entry["what"] for entry in crm.ok("journal", "--json").json())
    conn.close()
    crm.ok("undo")  # undoes the demo's last... anything but bringing her back
    assert crm("show", "2").exit_code == 3
    assert crm.ok("notes", "search", SECRET.lower()).stdout.count("\n") <= 1
    assert SECRET.encode() not in _raw_bytes(db_path)
    assert SECRET.lower().encode() not in _raw_bytes(db_path)


def test_forget_finds_a_person_in_the_trash(crm):
    crm.add("Ana Lima")
    crm.ok("rm", "ana", "--yes")
    crm.ok("forget", "ana", "--yes")
    assert crm.ok("trash", "--json").json() == []
    assert crm.ok("journal", "--json").json() == []


def test_emptying_the_trash_purges_the_journal_of_what_it_empties(crm, db_path):
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.add("Bo Chen", "-e", "bo@example.com")
    crm.ok("note", "bo", f"{SECRET} notes")
    crm.ok("rm", "bo", "--yes")
    crm.ok("trash", "--empty", "--yes")
    entries = crm.ok("journal", "--json").json()
    assert [entry["what"] for entry in entries] == ["add 'Ana Lima' -e ana@example.com"]
    crm.ok("undo")
    assert crm.ok("dump").stdout.count("\n") == 1
    assert SECRET.encode() not in _raw_bytes(db_path)


def test_forgetting_a_person_merged_then_unmerged_leaves_nothing_of_them(crm, db_path):
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.add("Ana L.", "-e", f"{SECRET.lower()}@example.com", "-p", "+44 20 7946 0958",
            "--title", f"{SECRET} consul")
    crm.ok("merge", "1", "2", "--yes")
    crm.ok("undo")
    crm.ok("forget", "2", "--yes")
    assert crm.ok("show", "1", "--json").json()["emails"][0]["value"] == "ana@example.com"
    assert [entry["what"] for entry in crm.ok("journal", "--json").json()] == [
        "add 'Ana Lima' -e ana@example.com"]
    for secret in (SECRET, SECRET.lower(), "7946 0958", "79460958"):
        assert secret.encode() not in _raw_bytes(db_path), secret
