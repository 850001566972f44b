"""Dates typed by people: birthdays with and without a year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.dates import parse_partial_date, parse_when
from crmcli.errors import InvalidInput
from crmcli.models import PartialDate

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(("text", "order", "expected"), [
    ("1980-05-17", "DMY", PartialDate(1980, 5, 17)),
    ("19800517", "DMY", PartialDate(1980, 5, 17)),
    ("--05-17", "DMY", PartialDate(None, 5, 17)),
    ("--0517", "DMY", PartialDate(None, 5, 17)),
    ("--0229", "DMY", PartialDate(None, 2, 29)),
    ("17/05/1980", "DMY", PartialDate(1980, 5, 17)),
    ("05/17/1980", "MDY", PartialDate(1980, 5, 17)),
    ("1980/05/17", "YMD", PartialDate(1980, 5, 17)),
    ("17.05.80", "DMY", PartialDate(1980, 5, 17)),
    ("17.05.07", "DMY", PartialDate(2007, 5, 17)),
    ("17/05", "DMY", PartialDate(None, 5, 17)),
    ("29/02", "DMY", PartialDate(None, 2, 29)),
    ("17 May", "DMY", PartialDate(None, 5, 17)),
    ("May 17 1980", "DMY", PartialDate(1980, 5, 17)),
])
def test_accepted_forms(text, order, expected):
    assert parse_partial_date(text, order, TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/1980", "29/02/1981", "--1340", "May", "1980",
                                  "tomorrow", "", "13/13"])
def test_rejected_forms(text):
    with pytest.raises(InvalidInput, match="is not a valid date"):
        parse_partial_date(text, "DMY", TODAY)


def test_yearless_dates_round_trip_through_storage():
    leap = PartialDate(None, 2, 29)
    assert str(leap) == "--02-29"
    assert PartialDate.from_storage(str(leap)) == leap


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       st.booleans(), st.sampled_from(["DMY", "MDY", "YMD"]))
def test_any_date_formatted_and_reparsed_is_the_same(date, yearless, order):
    value = PartialDate(None if yearless else date.year, date.month, date.day)
    assert parse_partial_date(str(value), order, TODAY) == value


# ---- the date language of follow-ups and --at -------------------------------------------

MADRID = ZoneInfo("Europe/Madrid")
SUNDAY = dt.datetime(2026, 11, 22, 10, 30, tzinfo=MADRID)


@pytest.mark.parametrize(("text", "expected", "has_time"), [
    ("today", "2026-11-22 00:00", False),
    ("tomorrow 9:30", "2026-11-23 09:30", True),
    ("TOMORROW 9am", "2026-11-23 09:00", True),
    ("fri", "2026-11-27 00:00", False),
    ("friday 14h", "2026-11-27 14:00", True),
    ("next monday", "2026-11-23 00:00", False),
    ("last fri", "2026-11-20 00:00", False),
    ("+3d", "2026-11-25 00:00", False),
    ("2w", "2026-12-06 00:00", False),
    ("in 3 days", "2026-11-25 00:00", False),
    ("in 2 weeks 2:30pm", "2026-12-06 14:30", True),
    ("+1m", "2026-12-22 00:00", False),
    ("+1y", "2027-11-22 00:00", False),
    ("3 days ago", "2026-11-19 00:00", False),
    ("eow", "2026-11-27 00:00", False),
    ("eom", "2026-11-30 00:00", False),
    ("eoy", "2026-12-31 00:00", False),
    ("2026-12-01", "2026-12-01 00:00", False),
    ("2026-12-01T09:30", "2026-12-01 09:30", True),
    ("31/12", "2026-12-31 00:00", False),
    ("01/03", "2027-03-01 00:00", False),
    ("29/02", "2028-02-29 00:00", False),
    ("25 dec 14h30", "2026-12-25 14:30", True),
    ("now", "2026-11-22 10:30", True),
])
def test_when_language(text, expected, has_time):
    when = parse_when(text, SUNDAY)
    assert when.moment.strftime("%Y-%m-%d %H:%M") == expected
    assert when.has_time is has_time


@pytest.mark.parametrize(("text", "expected"), [
    ("mon", "2026-11-16"), ("2d", "2026-11-20"), ("31/12", "2025-12-31"),
    ("yesterday 15:00", "2026-11-21"),
])
def test_when_looking_back(text, expected):
    assert parse_when(text, SUNDAY, past=True).moment.date().isoformat() == expected


def test_month_end_offsets_clamp():
    jan31 = dt.datetime(2027, 1, 31, 9, 0, tzinfo=MADRID)
    assert parse_when("+1m", jan31).moment.date() == dt.date(2027, 2, 28)


def test_a_time_across_the_dst_change_stays_at_that_hour():
    before_change = dt.datetime(2026, 10, 20, 9, 0, tzinfo=MADRID)
    when = parse_when("in 2 weeks 9:00", before_change)
    assert when.moment.hour == 9
    assert when.utc_text() == "2026-11-03T08:00:00Z"  # CET (+1) after the change
    assert parse_when("9:00", before_change).utc_text() == "2026-10-20T07:00:00Z"  # CEST


def test_mdy_order():
    assert parse_when("12/31", SUNDAY, "MDY").moment.date() == dt.date(2026, 12, 31)


@pytest.mark.parametrize("text", ["31/02", "someday", "25:00", "13pm", "fr", ""])
def test_impossible_or_unknown_dates_explain_what_works(text):
    """An empty date is an error too, not "today"."""
    with pytest.raises(InvalidInput, match="try: today, tomorrow 9:30, fri"):
        parse_when(text, SUNDAY)
