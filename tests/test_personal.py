"""The personal section of the page: how and when you met, interests, set by flag, in the
editor and in JSON; the Personal panel of crm show; the migration from every release."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from crmcli import db as storage

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
NOW = {"CRM_NOW": "2026-05-01T10:00:00+00:00"}


@pytest.fixture
def book(crm):
    crm.add("Bo Chen", "--birthday", "1980-05-20")
    crm.add("Ana Lima", "--how-we-met", "Web Summit,  through Bo", "--met-on", "2024-11-13",
            "--interest", "Wine", "--interest", "trail running", "--interest", "wine",
            "--referred-by", "bo", "--birthday", "--05-10")
    crm.ok("relate", "ana", "spouse", "Rui Lima")
    crm.ok("date", "add", "ana", "wedding", "2012-06-16")
    return crm


def personal(crm, ref="ana") -> tuple:
    record = crm.ok("show", ref, "--json").json()
    return record["how_we_met"], record["met_on"], record["interests"]


def test_add_sets_the_personal_facts(book):
    assert personal(book) == ("Web Summit, through Bo", "2024-11-13", ["Wine", "trail running"])
    assert personal(book, "bo") == (None, None, [])


def test_edit_adds_removes_and_clears_facts(book):
    book.ok("edit", "ana", "--interest", "sailing", "--no-interest", "WINE",
            "--met-on", "--03-02", "--how-we-met", "")
    assert personal(book) == (None, "--03-02", ["trail running", "sailing"])


@pytest.mark.parametrize("args, message", [
    (["--met-on", "2024-02-31"], "crm: error: --met-on: '2024-02-31' is not a valid date"),
    (["--no-interest", "golf"], "crm: error: --no-interest: Ana Lima has no interest 'golf'"),
    (["--interest", "x" * 101], "crm: error: an interest must be 1 to 100 characters"),
    (["--referred-by", "Zed Quinn", "--no-mail", "--cadence", "30d", "--met-on", "2024-02-31"],
     "crm: error: --met-on: '2024-02-31' is not a valid date"),
])
def test_bad_personal_input_is_one_line_and_changes_nothing(book, args, message):
    before = book.ok("dump").stdout
    result = book("edit", "ana", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert book.ok("dump").stdout == before


def test_bad_met_on_on_add_adds_nobody(crm):
    result = crm("add", "Cy Dee", "--met-on", "someday")
    assert result.exit_code == 1 and result.stderr.startswith("crm: error: --met-on: ")
    assert crm.ok("list", "--json").json() == []


EDITOR = """
    import sys
    path = sys.argv[1]
    text = open(path).read()
    assert "how we met: Web Summit, through Bo" in text and "interest: Wine" in text
    text = text.replace("interest: Wine\\n", "").replace("met on: 2024-11-13", "met on: 2023-01-02")
    open(path, "w").write(text + "interest: chess\\n")
"""


def test_a_merge_keeps_the_other_contacts_facts(crm):
    """The contact merged in lost how and when you met and its interests silently."""
    crm.add("Ana Lima", "-e", "ana@lima.example", "--met-on", "2023-01-01",
            "--interest", "Sailing")
    crm.add("Ana Lima", "-e", "ana@atlantico.example", "--how-we-met", "the Lisbon fair",
            "--met-on", "2024-11-13", "--interest", "sailing", "--interest", "chess")
    merged = crm.ok("merge", "1", "2", "--yes")
    assert "kept met on 2023-01-01 (other had 2024-11-13)" in merged.stderr
    assert personal(crm, "1") == ("the Lisbon fair", "2023-01-01", ["Sailing", "chess"])
    crm.ok("undo")
    assert personal(crm, "1") == (None, "2023-01-01", ["Sailing"])
    assert personal(crm, "2") == ("the Lisbon fair", "2024-11-13", ["sailing", "chess"])


def test_the_editor_form_holds_the_facts(book, tmp_path):
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(EDITOR))
    book.ok("edit", "ana", env={"EDITOR": f"{sys.executable} {script}"})
    assert personal(book) == ("Web Summit, through Bo", "2023-01-02", ["trail running", "chess"])


def test_show_has_a_personal_section_before_the_history(book):
    page = book.ok("show", "ana", env=NOW).stdout
    personal_at, history_at = page.index("Personal"), page.index("Recent history")
    assert personal_at < history_at
    section = page[personal_at:page.index("Open deals")]
    for line in ("People       spouse: Rui Lima", "Referred by  Bo Chen  born 1980-05-20  #1",
                 "How we met   Web Summit, through Bo", "Met on       2024-11-13",
                 "Interests    Wine, trail running", "Coming up    Sun 10 May  birthday",
                 "Wed 20 May  Bo Chen's birthday (referred them)", "Tue 16 Jun  wedding"):
        assert line in section
    assert "\x1b[" not in page  # plain text when piped


def test_coming_up_says_what_each_person_is_to_the_contact(book):
    book.add("Di Park", "--birthday", "1990-05-12")
    book.add("Ed Moss", "--birthday", "1970-05-14")
    book.ok("relate", "ana", "manager", "di")  # Di is Ana's manager
    book.ok("relate", "ed", "mentor", "ana")  # Ana is Ed's mentor
    ana = book.ok("show", "ana", env=NOW).stdout
    assert "Tue 12 May  Di Park's birthday (manager)" in ana
    assert "Thu 14 May  Ed Moss's birthday (has them as mentor)" in ana
    assert "Wed 20 May  Bo Chen's birthday (referred them)" in ana
    book.ok("relate", "ana", "friend", "bo")  # one line for Bo, with both roles
    ana = book.ok("show", "ana", env=NOW).stdout
    assert "Wed 20 May  Bo Chen's birthday (friend, referred them)" in ana
    assert ana.count("Bo Chen's birthday") == 1
    di = book.ok("show", "di", env=NOW).stdout
    assert "Sun 10 May  Ana Lima's birthday (reports to them)" in di
    assert "Ana Lima's birthday (friend, referred by them)" in book.ok("show", "bo", env=NOW).stdout


def test_a_page_without_personal_facts_has_no_personal_section(crm):
    crm.add("Cy Dee")
    assert "Personal" not in crm.ok("show", "cy", env=NOW).stdout


def test_json_export_and_import_carry_the_facts(book, tmp_path):
    from conftest import Crm

    exported = book.ok("export", "--format", "json").stdout
    path = tmp_path / "book.json"
    path.write_text(exported)
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("import", str(path))
    assert personal(fresh, "ana") == personal(book)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "Di", "interests": "chess"}]))
    assert "interests must be a list of texts" in fresh("import", str(bad)).stderr


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 20],
                         ids=lambda p: p.stem)  # books from before migration 20
def test_the_migration_from_every_release_adds_the_facts(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    database = storage.connect(path)
    from crmcli import contacts

    first = contacts.get(database, 1, deleted=None)
    assert (first.how_we_met, first.met_on, first.interests) == (None, None, [])
    updated = contacts.update(database, replace(first, how_we_met="at a fair",
                                                interests=["golf"]))
    again = contacts.get(database, updated.id, deleted=None)
    assert (again.how_we_met, again.interests) == ("at a fair", ["golf"])
    database.close()


def test_gift_ideas_and_gifts_given(book):
    assert book.ok("gift", "ana", "Rioja  Reserva").stdout == "1\n"
    assert book.ok("gift", "ana", "Port, 20 years", "--given", "2026-03-02").stdout == "2\n"
    book.ok("gift", "ana", "Olive oil", "--given", "yesterday", env=NOW)
    listed = book.ok("gifts", "ana", "--json").json()
    assert [(g["id"], g["description"], g["given_on"], g["idea"]) for g in listed] == [
        (1, "Rioja Reserva", None, True), (3, "Olive oil", "2026-04-30", False),
        (2, "Port, 20 years", "2026-03-02", False)]
    assert book.ok("gifts", "ana", "--csv").stdout.splitlines()[3].startswith(
        '2,"Port, 20 years",2026-03-02,')
    section = book.ok("show", "ana", env=NOW).stdout
    assert "Gifts given  2026-04-30  Olive oil\n               2026-03-02  Port, 20 years" \
        in section and "Gift ideas   Rioja Reserva" in section
    assert section.index("Gift ideas") < section.index("Recent history")
    assert [g["id"] for g in book.ok("show", "ana", "--json").json()["gifts"]] == [1, 3, 2]
    book.ok("ungift", "1")
    assert [g["id"] for g in book.ok("gifts", "ana", "--json").json()] == [3, 2]


@pytest.mark.parametrize("args, message, code", [
    (["gift", "ana", "Wine", "--given", "2026-02-31"], "crm: error: --given: '2026-02-31'", 1),
    (["gift", "ana", "  "], "crm: error: a gift must be 1 to 200 characters, not 0", 1),
    (["ungift", "9"], "crm: error: no gift #9", 3),
])
def test_bad_gifts_are_one_line_and_change_nothing(book, args, message, code):
    before = book.ok("dump").stdout
    result = book(*args)
    assert result.exit_code == code
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert book.ok("dump").stdout == before
