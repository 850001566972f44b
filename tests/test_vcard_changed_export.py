"""Exporting a contact changed since its import: its stored original is read back with the line
parser only (it was stored split, unfolded and normalised), and the card written is the one a
fresh read of the original gives, unknown lines kept."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from conftest import CORPUS

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_read, vcard_write
from crmcli.interchange.vcard_split import iter_raw_cards
from crmcli.models import Detail

CORPUS_FILES = sorted(CORPUS.glob("*.vcf")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")

UNKNOWN_LINES = [
    "X-CUSTOM;TYPE=home,pref:keep me\\, please",
    "item7.X-SERVICE-TYPE:Signal",
    "item7.X-ABLABEL:_$!<Other>!$_",
    "X-PHONETIC-FIRST-NAME:A-na",
    "NICKNAME:Anita",
]


def corpus_cards() -> list:
    cards = []
    for path in CORPUS_FILES:
        with path.open("rb") as stream:
            for raw in iter_raw_cards(stream):
                try:
                    cards.append(vcard_read.parse_card(raw))
                except InvalidInput:
                    continue
    return cards


def changed(card):
    """The card's contact edited after import: a tag more, a phone changed, a name longer."""
    contact = card.contact
    phones = [Detail("+34 600 000 001", "mobile"), *contact.phones[1:]]
    return dataclasses.replace(card, contact=dataclasses.replace(
        contact, tags=[*contact.tags, "edited"], phones=phones, name=f"{contact.name} Jr"))


@needs_corpus
def test_a_stored_original_writes_the_card_a_fresh_read_of_it_writes(monkeypatch):
    cards = [card for card in corpus_cards() if card.original]
    read_back = [vcard_write._read_stored(card.original) for card in cards]
    assert sum(stored is not None for stored in read_back) >= 0.9 * len(cards) > 60
    written = [[vcard_write.write_card(variant, version)
                for variant in (card, changed(card)) for version in ("3.0", "4.0")]
               for card in cards]
    monkeypatch.setattr(vcard_write, "_read_stored", lambda original: None)
    assert written == [[vcard_write.write_card(variant, version)
                        for variant in (card, changed(card)) for version in ("3.0", "4.0")]
                       for card in cards]


def test_a_text_not_stored_by_the_reader_is_read_anew():
    folded = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\n Lima\r\nEND:VCARD\r\n"
    version_21 = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ana Lima\r\nEND:VCARD\r\n"
    quoted = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\n"
              "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9\r\nEND:VCARD\r\n")
    for text in (folded, version_21, quoted, folded.replace("\r\n", "\n")):
        assert vcard_write._read_stored(text) is None
    assert vcard_write._read_original(quoted).fields.first("note") == "café"


def test_a_changed_contact_keeps_its_unknown_lines(crm, tmp_path, monkeypatch):
    card = tmp_path / "ana.vcf"
    card.write_text("\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "UID:ana-1", "FN:Ana Lima",
                                 "N:Lima;Ana;;;", "TEL;TYPE=CELL:+34 600 111 222",
                                 *UNKNOWN_LINES, "END:VCARD", ""]), encoding="utf-8")
    crm.ok("import", str(card))
    crm.ok("edit", "1", "--tag", "vip")

    def no_normalising(raw):
        raise AssertionError("the stored original was normalised again")

    monkeypatch.setattr(vcard_read, "normalise_card", no_normalising)
    text = crm.ok("export").stdout
    lines = text.replace("\r\n", "\n").replace("\n ", "").splitlines()
    for line in UNKNOWN_LINES:
        assert line in lines or line.replace("X-ABLABEL", "X-ABLabel") in lines, line
    assert "CATEGORIES:vip" in lines and "TEL;TYPE=CELL:+34 600 111 222" in lines


def test_stored_originals_of_an_import_are_read_back_as_stored(crm, tmp_path):
    path = Path(tmp_path / "two.vcf")
    path.write_text("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8:Lima;Ana\r\n"
                    "TEL;CELL;VOICE:+34 600 111 222\r\nEND:VCARD\r\n", encoding="utf-8")
    crm.ok("import", str(path))
    (raw,) = iter_raw_cards(io.BytesIO(path.read_bytes()))
    original = vcard_read.parse_card(raw).original
    stored = vcard_write._read_stored(original)
    assert stored is not None and stored.version == "3.0"
    assert [item.kind for item in stored.fields.items] == ["tel", "name"]
