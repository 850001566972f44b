"""A day is a day in every zone: all-day follow-ups are calendar days, timed ones an instant and
the zone they were typed in, and "today" is the configured zone's, whatever TZ cron has."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject

from crmcli import contacts, db, followups
from crmcli.agenda import build as agenda_build
from crmcli.config import Config
from crmcli.dates import parse_when
from crmcli.interchange import ics
from crmcli.models import Contact

V5 = Path(__file__).parent / "fixtures" / "releases" / "v5.sql"
BERLIN, NEW_YORK, UTC = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("UTC")


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(tmp_path / "zones.db")
    yield connection
    connection.close()


def _config(tmp_path) -> Config:
    return Config(path=tmp_path / "config.toml", db_path=tmp_path / "zones.db")


def test_a_friday_made_in_berlin_is_friday_in_a_utc_cron_run_and_in_new_york(conn, tmp_path):
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    made_in_berlin = dt.datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)  # a Tuesday evening
    friday = followups.create(conn, ana, parse_when("fri", made_in_berlin), "Send the quote")
    assert friday.due == "2026-11-27" and friday.zone is None
    for zone in (UTC, NEW_YORK, BERLIN):
        on_friday = dt.datetime(2026, 11, 27, 0, 30, tzinfo=zone)
        agenda = agenda_build(conn, on_friday, _config(tmp_path))
        assert [e.followup.id for e in agenda.today] == [friday.id], zone
        assert not agenda.overdue
        thursday = agenda_build(conn, on_friday - dt.timedelta(hours=1), _config(tmp_path))
        assert [e.followup.id for e in thursday.upcoming] == [friday.id]
        assert followups.local_due_text(friday, zone) == "2026-11-27"


def test_a_timed_follow_up_keeps_the_zone_it_was_typed_in(conn):
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    now = dt.datetime(2026, 10, 19, 8, 0, tzinfo=BERLIN)
    weekly = followups.create(conn, ana, parse_when("tue 9:00", now), "Standup", "1w")
    assert (weekly.due, weekly.zone) == ("2026-10-20T07:00:00Z", "Europe/Berlin")
    # Done by a cron job in New York after the change to winter time: still 9:00 in Berlin.
    _, following = followups.mark_done(conn, weekly.id, dt.datetime(2026, 10, 26, 3, 0,
                                                                    tzinfo=NEW_YORK))
    assert (following.due, following.zone) == ("2026-10-27T08:00:00Z", "Europe/Berlin")


def test_ics_all_day_date_does_not_depend_on_the_exporting_zone(conn):
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    followups.create(conn, ana, parse_when("2026-11-27", dt.datetime(2026, 11, 24, 23, 30,
                                                                     tzinfo=BERLIN)), "Quote")
    for zone in (UTC, NEW_YORK, BERLIN):
        stream = io.StringIO()
        ics.write_calendar(conn, [ana], stream, False, dt.datetime(2026, 11, 24, tzinfo=zone))
        assert "DTSTART;VALUE=DATE:20261127" in stream.getvalue()
        assert vobject.readOne(stream.getvalue()).vevent.dtstart.value == dt.date(2026, 11, 27)


def _v5_book(path: Path, extra_rows: list[tuple[str, int]]) -> None:
    """The v5 release fixture plus follow-ups stored the v5 way (all-day: local midnight)."""
    with sqlite3.connect(path) as old:
        old.executescript(V5.read_text())
        old.executemany(
            "INSERT INTO followups (contact_id, due_at, has_time, body, created_at, updated_at)"
            " VALUES (1, ?, ?, 'x', '2026-11-22T09:29:14Z', '2026-11-22T09:29:14Z')",
            extra_rows)


@pytest.mark.parametrize("offset_hours", [-11.9833, -10, -5, -3.5, 0, 1, 5.75, 9, 12])
def test_migration_rounds_all_day_rows_to_their_day_for_offsets_up_to_twelve(
        tmp_path, offset_hours):
    """An all-day row of 27 November made at UTC+offset was stored as that zone's midnight."""
    local_midnight = dt.datetime(2026, 11, 27, tzinfo=dt.timezone(dt.timedelta(
        hours=offset_hours)))
    stored = local_midnight.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "v5.db"
    _v5_book(path, [(stored, 0), ("2026-11-27T08:00:00Z", 1)])
    conn = db.connect(path)  # migrates
    rows = conn.execute("SELECT due, has_time, zone FROM followups ORDER BY id").fetchall()
    conn.close()
    assert rows[-2:] == [("2026-11-27", 0, None), ("2026-11-27T08:00:00Z", 1, None)]
    # The fixture's own rows (made with TZ=UTC): days stay days, instants stay instants.
    assert rows[0] == ("2026-11-20", 0, None) and rows[1] == ("2026-11-22T11:00:00Z", 1, None)
    assert rows[6] == ("2026-12-06", 0, None)


def test_migration_edge_beyond_twelve_hours_east_is_a_day_early(tmp_path):
    """Documented: a row made at UTC+13 (New Zealand in summer) lands on the day before."""
    path = tmp_path / "v5.db"
    _v5_book(path, [("2026-11-26T11:00:00Z", 0)])  # midnight of 27 November at UTC+13
    conn = db.connect(path)
    assert conn.execute("SELECT due FROM followups ORDER BY id DESC").fetchone()[0] \
        == "2026-11-26"
    conn.close()


def test_a_follow_up_at_the_end_of_time_migrates_and_every_command_still_works(crm):
    """`crm follow-up 1 9999-12-31 x` was accepted before; made in Berlin, it was stored as
    9999-12-30T23:00:00Z. The book must still work after the migration."""
    _v5_book(crm.db_path, [("9999-12-30T23:00:00Z", 0), ("9999-12-31T23:00:00Z", 0)])
    records = crm.ok("followups", "list", "--json").json()
    assert [r["due"] for r in records[-2:]] == ["9999-12-31", "9999-12-31"]
    assert crm.ok("due", "--all").stdout.count("9999-12-31") == 2
    result = crm.ok("export", "-f", "ics")
    assert "follow-up 8 left out" in result.stderr and "BEGIN:VCALENDAR" in result.stdout


def test_the_migrated_book_reads_the_same_in_every_zone(tmp_path, crm, monkeypatch):
    _v5_book(crm.db_path, [("2026-11-26T23:00:00Z", 0)])  # Friday 27 November, made in Berlin
    days = set()
    for zone in ("UTC", "America/New_York", "Asia/Tokyo"):
        monkeypatch.setenv("TZ", zone)
        records = crm.ok("followups", "list", "--json").json()
        days.add(tuple((r["id"], r["due"]) for r in records if not r["has_time"]))
    assert days == {((1, "2026-11-20"), (4, "2026-11-25"), (8, "2026-11-27"),
                     (7, "2026-12-06"))}


def test_due_and_remind_count_today_in_the_configured_zone(crm, tmp_path, monkeypatch):
    """Same book, TZ=UTC and TZ=America/New_York: with `timezone` set, the same answers."""
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Pacific/Kiritimati"\n')  # UTC+14: its today is rarely UTC's
    monkeypatch.setenv("CRM_CONFIG", str(config))
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00Z")  # Thursday 26th in Kiritimati
    ana = crm.add("Ana Lima")
    crm.ok("follow-up", str(ana), "today", "Due today where I live")
    crm.ok("follow-up", str(ana), "today 23:30", "Late call")
    crm.ok("follow-up", str(ana), "tomorrow", "Tomorrow")
    answers = []
    for zone in ("UTC", "America/New_York"):
        monkeypatch.setenv("TZ", zone)
        due = [(r["section"], r["text"]) for r in crm.ok("due", "--json").json()]
        remind = crm.ok("remind", "--stdout", "--force").stdout
        answers.append((due, remind.split("\n\n", 1)[1]))
    assert answers[0] == answers[1]
    assert answers[0][0] == [("today", "Due today where I live"), ("today", "Late call"),
                             ("upcoming", "Tomorrow")]


def test_a_bad_timezone_setting_is_one_clear_error(crm, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Mars/Olympus"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("due")
    assert result.exit_code == 1
    assert "timezone must be a zone name such as \"Europe/Berlin\", not 'Mars/Olympus'" \
        in result.stderr


def test_a_cron_run_in_utc_sees_the_configured_zones_friday(crm, tmp_path, monkeypatch):
    """Made in Berlin on Tuesday for Friday; cron runs at 00:30 on Friday in Berlin, which is
    still Thursday in UTC and in New York: with `timezone` set, it is due today."""
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/Berlin"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    ana = crm.add("Ana Lima")
    crm.ok("follow-up", str(ana), "fri", "Send the quote",
           env={"CRM_NOW": "2026-11-24T20:00+01:00", "TZ": "Europe/Berlin"})
    for tz in ("UTC", "America/New_York"):
        env = {"CRM_NOW": "2026-11-26T23:30:00Z", "TZ": tz}
        assert [(r["section"], r["when"]) for r in crm.ok("due", "--json", env=env).json()] \
            == [("today", "2026-11-27")]
        assert "Today (1)" in crm.ok("remind", "--stdout", "--force", env=env).stdout
    config.write_text("")  # no setting: the system's zone (here New York's Thursday) counts
    env = {"CRM_NOW": "2026-11-26T23:30:00Z", "TZ": "America/New_York"}
    assert [r["section"] for r in crm.ok("due", "--json", env=env).json()] == ["upcoming"]


def test_times_are_shown_in_the_configured_zone(crm, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Asia/Tokyo"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00Z")  # 21:00 in Tokyo
    crm.add("Ana Lima")
    crm.ok("log", "ana", "--at", "today 9:00", "Called")
    for tz in ("UTC", "America/New_York"):
        monkeypatch.setenv("TZ", tz)
        assert "2026-11-25 09:00" in crm.ok("show", "ana").stdout
    from crmcli.dates import local_zone

    assert getattr(local_zone(), "key", None) == "America/New_York"  # back to TZ after it


@pytest.mark.parametrize("tz", ["UTC+24", "XXX-25"])
def test_a_tz_offset_of_a_day_or_more_is_one_line(crm, db_path, tz):
    """A POSIX TZ past 24 hours was an internal error (a datetime offset must be under a
    day) in every command that reads the clock."""
    import os
    import subprocess
    import sys

    crm.add("Ana Lima")
    env = {**os.environ, "TZ": tz, "CRM_NOW": "", "CRM_CONFIG": str(db_path.parent / "none")}
    result = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(db_path), "due"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stderr) == (
        1, f"crm: error: TZ={tz!r}: an offset of 24 hours or more is no time zone; set TZ to "
           "a zone name such as Europe/Madrid, or the timezone setting\n")
