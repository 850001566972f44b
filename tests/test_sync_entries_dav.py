"""End to end, through a real Radicale and the real vdirsyncer driven by the config `crm sync
setup --journal --deals` writes: two books (laptop, desktop) and a phone that writes a journal
entry (as jtx Board does), moves a deal's close date and ticks a deal done, with plain HTTP.

One world for the module: the laptop writes notes, interactions and deals and syncs; the phone
edits; each book syncs twice (laptop, desktop, laptop, desktop); then a third round must move
nothing. Every item on the server is read with icalendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import dav
import icalendar
import pytest
from syncworld import Clock, Device

ROUNDS = 2


@dataclass
class World:
    journal: dav.Collection
    deals: dav.Collection
    laptop: Device
    desktop: Device
    clock: Clock
    deal_ids: dict[str, str] = field(default_factory=dict)
    runs: list[tuple[str, object]] = field(default_factory=list)
    fixed_point: list[tuple[str, object]] = field(default_factory=list)
    etags_kept: bool = False

    @property
    def devices(self) -> tuple[Device, Device]:
        return self.laptop, self.desktop


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    server = dav.start_radicale(tmp_path_factory.mktemp("radicale-entries"))
    try:
        yield _build(server, tmp_path_factory)
    finally:
        server.stop()


def _build(server: dav.Radicale, tmp_path_factory) -> World:
    clock = Clock()
    book = server.addressbook("book")
    world = World(server.calendar("journal", "VJOURNAL"), server.calendar("deals", "VTODO"),
                  Device("laptop", tmp_path_factory.mktemp("laptop"), clock),
                  Device("desktop", tmp_path_factory.mktemp("desktop"), clock), clock)
    for device in world.devices:
        device.ok("sync", "setup", book.url, "--journal", "--deals")
    laptop = world.laptop
    laptop.add("Ana Lima", "--email", "ana@lima.pt")
    laptop.ok("note", "ana", "Met at the Lisbon fair\nwants a pilot in March")
    laptop.ok("log", "ana", "-t", "call", "Pilot scope", "--duration", "20m", "--outcome",
              "keen, wants a quote; by Friday")
    for key, title, close in (("moved", "Warehouse sensors", "2026-12-20"),
                              ("ticked", "Fleet renewal", "2026-12-31")):
        world.deal_ids[key] = laptop.ok("deal", "add", "ana", title, "--value", "12500",
                                        "--currency", "EUR", "--close", close).stdout.strip()
    laptop.ok("deal", "move", world.deal_ids["moved"], "qualified")
    world.runs.append(("laptop", laptop.sync()))
    _phone(world)
    world.runs += [(device.name, device.sync()) for _ in range(ROUNDS) for device in world.devices]
    etags = (world.journal.list(), world.deals.list())
    world.fixed_point = [(device.name, device.sync()) for device in world.devices]
    world.etags_kept = etags == (world.journal.list(), world.deals.list())
    return world


def _phone(world: World) -> None:
    """What the phone does: a journal entry (jtx Board), a close date moved, a deal ticked."""
    entry = icalendar.Calendar()
    entry.add("prodid", "-//Techbee//jtx Board//EN")
    entry.add("version", "2.0")
    journal = icalendar.Journal()
    journal.add("uid", "7c1e2f40-jtx-entry")
    journal.add("dtstamp", _now(world))
    journal.add("dtstart", dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC))
    journal.add("summary", "Coffee with Ana")
    journal.add("description", "She wants the March pilot in writing")
    journal.add("categories", ["Meeting"])
    journal.add("contact", "Ana Lima")
    entry.add_component(journal)
    reply = world.journal.put("7c1e2f40-jtx-entry.ics", entry.to_ical().decode())
    assert reply.status == 201, reply.text
    for title, changes in (("Warehouse sensors", {"due": dt.date(2027, 1, 15)}),
                           ("Fleet renewal", {"status": "COMPLETED", "percent-complete": 100,
                                              "completed": _now(world)})):
        _edit_task(world, title, changes)


def _edit_task(world: World, title: str, changes: dict) -> None:
    for href, etag in world.deals.list().items():
        calendar = icalendar.Calendar.from_ical(world.deals.get(href))
        (todo,) = calendar.walk("VTODO")
        if str(todo["SUMMARY"]) == title:
            for name, value in {**changes, "last-modified": _now(world)}.items():
                todo.pop(name.upper(), None)
                todo.add(name, value)
            reply = world.deals.put(href, calendar.to_ical().decode(), etag=etag)
            assert reply.status in (200, 201, 204), reply.text
            return
    raise AssertionError(f"no task {title!r} on the server")


def _now(world: World) -> dt.datetime:
    return dt.datetime.fromisoformat(world.clock.tick())


def _entries(device: Device) -> set[tuple]:
    return {(e["type"], e["contact"], e["text"], e["at"], e["duration_minutes"])
            for e in device.ok("activity", "--json").json()}


def _deals(device: Device) -> dict[str, tuple]:
    return {d["title"]: (d["stage"], d["status"], d["value"]["amount"], d["close_on"],
                         d["contact"])
            for d in device.ok("deal", "list", "--status", "all", "--json").json()}


def _server(collection: dav.Collection, kind: str) -> list:
    """Every item on the server, each file read by icalendar."""
    found = []
    for text in collection.items().values():
        (item,) = icalendar.Calendar.from_ical(text).walk(kind)
        found.append(item)
    return found


def test_every_sync_succeeds_and_vdirsyncer_uploads_everything(world):
    for name, result in world.runs:
        assert result.exit_code == 0, (name, result.stderr)
    assert len(_server(world.journal, "VJOURNAL")) == 3
    assert len(_server(world.deals, "VTODO")) == 2


def test_a_journal_entry_from_the_phone_is_a_meeting_in_both_books(world):
    for device in world.devices:
        assert ("meeting", "Ana Lima", "Coffee with Ana\nShe wants the March pilot in writing",
                "2026-11-22T08:30:00Z", None) in _entries(device), device.name
        ana = device.ok("show", "ana", "--json").json()
        assert ana["last_contacted_at"] >= "2026-11-22T08:30:00Z"
    (coffee,) = [e for e in _server(world.journal, "VJOURNAL")
                 if str(e["SUMMARY"]) == "Coffee with Ana"]
    assert str(coffee["X-CRMCLI-CONTACT-UID"]) == world.laptop.ok(
        "show", "ana", "--json").json()["uid"]


def test_two_books_agree_on_notes_interactions_and_deals(world):
    laptop, desktop = (_entries(device) for device in world.devices)
    assert laptop == desktop and len(laptop) == 3
    assert ("note", "Ana Lima", "Met at the Lisbon fair\nwants a pilot in March") in {
        entry[:3] for entry in laptop}
    assert ("call", "Ana Lima", "Pilot scope", 20) in {entry[:3] + entry[4:] for entry in laptop}
    assert _deals(world.laptop) == _deals(world.desktop)


def test_a_close_date_moved_on_the_phone_moves_the_deal(world):
    for device in world.devices:
        assert _deals(device)["Warehouse sensors"] == (
            "qualified", "open", "12500.00", "2027-01-15", "Ana Lima"), device.name
    history = world.desktop.ok("deal", "show", world.deal_ids["moved"], "--json").json()
    assert [change["to_stage"] for change in history["history"]][-2:] == ["lead", "qualified"]


def test_a_deal_ticked_done_on_the_phone_is_not_won_and_the_task_is_restored(world):
    for device in world.devices:
        assert _deals(device)["Fleet renewal"][:2] == ("lead", "open"), device.name
    said = "\n".join(result.stderr for _, result in world.runs)
    assert "ticked completed on the phone; not taken as won or lost" in said
    (ticked,) = [t for t in _server(world.deals, "VTODO") if str(t["SUMMARY"]) == "Fleet renewal"]
    assert str(ticked["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in ticked


def test_a_third_round_moves_nothing(world):
    for name, result in world.fixed_point:
        assert (result.exit_code, result.stderr) == (0, ""), name
    assert world.etags_kept
