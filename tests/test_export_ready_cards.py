"""A card stored ready to export is dropped, by triggers, when something else its card is made
from changes: notes, relationships, gifts, custom fields, the opt-out, the company's name, a
custom field's name, a related contact's name, UID or trash mark. The export then writes the
card again without computing the fingerprint; the cards of the other contacts stay ready."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import Crm

from crmcli import db as storage
from crmcli.interchange import exporter

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def card(uid: str, name: str, *lines: str) -> str:
    given, family = name.split()
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}",
                        f"N:{family};{given};;;", *lines, "END:VCARD", ""])


@pytest.fixture
def book(crm, tmp_path, db_path):
    """Ana (Acme; a note, a friend in the book and one who is not, a gift, a custom field),
    Bo and Cy, imported from cards, every card then stored ready for the book as it is."""
    path = tmp_path / "three.vcf"
    path.write_text(card("u-1", "Ana Lima", "ORG:Acme") + card("u-2", "Bo Diaz")
                    + card("u-3", "Cy Ruiz", "ORG:Cy Co"), encoding="utf-8")
    crm.ok("import", str(path))
    crm.ok("note", "Ana Lima", "Met at the fair")
    crm.ok("relate", "Ana Lima", "friend", "Bo Diaz")
    crm.ok("relate", "Ana Lima", "spouse", "Rui Lima")
    crm.ok("gift", "Ana Lima", "a scarf")
    crm.ok("field", "add", "shoe", "--type", "number")
    crm.ok("edit", "Ana Lima", "--set", "shoe=38")
    with sqlite3.connect(db_path) as db:
        for item in exporter.iter_export(db, [1, 2, 3]):
            db.execute("UPDATE contact_cards SET rendered = ?, rendered_for = ?"
                       " WHERE contact_id = ?", [exporter._write(item, "3.0"),
                                                 exporter.rendered_for(item), item.contact.id])
    db.close()
    return crm


EDITS = {
    "a note added": [("note", "Ana Lima", "Called about the order")],
    "a note edited": [("notes", "edit", "1", "Met at the fair in May")],
    "a note trashed": [("notes", "rm", "1", "--yes")],
    "an undo (of the custom field set last)": [("undo",)],
    "a relationship added": [("relate", "Ana Lima", "sister", "Dee Lima")],
    "a relationship removed": [("unrelate", "Ana Lima", "friend", "Bo Diaz")],
    "a gift noted": [("gift", "Ana Lima", "a book", "--given", "2026-03-02")],
    "a gift forgotten": [("ungift", "1")],
    "a custom field changed": [("edit", "Ana Lima", "--set", "shoe=39")],
    "a custom field cleared": [("edit", "Ana Lima", "--unset", "shoe")],
    "a custom field renamed": [("field", "rename", "shoe", "shoe_size")],
    "campaign mail refused": [("edit", "Ana Lima", "--no-mail")],
    "the company renamed": [("company", "edit", "Acme", "--name", "Acme Ltd")],
    "a related contact renamed": [("edit", "Bo Diaz", "--name", "Bo Diaz Jr")],
    "a related contact trashed": [("rm", "Bo Diaz", "--yes")],
}


def exported(crm, version: str) -> dict[str, str]:
    """Each card of the export, by UID (with CRLF line breaks)."""
    text = crm.ok("export", "--vcard-version", version).stdout.replace("\n", "\r\n")
    cards = [f"BEGIN:VCARD{part}" for part in text.split("BEGIN:VCARD")[1:]]
    return {re.search(r"^UID:(.*)\r$", c, re.M)[1]: c for c in cards}


def ready(db_path) -> dict[int, bool]:
    with sqlite3.connect(db_path) as db:
        found = {contact_id: rendered is not None for contact_id, rendered in db.execute(
            "SELECT contact_id, rendered FROM contact_cards")}
    db.close()
    return found


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_what_a_card_is_made_from_drops_the_card_stored_ready(
        book, db_path, monkeypatch, edit):
    before = exported(book, "3.0")
    assert ready(db_path) == {1: True, 2: True, 3: True}
    for command in EDITS[edit]:
        book.ok(*command)
    assert ready(db_path)[1] is False
    assert ready(db_path)[3] is True  # not made from what changed
    computed = []
    fingerprint = exporter.fingerprint
    monkeypatch.setattr(exporter, "fingerprint", lambda item, data=None: computed.append(
        item.contact.id) or fingerprint(item, data))
    after = exported(book, "3.0")
    assert 1 not in computed  # known changed without its fingerprint
    assert after["u-1"] != before["u-1"]
    assert after["u-3"] == before["u-3"]
    with sqlite3.connect(db_path) as db:
        items = {item.contact.id: item for item in exporter.iter_export(db, [1, 3])}
    db.close()
    for version in ("3.0", "4.0"):  # the card a full write gives
        cards = exported(book, version)
        assert cards["u-1"] == exporter._write(items[1], version)
        assert cards["u-3"] == exporter.to_vcard(items[3], version)


BULK_EDITS = {
    "a relationship": ("relationships", [{"type": "sister", "name": "Dee Lima", "uid": None}]),
    "a note": ("notes", ["Called about the order"]),
    "a gift": ("gifts", [{"description": "a book", "given_on": "2026-03-02"}]),
    "a custom field": ("fields", {"shoe": 39}),
}


@pytest.mark.parametrize("edit", BULK_EDITS)
def test_a_bulk_edit_adding_what_a_card_is_made_from_drops_the_card_stored_ready(
        book, db_path, tmp_path, monkeypatch, edit):
    """``crm export -f jsonl | ... | crm import -f jsonl``: the relationships a record adds are
    linked after the other records, as a card's are, and still drop the card."""
    key, value = BULK_EDITS[edit]
    record = book.ok("export", "--id", "1", "-f", "json").json()[0]
    record[key] = value if key == "fields" else [*record.get(key, []), *value]
    path = tmp_path / "edit.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    book.ok("import", "-f", "jsonl", str(path))
    assert ready(db_path) == {1: False, 2: True, 3: True}
    computed = []
    monkeypatch.setattr(exporter, "fingerprint", lambda item, data=None: computed.append(
        item.contact.id) or "")
    assert exported(book, "3.0")["u-1"]
    assert computed == [2, 3]


def test_a_card_imported_with_relationships_stays_ready_once_they_are_linked(crm, tmp_path,
                                                                            db_path):
    """Linking the relationships a card gives writes them after the card is stored ready:
    the card stays ready, and its fingerprint tells whether the links are what it said."""
    path = tmp_path / "two.vcf"
    ana = card("u-1", "Ana Lima", "RELATED;TYPE=friend;VALUE=text:Cy Ruiz")
    path.write_text(ana + card("u-2", "Bo Diaz", "RELATED;TYPE=friend:urn:uuid:u-1"),
                    encoding="utf-8")
    crm.ok("import", str(path))
    assert ready(db_path) == {1: True, 2: True}
    with sqlite3.connect(db_path) as db:
        ana_item, bo_item = exporter.iter_export(db, [1, 2])
    db.close()
    assert exporter.to_vcard(ana_item) == ana  # as it came
    assert exporter.to_vcard(bo_item) == exporter._write(bo_item, "3.0")  # linked by name


def test_a_new_contact_a_later_card_updates_is_left_to_the_trigger(crm, tmp_path, db_path):
    """Two cards of one UID in a file: the first makes the contact, the second updates it and
    links other relationships; its card is no longer what the first said, and is not kept."""
    path = tmp_path / "twice.vcf"
    path.write_text(card("u-1", "Ana Lima", "RELATED;TYPE=friend;VALUE=text:Cy Ruiz")
                    + card("u-1", "Ana Lima", "RELATED;TYPE=sister;VALUE=text:Di Paz"),
                    encoding="utf-8")
    crm.ok("import", str(path))
    related = crm.ok("relations", "Ana Lima").stdout
    assert (ready(db_path), "Cy Ruiz" in related, "Di Paz" in related) == ({1: False}, True, True)


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_a_migrated_book_drops_ready_cards_as_a_new_one_does(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    conn.close()
    storage.connect(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO contact_cards (contact_id, data, original, rendered,"
                     " rendered_for, updated_at) VALUES (1, '{}', '', 'ready', '1:x', 'now')"
                     " ON CONFLICT (contact_id) DO UPDATE SET rendered = 'ready'")
        conn.execute("UPDATE contact_cards SET rendered = 'ready' WHERE contact_id = 2")
    conn.close()
    crm = Crm(path)
    crm.ok("note", "1", "Renewal moved to June")
    assert ready(path).get(1) is False
    assert ready(path).get(2, True) is True
