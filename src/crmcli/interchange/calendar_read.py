"""Reading an iCalendar file (RFC 5545) for ``crm import-calendar``: its events' occurrences
inside a window, as :class:`crmcli.meetings.Occurrence`.

``icalendar`` parses the file and ``recurring-ical-events`` expands repeating events (RRULE,
RDATE, EXDATE, moved or cancelled occurrences given as RECURRENCE-ID overrides). Times become
the configured zone: a time with a TZID or in UTC keeps its instant, a floating time is read
in the configured zone, and an all-day event spans local midnights. An attendee who declined
is left out. An event without a UID is known by a hash of its content, as khal and vdirsyncer
know one; an event that ends before it starts or whose rule has COUNT=0 is reported and
skipped, as khal skips them.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from itertools import islice
from typing import BinaryIO

from crmcli.errors import InvalidInput
from crmcli.meetings import Occurrence

MAX_BYTES = 64 << 20
MAX_OCCURRENCES = 1_000  # of one event inside the window; later ones are left out


def read(stream: BinaryIO, name: str, window: tuple[dt.datetime, dt.datetime],
         zone: dt.tzinfo) -> tuple[str | None, list[Occurrence], list[str]]:
    """The calendar's own name (X-WR-CALNAME), the occurrences starting inside ``window``
    (aware datetimes), and warnings (events skipped). InvalidInput when ``stream`` holds no
    calendar."""
    calendars = _parse(stream.read(MAX_BYTES + 1), name)
    occurrences: list[Occurrence] = []
    warnings: list[str] = []
    for calendar in calendars:
        warnings += _without_broken_events(calendar, name, zone)
        events = calendar.walk("VEVENT")
        unnamed = _named_by_content(events)
        for event in events:
            _start_near(event, window[0])
        repeating = {str(event.get("UID")) for event in events
                     if any(key in event for key in ("RRULE", "RDATE", "RECURRENCE-ID"))}
        for event in _expanded(calendar, window, name, warnings):
            uid = str(event.get("UID"))
            occurrence = _occurrence(event, uid, uid in repeating, zone)
            if uid in unnamed:
                warnings.append(f"{name}: event {unnamed.pop(uid)!r} at "
                                f"{occurrence.start.isoformat(timespec='minutes')} has no UID; "
                                "known by a hash of its content, so a change to it makes it a "
                                "new event")
            occurrences.append(occurrence)
    own_name = next((text for c in calendars if (text := _text(c.get("X-WR-CALNAME")))), None)
    return own_name, occurrences, warnings


def _named_by_content(events) -> dict[str, str]:
    """Give each event without a UID one made from its content but DTSTAMP (which a published
    calendar renews at every download), as khal does: the same event imported again is
    known again. Returns those UIDs with their events' summaries."""
    import hashlib

    named = {}
    for event in events:
        if not str(event.get("UID") or "").strip():
            event.pop("DTSTAMP", None)
            event.pop("UID", None)
            uid = hashlib.sha256(event.to_ical()).hexdigest()
            event.add("UID", uid)
            named[uid] = _summary(event)
    return named


def _without_broken_events(calendar, name: str, zone: dt.tzinfo) -> list[str]:
    """Drop the events with no DTSTART, a property that cannot be read (a DTSTART that is
    no date), an end before their start or no occurrence at all; a warning for each."""
    warnings, kept = [], []
    for component in calendar.subcomponents:
        problem = _problem(component, zone) if component.name == "VEVENT" else None
        if problem:
            shown = str(component.get("UID", "")) or _summary(component)
            warnings.append(f"{name}: event {shown!r}: {problem}; skipped")
        else:
            kept.append(component)
    calendar.subcomponents = kept
    return warnings


# Rules repeating this often make no meetings, only millions of occurrences to expand.
_TOO_FREQUENT = {"SECONDLY": "second", "MINUTELY": "minute"}


def _problem(event, zone: dt.tzinfo) -> str | None:
    if event.errors:
        return f"{event.errors[0][0]} {event.errors[0][1]}"
    if "DTSTART" not in event:
        return "no DTSTART"
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        frequency = str((rule.get("FREQ") or [""])[0]).upper()
        if frequency in _TOO_FREQUENT:
            return f"repeats every {_TOO_FREQUENT[frequency]}: not a meeting"
        if isinstance(count := _first(rule.get("COUNT")), int) and count < 1:
            return f"its RRULE has COUNT={count}: it never takes place"
    start, length = event.decoded("DTSTART"), event.decoded("DURATION", dt.timedelta())
    try:
        if isinstance(start, dt.date) and isinstance(length, dt.timedelta):
            start + length  # the end, as the expansion works it out
    except OverflowError:
        return "DURATION is out of range"
    return _ends_before_start(event, start, length, zone)


def _ends_before_start(event, start, length, zone: dt.tzinfo) -> str | None:
    """Whether the event's DTEND or DURATION puts its end before its start."""
    if isinstance(length, dt.timedelta) and length < dt.timedelta():
        return "its DURATION is negative: it ends before it starts"
    end = event.decoded("DTEND") if "DTEND" in event else None
    if isinstance(start, dt.date) and isinstance(end, dt.date) and (
            _local(end, zone) < _local(start, zone)):
        return "its DTEND is before its DTSTART"
    return None


# Repeats so frequent that walking them from a DTSTART long ago is the cost of the import
# (an all-day event repeats by days at most).
_STEPS = {"HOURLY": dt.timedelta(hours=1), "DAILY": dt.timedelta(days=1)}
_DAY_STEPS = {"DAILY": dt.timedelta(days=1)}
# A rule of these parts alone makes one occurrence a repeat: its COUNT can be moved on too.
_ONE_A_REPEAT = {"FREQ", "INTERVAL", "COUNT", "WKST"}


def _start_near(event, first: dt.datetime) -> None:
    """Move the DTSTART (and DTEND) of an hourly or daily rule forward by whole repeats to
    a little before ``first``, which keeps its occurrences: dateutil walks every repeat from
    DTSTART, and an hourly rule from 1900 is a million of them before the window opens. A
    COUNT is lowered by the repeats moved over, when each repeat is one occurrence (no BY
    parts: BYHOUR=9,17 makes two a day); otherwise the rule is left as it is."""
    rule = event.get("RRULE")
    if not isinstance(rule, dict) or "RECURRENCE-ID" in event:
        return
    count = _first(rule.get("COUNT"))
    if count is not None and (not isinstance(count, int) or set(rule) - _ONE_A_REPEAT):
        return
    start = event.decoded("DTSTART")
    timed = isinstance(start, dt.datetime)
    step = (_STEPS if timed else _DAY_STEPS).get(str(_first(rule.get("FREQ")) or "").upper())
    interval = _first(rule.get("INTERVAL")) or 1
    if step is None or not isinstance(interval, int) or interval < 1:
        return
    end = event.decoded("DTEND") if "DTEND" in event else None
    if end is not None and not _alike(start, end):  # the event is left as it is
        return
    length = max(end - start, dt.timedelta()) if end is not None else dt.timedelta()
    if timed:
        local = first.astimezone(start.tzinfo) if start.tzinfo else first
        target = local.replace(tzinfo=None) - length - dt.timedelta(days=2)
        repeats = (target - start.replace(tzinfo=None)) // (step * interval)
    else:
        repeats = (first.date() - length - dt.timedelta(days=2) - start) // (step * interval)
    if count is not None:
        repeats = min(repeats, count - 1)  # the last occurrence stays: the rule is kept
    if repeats <= 0:
        return
    moved = step * interval * repeats
    for key, value in (("DTSTART", start), ("DTEND", end)):
        if value is not None:
            params = dict(event[key].params)
            event.pop(key)
            event.add(key, value + moved, parameters=params)
    if count is not None:
        rule["COUNT"] = [count - repeats]


def _alike(start, end) -> bool:
    """Whether DTSTART and DTEND are of one kind, two dates or two times in one zone (or
    both floating): only then does moving both by whole repeats keep every occurrence."""
    return type(start) is type(end) and (
        getattr(start, "tzinfo", None) == getattr(end, "tzinfo", None))


def _first(value):
    """A rule part's value: a list of them when the rule was parsed."""
    return value[0] if isinstance(value, list) and value else value


def _parse(data: bytes, name: str):
    from icalendar import Calendar

    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{name}: larger than {MAX_BYTES >> 20} MiB; not a calendar to import")
    if not data.strip():
        raise InvalidInput(f"{name}: empty; expected an iCalendar file (BEGIN:VCALENDAR)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text at byte {exc.start}; expected an "
                           "iCalendar file") from None
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise InvalidInput(f"{name}: not an iCalendar file (it does not start with "
                           "BEGIN:VCALENDAR)")
    try:
        found = Calendar.from_ical(text, multiple=True)  # several joined: a vdir's files
    except (ValueError, IndexError, KeyError, OSError) as exc:  # OSError: a TZID "Europe"
        raise InvalidInput(f"{name}: not a readable iCalendar file ({_first_line(exc)})"
                           ) from None
    calendars = [item for item in found if item.name == "VCALENDAR"]
    if not calendars:
        raise InvalidInput(f"{name}: not a readable iCalendar file (no complete "
                           "BEGIN:VCALENDAR ... END:VCALENDAR in it)")
    return calendars


def _expanded(calendar, window: tuple[dt.datetime, dt.datetime], name: str,
              warnings: list[str]) -> list:
    """The occurrences inside ``window``, at most MAX_OCCURRENCES of each event (a warning
    for one that had more): a rule repeating every hour made thousands of meetings. The
    occurrences past the limit are not made at all (the rule's dates still are)."""
    import recurring_ical_events

    kept = []
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        for series in query.series:
            with suppress(*query.suppressed_errors):
                found = list(islice(series.between(*window), MAX_OCCURRENCES + 1))
                if len(found) > MAX_OCCURRENCES:
                    warnings.append(f"{name}: event {str(series.uid)!r} repeats more than "
                                    f"{MAX_OCCURRENCES:,} times in the window; the first "
                                    f"{MAX_OCCURRENCES:,} were kept")
                kept += found[:MAX_OCCURRENCES]
        return [occurrence.as_component(False) for occurrence in kept]
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise InvalidInput(f"{name}: its events cannot be read ({_first_line(exc)})"
                           ) from None


def _occurrence(event, uid: str, repeating: bool, zone: dt.tzinfo) -> Occurrence:
    start_value = event.decoded("DTSTART")
    all_day = not isinstance(start_value, dt.datetime)
    start = _local(start_value, zone)
    end = _local(event.decoded("DTEND"), zone) if "DTEND" in event else (
        start + (event.decoded("DURATION") if "DURATION" in event
                 else dt.timedelta(days=1 if all_day else 0)))
    recurrence = event.get("RECURRENCE-ID") if repeating else None
    return Occurrence(
        uid=uid, recurrence_id=_instant_text(recurrence.dt, zone) if recurrence else "",
        sequence=int(event.get("SEQUENCE", 0) or 0), start=start, end=max(end, start),
        all_day=all_day, summary=_summary(event),
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        emails=tuple(_addresses(event)))


def _local(value: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A DTSTART or DTEND in ``zone``: a date is its local midnight, a floating time is
    local."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _instant_text(value: dt.date | dt.datetime, zone: dt.tzinfo) -> str:
    """A RECURRENCE-ID as stored: the UTC instant (a date: the day)."""
    from crmcli.dates import stamp

    if not isinstance(value, dt.datetime):
        return value.isoformat()
    return stamp(_local(value, zone))


def _addresses(event) -> list[str]:
    """The organizer's address and those of the attendees who did not decline."""
    people = event.get("ATTENDEE", [])
    people = people if isinstance(people, list) else [people]
    chosen = [event["ORGANIZER"]] if "ORGANIZER" in event else []
    chosen += [person for person in people
               if str(person.params.get("PARTSTAT", "")).upper() != "DECLINED"]
    found = []
    for person in chosen:
        text = str(person).strip()
        address = text[7:] if text.lower().startswith("mailto:") else text
        if "@" in address:
            found.append(address)
    return found


def _summary(event) -> str:
    return _text(event.get("SUMMARY"))


def _text(value) -> str:
    return " ".join(str(value or "").split())


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
