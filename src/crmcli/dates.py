"""The one parser of dates typed by people. ``today`` is always passed in, never read globally,
except through :func:`today` at the edges."""

from __future__ import annotations

import datetime as dt
import re
import time

from crmcli.errors import InvalidInput
from crmcli.models import PartialDate

_YEARLESS = re.compile(r"--(\d{2})-?(\d{2})")
_ISO = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_NUMERIC = re.compile(r"(\d{1,4})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?")

_EXAMPLES = {"DMY": "17/05/1980", "MDY": "05/17/1980", "YMD": "1980/05/17"}


def now_utc() -> str:
    """The current instant as stored: UTC ISO 8601 to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def today() -> dt.date:
    return dt.date.today()


def parse_partial_date(text: str, date_order: str = "DMY", today_: dt.date | None = None
                       ) -> PartialDate:
    """Parse a birthday-like date whose year may be missing.

    Numeric day/month forms follow ``date_order`` (DMY, MDY or YMD); ISO forms always work.
    """
    value = text.strip()
    try:
        return _parse_partial(value, date_order, today_ or today())
    except ValueError as exc:
        example = _EXAMPLES.get(date_order, _EXAMPLES["DMY"])
        raise InvalidInput(f"{text!r} is not a valid date (try 1980-05-17, {example}, 17 May, "
                           "May 17 1980 or --05-17)") from exc


def _parse_partial(value: str, date_order: str, today_: dt.date) -> PartialDate:
    if match := _YEARLESS.fullmatch(value):
        return PartialDate(None, int(match[1]), int(match[2]))
    if match := _ISO.fullmatch(value):
        return PartialDate(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(value):
        return _numeric(match.groups(), date_order, today_)
    return _worded(value, date_order)


def _numeric(parts: tuple[str, str, str | None], date_order: str, today_: dt.date
             ) -> PartialDate:
    first, second, third = parts
    if len(first) == 4 or date_order == "YMD":
        if third is None:
            raise ValueError("year and month without a day")
        year, month, day = first, second, third
    elif date_order == "MDY":
        month, day, year = first, second, third
    else:
        day, month, year = first, second, third
    return PartialDate(_full_year(year, today_), int(month), int(day))


def _full_year(year: str | None, today_: dt.date) -> int | None:
    if year is None:
        return None
    if len(year) == 4:
        return int(year)
    century = today_.year // 100 * 100
    full = century + int(year)
    return full - 100 if full > today_.year else full


def _worded(value: str, date_order: str) -> PartialDate:
    """Dates with month names ("17 May", "May 17 1980"), through dateutil.

    Parsing twice with different defaults tells which parts the text named, so a missing
    year stays missing (never a stand-in year) and a missing day or month is an error.
    """
    from dateutil import parser

    dayfirst = date_order == "DMY"
    try:
        a = parser.parse(value, default=dt.datetime(2000, 1, 1), dayfirst=dayfirst)
        b = parser.parse(value, default=dt.datetime(2004, 2, 2), dayfirst=dayfirst)
    except (parser.ParserError, OverflowError) as exc:
        raise ValueError(str(exc)) from exc
    if (a.month, a.day) != (b.month, b.day):
        raise ValueError("day or month missing")
    return PartialDate(a.year if a.year == b.year else None, a.month, a.day)
