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
