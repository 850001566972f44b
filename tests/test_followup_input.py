"""What a follow-up accepts: a recurring one starts on a day its rule gives; dates, lengths of
time and numbers are checked for range; empty dates and texts are refused."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import vobject

from crmcli import contacts, db, followups
from crmcli.dates import parse_when
from crmcli.interchange import ics
from crmcli.models import Contact

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


def _calendar_events(conn, ids) -> dict:
    stream = io.StringIO()
    ics.write_calendar(conn, ids, stream, False, WEDNESDAY)
    return {e.uid.value: e for e in vobject.readOne(stream.getvalue()).vevent_list}


def test_a_recurring_follow_up_starts_on_a_day_its_rule_gives(tmp_path):
    conn = db.connect(tmp_path / "crm.db")
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    friday = parse_when("2026-11-27 16:00", WEDNESDAY)
    created = followups.create(conn, ana, friday, "Check the board", "mon,thu")
    assert created.due == "2026-11-30T15:00:00Z"  # Monday 30 November, 16:00 in Berlin
    all_day = followups.create(conn, ana, parse_when("2026-11-28", WEDNESDAY), "Review",
                               "1st mon")
    assert all_day.due == "2026-12-07"
    event = _calendar_events(conn, [ana])[f"followup-{created.id}@crmcli"]
    assert event.dtstart.value.astimezone(BERLIN) == dt.datetime(2026, 11, 30, 16, 0,
                                                                  tzinfo=BERLIN)
    assert event.rrule.value == "FREQ=WEEKLY;BYDAY=MO,TH"


def test_ics_dtstart_matches_the_rrule_when_an_occurrence_was_moved(tmp_path):
    """A snoozed occurrence off the rule stays in the calendar as an RDATE."""
    conn = db.connect(tmp_path / "crm.db")
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    weekly = followups.create(conn, ana, parse_when("thu", WEDNESDAY), "Standup", "mon,thu")
    followups.snooze(conn, weekly.id, parse_when("sat", WEDNESDAY))
    event = _calendar_events(conn, [ana])[f"followup-{weekly.id}@crmcli"]
    assert event.dtstart.value == dt.date(2026, 11, 30)  # Monday: the rule's first day
    dates = [d.date() for d in list(event.getrruleset())[:3]]
    assert dates == [dt.date(2026, 11, 28), dt.date(2026, 11, 30), dt.date(2026, 12, 3)]


def test_the_cli_says_when_the_start_moved(crm):
    crm.add("Ana Lima")
    result = crm.ok("follow-up", "ana", "2026-11-27 16:00", "Board", "--every", "mon,thu")
    assert "is not a day the rule gives; it starts on" in result.stderr
    assert "Mon 30 Nov" in result.stderr
    record = crm.ok("followups", "list", "--json").json()[0]
    assert record["due"].startswith("2026-11-30T16:00")
    quiet = crm.ok("follow-up", "ana", "2026-11-30", "Board", "--every", "mon,thu")
    assert "rule gives" not in quiet.stderr


def test_empty_when_and_empty_text_are_errors(crm):
    crm.add("Ana Lima")
    empty_when = crm("follow-up", "ana", "", "Call")
    assert empty_when.exit_code == 1 and "the date is empty" in empty_when.stderr
    empty_text = crm("follow-up", "ana", "fri", "  ")
    assert empty_text.exit_code == 1 and "text is empty" in empty_text.stderr
    crm.ok("follow-up", "ana", "fri")  # no text at all is fine: "follow up"
    assert crm("followups", "edit", "1", "--text", "").exit_code == 1
    assert crm("snooze", "1", "").exit_code == 1
    assert len(crm.ok("followups", "list", "--json").json()) == 1
