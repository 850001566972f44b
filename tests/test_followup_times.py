"""A timed series keeps its time of day (``1d at 02:30``) across the changes of summer time: on
the night 02:30 does not exist it falls at 03:30 (RFC 5545's reading), then comes back to 02:30;
in the autumn's repeated hour it falls once. Run through the CLI on its own clock (CRM_NOW) in
Madrid, where 2027's changes are on 28 March (02:00 -> 03:00) and 31 October (03:00 -> 02:00)."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture
def madrid(crm, tmp_path, monkeypatch):
    config = tmp_path / "madrid.toml"
    config.write_text('timezone = "Europe/Madrid"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    crm.add("Ana Lima")
    return crm


def _open(crm) -> list[dict]:
    return crm.ok("followups", "--json", env={"CRM_NOW": "2027-01-01T12:00"}).json()


def _done_at(crm, *moments: str) -> list[tuple[str, str]]:
    """Mark the open follow-up done at each moment; the (due, rule) of each next one."""
    seen = []
    for moment in moments:
        (current,) = _open(crm)
        crm.ok("done", str(current["id"]), env={"CRM_NOW": moment})
        (following,) = _open(crm)
        seen.append((following["due"], following["rule"]))
    return seen


def _create(crm, when: str, *rule: str) -> dict:
    crm.ok("follow-up", "ana", when, "Call", "--every", *rule,
           env={"CRM_NOW": "2027-01-01T12:00"})
    (created,) = _open(crm)
    return created


def test_a_daily_series_at_02_30_comes_back_to_02_30_after_the_spring_night(madrid):
    created = _create(madrid, "2027-03-27 02:30", "1d")
    assert (created["due"], created["rule"]) == ("2027-03-27T02:30+01:00", "1d at 02:30")
    assert _done_at(madrid, "2027-03-27T10:00", "2027-03-28T10:00", "2027-03-29T10:00") == [
        ("2027-03-28T03:30+02:00", "1d at 02:30"),  # 02:30 does not exist that night
        ("2027-03-29T02:30+02:00", "1d at 02:30"),
        ("2027-03-30T02:30+02:00", "1d at 02:30")]


def test_a_series_typed_at_an_hour_that_does_not_exist_keeps_that_hour(madrid):
    created = _create(madrid, "2027-03-28 02:30", "1d")
    assert (created["due"], created["rule"]) == ("2027-03-28T03:30+02:00", "1d at 02:30")
    assert _done_at(madrid, "2027-03-28T10:00") == [("2027-03-29T02:30+02:00", "1d at 02:30")]


@pytest.mark.parametrize(("rule", "first", "stored", "dues"), [
    ("sun", "2027-03-21 02:30", "sun at 02:30",
     ["2027-03-28T03:30+02:00", "2027-04-04T02:30+02:00"]),
    ("1w", "2027-03-21 02:30", "1w at 02:30",
     ["2027-03-28T03:30+02:00", "2027-04-04T02:30+02:00"]),
    ("month", "2027-02-28 02:30", "1m on 28 at 02:30",
     ["2027-03-28T03:30+02:00", "2027-04-28T02:30+02:00"]),
    ("last sun", "2027-02-28 02:30", "last sun at 02:30",
     ["2027-03-28T03:30+02:00", "2027-04-25T02:30+02:00"]),
    ("year", "2026-03-28 02:30", "1y on 28 mar at 02:30",
     ["2027-03-28T03:30+02:00", "2028-03-28T02:30+02:00"]),
])
def test_weekly_monthly_and_yearly_series_keep_their_time_too(madrid, rule, first, stored,
                                                                dues):
    assert _create(madrid, first, rule)["rule"] == stored
    assert _done_at(madrid, "2027-03-27T10:00", "2027-03-28T10:00") == [
        (due, stored) for due in dues]


def test_from_done_keeps_the_time_of_day_too(madrid):
    _create(madrid, "2027-03-27 02:30", "1d", "--from-done")
    assert _done_at(madrid, "2027-03-27T10:00", "2027-03-28T10:00") == [
        ("2027-03-28T03:30+02:00", "1d at 02:30"), ("2027-03-29T02:30+02:00", "1d at 02:30")]


@pytest.mark.parametrize("done_in", ["2027-10-31T02:45+02:00", "2027-10-31T02:45+01:00"])
def test_the_autumn_hour_that_happens_twice_gives_one_occurrence(madrid, done_in):
    _create(madrid, "2027-10-30 02:30", "1d")
    assert _done_at(madrid, "2027-10-30T10:00", done_in, "2027-11-01T10:00") == [
        ("2027-10-31T02:30+02:00", "1d at 02:30"),  # the first 02:30 of the two
        ("2027-11-01T02:30+01:00", "1d at 02:30"),
        ("2027-11-02T02:30+01:00", "1d at 02:30")]


def test_a_series_stored_without_its_time_takes_the_time_it_is_due_at(madrid):
    _create(madrid, "2027-03-27 02:30", "1d")
    with sqlite3.connect(madrid.db_path) as conn:  # as books from earlier releases hold it
        conn.execute("UPDATE followups SET rule = '1d'")
    assert _done_at(madrid, "2027-03-27T10:00", "2027-03-28T10:00") == [
        ("2027-03-28T03:30+02:00", "1d at 02:30"), ("2027-03-29T02:30+02:00", "1d at 02:30")]


@pytest.mark.parametrize("snoozed_to", ["2027-05-03 11:00", "2027-05-03 08:00"])
def test_a_snoozed_occurrence_does_not_move_the_series_time(madrid, snoozed_to):
    created = _create(madrid, "2027-05-03 09:00", "1d")
    madrid.ok("snooze", str(created["id"]), snoozed_to, env={"CRM_NOW": "2027-05-03T07:00"})
    assert _done_at(madrid, "2027-05-03T12:00") == [("2027-05-04T09:00+02:00", "1d at 09:00")]


def test_editing_the_due_time_moves_the_series_time(madrid):
    created = _create(madrid, "2027-05-03 09:00", "1d")
    madrid.ok("followups", "edit", str(created["id"]), "--when", "2027-05-03 16:15",
              env={"CRM_NOW": "2027-05-03T07:00"})
    (edited,) = _open(madrid)
    assert (edited["rule"], edited["every"]) == ("1d at 16:15", "every day at 16:15")


def test_a_new_rule_on_a_snoozed_occurrence_keeps_the_series_time(madrid):
    created = _create(madrid, "2027-05-03 09:00", "1d")
    madrid.ok("snooze", str(created["id"]), "2027-05-03 15:00",
              env={"CRM_NOW": "2027-05-03T07:00"})
    madrid.ok("followups", "edit", str(created["id"]), "--every", "2d",
              env={"CRM_NOW": "2027-05-03T07:00"})
    (edited,) = _open(madrid)
    assert (edited["due"], edited["rule"]) == ("2027-05-03T15:00+02:00", "2d at 09:00")


def _give_rule(crm, how: str, when: str, every: str):
    """``--every EVERY`` given to a follow-up at WHEN as it is made (``add``), or by ``edit``
    to one made with the same rule without its time."""
    env = {"CRM_NOW": "2027-05-02T07:00"}
    if how == "add":
        return crm("follow-up", "ana", when, "Call", "--every", every, env=env)
    _create(crm, when, every.split(" at ")[0])
    return crm("followups", "edit", "1", "--every", every, env=env)


@pytest.mark.parametrize("how", ["add", "edit"])
def test_a_time_typed_in_the_rule_is_the_series_time(madrid, how):
    assert _give_rule(madrid, how, "2027-05-03 09:00", "1d at 07:15").exit_code == 0
    (series,) = _open(madrid)
    assert (series["due"], series["rule"]) == ("2027-05-03T09:00+02:00", "1d at 07:15")
    assert _done_at(madrid, "2027-05-03T10:00") == [("2027-05-04T07:15+02:00", "1d at 07:15")]


@pytest.mark.parametrize("how", ["add", "edit"])
def test_a_time_in_the_rule_of_a_whole_day_follow_up_is_refused(madrid, how):
    result = _give_rule(madrid, how, "2027-05-03", "1w at 07:15")
    assert result.exit_code == 1
    assert "names a time of day, but the follow-up is for a whole day" in result.stderr
    assert [series["rule"] for series in _open(madrid)] == ([] if how == "add" else ["1w"])


def _keep_in_touch(crm, moment: str) -> list[str]:
    return [row["when"] for row in crm.ok("due", "--json", env={"CRM_NOW": moment}).json()
            if row["section"] == "keep_in_touch"]


@pytest.mark.parametrize(("last", "not_yet", "due"), [
    ("2027-03-27T23:30", "2027-03-27T23:50", "2027-03-28T12:00"),  # a day of 23 hours next
    ("2027-10-31T00:30", "2027-10-31T12:00", "2027-11-01T12:00"),  # a day of 25 hours
])
def test_a_keep_in_touch_cadence_counts_local_days_across_a_change_of_summer_time(
        madrid, last, not_yet, due):
    """SQL counted a day as 24 hours: a contact last called late on 27 March came due on the
    29th, one called just after midnight on 31 October on the day of the call."""
    madrid.ok("edit", "ana", "--cadence", "1d")
    madrid.ok("log", "ana", "--at", last.replace("T", " "), "Call", env={"CRM_NOW": last})
    assert _keep_in_touch(madrid, not_yet) == []
    assert _keep_in_touch(madrid, due) == [due[:10]]
