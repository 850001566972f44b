"""iCalendar items of a CalDAV vdir, read and written with the icalendar library (never by
hand): one VCALENDAR per file holding one item (a VTODO or a VJOURNAL, perhaps with overrides of
single occurrences under the same UID), as vdirsyncer stores them.

Writing keeps what crmcli does not own: an item is rewritten by setting the owned properties on
the component the phone last sent, so alarms, categories and X- properties a phone added
survive. Every TZID written gets its VTIMEZONE; a rule's UNTIL is in UTC when DTSTART has a
TZID (RFC 5545; Radicale refuses a rule it cannot expand).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crmcli.dates import FIRST_YEAR, LAST_YEAR, stamp
from crmcli.errors import InvalidInput

PRODID = "-//crmcli//crm sync//EN"
# VTIMEZONE definitions cover these years around an item (enough for a phone, short to store).
_ZONE_YEARS_BEFORE, _ZONE_YEARS_AFTER = 1, 5


@dataclass
class Item:
    """A vdir file: its calendar, the item's master component and the item's UID."""

    calendar: object  # icalendar.Calendar
    component: object  # icalendar.Component: the master (no RECURRENCE-ID)
    uid: str | None

    def text(self, name: str) -> str | None:
        """A text property, unescaped, or None when absent or empty."""
        value = self.component.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value not in (None, "") else None

    def moment(self, name: str) -> dt.date | dt.datetime | None:
        """A date or date-time property (aware when it has a TZID or is UTC; naive when
        floating), or None when absent or unreadable."""
        value = self.component.get(name)
        try:
            return value.dt if value is not None else None
        except AttributeError:
            return None


def parse(data: bytes, kind: str) -> Item:
    """The one ``kind`` item (VTODO, VJOURNAL) a file holds; InvalidInput says why not."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not an iCalendar file ({str(exc)[:120]})") from None
    components = [c for c in calendar.subcomponents if c.name == kind]
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    if len(masters) != 1:
        raise InvalidInput(f"holds {len(masters)} {kind} items; a vdir item holds one")
    uids = {str(c.get("UID")) for c in components if c.get("UID")}
    if len(uids) > 1:
        raise InvalidInput(f"holds {kind} items with {len(uids)} different UIDs")
    uid = str(masters[0].get("UID")) if masters[0].get("UID") else None
    for component in components:
        _check_years(component)
    return Item(calendar, masters[0], uid)


def _check_years(component) -> None:
    """A date crm would store must be one it accepts (years 1900 to 2200): beyond, writing the
    item back fails (no time zone rules reach the year 9999)."""
    for name in ("DTSTART", "DUE", "RECURRENCE-ID", "COMPLETED"):
        value = getattr(component.get(name), "dt", None)
        if isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            day = value.date() if isinstance(value, dt.datetime) else value
            raise InvalidInput(f"{name} {day} is out of range; only dates from {FIRST_YEAR} to "
                               f"{LAST_YEAR} are accepted")


def new(kind: str, uid: str) -> Item:
    """An empty item of ``kind`` under ``uid``, in a calendar of its own."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    component = icalendar.Todo() if kind == "VTODO" else icalendar.Journal()
    component.add("uid", uid)
    calendar.add_component(component)
    return Item(calendar, component, uid)


def replace(item: Item, name: str, value: object, parameters: dict | None = None) -> None:
    """Set property ``name`` to ``value`` (None removes it), replacing what was there. A date
    is written as a DATE, an aware date-time in a named zone with its TZID, a UTC one with Z."""
    item.component.pop(name, None)
    if value is not None and value != "":
        item.component.add(name, value, parameters=parameters)


def set_rule(item: Item, rule: str | None) -> None:
    """RRULE from its text (``FREQ=WEEKLY;INTERVAL=2``), its UNTIL made UTC when DTSTART has
    a zone."""
    import icalendar

    if rule is None:
        replace(item, "RRULE", None)
        return
    recur = icalendar.vRecur.from_ical(rule)
    start = item.moment("DTSTART")
    until = recur.get("UNTIL")
    if until and isinstance(start, dt.datetime) and start.tzinfo is not None:
        recur["UNTIL"] = [_utc(value, start.tzinfo) for value in until]
    replace(item, "RRULE", recur)


def _utc(value: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def touch(item: Item, now: dt.datetime) -> None:
    """DTSTAMP and LAST-MODIFIED at ``now`` (what a reader takes as this version's time)."""
    moment = now.astimezone(dt.UTC).replace(microsecond=0)
    replace(item, "DTSTAMP", moment)
    replace(item, "LAST-MODIFIED", moment)


def serialize(item: Item) -> bytes:
    """The file's bytes, with a VTIMEZONE for every TZID its items use."""
    years = [value.year for value in _moments(item.calendar)] or [2000]
    for component in list(item.calendar.subcomponents):
        if component.name == "VTIMEZONE":
            item.calendar.subcomponents.remove(component)
    item.calendar.add_missing_timezones(
        first_date=dt.date(min(years) - _ZONE_YEARS_BEFORE, 1, 1),
        last_date=dt.date(max(years) + _ZONE_YEARS_AFTER, 1, 1))
    # VTIMEZONEs first, as readers expect them before the items that use them.
    zones = [c for c in item.calendar.subcomponents if c.name == "VTIMEZONE"]
    others = [c for c in item.calendar.subcomponents if c.name != "VTIMEZONE"]
    item.calendar.subcomponents[:] = zones + others
    return item.calendar.to_ical()


def _moments(calendar) -> list[dt.datetime]:
    found = []
    for component in calendar.subcomponents:
        for name in ("DTSTART", "DUE", "RECURRENCE-ID"):
            value = component.get(name)
            moment = getattr(value, "dt", None)
            if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
                found.append(moment)
    return found


def last_modified(item: Item) -> str | None:
    """LAST-MODIFIED (else DTSTAMP) as a UTC stamp ``2026-11-22T09:01:00Z``, when present."""
    for name in ("LAST-MODIFIED", "DTSTAMP"):
        value = item.moment(name)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            return stamp(value)
    return None
