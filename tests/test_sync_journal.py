"""Notes and logged interactions as journal entries, and deals as tasks, in local vdirs of .ics
files (what vdirsyncer syncs with a CalDAV server): what crm writes, read back with icalendar,
and a phone's (or another crm's) edits of the files. Through a real Radicale and vdirsyncer:
test_sync_entries_dav.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest

from crmcli.sync.journal import summary_and_description, text_of

NOW = "2026-11-25T12:00:00Z"


@pytest.fixture
def folders(crm, tmp_path, monkeypatch) -> Path:
    """A book syncing contacts, journal and deals with local vdirs, no vdirsyncer."""
    monkeypatch.setenv("CRM_NOW", NOW)
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'timezone = "Europe/Lisbon"\n[sync]\ncommand = ""\n'
                      f'contacts = "{tmp_path / "contacts"}"\n'
                      f'journal = "{tmp_path / "journal"}"\ndeals = "{tmp_path / "deals"}"\n'
                      "journal_days = 30\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    crm.add("Ana Lima")
    return tmp_path


def _items(folder: Path, kind: str) -> dict[str, tuple[Path, icalendar.cal.Component]]:
    """Each item by its SUMMARY (or UID when it has none), every file read by icalendar."""
    found = {}
    for path in sorted(folder.glob("*.ics")):
        (item,) = icalendar.Calendar.from_ical(path.read_bytes()).walk(kind)
        found[str(item.get("SUMMARY", item["UID"]))] = (path, item)
    return found


def _write(path: Path, kind: str, **properties) -> None:
    """A phone's item: a new file, or an existing one with properties set (None removes)."""
    if path.exists():
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        (item,) = calendar.walk(kind)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//jtx Board//EN")
        calendar.add("version", "2.0")
        item = icalendar.Journal() if kind == "VJOURNAL" else icalendar.Todo()
        item.add("uid", path.stem)
        calendar.add_component(item)
    changes = {**properties, "last_modified": dt.datetime(2026, 11, 25, 12, 30, tzinfo=dt.UTC)}
    for name, value in changes.items():
        name = name.replace("_", "-").upper()
        item.pop(name, None)
        if value is not None:
            item.add(name, value)
    path.write_bytes(calendar.to_ical())


@pytest.mark.parametrize("text", ["One line", "Met at the fair\nwants a pilot",
                                  "Title\n\nTwo paragraphs\nbelow"])
def test_summary_and_description_give_the_text_back(text):
    assert text_of(*summary_and_description(text)) == text


def test_notes_and_interactions_are_journal_entries(crm, folders):
    crm.ok("note", "ana", "Met at the fair\nwants a pilot")
    crm.ok("log", "ana", "-t", "call", "Pilot call", "--duration", "25m", "--outcome",
           "interested", "--at", "2026-11-24 10:00")
    crm.ok("log", "ana", "-t", "meeting", "Old lunch", "--at", "2026-09-01")  # > 30 days
    result = crm.ok("sync")
    assert "journal: pushed 2 new" in result.stderr
    entries = _items(folders / "journal", "VJOURNAL")
    assert set(entries) == {"Met at the fair", "Pilot call"}
    ana_uid = crm.ok("show", "ana", "--json").json()["uid"]
    _, note = entries["Met at the fair"]
    assert str(note["DESCRIPTION"]) == "wants a pilot"
    assert note["DTSTART"].dt == dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    assert [str(c) for c in note["CATEGORIES"].cats] == ["Note"]
    assert (str(note["CONTACT"]), str(note["X-CRMCLI-CONTACT-UID"])) == ("Ana Lima", ana_uid)
    _, call = entries["Pilot call"]
    assert [str(c) for c in call["CATEGORIES"].cats] == ["Call"]
    assert call["DTSTART"].dt == dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    assert (str(call["X-CRMCLI-DURATION"]), str(call["X-CRMCLI-OUTCOME"])) == ("25",
                                                                               "interested")
    assert crm.ok("sync").stderr == ""  # a fixed point


def test_an_entry_written_on_the_phone_is_a_logged_interaction(crm, folders, monkeypatch):
    crm.ok("sync")
    journal = folders / "journal"
    start = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
    _write(journal / "phone-1.ics", "VJOURNAL", summary="Lunch with Ana",
           description="She signs next week", categories=["Meeting", "Work"],
           contact="Ana Lima", dtstart=start)
    _write(journal / "phone-2.ics", "VJOURNAL", summary="Ana called back", contact="Ana Lima",
           dtstart=start)
    _write(journal / "phone-3.ics", "VJOURNAL", summary="Ana prefers mornings",
           categories=["Note"], contact="Ana Lima", dtstart=start)
    _write(journal / "phone-4.ics", "VJOURNAL", summary="Nobody we know", dtstart=start)
    result = crm.ok("sync")
    assert "phone-4.ics: names no contact; not imported" in result.stderr
    logged = crm.ok("activity", "--contact", "ana", "--json").json()
    assert sorted((e["type"], e["text"], e["at"]) for e in logged) == [
        ("meeting", "Lunch with Ana\nShe signs next week", "2026-11-25T11:00:00Z"),
        ("note", "Ana prefers mornings", "2026-11-25T11:00:00Z"),
        ("other", "Ana called back", "2026-11-25T11:00:00Z")]
    page = crm.ok("show", "ana", "--json").json()
    assert page["last_contacted_at"] == "2026-11-25T11:00:00Z"  # the keep-in-touch clock
    _, meeting = _items(journal, "VJOURNAL")["Lunch with Ana"]
    assert [str(c) for c in meeting["CATEGORIES"].cats] == ["Meeting", "Work"]
    assert str(meeting["X-CRMCLI-CONTACT-UID"]) == page["uid"]  # crm's own fields added
    assert crm.ok("journal", "--json").json()[0]["source"] == "sync"
    assert crm.ok("sync").stderr == ""  # nothing more moves; the stranger was reported


def test_an_entry_left_alone_is_reported_once_and_tried_again_at_every_run(crm, folders):
    crm.ok("sync")
    journal, start = folders / "journal", dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
    _write(journal / "bo.ics", "VJOURNAL", summary="Bo called", contact="Bo Chen",
           dtstart=start)
    _write(journal / "empty.ics", "VJOURNAL", categories=["Note"], contact="Ana Lima",
           dtstart=start)
    assert crm.ok("sync").stderr == ("crm sync: journal: bo.ics: names no contact; not "
                                     "imported\ncrm sync: journal: empty.ics: an empty note; "
                                     "not imported\n")  # and no "pulled 2 new"
    assert crm.ok("sync").stderr == ""
    assert crm.ok("sync", "--dry-run").stderr == ""
    _write(journal / "empty.ics", "VJOURNAL", categories=["Note"], contact="Ana Lima",
           dtstart=start, description="")  # changed on the phone: said again
    assert crm.ok("sync").stderr == ("crm sync: journal: empty.ics: an empty note; not "
                                     "imported\n")
    crm.add("Bo Chen")
    assert crm.ok("sync").stderr == ("crm sync: contacts: pushed 1 new\n"
                                     "crm sync: journal: pulled 1 new\n")
    assert [e["text"] for e in crm.ok("activity", "--contact", "bo", "--json").json()] == [
        "Bo called"]
    (journal / "empty.ics").unlink()
    assert crm.ok("sync").stderr == ""
    assert crm.ok("sync").stderr == ""


def test_edits_and_deletions_travel_both_ways(crm, folders, monkeypatch):
    crm.ok("note", "ana", "First draft")
    crm.ok("log", "ana", "-t", "call", "Short call", "--at", "2026-11-24 10:00")
    crm.ok("sync")
    journal = folders / "journal"
    entries = _items(journal, "VJOURNAL")
    _write(entries["First draft"][0], "VJOURNAL", summary="Final text")
    entries["Short call"][0].unlink()
    result = crm.ok("sync")
    assert "moved to the trash (crm undo brings it back)" in result.stderr
    logged = crm.ok("activity", "--contact", "ana", "--json").json()
    assert [(e["type"], e["text"]) for e in logged] == [("note", "Final text")]
    crm.ok("undo")  # the phone's deletion and edit, undone: they go back to the phone
    crm.ok("sync")
    assert set(_items(journal, "VJOURNAL")) == {"First draft", "Short call"}
    call = crm.ok("activity", "--contact", "ana", "--json", "-t", "call").json()[0]
    crm.ok("unlog", str(call["id"]), "--yes")
    crm.ok("sync")
    assert set(_items(journal, "VJOURNAL")) == {"First draft"}
    assert crm.ok("sync").stderr == ""


def test_journal_days_must_be_a_number_of_days(crm, folders):
    config = folders / "config" / "crmcli" / "config.toml"
    config.write_text(config.read_text().replace("journal_days = 30", 'journal_days = "a"'))
    result = crm("sync")
    assert result.exit_code == 1 and "sync.journal_days must be a number of days" in result.stderr


# ------------------------------------------------------------------------------------ deals


def test_deals_are_tasks_the_phone_may_move_but_not_close(crm, folders, monkeypatch):
    deal = crm.ok("deal", "add", "ana", "Warehouse sensors", "--value", "12500",
                  "--currency", "EUR", "--close", "2026-12-20").stdout.strip()
    crm.ok("deal", "move", deal, "qualified")
    assert "deals: pushed 1 new" in crm.ok("sync").stderr
    path, todo = _items(folders / "deals", "VTODO")["Warehouse sensors"]
    assert todo["DUE"].to_ical() == b"20261220" and str(todo["STATUS"]) == "NEEDS-ACTION"
    assert (str(todo["X-CRMCLI-STAGE"]), str(todo["X-CRMCLI-VALUE"]),
            str(todo["X-CRMCLI-CURRENCY"])) == ("qualified", "12500.00", "EUR")
    assert r'"lead"\,"qualified"' in str(todo["X-CRMCLI-STAGE-HISTORY"])  # escaped TEXT
    _write(path, "VTODO", due=dt.date(2027, 1, 15))
    crm.ok("sync")
    shown = crm.ok("deal", "show", deal, "--json").json()
    assert (shown["close_on"], shown["stage"]) == ("2027-01-15", "qualified")
    _write(path, "VTODO", status="COMPLETED",
           completed=dt.datetime(2026, 11, 25, 12, 30, tzinfo=dt.UTC))
    result = crm.ok("sync")
    assert "ticked completed on the phone; not taken as won or lost" in result.stderr
    assert crm.ok("deal", "show", deal, "--json").json()["status"] == "open"
    _, restored = _items(folders / "deals", "VTODO")["Warehouse sensors"]
    assert str(restored["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in restored
    assert crm.ok("sync").stderr == ""


def test_a_stage_unknown_here_is_kept_and_shown_as_such(crm, folders):
    deal = crm.ok("deal", "add", "ana", "Fleet renewal", "--currency", "EUR").stdout.strip()
    crm.ok("sync")
    path, todo = _items(folders / "deals", "VTODO")["Fleet renewal"]
    history = str(todo["X-CRMCLI-STAGE-HISTORY"]).replace("\\,", ",")[:-1] + \
        ',["2026-11-25T12:20:00Z","lead","pilot"]]'
    _write(path, "VTODO", x_crmcli_stage="pilot",
           x_crmcli_stage_history=icalendar.vText(history))
    crm.ok("sync")
    shown = crm.ok("deal", "show", deal, "--json").json()
    assert shown["stage"] == "pilot"
    listing = crm.ok("deal", "list")
    assert "pilot" in listing.stdout and "pilot" in listing.stderr  # named as not configured
    assert crm.ok("sync").stderr == ""


def test_an_entry_dated_ahead_of_crms_clock_is_logged_now(crm, folders):
    crm.ok("sync")
    _write(folders / "journal" / "ahead.ics", "VJOURNAL", summary="Quick call",
           categories=["Call"], contact="Ana Lima",
           dtstart=dt.datetime(2026, 11, 25, 12, 3, tzinfo=dt.UTC))  # the phone's clock
    crm.ok("sync")
    (call,) = crm.ok("activity", "--contact", "ana", "--json").json()
    assert (call["type"], call["at"]) == ("call", NOW)
    _, entry = _items(folders / "journal", "VJOURNAL")["Quick call"]
    assert entry["DTSTART"].dt == dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_mail_and_campaign_interactions_stay_in_the_book(crm, folders, db_path):
    import sqlite3

    for text in ("By hand", "From the mailbox", "Spring campaign"):
        crm.ok("log", "ana", "-t", "email", text)
    with sqlite3.connect(db_path) as conn:  # the columns mail import and campaigns fill
        for column in ("message_id", "campaign"):
            if column not in {row[1] for row in conn.execute("PRAGMA table_info(interactions)")}:
                conn.execute(f"ALTER TABLE interactions ADD COLUMN {column} TEXT")
        conn.execute("UPDATE interactions SET message_id = '<a@b>' WHERE body = ?",
                     ["From the mailbox"])
        conn.execute("UPDATE interactions SET campaign = 'spring', message_id = '<c@d>'"
                     " WHERE body = ?", ["Spring campaign"])
    crm.ok("sync")
    assert set(_items(folders / "journal", "VJOURNAL")) == {"By hand"}


def test_a_duration_from_the_phone_is_read_only_up_to_a_week(crm, folders):
    crm.ok("sync")
    journal = folders / "journal"
    start = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
    for title, minutes in [("Short call", "45"), ("Two weeks", str(14 * 24 * 60)),
                           ("Endless", "9" * 5000), ("Zeros", "0" * 5000 + "30"),
                           ("Other digits", "٤٥")]:
        _write(journal / f"{title}.ics", "VJOURNAL", summary=title, categories=["Call"],
               contact="Ana Lima", dtstart=start, x_crmcli_duration=minutes)
    crm.ok("sync")  # int() refuses 5,000 digits: it was an internal error
    logged = crm.ok("activity", "--contact", "ana", "--json").json()
    assert sorted((e["text"], e["duration_minutes"]) for e in logged) == [
        ("Endless", None), ("Other digits", None), ("Short call", 45), ("Two weeks", None),
        ("Zeros", 30)]


def test_a_priority_from_the_phone_of_any_length_is_crms_to_say(crm, folders):
    config = folders / "config" / "crmcli" / "config.toml"
    config.write_text(config.read_text() + f'cases = "{folders / "cases"}"\n')
    crm.ok("case", "open", "ana", "Late delivery", "--priority", "high")
    crm.ok("sync")
    (path,) = (folders / "cases").glob("*.ics")
    text = path.read_bytes()
    assert b"PRIORITY:3\r\n" in text
    path.write_bytes(text.replace(b"PRIORITY:3\r\n", b"PRIORITY;VALUE=TEXT:" + b"9" * 5000
                                  + b"\r\n"))
    crm.ok("sync")  # int() refuses 5,000 digits: it was an internal error
    (task,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")
    assert (int(task["PRIORITY"]), str(task["SUMMARY"])) == (3, "Late delivery")
    assert crm.ok("case", "show", "1", "--json").json()["priority"] == "high"
