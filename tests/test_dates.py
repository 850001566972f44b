"""Dates typed by people: birthdays with and without a year."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.dates import parse_partial_date
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
