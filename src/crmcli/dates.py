"""The one parser of dates typed by people. "Now" is always passed in (tests pin it); only the
CLI reads the clock, once per command, and passes it in.

The language (``parse_when``), case-insensitive, a date part then an optional time:
    today, tomorrow, yesterday, now
    mon ... sun, monday ... sunday, next fri, last fri
    +3d, -2w, 2w, +1m, +1y, in 3 days, in 2 weeks, 3 days ago
    eow (this week's Friday), eom (last day of the month), eoy
    2026-12-01, 2026-12-01T09:30, 31/12, 31/12/2026 (order from ``date_order``), 25 dec, dec 25
    times: 9:30, 14:00, 9am, 2:30pm, 14h, 14h30
Bare weekdays, offsets and yearless dates point forward, or backward when ``past`` is set
(``crm log --at mon`` is last Monday).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from crmcli.errors import InvalidInput, capped, cut, shown
from crmcli.models import PartialDate

_YEARLESS = re.compile(r"--(\d{2})-?(\d{2})")
_ISO = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_NUMERIC = re.compile(r"(\d{1,4})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?")

_EXAMPLES = {"DMY": "17/05/1980", "MDY": "05/17/1980", "YMD": "1980/05/17"}


_ZONES: dict[str, dt.tzinfo] = {}
_configured_zone: str | None = None
_WHEN_EXAMPLES = ("today, tomorrow 9:30, fri, next monday 14h, +3d, in 2 weeks, eom, "
                  "2026-12-01, 31/12")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {"d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks",
          "weeks": "weeks", "m": "months", "month": "months", "months": "months",
          "y": "years", "year": "years", "years": "years"}
_TIME = re.compile(
    r"(?:^|\s+)(?:at\s+)?(?:(\d{1,2}):(\d{2})\s*(am|pm)?|(\d{1,2})\s*(am|pm)|(\d{1,2})h(\d{2})?)$")
_ISO_T = re.compile(r"^(\d{4}-\d{2}-\d{2})t(?=\d)")
_OFFSET = re.compile(r"(?:(in)\s+)?([+-])?(\d+)\s*([a-z]+?)(?:\s+(ago))?")
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the dates crm accepts; beyond, calendars and libraries fail


@dataclass(frozen=True)
class When:
    """A moment typed by a person: local time, and whether they named an hour."""

    moment: dt.datetime  # aware, in the local zone; midnight when has_time is False
    has_time: bool

    def utc_text(self) -> str:
        return stamp(self.moment)

    @property
    def zone_name(self) -> str | None:
        """The IANA name of the zone it was typed in, when the zone has one."""
        return getattr(self.moment.tzinfo, "key", None)


def stamp(moment: dt.datetime) -> str:
    """A moment as stored: UTC ISO 8601 to the second (``2026-11-22T09:30:00Z``)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> dt.datetime:
    """A stored stamp as an aware (UTC) datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def use_zone(name: str | None) -> None:
    """Make the configured ``timezone`` (an IANA name; None: the system's) the zone in which
    this process reads and shows dates, as TZ would. The CLI calls it once it has the config."""
    global _configured_zone
    _configured_zone = name


def local_zone() -> dt.tzinfo:
    """The configured zone (see :func:`use_zone`), else the system's, with its daylight-saving
    rules (not a fixed offset): a zoneinfo zone when the system names one (fast to convert
    thousands of instants), else dateutil's reading of the C library's rules. Looked up once
    per value of TZ."""
    if _configured_zone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(_configured_zone)
    key = os.environ.get("TZ", "")
    if key not in _ZONES:
        name = local_zone_name()
        if name is not None:
            from zoneinfo import ZoneInfo

            _ZONES[key] = ZoneInfo(name)
        else:
            _ZONES[key] = _c_library_zone(key)
    return _ZONES[key]


def _c_library_zone(key: str) -> dt.tzinfo:
    """The C library's reading of ``TZ`` (a POSIX rule such as ``EST5EDT``); an offset of a
    day or more (``UTC+24``, ``XXX-25``) is one Python's datetimes cannot hold."""
    import time

    from dateutil import tz

    if max(abs(time.timezone), abs(time.altzone)) >= 24 * 3600:
        raise InvalidInput(f"TZ={key!r}: an offset of 24 hours or more is no time zone; set "
                           "TZ to a zone name such as Europe/Madrid, or the timezone setting")
    return tz.tzlocal()



def zone(name: str | None) -> dt.tzinfo:
    """The zone called ``name`` (an IANA name, checked by the config), else the system's."""
    if not name:
        return local_zone()
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)



def parse_when(text: str, now: dt.datetime, date_order: str = "DMY", past: bool = False
               ) -> When:
    """Parse ``text`` relative to ``now`` (an aware datetime in the local zone)."""
    value = _ISO_T.sub(r"\1 ", " ".join(text.lower().split()))
    if not value:
        raise InvalidInput(f"the date is empty; try: {_WHEN_EXAMPLES}")
    try:
        date_part, clock = _split_time(value)
        if date_part == "now" and clock is None:
            return When(now, True)
        day = _parse_day(date_part, now.date(), date_order, past)
    except (ValueError, OverflowError) as exc:
        reason = "a number is too large" if isinstance(exc, OverflowError) else exc
        raise InvalidInput(f"{shown(text)} is not a date crm understands ({reason}); "
                           f"try: {_WHEN_EXAMPLES}") from exc
    check_year(day, text)
    moment = dt.datetime.combine(day, clock or dt.time(0, 0)).replace(tzinfo=now.tzinfo)
    return When(moment, clock is not None)


def check_year(day: dt.date, text: str) -> None:
    """Refuse a date outside the years crm accepts, naming what was typed."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{shown(text)}: the year {day.year} is out of range; only dates from "
                           f"{FIRST_YEAR} to {LAST_YEAR} are accepted")


def _split_time(value: str) -> tuple[str, dt.time | None]:
    match = _TIME.search(value)
    if not match:
        return value, None
    hour_text, minute_text, meridiem = (match[1], match[2], match[3]) if match[1] else (
        (match[4], None, match[5]) if match[4] else (match[6], match[7], None))
    hour, minute = int(hour_text), int(minute_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"{hour}{meridiem} is not an hour")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return value[: match.start()].strip(), dt.time(hour, minute)


def _parse_day(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date:
    named = {"": today_, "today": today_, "tomorrow": today_ + dt.timedelta(days=1),
             "yesterday": today_ - dt.timedelta(days=1)}
    if value in named:
        return named[value]
    for parse in (_weekday, _offset, _period_end, _numeric_day):
        day = parse(value, today_, date_order, past)
        if day is not None:
            return day
    return _worded_day(value, today_, date_order, past)


def _weekday(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date | None:
    words = value.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[0] not in ("next", "last")):
        return None
    name = words[-1]
    matches = [i for i, day in enumerate(_WEEKDAYS) if len(name) >= 3 and day.startswith(name)]
    if len(matches) != 1:
        return None
    backward = words[0] == "last" if len(words) == 2 else past
    from dateutil.relativedelta import relativedelta, weekday

    step = -1 if backward else 1
    return today_ + relativedelta(days=step, weekday=weekday(matches[0], step))


def _offset(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date | None:
    match = _OFFSET.fullmatch(value)
    if not match or match[4] not in _UNITS:
        return None
    from dateutil.relativedelta import relativedelta

    amount = capped(match[3], _MAX_DAYS)
    if amount > _MAX_DAYS:
        raise ValueError(f"{cut(match[3])} {_UNITS[match[4]]} is too far")
    backward = match[2] == "-" or match[5] == "ago" or (past and not match[2] and not match[1])
    return today_ + relativedelta(**{_UNITS[match[4]]: -amount if backward else amount})


def _period_end(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date | None:
    from dateutil.relativedelta import FR, relativedelta

    ends = {"eow": relativedelta(weekday=FR(+1)),
            "eom": relativedelta(day=31),
            "eoy": relativedelta(month=12, day=31)}
    return today_ + ends[value] if value in ends else None


def _numeric_day(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date | None:
    if not (_ISO.fullmatch(value) or _NUMERIC.fullmatch(value)):
        return None
    return _resolve(_parse_partial(value, date_order, today_), today_, past)


def _worded_day(value: str, today_: dt.date, date_order: str, past: bool) -> dt.date:
    return _resolve(_worded(value, date_order), today_, past)


def _resolve(partial: PartialDate, today_: dt.date, past: bool) -> dt.date:
    """A date from a possibly yearless one: its next (or, looking back, last) occurrence."""
    if partial.year is not None:
        return dt.date(partial.year, partial.month, partial.day)
    step = -1 if past else 1
    year = today_.year
    while True:  # the next (or last) year in which that day exists: 29/02 waits for a leap year
        if (partial.month, partial.day) != (2, 29) or _leap(year):
            candidate = dt.date(year, partial.month, partial.day)
            if (candidate <= today_) if past else (candidate >= today_):
                return candidate
        year += step


def next_occurrence(partial: PartialDate, after: dt.date, backward: bool = False) -> dt.date:
    """The first date on or after ``after`` (or on or before it, ``backward``) with this month
    and day; 29 February falls on 28 February in other years (as birthdays are kept)."""
    step = -1 if backward else 1
    year = after.year
    while True:
        day = partial.day if (partial.month, partial.day) != (2, 29) or _leap(year) else 28
        candidate = dt.date(year, partial.month, day)
        if (candidate >= after) if not backward else (candidate <= after):
            return candidate
        year += step


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_partial_date(text: str, date_order: str, today_: dt.date) -> PartialDate:
    """Parse a birthday-like date whose year may be missing.

    Numeric day/month forms follow ``date_order`` (DMY, MDY or YMD); ISO forms always work;
    a two-digit year is the latest such year up to ``today_``'s.
    """
    value = text.strip()
    try:
        found = _parse_partial(value, date_order, today_)
    except ValueError as exc:
        example = _EXAMPLES.get(date_order, _EXAMPLES["DMY"])
        raise InvalidInput(f"{shown(text)} is not a valid date (try 1980-05-17, {example}, 17 May, "
                           "May 17 1980 or --05-17)") from exc
    return PartialDate.written(found.year, found.month, found.day)  # 0000-05-17: no year


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
    except parser.ParserError as exc:
        detail = str(exc)
        raise ValueError("unknown words" if detail.startswith("Unknown string format")
                         else detail) from exc
    except OverflowError as exc:
        raise ValueError("a number is too large") from exc
    if (a.month, a.day) != (b.month, b.day):
        raise ValueError("day or month missing")
    return PartialDate(_typed_year(value, a.year) if a.year == b.year else None, a.month, a.day)


def _typed_year(value: str, read: int) -> int:
    """The year as written: dateutil reads any year below 100 as two digits, ``0000`` as
    2000 and ``0099`` as 1999; four digits typed are the year they say (0000 then stands in
    for no year, as in 0000-11-27)."""
    written = [int(digits) for digits in _FOUR_DIGITS.findall(value)]
    return written[0] if len(written) == 1 and written[0] % 100 == read % 100 else read


# ---- additions for follow-ups: lengths of time, writing dates back, the local zone's name ----

_FOUR_DIGITS = re.compile(r"(?<![0-9])([0-9]{4})(?![0-9])")
_DURATION = re.compile(r"\+?([0-9]+)\s*([a-z]*)")
_MAX_DAYS = 100 * 366  # the longest length of time crm reads: a century
_UNIT_DAYS = {"days": 1, "weeks": 7, "months": 30, "years": 365}
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")


def parse_days(text: str) -> int:
    """A length of time typed as ``30d``, ``2w``, ``3m``, ``1y``, ``10 days`` or a bare number
    of days, in days (a month counts 30, a year 365)."""
    match = _DURATION.fullmatch(" ".join(text.lower().split()))
    unit = match and (_UNITS.get(match[2]) if match[2] else "days")
    if not unit:
        raise _not_a_length(text, "7d, 2w, 1m, 1y or 30")
    number = capped(match[1], _MAX_DAYS)
    if number * _UNIT_DAYS[unit] > _MAX_DAYS:
        raise InvalidInput(f"{shown(text)} is too long a time (at most 100 years)")
    return number * _UNIT_DAYS[unit]


def _not_a_length(text: str, examples: str) -> InvalidInput:
    what = f"{shown(text)} is not a length of time" if text.strip() else (
        "the length of time is empty")
    return InvalidInput(f"{what} (try {examples})")


_LENGTH_UNITS = {**_UNITS, "h": "hours", "hour": "hours", "hours": "hours",
                 "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes"}


def parse_length(text: str):
    """A length of time that may be shorter than a day (``4h``, ``30 min``, ``2d``, ``1w``,
    ``1m``), as a dateutil ``relativedelta`` (calendar months and years, as in ``+1m``)."""
    from dateutil.relativedelta import relativedelta

    match = _DURATION.fullmatch(" ".join(text.lower().split()))
    unit = match and _LENGTH_UNITS.get(match[2] or "days")
    if not unit:
        raise _not_a_length(text, "4h, 2d, 1w or 1m")
    number = capped(match[1], 10**7 - 1)
    if number * _UNIT_DAYS.get(unit, 0) > _MAX_DAYS or number >= 10**7:
        raise InvalidInput(f"{shown(text)} is too long a time (at most 100 years)")
    return relativedelta(**{unit: number})


def format_when(when: When, date_order: str = "DMY") -> str:
    """``when`` written in the date language, so that :func:`parse_when` reads it back the same:
    a full numeric date in ``date_order`` (ISO for YMD), then ``HH:MM`` if it has a time."""
    day = when.moment.date()
    text = {"DMY": f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
            "MDY": f"{day.month:02d}/{day.day:02d}/{day.year:04d}"}.get(date_order,
                                                                          day.isoformat())
    return f"{text} {when.moment:%H:%M}" if when.has_time else text


def humanize(moment: dt.datetime, has_time: bool, now: dt.datetime) -> str:
    """A local moment for people, relative to ``now``: ``today 09:30``, ``tomorrow``,
    ``Fri 27 Nov``, ``Mon 4 Jan 2027 09:00``."""
    local = moment.astimezone(now.tzinfo)
    gap = (local.date() - now.date()).days
    names = {0: "today", 1: "tomorrow", -1: "yesterday"}
    text = names.get(gap) or short_date(local.date(), with_year=local.year != now.year)
    return f"{text} {local:%H:%M}" if has_time else text


def short_date(day: dt.date, with_year: bool = False) -> str:
    """``Fri 27 Nov``, or ``Fri 27 Nov 2026``, in English whatever the locale."""
    text = f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def local_zone_name() -> str | None:
    """The IANA name of the local zone (``Europe/Madrid``) when the system tells it, else None."""
    import zoneinfo

    name = os.environ.get("TZ", "").lstrip(":")  # when set, TZ is the zone in force
    if not name:
        target = os.path.realpath("/etc/localtime")
        name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    try:
        return zoneinfo.ZoneInfo(name).key if name else None
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
