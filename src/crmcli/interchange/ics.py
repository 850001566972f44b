"""Follow-ups, and optionally birthdays, as iCalendar (RFC 5545) for calendar apps:
``crm export --format ics``.

Each open follow-up is a VEVENT: an all-day event on its day, or a half-hour event at its hour
in the local zone, written with its name and VTIMEZONE so that the calendar, not a fixed
offset, handles daylight saving (or in floating local time when the zone has no name). A
recurring follow-up on a fixed schedule carries its RRULE; one that counts from when it is
done cannot be a rule, so it is written once and its description says how it repeats.
Birthdays and anniversaries are yearly all-day events; a 29 February one falls on the last day
of February in other years.
"""

from __future__ import annotations

import datetime as dt
import json
from sqlite3 import Connection
from typing import TextIO

from crmcli import followups, recurrence
from crmcli.dates import local_zone_name
from crmcli.models import PartialDate

PRODID = "-//crmcli//crm export//EN"
_TIMED_LENGTH = dt.timedelta(minutes=30)


def write_calendar(db: Connection, contact_ids: list[int], stream: TextIO,
                   birthdays: bool = False, today: dt.date | None = None) -> int:
    """Write the open follow-ups of ``contact_ids`` (and their birthdays and anniversaries)
    as one VCALENDAR; returns how many events it holds. Yearless dates start in the year of
    ``today``."""
    import vobject

    calendar = vobject.iCalendar()
    calendar.add("prodid").value = PRODID
    calendar.add("x-wr-calname").value = "crm follow-ups"
    zone = _zone()
    count = 0
    for item in followups.entries(db, contact_ids):
        _add_followup(calendar, item, zone)
        count += 1
    if birthdays:
        year = (today or dt.date.today()).year
        for uid, name, kind, date in _occasions(db, contact_ids):
            _add_occasion(calendar, uid, name, kind, date, year)
            count += 1
    stream.write(calendar.serialize())
    return count


def _zone() -> dt.tzinfo | None:
    """The local zone under its IANA name (vobject writes that as the TZID), or None."""
    from dateutil import tz

    name = local_zone_name()
    if name is None:
        return None
    zone = tz.gettz.nocache(name)  # a private instance: the TZID attribute is vobject's cue
    zone.tzid = name
    return zone


def _add_followup(calendar, item: followups.Entry, zone: dt.tzinfo | None) -> None:
    from dateutil import tz

    followup = item.followup
    moment = dt.datetime.fromisoformat(followup.due_at).astimezone(zone or tz.tzlocal())
    wall = moment if zone else moment.replace(tzinfo=None)
    event = calendar.add("vevent")
    event.add("uid").value = f"followup-{followup.id}@crmcli"
    event.add("dtstamp").value = dt.datetime.now(tz.UTC).replace(microsecond=0)
    if followup.has_time:
        event.add("dtstart").value = wall
        event.add("dtend").value = wall + _TIMED_LENGTH
    else:
        event.add("dtstart").value = wall.date()
        event.add("dtend").value = wall.date() + dt.timedelta(days=1)
    event.add("summary").value = f"{followup.body or 'Follow up'} ({item.contact_name})"
    details = [f"Follow up with {item.contact_name}"
               + (f" ({item.company})" if item.company else "")]
    if item.deal_title:
        details.append(f"Deal: {item.deal_title}")
    if followup.rule:
        rule = recurrence.parse_rule(followup.rule)
        if followup.from_done:
            details.append(f"Repeats {recurrence.describe(rule)}, counting from when it is done")
        else:
            event.add("rrule").value = recurrence.ical_rrule(rule, wall.replace(tzinfo=None))
    details.append(f"crm follow-up {followup.id}")
    event.add("description").value = "\n".join(details)


def _occasions(db: Connection, contact_ids: list[int]):
    """(uid, name, kind, date) of every birthday and anniversary of ``contact_ids``."""
    rows = db.execute(
        "SELECT uid, name, birthday, anniversary FROM contacts WHERE deleted_at IS NULL"
        " AND id IN (SELECT value FROM json_each(?))"
        " AND (birthday IS NOT NULL OR anniversary IS NOT NULL) ORDER BY name_folded, id",
        [json.dumps(contact_ids)])
    for uid, name, *dates in rows:
        for kind, text in zip(("birthday", "anniversary"), dates, strict=True):
            if text:
                yield uid, name, kind, PartialDate.from_storage(text)


def _add_occasion(calendar, uid: str, name: str, kind: str, date: PartialDate, year: int
                  ) -> None:
    """A yearly all-day event from the date, or from ``year`` when the date has none."""
    from dateutil import tz

    from crmcli.dates import next_occurrence

    start = (dt.date(date.year, date.month, date.day) if date.year
             else next_occurrence(date, dt.date(year, 1, 1)))
    event = calendar.add("vevent")
    event.add("uid").value = f"{kind}-{uid}@crmcli"
    event.add("dtstamp").value = dt.datetime.now(tz.UTC).replace(microsecond=0)
    event.add("dtstart").value = start
    event.add("dtend").value = start + dt.timedelta(days=1)
    event.add("summary").value = f"{name}'s {kind}"
    event.add("transp").value = "TRANSPARENT"
    leap_day = (date.month, date.day) == (2, 29)
    event.add("rrule").value = ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1" if leap_day
                                else "FREQ=YEARLY")
    if date.year:
        event.add("description").value = (f"Born in {date.year}" if kind == "birthday"
                                          else f"Since {date.year}")
