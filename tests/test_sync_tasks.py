"""Follow-ups as tasks in a local vdir of .ics files (what vdirsyncer syncs with a CalDAV
calendar): what crm writes, read back with icalendar, and a phone's edits of the files. The
same through a real Radicale and vdirsyncer: test_sync_tasks_dav.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

LISBON = ZoneInfo("Europe/Lisbon")


@pytest.fixture
def tasks(crm, tmp_path, monkeypatch) -> Path:
    """A book syncing contacts and tasks with local vdirs, no vdirsyncer, clock pinned."""
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00Z")
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'timezone = "Europe/Lisbon"\n[sync]\ncommand = ""\n'
                      f'contacts = "{tmp_path / "contacts"}"\ntasks = "{tmp_path / "tasks"}"\n')
    crm.add("Ana Lima")
    (tmp_path / "tasks").mkdir()
    return tmp_path / "tasks"


def _todos(folder: Path) -> dict[str, tuple[Path, icalendar.Todo]]:
    """Each task by its SUMMARY: its file and its VTODO (each file read by icalendar)."""
    found = {}
    for path in sorted(folder.glob("*.ics")):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        (todo,) = calendar.walk("VTODO")
        found[str(todo["SUMMARY"])] = (path, todo)
        assert {str(c["TZID"]) for c in calendar.walk("VTIMEZONE")} == {
            str(p.params["TZID"]) for p in (todo.get("DUE"), todo.get("DTSTART"))
            if p is not None and "TZID" in p.params}
    return found


def _edit(path: Path, **changes) -> None:
    """Change a task as a phone would: set properties (None removes one), new LAST-MODIFIED."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    (todo,) = calendar.walk("VTODO")
    for name, value in {**changes, "last_modified": dt.datetime(2026, 11, 25, 12, 30,
                                                                 tzinfo=dt.UTC)}.items():
        name = name.replace("_", "-").upper()
        todo.pop(name, None)
        if value is not None:
            todo.add(name, value)
    path.write_bytes(calendar.to_ical())


def test_follow_ups_are_written_as_tasks_calendar_readers_accept(crm, tasks):
    deal = crm.ok("deal", "add", "ana", "Warehouse sensors").stdout.strip()
    crm.ok("follow-up", "ana", "2026-11-30 9:00", "Weekly call", "--every", "1w")
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote", "--deal", deal)
    crm.ok("follow-up", "ana", "2026-12-01", "Check in", "--every", "month", "--from-done")
    result = crm.ok("sync")
    assert "tasks: pushed 3 new" in result.stderr
    todos = _todos(tasks)
    _, weekly = todos["Weekly call"]
    ana_uid = crm.ok("show", "ana", "--json").json()["uid"]
    assert (str(weekly["CONTACT"]), str(weekly["X-CRMCLI-CONTACT-UID"])) == ("Ana Lima", ana_uid)
    assert weekly["DUE"].dt == dt.datetime(2026, 11, 30, 9, 0, tzinfo=LISBON)
    assert weekly["DUE"].params["TZID"] == weekly["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert weekly["DTSTART"].dt == weekly["DUE"].dt
    rule = rrulestr(weekly["RRULE"].to_ical().decode(), dtstart=weekly["DTSTART"].dt)
    assert rule[0] == weekly["DTSTART"].dt and rule[1].hour == 9  # DTSTART on the rule
    assert str(weekly["STATUS"]) == "NEEDS-ACTION"
    _, quote = todos["Send the quote"]
    assert quote["DUE"].to_ical() == b"20261128" and quote["DUE"].params.get("VALUE") == "DATE"
    assert "DTSTART" not in quote and "RRULE" not in quote
    assert str(quote["DESCRIPTION"]) == "Deal: Warehouse sensors"
    _, check_in = todos["Check in"]
    assert "RRULE" not in check_in and str(check_in["X-CRMCLI-RULE"]).startswith("1m")
    assert crm.ok("sync").stderr == ""  # a fixed point


def test_completed_on_the_phone_is_done_and_the_same_task_moves_on(crm, tasks, monkeypatch):
    crm.ok("follow-up", "ana", "2026-11-30 9:00", "Weekly call", "--every", "1w")
    crm.ok("sync")
    path, todo = _todos(tasks)["Weekly call"]
    _edit(path, status="COMPLETED", completed=dt.datetime(2026, 11, 25, 12, 30, tzinfo=dt.UTC))
    monkeypatch.setenv("CRM_NOW", "2026-11-25T13:00:00Z")
    crm.ok("sync")
    (following,) = crm.ok("followups", "--json").json()
    assert following["due_at"] == "2026-12-07T09:00:00Z" and following["uid"] == str(todo["UID"])
    assert [p.name for p in tasks.glob("*.ics")] == [path.name]
    _, moved = _todos(tasks)["Weekly call"]
    assert moved["DUE"].dt == dt.datetime(2026, 12, 7, 9, 0, tzinfo=LISBON)
    assert str(moved["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in moved
    assert crm.ok("sync").stderr == ""
    journal = crm.ok("journal", "--json").json()[0]
    assert journal["source"] == "sync"


def _task(uid: str, summary: str, *lines: str) -> bytes:
    """A task as a phone's app creates it (tasks.org through DAVx5, say)."""
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:+//IDN tasks.org//android",
                        "BEGIN:VTODO", f"UID:{uid}", "DTSTAMP:20261125T120500Z",
                        f"SUMMARY:{summary}", *lines, "STATUS:NEEDS-ACTION", "END:VTODO",
                        "END:VCALENDAR", ""]).encode()


def test_a_task_made_on_the_phone_is_a_follow_up_of_the_contact_it_names(crm, tasks):
    crm.add("Bruno Alves")
    crm.add("Bruno")  # a shorter name inside the longer one does not make it ambiguous
    crm.ok("sync")
    tasks.joinpath("3f1c9a.ics").write_bytes(_task(
        "3f1c9a", "Call Bruno Alves about the contract", "DUE;VALUE=DATE:20261201"))
    tasks.joinpath("b7e2.ics").write_bytes(_task(
        "b7e2", "Send the brochure", "CONTACT:Ana Lima",
        "DUE;TZID=Europe/Lisbon:20261202T150000"))
    tasks.joinpath("c9d0.ics").write_bytes(_task("c9d0", "Buy printer paper",
                                                 "DUE;VALUE=DATE:20261203"))
    result = crm.ok("sync")
    assert "tasks: pulled 3 new" in result.stderr
    made = {f["text"]: f for f in crm.ok("followups", "--json").json()}
    assert made["Call Bruno Alves about the contract"]["contact"] == "Bruno Alves"
    assert made["Call Bruno Alves about the contract"]["due"] == "2026-12-01"
    brochure = made["Send the brochure"]
    assert (brochure["contact"], brochure["due_at"], brochure["zone"]) == (
        "Ana Lima", "2026-12-02T15:00:00Z", "Europe/Lisbon")
    assert made["Buy printer paper"]["contact_id"] is None
    assert {f["uid"] for f in made.values()} == {"3f1c9a", "b7e2", "c9d0"}
    todos = _todos(tasks)
    _, named = todos["Call Bruno Alves about the contract"]
    assert str(named["CONTACT"]) == "Bruno Alves" and "X-CRMCLI-CONTACT-UID" in named
    assert "CONTACT" not in todos["Buy printer paper"][1]
    assert sorted(p.name for p in tasks.glob("*.ics")) == ["3f1c9a.ics", "b7e2.ics", "c9d0.ics"]
    assert crm.ok("sync").stderr == ""


def test_deleted_on_the_phone_is_cancelled_and_undo_brings_it_back(crm, tasks):
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    crm.ok("sync")
    (path,) = tasks.glob("*.ics")
    path.unlink()
    result = crm.ok("sync")
    assert "tasks: pulled 1 deleted" in result.stderr and "crm undo" in result.stderr
    assert crm.ok("followups", "--json").json() == []
    operation = crm.ok("journal", "--json").json()[0]
    assert operation["source"] == "sync"
    crm.ok("undo", str(operation["id"]))
    assert [f["text"] for f in crm.ok("followups", "--json").json()] == ["Send the quote"]
    assert "tasks: pushed 1 new" in crm.ok("sync").stderr
    assert [p.name for p in tasks.glob("*.ics")] == [path.name]


def test_due_moved_off_the_rule_is_a_snooze_and_onto_the_next_date_is_done(crm, tasks):
    crm.ok("follow-up", "ana", "2026-11-30", "Weekly report", "--every", "mon")
    crm.ok("sync")
    (path,) = tasks.glob("*.ics")
    _edit(path, due=dt.date(2026, 12, 2), dtstart=dt.date(2026, 12, 2))
    crm.ok("sync")
    (snoozed,) = crm.ok("followups", "--json").json()
    assert snoozed["due"] == "2026-12-02"
    assert len(crm.ok("followups", "--done", "--json").json()) == 1
    crm.ok("snooze", str(snoozed["id"]), "2026-12-03")
    crm.ok("sync")
    _, todo = _todos(tasks)["Weekly report"]
    assert todo["DTSTART"].dt == dt.date(2026, 11, 30)  # the rule's day, before the due date
    assert todo["DUE"].dt == dt.date(2026, 12, 3)
    _edit(path, due=dt.date(2026, 12, 7), dtstart=dt.date(2026, 12, 7))
    crm.ok("sync")
    every = crm.ok("followups", "--done", "--json").json()
    assert [(f["due"], f["done_at"] is not None) for f in every] == [
        ("2026-12-03", True), ("2026-12-07", False)]
    assert crm.ok("sync").stderr == ""


def test_a_from_done_task_completed_on_the_phone_comes_back_with_the_next_date(
        crm, tasks, monkeypatch):
    crm.ok("follow-up", "ana", "2026-11-28", "Check in", "--every", "2w", "--from-done")
    crm.ok("sync")
    (path,) = tasks.glob("*.ics")
    _edit(path, status="COMPLETED")
    monkeypatch.setenv("CRM_NOW", "2026-12-01T10:00:00Z")
    crm.ok("sync")
    (following,) = crm.ok("followups", "--json").json()
    assert following["due"] == "2026-12-15"  # two weeks from the day it was done
    _, todo = _todos(tasks)["Check in"]
    assert (str(todo["STATUS"]), todo["DUE"].dt) == ("NEEDS-ACTION", dt.date(2026, 12, 15))
    assert "RRULE" not in todo and [p.name for p in tasks.glob("*.ics")] == [path.name]


def test_a_file_that_is_not_a_task_is_named_and_the_rest_syncs(crm, tasks):
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    tasks.joinpath("broken.ics").write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nSUMMARY:x")
    result = crm("sync")
    assert result.exit_code == 1 and "tasks: broken.ics:" in result.stderr
    assert "Traceback" not in result.stderr
    (written,) = set(tasks.glob("*.ics")) - {tasks / "broken.ics"}
    assert "SUMMARY:Send the quote" in written.read_text()
    assert crm.ok("sync", "conflicts", "--json").json()[0]["status"] == "unresolved"


def test_a_task_dated_beyond_the_years_crm_takes_is_named_and_the_rest_syncs(crm, tasks):
    """A due date in the year 9999 was taken, then its file could not be written back: every
    sync ended in an internal error, half applied."""
    tasks.joinpath("far.ics").write_bytes(_task("far", "Someday", "DUE:99991231T000000Z"))
    tasks.joinpath("old.ics").write_bytes(_task("old", "Long ago", "DUE;VALUE=DATE:00010101"))
    tasks.joinpath("soon.ics").write_bytes(_task("soon", "Soon", "DUE;VALUE=DATE:20261201"))
    result = crm("sync")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "tasks: far.ics: DUE 9999-12-31 is out of range" in result.stderr
    assert "tasks: old.ics: DUE 0001-01-01 is out of range" in result.stderr
    assert [f["text"] for f in crm.ok("followups", "--json").json()] == ["Soon"]


def test_a_floating_start_before_a_due_with_a_zone_is_dropped_not_compared(crm, tasks):
    """A phone's DTSTART without a zone (floating) beside a DUE with one: comparing the two
    ended the sync in an internal error."""
    tasks.joinpath("mixed.ics").write_bytes(_task(
        "mixed", "Mixed times", "DTSTART:20261130T090000",
        "DUE;TZID=Europe/Lisbon:20261201T100000"))
    assert "tasks: pulled 1 new" in crm.ok("sync").stderr
    _, todo = _todos(tasks)["Mixed times"]
    assert "DTSTART" not in todo and todo["DUE"].dt == dt.datetime(2026, 12, 1, 10, 0,
                                                                   tzinfo=LISBON)
    assert crm.ok("sync").stderr == ""


def test_a_phone_rule_crm_does_not_know_is_kept_with_its_until_in_utc(crm, tasks):
    tasks.joinpath("ends.ics").write_bytes(_task(
        "ends", "Water the plants", "CONTACT:Ana Lima",
        "DTSTART;TZID=Europe/Lisbon:20260701T080000", "DUE;TZID=Europe/Lisbon:20260701T080000",
        "RRULE:FREQ=WEEKLY;UNTIL=20260901T080000"))
    result = crm.ok("sync")
    assert "its repeat rule is not one crm knows; imported once" in result.stderr
    (made,) = crm.ok("followups", "--json").json()
    assert (made["contact"], made["rule"]) == ("Ana Lima", None)
    _, todo = _todos(tasks)["Water the plants"]
    assert str(todo["X-CRMCLI-CONTACT-UID"])  # crm wrote the task again...
    assert todo["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260901T070000Z"  # ...UNTIL in UTC
    assert crm.ok("sync").stderr == ""


def test_done_and_rm_in_crm_reach_the_phone_as_the_same_task_moved_on_and_deleted(crm, tasks):
    crm.ok("follow-up", "ana", "2026-11-30", "Weekly report", "--every", "mon")
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    crm.ok("sync")
    files = sorted(p.name for p in tasks.glob("*.ics"))
    weekly, quote = (
        {f["text"]: f["id"] for f in crm.ok("followups", "--json").json()}[text]
        for text in ("Weekly report", "Send the quote"))
    crm.ok("done", str(weekly))
    crm.ok("followups", "rm", str(quote), "--yes")
    assert "tasks: pushed 1 changed, 1 deleted" in crm.ok("sync").stderr
    (path,) = tasks.glob("*.ics")
    assert path.name in files
    _, todo = _todos(tasks)["Weekly report"]
    assert (todo["DUE"].dt, str(todo["STATUS"])) == (dt.date(2026, 12, 7), "NEEDS-ACTION")
    assert crm.ok("sync").stderr == ""


def test_the_same_text_changed_on_both_sides_keeps_the_newer(crm, tasks, monkeypatch):
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    crm.ok("sync")
    (path,) = tasks.glob("*.ics")
    _edit(path, summary="Send the quote by post")  # at 12:30
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:40:00Z")
    crm.ok("followups", "edit", "1", "--text", "Send the quote by mail")
    monkeypatch.setenv("CRM_NOW", "2026-11-25T13:00:00Z")
    crm.ok("sync")
    (kept,) = crm.ok("followups", "--json").json()
    assert kept["text"] == "Send the quote by mail"
    assert str(_todos(tasks)["Send the quote by mail"][1]["SUMMARY"]) == kept["text"]
    (conflict,) = crm.ok("sync", "conflicts", "--json").json()
    assert (conflict["field"], conflict["lost"], conflict["winner"]) == (
        "summary", "Send the quote by post", "crm")


def test_two_books_on_one_vdir_agree_on_done_occurrences(crm, tasks, tmp_path, monkeypatch):
    from conftest import Crm

    desktop = Crm(tmp_path / "desktop.db")
    crm.ok("follow-up", "ana", "2026-11-30 9:00", "Weekly call", "--every", "1w")
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    for book in (crm, desktop, crm, desktop):
        book.ok("sync")
    for text in ("Weekly call", "Send the quote"):
        (row,) = [f for f in crm.ok("followups", "--json").json() if f["text"] == text]
        crm.ok("done", str(row["id"]))
    for book in (crm, desktop, crm, desktop):
        book.ok("sync")

    def seen(book):
        return sorted((f["text"], f["due"], f["done_at"] is not None, f["contact"])
                      for f in book.ok("followups", "--done", "--json").json())

    assert seen(desktop) == seen(crm) == [
        ("Send the quote", "2026-11-28", True, "Ana Lima"),
        ("Weekly call", "2026-11-30T09:00+00:00", True, "Ana Lima"),
        ("Weekly call", "2026-12-07T09:00+00:00", False, "Ana Lima")]
    assert crm.ok("sync").stderr == desktop.ok("sync").stderr == ""


def test_a_timed_rule_is_written_so_an_earlier_crm_reads_it_and_another_book_whole(
        crm, tasks, tmp_path):
    from conftest import Crm

    crm.ok("follow-up", "ana", "2026-11-30 9:00", "Weekly call", "--every", "1w")
    crm.ok("sync")
    path, weekly = _todos(tasks)["Weekly call"]
    # the rule as crm wrote it before series kept their time (an earlier crm read "1w at 09:00"
    # as no rule: it imported the series once and took its RRULE off the task at each sync)
    assert (str(weekly["X-CRMCLI-RULE"]), str(weekly["X-CRMCLI-RULE-AT"])) == ("1w", "09:00")
    desktop = Crm(tmp_path / "desktop.db")
    desktop.ok("sync")
    (copy,) = desktop.ok("followups", "--json").json()
    assert (copy["rule"], copy["due"]) == ("1w at 09:00", "2026-11-30T09:00+00:00")
    _edit(path, x_crmcli_rule="2w")  # a rule changed by an earlier crm, the time kept
    for book in (crm, desktop):
        book.ok("sync")
        assert [f["rule"] for f in book.ok("followups", "--json").json()] == ["2w at 09:00"]
    assert crm.ok("sync").stderr == desktop.ok("sync").stderr == ""


def test_a_from_done_follow_up_done_in_one_book_is_done_in_the_other(crm, tasks, tmp_path):
    from conftest import Crm

    desktop = Crm(tmp_path / "desktop.db")
    crm.ok("follow-up", "ana", "2026-11-28", "Check in", "--every", "2w", "--from-done")
    for book in (crm, desktop):
        book.ok("sync")
    crm.ok("done", "1")
    for book in (crm, desktop, crm, desktop):
        book.ok("sync")
    for book in (crm, desktop):
        every = book.ok("followups", "--done", "--json").json()
        assert [(f["due"], f["done_at"] is not None) for f in every] == [
            ("2026-11-28", True), ("2026-12-09", False)]


def test_hooks_see_a_sync_of_tasks_as_one_operation_and_never_block_it(crm, tasks, tmp_path):
    import json
    import sys

    hooks = tmp_path / "config" / "crmcli" / "hooks"
    hooks.mkdir(parents=True)
    for name in ("pre-add", "pre-modify", "post-add", "post-modify"):
        (hooks / name).write_text(
            f"#!{sys.executable}\nimport json, os, sys\n"
            "lines = [json.loads(line) for line in sys.stdin if line.strip()]\n"
            f"open({str(hooks / 'calls.jsonl')!r}, 'a').write(json.dumps("
            "[os.environ['CRM_HOOK'], os.environ.get('CRM_OPERATION'), len(lines)]) + '\\n')\n")
        (hooks / name).chmod(0o755)
    crm.ok("sync")
    tasks.joinpath("p1.ics").write_bytes(_task("p1", "Call Ana Lima", "DUE;VALUE=DATE:20261201"))
    result = crm.ok("sync")
    assert "tasks: pulled 1 new" in result.stderr
    (made,) = crm.ok("followups", "--json").json()
    assert made["contact"] == "Ana Lima"
    operation = crm.ok("journal", "--json").json()[0]
    calls = [json.loads(line) for line in (hooks / "calls.jsonl").read_text().splitlines()]
    # the first sync pushed only; the second added Ana's follow-up: one post-modify of Ana
    assert calls == [["post-modify", str(operation["id"]), 1]]


def test_cancelled_on_the_phone_is_deleted_in_crm_then_from_the_vdir(crm, tasks):
    crm.ok("follow-up", "ana", "2026-11-28", "Send the quote")
    crm.ok("sync")
    (path,) = tasks.glob("*.ics")
    _edit(path, status="CANCELLED")
    assert "cancelled on the phone" in crm.ok("sync").stderr
    assert crm.ok("followups", "--json").json() == []
    assert "tasks: pushed 1 deleted" in crm.ok("sync").stderr
    assert list(tasks.glob("*.ics")) == []
