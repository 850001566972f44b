"""One clock per command: CRM_NOW pins a whole CLI run (no global patched), so a test can run
`crm due` on a leap day in Madrid, across midnight and across a change of summer time."""

from __future__ import annotations

import pytest

MADRID = 'timezone = "Europe/Madrid"\n'


@pytest.fixture
def madrid(crm, tmp_path, monkeypatch):
    config = tmp_path / "madrid.toml"
    config.write_text(MADRID)
    monkeypatch.setenv("CRM_CONFIG", str(config))
    crm.add("Ana Lima", "--birthday", "29/02/1996")
    return crm


def _at(crm, moment: str, *args: str):
    return crm.ok(*args, env={"CRM_NOW": moment})


def _due(crm, moment: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    for item in _at(crm, moment, "due", "--json").json():
        sections.setdefault(item["section"], []).append(f"{item['when']} {item['text']}")
    return sections


def test_due_on_the_29th_of_february_2028_at_23_30_in_madrid(madrid):
    _at(madrid, "2028-02-29T23:30", "follow-up", "ana", "today", "Leap-day call")
    _at(madrid, "2028-02-29T23:30", "follow-up", "ana", "tomorrow", "First of March")
    assert _due(madrid, "2028-02-29T23:30") == {
        "today": ["2028-02-29 Leap-day call"],
        "upcoming": ["2028-03-01 First of March"],
        "birthdays": ["2028-02-29 birthday (turns 32)"]}


def test_the_day_turns_at_madrid_midnight_not_at_utc_midnight(madrid):
    _at(madrid, "2028-02-29T12:00", "follow-up", "ana", "2028-03-01", "March")
    # 23:30 UTC on the 29th is already 00:30 on the 1st in Madrid.
    assert _due(madrid, "2028-02-29T23:30Z")["today"] == ["2028-03-01 March"]
    assert _due(madrid, "2028-02-29T22:30Z")["upcoming"] == ["2028-03-01 March"]


def test_a_timed_follow_up_keeps_its_hour_across_the_change_to_summer_time(madrid):
    # Madrid moves from UTC+1 to UTC+2 at 02:00 on Sunday 26 March 2028.
    _at(madrid, "2028-03-25T12:00", "follow-up", "ana", "tomorrow 9:30", "Sunday call")
    assert _due(madrid, "2028-03-25T12:00")["upcoming"] == ["2028-03-26T09:30+02:00 Sunday call"]
    assert _due(madrid, "2028-03-26T09:00")["today"] == ["2028-03-26T09:30+02:00 Sunday call"]
    assert _due(madrid, "2028-03-27T00:30")["overdue"] == ["2028-03-26T09:30+02:00 Sunday call"]


def test_one_reading_of_the_clock_for_the_whole_command(madrid):
    _at(madrid, "2028-02-29T23:30", "log", "ana", "Called")
    page = _at(madrid, "2028-02-29T23:59:59", "show", "ana").stdout
    assert "Last contact  2028-02-29 (today)" in page


def test_a_bad_pinned_clock_is_a_clear_error(crm):
    result = crm("due", env={"CRM_NOW": "yesterday"})
    assert result.exit_code == 1
    assert "CRM_NOW='yesterday' is not an ISO 8601 instant" in result.stderr


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00Z"])
def test_a_pinned_clock_beyond_the_dates_crm_accepts_is_a_clear_error(crm, moment):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "2026-12-01", "Call")
    result = crm("due", env={"CRM_NOW": moment})
    assert result.exit_code == 1
    assert result.stderr == (f"crm: error: CRM_NOW={moment!r}: only moments from 1900 to "
                             "2200 are accepted\n")
