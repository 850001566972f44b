"""Follow-ups as tasks end to end: two books (laptop, desktop) and a phone editing the server's
calendar with plain HTTP the way tasks.org, Thunderbird and iOS do, through a real Radicale and
the real vdirsyncer driven by the config `crm sync setup --tasks` writes.

One world per module: each book creates follow-ups and both sync twice; then five rounds in
which the phone ticks one weekly task in each client's style (and, in the first, snoozes one and
creates two), each book syncing once after it; a last round must move nothing. Each test checks
one scenario over every round."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field

import dav
import icalendar
import pytest
from dateutil.rrule import rrulestr
from syncworld import BIN, Clock, Device

TICKS = 5
WEEK = dt.timedelta(weeks=1)
WEEKLY = {"tasks.org": "Weekly pipeline review", "Thunderbird": "Weekly call with Bruno",
          "iOS": "Weekly invoices"}


@dataclass
class TaskPhone:
    """Edits the server's calendar as a phone's task app does."""

    calendar: dav.Collection
    clock: Clock

    def tasks(self) -> dict[str, icalendar.Todo]:
        found = {}
        for href, text in self.calendar.items().items():
            (todo,) = icalendar.Calendar.from_ical(text).walk("VTODO")
            found[href] = todo
        return found

    def open_one(self, summary: str) -> tuple[str, icalendar.Calendar]:
        (href,) = [href for href, todo in self.tasks().items()
                   if str(todo["SUMMARY"]) == summary and str(todo["STATUS"]) != "COMPLETED"]
        return href, icalendar.Calendar.from_ical(self.calendar.get(href))

    def put(self, href: str, calendar: icalendar.Calendar, new: bool = False) -> None:
        (todo,) = calendar.walk("VTODO")
        _set(todo, "LAST-MODIFIED", self._now())
        _set(todo, "DTSTAMP", self._now())
        etag = None if new else self.calendar.list()[href]
        reply = self.calendar.put(href, calendar.to_ical().decode(), etag=etag)
        assert reply.status in (200, 201, 204), reply.text

    def _now(self) -> dt.datetime:
        return dt.datetime.strptime(self.clock.tick(), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC)

    def move_on(self, summary: str, to=None) -> None:
        """tasks.org: the same task's DUE (and DTSTART) moved, to the next week by default."""
        href, calendar = self.open_one(summary)
        (todo,) = calendar.walk("VTODO")
        due = to or todo["DUE"].dt + WEEK
        _set(todo, "DUE", due)
        if "DTSTART" in todo:
            _set(todo, "DTSTART", due)
        self.put(href, calendar)

    def thunderbird_tick(self, summary: str) -> None:
        """The task completed, and the next occurrence opened as a new task."""
        href, calendar = self.open_one(summary)
        following = icalendar.Calendar.from_ical(calendar.to_ical())
        (todo,) = calendar.walk("VTODO")
        _complete(todo, self._now())
        self.put(href, calendar)
        (next_todo,) = following.walk("VTODO")
        new_uid = str(uuid.uuid4())
        _set(next_todo, "UID", new_uid)
        for name in ("DUE", "DTSTART"):
            _set(next_todo, name, next_todo[name].dt + WEEK)
        self.put(f"{new_uid}.ics", following, new=True)

    def ios_tick(self, summary: str) -> None:
        """A completed copy under a new UID (without crm's X- properties), then the original
        moved on to the next week."""
        _, calendar = self.open_one(summary)
        copy = icalendar.Calendar.from_ical(calendar.to_ical())
        (todo,) = copy.walk("VTODO")
        new_uid = str(uuid.uuid4()).upper()
        _set(todo, "UID", new_uid)
        for name in [name for name in todo if name.startswith("X-")] + ["RRULE"]:
            todo.pop(name, None)
        _complete(todo, self._now())
        self.put(f"{new_uid}.ics", copy, new=True)
        self.move_on(summary)

    def create(self, summary: str, due: dt.date) -> None:
        calendar = icalendar.Calendar()
        calendar.add("prodid", "+//IDN tasks.org//android-140500")
        calendar.add("version", "2.0")
        todo = icalendar.Todo()
        new_uid = str(uuid.uuid4().int)[:19]  # tasks.org's numeric UIDs
        todo.add("uid", new_uid)
        todo.add("summary", summary)
        todo.add("due", due)
        todo.add("status", "NEEDS-ACTION")
        calendar.add_component(todo)
        self.put(f"{new_uid}.ics", calendar, new=True)


def _set(todo, name: str, value) -> None:
    todo.pop(name, None)
    todo.add(name, value)


def _complete(todo, now: dt.datetime) -> None:
    _set(todo, "STATUS", "COMPLETED")
    _set(todo, "COMPLETED", now)
    _set(todo, "PERCENT-COMPLETE", 100)


@dataclass
class World:
    server: dav.Radicale
    phone: TaskPhone
    laptop: Device
    desktop: Device
    syncs: list = field(default_factory=list)  # (phase, device, exit code, stderr)
    rounds: list = field(default_factory=list)  # per tick: {style: (server, laptop, desktop)}
    agreement: dict = field(default_factory=dict)
    fixed_point: list = field(default_factory=list)

    @property
    def devices(self) -> tuple[Device, Device]:
        return self.laptop, self.desktop

    def sync_round(self, phase: str, rounds: int = 1) -> None:
        for _ in range(rounds):
            for device in self.devices:
                result = device.sync()
                self.syncs.append((phase, device.name, result.exit_code, result.stderr))

    def series(self, summary: str) -> tuple:
        """Open tasks on the server, and per book (open due dates, occurrences done)."""
        server = [todo for todo in self.phone.tasks().values()
                  if str(todo["SUMMARY"]) == summary and str(todo["STATUS"]) != "COMPLETED"]
        books = []
        for device in self.devices:
            rows = [row for row in device.ok("followups", "--done", "--json").json()
                    if row["text"] == summary]
            books.append(([row["due"] for row in rows if not row["done_at"]],
                          sum(1 for row in rows if row["done_at"])))
        return len(server), books[0], books[1]


def _open_followups(device: Device) -> set[tuple]:
    return {(row["text"], row["due"], row["rule"], row["contact"])
            for row in device.ok("followups", "--json").json()}


def _server_open(phone: TaskPhone) -> set[tuple]:
    found = set()
    for todo in phone.tasks().values():
        if str(todo["STATUS"]) == "COMPLETED":
            continue
        due = todo["DUE"].dt
        found.add((str(todo["SUMMARY"]), due.isoformat() if not isinstance(due, dt.datetime)
                   else due.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")))
    return found


def _device(name: str, tmp_path_factory, clock: Clock, server, book) -> Device:
    device = Device(name, tmp_path_factory.mktemp(name), clock)
    config = device.home / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('timezone = "Europe/Lisbon"\n')
    device.ok("sync", "setup", book.url, "--tasks")
    return device


def _build(tmp_path_factory) -> World:
    server = dav.start_radicale(tmp_path_factory.mktemp("radicale-tasks"))
    clock = Clock()
    book = server.addressbook("contacts")
    calendar = server.calendar("tasks", "VTODO")
    world = World(server, TaskPhone(calendar, clock),
                  *(_device(name, tmp_path_factory, clock, server, book)
                    for name in ("laptop", "desktop")))
    laptop, desktop = world.devices
    laptop.add("Ana Lima")
    laptop.add("Bruno Alves")
    laptop.ok("follow-up", "ana", "2026-11-23 09:00", WEEKLY["tasks.org"], "--every", "mon")
    laptop.ok("follow-up", "bruno", "2026-11-24", WEEKLY["Thunderbird"], "--every", "1w")
    laptop.ok("follow-up", "ana", "2026-11-25 10:30", WEEKLY["iOS"], "--every", "1w")
    laptop.ok("follow-up", "ana", "2026-11-26", "Send the renewal quote")
    desktop.ok("follow-up", "--no-contact", "2026-11-27", "Renew the domain")
    world.sync_round("create", 2)
    world.agreement["create"] = (_open_followups(laptop), _open_followups(desktop))
    for tick in range(TICKS):
        if tick == 0:
            world.phone.move_on("Send the renewal quote", dt.date(2026, 11, 30))
            world.phone.create("Call Bruno Alves about the contract", dt.date(2026, 12, 1))
            world.phone.create("Buy printer paper", dt.date(2026, 12, 2))
        world.phone.move_on(WEEKLY["tasks.org"])
        world.phone.thunderbird_tick(WEEKLY["Thunderbird"])
        world.phone.ios_tick(WEEKLY["iOS"])
        world.sync_round(f"tick {tick + 1}")
        world.rounds.append({style: world.series(summary) for style, summary in WEEKLY.items()})
    world.agreement["end"] = (_open_followups(laptop), _open_followups(desktop))
    etags = world.phone.calendar.list()
    world.fixed_point = [(device.name, device.sync().stderr) for device in world.devices]
    world.fixed_point.append(("server etags unchanged", etags == world.phone.calendar.list()))
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = _build(tmp_path_factory)
    yield built
    built.server.stop()


def _ticks(world: World, style: str, first_due: str) -> None:
    """Exactly one open occurrence everywhere after each tick, one week on each time, and
    every tick recorded as one occurrence done in both books."""
    start = dt.datetime.fromisoformat(first_due)
    for tick, seen in enumerate(world.rounds, 1):
        due = (start + tick * WEEK)
        expected = (due.date().isoformat() if len(first_due) == 10
                    else due.isoformat(timespec="minutes"))
        server, laptop, desktop = seen[style]
        assert server == 1, (tick, seen[style])
        for book in (laptop, desktop):
            assert [d[:len(expected)] for d in book[0]] == [expected], (tick, seen[style])
            assert book[1] == tick, (tick, seen[style])


def test_every_sync_succeeded(world):
    assert [s for s in world.syncs if s[2] != 0] == []


def test_a_weekly_task_ticked_the_tasks_org_way(world):
    _ticks(world, "tasks.org", "2026-11-23T09:00+00:00")


def test_a_weekly_task_ticked_the_thunderbird_way(world):
    _ticks(world, "Thunderbird", "2026-11-24")


def test_a_weekly_task_ticked_the_ios_way(world):
    _ticks(world, "iOS", "2026-11-25T10:30+00:00")
    copies = [todo for todo in world.phone.tasks().values()
              if str(todo["SUMMARY"]) == WEEKLY["iOS"] and str(todo["STATUS"]) == "COMPLETED"]
    assert len(copies) == TICKS  # each completed copy recognised, none imported as new


def test_a_snooze_on_the_phone_moves_the_follow_up_in_both_books(world):
    for device in world.devices:
        (quote,) = [row for row in device.ok("followups", "--json").json()
                    if row["text"] == "Send the renewal quote"]
        assert quote["due"] == "2026-11-30"
        assert not [row for row in device.ok("followups", "--done", "--json").json()
                    if row["text"] == "Send the renewal quote" and row["done_at"]]


def test_tasks_made_on_the_phone_with_and_without_a_contact_name(world):
    for device in world.devices:
        made = {row["text"]: row for row in device.ok("followups", "--json").json()}
        assert made["Call Bruno Alves about the contract"]["contact"] == "Bruno Alves"
        assert made["Buy printer paper"]["contact_id"] is None
        assert made["Renew the domain"]["contact_id"] is None
    (named,) = [todo for todo in world.phone.tasks().values()
                if str(todo["SUMMARY"]) == "Call Bruno Alves about the contract"]
    assert str(named["CONTACT"]) == "Bruno Alves"


def test_two_books_and_the_server_agree_and_a_third_round_moves_nothing(world):
    laptop, desktop = world.agreement["create"]
    assert laptop == desktop and len(laptop) == 5
    laptop, desktop = world.agreement["end"]
    assert laptop == desktop and len(laptop) == 7
    assert len(_server_open(world.phone)) == 7
    assert world.fixed_point == [("laptop", ""), ("desktop", ""),
                                 ("server etags unchanged", True)]


def test_every_task_on_the_server_is_read_by_icalendar_on_its_rule_in_its_zone(world):
    checked = 0
    for href, text in world.phone.calendar.items().items():
        calendar = icalendar.Calendar.from_ical(text)
        (todo,) = calendar.walk("VTODO")
        zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
        for name in ("DUE", "DTSTART"):
            if name in todo and isinstance(todo[name].dt, dt.datetime):
                assert todo[name].params["TZID"] == "Europe/Lisbon" in zones, href
        if "RRULE" in todo and str(todo["STATUS"]) != "COMPLETED":
            start = todo["DTSTART"].dt
            assert type(start) is type(todo["DUE"].dt), href
            first = rrulestr(todo["RRULE"].to_ical().decode(), dtstart=start)[0]
            assert first == start or first == dt.datetime.combine(start, dt.time()), href
            checked += 1
    assert checked == 3


@pytest.mark.skipif(shutil.which("todo", path=str(BIN)) is None, reason="todoman absent")
def test_todoman_lists_every_open_task_in_a_books_vdir(world, tmp_path):
    folder = world.laptop.home / "data" / "crmcli" / "sync" / "tasks"
    config = tmp_path / "todoman_config.py"  # todoman reads its config as Python
    config.write_text(f'path = "{folder}"\ndate_format = "%Y-%m-%d"\n'
                      'time_format = "%H:%M"\ndefault_list = "tasks"\n')
    listed = subprocess.run([str(BIN / "todo"), "--config", str(config), "--porcelain", "list",
                             "--status", "NEEDS-ACTION"], capture_output=True, text=True,
                            timeout=60, check=False,
                            env={"XDG_CACHE_HOME": str(tmp_path), "TZ": "UTC", "PATH": ""})
    assert listed.returncode == 0, listed.stderr
    import json

    summaries = sorted(task["summary"] for task in json.loads(listed.stdout))
    assert summaries == sorted(text for text, *_ in world.agreement["end"][0])


def test_every_task_a_book_wrote_is_accepted_by_radicale_as_it_is(world):
    refused, accepted = [], 0
    for device in world.devices:
        fresh = world.server.calendar(components="VTODO")  # one UID per collection
        for path in sorted((device.home / "data" / "crmcli" / "sync" / "tasks").glob("*.ics")):
            reply = fresh.put(path.name, path.read_text("utf-8"))
            if reply.status != 201:
                refused.append((device.name, path.name, reply.status, reply.text[:200]))
            accepted += reply.status == 201
    assert refused == [] and accepted >= 2 * 7


def test_setup_with_tasks_pairs_the_calendar_and_sets_the_tasks_vdir(world):
    import tomllib

    for device in world.devices:
        config = device.home / "config" / "crmcli"
        text = (config / "vdirsyncer" / "config").read_text()
        assert "[pair crm_tasks]" in text and 'item_types = ["VTODO"]' in text
        assert f'url = "{world.phone.calendar.url}"' in text
        settings = tomllib.loads((config / "config.toml").read_text())["sync"]
        assert settings["tasks"] == str(device.home / "data" / "crmcli" / "sync" / "tasks")
