"""``crm export --format ics``: follow-ups and birthdays as iCalendar, read back with vobject
and dateutil the way a calendar app would."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import contacts, db, followups
from crmcli.dates import local_zone, parse_when
from crmcli.interchange import ics
from crmcli.models import Contact, PartialDate

MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 10, 19, 8, 0, tzinfo=MADRID)  # a Monday, a week before the DST change


@pytest.fixture
def madrid(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Madrid")


@pytest.fixture
def book(tmp_path):
    conn = db.connect(tmp_path / "ics.db")
    ana = contacts.create(conn, Contact(name="Ana Lima", company="Atlântico Foods",
                                        birthday=PartialDate(1990, 5, 5))).id
    bo = contacts.create(conn, Contact(name="Bo Chen", birthday=PartialDate(None, 2, 29),
                                       anniversary=PartialDate(None, 6, 1))).id
    yield conn, ana, bo
    conn.close()


def _calendar(conn, ids, birthdays=False):
    stream = io.StringIO()
    now = dt.datetime(2026, 10, 19, 8, 0, tzinfo=local_zone())  # the zone of TZ
    count, skipped = ics.write_calendar(conn, ids, stream, birthdays, now)
    assert not skipped
    return count, stream.getvalue(), vobject.readOne(stream.getvalue())


def _events(calendar) -> dict[str, object]:
    return {event.uid.value: event for event in calendar.vevent_list}


def test_timed_weekly_follow_up_keeps_its_hour_across_dst(book, madrid):
    conn, ana, _ = book
    weekly = followups.create(conn, ana, parse_when("tue 9:00", NOW), "Standup", "1w")
    count, text, calendar = _calendar(conn, [ana])
    assert count == 1
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Madrid" in text
    event = _events(calendar)[weekly.uid]
    assert event.summary.value == "Standup (Ana Lima)"
    assert "Follow up with Ana Lima (Atlântico Foods)" in event.description.value
    assert event.rrule.value == "FREQ=WEEKLY"
    first, second = list(event.getrruleset())[:2]
    assert [first.astimezone(MADRID).hour, second.astimezone(MADRID).hour] == [9, 9]
    assert (first.utcoffset(), second.utcoffset()) == (dt.timedelta(hours=2),
                                                       dt.timedelta(hours=1))
    assert event.dtend.value - event.dtstart.value == dt.timedelta(minutes=30)


def test_all_day_and_month_end_rules(book, madrid):
    conn, ana, _ = book
    invoice = followups.create(conn, ana, parse_when("2027-01-31", NOW), "Invoice", "month")
    review = followups.create(conn, ana, parse_when("2026-11-02", NOW), "Review", "1st mon")
    _, text, calendar = _calendar(conn, [ana])
    events = _events(calendar)
    month_end = events[invoice.uid]
    assert month_end.dtstart.value == dt.date(2027, 1, 31)
    assert "DTSTART;VALUE=DATE:20270131" in text
    assert [d.date().isoformat() for d in list(month_end.getrruleset())[:3]] == [
        "2027-01-31", "2027-02-28", "2027-03-31"]
    assert events[review.uid].rrule.value == "FREQ=MONTHLY;BYDAY=+1MO"


def test_from_done_and_done_follow_ups(book, madrid):
    conn, ana, _ = book
    relative = followups.create(conn, ana, parse_when("+1m", NOW), "Check in", "month",
                                from_done=True)
    done = followups.create(conn, ana, parse_when("yesterday", NOW), "Done already")
    followups.mark_done(conn, done.id, NOW)
    count, _, calendar = _calendar(conn, [ana])
    assert count == 1
    event = _events(calendar)[relative.uid]
    assert not hasattr(event, "rrule")
    assert "Repeats every month, counting from when it is done" in event.description.value


def test_birthdays_and_anniversaries_are_yearly(book, madrid):
    conn, ana, bo = book
    count, _, calendar = _calendar(conn, [ana, bo], birthdays=True)
    assert count == 3
    events = {event.summary.value: event for event in calendar.vevent_list}
    born = events["Ana Lima's birthday"]
    assert born.dtstart.value == dt.date(1990, 5, 5)
    assert born.rrule.value == "FREQ=YEARLY"
    assert born.description.value == "Born in 1990"
    leap = events["Bo Chen's birthday"]
    assert leap.dtstart.value == dt.date(2026, 2, 28)  # the year of "today", last of February
    assert [d.date().isoformat() for d in list(leap.getrruleset())[:3]] == [
        "2026-02-28", "2027-02-28", "2028-02-29"]
    assert events["Bo Chen's anniversary"].dtstart.value == dt.date(2026, 6, 1)


def test_floating_time_without_a_zone_name(book, monkeypatch):
    monkeypatch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
    import time

    time.tzset()
    try:
        conn, ana, _ = book
        unnamed = NOW.astimezone(local_zone())  # typed in a zone with no name
        followups.create(conn, ana, parse_when("tue 9:00", unnamed), "Standup")
        _, text, _ = _calendar(conn, [ana])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "VTIMEZONE" not in text
    assert "DTSTART:20261020T090000\r\n" in text  # floating: 9:00 wherever the calendar is


def test_export_command_writes_a_calendar_file(crm, tmp_path):
    crm.add("Ana Lima", "-t", "vip", "--birthday", "05/05/1990")
    crm.add("Bo Chen")
    crm.ok("follow-up", "ana", "fri 10:00", "Send the quote", "--every", "2w")
    crm.ok("follow-up", "bo", "mon", "Call")
    target = tmp_path / "crm.ics"
    result = crm.ok("export", "--tag", "vip", "-f", "ics", "--birthdays", "-o", str(target))
    assert "exported 2 calendar event(s)" in result.stderr
    calendar = vobject.readOne(target.read_text())
    assert sorted(e.summary.value for e in calendar.vevent_list) == [
        "Ana Lima's birthday", "Send the quote (Ana Lima)"]
    assert calendar.prodid.value == "-//crmcli//crm export//EN"
    everyone = crm.ok("export", "-f", "ics").stdout
    assert everyone.count("BEGIN:VEVENT") == 2 and "BIRTHDAY" not in everyone.upper()


def test_export_to_a_directory_says_so(crm, tmp_path):
    crm.add("Ana Lima")
    for args in (("export",), ("export", "-f", "ics")):
        result = crm(*args, "-o", str(tmp_path))
        assert result.exit_code == 1
        assert f"crm: error: {tmp_path} is a directory; give a file name" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ics_vdir_writes_one_calendar_per_follow_up_and_removes_done_ones(crm, tmp_path):
    crm.add("Ana Lima", "--birthday", "05/05/1990")
    crm.ok("follow-up", "ana", "fri", "Call")
    crm.ok("follow-up", "ana", "mon 9:00", "Standup", "--every", "mon,thu")
    folder = tmp_path / "calendar"
    folder.mkdir()
    (folder / "someone-else.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    result = crm.ok("export", "-f", "ics", "--birthdays", "--vdir", str(folder))
    assert "exported 3 calendar event(s)" in result.stderr
    stems = {row["id"]: row["uid"].removesuffix("@crmcli")
             for row in crm.ok("followups", "--json").json()}
    names = sorted(p.name for p in folder.iterdir())
    assert names[0].startswith("birthday-") and names[1:] == sorted(
        [f"{stems[1]}.ics", f"{stems[2]}.ics", "someone-else.ics"])
    standup = vobject.readOne((folder / f"{stems[2]}.ics").read_text())
    assert standup.vevent.summary.value == "Standup (Ana Lima)"
    assert len(standup.vevent_list) == 1
    assert standup.vevent.rrule.value == "FREQ=WEEKLY;BYDAY=MO,TH"
    crm.ok("done", "1")
    again = crm.ok("export", "-f", "ics", "--vdir", str(folder))
    assert "removed 2 no longer exported" in again.stderr  # the done one, and the birthday
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{stems[2]}.ics",
                                                                "someone-else.ics"])
    crm.ok("done", "2")  # the next occurrence is the same event, moved on
    crm.ok("export", "-f", "ics", "--vdir", str(folder))
    moved = vobject.readOne((folder / f"{stems[2]}.ics").read_text()).vevent
    assert moved.uid.value == f"{stems[2]}@crmcli" and moved.dtstart.value.weekday() == 3


def test_options_that_would_be_ignored_are_refused(crm, tmp_path):
    crm.add("Ana Lima")
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for args, message in (
            (("-f", "csv", "--vdir", str(tmp_path)), "--vdir writes vCards"),
            (("-f", "ics", "--vdir", str(tmp_path), "-o", str(tmp_path / "x.ics")),
             "choose one of --output and --vdir"),
            (("--birthdays",), "--birthdays goes with -f ics")):
        result = crm("export", *args)
        assert (result.exit_code, message in result.stderr) == (2, True), args
    assert list(tmp_path.iterdir()) == []


STAMP = dt.datetime(2026, 10, 19, 6, 0, tzinfo=dt.UTC)


def _start(date: PartialDate) -> dt.date:
    from crmcli.dates import next_occurrence

    return (dt.date(date.year, date.month, date.day) if date.year
            else next_occurrence(date, dt.date(2026, 1, 1)))


def _through_icalendar(uid: str, name: str, kind: str, date: PartialDate) -> str:
    event_uid = f"{ics._uid_word(kind)}-{uid}{ics.UID_SUFFIX}"
    return ics._occasion_event(event_uid, name, kind, date, _start(date), STAMP
                               ).to_ical().decode()


@pytest.mark.parametrize(("name", "kind", "date", "direct"), [
    ("Ana Lima", "birthday", PartialDate(1990, 5, 5), True),
    ("Bo Chen", "birthday", PartialDate(None, 2, 29), True),
    ("Bo Chen", "anniversary", PartialDate(2004, 2, 29), True),
    ("José Núñez 🎂", "wedding day", PartialDate(None, 12, 31), True),
    ("Old Friend", "birthday", PartialDate(912, 1, 1), True),
    ("Lee, Ann", "birthday", PartialDate(1980, 1, 2), False),  # escaped: \,
    ("Semi;Colon\\Back", "birthday", PartialDate(1980, 1, 2), False),
    ("Line\nBreak", "birthday", PartialDate(1980, 1, 2), False),
    ("A" * 55, "birthday", PartialDate(1980, 1, 2), True),  # SUMMARY of 74 octets: as it is
    ("A" * 56, "birthday", PartialDate(1980, 1, 2), False),  # 75 octets: folded
    ("Ñ" * 28, "birthday", PartialDate(1980, 1, 2), False),  # 75 octets in 47 characters
    ("Zoë", "first day at Acme, Inc.", PartialDate(2019, 9, 2), False),
])
def test_an_occasion_written_directly_is_what_icalendar_writes(name, kind, date, direct):
    """Birthdays are written without icalendar's objects when nothing needs escaping or
    folding (82 s of CPU for a million contacts' birthdays through them); the text is the
    same, and anything else still goes through icalendar."""
    uid = "37909d52-e74e-4377-82dc-ee7e2cc4e3a7"
    text, event_uid, zone = ics._occasion(uid, name, kind, date, 2026, STAMP)
    assert text == _through_icalendar(uid, name, kind, date)
    assert (event_uid, zone) == (f"{ics._uid_word(kind)}-{uid}@crmcli", None)
    plain = ics._plain_occasion(event_uid, f"{name}'s {kind}", ics._yearly(date),
                                ics._since(kind, date), _start(date), STAMP)
    assert (plain is not None) == direct


@settings(max_examples=300, deadline=None)
@given(name=st.text(min_size=1, max_size=60), uid=st.text(min_size=1, max_size=70),
       month=st.integers(1, 12), day=st.integers(1, 28), year=st.none() | st.integers(1, 9998))
def test_any_occasion_is_written_as_icalendar_writes_it(name, uid, month, day, year):
    date = PartialDate(year, month, day)
    assert ics._occasion(uid, name, "birthday", date, 2026, STAMP)[0] == _through_icalendar(
        uid, name, "birthday", date)
