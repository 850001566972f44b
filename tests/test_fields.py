"""Custom fields: definitions, typed values on add and edit, the page, search, --where, undo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crmcli import db as storage
from crmcli import fields

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


@pytest.fixture
def book(crm):
    crm("field", "add", "budget", "--type", "number")
    crm("field", "add", "segment", "--type", "choice", "--choices", "smb,mid,enterprise")
    crm("field", "add", "renewal_on", "--type", "date")
    crm("field", "add", "hobby", "--type", "text")
    crm("field", "add", "signed", "--type", "bool")
    crm("add", "Ana Lima", "--set", "budget=12000", "--set", "segment=smb",
        "--set", "hobby=sailing boats", "--set", "signed=yes")
    crm("add", "Bo Chen", "--set", "budget=500.50", "--set", "renewal_on=2027-03-01")
    return crm


def test_values_are_typed_in_json_and_shown_on_the_page(book):
    assert book("show", "ana", "--json").json()["fields"] == {
        "budget": 12000, "hobby": "sailing boats", "segment": "smb", "signed": True}
    assert book("show", "bo", "--json").json()["fields"] == {
        "budget": 500.5, "renewal_on": "2027-03-01"}
    page = book("show", "ana").stdout
    assert "Budget" in page and "12000" in page and "Signed" in page and "yes" in page


@pytest.mark.parametrize(("assignment", "message"), [
    ("budget=12k", 'budget: "12k" is not a number'),
    # 1e4400 was kept, then every page and export holding it failed on its 4,401 digits
    ("budget=1e4400", 'budget: "1e4400" is not a number crm keeps (from 1e-30 to 1e30)'),
    ("budget=1e999999999", 'budget: "1e999999999" is not a number crm keeps'),
    ("budget=1_000", 'budget: "1_000" is not a number'),
    ("budget=\u0661\u0662", 'is not a number'),  # Arabic-Indic digits
    ("renewal_on=2027-02-31", 'renewal_on: "2027-02-31" is not a date'),
    ("segment=huge", 'segment: "huge" is not one of smb, mid, enterprise'),
    ("nope=1", "unknown field 'nope'"),
    ("budget", "expected KEY=VALUE"),
])
def test_bad_values_are_one_clear_line_and_change_nothing(book, assignment, message):
    before = book("dump").stdout
    result = book("edit", "ana", "--title", "CTO", "--set", assignment)
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert book("dump").stdout == before


def test_add_with_a_bad_value_adds_nobody(book):
    result = book("add", "Cy Dee", "--set", "budget=lots")
    assert result.exit_code == 1
    assert [row["name"] for row in book("list").rows()] == ["Ana Lima", "Bo Chen"]


def test_unset_and_edit_keep_other_values(book):
    book("edit", "ana", "--unset", "segment", "--set", "budget=13000")
    assert book("show", "ana", "--json").json()["fields"] == {
        "budget": 13000, "hobby": "sailing boats", "signed": True}


def test_where_compares_numbers_and_dates_and_matches_choices(book):
    def names(*conditions):
        args = [arg for condition in conditions for arg in ("--where", condition)]
        return [row["name"] for row in book("list", *args).rows()]

    assert names("budget>1000") == ["Ana Lima"]
    assert names("budget<1000") == ["Bo Chen"]
    assert names("budget>100", "budget<20000") == ["Ana Lima", "Bo Chen"]
    assert names("renewal_on<2027-04-01") == ["Bo Chen"]
    assert names("segment=smb") == ["Ana Lima"]
    assert names("hobby=Sailing Boats") == ["Ana Lima"]
    refused = book("list", "--where", "hobby>a")
    assert refused.exit_code == 1 and "only numbers and dates compare" in refused.stderr
    for bad in ("budget>abc", "nope=1"):  # one line on stderr, not even a header on stdout
        refused = book("list", "--where", bad)
        assert (refused.exit_code, refused.stdout) == (1, ""), bad


def test_text_values_are_searchable(book):
    assert [row["name"] for row in book("list", "sailing").rows()] == ["Ana Lima"]
    book("edit", "ana", "--set", "hobby=chess")
    assert [row["name"] for row in book("list", "chess").rows()] == ["Ana Lima"]
    assert book("list", "sailing").rows() == []


def test_rm_asks_and_undo_brings_the_field_and_values_back(book):
    refused = book("field", "rm", "budget")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert book("field", "rm", "budget", "--yes").exit_code == 0
    assert "budget" not in book("show", "ana", "--json").json()["fields"]
    assert book("undo").exit_code == 0
    assert book("show", "ana", "--json").json()["fields"]["budget"] == 12000
    listed = {row["name"]: row for row in book("field", "list", "--json").json()}
    assert listed["budget"]["used"] == 2


def test_rename_keeps_values(book):
    book("field", "rename", "hobby", "pastime")
    assert book("show", "ana", "--json").json()["fields"]["pastime"] == "sailing boats"


@pytest.mark.parametrize(("name", "message"), [
    ("email", "is a built-in field"), ("tags", "is a built-in field"),
    ("Bad-Name", "use snake_case"), ("budget", "already have a field 'budget'"),
])
def test_field_names_are_snake_case_and_do_not_shadow_built_ins(book, name, message):
    result = book("field", "add", name, "--type", "text")
    assert result.exit_code == 1 and message in result.stderr


def test_choice_needs_choices_and_companies_have_their_own_fields(crm):
    assert "needs --choices" in crm("field", "add", "tier", "--type", "choice").stderr
    assert crm("field", "add", "tier", "--type", "text", "--on", "companies").exit_code == 0
    assert crm("field", "list", "--json").json() == []
    assert [f["name"] for f in crm("field", "list", "--on", "companies", "--json").json()] \
        == ["tier"]


def test_dump_and_load_keep_fields(book, tmp_path):
    from conftest import Crm

    dumped = book("dump").stdout
    assert '"table":"custom_fields"' in dumped and '"table":"contact_field_values"' in dumped
    fresh = Crm(tmp_path / "fresh.db")
    assert fresh("load", "-", input=dumped).exit_code == 0
    assert fresh("show", "ana", "--json").json()["fields"]["budget"] == 12000


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_release_books_gain_custom_fields(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    database = storage.connect(path)
    fields.define(database, "seats", "number")
    ana = database.execute("SELECT max(id) FROM contacts").fetchone()[0]
    fields.apply(database, ana, fields.parse_assignments(["seats=7"]))
    assert fields.values_for(database, [ana]) == {ana: {"seats": 7}}
    database.close()


def test_json_export_and_bulk_edit_carry_typed_fields(book, tmp_path):
    from conftest import Crm

    exported = book("export", "--format", "jsonl").stdout
    fresh = Crm(tmp_path / "fresh.db")
    for name, type_ in (("budget", "number"), ("signed", "bool")):
        fresh("field", "add", name, "--type", type_)
    imported = fresh("import", "--format", "jsonl", "-", input=exported)
    assert imported.exit_code == 0, imported.stderr
    assert "created the text field 'hobby'" in imported.stderr
    assert fresh("show", "ana", "--json").json()["fields"] == {
        "budget": 12000, "hobby": "sailing boats", "segment": "smb", "signed": True}
    edited = exported.replace('"budget": 12000', '"budget": 15000')
    assert book("import", "--format", "jsonl", "-", input=edited).exit_code == 0
    assert book("show", "ana", "--json").json()["fields"]["budget"] == 15000
    bad = book("import", "--format", "jsonl", "-", input=exported.replace("12000", '"12k"'))
    assert 'budget: "12k" is not a number' in bad.stderr


def test_fields_are_lines_of_the_editor_form(book, tmp_path):
    import sys
    import textwrap

    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent("""
        import sys
        path = sys.argv[1]
        text = open(path).read()
        assert "budget: 12000\\n" in text and "renewal_on: \\n" in text, text
        text = text.replace("budget: 12000", "budget: 15000").replace("hobby: sailing boats\\n",
                                                                      "hobby:\\n")
        open(path, "w").write(text.replace("renewal_on: ", "renewal_on: 2027-05-01"))
    """))
    book("edit", "ana", env={"EDITOR": f"{sys.executable} {script}"})
    assert book("show", "ana", "--json").json()["fields"] == {
        "budget": 15000, "renewal_on": "2027-05-01", "segment": "smb", "signed": True}


def test_a_wrong_type_in_the_editor_form_changes_nothing(book, tmp_path):
    import sys

    script = tmp_path / "editor.py"
    script.write_text("import sys; p = sys.argv[1]; t = open(p).read()\n"
                      "open(p, 'w').write(t.replace('budget: 12000', 'budget: 12k'))\n")
    before = book("dump").stdout
    result = book("edit", "ana", env={"EDITOR": f"{sys.executable} {script}"})
    assert result.exit_code == 1 and 'budget: "12k" is not a number' in result.stderr
    assert book("dump").stdout == before


def test_crmcli_csv_has_a_column_per_field_and_reads_it_back(book, tmp_path):
    from conftest import Crm

    exported = book("export", "-f", "csv", "--csv-dialect", "crmcli").stdout
    header = exported.splitlines()[0].split(",")
    assert header[-5:] == ["budget", "hobby", "renewal_on", "segment", "signed"]
    fresh = Crm(tmp_path / "fresh.db")
    fresh("field", "add", "budget", "--type", "number")
    imported = fresh("import", "--format", "csv", "-", input=exported)
    assert imported.exit_code == 0, imported.stderr
    assert "created the text field 'segment'" in imported.stderr
    assert fresh("show", "bo", "--json").json()["fields"] == {
        "budget": 500.5, "renewal_on": "2027-03-01"}
    assert fresh("show", "ana", "--json").json()["fields"] == {
        "budget": 12000, "hobby": "sailing boats", "segment": "smb", "signed": "true"}


def test_a_field_may_not_take_the_name_of_a_csv_column(crm):
    result = crm("field", "add", "email_2", "--type", "text")
    assert result.exit_code == 1 and "built-in field" in result.stderr


def test_a_field_is_private_from_its_start_or_later_and_undo_takes_it_back(book, tmp_path):
    from conftest import Crm

    book.ok("field", "add", "salary", "--type", "number", "--private")
    book.ok("field", "private", "hobby")
    book.ok("field", "public", "salary")

    def private() -> list[str]:
        return [f["name"] for f in book.ok("field", "list", "--json").json() if f["private"]]

    assert private() == ["hobby"]
    book.ok("undo")
    assert private() == ["hobby", "salary"]
    assert book.ok("field", "list", "-f", "tsv").stdout.splitlines()[0].endswith("\tprivate")
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("load", "-", input=book.ok("dump").stdout)
    assert [f["name"] for f in fresh.ok("field", "list", "--json").json() if f["private"]] \
        == ["hobby", "salary"]
    missing = book("field", "private", "nope")
    assert (missing.exit_code, missing.stderr) == (
        3, "crm: error: no field 'nope' on contacts (crm field list shows them)\n")


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 21],
                         ids=lambda p: p.stem)  # books from before migration 21
def test_release_books_keep_their_fields_public_and_may_mark_one_private(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        before = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE name = 'custom_fields'")]
        old = [row[0] for row in conn.execute(
            "SELECT name FROM custom_fields WHERE entity = 'contacts'")] if before else []
    database = storage.connect(path)
    kept = fields.definitions(database)
    assert [(f.name, f.private) for f in kept] == [(name, False) for name in sorted(old)]
    fields.define(database, "salary", "number", private=True)
    assert fields.private_names(database) == {"salary"}
    if kept:
        fields.set_private(database, kept[0].name, True)
        assert fields.private_names(database) == {"salary", kept[0].name}
    database.close()
