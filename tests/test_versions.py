"""Row versions and read-modify-write: an edit, a merge or a bulk JSON edit applies only what
it changed on top of what other commands wrote meanwhile, or refuses; never overwrites."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap

import pytest

from crmcli import contacts, duplicates
from crmcli import db as storage
from crmcli.errors import Conflict
from crmcli.migrations import VERSIONED_TABLES


def _version(db_path, table: str, row_id: int) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT version FROM {table} WHERE id = ?", [row_id]).fetchone()[0]


def test_every_write_raises_the_row_version(crm, db_path):
    ana = crm.add("Ana Lima", "--company", "ACME")
    crm.ok("deal", "add", "ana", "Pilot", "--value", "100")
    crm.ok("follow-up", "ana", "2030-01-10", "Call")
    assert {table: _version(db_path, table, 1) for table in VERSIONED_TABLES} == dict.fromkeys(
        VERSIONED_TABLES, 1)
    crm.ok("tag", str(ana), "+vip")
    crm.ok("edit", str(ana), "--title", "COO")
    crm.ok("company", "rename", "acme", "ACME Corp")
    crm.ok("deal", "move", "1", "proposal")
    crm.ok("snooze", "1", "2030-02-01")
    with sqlite3.connect(db_path) as conn:  # another program, behind crm's back
        conn.execute("UPDATE contacts SET title = 'CEO', version = 1 WHERE id = ?", [ana])
    assert _version(db_path, "contacts", ana) == 4
    assert [_version(db_path, table, 1) for table in ("companies", "deals", "followups")] \
        == [2, 2, 2]


def _editor(tmp_path, db_path, meanwhile: list[list[str]], change: tuple[str, str]) -> dict:
    """An $EDITOR that, while the form is open, runs other crm commands, then changes one line
    of the form."""
    path = tmp_path / "editor.py"
    path.write_text(textwrap.dedent(f"""
        import subprocess, sys
        for args in {meanwhile!r}:
            subprocess.run([sys.executable, "-m", "crmcli", "--db", {str(db_path)!r}, *args],
                           check=True, capture_output=True)
        text = open(sys.argv[1]).read().replace({change[0]!r}, {change[1]!r})
        open(sys.argv[1], "w").write(text)
    """))
    return {"EDITOR": f"{sys.executable} {path}"}


def test_an_editor_edit_keeps_what_others_wrote_meanwhile(crm, db_path, tmp_path):
    ana = crm.add("Ana Lima", "-e", "ana@lima.pt", "--title", "COO")
    env = _editor(tmp_path, db_path, [["tag", str(ana), "+vip"],
                                      ["edit", str(ana), "-e", "home:ana@home.pt"],
                                      ["edit", str(ana), "--company", "Atlântico Foods"]],
                  ("title: COO", "title: Chief Operating Officer"))
    crm.ok("edit", str(ana), env=env)
    shown = crm.ok("show", str(ana), "--json").json()
    assert shown["title"] == "Chief Operating Officer"
    assert shown["tags"] == ["vip"]
    assert [e["value"] for e in shown["emails"]] == ["ana@lima.pt", "ana@home.pt"]
    assert shown["company"] == "Atlântico Foods"


def test_an_editor_edit_of_a_value_changed_meanwhile_is_refused_and_kept(crm, db_path,
                                                                        tmp_path):
    ana = crm.add("Ana Lima", "--title", "COO")
    env = _editor(tmp_path, db_path, [["edit", str(ana), "--title", "CTO"]],
                  ("title: COO", "title: CEO"))
    result = crm("edit", str(ana), env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: contact {ana} was changed meanwhile by another"
                                    " command, in title too; nothing was changed (your edit is"
                                    " kept in ")
    kept = result.stderr.rsplit(" ", 1)[1].rstrip(")\n")
    with open(kept, encoding="utf-8") as form:
        assert "title: CEO" in form.read()
    assert crm.ok("show", str(ana), "--json").json()["title"] == "CTO"


@pytest.mark.parametrize("meanwhile", [["rm", "{ana}", "--yes"], ["merge", "{bo}", "{ana}",
                                                                   "--yes"]])
def test_an_editor_edit_of_a_contact_trashed_meanwhile_is_refused_and_kept(crm, db_path,
                                                                          tmp_path, meanwhile):
    """The edit went to the contact in the trash (or to the loser of a merge) without a word."""
    ana = crm.add("Ana Lima", "--title", "COO")
    bo = crm.add("Bo Chen")
    env = _editor(tmp_path, db_path, [[part.format(ana=ana, bo=bo) for part in meanwhile]],
                  ("title: COO", "title: CEO"))
    result = crm("edit", str(ana), env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: contact {ana} was moved to the trash meanwhile"
                                    f" ('crm restore {ana}' brings it back); nothing was changed"
                                    " (your edit is kept in ")
    assert crm.ok("trash", "--json").json()[0]["title"] == "COO"


@pytest.mark.parametrize(("meanwhile", "message"), [
    (["notes", "edit", "{note}", "Call on Friday"], "was changed meanwhile by another command"),
    (["notes", "rm", "{note}", "--yes"], "was moved to the trash meanwhile"),
    (["undo"], "was deleted meanwhile"),  # an internal error: the row was gone
])
def test_an_editor_edit_of_a_note_changed_meanwhile_is_refused_and_kept(
        crm, db_path, tmp_path, meanwhile, message):
    """The editor's text overwrote what another command wrote meanwhile, or went to the note
    in the trash, without a word."""
    ana = crm.add("Ana Lima")
    note = crm.ok("note", str(ana), "Call on Monday").stdout.strip()
    env = _editor(tmp_path, db_path, [[part.format(note=note) for part in meanwhile]],
                  ("Monday", "Tuesday"))
    result = crm("notes", "edit", note, env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: note {note} {message}")
    kept = result.stderr.rsplit(" ", 1)[1].rstrip(")\n")
    with open(kept, encoding="utf-8") as form:
        assert form.read().strip() == "Call on Tuesday"
    assert "Call on Tuesday" not in crm.ok("dump").stdout


def test_a_merge_takes_in_what_was_written_after_it_read(crm, db_path):
    keep = crm.add("Ana Lima", "-e", "ana@lima.pt")
    other = crm.add("Ana Lima", "-e", "ana@old.pt")
    conn = storage.connect(db_path)
    first, second = contacts.get(conn, keep), contacts.get(conn, other)
    crm.ok("tag", str(keep), "+vip")  # another process, between reading and merging
    crm.ok("edit", str(other), "-e", "ana@new.pt")
    merged, _ = duplicates.merge(conn, first, second)
    assert merged.tags == ["vip"]
    assert [e.value for e in merged.emails] == ["ana@lima.pt", "ana@old.pt", "ana@new.pt"]


def test_three_way_refuses_a_value_changed_both_ways(db_path):
    conn = storage.connect(db_path)
    read = contacts.create(conn, contacts.Contact(name="Ana", title="COO"))
    contacts.update(conn, contacts.replace(read, title="CTO", tags=["vip"]))
    with pytest.raises(Conflict, match="in title too"):
        contacts.update(conn, contacts.replace(read, title="CEO"), read=read)
    moved = contacts.update(conn, contacts.replace(read, name="Ana Lima"), read=read)
    assert (moved.name, moved.title, moved.tags) == ("Ana Lima", "CTO", ["vip"])


def test_a_bulk_json_edit_of_a_contact_changed_since_the_export_is_refused(crm, tmp_path):
    ana = crm.add("Ana Lima", "--title", "COO")
    crm.add("Bo Chen", "--title", "CTO")
    exported = crm.ok("export", "-f", "json").json()
    crm.ok("edit", str(ana), "--title", "Chief Operating Officer")  # after the export
    for record in exported:
        record["title"] = record["title"] + " (edited)"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(exported))
    result = crm("import", str(edited), "--on-duplicate", "update")
    assert f"contact {ana} changed since it was exported" in result.stderr
    titles = {row["name"]: row["title"] for row in crm.ok("list").rows()}
    assert titles == {"Ana Lima": "Chief Operating Officer", "Bo Chen": "CTO (edited)"}
