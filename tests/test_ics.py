"""``crm export --format ics``: follow-ups and birthdays as iCalendar, read back with vobject
and dateutil the way a calendar app would."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import vobject

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
