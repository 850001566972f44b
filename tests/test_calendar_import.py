"""crm import-calendar: single, recurring, moved, cancelled and all-day events, built with
icalendar, become logged meetings and follow-ups in the configured zone, idempotently."""

from __future__ import annotations

import datetime as dt
import io
import random
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from conftest import Crm
from icalendar import Calendar, Event, vCalAddress
from test_storage import RELEASES

from crmcli import db, meetings
from crmcli.errors import InvalidInput
from crmcli.interchange import calendar_read

MADRID, LISBON, UTC = ZoneInfo("Europe/Madrid"), ZoneInfo("Europe/Lisbon"), dt.UTC
NOW = {"CRM_NOW": "2026-11-25T10:00:00+00:00"}  # 11:00 in Madrid, a Wednesday
WEEKLY = dt.datetime(2026, 11, 2, 9, 30, tzinfo=MADRID)


def event(uid: str, summary: str, start, end=None, people=(), **extra) -> Event:
    item = Event()
    item.add("uid", uid)
    item.add("dtstamp", dt.datetime(2026, 11, 1, tzinfo=UTC))
    item.add("summary", summary)
    item.add("dtstart", start)
    if end is not None:
        item.add("dtend", end)
    item.add("organizer", vCalAddress("mailto:me@example.com"))
    for address, status in people:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["PARTSTAT"] = status
        item.add("attendee", attendee, encode=0)
    for key, value in extra.items():
        item.add(key.replace("_", "-"), value)
    return item


ANA, BO = ("ana@atlantico.pt", "ACCEPTED"), ("BO@nordic.se", "NEEDS-ACTION")


def calendar(*, moved: bool = False) -> bytes:
    """The week's calendar; ``moved``: a later version (contract signing rescheduled, one
    weekly sync removed, the offsite gone from the file)."""
    cal = Calendar()
    cal.add("prodid", "-//crmcli tests//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Work")
    cal.add_component(event("review@x", "Pilot review",
                            dt.datetime(2026, 11, 20, 15, 0, tzinfo=LISBON),
                            dt.datetime(2026, 11, 20, 16, 0, tzinfo=LISBON), [ANA]))
    weekly = event("weekly@x", "Weekly sync", WEEKLY, WEEKLY + dt.timedelta(minutes=30), [BO],
                   rrule={"freq": "weekly", "count": 8})
    weekly.add("exdate", [WEEKLY + dt.timedelta(weeks=1)]
               + ([WEEKLY + dt.timedelta(weeks=6)] if moved else []))
    cal.add_component(weekly)
    cal.add_component(event(  # the occurrence of 30 Nov moved to 1 Dec, 11:00
        "weekly@x", "Weekly sync (moved)", dt.datetime(2026, 12, 1, 11, 0, tzinfo=MADRID),
        dt.datetime(2026, 12, 1, 11, 30, tzinfo=MADRID), [BO],
        recurrence_id=WEEKLY + dt.timedelta(weeks=4), sequence=1))
    signing = dt.datetime(2026, 11, 27, 14 if moved else 10, 0, tzinfo=UTC)
    cal.add_component(event("contract@x", "Contract signing", signing,
                            signing + dt.timedelta(minutes=30), [ANA, BO],
                            sequence=1 if moved else 0))
    cal.add_component(event("dinner@x", "Board dinner", dt.datetime(2026, 12, 2, 20, 0, tzinfo=UTC),
                            dt.datetime(2026, 12, 2, 22, 0, tzinfo=UTC), [ANA],
                            status="CANCELLED"))
    cal.add_component(event("visit@x", "Site visit", dt.date(2026, 11, 10),
                            dt.date(2026, 11, 11), [ANA]))
    if not moved:
        cal.add_component(event("offsite@x", "Offsite", dt.date(2026, 12, 3),
                                dt.date(2026, 12, 4), [BO]))
    cal.add_component(event("strangers@x", "Dentist", dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
                            dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
                            [("someone@else.example", "ACCEPTED")]))
    cal.add_component(event("declined@x", "Lunch", dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
                            dt.datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
                            [("ana@atlantico.pt", "DECLINED")]))
    return cal.to_ical()


@pytest.fixture
def book(crm, tmp_path):
    config = tmp_path / "config" / "crmcli"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('timezone = "Europe/Madrid"\n')
    crm.add("Ana Lima", "-e", "ana@atlantico.pt")
    crm.add("Bo Berg", "-e", "bo@nordic.se")
    path = tmp_path / "work.ics"
    path.write_bytes(calendar())
    return crm, path


def logged(crm) -> list[tuple]:
    return sorted((e["contact"], e["at"], e["text"], e["duration_minutes"])
                  for e in crm.ok("activity", "--json").json() if e["type"] == "meeting")


def plans(crm, env=NOW) -> list[tuple]:
    return sorted((f["contact"], f["due"], f["text"])
                  for f in crm.ok("followups", "list", "--json", env=env).json())


def test_past_events_are_logged_and_coming_ones_planned(book):
    crm, path = book
    result = crm.ok("import-calendar", str(path), env=NOW)
    assert result.stderr == ("Work: logged 5 meeting(s), planned 7, moved 0, cancelled 0, "
                             "unchanged 1; 2 event(s) with nobody in the book\n")
    assert logged(crm) == [  # stored in UTC: 10 Nov starts at 23:00 UTC in Madrid
        ("Ana Lima", "2026-11-09T23:00:00Z", "Site visit", None),
        ("Ana Lima", "2026-11-20T15:00:00Z", "Pilot review", 60),
        ("Bo Berg", "2026-11-02T08:30:00Z", "Weekly sync", 30),
        ("Bo Berg", "2026-11-16T08:30:00Z", "Weekly sync", 30),
        ("Bo Berg", "2026-11-23T08:30:00Z", "Weekly sync", 30)]
    assert plans(crm) == [
        ("Ana Lima", "2026-11-27T11:00+01:00", "Meeting: Contract signing"),
        ("Bo Berg", "2026-11-27T11:00+01:00", "Meeting: Contract signing"),
        ("Bo Berg", "2026-12-01T11:00+01:00", "Meeting: Weekly sync (moved)"),
        ("Bo Berg", "2026-12-03", "Meeting: Offsite"),
        ("Bo Berg", "2026-12-07T09:30+01:00", "Meeting: Weekly sync"),
        ("Bo Berg", "2026-12-14T09:30+01:00", "Meeting: Weekly sync"),
        ("Bo Berg", "2026-12-21T09:30+01:00", "Meeting: Weekly sync")]
    again = crm.ok("import-calendar", str(path), env=NOW)
    assert "logged 0 meeting(s), planned 0, moved 0, cancelled 0, unchanged 13" in again.stderr


def test_your_own_addresses_are_no_ones_meeting(book, tmp_path):
    """You organise every meeting: with your card in the book and [mail] me set, none is
    logged or planned with you."""
    crm, path = book
    (tmp_path / "config" / "crmcli" / "config.toml").write_text(
        'timezone = "Europe/Madrid"\n[mail]\nme = ["ME@example.com"]\n')
    crm.add("Me Myself", "-e", "me@example.com")
    result = crm.ok("import-calendar", str(path), env=NOW)
    assert "logged 5 meeting(s), planned 7," in result.stderr
    assert {entry[0] for entry in logged(crm) + plans(crm)} == {"Ana Lima", "Bo Berg"}


def test_a_later_calendar_moves_cancels_and_then_logs(book):
    crm, path = book
    crm.ok("import-calendar", str(path), env=NOW)
    path.write_bytes(calendar(moved=True))
    result = crm.ok("import-calendar", str(path), env=NOW)
    assert "logged 0 meeting(s), planned 0, moved 2, cancelled 2" in result.stderr
    assert plans(crm) == [
        ("Ana Lima", "2026-11-27T15:00+01:00", "Meeting: Contract signing"),
        ("Bo Berg", "2026-11-27T15:00+01:00", "Meeting: Contract signing"),
        ("Bo Berg", "2026-12-01T11:00+01:00", "Meeting: Weekly sync (moved)"),
        ("Bo Berg", "2026-12-07T09:30+01:00", "Meeting: Weekly sync"),
        ("Bo Berg", "2026-12-21T09:30+01:00", "Meeting: Weekly sync")]
    later = {"CRM_NOW": "2026-11-28T09:00:00+00:00"}
    # Before the next import: the signing took place, so nothing about it is overdue.
    assert [item["text"] for item in crm.ok("due", "--json", env=later).json()
            if item["section"] == "overdue"] == []
    result = crm.ok("import-calendar", str(path), env=later)
    assert "logged 2 meeting(s), planned 0, moved 0, cancelled 0" in result.stderr
    assert ("Ana Lima", "2026-11-27T14:00:00Z", "Contract signing", 30) in logged(crm)
    assert [p[2] for p in plans(crm, later)] == ["Meeting: Weekly sync (moved)",
                                                 "Meeting: Weekly sync",
                                                 "Meeting: Weekly sync"]


def test_what_the_user_removed_stays_removed(book):
    crm, path = book
    crm.ok("import-calendar", str(path), env=NOW)
    review = next(e for e in crm.ok("activity", "--json").json() if e["text"] == "Pilot review")
    crm.ok("unlog", str(review["id"]), "--yes")
    signing = next(f for f in crm.ok("followups", "list", "--json", env=NOW).json()
                   if f["contact"] == "Ana Lima" and f["text"] == "Meeting: Contract signing")
    crm.ok("followups", "rm", str(signing["id"]), "--yes")
    crm.ok("import-calendar", str(path), env=NOW)
    path.write_bytes(calendar(moved=True))  # the signing moves: still no follow-up for Ana
    crm.ok("import-calendar", str(path), env=NOW)
    assert "Pilot review" not in [m[2] for m in logged(crm)]
    assert [p for p in plans(crm) if p[0] == "Ana Lima"] == []


def test_an_import_is_one_operation_that_undo_takes_back(book):
    crm, path = book
    before = crm.ok("dump").stdout
    crm.ok("import-calendar", str(path), env=NOW)
    after = crm.ok("dump").stdout
    assert crm.ok("journal", "--json").json()[0]["what"].startswith("import-calendar")
    crm.ok("undo")
    assert crm.ok("dump").stdout == before
    crm.ok("undo")
    assert crm.ok("dump").stdout == after


def test_a_dry_run_writes_nothing(book):
    crm, path = book
    before = crm.ok("dump").stdout
    result = crm.ok("import-calendar", str(path), "--dry-run", env=NOW)
    assert "dry run, nothing written: would have logged 5 meeting(s), planned 7" in result.stderr
    assert crm.ok("dump").stdout == before


def test_since_and_until_bound_the_window(book):
    crm, path = book
    result = crm.ok("import-calendar", str(path), "--since", "2026-11-15", "--until",
                    "2026-11-30", env=NOW)
    assert "logged 3 meeting(s), planned 2" in result.stderr
    usage = crm("import-calendar", str(path), "--since", "2026-12-01", "--until", "2026-11-01",
                env=NOW)
    assert usage.exit_code == 2
    assert "--since 2026-12-01, --until 2026-11-01" in usage.stderr
    later = crm("import-calendar", str(path), "--since", "2027-06-01", env=NOW)
    assert later.exit_code == 2
    assert "--since 2027-06-01, --until" in later.stderr  # the default, not "None"
    assert "None" not in later.stderr


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_an_empty_day_is_an_error(book, option):
    """--until '' was read as no date: the default window, silently."""
    crm, path = book
    before = crm.ok("dump").stdout
    result = crm("import-calendar", str(path), option, "", env=NOW)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: {option}: the date is empty; try: today")
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize(("content", "message"), [
    (b"First Name,Last Name\nAna,Lima\n",
     "not an iCalendar file (it does not start with BEGIN:VCALENDAR)"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\nEND:VCALENDAR\r\n",
     "not a readable iCalendar file"),
    (b"\xff\xfe\x00garbage", "not UTF-8 text at byte 0"),
    (b"", "empty; expected an iCalendar file (BEGIN:VCALENDAR)"),
])
def test_bad_input_is_one_line_and_changes_nothing(book, tmp_path, content, message):
    crm, _ = book
    path = tmp_path / "bad.ics"
    path.write_bytes(content)
    before = crm.ok("dump").stdout
    result = crm("import-calendar", str(path), env=NOW)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: {path}: {message}")
    assert result.stderr.count("\n") == 1
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize(("extra", "problem"), [
    ({"duration": dt.timedelta(days=999_999_999)}, "DURATION is out of range"),
    ({"rrule": {"freq": "minutely"}}, "repeats every minute: not a meeting"),
    ({"rrule": {"freq": "secondly"}}, "repeats every second: not a meeting"),
])
def test_an_event_beyond_reason_is_skipped_with_a_warning_and_the_rest_imported(
        book, tmp_path, extra, problem):
    """A DURATION past the year 9999 ended the import in an internal error (OverflowError);
    a rule repeating every minute or second made millions of meetings, for minutes on end."""
    crm, path = book
    cal = Calendar.from_ical(path.read_bytes())
    cal.add_component(event("odd@x", "Odd", dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
                            people=[ANA], **extra))
    path.write_bytes(cal.to_ical())
    result = crm.ok("import-calendar", str(path), env=NOW)
    assert f"crm: warning: {path}: event 'odd@x': {problem}; skipped" in result.stderr
    assert "logged 5 meeting(s)" in result.stderr
    assert "Odd" not in {text for _, _, text, _ in logged(crm)}


def test_stdin(book):
    crm, path = book
    result = crm.ok("import-calendar", "-", input=path.read_text(), env=NOW)
    assert result.stderr.startswith("Work: logged 5")
    empty = crm("import-calendar", "-", input="", env=NOW)
    assert (empty.exit_code, empty.stderr) == (
        1, "crm: error: stdin: empty; expected an iCalendar file (BEGIN:VCALENDAR)\n")


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 24],
                         ids=lambda p: p.stem)  # books from before migration 24
def test_a_book_of_every_release_imports_a_calendar(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        address, name = conn.execute(
            "SELECT d.value, c.name FROM contact_details d JOIN contacts c ON c.id = d.contact_id"
            " WHERE d.kind = 'email' AND c.deleted_at IS NULL ORDER BY c.id").fetchone()
    crm = Crm(path)
    ics = tmp_path / "work.ics"
    ics.write_bytes(Calendar.from_ical(calendar()).to_ical().replace(
        b"ana@atlantico.pt", address.encode()))
    result = crm.ok("import-calendar", str(ics), env=NOW)
    assert "logged 2 meeting(s), planned 1" in result.stderr  # visit, review; the signing
    assert ("Meeting: Contract signing" in
            [f["text"] for f in crm.ok("followups", "list", "--json", env=NOW).json()
             if f["contact"] == name])


def test_mutated_calendars_fail_cleanly_or_import(tmp_path):
    """Seeded mutations of a real calendar: each is read and applied, or refused with
    crmcli's own error; never another exception."""
    book = db.connect(tmp_path / "fuzz.db")
    book.execute("INSERT INTO contacts (uid, name, name_folded, created_at, updated_at)"
                 " VALUES ('u1', 'Ana', 'ana', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    book.execute("INSERT INTO contact_details (contact_id, kind, value, norm, position)"
                 " VALUES (1, 'email', 'ana@atlantico.pt', 'ana@atlantico.pt', 0)")
    book.commit()
    seed = calendar()
    tokens = [b"\r\n", b":", b";", b"RRULE:FREQ=DAILY;COUNT=3\r\n", b"TZID=Nowhere/Zone",
              b"DTSTART:20261301T250000\r\n", b"\xff", b"END:VEVENT\r\n", b"BEGIN:VEVENT\r\n",
              b"VALUE=DATE:", b"STATUS:CANCELLED\r\n", b"RECURRENCE-ID:20261102T083000Z\r\n"]
    rng = random.Random(2026)
    now = dt.datetime(2026, 11, 25, 11, tzinfo=MADRID)
    window = (now - dt.timedelta(days=90), now + dt.timedelta(days=30))
    for _ in range(400):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at:at] = rng.choice(tokens)
            else:
                del data[at:at + rng.randint(1, 40)]
        try:
            _, found, _ = calendar_read.read(io.BytesIO(bytes(data)), "x.ics", window, MADRID)
            meetings.import_calendar(book, "x", found, window, now, dry_run=True)
        except InvalidInput:
            pass
    book.close()


def test_an_event_keeps_at_most_a_thousand_occurrences_in_the_window():
    """An event repeating every hour (or by lists of BYHOUR and BYMINUTE) made thousands of
    meetings: the first 1,000 are kept, with one warning naming the event."""
    cal = Calendar()
    cal.add("prodid", "-//crmcli tests//EN")
    cal.add("version", "2.0")
    start = dt.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    cal.add_component(event("hourly@x", "Every hour", start, start + dt.timedelta(minutes=30),
                            rrule={"freq": "hourly"}))
    cal.add_component(event("quarters@x", "Quarters", start, rrule={
        "freq": "daily", "byhour": list(range(8, 18)), "byminute": [0, 15, 30, 45]}))
    cal.add_component(event("weekly@x", "Weekly", start, rrule={"freq": "weekly"}))
    window = (start, dt.datetime(2026, 12, 1, tzinfo=UTC))
    _, found, warnings = calendar_read.read(io.BytesIO(cal.to_ical()), "x.ics", window, UTC)
    by_uid = {uid: sorted(o.start for o in found if o.uid == uid)
              for uid in ("hourly@x", "quarters@x", "weekly@x")}
    assert [len(starts) for starts in by_uid.values()] == [1_000, 1_000, 9]
    assert by_uid["hourly@x"][-1] == start + dt.timedelta(hours=999)
    assert warnings == [f"x.ics: event {uid!r} repeats more than 1,000 times in the window; "
                        "the first 1,000 were kept" for uid in ("hourly@x", "quarters@x")]


def _old_rules(first_day: dt.date) -> Calendar:
    """Daily rules since ``first_day``: all-day, and counted (the last on 30 October 2026)."""
    cal = Calendar()
    cal.add("prodid", "-//crmcli tests//EN")
    cal.add("version", "2.0")
    count = (dt.date(2026, 10, 30) - first_day).days + 1
    cal.add_component(event("gym@x", "Gym", first_day, first_day + dt.timedelta(days=1),
                            rrule={"freq": "daily", "interval": 3}))
    cal.add_component(event("pills@x", "Pills", dt.datetime.combine(
        first_day, dt.time(8), tzinfo=UTC), rrule={"freq": "daily", "count": count}))
    cal.add_component(event("days@x", "Off", first_day,
                            rrule={"freq": "daily", "count": (count + 1) // 2, "interval": 2}))
    cal.add_component(event("twice@x", "Twice", dt.datetime(2026, 10, 1, 9, tzinfo=UTC),
                            rrule={"freq": "daily", "count": 60, "byhour": [9, 17]}))
    return cal


def test_all_day_and_counted_daily_rules_from_long_ago_start_near_the_window(monkeypatch):
    """An all-day daily rule, or a daily one with a COUNT, was walked a day at a time from its
    DTSTART (from the year 1: 740,000 days) before the window opened."""
    window = (dt.datetime(2026, 10, 20, tzinfo=MADRID), dt.datetime(2026, 11, 10, tzinfo=MADRID))
    events = {str(e["UID"]): e for e in _old_rules(dt.date(1, 1, 1)).walk("VEVENT")}
    for moved in events.values():
        calendar_read._start_near(moved, window[0])
    gym, pills, days = (events[uid].decoded("DTSTART") for uid in ("gym@x", "pills@x", "days@x"))
    assert dt.date(2026, 10, 16) <= gym < dt.date(2026, 10, 20)
    assert events["gym@x"].decoded("DTEND") - gym == dt.timedelta(days=1)
    assert (pills, events["pills@x"]["RRULE"]["COUNT"]) == (
        dt.datetime(2026, 10, 17, 8, tzinfo=UTC), [14])  # the last is still on 30 October
    assert days + dt.timedelta(days=2 * (events["days@x"]["RRULE"]["COUNT"][0] - 1)) \
        == dt.date(2026, 10, 30) and days < dt.date(2026, 10, 20)
    assert events["twice@x"].decoded("DTSTART") == dt.datetime(2026, 10, 1, 9, tzinfo=UTC)

    def starts(first_day: dt.date) -> list:
        data = io.BytesIO(_old_rules(first_day).to_ical())
        return sorted((o.uid, o.start, o.end)
                      for o in calendar_read.read(data, "x.ics", window, MADRID)[1])

    from_year_one = starts(dt.date(1, 1, 1))
    assert [sum(uid == one for uid, *_ in from_year_one)
            for one in ("gym@x", "pills@x", "days@x", "twice@x")] == [7, 11, 6, 22]
    found = starts(dt.date(1900, 1, 1))
    monkeypatch.setattr(calendar_read, "_start_near", lambda event, first: None)
    assert found == starts(dt.date(1900, 1, 1))


def test_an_hourly_rule_from_long_ago_starts_near_the_window_with_the_same_meetings(
        monkeypatch):
    """dateutil walks a rule from its DTSTART: an hourly rule from 1900 was a million
    repeats worked out and thrown away before the window opened."""
    def hourly(start: dt.datetime) -> Calendar:
        cal = Calendar()
        cal.add("prodid", "-//crmcli tests//EN")
        cal.add("version", "2.0")
        cal.add_component(event("h@x", "Stand-up", start, start + dt.timedelta(minutes=15),
                                rrule={"freq": "hourly", "interval": 5, "byhour": [9, 14]}))
        return cal

    window = (dt.datetime(2026, 10, 20, tzinfo=MADRID), dt.datetime(2026, 11, 10, tzinfo=MADRID))
    old = dt.datetime(1900, 1, 1, 9, tzinfo=MADRID)
    moved = hourly(old).walk("VEVENT")[0]
    calendar_read._start_near(moved, window[0])
    assert window[0] - dt.timedelta(days=3) < moved.decoded("DTSTART") < window[0]
    assert moved.decoded("DTEND") - moved.decoded("DTSTART") == dt.timedelta(minutes=15)

    def starts():
        data = io.BytesIO(hourly(old).to_ical())
        return sorted((o.start, o.end)
                      for o in calendar_read.read(data, "x.ics", window, MADRID)[1])

    found = starts()
    monkeypatch.setattr(calendar_read, "_start_near", lambda event, first: None)
    assert found == starts() and len(found) == 8


def test_a_rule_whose_end_is_of_another_kind_than_its_start_is_not_moved(monkeypatch):
    """A date beside a time, or two times in different zones (or one floating): moving the
    DTSTART and DTEND by whole repeats changed the meetings (a DTEND left a year behind), and
    a floating start with a zoned end was an internal error (TypeError)."""
    window = (dt.datetime(2026, 10, 20, tzinfo=MADRID), dt.datetime(2026, 11, 10, tzinfo=MADRID))
    cal = Calendar()
    cal.add("prodid", "-//crmcli tests//EN")
    cal.add("version", "2.0")
    for uid, start, end, rule in (
            ("dates@x", dt.date(2025, 10, 11), dt.datetime(2025, 10, 12, 10, tzinfo=MADRID),
             {"freq": "daily", "count": 400}),
            ("zones@x", dt.datetime(2026, 1, 3, tzinfo=UTC),
             dt.datetime(2026, 1, 3, 1, tzinfo=MADRID), {"freq": "hourly", "interval": 7}),
            ("floating@x", dt.datetime(2025, 1, 1, 9), dt.datetime(2025, 1, 1, 10, tzinfo=MADRID),
             {"freq": "daily"})):
        cal.add_component(event(uid, "Rounds", start, end, rrule=rule))

    def starts():
        data = io.BytesIO(cal.to_ical())
        return sorted((o.uid, o.start, o.end)
                      for o in calendar_read.read(data, "x.ics", window, MADRID)[1])

    found = starts()
    assert {uid for uid, *_ in found} == {"dates@x", "zones@x", "floating@x"}
    monkeypatch.setattr(calendar_read, "_start_near", lambda event, first: None)
    assert found == starts()
