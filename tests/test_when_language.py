"""The date language of follow-ups, with "now" pinned: DST changes, month ends, leap days,
day/month order, lengths of time, and dates written back and read again."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.dates import (
    When,
    format_when,
    humanize,
    local_zone_name,
    parse_days,
    parse_when,
    short_date,
)
from crmcli.errors import InvalidInput

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")


def _at(*parts: int, zone=MADRID) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


def _local(text: str, now: dt.datetime, **options) -> str:
    return parse_when(text, now, **options).moment.strftime("%Y-%m-%d %H:%M %a")


# ----------------------------------------------------------------------------- DST changes


def test_tomorrow_at_nine_across_the_spring_change():
    saturday = _at(2026, 3, 28, 20, 0)  # CET; clocks go forward in the night
    when = parse_when("tomorrow 9:00", saturday)
    assert when.moment.hour == 9
    assert when.utc_text() == "2026-03-29T07:00:00Z"  # CEST, UTC+2
    assert parse_when("today 9:00", saturday).utc_text() == "2026-03-28T08:00:00Z"


def test_a_week_ahead_across_the_autumn_change_keeps_the_hour():
    before = _at(2026, 10, 22, 9, 0)
    assert parse_when("+1w 9:00", before).utc_text() == "2026-10-29T08:00:00Z"
    assert parse_when("next thu 9:00", before).utc_text() == "2026-10-29T08:00:00Z"


def test_the_other_side_of_the_atlantic_changes_on_another_day():
    before = _at(2026, 10, 30, 12, 0, zone=NEW_YORK)  # the US changes a week after Europe
    assert parse_when("mon 9:00", before).utc_text() == "2026-11-02T14:00:00Z"  # EST
    assert parse_when("fri 9:00", before).utc_text() == "2026-11-06T14:00:00Z"
    assert parse_when("today 9:00", before).utc_text() == "2026-10-30T13:00:00Z"  # EDT


def test_a_date_without_time_is_the_local_midnight():
    summer = parse_when("2026-07-01", _at(2026, 6, 1, 12, 0))
    assert (summer.has_time, summer.utc_text()) == (False, "2026-06-30T22:00:00Z")


# ------------------------------------------------------------------------ month and year ends


@pytest.mark.parametrize(("text", "now", "expected"), [
    ("+1m", _at(2027, 1, 31, 9), "2027-02-28 00:00 Sun"),
    ("+1m", _at(2028, 1, 31, 9), "2028-02-29 00:00 Tue"),
    ("in 1 month", _at(2026, 3, 31, 9), "2026-04-30 00:00 Thu"),
    ("+1y", _at(2028, 2, 29, 9), "2029-02-28 00:00 Wed"),
    ("eom", _at(2028, 2, 10, 9), "2028-02-29 00:00 Tue"),
    ("eom", _at(2026, 12, 31, 9), "2026-12-31 00:00 Thu"),
    ("eoy", _at(2026, 12, 31, 9), "2026-12-31 00:00 Thu"),
    ("tomorrow", _at(2026, 12, 31, 23, 59), "2027-01-01 00:00 Fri"),
    ("+3d", _at(2026, 2, 27, 9), "2026-03-02 00:00 Mon"),
    ("mon", _at(2026, 12, 30, 9), "2027-01-04 00:00 Mon"),
    ("01/01", _at(2026, 12, 31, 9), "2027-01-01 00:00 Fri"),
])
def test_month_and_year_ends(text, now, expected):
    assert _local(text, now) == expected


# ------------------------------------------------------------------------------- weekdays


FRIDAY = _at(2026, 11, 27, 10, 0)


@pytest.mark.parametrize(("text", "expected"), [
    ("fri", "2026-12-04 00:00 Fri"),  # today is Friday: the next one
    ("friday 14h", "2026-12-04 14:00 Fri"),
    ("sat", "2026-11-28 00:00 Sat"),
    ("next monday", "2026-11-30 00:00 Mon"),
    ("eow", "2026-11-27 00:00 Fri"),  # this week's Friday is today
    ("TUE 9AM", "2026-12-01 09:00 Tue"),
    ("wed 2:30pm", "2026-12-02 14:30 Wed"),
    ("thu 12am", "2026-12-03 00:00 Thu"),
    ("yesterday", "2026-11-26 00:00 Thu"),
    ("in 2 weeks", "2026-12-11 00:00 Fri"),
    ("2w", "2026-12-11 00:00 Fri"),
    ("now", "2026-11-27 10:00 Fri"),
])
def test_weekdays_and_offsets_from_a_friday(text, expected):
    assert _local(text, FRIDAY) == expected


def test_eow_on_a_saturday_is_next_friday():
    assert _local("eow", _at(2026, 11, 28, 10)) == "2026-12-04 00:00 Fri"


# ------------------------------------------------------------------------ day/month order


@pytest.mark.parametrize(("order", "expected"), [("DMY", "2027-04-03"), ("MDY", "2027-03-04")])
def test_numeric_dates_follow_the_configured_order(order, expected):
    when = parse_when("03/04/2027", FRIDAY, order)
    assert when.moment.date().isoformat() == expected


@pytest.mark.parametrize(("text", "order"), [("31/02", "DMY"), ("02/31", "MDY"),
                                             ("2026-02-29", "DMY"), ("13/13", "DMY"),
                                             ("24:00", "DMY"), ("0pm", "DMY"),
                                             ("soon", "DMY"), ("next week", "DMY"),
                                             ("+3 lightyears", "DMY")])
def test_impossible_dates_are_refused_with_examples(text, order):
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, FRIDAY, order)
    message = str(caught.value)
    assert f"{text!r} is not a date crm understands" in message
    assert "try: today, tomorrow 9:30, fri, next monday 14h, +3d, in 2 weeks, eom" in message


# ------------------------------------------------------------------------ lengths of time


@pytest.mark.parametrize(("text", "days"), [("7d", 7), ("7", 7), ("2w", 14), ("2 weeks", 14),
                                            ("1m", 30), ("3 months", 90), ("1y", 365),
                                            ("0d", 0), ("+10 days", 10)])
def test_lengths_of_time(text, days):
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["d", "soon", "-3d", "3 lightyears", "1.5w"])
def test_bad_lengths_of_time(text):
    with pytest.raises(InvalidInput, match="is not a length of time"):
        parse_days(text)


def test_an_empty_length_of_time_says_so():
    with pytest.raises(InvalidInput, match=r"^the length of time is empty"):
        parse_days(" ")


# ------------------------------------------------------------------- written back and reread


_ZONES = st.sampled_from([MADRID, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC")])


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
       st.one_of(st.none(), st.times().map(lambda t: t.replace(second=0, microsecond=0))),
       st.sampled_from(["DMY", "MDY", "YMD"]), _ZONES)
def test_any_date_formatted_and_reparsed_is_the_same(day, clock, order, zone):
    now = dt.datetime(2026, 11, 22, 10, 30, tzinfo=zone)
    moment = dt.datetime.combine(day, clock or dt.time(), tzinfo=zone)
    when = When(moment, clock is not None)
    assert parse_when(format_when(when, order), now, order) == when


def test_format_when_examples():
    when = When(_at(2026, 12, 31, 9, 5), True)
    assert format_when(when) == "31/12/2026 09:05"
    assert format_when(when, "MDY") == "12/31/2026 09:05"
    assert format_when(When(_at(2026, 12, 31), False), "YMD") == "2026-12-31"


def test_humanize_is_relative_to_now():
    now = FRIDAY
    assert humanize(_at(2026, 11, 27, 9, 30), True, now) == "today 09:30"
    assert humanize(_at(2026, 11, 28), False, now) == "tomorrow"
    assert humanize(_at(2026, 11, 26), False, now) == "yesterday"
    assert humanize(_at(2026, 12, 4, 15, 0), True, now) == "Fri 4 Dec 15:00"
    assert humanize(_at(2027, 1, 4), False, now) == "Mon 4 Jan 2027"
    utc = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)  # already Saturday in Madrid
    assert humanize(utc, True, now) == "tomorrow 00:30"
    assert short_date(dt.date(2026, 2, 1), with_year=True) == "Sun 1 Feb 2026"


def test_local_zone_name_follows_tz(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Madrid")
    assert local_zone_name() == "Europe/Madrid"
    monkeypatch.setenv("TZ", ":America/New_York")
    assert local_zone_name() == "America/New_York"
    monkeypatch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")  # a POSIX rule has no name
    assert local_zone_name() is None
