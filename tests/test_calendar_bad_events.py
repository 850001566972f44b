"""crm import-calendar and events that break the rules: one without a UID is known by a hash
of its content (as khal and vdirsyncer know it), so importing it again changes nothing; one
that ends before it starts or never takes place (COUNT=0) is reported and skipped."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from test_calendar_import import ANA, NOW, UTC, book, event, logged, plans  # noqa: F401

SOON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # ahead of NOW: a follow-up to plan


def _with(path, *events) -> None:
    cal = Calendar.from_ical(path.read_bytes())
    for item in events:
        cal.add_component(item)
    path.write_bytes(cal.to_ical())


def _without_uid(summary: str, start: dt.datetime, stamp: dt.datetime):
    item = event("x", summary, start, start + dt.timedelta(hours=1), [ANA])
    item.pop("UID")
    item.pop("DTSTAMP")
    item.add("dtstamp", stamp)
    return item


@pytest.mark.parametrize(("extra", "problem"), [
    ({"dtend": dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)}, "its DTEND is before its DTSTART"),
    ({"dtend": dt.date(2026, 11, 29)}, "its DTEND is before its DTSTART"),
    ({"duration": dt.timedelta(hours=-1)}, "its DURATION is negative: it ends before it starts"),
    ({"rrule": {"freq": "weekly", "count": 0}}, "its RRULE has COUNT=0: it never takes place"),
])
def test_an_event_that_ends_before_it_starts_or_never_happens_is_reported_and_skipped(
        book, extra, problem):  # noqa: F811
    """DTEND before DTSTART made a follow-up in the past; COUNT=0 made one occurrence."""
    crm, path = book
    _with(path, event("odd@x", "Odd", SOON, people=[ANA], **extra))
    result = crm.ok("import-calendar", str(path), env=NOW)
    assert f"crm: warning: {path}: event 'odd@x': {problem}; skipped\n" in result.stderr
    assert "logged 5 meeting(s), planned 7" in result.stderr
    assert "Meeting: Odd" not in {text for _, _, text in plans(crm)}
    assert "Odd" not in {text for _, _, text, _ in logged(crm)}


def test_an_event_without_uid_is_known_by_its_content(book):  # noqa: F811
    crm, path = book
    _with(path, _without_uid("Demo", SOON, dt.datetime(2026, 11, 1, tzinfo=UTC)))
    first = crm.ok("import-calendar", str(path), env=NOW)
    assert (f"crm: warning: {path}: event 'Demo' at 2026-11-30T10:00+01:00 has no UID; known "
            "by a hash of its content, so a change to it makes it a new event\n") in first.stderr
    assert "planned 8" in first.stderr
    assert ("Ana Lima", "2026-11-30T10:00+01:00", "Meeting: Demo") in plans(crm)

    path.write_bytes(path.read_bytes().replace(b"DTSTAMP:20261101T000000Z",
                                               b"DTSTAMP:20261125T093000Z"))  # downloaded again
    again = crm.ok("import-calendar", str(path), env=NOW)
    assert "planned 0, moved 0, cancelled 0, unchanged 14" in again.stderr

    moved = Calendar.from_ical(path.read_bytes())
    moved.subcomponents = [c for c in moved.subcomponents if c.get("SUMMARY") != "Demo"]
    path.write_bytes(moved.to_ical())
    _with(path, _without_uid("Demo", SOON + dt.timedelta(hours=2), dt.datetime(2026, 11, 1,
                                                                              tzinfo=UTC)))
    crm.ok("import-calendar", str(path), env=NOW)
    assert [due for _, due, text in plans(crm) if text == "Meeting: Demo"] == [
        "2026-11-30T12:00+01:00"]
