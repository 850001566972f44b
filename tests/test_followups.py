"""Follow-ups: creating, the agenda, done with recurrence, snooze, keep-in-touch, birthdays."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from crmcli import agenda as agenda_module
from crmcli import contacts, db, followups, occasions, recurrence
from crmcli.config import Config
from crmcli.dates import When, parse_when
from crmcli.errors import ConfigError, InvalidInput, NotFound
from crmcli.models import Contact, PartialDate
from crmcli.views.followups import agenda_panel, agenda_view

MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 22, 10, 30, tzinfo=MADRID)  # a Sunday


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(tmp_path / "domain.db")
    yield connection
    connection.close()


def _config(tmp_path, **raw) -> Config:
    return Config(path=tmp_path / "config.toml", db_path=tmp_path / "domain.db", raw=raw)


def _person(conn, name, **fields) -> int:
    return contacts.create(conn, Contact(name=name, **fields)).id


def _at(text: str, now: dt.datetime = NOW) -> When:
    return parse_when(text, now)


def _deal(conn, contact_id: int, title: str) -> int:
    return conn.execute(
        "INSERT INTO deals (contact_id, title, currency, stage, created_at, updated_at)"
        " VALUES (?, ?, 'EUR', 'lead', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
        [contact_id, title]).lastrowid


def _backdate(conn, contact_id: int, created_at: str) -> None:
    conn.execute("UPDATE contacts SET created_at = ? WHERE id = ?", [created_at, contact_id])


def _interaction(conn, contact_id: int, happened_at: str, deleted: bool = False) -> None:
    conn.execute("INSERT INTO interactions (contact_id, kind, happened_at, created_at, deleted_at)"
                 " VALUES (?, 'call', ?, ?, ?)",
                 [contact_id, happened_at, happened_at, happened_at if deleted else None])


# ------------------------------------------------------------------------------- the agenda


def test_agenda_sorts_overdue_today_and_upcoming_with_company_and_deal(conn, tmp_path):
    jose = _person(conn, "José Núñez", company="Iberia Logistics")
    ana = _person(conn, "Ana Lima")
    deal = _deal(conn, jose, "Fleet renewal")
    followups.create(conn, jose, _at("3 days ago"), "Send the quote", deal_id=deal)
    followups.create(conn, ana, _at("today 16:00"), "Call about the pilot")
    followups.create(conn, ana, _at("today"), "Reply to her email")
    followups.create(conn, jose, _at("+7d"), "Last day of the window")
    followups.create(conn, jose, _at("+8d"), "Beyond the window")
    done = followups.create(conn, ana, _at("yesterday"), "Already done")
    followups.mark_done(conn, done.id, NOW)
    gone = followups.create(conn, ana, _at("yesterday"), "Deleted")
    followups.delete(conn, gone.id)

    agenda = agenda_module.build(conn, NOW, _config(tmp_path))

    assert [(i.contact_name, i.company, i.followup.body, i.deal_title) for i in agenda.overdue] == [
        ("José Núñez", "Iberia Logistics", "Send the quote", "Fleet renewal")]
    assert [i.followup.body for i in agenda.today] == ["Reply to her email",
                                                       "Call about the pilot"]
    assert [i.followup.body for i in agenda.upcoming] == ["Last day of the window"]
    assert [i.followup.body for i in agenda_module.build(conn, NOW, _config(tmp_path), None
                                                      ).upcoming] == [
        "Last day of the window", "Beyond the window"]


def test_a_late_evening_follow_up_is_today_in_local_time(conn, tmp_path):
    ana = _person(conn, "Ana Lima")
    followups.create(conn, ana, _at("today 23:30"), "Late call")  # 22:30Z, still today
    followups.create(conn, ana, _at("tomorrow 0:30"), "Early call")  # 23:30Z today in UTC
    agenda = agenda_module.build(conn, NOW, _config(tmp_path))
    assert [i.followup.body for i in agenda.today] == ["Late call"]
    assert [i.followup.body for i in agenda.upcoming] == ["Early call"]


def test_follow_ups_of_trashed_contacts_are_hidden(conn, tmp_path):
    ana = _person(conn, "Ana Lima")
    followups.create(conn, ana, _at("today"), "Call")
    contacts.trash(conn, ana)
    assert agenda_module.build(conn, NOW, _config(tmp_path)).is_empty
    assert followups.upcoming_for_contact(conn, ana) == []


def test_upcoming_for_contact_is_open_ones_soonest_first(conn):
    ana, bo = _person(conn, "Ana Lima"), _person(conn, "Bo Chen")
    later = followups.create(conn, ana, _at("+10d"), "Later")
    overdue = followups.create(conn, ana, _at("-10d"), "Overdue")
    followups.create(conn, bo, _at("+1d"), "Someone else")
    done = followups.create(conn, ana, _at("+1d"), "Done")
    followups.mark_done(conn, done.id, NOW)
    found = followups.upcoming_for_contact(conn, ana)
    assert [e.followup.id for e in found] == [overdue.id, later.id]
    assert len(followups.upcoming_for_contact(conn, ana, limit=1)) == 1


def test_unknown_deal_is_not_found(conn):
    ana = _person(conn, "Ana Lima")
    with pytest.raises(NotFound, match="no deal with id 9"):
        followups.create(conn, ana, _at("fri"), "Call", deal_id=9)


# ------------------------------------------------------------------------------- recurrence


@pytest.mark.parametrize(("text", "canonical", "words"), [
    ("2w", "2w", "every 2 weeks"),
    ("every 2 weeks", "2w", "every 2 weeks"),
    ("3d", "3d", "every 3 days"),
    ("month", "1m", "every month"),
    ("2 months", "2m", "every 2 months"),
    ("year", "1y", "every year"),
    ("quarterly", "3m", "every 3 months"),
    ("1st mon", "1st mon", "the 1st Monday of every month"),
    ("last Friday", "last fri", "the last Friday of every month"),
    ("weekdays", "weekdays", "every weekday"),
    ("thu, mon", "mon,thu", "every Monday, Thursday"),
    ("weekdays at 9:05", "weekdays at 09:05", "every weekday at 09:05"),
    ("every 1st Mon at 14:00", "1st mon at 14:00", "the 1st Monday of every month at 14:00"),
    ("1m on 31 at 02:30:15", "1m on 31 at 02:30:15", "every month on day 31 at 02:30:15"),
])
def test_rules(text, canonical, words):
    rule = recurrence.parse_rule(text)
    assert rule.text == canonical
    assert recurrence.describe(rule) == words
    assert recurrence.parse_rule(rule.text) == rule


@pytest.mark.parametrize("text", ["", "sometimes", "0w", "1st", "6th mon", "t", "1d at",
                                  "1d at 9", "1d at 24:00", "1d at 9:60", "at 9:00"])
def test_bad_rules_say_what_works(text):
    with pytest.raises(InvalidInput, match=r"try: 2w, 3d, month|interval must be from 1 to"):
        recurrence.parse_rule(text)


def _done_chain(conn, followup, moments: list[dt.datetime]) -> list[str]:
    """Mark the follow-up done at each moment in turn; the local due times of the chain."""
    dues = []
    for moment in moments:
        _, followup = followups.mark_done(conn, followup.id, moment)
        dues.append(followups.due_moment(followup, MADRID).strftime("%Y-%m-%d %H:%M %Z"))
    return dues


def test_done_schedules_the_next_occurrence_once(conn):
    ana = _person(conn, "Ana Lima")
    first = followups.create(conn, ana, _at("today 9:00"), "Weekly call", "1w")
    closed, following = followups.mark_done(conn, first.id, NOW)
    assert closed.done_at == "2026-11-22T09:30:00Z"
    assert following.body == "Weekly call" and following.rule == "1w at 09:00"
    assert followups.due_moment(following, MADRID) == dt.datetime(2026, 11, 29, 9, 0,
                                                                  tzinfo=MADRID)
    with pytest.raises(InvalidInput, match="already done"):
        followups.mark_done(conn, first.id, NOW)
    open_ones = followups.upcoming_for_contact(conn, ana)
    assert [e.followup.id for e in open_ones] == [following.id]


def test_a_weekly_nine_oclock_stays_at_nine_across_the_dst_change(conn):
    ana = _person(conn, "Ana Lima")
    october = dt.datetime(2026, 10, 20, 8, 0, tzinfo=MADRID)
    first = followups.create(conn, ana, parse_when("9:00", october), "Standup", "1w")
    assert first.due == "2026-10-20T07:00:00Z"  # CEST, UTC+2
    _, following = followups.mark_done(conn, first.id, october)
    assert following.due == "2026-10-27T08:00:00Z"  # CET, UTC+1: still 9:00 local
    spring = dt.datetime(2027, 3, 23, 8, 0, tzinfo=MADRID)
    march = followups.create(conn, ana, parse_when("9:00", spring), "Standup", "1w")
    _, following = followups.mark_done(conn, march.id, spring)
    assert following.due == "2027-03-30T07:00:00Z"  # back to CEST


def test_monthly_on_the_31st_falls_on_month_ends_without_drifting(conn):
    ana = _person(conn, "Ana Lima")
    january = dt.datetime(2027, 1, 31, 8, 0, tzinfo=MADRID)
    first = followups.create(conn, ana, parse_when("10:00", january), "Invoice", "month")
    dones = [dt.datetime(2027, 1, 31, 11, 0, tzinfo=MADRID),
             dt.datetime(2027, 2, 28, 11, 0, tzinfo=MADRID),
             dt.datetime(2027, 3, 31, 11, 0, tzinfo=MADRID)]
    assert _done_chain(conn, first, dones) == ["2027-02-28 10:00 CET", "2027-03-31 10:00 CEST",
                                               "2027-04-30 10:00 CEST"]


def test_nth_weekday_and_yearly_leap_day_rules(conn):
    ana = _person(conn, "Ana Lima")
    review = followups.create(conn, ana, _at("2026-12-07"), "Review", "1st mon")
    assert _done_chain(conn, review, [NOW, NOW]) == ["2027-01-04 00:00 CET",
                                                     "2027-02-01 00:00 CET"]
    leap = followups.create(conn, ana, _at("2028-02-29"), "Leap", "year")
    done_then = dt.datetime(2028, 2, 29, 12, 0, tzinfo=MADRID)
    assert _done_chain(conn, leap, [done_then]) == ["2029-02-28 00:00 CET"]


def test_a_fixed_schedule_skips_occurrences_missed_while_overdue(conn):
    ana = _person(conn, "Ana Lima")
    late = followups.create(conn, ana, _at("-20d"), "Weekly report", "1w")  # due 2 Nov
    _, following = followups.mark_done(conn, late.id, NOW)
    assert followups.local_due_text(following, MADRID) == "2026-11-23"  # the next Monday


def test_from_done_counts_from_the_day_it_was_done(conn):
    ana = _person(conn, "Ana Lima")
    call = followups.create(conn, ana, _at("-5d 14:00"), "Call", "month", from_done=True)
    _, following = followups.mark_done(conn, call.id, NOW)
    assert followups.local_due_text(following, MADRID) == "2026-12-22T14:00+01:00"
    assert following.from_done


def test_from_done_needs_a_rule(conn):
    ana = _person(conn, "Ana Lima")
    with pytest.raises(InvalidInput, match="--from-done needs a recurrence rule"):
        followups.create(conn, ana, _at("fri"), "Call", from_done=True)


# --------------------------------------------------------------------------- keep in touch


def test_keep_in_touch_by_own_cadence_or_tag_default(conn, tmp_path):
    vip = _person(conn, "Vera Vip", tags=["vip"])
    own = _person(conn, "Otto Own", tags=["vip"])
    quiet = _person(conn, "Quinn Quiet", tags=["vip"])
    fresh = _person(conn, "Fred Fresh", tags=["vip"])
    plain = _person(conn, "Pat Plain")
    for contact_id in (vip, own, quiet, plain):
        _backdate(conn, contact_id, "2026-09-01T10:00:00Z")
    followups.set_cadence(conn, own, 120)
    followups.set_cadence(conn, quiet, 0)
    config = _config(tmp_path, cadence={"VIP": "14d", "lead": 30})

    found = agenda_module.build(conn, NOW, config).keep_in_touch

    assert [(k.contact_name, k.cadence_days, k.never_contacted) for k in found] == [
        ("Vera Vip", 14, True)]
    assert found[0].due_on(MADRID) == dt.date(2026, 9, 15)
    assert fresh not in [k.contact_id for k in found]


def test_logging_an_interaction_drops_the_contact_from_keep_in_touch(conn, tmp_path):
    ana = _person(conn, "Ana Lima")
    _backdate(conn, ana, "2026-01-01T10:00:00Z")
    followups.set_cadence(conn, ana, 30)
    _interaction(conn, ana, "2026-10-01T09:00:00Z")
    _interaction(conn, ana, "2026-11-20T09:00:00Z", deleted=True)  # deleted ones don't count
    found = agenda_module.build(conn, NOW, _config(tmp_path)).keep_in_touch
    assert [(k.last_contact, k.never_contacted) for k in found] == [
        ("2026-10-01T09:00:00Z", False)]
    assert agenda_module.touch_detail(found[0], NOW) == (
        "last contact Thu 1 Oct, every 30 days")
    _interaction(conn, ana, "2026-11-22T09:00:00Z")
    assert agenda_module.build(conn, NOW, _config(tmp_path)).keep_in_touch == []


def test_cadence_is_due_on_the_day_not_the_hour(conn, tmp_path):
    ana = _person(conn, "Ana Lima")
    followups.set_cadence(conn, ana, 30)
    _interaction(conn, ana, "2026-10-23T17:00:00Z")  # 30 days ago, later in the day
    assert len(agenda_module.build(conn, NOW, _config(tmp_path)).keep_in_touch) == 1


@pytest.mark.parametrize(("raw", "key"), [
    ({"cadence": {"vip": "often"}}, "[cadence] vip"),
    ({"cadence": {"vip": True}}, "[cadence] vip"),
    ({"cadence": "14d"}, 'cadence must be a table ([cadence], with tag = "14d" lines)'),
])
def test_bad_cadence_config_names_the_key(conn, tmp_path, raw, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        agenda_module.build(conn, NOW, _config(tmp_path, **raw))


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("2w", 14), ("1m", 30), ("off", 0),
                                            ("default", None), ("45", 45)])
def test_parse_cadence(text, days):
    assert followups.parse_cadence(text) == days


# -------------------------------------------------------------------------------- birthdays


def test_birthdays_and_anniversaries_in_the_window(conn, tmp_path):
    _person(conn, "Year Known", birthday=PartialDate(1979, 11, 25))
    _person(conn, "No Year", birthday=PartialDate(None, 11, 22),
            anniversary=PartialDate(2016, 11, 29))
    _person(conn, "Too Far", birthday=PartialDate(1990, 12, 1))
    _person(conn, "Past", birthday=PartialDate(1990, 11, 21))
    found = agenda_module.build(conn, NOW, _config(tmp_path)).birthdays
    assert [(o.contact_name, o.date.isoformat(), o.kind, o.age) for o in found] == [
        ("No Year", "2026-11-22", "birthday", None),
        ("Year Known", "2026-11-25", "birthday", 47),
        ("No Year", "2026-11-29", "anniversary", 10),
    ]
    assert occasions.occasion_text(found[1]) == "birthday (turns 47)"
    assert occasions.occasion_text(found[2]) == "anniversary (10 years)"


def test_occasions_left_unread_close_quietly_after_the_book(tmp_path):
    """`crm birthdays | head -1`: the reader leaves, the book closes, then the listing's
    generator is collected; closing it must not touch the closed book."""
    book = db.connect(tmp_path / "closed.db")
    _person(book, "First", birthday=PartialDate(1979, 11, 25))
    _person(book, "Second", birthday=PartialDate(1980, 11, 26))
    rows = occasions.falling(book, dt.date(2026, 11, 25), dt.date(2026, 11, 30))
    assert next(rows)[2] == "First"
    book.close()
    rows.close()


def test_a_birthday_in_a_later_year_has_no_age(conn):
    """A card's BDAY:9999-11-27 showed as "birthday (turns -7973)"."""
    _person(conn, "Far Future", birthday=PartialDate(9999, 11, 27))
    found = agenda_module.occasions(conn, dt.date(2026, 11, 25), dt.date(2026, 11, 30))
    assert [(o.contact_name, o.age, occasions.occasion_text(o)) for o in found] == [
        ("Far Future", None, "birthday")]


def test_a_29_february_birthday_falls_on_the_28th_in_other_years(conn):
    _person(conn, "Leap Yearless", birthday=PartialDate(None, 2, 29))
    _person(conn, "Leap Born", birthday=PartialDate(1980, 2, 29))
    found = agenda_module.occasions(conn, dt.date(2027, 2, 25), dt.date(2027, 3, 1))
    assert [(o.contact_name, o.date.isoformat(), o.age) for o in found] == [
        ("Leap Born", "2027-02-28", 47), ("Leap Yearless", "2027-02-28", None)]
    leap_year = agenda_module.occasions(conn, dt.date(2028, 2, 28), dt.date(2028, 2, 28))
    assert leap_year == []


# ------------------------------------------------------------------------------------ views


def _render(renderable) -> str:
    console = Console(width=150, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def test_views_show_contact_text_as_text_not_markup(conn, tmp_path):
    evil = _person(conn, "[bold]Mallory[/bold]\x1b[31m")
    followups.create(conn, evil, _at("yesterday"), "Pay [red]now[/red]\x07")
    agenda = agenda_module.build(conn, NOW, _config(tmp_path))
    for text in (_render(agenda_panel(agenda)), _render(agenda_view(agenda, ("overdue",)))):
        assert "[bold]Mallory[/bold][31m" in text
        assert "Pay [red]now[/red]" in text
        assert "\x1b[31m" not in text and "\x07" not in text


def test_panel_is_compact(conn, tmp_path):
    ana = _person(conn, "Ana Lima")
    for number in range(5):
        followups.create(conn, ana, _at("yesterday"), f"Task {number}")
    text = _render(agenda_panel(agenda_module.build(conn, NOW, _config(tmp_path))))
    assert "Overdue (5)" in text and "Task 2" in text and "Task 3" not in text
    assert "… 2 more" in text
    assert "Nothing due" in _render(agenda_panel(agenda_module.Agenda(NOW, 7)))


def test_seed_demo(conn, tmp_path):
    ids = [_person(conn, f"Person {n}") for n in range(12)]
    followups.seed_demo(conn, ids, NOW)
    agenda = agenda_module.build(conn, NOW, _config(tmp_path))
    assert agenda.overdue and agenda.today and agenda.upcoming
    assert any(e.followup.rule for e in followups.upcoming_for_contact(conn, ids[6]))
    assert conn.execute("SELECT cadence_days FROM contacts WHERE id = ?", [ids[0]]).fetchone() == (
        14,)


# -------------------------------------------------------------------------------- commands


def test_follow_up_prints_the_id_and_due_lists_it(crm):
    crm.add("José Núñez", "-c", "Iberia Logistics")
    crm.add("Ana Lima")
    assert crm.ok("follow-up", "jose", "yesterday", "Send", "the", "quote").stdout == "1\n"
    assert crm.ok("follow-up", "ana", "today 23:59", "Call").stdout == "2\n"
    crm.ok("follow-up", "ana", "+3d", "Pilot", "--every", "2 weeks")
    crm.ok("follow-up", "ana", "+30d", "Far away")
    rows = crm.ok("due").rows()
    assert [(r["section"], r["id"], r["contact"], r["company"], r["text"]) for r in rows] == [
        ("overdue", "1", "José Núñez", "Iberia Logistics", "Send the quote"),
        ("today", "2", "Ana Lima", "", "Call"),
        ("upcoming", "3", "Ana Lima", "", "Pilot"),
    ]
    assert [r["id"] for r in crm.ok("due", "--overdue").rows()] == ["1"]
    assert [r["id"] for r in crm.ok("due", "--within", "0d").rows()] == ["1", "2"]
    assert [r["id"] for r in crm.ok("due", "--all").rows()] == ["1", "2", "3", "4"]
    record = crm.ok("due", "--json").json()[2]
    assert record["rule"] == "2w" and record["kind"] == "follow_up"
    assert set(record) == {"section", "kind", "id", "contact_id", "contact", "company", "when",
                           "text", "deal_id", "deal", "rule", "due_at", "last_contact",
                           "cadence_days", "age"}


def test_due_with_nothing_due_says_so_on_stderr(crm):
    result = crm.ok("due")
    assert result.stdout == "section\tid\twhen\tcontact\tcompany\ttext\tdeal\n"
    assert "nothing due in the next 7 days" in result.stderr
    assert crm.ok("due", "--json").json() == []


def test_done_snooze_and_recurring_ids(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00+00:00")
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "today 9:30", "Weekly call", "--every", "1w")
    done = crm.ok("done", "1")
    assert done.stdout == "2\n"
    assert "done: 1 Weekly call" in done.stderr
    again = crm("done", "1")
    assert again.exit_code == 1 and "follow-up 1 is already done" in again.stderr
    assert crm("done", "99").exit_code == 3
    crm.ok("snooze", "2", "tomorrow")
    listed = crm.ok("followups", "list", "--json").json()
    assert [(f["id"], f["due"][11:16], f["every"]) for f in listed] == [
        (2, "09:30", "every week at 09:30")]
    assert listed[0]["due"][:10] == "2026-11-26"  # tomorrow for the pinned clock
    assert crm.ok("followups", "list", "--done").rows()[0]["done_at"].endswith("Z")


def test_followups_edit_and_rm(crm):
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "fri", "Call")
    crm.ok("followups", "edit", "1", "--text", "Call about the pilot", "--every", "month",
           "--when", "2030-01-31 10:00")
    record = crm.ok("followups", "list", "--json").json()[0]
    assert (record["text"], record["rule"], record["due"][:16]) == (
        "Call about the pilot", "1m on 31 at 10:00", "2030-01-31T10:00")
    crm.ok("followups", "edit", "1", "--every", "off")
    assert crm.ok("followups", "list", "--json").json()[0]["rule"] is None
    assert crm("followups", "edit", "1").exit_code == 1
    assert crm("followups", "edit", "1", "--deal", "7").exit_code == 3
    refused = crm("followups", "rm", "1")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    crm.ok("followups", "rm", "1", "--yes")
    assert crm.ok("followups").stdout.splitlines()[1:] == []


def test_bad_when_and_rule_explain_what_works(crm):
    crm.add("Ana Lima")
    bad_when = crm("follow-up", "ana", "31/02", "Call")
    assert bad_when.exit_code == 1
    assert "'31/02' is not a date crm understands" in bad_when.stderr
    assert "try: today, tomorrow 9:30" in bad_when.stderr
    bad_rule = crm("follow-up", "ana", "fri", "--every", "sometimes")
    assert bad_rule.exit_code == 1 and "try: 2w, 3d, month" in bad_rule.stderr
    assert crm("follow-up", "nobody", "fri").exit_code == 3


def test_edit_cadence_and_keep_in_touch_in_due(crm, db_path, tmp_path, monkeypatch):
    config = tmp_path / "crm.toml"
    config.write_text('[cadence]\nvip = "14d"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    vip = crm.add("Vera Vip", "-t", "vip")
    ana = crm.add("Ana Lima")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE contacts SET created_at = '2020-01-01T00:00:00Z'")
    assert [r["contact"] for r in crm.ok("due").rows()] == ["Vera Vip"]
    assert "keep in touch every 30 days" in crm.ok("edit", "ana", "--cadence", "30d").stderr
    rows = crm.ok("due").rows()
    assert [(r["section"], r["contact"]) for r in rows] == [("keep_in_touch", "Vera Vip"),
                                                            ("keep_in_touch", "Ana Lima")]
    assert "never contacted" in rows[1]["text"]
    crm.ok("edit", str(vip), "--cadence", "off")
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO interactions (contact_id, kind, happened_at, created_at)"
                     " VALUES (?, 'call', strftime('%Y-%m-%dT%H:%M:%SZ'), 'x')", [ana])
    assert crm.ok("due").rows() == []
    assert crm("edit", "ana", "--cadence", "sometimes").exit_code == 1


def test_birthdays_command(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00+00:00")
    today = dt.date(2026, 11, 25)
    soon = today + dt.timedelta(days=5)
    crm.add("Ana Lima", "--birthday", f"--{soon:%m-%d}")
    crm.add("Bo Chen", "--birthday", f"{soon.year - 40}-{soon:%m-%d}")
    rows = crm.ok("birthdays").rows()
    assert [(r["contact"], r["in_days"], r["kind"], r["age"]) for r in rows] == [
        ("Ana Lima", "5", "birthday", ""), ("Bo Chen", "5", "birthday", "40")]
    assert crm.ok("birthdays", "--within", "2d").rows() == []
    assert [r["section"] for r in crm.ok("due").rows()] == ["birthdays", "birthdays"]


def test_snoozing_one_occurrence_keeps_a_monthly_series_on_its_day(conn):
    ana = _person(conn, "Ana Lima")
    invoice = followups.create(conn, ana, _at("2026-11-30"), "Invoice", "month")
    assert invoice.rule == "1m on 30"
    snoozed = followups.snooze(conn, invoice.id, _at("2026-12-03"))
    assert snoozed.rule == "1m on 30"
    _, following = followups.mark_done(conn, invoice.id, dt.datetime(2026, 12, 3, 9,
                                                                     tzinfo=MADRID))
    assert followups.local_due_text(following, MADRID) == "2026-12-30"


def test_snooze_keeps_the_hour_unless_a_new_one_is_given(conn):
    ana = _person(conn, "Ana Lima")
    call = followups.create(conn, ana, _at("today 16:45"), "Call")
    moved = followups.snooze(conn, call.id, _at("tue"))
    assert followups.local_due_text(moved, MADRID) == "2026-11-24T16:45+01:00"
    moved = followups.snooze(conn, call.id, _at("wed 8:00"))
    assert followups.local_due_text(moved, MADRID) == "2026-11-25T08:00+01:00"
    followups.mark_done(conn, call.id, NOW)
    with pytest.raises(InvalidInput, match="already done; nothing to snooze"):
        followups.snooze(conn, call.id, _at("fri"))
