"""Recurrence rules of follow-ups, as typed after ``--every``, turned into dateutil rrules.

The rule language (case-insensitive, an optional leading "every"):
    3d, 2w, 2 weeks, month, 2 months, 3m, year, daily, weekly, fortnightly, monthly,
    quarterly, yearly; month on 31, 1y on 29 feb; 1st mon, 2nd tue, last fri (in every
    month); weekdays; mon,thu; any of them followed by a time of day: 1d at 02:30
Occurrences are computed in local wall time and only then given the zone, so a daylight-saving
change never moves a 9:00 reminder. A monthly or yearly rule is anchored on the day of the date
it was set for, kept in the stored text (``1m on 31``, ``1y on 29 feb``) so that neither a short
month nor a snooze moves it: on a day some months lack it falls on their last day. A timed
series keeps its time of day the same way (``1d at 02:30``): on the night 02:30 does not exist
that occurrence falls at the instant 02:30 gives (03:30, as RFC 5545 says), and the next one
is at 02:30 again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from crmcli.errors import InvalidInput, capped, shown

_FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
_UNIT_FREQ = {"d": "daily", "w": "weekly", "m": "monthly", "y": "yearly"}
_UNIT_WORDS = {"d": "d", "day": "d", "days": "d", "w": "w", "week": "w", "weeks": "w",
               "m": "m", "month": "m", "months": "m", "y": "y", "year": "y", "years": "y"}
_ALIASES = {"daily": "1d", "weekly": "1w", "fortnight": "2w", "fortnightly": "2w",
            "monthly": "1m", "quarter": "3m", "quarterly": "3m", "yearly": "1y",
            "annually": "1y", "weekday": "weekdays", "workdays": "weekdays"}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = {"1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3, "4th": 4,
             "fourth": 4, "5th": 5, "fifth": 5, "last": -1}
_ORDINAL_WORDS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
_LONGEST = {"d": 36500, "w": 5200, "m": 1200, "y": 100}
_TIME_OF_DAY = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_INTERVAL = re.compile(r"([0-9]*)\s*([a-z]+)(?: on (\d{1,2})(?: ([a-z]{3}))?)?")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EXAMPLES = ("2w, 3d, month, 2 months, month on 31, year, 1st mon, last fri, weekdays, "
             "mon,thu")


@dataclass(frozen=True)
class Rule:
    """A parsed rule. ``weekdays`` holds (weekday 0=Monday..6, nth in the month or None)."""

    text: str  # the canonical form, as stored: "2w", "1m", "1st mon", "weekdays", "mon,thu"
    freq: str  # daily, weekly, monthly or yearly
    interval: int = 1
    weekdays: tuple[tuple[int, int | None], ...] = ()
    day: int | None = None  # monthly and yearly: the anchor day of the month
    month: int | None = None  # yearly: the anchor month
    at: dt.time | None = None  # a timed series: its time of day


def parse_rule(text: str) -> Rule:
    """Read a rule typed by a person; raises InvalidInput with examples when it is not one."""
    value = " ".join(text.lower().split()).removeprefix("every ").strip()
    head, at_word, time_of_day = value.partition(" at ")
    head = _ALIASES.get(head, head)
    rule = _interval_rule(head) or _nth_weekday_rule(head) or _weekday_rule(head)
    at = _time_of_day(time_of_day) if at_word else None
    if rule is None or (at_word and at is None):
        raise InvalidInput(f"{shown(text)} is not a recurrence rule; try: {_EXAMPLES}")
    return timed(rule, at)


def _time_of_day(text: str) -> dt.time | None:
    """``02:30`` or ``02:30:15`` (the stored forms), else None."""
    match = _TIME_OF_DAY.fullmatch(text)
    try:
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0)) if match else None
    except ValueError:
        return None


def timed(rule: Rule, at: dt.time | None) -> Rule:
    """The rule held at the time of day ``at`` (None: untimed, as all-day series are)."""
    base = rule.text.split(" at ")[0]
    if at is None:
        return replace(rule, text=base, at=None)
    shown_at = at.isoformat(timespec="seconds" if at.second else "minutes")
    return replace(rule, text=f"{base} at {shown_at}", at=at.replace(microsecond=0, fold=0))


def held_at(rule: Rule, moment: dt.datetime) -> Rule:
    """The rule held at the time of day of ``moment`` (wall time, in the series' zone) unless it
    names its own: a series at 02:30 is due at 03:30 on the night 02:30 does not exist, and
    stays a series at 02:30."""
    return rule if rule.at is not None else timed(rule, moment.time())


def _interval_rule(value: str) -> Rule | None:
    match = _INTERVAL.fullmatch(value)
    if not match or match[2] not in _UNIT_WORDS:
        return None
    unit = _UNIT_WORDS[match[2]]
    interval = capped(match[1], _LONGEST[unit]) if match[1] else 1
    if not 1 <= interval <= _LONGEST[unit]:
        raise InvalidInput(f"{shown(value)} is not a recurrence rule: the interval must be from 1 "
                           f"to {_LONGEST[unit]} (a century)")
    rule = Rule(f"{interval}{unit}", _UNIT_FREQ[unit], interval)
    if match[3] is None:
        return rule
    month = _MONTHS.index(match[4]) + 1 if match[4] in _MONTHS else None
    if (unit == "y") != (month is not None) or unit not in "my":
        return None
    try:
        dt.date(2000, month or 1, int(match[3]))
    except ValueError:
        return None
    return _anchored(rule, int(match[3]), month)


def anchor(rule: Rule, wall: dt.datetime) -> Rule:
    """The rule tied to the day (and month) of ``wall`` when it repeats by months or years."""
    if rule.weekdays or rule.freq not in ("monthly", "yearly"):
        return rule
    base = Rule(f"{rule.interval}{rule.freq[0]}", rule.freq, rule.interval)
    return timed(_anchored(base, wall.day, wall.month if rule.freq == "yearly" else None),
                 rule.at)


def _anchored(rule: Rule, day: int, month: int | None) -> Rule:
    suffix = f" on {day}" + (f" {_MONTHS[month - 1]}" if month else "")
    return Rule(rule.text + suffix, rule.freq, rule.interval, day=day, month=month)


def _nth_weekday_rule(value: str) -> Rule | None:
    words = value.removesuffix(" of the month").split()
    if len(words) != 2 or words[0] not in _ORDINALS:
        return None
    day = _weekday_number(words[1])
    if day is None:
        return None
    nth = _ORDINALS[words[0]]
    return Rule(f"{_ORDINAL_WORDS[nth]} {_DAYS[day][:3]}", "monthly", 1, ((day, nth),))


def _weekday_rule(value: str) -> Rule | None:
    if value == "weekdays":
        return Rule("weekdays", "weekly", 1, tuple((day, None) for day in range(5)))
    names = [name for name in re.split(r"\s*(?:,|\band\b)\s*", value) if name]
    days = [_weekday_number(name) for name in names]
    if not days or None in days:
        return None
    unique = sorted(set(days))
    return Rule(",".join(_DAYS[day][:3] for day in unique), "weekly", 1,
                tuple((day, None) for day in unique))


def _weekday_number(name: str) -> int | None:
    matches = [i for i, day in enumerate(_DAYS) if len(name) >= 3 and day.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def describe(rule: Rule) -> str:
    """The rule in words: ``every 2 weeks``, ``the 1st Monday of every month at 09:00``."""
    words = _day_words(rule)
    return f"{words} at {rule.text.split(' at ')[1]}" if rule.at else words


def _day_words(rule: Rule) -> str:
    if rule.text.split(" at ")[0] == "weekdays":
        return "every weekday"
    if rule.weekdays and rule.weekdays[0][1] is not None:
        day, nth = rule.weekdays[0]
        return f"the {_ORDINAL_WORDS[nth]} {_DAYS[day].title()} of every month"
    if rule.weekdays:
        return "every " + ", ".join(_DAYS[day].title() for day, _ in rule.weekdays)
    unit = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}[rule.freq]
    every = f"every {unit}" if rule.interval == 1 else f"every {rule.interval} {unit}s"
    if rule.month:
        return f"{every} on {rule.day} {_MONTHS[rule.month - 1].title()}"
    return f"{every} on day {rule.day}" if rule.day else every


def _rrule_arguments(rule: Rule, anchor: dt.datetime) -> dict:
    """Keyword arguments of dateutil's rrule for ``rule`` starting at ``anchor``."""
    from dateutil import rrule as r

    arguments: dict = {"freq": getattr(r, rule.freq.upper()), "interval": rule.interval}
    if rule.weekdays:
        arguments["byweekday"] = [r.weekday(day, nth) for day, nth in rule.weekdays]
    elif rule.freq in ("monthly", "yearly"):
        day = rule.day or anchor.day
        if rule.freq == "yearly":
            arguments["bymonth"] = rule.month or anchor.month
        if day > 28:  # the last of 28..day that the month has: 31 Jan -> 28 Feb -> 31 Mar
            arguments["bymonthday"] = tuple(range(28, day + 1))
            arguments["bysetpos"] = -1
        else:
            arguments["bymonthday"] = day
    return arguments


def series(rule: Rule, anchor: dt.datetime):
    """The rrule of ``rule`` from ``anchor``, a naive local wall time; a timed rule's
    occurrences are at its time of day, whatever the anchor's."""
    from dateutil.rrule import rrule

    arguments = _rrule_arguments(rule, anchor)
    if rule.at is not None:
        arguments.update(byhour=rule.at.hour, byminute=rule.at.minute, bysecond=rule.at.second)
    return rrule(dtstart=anchor, **arguments)


def first(rule: Rule, moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) if its day is one the rule gives, else the rule's first occurrence
    after it, so a series never starts on a day its rule excludes (``mon,thu`` typed on a
    Friday starts on Monday); an hour other than the rule's, typed or snoozed to, stays."""
    start = calendar_start(rule, moment.replace(hour=0, minute=0, second=0, microsecond=0))
    return moment if start.date() == moment.date() else start


def calendar_start(rule: Rule, moment: dt.datetime) -> dt.datetime:
    """Where a calendar's series of ``rule`` starts, due at ``moment`` (aware): the rule's
    first occurrence on or after it, at the rule's time of day. An RRULE repeats DTSTART's
    time, so an occurrence at another hour (typed or snoozed to) cannot be DTSTART."""
    wall = moment.replace(tzinfo=None)
    found = series(rule, wall).after(wall, inc=True)
    return moment if found is None or found == wall else found.replace(tzinfo=moment.tzinfo)


def next_due(rule: Rule, due: dt.datetime, now: dt.datetime, from_done: bool) -> dt.datetime:
    """When the occurrence after ``due`` falls, the current one having been done at ``now``.

    A fixed schedule gives the first occurrence after the one of ``due``'s day that is not
    before today (occurrences missed while it was overdue are skipped; one snoozed to another
    hour does not come back the same day). ``from_done`` counts from the day it was done
    instead. Both are at the rule's time of day, else ``due``'s; aware, in the local zone.
    """
    zone = now.tzinfo
    wall = due.astimezone(zone).replace(tzinfo=None)
    at = rule.at or wall.time()
    today_start = dt.datetime.combine(now.date(), dt.time())
    if from_done:
        start = dt.datetime.combine(now.date(), at)
        following = series(replace(rule, day=None, month=None), start).after(start)
    else:
        occurrence = dt.datetime.combine(wall.date(), at)
        schedule = series(rule, occurrence)
        following = schedule.after(occurrence)
        if following < today_start:
            following = schedule.after(today_start, inc=True)
    return following.replace(tzinfo=zone)


def ical_rrule(rule: Rule, anchor: dt.datetime) -> str:
    """The iCalendar RRULE value of ``rule`` from ``anchor``: ``FREQ=WEEKLY;INTERVAL=2``."""
    from dateutil.rrule import rrule

    text = str(rrule(dtstart=anchor.replace(tzinfo=None), **_rrule_arguments(rule, anchor)))
    return text.split("RRULE:", 1)[1]
