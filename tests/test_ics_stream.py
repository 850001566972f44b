"""``crm export -f ics`` written one event at a time: the calendar holds, property by property,
what the calendar built whole in memory held (tests/fixtures/ics/built-whole.ics, written by
that builder from the same book), and its time zones give the same offsets."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from crmcli import contacts, db, deals, followups, stages
from crmcli.config import Config
from crmcli.dates import local_zone, parse_when
from crmcli.interchange import ics
from crmcli.models import Contact, Deal, ImportantDate, PartialDate

BUILT_WHOLE = Path(__file__).parent / "fixtures" / "ics" / "built-whole.ics"
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 10, 19, 8, 0, tzinfo=MADRID)  # a week before the DST change


@pytest.fixture
def madrid(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Europe/Madrid")
    time.tzset()


def build_book(path: Path):
    """Every kind of event: all-day and timed, in the export's zone, in another and in one
    this system does not know, recurring on a rule (moved off it: RDATE), counting from when
    it is done, about nobody, about a deal; birthdays (one on 29 February), anniversaries and
    labelled dates with and without a year."""
    conn = db.connect(path)
    conn.now = NOW
    ana = contacts.create(conn, Contact(
        name="Ana Lima", uid="ana-uid", company="Atlântico Foods",
        birthday=PartialDate(1990, 5, 5), anniversary=PartialDate(2015, 6, 12),
        dates=[ImportantDate("Día del santo", PartialDate(None, 7, 26))])).id
    bo = contacts.create(conn, Contact(name="Bo Chen", uid="bo-uid",
                                       birthday=PartialDate(None, 2, 29),
                                       anniversary=PartialDate(None, 6, 1))).id
    pipeline = stages.load_pipeline(Config(Path("(none)"), Path("crm.db")))
    deal = deals.create(conn, pipeline, Deal(title="Olive oil, 40 t", currency="EUR", stage="",
                                             contact_id=ana, amount_minor=100_000), at=NOW)
    in_new_york = NOW.astimezone(NEW_YORK)
    made = [
        (ana, parse_when("tue 9:00", NOW), "Standup; daily", "mon,thu", False, None),
        (ana, parse_when("2027-01-31", NOW), "Invoice", "month", False, deal.id),
        (ana, parse_when("+1m", NOW), "Check in", "month", True, None),
        (bo, parse_when("fri 16:30", in_new_york), "Call from New York", "2w", False, None),
        (bo, parse_when("2026-11-03", NOW), "Lunch", None, False, None),
        (None, parse_when("thu 11:00", NOW), "Renew the domain", "1y", False, None),
        (bo, parse_when("wed 10:00", NOW), "Zone unknown here", None, False, None),
    ]
    for number, (who, when, body, rule, from_done, deal_id) in enumerate(made):
        followups.create(conn, who, when, body, rule, from_done, deal_id,
                         uid=f"series-{number}@example.org")
    # Moved off their rules (an RDATE beside the RRULE): a timed one and an all-day one.
    conn.execute("UPDATE followups SET due = '2026-10-21T07:00:00Z' WHERE body = 'Standup; daily'")
    conn.execute("UPDATE followups SET due = '2027-02-01' WHERE body = 'Invoice'")
    conn.execute("UPDATE followups SET zone = 'Mars/Olympus' WHERE body = 'Zone unknown here'")
    conn.commit()
    return conn, [ana, bo]


def export(conn, ids: list[int] | None, birthdays: bool = True) -> str:
    stream = io.StringIO()
    now = NOW.astimezone(local_zone())
    count, skipped = ics.write_calendar(conn, ids, stream, birthdays, now, without_contact=True)
    assert (count, skipped) == (12, [])
    return stream.getvalue()


def properties(component) -> list[tuple]:
    """Each property as icalendar reads and writes it back: name, parameters, value (in any
    order: the order of a component's properties means nothing)."""
    return sorted((name, sorted(value.params.items()), value.to_ical())
                  for name, values in component.items()
                  for value in (values if isinstance(values, list) else [values]))


def zone_offsets(calendar) -> dict[str, list]:
    """Each VTIMEZONE's offset at noon UTC of every day from 2000 to 2030."""
    days = [dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=n)
            for n in range(365 * 31)]
    found = {}
    for zone in calendar.walk("VTIMEZONE"):
        tz = zone.to_tz()
        found[str(zone["TZID"])] = [day.astimezone(tz).utcoffset() for day in days]
    return found


@pytest.mark.parametrize("chosen", ["both", "whole book"])
def test_streamed_calendar_holds_what_the_whole_one_held(tmp_path, madrid, monkeypatch, chosen):
    monkeypatch.setattr(ics, "OCCASION_BATCH", 1)  # the people's dates read in many batches
    conn, ids = build_book(tmp_path / "book.db")
    streamed = icalendar.Calendar.from_ical(export(conn, ids if chosen == "both" else None))
    before = icalendar.Calendar.from_ical(BUILT_WHOLE.read_text(encoding="utf-8"))
    assert properties(streamed) == properties(before)
    events = [properties(event) for event in streamed.walk("VEVENT")]
    assert events == [properties(event) for event in before.walk("VEVENT")]
    assert len(events) == 12
    assert zone_offsets(streamed) == zone_offsets(before)
    assert sorted(zone_offsets(streamed)) == ["America/New_York", "Europe/Madrid"]


def test_each_calendar_of_a_vdir_holds_its_event_and_zone(tmp_path, madrid):
    conn, ids = build_book(tmp_path / "book.db")
    before = {str(event["UID"]): properties(event) for event in icalendar.Calendar.from_ical(
        BUILT_WHOLE.read_text(encoding="utf-8")).walk("VEVENT")}
    files = dict(ics.calendars(conn, ids, True, NOW.astimezone(local_zone()), True))
    assert len(files) == 12
    for text in files.values():
        calendar = icalendar.Calendar.from_ical(text)
        (event,) = calendar.walk("VEVENT")
        assert properties(event) == before[str(event["UID"])]
        zone = event["DTSTART"].params.get("TZID")
        assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ([zone] if zone else [])


def test_a_follow_up_written_between_the_two_passes_is_left_for_the_next_export(
        tmp_path, madrid, monkeypatch):
    """The zones are found by a first pass over the follow-ups, the events written by a
    second: both read one snapshot, so a timed follow-up another process adds meanwhile (in a
    zone no other uses) cannot come out with a TZID the calendar has no VTIMEZONE for."""
    conn, ids = build_book(tmp_path / "book.db")
    zones_used = ics._zones_used

    def then_another_writes(entries, zone):
        found = zones_used(entries, zone)
        other = db.connect(tmp_path / "book.db")
        other.now = NOW
        followups.create(other, ids[0], parse_when("thu 9:00", NOW.astimezone(TOKYO)),
                         "Call from Tokyo", None, False, None)
        other.close()
        return found

    monkeypatch.setattr(ics, "_zones_used", then_another_writes)
    text = export(conn, None)
    calendar = icalendar.Calendar.from_ical(text)
    used = {event["DTSTART"].params.get("TZID") for event in calendar.walk("VEVENT")} - {None}
    assert used <= {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    assert "Call from Tokyo" not in text
    assert not conn.in_transaction
