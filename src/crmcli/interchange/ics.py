"""Follow-ups, and optionally birthdays, as iCalendar (RFC 5545) for calendar apps:
``crm export --format ics``.

Each open follow-up is a VEVENT under its series' UID (every occurrence of a recurring one
shares it, so a subscribed calendar sees one event moving forward): an all-day event on its
day, or a half-hour event at its hour in the local zone, written with its name and VTIMEZONE
so that the calendar, not a fixed offset, handles daylight saving (or in floating local time
when the zone has no name). A recurring follow-up on a fixed schedule carries its RRULE; one
that counts from when it is done cannot be a rule, so it is written once and its description
says how it repeats.
Birthdays and anniversaries are yearly all-day events; a 29 February one falls on the last day
of February in other years.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from sqlite3 import Connection
from typing import TextIO

from crmcli import followups, recurrence
from crmcli.errors import InvalidInput
from crmcli.models import PartialDate
from crmcli.normalize import fold

PRODID = "-//crmcli//crm export//EN"
UID_SUFFIX = "@crmcli"
CALENDAR_NAME = "crm follow-ups"
OCCASION_BATCH = 500
_TIMED_LENGTH = dt.timedelta(minutes=30)


def write_calendar(db: Connection, contact_ids: list[int] | None, stream: TextIO,
                   birthdays: bool, now: dt.datetime, without_contact: bool = False
                   ) -> tuple[int, list[str]]:
    """Write the open follow-ups of ``contact_ids`` (None: of every live contact; and their
    birthdays and anniversaries; with ``without_contact``, the follow-ups about nobody too) as
    one VCALENDAR, at ``now`` (aware, in the zone of timed items typed in no named zone).
    Returns how many events it holds and what it could not write (``follow-up 12``: a stored
    date no calendar can hold). Yearless dates start in the year of ``now``.

    The calendar is written as it is read: its head and the VTIMEZONE of every zone its
    events use (found by a first pass over the follow-ups), then one event at a time, then
    its end; memory stays flat however many events it holds. Both passes read one snapshot:
    a follow-up written in between would otherwise name a zone the head has no VTIMEZONE for."""
    head, end = _frame(CALENDAR_NAME)
    own_snapshot = not db.in_transaction
    if own_snapshot:
        db.execute("BEGIN")
    try:
        zones = _zones_used(followups.entries(db, contact_ids, without_contact=without_contact),
                            now.tzinfo)
        stream.write(head + "".join(map(_zone_text, zones)))
        count, skipped = 0, []
        for label, text, _uid, _zone in events(db, contact_ids, birthdays, now, without_contact):
            if text is None:
                skipped.append(label)
            else:
                stream.write(text)
                count += 1
    finally:
        if own_snapshot and db.in_transaction:
            db.execute("COMMIT")
    stream.write(end)
    return count, skipped


def calendars(db: Connection, contact_ids: list[int] | None, birthdays: bool, now: dt.datetime,
              without_contact: bool = False) -> Iterator[tuple[str, str | None]]:
    """One VCALENDAR per event, for a vdir (khal reads one): (file name stem, text), the text
    None for what could not be written (then the stem is a label such as ``follow-up 12``)."""
    head, end = _frame()
    for label, text, uid, zone in events(db, contact_ids, birthdays, now, without_contact):
        if text is None:
            yield label, None
            continue
        yield _stem(uid), head + (_zone_text(zone) if zone else "") + text + end


def _frame(name: str | None = None) -> tuple[str, str]:
    """The text of a VCALENDAR before its components and after them."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    if name:
        calendar.add("x-wr-calname", name)
    text = calendar.to_ical().decode()
    end = "END:VCALENDAR\r\n"
    return text.removesuffix(end), end


def _zones_used(entries: Iterable[followups.Entry], export_zone: dt.tzinfo) -> list[str]:
    """The names of the zones the timed follow-ups are written in, in the order of first use."""
    names = (getattr(followups.own_zone(item.followup, export_zone), "key", None)
             for item in entries if item.followup.has_time)
    return [name for name in dict.fromkeys(names) if name]


@functools.lru_cache(maxsize=64)
def _zone_text(name: str) -> str:
    """The VTIMEZONE of the zone called ``name`` as vobject writes it: its rules from 2000 on,
    as RRULEs that hold for every later year. (icalendar lists each change up to a last year
    instead, which vobject reads wrongly.)"""
    from dateutil import tz
    from vobject.icalendar import TimezoneComponent

    zone = tz.gettz.nocache(name)  # a private instance: the TZID attribute is vobject's cue
    zone.tzid = name
    return TimezoneComponent(tzinfo=zone).serialize()


def _stem(uid: str) -> str:
    """A file name stem for a UID: crm's own without their suffix, any other made safe."""
    import re

    return re.sub(r"[^A-Za-z0-9._@-]", "-", uid.removesuffix(UID_SUFFIX))[:200]


def is_own_file(path: Path) -> bool:
    """Whether a vdir file holds the event crm wrote under that name (its UID says so)."""
    try:
        return f"UID:{path.stem}{UID_SUFFIX}" in path.read_text("utf-8", errors="replace")
    except OSError:
        return False


def events(db: Connection, contact_ids: list[int] | None, birthdays: bool, now: dt.datetime,
           without_contact: bool = False):
    """(label, VEVENT text, UID, TZID or None) of each follow-up (and occasion); the text is
    None when its stored date is beyond what a calendar can hold."""
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    for item in followups.entries(db, contact_ids, without_contact=without_contact):
        yield _made(f"follow-up {item.followup.id}",
                    lambda item=item: _written(_followup_event(item, now.tzinfo, stamp)))
    if birthdays:
        for uid, name, kind, date in _occasions(db, contact_ids):
            yield _made(f"{name}'s {kind}",
                        lambda o=(uid, name, kind, date): _occasion(*o, now.year, stamp))


def _made(label: str, make) -> tuple:
    try:
        return (label, *make())
    except (ValueError, OverflowError, InvalidInput):  # a stored date or rule beyond repair
        return label, None, None, None


def _written(event) -> tuple[str, str, str | None]:
    """An icalendar event's text, UID and zone."""
    return event.to_ical().decode(), str(event["UID"]), event["DTSTART"].params.get("TZID")


def _named_zone(zone: dt.tzinfo) -> dt.tzinfo | None:
    """``zone`` when it has an IANA name (icalendar writes that as the TZID), else None (then
    times are floating)."""
    return zone if getattr(zone, "key", None) else None


def _followup_event(item: followups.Entry, export_zone: dt.tzinfo, stamp: dt.datetime):
    """The VEVENT of a follow-up: all-day on its date, or half an hour at its time in the zone
    it was typed in. A recurring one starts on a day its rule gives (DTSTART must match the
    RRULE); an occurrence moved off the rule (snoozed) is kept as an RDATE."""
    import icalendar

    followup = item.followup
    zone = followups.own_zone(followup, export_zone)
    moment = followups.due_moment(followup, zone)
    start = moment if _named_zone(zone) else moment.replace(tzinfo=None)
    event = icalendar.Event()
    event.add("uid", followup.uid or f"followup-{followup.id}{UID_SUFFIX}")
    event.add("dtstamp", stamp)
    rule = recurrence.parse_rule(followup.rule) if followup.rule else None
    first = start
    if rule and not followup.from_done:
        first = recurrence.calendar_start(rule, start)
        event.add("rrule", icalendar.vRecur.from_ical(recurrence.ical_rrule(rule, first)))
    _add_span(event, first, followup.has_time)
    if first != start:
        event.add("rdate", [start if followup.has_time else start.date()])
    who = f" ({item.contact_name})" if followup.contact_id is not None else ""
    event.add("summary", f"{followup.body or 'Follow up'}{who}")
    event.add("description", "\n".join(_details(item, rule)))
    return event


def _add_span(event, start: dt.datetime, has_time: bool) -> None:
    """DTSTART and DTEND: half an hour at ``start``, or its whole day."""
    if has_time:
        event.add("dtstart", start)
        event.add("dtend", start + _TIMED_LENGTH)
    else:
        event.add("dtstart", start.date())
        event.add("dtend", start.date() + dt.timedelta(days=1))


def _details(item: followups.Entry, rule: recurrence.Rule | None) -> list[str]:
    followup = item.followup
    details = [f"Follow up with {item.contact_name}"
               + (f" ({item.company})" if item.company else "")
               if followup.contact_id is not None else "Not about anyone in the book"]
    if item.deal_title:
        details.append(f"Deal: {item.deal_title}")
    if rule and followup.from_done:
        details.append(f"Repeats {recurrence.describe(rule)}, counting from when it is done")
    details.append(f"crm follow-up {followup.id}")
    return details


def _occasions(db: Connection, contact_ids: list[int] | None):
    """(uid, name, kind, date) of every birthday and important date of ``contact_ids`` (None:
    of every live contact), by name; read OCCASION_BATCH people at a time."""
    from crmcli.important_dates import occasion_rows

    chosen = ("" if contact_ids is None else
              " AND id IN (SELECT value FROM json_each(:ids))")
    people = db.execute(
        "SELECT id, uid, name, birthday FROM contacts WHERE deleted_at IS NULL"
        f"{chosen} ORDER BY name_folded, id", {"ids": json.dumps(contact_ids)})
    while batch := people.fetchmany(OCCASION_BATCH):
        dates: dict[int, list] = {}
        ids = json.dumps([row[0] for row in batch])
        for contact_id, label, text in occasion_rows(db, ids):
            dates.setdefault(contact_id, []).append((label, text))
        for contact_id, uid, name, birthday in batch:
            found = [("birthday", birthday)] if birthday else []
            for kind, text in found + sorted(dates.get(contact_id, [])):
                yield uid, name, kind, PartialDate.from_storage(text)


def _occasion(uid: str, name: str, kind: str, date: PartialDate, year: int,
              stamp: dt.datetime) -> tuple[str, str, None]:
    """The text and UID of a yearly all-day event from the date, or from ``year`` when the
    date has none: written directly when it is plain, else through icalendar."""
    from crmcli.dates import next_occurrence

    start = (dt.date(date.year, date.month, date.day) if date.year
             else next_occurrence(date, dt.date(year, 1, 1)))
    event_uid = f"{_uid_word(kind)}-{uid}{UID_SUFFIX}"
    text = _plain_occasion(event_uid, f"{name}'s {kind}", _yearly(date), _since(kind, date),
                           start, stamp)
    if text is None:
        text = _occasion_event(event_uid, name, kind, date, start, stamp).to_ical().decode()
    return text, event_uid, None


def _occasion_event(uid: str, name: str, kind: str, date: PartialDate, start: dt.date,
                    stamp: dt.datetime):
    import icalendar

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    _add_span(event, dt.datetime.combine(start, dt.time()), False)
    event.add("summary", f"{name}'s {kind}")
    event.add("transp", "TRANSPARENT")
    event.add("rrule", icalendar.vRecur.from_ical(_yearly(date)))
    if date.year:
        event.add("description", _since(kind, date))
    return event


def _yearly(date: PartialDate) -> str:
    """Every year; a 29 February on the last day of February."""
    leap_day = (date.month, date.day) == (2, 29)
    return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1" if leap_day else "FREQ=YEARLY"


def _since(kind: str, date: PartialDate) -> str | None:
    if not date.year:
        return None
    return f"Born in {date.year}" if kind == "birthday" else f"Since {date.year}"


def _plain_occasion(uid: str, summary: str, rule: str, description: str | None,
                    start: dt.date, stamp: dt.datetime) -> str | None:
    """The text icalendar writes for ``_occasion_event``, without building it (its objects
    cost about 0.15 ms an event: most of a million contacts' birthdays), when no value needs
    escaping and no line folding; else None. tests/test_ics.py compares the two."""
    lines = [f"SUMMARY:{summary}", f"DTSTART;VALUE=DATE:{_day(start)}",
             f"DTEND;VALUE=DATE:{_day(start + dt.timedelta(days=1))}", _stamp_line(stamp),
             f"UID:{uid}", _rule_line(rule),
             *([f"DESCRIPTION:{description}"] if description else []), "TRANSP:TRANSPARENT"]
    if not (_plain(summary) and _plain(uid)) or any(
            len(line.encode()) >= _FOLD_AT for line in lines[:1] + lines[4:5]):
        return None  # the other lines are short
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


_FOLD_AT = 75  # icalendar folds a line of 75 octets or more
_ESCAPED = frozenset("\\;,")


def _plain(text: str) -> bool:
    """Whether icalendar writes ``text`` as a TEXT value as it is."""
    return text.isprintable() and _ESCAPED.isdisjoint(text)


def _day(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@functools.lru_cache(maxsize=4)
def _stamp_line(stamp: dt.datetime) -> str:
    import icalendar

    return "DTSTAMP:" + icalendar.vDDDTypes(stamp).to_ical().decode()


@functools.lru_cache(maxsize=4)
def _rule_line(rule: str) -> str:
    import icalendar

    return "RRULE:" + icalendar.vRecur.from_ical(rule).to_ical().decode()


def _uid_word(kind: str) -> str:
    """birthday and anniversary as they are; another date's label as ``date-`` and its
    letters and digits (with a digest of the label when that drops anything)."""
    if kind in ("birthday", "anniversary"):
        return kind
    word = re.sub(r"[^a-z0-9]+", "-", fold(kind)).strip("-")
    if word != fold(kind):
        word += "-" + hashlib.sha1(kind.encode()).hexdigest()[:8]
    return f"date-{word}"
