"""crm sync: two books (a laptop and a desktop) and one shared vdir, as vdirsyncer would leave
it; the phone is plain file edits in the vdir. After at most two runs per side every side
agrees, and a further run moves nothing."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
import vcard_check
from conftest import Crm

NOW = {"CRM_NOW": "2026-11-25T10:00:00Z"}
LATER = {"CRM_NOW": "2026-11-25T11:00:00Z"}


@pytest.fixture
def vdir(tmp_path) -> Path:
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "vdir"}"\n')
    return tmp_path / "vdir"


@pytest.fixture
def laptop(tmp_path) -> Crm:
    return Crm(tmp_path / "laptop.db")


@pytest.fixture
def desktop(tmp_path) -> Crm:
    return Crm(tmp_path / "desktop.db")


def sync(book: Crm, *args: str, env=None) -> str:
    """`crm sync`; every card it wrote into the vdir passes the strict check."""
    started = time.time_ns()
    result = book("sync", *args, env=env or NOW)
    assert result.exit_code == 0, result.stderr
    written = book.db_path.parent / "vdir"
    for path in written.glob("*.vcf") if written.is_dir() else ():
        if path.stat().st_mtime_ns >= started:
            assert vcard_check.check_cards(path.read_bytes().decode(), "3.0") == 1, path
    return result.stderr


def settle(*books: Crm, env=None) -> None:
    """Two rounds on every book, then a third that must move nothing anywhere."""
    for _ in range(2):
        for book in books:
            sync(book, env=env)
    for book in books:
        assert sync(book, env=env) == ""


def people(book: Crm) -> dict[str, dict]:
    return {c["name"]: c for c in book.ok("list", "--json").json()}


def card(vdir: Path, name: str) -> Path:
    found = [path for path in vdir.glob("*.vcf") if f"FN:{name}\r\n" in path.read_bytes().decode()]
    assert len(found) == 1, found
    return found[0]


def edit_card(path: Path, old: str, new: str) -> None:
    """Replace ``old`` with ``new``; a new REV replaces the one crm wrote, as a phone's does."""
    text = path.read_bytes().decode()
    assert old in text
    if "REV:" in new:
        text = re.sub(r"REV:[^\r\n]*\r\n", "", text)
    path.write_bytes(text.replace(old, new).encode())


def test_a_contact_travels_to_the_vdir_and_to_another_book(vdir, laptop, desktop):
    laptop.add("Ana Lima", "--email", "ana@example.com", "--tag", "vip")
    assert sync(laptop) == "crm sync: contacts: pushed 1 new\n"
    assert "EMAIL:ana@example.com" in card(vdir, "Ana Lima").read_bytes().decode()
    assert sync(desktop) == "crm sync: contacts: pulled 1 new\n"
    ana = people(desktop)["Ana Lima"]
    assert ana["emails"][0]["value"] == "ana@example.com" and ana["tags"] == ["vip"]
    settle(laptop, desktop)
    assert len(list(vdir.glob("*.vcf"))) == 1


def test_a_card_with_any_file_name_is_pulled_and_edits_go_back_into_it(vdir, laptop):
    vdir.mkdir()
    (vdir / "Bo Chen from the phone.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-1\r\nFN:Bo Chen\r\nN:Chen;Bo;;;\r\n"
        b"TEL;TYPE=CELL:+34 600 000 001\r\nX-PHONE-ONLY:kept\r\nEND:VCARD\r\n")
    assert sync(laptop) == "crm sync: contacts: pulled 1 new\n"
    laptop.ok("edit", "bo", "--title", "Buyer")
    assert sync(laptop) == "crm sync: contacts: pushed 1 changed\n"
    text = (vdir / "Bo Chen from the phone.vcf").read_bytes().decode()
    assert "TITLE:Buyer" in text and "X-PHONE-ONLY:kept" in text
    assert len(list(vdir.glob("*.vcf"))) == 1
    assert sync(laptop) == ""


def test_a_uid_too_long_for_a_file_name_gets_a_digest_name(vdir, laptop, tmp_path):
    uid = "L" * 300  # only safe characters, but no file system takes a name that long
    source = tmp_path / "long.vcf"
    source.write_bytes(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Long Uid\r\n"
                       "END:VCARD\r\n".encode())
    laptop.ok("import", str(source))
    assert sync(laptop) == "crm sync: contacts: pushed 1 new\n"
    written = card(vdir, "Long Uid")
    assert len(written.name) < 100 and f"UID:{uid[:60]}" in written.read_bytes().decode()
    laptop.ok("export", "--vdir", str(tmp_path / "exported"))
    assert [len(path.name) < 100 for path in (tmp_path / "exported").iterdir()] == [True]


def test_edits_on_each_side_merge_property_by_property(vdir, laptop, desktop):
    laptop.add("Ana Lima", "--email", "ana@example.com")
    settle(laptop, desktop)
    path = card(vdir, "Ana Lima")
    edit_card(path, "EMAIL:ana@example.com",
              "EMAIL:ana@example.com\r\nEMAIL;TYPE=HOME:ana@home.org")
    laptop.ok("tag", "ana", "+vip")
    settle(laptop, desktop)
    for book in (laptop, desktop):
        ana = people(book)["Ana Lima"]
        assert sorted(e["value"] for e in ana["emails"]) == ["ana@example.com", "ana@home.org"]
        assert ana["tags"] == ["vip"]
    text = path.read_bytes().decode()
    assert "CATEGORIES:vip" in text and "ana@home.org" in text


def test_crm_changes_are_told_by_row_versions_a_company_rename_included(vdir, laptop):
    laptop.add("Ana Lima", "--company", "Acme")
    laptop.add("Bo Chen", "--company", "Acme")
    laptop.add("Cy Dorn")
    sync(laptop)
    laptop.ok("edit", "cy", "--cadence", "30d")  # a write sync does not own: nothing to push
    assert sync(laptop) == ""
    laptop.ok("company", "rename", "Acme", "Acme Corp")
    assert sync(laptop) == "crm sync: contacts: pushed 2 changed\n"
    assert b"ORG:Acme Corp" in card(vdir, "Bo Chen").read_bytes()
    assert sync(laptop) == ""


def test_the_same_field_changed_on_both_sides_keeps_the_newer_and_notes_the_other(
        vdir, laptop, desktop):
    laptop.add("Ana Lima", "--title", "Buyer")
    settle(laptop, desktop)
    edit_card(card(vdir, "Ana Lima"), "TITLE:Buyer", "REV:20261125T103000Z\r\nTITLE:CTO")
    laptop.ok("edit", "ana", "--title", "CEO", env=LATER)  # later than the phone's REV
    result = sync(laptop, env=LATER)
    assert "1 conflict" in result
    settle(laptop, desktop, env=LATER)
    assert people(laptop)["Ana Lima"]["title"] == people(desktop)["Ana Lima"]["title"] == "CEO"
    assert "TITLE:CEO" in card(vdir, "Ana Lima").read_bytes().decode()
    conflicts = laptop.ok("sync", "conflicts", "--json").json()
    assert [(c["field"], c["kept"], c["lost"], c["winner"]) for c in conflicts] == [
        ("title", "CEO", "CTO", "crm")]
    notes = laptop.ok("notes", "list", "ana", "--json").json()
    assert "sync conflict on title: kept 'CEO' (crm), replaced 'CTO'" in notes[0]["body"]


def test_a_phone_change_without_rev_wins_a_tie(vdir, laptop):
    laptop.add("Ana Lima", "--title", "Buyer")
    sync(laptop)
    edit_card(card(vdir, "Ana Lima"), "TITLE:Buyer", "TITLE:CTO")
    laptop.ok("edit", "ana", "--title", "CEO", env=NOW)
    assert "1 conflict" in sync(laptop)
    assert people(laptop)["Ana Lima"]["title"] == "CTO"
    assert sync(laptop) == ""


@pytest.mark.parametrize(("rev", "winner"), [
    ("20261125T104500Z", "phone"),  # plausible, after crm's change at 10:30
    ("20261125T102000Z", "crm"),  # plausible, before it
    ("2026-11-25T10:20:00Z", "crm"),  # the extended form
    ("20261125T112000+0100", "crm"),  # 10:20 UTC
    ("20261125T103000Z", "phone"),  # the same moment: a tie goes to the phone
    ("20261126T090000Z", "phone"),  # in the future: taken as first seen now (11:00)
    ("20261124T090000Z", "phone"),  # before the last sync (10:00): first seen now
    ("garbage", "phone"),
])
def test_the_phones_time_is_its_rev_when_plausible_else_when_first_seen(vdir, laptop, rev,
                                                                         winner):
    laptop.add("Ana Lima", "--title", "Buyer")
    sync(laptop)  # 10:00
    edit_card(card(vdir, "Ana Lima"), "TITLE:Buyer", f"REV:{rev}\r\nTITLE:Phone")
    laptop.ok("edit", "ana", "--title", "Crm", env={"CRM_NOW": "2026-11-25T10:30:00Z"})
    assert "1 conflict" in sync(laptop, env=LATER)  # 11:00
    title = {"phone": "Phone", "crm": "Crm"}[winner]
    assert people(laptop)["Ana Lima"]["title"] == title
    conflict = laptop.ok("sync", "conflicts", "--json").json()[0]
    assert (conflict["winner"], conflict["kept"]) == (winner, title)
    sync(laptop, env=LATER)
    assert f"TITLE:{title}\r\n" in card(vdir, "Ana Lima").read_bytes().decode()
    assert sync(laptop, env=LATER) == ""


def test_deletions_travel_both_ways(vdir, laptop, desktop):
    for name in ("Ana Lima", "Bo Chen", "Chloé Dubois"):
        laptop.add(name)
    settle(laptop, desktop)
    card(vdir, "Ana Lima").unlink()  # deleted on the phone
    laptop.ok("rm", "bo", "--yes")
    settle(laptop, desktop)
    for book in (laptop, desktop):
        assert set(people(book)) == {"Chloé Dubois"}
        assert {c["name"] for c in book.ok("trash", "--json").json()} == {"Ana Lima", "Bo Chen"}
    assert [p.read_bytes().decode().count("FN:Chloé") for p in vdir.glob("*.vcf")] == [1]


def test_deleted_on_one_side_while_edited_on_the_other_is_kept(vdir, laptop):
    laptop.add("Ana Lima")
    laptop.add("Bo Chen")
    sync(laptop)
    card(vdir, "Ana Lima").unlink()
    laptop.ok("edit", "ana", "--title", "CEO")
    assert "uploaded again" in sync(laptop)
    assert "TITLE:CEO" in card(vdir, "Ana Lima").read_bytes().decode()
    laptop.ok("rm", "bo", "--yes")
    edit_card(card(vdir, "Bo Chen"), "FN:Bo Chen", "FN:Bo Chen\r\nTITLE:Buyer")
    assert "restored in crm" in sync(laptop)
    assert people(laptop)["Bo Chen"]["title"] == "Buyer"
    assert sync(laptop) == ""


def test_restored_contacts_come_back_and_forgotten_ones_go(vdir, laptop):
    laptop.add("Ana Lima")
    laptop.add("Bo Chen")
    sync(laptop)
    laptop.ok("rm", "ana", "--yes")
    sync(laptop)
    assert len(list(vdir.glob("*.vcf"))) == 1
    laptop.ok("restore", "ana")
    assert sync(laptop) == "crm sync: contacts: pushed 1 new\n"
    laptop.ok("forget", "bo", "--yes")
    assert sync(laptop) == "crm sync: contacts: pushed 1 deleted\n"
    assert [path.read_bytes().decode().count("FN:Ana Lima") for path in vdir.glob("*.vcf")] == [1]


def test_merging_two_contacts_deletes_the_losers_card(vdir, laptop, desktop):
    laptop.add("Ana Lima", "--email", "ana@example.com")
    laptop.add("Ana  Lima", "--email", "ana@home.org")
    settle(laptop, desktop)
    laptop.ok("merge", "1", "2", "--yes")
    settle(laptop, desktop)
    assert len(list(vdir.glob("*.vcf"))) == 1
    for book in (laptop, desktop):
        assert sorted(e["value"] for e in people(book)["Ana Lima"]["emails"]) == [
            "ana@example.com", "ana@home.org"]


def test_the_same_uid_in_two_files_is_one_contact_and_then_one_card(vdir, laptop, desktop):
    ana = laptop.add("Ana Lima", "--email", "ana@example.com")
    sync(laptop)
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    # The phone writes a second file for Ana, and a new person twice.
    (vdir / "copy.vcf").write_text(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\n"
                                   "FN:Ana Lima\r\nEMAIL:ana@home.example\r\nEND:VCARD\r\n")
    for name in ("twin-a.vcf", "twin-b.vcf"):
        (vdir / name).write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:twin\r\nFN:Bo Chen\r\n"
                                 f"NOTE:from {name}\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n")
    said = sync(laptop, env=LATER).splitlines()
    assert said[0] == "crm sync: contacts: pulled 1 new; merged 2 changed"
    assert sorted(said[1:]) == [
        "crm sync: contacts: copy.vcf: the same UID as another card; merged into contact 1 "
        "(Ana Lima) and removed",
        "crm sync: contacts: twin-b.vcf: the same UID as another card; merged into contact 2 "
        "(Bo Chen) and removed"]
    assert sorted(path.name for path in vdir.glob("*.vcf")) == sorted(
        [card(vdir, "Ana Lima").name, "twin-a.vcf"])
    assert {name: sorted(e["value"] for e in c["emails"]) for name, c in people(laptop).items()
            } == {"Ana Lima": ["ana@example.com", "ana@home.example"], "Bo Chen": []}
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    assert b"ana@home.example" in card(vdir, "Ana Lima").read_bytes()
    settle(laptop, desktop, env=LATER)
    assert sorted(people(desktop)) == ["Ana Lima", "Bo Chen"]


def test_a_card_given_another_uid_is_a_new_card_and_the_old_one_deleted(vdir, laptop,
                                                                         desktop):
    ana = laptop.add("Ana Lima", "--email", "ana@example.com")
    laptop.add("Bo Chen")
    laptop.ok("note", "ana", "Met at the fair")
    settle(laptop, desktop)
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    path = card(vdir, "Ana Lima")
    edit_card(path, f"UID:{uid}", "UID:made-by-khard")  # what vdirsyncer takes for a new item
    said = sync(laptop, env=LATER)
    assert said == ("crm sync: contacts: pulled 1 new, 1 deleted\ncrm sync: contacts: "
                    f"{path.name}: its card has another UID now: a new card; the card of "
                    f"contact {ana} it held counts as deleted on the phone\n")
    live = laptop.ok("show", "ana", "--json").json()
    assert (live["uid"], live["emails"][0]["value"]) == ("made-by-khard", "ana@example.com")
    assert [(c["id"], c["uid"]) for c in laptop.ok("trash", "--json").json()] == [(ana, uid)]
    laptop.ok("edit", "ana", "--title", "CEO")
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    text = path.read_bytes().decode()  # the new UID stays; it was written over with the old
    assert "UID:made-by-khard\r\n" in text and "TITLE:CEO" in text
    assert len(list(vdir.glob("*.vcf"))) == 2
    settle(laptop, desktop, env=LATER)
    assert {c["name"]: c["uid"] for c in desktop.ok("list", "--json").json()}["Ana Lima"] \
        == "made-by-khard"


@pytest.mark.parametrize("spelt", [str.upper, "urn:uuid:{}".format, "URN:UUID:{}".format])
def test_a_uuid_written_another_way_is_the_same_card_and_kept_as_the_phone_writes_it(
        vdir, laptop, desktop, spelt):
    """It was another card: the contact went to the trash with its notes and deals, and a new
    one was made from the card."""
    ana = laptop.add("Ana Lima", "--email", "ana@example.com")
    laptop.ok("note", "ana", "Met at the fair")
    laptop.ok("deal", "add", "ana", "Pilot")
    settle(laptop, desktop)
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    path = card(vdir, "Ana Lima")
    edit_card(path, f"UID:{uid}", f"UID:{spelt(uid)}")
    assert sync(laptop, env=LATER) == ""
    assert [(c["id"], c["uid"]) for c in laptop.ok("list", "--json").json()] == [
        (ana, spelt(uid))]
    assert laptop.ok("trash", "--json").json() == []
    assert [n["contact_id"] for n in laptop.ok("notes", "--json").json()] == [ana]
    assert [d["contact_id"] for d in laptop.ok("deal", "list", "--json").json()] == [ana]
    laptop.ok("edit", "ana", "--title", "CEO")
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    text = path.read_bytes().decode()  # the phone's spelling, never the old one written back
    assert f"UID:{spelt(uid)}\r\n" in text and "TITLE:CEO" in text
    settle(laptop, desktop, env=LATER)
    assert [(c["name"], c["uid"], c["title"]) for c in desktop.ok("list", "--json").json()] == [
        ("Ana Lima", spelt(uid), "CEO")]
    assert desktop.ok("trash", "--json").json() == []
    assert len(list(vdir.glob("*.vcf"))) == 1


def test_a_uuid_written_another_way_in_a_new_file_is_the_same_contact(vdir, laptop):
    """What a phone does through a server that refuses a UID changed in place: the card is
    deleted and made again."""
    ana = laptop.add("Ana Lima", "--email", "ana@example.com")
    laptop.ok("note", "ana", "Met at the fair")
    sync(laptop)
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    path = card(vdir, "Ana Lima")
    text = path.read_bytes().decode().replace(f"UID:{uid}", f"UID:urn:uuid:{uid.upper()}")
    path.unlink()
    (vdir / "new.vcf").write_bytes(text.encode())
    assert sync(laptop, env=LATER) == "crm sync: contacts: pulled 1 deleted; merged 1 changed\n"
    assert [(c["id"], c["uid"]) for c in laptop.ok("list", "--json").json()] == [
        (ana, f"urn:uuid:{uid.upper()}")]
    assert [n["contact_id"] for n in laptop.ok("notes", "--json").json()] == [ana]
    assert sync(laptop, env=LATER) == ""
    assert [p.name for p in vdir.glob("*.vcf")] == ["new.vcf"]


def test_an_undone_sync_that_took_the_phones_spelling_of_a_uuid_never_writes_the_old_one(
        vdir, laptop):
    """The undo brings the old spelling back into the book; the next push wrote it over the
    file (a UID changed in place, which a server refuses)."""
    ana = laptop.add("Ana Lima", "--email", "ana@example.com")
    sync(laptop)
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    path = card(vdir, "Ana Lima")
    edit_card(path, f"UID:{uid}", f"UID:{uid.upper()}")
    sync(laptop, env=LATER)
    laptop.ok("undo", env=LATER)
    assert laptop.ok("show", str(ana), "--json").json()["uid"] == uid
    laptop.ok("edit", "ana", "--title", "CEO", env=LATER)
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    text = path.read_bytes().decode()
    assert f"UID:{uid.upper()}\r\n" in text and "TITLE:CEO" in text
    assert laptop.ok("show", str(ana), "--json").json()["uid"] == uid.upper()
    assert sync(laptop, env=LATER) == ""


def test_a_uid_that_is_no_uuid_given_another_case_is_another_card(vdir, laptop):
    vdir.mkdir()
    (vdir / "bo.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:Bo-On-The-Phone\r\n"
                                 "FN:Bo Chen\r\nEND:VCARD\r\n")
    assert sync(laptop) == "crm sync: contacts: pulled 1 new\n"
    edit_card(vdir / "bo.vcf", "UID:Bo-On-The-Phone", "UID:bo-on-the-phone")
    assert "bo.vcf: its card has another UID now" in sync(laptop, env=LATER)
    assert [c["uid"] for c in laptop.ok("list", "--json").json()] == ["bo-on-the-phone"]
    assert [c["uid"] for c in laptop.ok("trash", "--json").json()] == ["Bo-On-The-Phone"]


def test_a_card_given_another_uid_while_crm_changed_it_keeps_both(vdir, laptop):
    ana = laptop.add("Ana Lima")
    bo = laptop.add("Bo Chen")
    sync(laptop)
    for who, new in ((ana, "ana-on-the-phone"), (bo, "bo-on-the-phone")):
        uid = laptop.ok("show", str(who), "--json").json()["uid"]
        edit_card(card(vdir, laptop.ok("show", str(who), "--json").json()["name"]),
                  f"UID:{uid}", f"UID:{new}")
    laptop.ok("edit", "ana", "--title", "CEO")
    laptop.ok("rm", "bo", "--yes")
    said = sync(laptop, env=LATER)
    assert "crm sync: contacts: pulled 2 new; pushed 1 new" in said
    assert "uploaded again (deleted on the phone after it was changed in crm)" in said
    ana_uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    assert sorted((c["name"], c["uid"], c["title"]) for c in laptop.ok("list", "--json").json()
                  ) == sorted([("Ana Lima", ana_uid, "CEO"), ("Ana Lima", "ana-on-the-phone", None),
                               ("Bo Chen", "bo-on-the-phone", None)])
    assert [c["id"] for c in laptop.ok("trash", "--json").json()] == [bo]
    held = sorted(re.search(r"UID:(.*)\r\n", path.read_bytes().decode())[1]
                  for path in vdir.glob("*.vcf"))
    assert held == sorted([ana_uid, "ana-on-the-phone", "bo-on-the-phone"])
    assert sync(laptop, env=LATER) == ""


def test_an_unreadable_card_is_named_and_skipped(vdir, laptop):
    laptop.add("Ana Lima")
    vdir.mkdir()
    (vdir / "broken.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    result = laptop("sync", env=NOW)
    assert result.exit_code == 1
    assert re.search(r"crm: error: contacts: broken.vcf: .*END:VCARD", result.stderr)
    assert "pushed 1 new" in result.stderr
    unresolved = laptop.ok("sync", "conflicts", "--json").json()
    assert [(c["status"], c["href"]) for c in unresolved] == [("unresolved", "broken.vcf")]


def test_a_folder_or_a_fifo_named_like_a_card_is_no_item(vdir, laptop):
    """As for vdirsyncer, only regular files are items: a folder named x.vcf stopped every
    sync ("Is a directory") and a FIFO named so hung it."""
    laptop.add("Ana Lima")
    vdir.mkdir()
    (vdir / "folder.vcf").mkdir()
    os.mkfifo(vdir / "pipe.vcf")
    assert "pushed 1 new" in sync(laptop)
    assert sync(laptop) == ""
    assert len([path for path in vdir.glob("*.vcf") if path.is_file()]) == 1


def test_a_card_the_book_refuses_is_rolled_back_alone_and_named(vdir, laptop):
    vdir.mkdir()
    (vdir / "a.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bad\r\nFN:Bad Mail\r\n"
                                "EMAIL:not an email\r\nEND:VCARD\r\n")
    (vdir / "b.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:good\r\nFN:Good One\r\n"
                                "END:VCARD\r\n")
    result = laptop("sync", env=NOW)
    assert result.exit_code == 1
    assert result.stderr == ("crm sync: contacts: pulled 1 new\ncrm: error: contacts: a.vcf: "
                             "invalid email 'not an email': expected name@domain.tld\n")
    assert list(people(laptop)) == ["Good One"]
    assert [(c["status"], c["href"]) for c in laptop.ok("sync", "conflicts", "--json").json()
            ] == [("unresolved", "a.vcf")]
    (vdir / "a.vcf").write_text((vdir / "a.vcf").read_text().replace("not an email",
                                                                     "bad@example.com"))
    assert sync(laptop) == "crm sync: contacts: pulled 1 new\n"
    assert laptop.ok("sync", "conflicts", "--json").json() == []


def test_a_dry_run_and_status_write_nothing(vdir, laptop):
    laptop.add("Ana Lima")
    assert "push new 1" in sync(laptop, "--dry-run")
    assert not vdir.exists()
    status = laptop.ok("sync", "status", "--json").json()
    assert status == [{"collection": "contacts", "folder": str(vdir), "pull_new": 0,
                       "pull_changed": 0, "pull_deleted": 0, "push_new": 1, "push_changed": 0,
                       "push_deleted": 0, "merge": 0, "problems": 0}]


def test_a_run_that_would_delete_many_asks_for_force_delete(vdir, laptop):
    for number in range(12):
        laptop.add(f"Person {number}")
    sync(laptop)
    for path in list(vdir.glob("*.vcf"))[:3]:
        path.unlink()
    result = laptop("sync", env=NOW)
    assert result.exit_code == 1 and "--force-delete" in result.stderr
    assert len(people(laptop)) == 12
    assert "pulled 3 deleted" in sync(laptop, "--force-delete")


def test_another_book_on_the_same_vdir_deletes_nothing(vdir, laptop, tmp_path):
    laptop.add("Ana Lima")
    sync(laptop)
    other = Crm(tmp_path / "other.db")
    assert sync(other) == "crm sync: contacts: pulled 1 new\n"
    assert len(list(vdir.glob("*.vcf"))) == 1


def test_more_than_50_deletions_ask_for_force_delete_whatever_the_share(vdir, laptop,
                                                                          tmp_path):
    cards_file = tmp_path / "cards.vcf"
    cards_file.write_text(_cards(320, "Many"))
    laptop.ok("import", str(cards_file))
    sync(laptop)
    files = sorted(vdir.glob("*.vcf"))
    for path in files[:50]:  # 50 of 320 (16%): allowed
        path.unlink()
    assert sync(laptop) == "crm sync: contacts: pulled 50 deleted\n"
    for path in files[50:101]:  # 51 of 270 (19%): more than 50
        path.unlink()
    result = laptop("sync", env=NOW)
    assert result.exit_code == 1
    assert result.stderr == ("crm: error: contacts: this sync would delete 51 of 270 items; "
                             "nothing was changed; check the vdir and the server, then run crm "
                             "sync --force-delete if that is what you want\n")
    assert len(people(laptop)) == 270
    assert sync(laptop, "--force-delete") == "crm sync: contacts: pulled 51 deleted\n"


def test_a_restored_backup_or_a_demo_book_on_the_vdir_deletes_nothing(vdir, laptop, tmp_path):
    for name in ("Ana Lima", "Bo Chen", "Cy Dorn"):
        laptop.add(name)
    sync(laptop)
    backup = tmp_path / "backup.db"
    laptop.ok("backup", str(backup))
    laptop.add("Di Eng")
    laptop.ok("rm", "bo", "--yes")
    assert sync(laptop) == "crm sync: contacts: pushed 1 new, 1 deleted\n"
    on_phone = {path.name for path in vdir.glob("*.vcf")}
    # The backup's agreement is older: it takes what happened since as news from the phone.
    restored = Crm(backup)
    assert sync(restored) == "crm sync: contacts: pulled 1 new, 1 deleted\n"
    assert sorted(people(restored)) == ["Ana Lima", "Cy Dorn", "Di Eng"]
    assert {path.name for path in vdir.glob("*.vcf")} == on_phone
    # A fresh demo book in place of the book: every card is new to it, none is deleted.
    laptop.ok("demo", "--force")
    demo_count = len(people(laptop))
    assert sync(laptop) == f"crm sync: contacts: pulled 3 new; pushed {demo_count} new\n"
    assert on_phone <= {path.name for path in vdir.glob("*.vcf")}
    assert sync(restored) == f"crm sync: contacts: pulled {demo_count} new\n"


def test_the_command_runs_before_and_after_only_when_crm_wrote(vdir, laptop, tmp_path):
    log = tmp_path / "ran"
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.write_text(f'[sync]\ncommand = "touch {log}"\ncontacts = "{vdir}"\n')
    laptop.add("Ana Lima")
    sync(laptop)
    assert log.exists()
    log.unlink()
    sync(laptop, "--no-command")
    assert not log.exists()
    config.write_text(f'[sync]\ncommand = "false"\ncontacts = "{vdir}"\n')
    result = laptop("sync", env=NOW)
    assert result.exit_code == 1 and "'false' exited with status 1" in result.stderr


def test_a_command_a_shell_could_not_split_is_a_config_error(vdir, laptop, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.write_text(f'[sync]\ncommand = "vdirsyncer \'sync"\ncontacts = "{vdir}"\n')
    laptop.add("Ana Lima")
    result = laptop("sync", env=NOW)
    assert (result.exit_code, result.stderr) == (
        1, f"crm: error: {config}: sync.command cannot be split into words like a shell "
           "would (No closing quotation)\n")
    assert not vdir.exists()


def _crm_process(book: Path, *args: str, config: Path) -> subprocess.CompletedProcess:
    """crm as cron runs it: a process of its own, whose every byte on stdout and stderr (its
    children's too) is captured."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **NOW, "CRM_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "crmcli", "--db", str(book), *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_commands_output_is_shown_only_when_it_fails(vdir, laptop, tmp_path):
    chatty = tmp_path / "chatty"
    chatty.write_text("#!/bin/sh\necho Syncing crm_contacts\necho 'warning: slow' >&2\n"
                      "if [ -e \"$0.fail\" ]; then echo 'error: Unknown error occurred: 400,"
                      " Bad Request' >&2; echo 'Traceback noise'; exit 1; fi\n")
    chatty.chmod(0o755)
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.write_text(f'[sync]\ncommand = "{chatty}"\ncontacts = "{vdir}"\n')
    laptop.add("Ana Lima")
    first = _crm_process(laptop.db_path, "sync", config=config)
    assert (first.returncode, first.stdout, first.stderr) == (
        0, "", "crm sync: contacts: pushed 1 new\n")
    quiet = _crm_process(laptop.db_path, "sync", config=config)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    Path(f"{chatty}.fail").touch()
    failed = _crm_process(laptop.db_path, "sync", config=config)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr == (f"crm: error: '{chatty}' exited with status 1: error: Unknown "
                             "error occurred: 400, Bad Request\n")


def test_a_second_run_waits_for_no_one(vdir, laptop, db_path):
    import fcntl

    laptop.add("Ana Lima")
    with open(f"{laptop.db_path}.sync-lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = laptop("sync", env=NOW)
    assert result.exit_code == 1 and "another crm sync is running" in result.stderr
    assert not vdir.exists()


def _cards(count: int, prefix: str) -> str:
    return "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{prefix}-{n}\r\nFN:{prefix} {n}\r\n"
                   f"EMAIL:{prefix}.{n}@example.com\r\nEND:VCARD\r\n" for n in range(count))


def _killed_half_way(book: Path, tmp_path: Path, ready) -> None:
    """Start `crm sync` as a real process and kill it once ``ready(reader)`` says it is half
    way (``reader``: a read-only connection to the book); it must still have been running."""
    import os
    import signal
    import sys
    import time

    env = {**os.environ, **NOW, "CRM_CONFIG": str(tmp_path / "config" / "crmcli" /
                                                   "config.toml")}
    process = subprocess.Popen([sys.executable, "-m", "crmcli", "--db", str(book), "sync",
                                "--no-command"], env=env, stderr=subprocess.DEVNULL)
    reader = sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=5)
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if ready(reader):
                    break
            except sqlite3.OperationalError:
                pass  # the tables are not there yet
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, "the run finished before it was killed"
    finally:
        reader.close()


def _committed(reader) -> int:
    return reader.execute("SELECT count(*) FROM sync_items").fetchone()[0]


def test_a_run_killed_half_way_is_resumed_with_nothing_lost_or_doubled(vdir, laptop, desktop,
                                                                       tmp_path):
    count = 300  # more than a batch: killed after a batch committed, in the middle of another
    vdir.mkdir()
    for number in range(count):  # created on the phone: pulled by the killed run
        (vdir / f"phone {number}.vcf").write_text(_cards(1, "Phone")
                                                 .replace("-0", f"-{number}")
                                                 .replace(" 0", f" {number}"))
    laptop.ok("list")  # the book exists before the run starts
    _killed_half_way(laptop.db_path, tmp_path, lambda reader: _committed(reader) > 0)
    with closing(sqlite3.connect(laptop.db_path)) as reader:
        assert 0 < _committed(reader) < count
    sync(laptop)
    assert len(people(laptop)) == count
    cards_file = tmp_path / "cards.vcf"
    cards_file.write_text(_cards(count, "Desk"))
    desktop.ok("import", str(cards_file))
    # Killed once 40 of its cards are renamed into the vdir, before their batch commits.
    _killed_half_way(desktop.db_path, tmp_path,
                     lambda reader: len(list(vdir.glob("*.vcf"))) >= count + 40)
    settle(desktop, laptop)
    assert len(list(vdir.glob("*.vcf"))) == 2 * count
    assert not [path for path in vdir.iterdir() if not path.name.endswith(".vcf")]
    for book in (laptop, desktop):
        names = [contact["name"] for contact in book.ok("list", "--json").json()]
        assert len(names) == len(set(names)) == 2 * count


def test_two_vdirs_kept_in_step_by_a_real_vdirsyncer_converge(tmp_path, laptop, desktop):
    """Each book has its own vdir; the real vdirsyncer syncs the two folders, run by crm sync
    before and after it reconciles (as it would sync each with a server)."""
    import subprocess
    import sys

    vdirsyncer = Path(sys.executable).parent / "vdirsyncer"
    folders = {side: tmp_path / side for side in ("a", "b")}
    for folder in folders.values():
        folder.mkdir()
    syncer_config = tmp_path / "vdirsyncer.conf"
    syncer_config.write_text(
        f'[general]\nstatus_path = "{tmp_path / "status"}"\n\n'
        '[pair books]\na = "a"\nb = "b"\ncollections = null\nconflict_resolution = "b wins"\n'
        + "".join(f'\n[storage {side}]\ntype = "filesystem"\npath = "{folder}"\n'
                  'fileext = ".vcf"\n' for side, folder in folders.items()))
    command = f"{vdirsyncer} -c {syncer_config} sync"
    subprocess.run([vdirsyncer, "-c", syncer_config, "discover"], check=True, input=b"y\n" * 4,
                   capture_output=True)
    envs = {}
    for book, side in ((laptop, "a"), (desktop, "b")):
        config = tmp_path / f"{side}.toml"
        config.write_text(f'[sync]\ncommand = "{command}"\ncontacts = "{folders[side]}"\n')
        envs[book] = {**NOW, "CRM_CONFIG": str(config)}

    def settle_both():
        for _ in range(2):
            for book in (laptop, desktop):
                sync(book, env=envs[book])
        for book in (laptop, desktop):
            assert sync(book, env=envs[book]) == ""

    laptop.ok("add", "Ana Lima", "--title", "Buyer", env=envs[laptop])
    desktop.ok("add", "Bo Chen", env=envs[desktop])
    settle_both()
    desktop.ok("edit", "ana", "--email", "ana@example.com", env=envs[desktop])
    laptop.ok("rm", "bo", "--yes", env=envs[laptop])
    settle_both()
    for book in (laptop, desktop):
        assert [(c["name"], [e["value"] for e in c["emails"]])
                for c in book.ok("list", "--json", env=envs[book]).json()] == [
            ("Ana Lima", ["ana@example.com"])]
    for folder in folders.values():
        assert [path.read_bytes().count(b"EMAIL") for path in folder.glob("*.vcf")] == [1]
    for book in (laptop, desktop):  # as cron runs it: vdirsyncer's chatter is not shown
        quiet = _crm_process(book.db_path, "sync", config=Path(envs[book]["CRM_CONFIG"]))
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


@pytest.mark.parametrize("release", sorted(
    (Path(__file__).parent / "fixtures" / "releases").glob("v*.sql")), ids=lambda p: p.stem)
def test_a_book_from_an_older_release_syncs_after_its_upgrade(vdir, tmp_path, release):

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    old = Crm(path)
    exported = old.ok("export", "--format", "json").json()  # companies and contacts
    count = len(exported)
    firms = [record["name"] for record in exported if record.get("kind") == "company"]
    assert firms or release.stem != "v20"  # company cards go too
    assert sync(old) == f"crm sync: contacts: pushed {count} new\n"
    assert len(list(vdir.glob("*.vcf"))) == count
    assert any(b"FN:Jos\xc3\xa9 N\xc3\xba\xc3\xb1ez" in p.read_bytes() for p in vdir.glob("*.vcf"))
    assert sum(b"X-ABSHOWAS:COMPANY" in p.read_bytes() for p in vdir.glob("*.vcf")) == len(firms)
    assert sync(old) == ""


def test_a_sync_is_one_operation_undone_in_the_book_and_then_on_the_phone(vdir, laptop):
    laptop.add("Ana Lima", "--title", "Buyer")
    laptop.add("Bo Chen")
    sync(laptop)
    edit_card(card(vdir, "Ana Lima"), "TITLE:Buyer", "TITLE:CEO")
    card(vdir, "Bo Chen").unlink()
    (vdir / "phone-made.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-1\r\n"
                                         "FN:Cy Dorn\r\nEND:VCARD\r\n")
    assert sync(laptop, env=LATER) == ("crm sync: contacts: pulled 1 new, 1 changed, "
                                       "1 deleted\n")
    operation = laptop.ok("journal", "--json").json()[0]
    assert (operation["source"], operation["what"]) == ("sync", "sync")
    assert laptop.ok("journal", "--json").json()[1]["source"] == "cli"  # the adds before it
    laptop.ok("undo")
    assert {name: c["title"] for name, c in people(laptop).items()} == {
        "Ana Lima": "Buyer", "Bo Chen": None}
    assert sync(laptop, env=LATER) == ("crm sync: contacts: pushed 1 new, 1 changed, "
                                       "1 deleted\n")
    assert b"TITLE:Buyer" in card(vdir, "Ana Lima").read_bytes()
    assert card(vdir, "Bo Chen").exists() and not (vdir / "phone-made.vcf").exists()
    assert sync(laptop, env=LATER) == ""


HOOK_LOG = """#!{python}
import json, os, sys
from pathlib import Path
lines = [json.loads(line) for line in sys.stdin if line.strip()]
with open(Path(sys.argv[0]).parent / "calls.jsonl", "a") as out:
    out.write(json.dumps({{"hook": os.environ["CRM_HOOK"], "lines": lines}}) + "\\n")
for number, line in enumerate(lines, 1):
    if "Refused" in json.dumps(line):
        print(number, "no Refused people")
"""


def test_a_sync_runs_each_hook_once_for_all_its_changes(vdir, laptop, tmp_path):
    import json
    import sys

    for name in ("Ana Lima", "Bo Chen", "Cy Dorn", "Refused Keeper"):
        laptop.add(name)
    sync(laptop)
    hooks = tmp_path / "config" / "crmcli" / "hooks"
    hooks.mkdir(parents=True)
    for name in ("pre-add", "pre-modify", "pre-delete", "post-add", "post-modify",
                 "post-delete"):
        (hooks / name).write_text(HOOK_LOG.format(python=sys.executable))
        (hooks / name).chmod(0o755)
    edit_card(card(vdir, "Ana Lima"), "END:VCARD", "TITLE:CEO\r\nEND:VCARD")
    edit_card(card(vdir, "Cy Dorn"), "FN:Cy Dorn", "FN:Cy Refused Dorn")
    card(vdir, "Bo Chen").unlink()
    card(vdir, "Refused Keeper").unlink()
    for number, name in enumerate(("Di Eng", "Refused Newcomer")):
        (vdir / f"new-{number}.vcf").write_text(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:n-{number}"
                                                f"\r\nFN:{name}\r\nEND:VCARD\r\n")
    result = laptop("sync", env=LATER)
    assert result.exit_code == 1
    summary, kept, error = result.stderr.splitlines()
    assert summary == "crm sync: contacts: pulled 1 new, 1 changed, 1 deleted; pushed 1 new"
    assert kept == (f"crm sync: contacts: {card(vdir, 'Refused Keeper').name}: kept and "
                    "uploaded again (the pre-delete hook refused its deletion: no Refused people)")
    assert sorted(error.removeprefix("crm: error: contacts: ").split("; contacts: ")) == sorted([
        f"{card(vdir, 'Cy Refused Dorn').name}: refused by the pre-modify hook: no Refused people",
        "new-1.vcf: refused by the pre-add hook: no Refused people"])
    seen = [json.loads(line) for line in (hooks / "calls.jsonl").read_text().splitlines()]
    by_hook = {call["hook"]: call["lines"] for call in seen}
    assert [call["hook"] for call in seen][:3] == ["pre-add", "pre-modify", "pre-delete"]
    assert sorted(call["hook"] for call in seen[3:]) == ["post-add", "post-delete",
                                                         "post-modify"]
    assert [line["after"]["name"] for line in by_hook["pre-add"]] == ["Di Eng",
                                                                      "Refused Newcomer"]
    assert sorted((line["before"]["name"], line["after"]["title"], line["after"]["name"])
                  for line in by_hook["pre-modify"]) == [("Ana Lima", "CEO", "Ana Lima"),
                                                   ("Cy Dorn", None, "Cy Refused Dorn")]
    assert sorted(line["before"]["name"] for line in by_hook["pre-delete"]) == [
        "Bo Chen", "Refused Keeper"]
    assert [line["after"]["name"] for line in by_hook["post-add"]] == ["Di Eng"]
    assert [line["after"]["title"] for line in by_hook["post-modify"]] == ["CEO"]
    assert [line["before"]["name"] for line in by_hook["post-delete"]] == ["Bo Chen"]
    assert sorted(people(laptop)) == ["Ana Lima", "Cy Dorn", "Di Eng", "Refused Keeper"]
    assert laptop.ok("--no-hooks", "sync", env=LATER).stderr == (
        "crm sync: contacts: pulled 1 new, 1 changed\n")
    assert sorted(people(laptop)) == ["Ana Lima", "Cy Refused Dorn", "Di Eng",
                                      "Refused Keeper", "Refused Newcomer"]
