"""Years a date may carry: a stand-in year (0000, 1604) means "no year" in a birthday-like
date however it is written, and is no year at all for a follow-up; a date custom field keeps
the years every typed date keeps (1900 to 2200); books from earlier releases that stored a
stand-in year have it read as no year."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import Crm
from test_storage import RELEASES

NOW = {"CRM_NOW": "2026-11-25T10:00:00+00:00"}


@pytest.mark.parametrize(("typed", "stored"), [
    ("27 Nov 0000", "--11-27"), ("Nov 27, 0000", "--11-27"), ("27 Nov 1604", "--11-27"),
    ("0000-11-27", "--11-27"), ("27 Nov 0099", "0099-11-27"), ("27 Nov 00", "2000-11-27"),
    ("27 Nov 1980", "1980-11-27"),
])
def test_a_birthday_written_with_a_stand_in_year_has_no_year(crm, typed, stored):
    """dateutil read any year below 100 as two digits: 27 Nov 0000 became 2000."""
    contact = crm.ok("add", "Ana Lima", "--birthday", typed, env=NOW).stdout.strip()
    assert crm.ok("show", contact, "--json").json()["birthday"] == stored


@pytest.mark.parametrize(("typed", "year"), [("27 Nov 0000", "year 0 is out of range"),
                                             ("27 Nov 0099", "the year 99 is out of range")])
def test_a_follow_up_on_a_year_below_100_is_refused(crm, typed, year):
    crm.add("Ana Lima")
    result = crm("follow-up", "ana", typed, "Call", env=NOW)
    assert result.exit_code == 1 and year in result.stderr
    assert result.stderr.count("\n") == 1
    assert crm.ok("followups", "--json", env=NOW).json() == []


@pytest.mark.parametrize("value", ["2999-01-01", "1899-12-31", "0001-01-01"])
def test_a_date_field_keeps_the_years_every_typed_date_keeps(crm, value):
    contact = str(crm.add("Ana Lima"))
    crm.ok("field", "add", "renewal", "--type", "date")
    result = crm("edit", contact, "--set", f"renewal={value}")
    assert (result.exit_code, result.stderr) == (
        1, f'crm: error: renewal: "{value}" is not a date crm keeps (from 1900 to 2200)\n')
    crm.ok("edit", contact, "--set", "renewal=2200-12-31")
    assert crm.ok("show", contact, "--json").json()["fields"] == {"renewal": "2200-12-31"}


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 35],
                         ids=lambda p: p.stem)  # books from before migration 35
def test_stand_in_years_stored_by_earlier_releases_become_no_year(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        first, *others = (row[0] for row in conn.execute(
            "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 2"))
        second = others[0] if others else first  # v1 has one live contact
        conn.execute("UPDATE contacts SET birthday = '1604-11-28' WHERE id = ?", [second])
        conn.execute("UPDATE contacts SET birthday = '0000-11-27' WHERE id = ?", [first])
        if "anniversary" in _columns(conn, "contacts"):
            conn.execute("UPDATE contacts SET anniversary = '1604-11-30' WHERE id = ?", [first])
        if "met_on" in _columns(conn, "contacts"):
            conn.execute("UPDATE contacts SET met_on = '1604-03-02' WHERE id = ?", [first])
        if _columns(conn, "contact_dates"):
            conn.execute("INSERT INTO contact_dates (contact_id, label, label_folded, date)"
                         " VALUES (?, 'wedding', 'wedding', '0000-11-29')", [first])
    crm = Crm(path)
    coming = crm.ok("birthdays", "--json", env=NOW).json()
    mine = [(o["date"], o["kind"], o["age"]) for o in coming if o["contact_id"] in (first, second)]
    assert ("2026-11-27", "birthday", None) in mine
    assert second == first or ("2026-11-28", "birthday", None) in mine
    assert all(age is None for _, _, age in mine)  # "turns 2026", "422 years" before
    shown = crm.ok("show", str(first), "--json").json()
    assert shown["birthday"] == "--11-27"
    assert all(not d["date"].startswith(("0000", "1604")) for d in shown["dates"])
    assert shown["met_on"] in (None, "--03-02")
    calendar = crm.ok("export", "-f", "ics", "--birthdays", env=NOW).stdout
    assert "DTSTART;VALUE=DATE:1604" not in calendar and "Born in 1604" not in calendar
