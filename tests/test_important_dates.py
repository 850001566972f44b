"""Important dates: crm date add/list/rm, --anniversary, the agenda, the email, ICS, JSON,
the migration of the anniversary column from every release."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from crmcli import db as storage
from crmcli.models import PartialDate

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
NOW = {"CRM_NOW": "2026-06-10T09:00:00+00:00"}


@pytest.fixture
def book(crm):
    crm.add("Ana Lima", "--birthday", "1980-06-20", "--anniversary", "2012-06-16")
    crm.add("Bo Chen")
    crm.ok("date", "add", "bo", "First order", "--06-12")
    crm.ok("date", "add", "bo", "wedding", "2021-07-01")
    return crm


def test_date_add_list_rm_and_the_anniversary_flag(book):
    record = book.ok("show", "ana", "--json").json()
    assert record["anniversary"] == "2012-06-16" and record["dates"] == []
    assert book.ok("show", "bo", "--json").json()["dates"] == [
        {"label": "First order", "date": "--06-12"}, {"label": "wedding", "date": "2021-07-01"}]
    listed = book.ok("date", "list", "bo", "--json", env=NOW).json()
    assert [(r["label"], r["next"], r["in_days"]) for r in listed] == [
        ("First order", "2026-06-12", 2), ("wedding", "2026-07-01", 21)]
    book.ok("date", "add", "bo", "Anniversary", "2020-01-05")
    assert book.ok("show", "bo", "--json").json()["anniversary"] == "2020-01-05"
    book.ok("edit", "bo", "--anniversary", "")
    assert book.ok("show", "bo", "--json").json()["anniversary"] is None
    book.ok("date", "rm", "bo", "first ORDER")
    assert [d["label"] for d in book.ok("show", "bo", "--json").json()["dates"]] == ["wedding"]
    missing = book("date", "rm", "bo", "nope")
    assert missing.exit_code == 3 and "Bo Chen has no date 'nope'" in missing.stderr


@pytest.mark.parametrize("args", [
    ("date", "add", "bo", "wedding", "31/02/2020"),
    ("date", "add", "bo", "birthday", "2020-01-01"),
    ("edit", "bo", "--anniversary", "2021-02-31"),
    ("add", "Cy Dee", "--anniversary", "31 February"),
])
def test_a_bad_date_is_one_clear_line_and_changes_nothing(book, args):
    before = book.ok("dump").stdout
    result = book(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: ") and len(result.stderr.splitlines()) == 1
    assert book.ok("dump").stdout == before


def test_dates_come_up_in_due_and_birthdays_like_birthdays(book):
    rows = book.ok("birthdays", "--within", "14d", "--json", env=NOW).json()
    assert [(r["date"], r["contact"], r["kind"], r["age"]) for r in rows] == [
        ("2026-06-12", "Bo Chen", "First order", None),
        ("2026-06-16", "Ana Lima", "anniversary", 14),
        ("2026-06-20", "Ana Lima", "birthday", 46)]
    due = book.ok("due", "--json", env=NOW).json()
    assert [(r["contact"], r["text"]) for r in due if r["section"] == "birthdays"] == [
        ("Bo Chen", "First order"), ("Ana Lima", "anniversary (14 years)")]


def test_a_yearless_29_february_is_kept_on_the_28th_in_other_years(crm):
    crm.add("Leap Year", "--anniversary", "--02-29")
    rows = crm.ok("birthdays", "--json", env={"CRM_NOW": "2027-02-20T09:00:00+00:00"}).json()
    assert [(r["date"], r["kind"]) for r in rows] == [("2027-02-28", "anniversary")]


def test_a_date_as_written_reads_a_stand_in_year_as_none():
    """The one place the dates typed, imported from JSON or CSV, and read from cards learn
    which years stand in for none."""
    assert [PartialDate.written(year, 6, 21) for year in (0, 1604, None, 1, 1603, 2000)] == [
        PartialDate(None, 6, 21)] * 3 + [PartialDate(year, 6, 21) for year in (1, 1603, 2000)]


def test_a_stand_in_year_typed_or_imported_means_no_year(crm, tmp_path):
    """0000-06-20 was kept as the year 0: "birthday (turns 2026)"; cards already read the
    stand-in years 0 and 1604 (Apple's) as none."""
    crm.add("Cy Dee", "--birthday", "0000-06-20")
    crm.add("Di Eno", "--birthday", "1604-06-21")
    crm.ok("date", "add", "cy", "wedding", "0000-06-22")
    records = tmp_path / "people.jsonl"
    records.write_text('{"name": "Ed Fo", "birthday": "0000-06-23"}\n')
    crm.ok("import", str(records))
    rows = crm.ok("birthdays", "--json", env=NOW).json()
    assert [(r["date"], r["contact"], r["kind"], r["age"]) for r in rows] == [
        ("2026-06-20", "Cy Dee", "birthday", None), ("2026-06-21", "Di Eno", "birthday", None),
        ("2026-06-22", "Cy Dee", "wedding", None), ("2026-06-23", "Ed Fo", "birthday", None)]
    assert crm.ok("show", "cy", "--json").json()["birthday"] == "--06-20"


def test_a_stand_in_year_in_an_imported_records_dates_means_no_year(crm, tmp_path):
    """The dates of a JSON record kept 0000 and 1604 as years: "wedding (age 2026)"."""
    records = tmp_path / "people.jsonl"
    records.write_text('{"name": "Ed Fo", "dates": [{"label": "wedding", "date": "0000-06-22"},'
                       ' {"label": "first order", "date": "1604-06-23"}]}\n')
    crm.ok("import", str(records))
    assert crm.ok("show", "ed", "--json").json()["dates"] == [
        {"label": "wedding", "date": "--06-22"}, {"label": "first order", "date": "--06-23"}]
    rows = crm.ok("birthdays", "--json", env=NOW).json()
    assert [(r["date"], r["kind"], r["age"]) for r in rows] == [
        ("2026-06-22", "wedding", None), ("2026-06-23", "first order", None)]


def test_the_reminder_email_and_the_calendar_carry_the_dates(book, tmp_path):
    email = book.ok("remind", "--dry-run", env=NOW).stdout
    assert "Bo Chen" in email and "First order" in email
    target = tmp_path / "crm.ics"
    book.ok("export", "-f", "ics", "--birthdays", "-o", str(target))
    import vobject

    calendar = vobject.readOne(target.read_text())
    summaries = sorted(event.summary.value for event in calendar.vevent_list)
    assert summaries == ["Ana Lima's anniversary", "Ana Lima's birthday",
                         "Bo Chen's First order", "Bo Chen's wedding"]
    uids = {event.uid.value.split("-")[0] for event in calendar.vevent_list}
    assert uids == {"anniversary", "birthday", "date"}


def test_dates_are_lines_of_the_editor_form(book, tmp_path):
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\np = sys.argv[1]\nt = open(p).read()\n"
        "assert 'date: wedding: 2021-07-01' in t and 'anniversary: \\n' in t, t\n"
        "t = t.replace('date: wedding: 2021-07-01', 'date: wedding: 2021-07-02')\n"
        "open(p, 'w').write(t.replace('anniversary: ', 'anniversary: 12 May 2019'))\n")
    book.ok("edit", "bo", env={"EDITOR": f"{sys.executable} {script}"})
    record = book.ok("show", "bo", "--json").json()
    assert record["anniversary"] == "2019-05-12"
    assert record["dates"][1] == {"label": "wedding", "date": "2021-07-02"}


def test_undo_and_hooks_see_a_date_change(book, tmp_path):
    hooks = tmp_path / "config" / "crmcli" / "hooks"
    hooks.mkdir(parents=True)
    hook = hooks / "post-modify"
    hook.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"open({str(tmp_path / 'seen')!r}, 'a').write(sys.stdin.read())\n")
    hook.chmod(0o755)
    book.ok("date", "add", "ana", "moved to Porto", "2019-09-01")
    assert "moved to Porto" in (tmp_path / "seen").read_text()
    book.ok("undo")
    assert book.ok("show", "ana", "--json").json()["dates"] == []


def test_json_bulk_edit_carries_dates(book, tmp_path):
    from conftest import Crm

    exported = book.ok("export", "-f", "jsonl").stdout
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("import", "--format", "jsonl", "-", input=exported)
    for ref in ("ana", "bo"):
        mine, theirs = (c.ok("show", ref, "--json").json() for c in (book, fresh))
        assert (mine["anniversary"], mine["dates"]) == (theirs["anniversary"], theirs["dates"])


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 16],
                         ids=lambda p: p.stem)  # books from before migration 16
def test_the_anniversary_column_moves_to_the_dates_table(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        columns = [row[1] for row in conn.execute("PRAGMA table_info(contacts)")]
        if "anniversary" in columns:
            conn.execute("UPDATE contacts SET anniversary = '--02-29' WHERE id = 1")
    database = storage.connect(path)
    from crmcli import contacts

    first = contacts.get(database, 1, deleted=None)
    assert "anniversary" not in [row[1] for row in database.execute(
        "PRAGMA table_info(contacts)")]
    assert str(first.anniversary) == ("--02-29" if "anniversary" in columns else "None")
    database.close()


@pytest.mark.parametrize("dialect", ["crmcli", "google"])
def test_csv_carries_dates(book, tmp_path, dialect):
    from conftest import Crm

    exported = book.ok("export", "-f", "csv", "--csv-dialect", dialect).stdout
    fresh = Crm(tmp_path / "fresh.db")
    result = fresh.ok("import", "--format", "csv", "-", input=exported)
    assert "not imported" not in result.stderr
    for ref in ("ana", "bo"):
        mine, theirs = (c.ok("show", ref, "--json").json() for c in (book, fresh))
        assert (mine["anniversary"], mine["dates"]) == (theirs["anniversary"], theirs["dates"])
