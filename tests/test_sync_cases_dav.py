"""Open service cases as tasks, through a real Radicale and the real vdirsyncer driven by the
config `crm sync setup --cases` writes: the phone sees each open case with its promise and
priority; done on the phone resolves the case in crm; what else the phone changes is crm's to
say; a case resolved in crm is ticked done on the phone; a further run moves nothing."""

from __future__ import annotations

import datetime as dt

import dav
import icalendar
import pytest
from syncworld import Clock, Device


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = dav.start_radicale(tmp_path_factory.mktemp("radicale-cases"))
    try:
        yield _build(server, tmp_path_factory)
    finally:
        server.stop()


def _build(server: dav.Radicale, tmp_path_factory) -> dict:
    book = server.addressbook("book")
    calendar = server.calendar("cases", "VTODO")
    laptop = Device("laptop", tmp_path_factory.mktemp("laptop"), Clock())
    laptop.ok("sync", "setup", book.url, "--cases")
    laptop.add("Ana Lima", "-c", "Atlântico Foods")
    laptop.ok("case", "open", "ana", "Late delivery", "--priority", "high", "--due", "fri")
    laptop.ok("case", "open", "ana", "Wrong invoice", "--due", "2026-11-24 12:00")
    laptop.ok("case", "open", "ana", "Broken sensor", "--due", "fri")
    laptop.ok("case", "wait", "3", "--until", "2026-11-24 09:00")
    laptop.ok("case", "open", "ana", "Question already answered")
    laptop.ok("case", "resolve", "4")
    world = {"laptop": laptop, "calendar": calendar, "first": laptop.sync()}
    world["pushed"] = _tasks(calendar)
    _edit(calendar, "Wrong invoice", {"status": "COMPLETED", "percent-complete": 100})
    _edit(calendar, "Late delivery", {"summary": "Late delivery (phone)"})
    world["second"] = laptop.sync()
    laptop.ok("case", "resolve", "1", "Sent by courier")
    world["third"] = laptop.sync()
    etags = calendar.list()
    world["fourth"] = laptop.sync()
    world["etags_kept"] = etags == calendar.list()
    world["tasks"] = _tasks(calendar)
    return world


def _tasks(calendar: dav.Collection) -> dict[str, icalendar.Todo]:
    found = {}
    for text in calendar.items().values():
        (todo,) = icalendar.Calendar.from_ical(text).walk("VTODO")
        found[str(todo["SUMMARY"])] = todo
    return found


def _edit(calendar: dav.Collection, title: str, changes: dict) -> None:
    for href, etag in calendar.list().items():
        parsed = icalendar.Calendar.from_ical(calendar.get(href))
        (todo,) = parsed.walk("VTODO")
        if str(todo["SUMMARY"]) == title:
            moment = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
            for name, value in {**changes, "last-modified": moment}.items():
                todo.pop(name.upper(), None)
                todo.add(name, value)
            reply = calendar.put(href, parsed.to_ical().decode(), etag=etag)
            assert reply.status in (200, 201, 204), reply.text
            return
    raise AssertionError(f"no task {title!r} on the server")


def test_open_cases_go_to_the_phone_with_their_promise(world):
    assert world["first"].exit_code == 0, world["first"].stderr
    pushed = world["pushed"]
    assert set(pushed) == {"Late delivery", "Wrong invoice", "Broken sensor"}
    late = pushed["Late delivery"]
    assert (late.decoded("DUE"), int(late["PRIORITY"]), str(late["STATUS"])) == (
        dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=dt.UTC), 3, "NEEDS-ACTION")
    assert str(late["CONTACT"]) == "Ana Lima"
    assert str(late["X-CRMCLI-CONTACT-UID"]) == world["laptop"].ok(
        "show", "ana", "--json").json()["uid"]
    sensor = pushed["Broken sensor"]  # waits until Tuesday 9:00 from Sunday 9:0x
    assert str(sensor["STATUS"]) == "IN-PROCESS"
    assert sensor.decoded("DUE") > dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.UTC)


def test_a_waiting_case_is_due_on_the_phone_when_crm_says(world):
    """The wait has an end (Tuesday 9:00): both add the whole planned wait, whenever asked."""
    shown = world["laptop"].ok("case", "show", "3", "--json").json()
    assert shown["status"] == "waiting"
    due = dt.datetime.fromisoformat(shown["due_at"])
    assert world["pushed"]["Broken sensor"].decoded("DUE") == due
    assert world["tasks"]["Broken sensor"].decoded("DUE") == due


def test_done_on_the_phone_resolves_the_case(world):
    second = world["second"]
    assert second.exit_code == 0, second.stderr
    assert "done on the phone: case 2 resolved" in second.stderr
    shown = world["laptop"].ok("case", "show", "2", "--json").json()
    assert (shown["status"], shown["resolution"]) == ("resolved", "resolved on the phone")
    assert world["laptop"].ok("journal", "--json").json()[0]["source"] == "cli"  # resolve 1
    sources = {entry["what"]: entry["source"]
               for entry in world["laptop"].ok("journal", "--json").json()}
    assert sources["sync"] == "sync"


def test_the_phone_cannot_rename_a_case_and_crm_resolving_ticks_the_task(world):
    tasks = world["tasks"]
    assert "Late delivery (phone)" not in tasks
    assert str(tasks["Late delivery"]["STATUS"]) == "COMPLETED"
    assert str(tasks["Wrong invoice"]["STATUS"]) == "COMPLETED"
    assert "Question already answered" not in tasks  # resolved before it ever went


def test_a_further_run_moves_nothing(world):
    for run in ("third", "fourth"):
        assert world[run].exit_code == 0, world[run].stderr
    assert world["fourth"].stderr == ""
    assert world["etags_kept"]


def test_a_wait_that_ends_sends_the_case_again_as_open(radicale_fresh, tmp_path):
    """The task stayed IN-PROCESS after --until passed, until the case next changed: the
    sync after the wait ends sends it again, open, with the same promise."""
    book = radicale_fresh.addressbook("book")
    calendar = radicale_fresh.calendar("cases", "VTODO")
    laptop = Device("laptop", tmp_path / "laptop", Clock())
    laptop.ok("sync", "setup", book.url, "--cases")
    laptop.add("Ana Lima")
    laptop.ok("case", "open", "ana", "Broken sensor", "--due", "fri")
    laptop.ok("case", "wait", "1", "--until", "2026-11-24 09:00")
    assert laptop.sync().exit_code == 0
    waiting = _tasks(calendar)["Broken sensor"]
    assert str(waiting["STATUS"]) == "IN-PROCESS"
    laptop.clock.moment = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC)
    assert laptop.sync().stderr == ""  # still waiting: nothing to send
    laptop.clock.moment = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    ended = laptop.sync()
    assert ended.exit_code == 0, ended.stderr
    task = _tasks(calendar)["Broken sensor"]
    assert str(task["STATUS"]) == "NEEDS-ACTION"
    assert "Waiting on the customer" not in str(task["DESCRIPTION"])
    assert task.decoded("DUE") == waiting.decoded("DUE")
    shown = laptop.ok("case", "show", "1", "--json").json()
    assert shown["status"] == "open"
    assert task.decoded("DUE") == dt.datetime.fromisoformat(shown["due_at"])
    etags = calendar.list()
    assert laptop.sync().stderr == ""
    laptop.ok("case", "note", "1", "Customer sent photos")  # records the wait as ended
    assert laptop.sync().stderr == ""
    assert calendar.list() == etags
