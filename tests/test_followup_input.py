"""What a follow-up accepts: a recurring one starts on a day its rule gives; dates, lengths of
time and numbers are checked for range; empty dates and texts are refused."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
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
    event = _calendar_events(conn, [ana])[created.uid]
    assert event.dtstart.value.astimezone(BERLIN) == dt.datetime(2026, 11, 30, 16, 0,
                                                                  tzinfo=BERLIN)
    assert event.rrule.value == "FREQ=WEEKLY;BYDAY=MO,TH"


def test_ics_dtstart_matches_the_rrule_when_an_occurrence_was_moved(tmp_path):
    """A snoozed occurrence off the rule stays in the calendar as an RDATE."""
    conn = db.connect(tmp_path / "crm.db")
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    weekly = followups.create(conn, ana, parse_when("thu", WEDNESDAY), "Standup", "mon,thu")
    followups.snooze(conn, weekly.id, parse_when("sat", WEDNESDAY))
    event = _calendar_events(conn, [ana])[weekly.uid]
    assert event.dtstart.value == dt.date(2026, 11, 30)  # Monday: the rule's first day
    dates = [d.date() for d in list(event.getrruleset())[:3]]
    assert dates == [dt.date(2026, 11, 28), dt.date(2026, 11, 30), dt.date(2026, 12, 3)]


def test_ics_series_is_at_the_rules_hour_when_an_occurrence_is_at_another(tmp_path):
    """An RRULE repeats DTSTART's hour: an occurrence typed or snoozed to another hour of a
    day the rule gives is an RDATE, and the series starts at the rule's hour."""
    conn = db.connect(tmp_path / "crm.db")
    ana = contacts.create(conn, Contact(name="Ana Lima")).id
    daily = followups.create(conn, ana, parse_when("today 9:00", WEDNESDAY), "Standup", "1d")
    followups.snooze(conn, daily.id, parse_when("today 15:00", WEDNESDAY))
    typed = followups.create(conn, ana, parse_when("thu 10:00", WEDNESDAY), "Board",
                             "mon,thu at 07:00")
    events = _calendar_events(conn, [ana])
    starts = [moment.astimezone(BERLIN) for moment in list(events[daily.uid].getrruleset())[:3]]
    assert starts == [dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN),
                      dt.datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN),
                      dt.datetime(2026, 11, 27, 9, 0, tzinfo=BERLIN)]
    starts = [moment.astimezone(BERLIN) for moment in list(events[typed.uid].getrruleset())[:3]]
    assert starts == [dt.datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN),
                      dt.datetime(2026, 11, 30, 7, 0, tzinfo=BERLIN),
                      dt.datetime(2026, 12, 3, 7, 0, tzinfo=BERLIN)]


def test_the_cli_says_when_the_start_moved(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", WEDNESDAY.isoformat())
    crm.add("Ana Lima")
    result = crm.ok("follow-up", "ana", "2026-11-27 16:00", "Board", "--every", "mon,thu")
    assert "is not on a day the rule gives; it starts on" in result.stderr
    assert "Mon 30 Nov" in result.stderr
    record = crm.ok("followups", "list", "--json").json()[0]
    assert record["due"].startswith("2026-11-30T16:00")
    quiet = crm.ok("follow-up", "ana", "2026-11-30", "Board", "--every", "mon,thu")
    assert "rule gives" not in quiet.stderr


def test_a_new_rule_moves_the_follow_up_to_a_day_it_gives(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", WEDNESDAY.isoformat())
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "2026-11-27", "Board")  # a Friday
    result = crm.ok("followups", "edit", "1", "--every", "mon,thu")
    assert "it now starts on Mon 30 Nov" in result.stderr
    assert crm.ok("followups", "list", "--json").json()[0]["due"] == "2026-11-30"


def test_empty_when_and_empty_text_are_errors(crm):
    crm.add("Ana Lima")
    empty_when = crm("follow-up", "ana", "", "Call")
    assert empty_when.exit_code == 1 and "the date is empty" in empty_when.stderr
    empty_text = crm("follow-up", "ana", "fri", "  ")
    assert empty_text.exit_code == 1 and "text is empty" in empty_text.stderr
    crm.ok("follow-up", "ana", "fri")  # no text at all is fine: "follow up"
    empty_edit = crm("followups", "edit", "1", "--text", "")
    assert empty_edit.exit_code == 2 and "the text is empty: say what to do" in empty_edit.stderr
    assert crm("snooze", "1", "").exit_code == 1
    assert len(crm.ok("followups", "list", "--json").json()) == 1


# ------------------------------------------------------- arguments that start with a dash


def test_a_date_that_starts_with_a_dash_is_an_argument(crm):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "-2d", "Send the quote")
    assert [(r["section"], r["text"]) for r in crm.ok("due", "--json").json()] == [
        ("overdue", "Send the quote")]


def test_a_negated_query_term_is_an_argument_not_a_short_option(crm):
    crm.add("Ana Lima", "--tag", "lost")
    crm.add("Bo Chen")
    kept = crm.ok("list", "-tag:lost")
    assert [row["name"] for row in kept.rows()] == ["Bo Chen"]


def test_a_token_a_short_option_would_swallow_is_a_usage_error(crm):
    crm.add("Ana Lima", "--tag", "lost")
    swallowed = crm("list", "-tvip")
    assert swallowed.exit_code == 2
    assert "'-tvip' reads as -t 'vip'; write --tag vip" in swallowed.stderr
    assert swallowed.stdout == ""


def test_dash_terms_that_are_no_option_reach_the_command(crm):
    crm.add("Ana Lima", "-e", "ana@example.com")
    help_flag_word = crm("list", "-has:email")  # -h is help: this must not print the help
    assert help_flag_word.exit_code == 0 and "Usage" not in help_flag_word.stdout
    assert crm("list", "--", "-tag:lost").exit_code == 0
    assert crm.ok("list", "-t", "x").stdout.count("\n") == 1  # real options still work
    assert "No such option: -z" in crm("list", "-z").stderr


def test_grouped_flags_are_still_options(crm):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "fri", "Call")
    crm.ok("followups", "rm", "1", "-y")
    assert crm.ok("followups", "list", "--json").json() == []


# ---------------------------------------------------------------- ranges of typed values


def test_numbers_too_large_to_store_are_usage_errors(crm):
    """Ids that large are unknown ids instead (tests/test_id_arguments.py)."""
    crm.add("Ana Lima")
    result = crm("list", "--limit", "99999999999999999999999")
    assert result.exit_code == 2
    assert "is too large a number" in result.stderr


def test_dates_and_lengths_of_time_out_of_range_are_clear_errors(crm):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "fri", "Call")
    for args, message in (
            (("follow-up", "ana", "9999-12-31", "x"), "the year 9999 is out of range"),
            (("follow-up", "ana", "+300y", "x"), "the year 2326 is out of range"),
            (("snooze", "1", "99999999999999999999 days"), "is too far"),
            (("due", "--within", "99999999999999d"), "too long a time"),
            (("deal", "add", "ana", "X", "--close", "9999-12-31"), "out of range"),
            (("log", "ana", "--duration", "99999999999999999999m", "x"), "too long"),
            (("follow-up", "ana", "fri", "x", "--every", "99999999999999999999d"),
             "the interval must be from 1 to 36500"),
            (("deal", "list", "--closing-within", "99999999999999999999"), "too long a time")):
        result = crm(*args)
        assert (result.exit_code, message in result.stderr) == (1, True), (args, result.stderr)
    assert len(crm.ok("followups", "list", "--json").json()) == 1


def test_ics_export_survives_any_stored_date(crm, db_path):
    crm.add("Ana Lima", "--birthday", "31/12/9999")  # imported birthdays keep any year
    crm.ok("follow-up", "ana", "2026-12-01", "Fine")
    crm.ok("follow-up", "ana", "2026-12-02", "Far")
    crm.ok("follow-up", "ana", "2026-12-03", "Broken")
    crm.ok("follow-up", "ana", "2026-12-04 9:00", "Odd zone")
    crm.ok("follow-up", "ana", "2026-12-05", "Odd rule", "--every", "2w")
    with db.connect(db_path) as conn:
        conn.execute("UPDATE followups SET due = '9999-12-31' WHERE id = 2")
        conn.execute("UPDATE followups SET due = 'soon' WHERE id = 3")
        conn.execute("UPDATE followups SET zone = 'Mars/Olympus' WHERE id = 4")
        conn.execute("UPDATE followups SET rule = 'now and then' WHERE id = 5")
    result = crm.ok("export", "-f", "ics", "--birthdays")
    calendar = vobject.readOne(result.stdout)
    assert [e.summary.value for e in calendar.vevent_list] == [
        "Fine (Ana Lima)", "Odd zone (Ana Lima)"]
    assert "follow-up 2 left out" in result.stderr and "follow-up 3 left out" in result.stderr
    assert "follow-up 5 left out" in result.stderr
    assert "Ana Lima's birthday left out" in result.stderr


@pytest.mark.parametrize("deal, code, message", [
    ("99999999999999999999999", 3, "no deal with id 99999999999999999999999"),
    ("9" * 5000, 3, f"no deal with id {'9' * 40}…"),
    ("x" * 5000, 1, f"--deal {'x' * 40!r}... (5,000 characters): expected a deal id or 'none'"),
    ("", 2, "Invalid value for '--deal': the deal is empty: give a deal id, or 'none'\n"
            "try 'crm followups edit --help'"),
])
def test_followups_edit_deal_is_checked_like_every_id(crm, deal, code, message):
    """--deal checked the largest id itself, quoted its whole value, and took '' as none."""
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "fri", "Call")
    result = crm("followups", "edit", "1", "--deal", deal)
    assert (result.exit_code, result.stderr) == (code, f"crm: error: {message}\n")


@pytest.mark.parametrize(("args", "otherwise"), [
    (["follow-up", "ana", "fri", "Call", "--every", ""], "leave out --every"),
    (["followups", "edit", "1", "--every", " "], "'off' to stop repeating"),
])
def test_an_empty_rule_is_refused(crm, args, otherwise):
    """--every '' made a follow-up that does not repeat, or stopped one repeating."""
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "fri", "Call", "--every", "2w")
    result = crm(*args)
    assert result.exit_code == 1
    assert result.stderr == ("crm: error: the rule is empty: give one (2w, month, 1st mon...), "
                             f"or {otherwise}\n")
    assert [f["every"] for f in crm.ok("followups", "list", "--json").json()] == ["every 2 weeks"]
