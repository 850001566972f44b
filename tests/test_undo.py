"""The journal and undo: every write command can be undone (the dump after the undo is the
dump before the command) and the undo redone; refusals, pruning, an interrupted import."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Crm
from test_storage import RELEASES

MAIL = Path(__file__).parent / "fixtures" / "mail"
CARDS = """BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Rita Moreno\r\nEMAIL:rita@example.com\r
NOTE:Met at the fair\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r
EMAIL:ana@atlanticofoods.pt\r\nTEL:+351 91 000 0000\r\nTITLE:COO\r\nEND:VCARD\r\n"""
# A meeting in 2020 with Ana of the demo book.
CALENDAR = """BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r
UID:kickoff@tests\r\nDTSTAMP:20200101T000000Z\r\nDTSTART:20200302T100000Z\r
DTEND:20200302T110000Z\r\nSUMMARY:Kick-off\r\nATTENDEE:mailto:ana@atlanticofoods.pt\r
END:VEVENT\r\nEND:VCALENDAR\r\n"""
EDITOR = """
    import sys
    path = sys.argv[1]
    text = open(path).read().replace("title: COO", "title: Chief Operating Officer")
    open(path, "w").write(text + "\\nemail: ana.lima@example.com\\n")
"""


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    Crm(path).ok("demo")
    return path


@pytest.fixture
def book(demo_book, db_path, crm):
    shutil.copy(demo_book, db_path)
    return crm


# (setup commands, the command under test)
WRITES = {
    "add": ([], ["add", "Tom Baker", "-e", "tom@x.example", "-t", "lead", "-c", "New Co"]),
    "edit flags": ([], ["edit", "ana", "--title", "CEO", "-e", "home:a@b.example",
                        "--rm-phone", "+351 21 123 4567"]),
    "the editor": ([], ["edit", "ana"]),
    "personal facts": ([], ["edit", "ana", "--how-we-met", "at a fair", "--met-on", "2024-11-13",
                            "--interest", "wine", "--interest", "chess"]),
    "gift": ([], ["gift", "ana", "Rioja Reserva", "--given", "2026-03-02"]),
    "ungift": ([["gift", "ana", "Rioja Reserva"]], ["ungift", "1"]),
    "interest removed": ([["edit", "ana", "--interest", "wine", "--interest", "chess"]],
                         ["edit", "ana", "--no-interest", "wine", "--how-we-met", "in Porto"]),
    "rm": ([], ["rm", "bo", "--yes"]),
    "restore": ([["rm", "bo", "--yes"]], ["restore", "bo"]),
    "tag": ([], ["tag", "ana", "+vip", "-lead"]),
    "merge": ([], ["merge", "ana", "3", "--yes"]),
    "note": ([], ["note", "ana", "Wants a pilot"]),
    "notes edit": ([], ["notes", "edit", "1", "Renewal moved to summer"]),
    "notes rm": ([], ["notes", "rm", "1", "--yes"]),
    "notes restore": ([["notes", "rm", "1", "--yes"]], ["notes", "restore", "1"]),
    "log": ([], ["log", "ana", "--type", "call", "--duration", "20m", "Agreed on the pilot"]),
    "unlog": ([], ["unlog", "1", "--yes"]),
    "follow-up": ([], ["follow-up", "ana", "fri", "Send the contract"]),
    "recurring follow-up": ([], ["follow-up", "bo", "mon 9:30", "Check-in", "--every", "mon"]),
    "done": ([], ["done", "1"]),
    "done recurring": ([["follow-up", "bo", "mon 9:30", "Check-in", "--every", "mon"]],
                       ["done", "8"]),
    "snooze": ([], ["snooze", "2", "3d"]),
    "followups edit": ([], ["followups", "edit", "1", "--when", "mon"]),
    "followups rm": ([], ["followups", "rm", "1", "2", "--yes"]),
    "deal add": ([], ["deal", "add", "ana", "Pilot, 50 seats", "--value", "9500"]),
    "deal edit": ([], ["deal", "edit", "1", "--title", "Renewal", "--value", "50000"]),
    "deal move": ([], ["deal", "move", "1", "proposal"]),
    "deal won": ([], ["deal", "won", "1"]),
    "deal lost": ([], ["deal", "lost", "1", "--reason", "price"]),
    "deal reopen": ([["deal", "won", "1"]], ["deal", "reopen", "1"]),
    "deal rm": ([], ["deal", "rm", "1", "--yes"]),
    "deal restore": ([["deal", "rm", "1", "--yes"]], ["deal", "restore", "1"]),
    "company add": ([], ["company", "add", "Globex"]),
    "company rename": ([], ["company", "rename", "1", "Iberia Logistica"]),
    "company edit": ([], ["company", "edit", "1", "--industry", "logistics", "-e",
                          "info@iberialog.es"]),
    "company tag": ([], ["company", "tag", "1", "+partner"]),
    "company note": ([], ["company", "note", "1", "Moving in March"]),
    "company rm": ([], ["company", "rm", "1", "--yes"]),
    "company restore": ([["company", "rm", "1", "--yes"]], ["company", "restore", "1"]),
    "company merge": ([], ["company", "merge", "1", "2", "--yes"]),
    "import": ([], ["import", "{cards}"]),
    "import-calendar": ([], ["import-calendar", "{calendar}", "--since", "2020-01-01"]),
    "log-mail": ([], ["log-mail", "--file", str(MAIL / "ana.eml")]),
    "import-mail": ([], ["import-mail", str(MAIL / "Maildir")]),
    "relate": ([], ["relate", "ana", "manager", "4"]),
    "unrelate": ([["relate", "ana", "manager", "4"]], ["unrelate", "ana", "manager", "4"]),
    "field add": ([], ["field", "add", "budget", "--type", "number"]),
    "edit --no-mail": ([], ["edit", "ana", "--no-mail"]),
    "edit --set": ([["field", "add", "budget", "--type", "number"]],
                   ["edit", "ana", "--set", "budget=12000"]),
    "field rename": ([["field", "add", "budget", "--type", "number"]],
                     ["field", "rename", "budget", "annual_budget"]),
    "field private": ([["field", "add", "budget", "--type", "number"]],
                      ["field", "private", "budget"]),
    "field public": ([["field", "add", "budget", "--type", "number", "--private"]],
                     ["field", "public", "budget"]),
    "field rm": ([["field", "add", "budget", "--type", "number"],
                  ["edit", "ana", "--set", "budget=12000"]], ["field", "rm", "budget", "--yes"]),
    "date add": ([], ["date", "add", "ana", "wedding", "2012-06-16"]),
    "date rm": ([["date", "add", "ana", "wedding", "2012-06-16"]],
                ["date", "rm", "ana", "wedding"]),
    "deal stages remap": ([], ["deal", "stages", "remap", "negotiation", "--to", "proposal",
                               "--yes"]),
    "case open": ([], ["case", "open", "ana", "Late delivery", "--priority", "high",
                       "--channel", "email"]),
    "case open --company": ([], ["case", "open", "--company", "1", "Wrong invoice"]),
    "case note": ([["case", "open", "ana", "Late delivery"]], ["case", "note", "1", "Called"]),
    "case wait": ([["case", "open", "ana", "Late delivery"]], ["case", "wait", "1"]),
    "case resolve": ([["case", "open", "--company", "1", "Wrong invoice"]],
                     ["case", "resolve", "1", "Credit note sent"]),
    "case reopen": ([["case", "open", "ana", "Late delivery"], ["case", "resolve", "1"]],
                    ["case", "reopen", "1"]),
    "case close": ([["case", "open", "ana", "Late delivery"]], ["case", "close", "1"]),
    "case edit": ([["case", "open", "ana", "Late delivery", "--deal", "2"]],
                  ["case", "edit", "1", "--deal", "none"]),
}


@pytest.mark.parametrize("case", list(WRITES))
def test_undo_restores_the_dump_before_and_redo_the_dump_after(book, tmp_path, case):
    setup, command = WRITES[case]
    cards = tmp_path / "phone.vcf"
    cards.write_text(CARDS)
    calendar = tmp_path / "work.ics"
    calendar.write_text(CALENDAR)
    env = None
    if case == "the editor":
        script = tmp_path / "editor.py"
        script.write_text(textwrap.dedent(EDITOR))
        env = {"EDITOR": f"{sys.executable} {script}"}
    for step in setup:
        book.ok(*step)
    before = book.ok("dump").stdout
    book.ok(*[word.format(cards=cards, calendar=calendar) for word in command], env=env)
    after = book.ok("dump").stdout
    assert after != before, "the command wrote nothing"

    book.ok("undo")
    assert book.ok("dump").stdout == before
    book.ok("undo")  # the undo of the undo: a redo
    assert book.ok("dump").stdout == after


def test_undo_keeps_the_search_index_in_step(book):
    book.ok("add", "Tom Baker", "-e", "tom@x.example")
    book.ok("undo")
    assert book.ok("list", "tom").stdout.count("\n") <= 1
    book.ok("undo")
    assert "Tom Baker" in book.ok("list", "tom").stdout
    book.ok("note", "tom", "likes sailing")
    book.ok("undo")
    assert book.ok("notes", "search", "sailing").stdout.count("\n") <= 1
    assert book.ok("list", "sailing").stdout.count("\n") <= 1
    book.ok("undo")
    assert "sailing" in book.ok("notes", "search", "sailing").stdout
    assert "Tom Baker" in book.ok("list", "sailing").stdout
    book.ok("merge", "ana", "3", "--yes")
    book.ok("undo")
    assert "Bo Chen" in book.ok("list", "bo").stdout
    book.ok("company", "rename", "2", "Ocean Foods")
    assert "Ana Lima" in book.ok("list", "ocean").stdout
    book.ok("undo")
    assert book.ok("list", "ocean").stdout.count("\n") <= 1
    assert "Ana Lima" in book.ok("list", "atlantico").stdout


def test_journal_lists_operations_newest_first(crm, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-25T10:00:00+00:00")
    crm.ok("add", "Ana Lima", "-e", "ana@example.com")
    crm.ok("list")  # reads: nothing recorded
    crm.ok("tag", "ana", "+vip")
    cards = tmp_path / "one.vcf"
    cards.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\n"
                     "EMAIL:ana@example.com\r\nEND:VCARD\r\n")
    crm.ok("import", str(cards))  # keeps the card
    crm.ok("import", str(cards))  # nothing new: writes nothing, records nothing
    entries = crm.ok("journal", "--json").json()[1:]
    assert [entry["what"] for entry in entries] == ["tag ana +vip",
                                                    "add 'Ana Lima' -e ana@example.com"]
    assert [entry["summary"] for entry in entries] == ["tagged Ana Lima #1: +vip",
                                                       "added Ana Lima #1"]
    assert {entry["source"] for entry in entries} == {"cli"}
    assert [row["what"] for row in crm.ok("journal", "--limit", "1").rows()] == [
        f"import {cards}"]


def test_journal_summaries_say_what_each_command_did(book, tmp_path):
    book.ok("merge", "ana", "3", "--yes")
    book.ok("deal", "move", "1", "proposal")
    book.ok("deal", "won", "1")
    book.ok("relate", "ana", "manager", "4")
    book.ok("edit", "ana", "--title", "CEO", "-e", "a@b.example", "-e", "c@d.example")
    cards = tmp_path / "phone.vcf"
    cards.write_text(CARDS)
    book.ok("import", str(cards))
    book.ok("undo")
    summaries = [entry["summary"] for entry in book.ok("journal", "--json", "-n", "7").json()]
    assert summaries == [
        "undid #7 (import " + str(cards) + ")",
        "imported 2 cards from phone.vcf: 1 added, 1 updated",
        "edited Ana Lima #2: title, 2 details added",
        "Ana Lima #2: 1 relationship added",
        "deal #1 Fleet tracking renewal: proposal → won",
        "deal #1 Fleet tracking renewal: negotiation → proposal",
        "merged Bo Chen #3 into #2: 1 email, 1 phone, 1 note, 11 interactions, 1 deal,"
        " 1 follow-up moved"]


def test_undo_of_an_older_operation_and_the_refusal(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.ok("tag", "ana", "+vip")        # 3
    crm.ok("edit", "bo", "--title", "CTO")  # 4
    crm.ok("edit", "ana", "--untag", "vip", "--title", "COO")  # 5 touches Ana's tag again
    refused = crm("undo", "3")
    assert refused.exit_code == 1
    assert "cannot undo #3 (tag ana +vip): later operations changed the same rows or added " \
        "rows that depend on them: #5 (edit ana --untag vip --title COO: " in refused.stderr
    crm.ok("undo", "4")  # Bo's title: nothing later touched it
    assert crm.ok("show", "bo", "--json").json()["title"] is None
    crm.ok("undo", "5")
    crm.ok("undo", "3")  # #5 and its undo cancel out
    assert crm.ok("show", "ana", "--json").json()["tags"] == []
    again = crm("undo", "3")
    assert again.exit_code == 1 and "already undone by #8" in again.stderr
    assert crm("undo", "99").exit_code == 3


def test_undo_refuses_when_later_operations_added_rows_under_its_rows(crm):
    crm.add("Ana Lima")                       # 1 adds the contact
    crm.add("Bo Chen")                        # 2
    crm.ok("note", "ana", "Met at the fair")  # 3 adds a note on it
    refused = crm("undo", "1")
    assert refused.exit_code == 1
    assert "cannot undo #1 (add 'Ana Lima'" in refused.stderr
    assert "#3 (note ana 'Met at the fair': notes #1)" in refused.stderr
    assert [note["body"] for note in crm.ok("notes", "list", "ana", "--json").json()] == [
        "Met at the fair"]
    crm.ok("undo", "3")
    crm.ok("undo", "1")  # the note and its undo cancel out
    assert [contact["name"] for contact in crm.ok("list", "-f", "json").json()] == ["Bo Chen"]


def test_import_is_one_operation_from_the_import_source(crm, tmp_path):
    cards = tmp_path / "phone.vcf"
    cards.write_text(CARDS)
    crm.ok("import", str(cards))
    entry = crm.ok("journal", "--json").json()[0]
    assert entry["source"] == "import" and entry["what"] == f"import {cards}"
    assert entry["summary"] == "imported 2 cards from phone.vcf: 2 added, 0 updated"
    crm.ok("import", "--dry-run", str(cards))
    assert len(crm.ok("journal", "--json").json()) == 1


def test_old_operations_are_pruned(crm, db_path, tmp_path, monkeypatch):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE journal_operations SET started_at = '2020-01-01T00:00:00Z'"
                     " WHERE id = 1")
    config = tmp_path / "config.toml"
    config.write_text('[journal]\nkeep = "30d"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    crm.ok("list")
    assert len(crm.ok("journal", "--json").json()) == 2  # reading prunes nothing
    crm.add("Cy Twombly")
    assert [entry["id"] for entry in crm.ok("journal", "--json").json()] == [3, 2]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM journal_changes WHERE operation_id = 1"
                            ).fetchone() == (0,)


def test_an_operation_killed_half_way_is_undone_in_one_step(crm, db_path):
    """Two committed batches, then the process dies inside the third: one operation, and
    one undo takes the book back to where it was."""
    crm.add("Ana Lima")
    before = crm.ok("dump").stdout
    script = textwrap.dedent(f"""
        import os
        from crmcli import activity, contacts, db, journal
        from crmcli.models import Contact
        conn = db.connect({str(db_path)!r})
        journal.attach(conn, journal.Recorder("import big.vcf", "import",
                                              "2026-11-25T10:00:00Z"))
        for batch in range(3):
            with db.transaction(conn):
                for n in range(5):
                    made = contacts.create(conn, Contact(name=f"Card {{batch}}-{{n}}"))
                    activity.add_note(conn, made.id, "imported")
                if batch == 2:
                    os._exit(9)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 9, run.stderr
    entries = crm.ok("journal", "--json").json()
    assert entries[0]["what"] == "import big.vcf"
    assert entries[0]["summary"] == "imported 10 cards from big.vcf: 10 added, 0 updated"
    assert crm.ok("list", "-f", "json").json().__len__() == 11
    crm.ok("undo")
    assert crm.ok("dump").stdout == before
    assert crm.ok("list", "card").stdout.count("\n") <= 1


def test_undo_refuses_across_a_schema_upgrade(crm, db_path):
    crm.add("Ana Lima")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE journal_operations SET schema_version = schema_version - 1")
    result = crm("undo")
    assert result.exit_code == 1 and "schema was upgraded" in result.stderr


def test_other_programs_can_still_write_the_file(crm, db_path):
    crm.add("Ana Lima")
    with sqlite3.connect(db_path) as conn:  # no crm functions or triggers needed
        conn.execute("UPDATE contacts SET title = 'COO'")
    assert crm.ok("show", "ana", "--json").json()["title"] == "COO"
    assert len(crm.ok("journal", "--json").json()) == 1


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_books_from_every_release_journal_and_undo(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    crm = Crm(path)
    with sqlite3.connect(path) as conn:
        recorded = _journal_length(conn)
    before = crm.ok("dump").stdout
    journal = crm.ok("journal", "--json", "--limit", "1000").json()
    assert len(journal) == recorded  # the upgrade is not an operation
    crm.ok("edit", "jose", "--title", "CEO", "-e", "jose@new.example")
    crm.ok("tag", "jose", "+board")
    crm.ok("rm", "jose", "--yes")
    newest = [str(op["id"]) for op in crm.ok("journal", "--json", "--limit", "3").json()]
    for operation_id in newest:  # each later one and its undo cancel out
        crm.ok("undo", operation_id)
    assert crm.ok("dump").stdout == before
    assert "José Núñez" in crm.ok("list", "nunez renewal").stdout


def _journal_length(conn) -> int:
    """Operations a release book already holds (none before the journal existed)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'journal_operations'"
                        ).fetchone():
        return 0
    return conn.execute("SELECT count(*) FROM journal_operations").fetchone()[0]


def test_a_command_that_changes_nothing_records_nothing(crm, db_path):
    crm.add("Ana Lima", "-e", "ana@example.com", "-p", "+351 912 345 678", "--tag", "vip",
            "--title", "COO")
    crm.ok("tag", "ana", "+vip")
    crm.ok("edit", "ana", "--title", "COO")
    crm.ok("edit", "ana", "--tag", "vip")
    assert [entry["what"] for entry in crm.ok("journal", "--json").json()] == [
        "add 'Ana Lima' -e ana@example.com -p '+351 912 345 678' --tag vip --title COO"]
    assert crm.ok("show", "ana", "--json").json()["updated_at"] == \
        crm.ok("show", "ana", "--json").json()["created_at"]


def test_an_edit_journals_only_the_rows_it_changes(crm, db_path):
    crm.add("Ana Lima", "-e", "ana@example.com", "-e", "ana@work.example", "--tag", "vip")
    crm.ok("edit", "ana", "--title", "COO", "--tag", "lead")
    with sqlite3.connect(db_path) as book:
        changes = book.execute("SELECT table_name, kind FROM journal_changes WHERE"
                               " operation_id = 2 ORDER BY table_name").fetchall()
    assert changes == [("contact_tags", "insert"), ("contacts", "update")]


def test_a_real_import_killed_after_its_first_batches_is_undone_in_one_step(crm, db_path,
                                                                             tmp_path):
    from test_import_batches import _cards, _count, _start_import

    vcf = tmp_path / "big.vcf"
    _cards(vcf, 2000)
    crm.add("Someone First")
    before = crm.ok("dump").stdout
    importing = _start_import(db_path, vcf, tmp_path)
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=60)
    assert 1 < _count(db_path, "SELECT count(*) FROM contacts") < 2001
    assert crm.ok("journal", "--json").json()[0]["what"] == f"import {vcf}"
    crm.ok("undo")
    assert crm.ok("dump").stdout == before
    assert crm.ok("list", "bulk").stdout.count("\n") <= 1  # the search index agrees


def test_commands_that_change_nothing_record_nothing_with_hooks_installed(crm, tmp_path):
    folder = tmp_path / "config" / "crmcli" / "hooks"
    folder.mkdir(parents=True)
    for name in ("pre-modify", "post-modify"):
        (folder / name).write_text("#!/bin/sh\ncat >/dev/null\n")
        (folder / name).chmod(0o755)
    crm.add("Ana Lima", "--tag", "vip", "--title", "COO")
    crm.ok("tag", "ana", "+vip")
    crm.ok("edit", "ana", "--title", "COO")
    assert crm("done", "7").exit_code == 3
    assert crm("deal", "won", "1").exit_code == 3
    assert [entry["what"] for entry in crm.ok("journal", "--json").json()] == [
        "add 'Ana Lima' --tag vip --title COO"]


def test_two_undos_of_one_operation_at_once_revert_it_once(crm, db_path):
    """Two `crm undo` started together: the second checks the journal once it holds the write
    lock, so it sees the first's undo and refuses instead of reverting a second time (a redo of
    an added contact then failed on its id)."""
    import threading

    from crmcli import db, journal, undo

    crm.add("Ana Lima")
    waiting, outcome = threading.Event(), []

    def second_undo():  # chooses the last operation, then waits for the lock
        second = db.connect(db_path)
        journal.attach(second, journal.Recorder("undo", "cli", "2026-11-25T10:00:00Z"))
        second.set_trace_callback(lambda sql: sql.startswith("BEGIN") and waiting.set())
        try:
            undo.undo(second, second.journal, undo.target(second, None))
            outcome.append("undone")
        except undo.Refused as refused:
            outcome.append(str(refused))
        finally:
            second.close()

    second = threading.Thread(target=second_undo)

    def before_commit(sql):  # the first undo, about to commit, lets the second one start
        if sql == "COMMIT" and not second.is_alive():
            second.start()
            assert waiting.wait(10)

    first = db.connect(db_path)
    journal.attach(first, journal.Recorder("undo", "cli", "2026-11-25T10:00:00Z"))
    first.set_trace_callback(before_commit)
    undo.undo(first, first.journal, undo.target(first, None))
    first.close()
    second.join(30)
    assert outcome == ["#1 (add 'Ana Lima') is already undone by #2; `crm undo 2` redoes it"]
    assert crm.ok("list", "--json").json() == []
