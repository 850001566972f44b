"""Exporting a contact changed since its import: its stored original is read back without being
split and normalised again (plain lines in one pass, others with the line parser), and the card
written is the one a fresh read of the original gives, unknown lines kept."""

from __future__ import annotations

import dataclasses
import io
from functools import cache
from pathlib import Path

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_read, vcard_stored, vcard_write
from crmcli.interchange.vcard_conform import conform, kept_as_is
from crmcli.interchange.vcard_fields import Photo
from crmcli.interchange.vcard_lines import Line, parse_line
from crmcli.interchange.vcard_personal import Related
from crmcli.interchange.vcard_split import iter_raw_cards
from crmcli.models import Detail, GiftEntry, ImportantDate, PartialDate

CORPUS_FILES = sorted(CORPUS.glob("*.vcf")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")

UNKNOWN_LINES = [
    "X-CUSTOM;TYPE=home,pref:keep me\\, please",
    "item7.X-SERVICE-TYPE:Signal",
    "item7.X-ABLABEL:_$!<Other>!$_",
    "X-PHONETIC-FIRST-NAME:A-na",
    "NICKNAME:Anita",
]


@cache
def corpus_cards() -> tuple:
    cards = []
    for path in CORPUS_FILES:
        with path.open("rb") as stream:
            for raw in iter_raw_cards(stream):
                try:
                    cards.append(vcard_read.parse_card(raw))
                except InvalidInput:
                    continue
    return tuple(cards)


def edited(card, notes=None, photo=False, **fields):
    """The card with its contact's ``fields`` (and its notes, or no photo) changed."""
    contact = dataclasses.replace(card.contact, **fields)
    return dataclasses.replace(card, contact=contact, notes=card.notes if notes is None else notes,
                               photo=None if photo else card.photo)


CHANGES = {
    "nothing": lambda card: card,
    "a tag more, a phone changed, a name longer": lambda card: edited(
        card, tags=[*card.contact.tags, "edited"], name=f"{card.contact.name} Jr",
        phones=[Detail("+34 600 000 001", "mobile"), *card.contact.phones[1:]]),
    "a tag more": lambda card: edited(card, tags=[*card.contact.tags, "edited"]),
    "no tags": lambda card: edited(card, tags=[]),
    "a name longer": lambda card: edited(card, name=f"{card.contact.name} Jr"),
    "the first phone changed": lambda card: edited(
        card, phones=[Detail("+34 600 000 001", "mobile"), *card.contact.phones[1:]]),
    "a phone more, with a label of its own": lambda card: edited(
        card, phones=[*card.contact.phones, Detail("+1 555 0100", "Boat")]),
    "phones reversed": lambda card: edited(card, phones=card.contact.phones[::-1]),
    "emails: one more with a label, the others reversed": lambda card: edited(
        card, emails=[*card.contact.emails[::-1], Detail("new@example.com", "Custom label")]),
    "emails labelled home": lambda card: edited(
        card, emails=[dataclasses.replace(email, label="home") for email in card.contact.emails]),
    "phones and addresses: the first gone, one new": lambda card: edited(
        card, phones=card.contact.phones[1:],
        addresses=[Detail("1 Main St\nTown", "home"), *card.contact.addresses[1:]]),
    "a LinkedIn profile more": lambda card: edited(
        card, urls=[*card.contact.urls, Detail("https://linkedin.com/in/x", "linkedin")]),
    "birthday, company and title": lambda card: edited(
        card, birthday=PartialDate(None, 12, 31), company="New Co, Inc.", title="Boss; chief"),
    "no birthday": lambda card: edited(card, birthday=None),
    "an anniversary": lambda card: dataclasses.replace(
        edited(card, anniversary=PartialDate(2001, 6, 7)), anniversary=PartialDate(2001, 6, 7)),
    "notes, custom fields, dates, no tags": lambda card: edited(
        card, notes=[*card.notes[1:], "A new, note; here\nline 2"], tags=[],
        fields={**card.contact.fields, "shoe size": "44"},
        dates=[ImportantDate("wedding", PartialDate(2001, 5, 6))]),
    "a note more": lambda card: edited(card, notes=[*card.notes, "Called; about it"]),
    "the photo removed, the company cleared": lambda card: edited(
        card, photo=True, company=None),
    "a new photo": lambda card: dataclasses.replace(
        card, photo=Photo(data=b"\x89PNG\r\n" * 30, media_type="image/png")),
    "a new UID and REV": lambda card: dataclasses.replace(
        edited(card, uid="new-uid-1"), rev="20240101T000000Z"),
    "a relationship more": lambda card: dataclasses.replace(
        card, relations=[*card.relations, Related("spouse", "Ana Lima", None)]),
    "no campaign mail, how and when we met, interests, gifts": lambda card: edited(
        card, no_mail=True, how_we_met="At a fair", met_on=PartialDate(2019, 1, 2),
        interests=["golf", "jazz"], gifts=[GiftEntry("book"), GiftEntry("wine", "2024-05-01")]),
}


@needs_corpus
@pytest.mark.parametrize("change", CHANGES)
def test_a_stored_original_writes_the_card_a_fresh_read_of_it_writes(change, monkeypatch):
    """Byte for byte, in vCard 3.0 and 4.0, for every corpus card: the card written from its
    stored original read back (plain lines in one pass) is the one written from a fresh read
    of the original (split, normalised and parsed by vobject's line parser again)."""
    cards = [card for card in corpus_cards() if card.original]
    assert sum(vcard_stored.read_stored(card.original, "3.0") is not None
               for card in cards) >= 0.9 * len(cards) > 60
    assert sum(vcard_stored.plain_original(card.original.split("\r\n")[2:-2], "3.0")
               is not None for card in cards) >= 0.6 * len(cards)
    variants = [CHANGES[change](card) for card in cards]
    written = [vcard_write.write_card(variant, version)
               for variant in variants for version in ("3.0", "4.0")]
    monkeypatch.setattr(vcard_stored, "read_stored", lambda original, version: None)
    assert written == [vcard_write.write_card(variant, version)
                       for variant in variants for version in ("3.0", "4.0")]


def test_a_text_not_stored_by_the_reader_is_read_anew():
    folded = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\n Lima\r\nEND:VCARD\r\n"
    version_21 = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ana Lima\r\nEND:VCARD\r\n"
    quoted = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\n"
              "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9\r\nEND:VCARD\r\n")
    for text in (folded, version_21, quoted, folded.replace("\r\n", "\n")):
        assert vcard_stored.read_stored(text, "3.0") is None
    assert ("note", str, "café") in vcard_stored.read_original(quoted, "3.0").reusable


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
    stored = vcard_stored.read_stored(original, "3.0")
    assert written(stored) == ({("tel", Detail, "+34 600 111 222", "cell"): [
        ["TEL;TYPE=CELL,VOICE:+34 600 111 222"]],
        ("name", str, "Ana Lima"): [[(None, "N", [], "Lima;Ana")]]}, [])  # N: not yet 5 parts


def written(original, as_ready: bool = True) -> tuple:
    """What the writer takes from a read original, as text: the lines of each value (as
    written when ``as_ready`` and ready to write, else as (group, name, parameters, value))
    and the unknown lines."""
    def text(line):
        ready = getattr(line, "ready", None) if as_ready else None
        return ready if ready is not None else (line.group, line.name, sorted(line.params.items()),
                                                line.value)
    values = {key: [[text(line) for line in lines] for lines in found]
              for key, found in original.reusable.items()}
    return values, [text(line) for line in original.unknown]


def plain(texts: list[str], version: str = "3.0"):
    read = vcard_stored.plain_original(texts, version)
    return None if read is None else vcard_stored.Original(*read)


@needs_corpus
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_plain_stored_card_is_read_as_the_line_parser_and_reader_read_it(version):
    originals = [card.original for card in corpus_cards() if card.original]
    read = 0
    for original in originals:
        texts = original.split("\r\n")[2:-2]
        same_version = texts and original.split("\r\n")[1] == f"VERSION:{version}"
        fast = vcard_stored.plain_original(texts, version, same_version)
        if fast is not None:
            read += 1
            parsed = vcard_stored._parsed_fields(texts, original)
            assert parsed is not None, original
            assert written(vcard_stored.Original(*fast), as_ready=False) == written(
                vcard_stored._from_fields(parsed, same_version), as_ready=False), original
    assert read >= 0.4 * len(originals)


def test_a_plain_stored_card_has_one_name_of_its_fn_and_n():
    original = plain(["FN:Ana Ruiz", "N:Ruiz;Ana;;;", "ORG:Acme", "N:Other;;;;", "FN:Ana R"])
    assert written(original) == ({("name", str, "Ana Ruiz"): [["FN:Ana Ruiz", "N:Ruiz;Ana;;;"]],
                                  ("org", str, "Acme"): [["ORG:Acme"]]},
                                 ["N:Other;;;;", "FN:Ana R"])
    assert written(plain(["N:Ruiz;Ana;;;"]))[0] == {("name", str, "Ana Ruiz"): [["N:Ruiz;Ana;;;"]]}


def test_lines_not_plain_are_read_by_the_line_parser():
    for line in ["item1.TEL:+34 600", "TEL;TYPE=\"cell\":+34 600", "TEL;PREF:+34 600",
                 "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9", "X-ABDATE:2020-01-01",
                 "BDAY:circa 1800", "NOTE:two\rlines", "TEL;TYPE=cell,:+34 600", "FN"]:
        assert vcard_stored.plain_original(["FN:Ana", line], "3.0") is None, line


def ready_text(text: str, version: str = "3.0") -> str | None:
    read = plain(["FN:Ana", text], version)
    lines = [*read.unknown, *(line for values in read.reusable.values() for lines in values
                              for line in lines)]
    return next(line.ready for line in lines if line.name != "FN")


def written_as_is(text: str, version: str) -> str | None:
    """The line's text as the writer writes it, when conform leaves the line as it is."""
    line = parse_line(text)
    (repaired,) = conform([line], version)
    return vcard_write._line_text(line) if repaired is line else None


def test_a_stored_line_is_ready_when_the_writer_would_write_it_as_it_is():
    assert ready_text("EMAIL;TYPE=HOME,pref:a@example.com") == "EMAIL;TYPE=HOME,pref:a@example.com"
    assert ready_text("email;type=HOME:a@example.com") == "EMAIL;TYPE=HOME:a@example.com"
    assert ready_text("NOTE:Met at a fair\\, then\\nagain") == "NOTE:Met at a fair\\, then\\nagain"
    assert ready_text("PHOTO;TYPE=JPEG;ENCODING=b:AAAA") == "PHOTO;ENCODING=b;TYPE=JPEG:AAAA"
    for text in ["TEL;TYPE=cell;VALUE=uri:tel:+34600", "EMAIL;PREF=1;TYPE=HOME:a@example.com",
                 "TITLE:Boss, chief", "TITLE:Boss\\: chief", "N:Lima;Ana;;", "ADR:;;Main St",
                 "PHOTO;VALUE=uri:http://example.com/a.jpg", "NOTE:a\x07bell"]:
        assert ready_text(text) is None, text
    assert ready_text("PHOTO;ENCODING=b;TYPE=JPEG:AAAA", "4.0") is None
    assert ready_text("EMAIL;PREF=1;TYPE=HOME:a@example.com", "4.0") is not None


@needs_corpus
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_every_ready_corpus_line_is_the_line_as_the_writer_writes_it(version):
    texts = [text for card in corpus_cards() if card.original
             for text in card.original.split("\r\n")[2:-2]]
    ready = 0
    for text in texts:
        read = plain([text], version)
        lines = [*read.unknown, *(line for values in read.reusable.values() for lines in values
                                  for line in lines)] if read else []
        for line in lines:
            if line.ready is not None:
                ready += 1
                assert line.ready == written_as_is(text, version), text
    assert ready >= 0.5 * len(texts)


VALUES = st.lists(st.sampled_from(["a", " ", ",", ";", ":", "\\", "n", "\x07", "data:", "="]),
                  max_size=8).map("".join)


@given(st.sampled_from(["NOTE", "ORG", "TITLE", "N", "ADR", "CATEGORIES", "PHOTO", "TEL", "X-A"]),
       st.sampled_from(["", ";ENCODING=b", ";TYPE=HOME", ";PREF=1", ";LABEL=x", ";VALUE=uri"]),
       VALUES, st.sampled_from(["3.0", "4.0"]))
@settings(max_examples=300, deadline=None)
def test_a_line_kept_as_is_is_left_as_it_is_by_conform(name, params, value, version):
    parsed = {"ENCODING": ["b"]} if "ENCODING" in params else {}
    if params and not parsed:
        key, _, values = params[1:].partition("=")
        parsed = {key: [values]}
    if kept_as_is(name, parsed, value, version):
        line = Line(name, parsed, value, None, None)
        assert conform([line], version)[0] is line


LABELLED_DETAILS = [
    "TEL;TYPE=CELL:+34 600 111 222",
    "TEL;TYPE=CELL,VOICE,PREF:+34 600 111 333",
    "item1.TEL:+34 600 111 444",
    "item1.X-ABLABEL:_$!<Mobile>!$_",
    "item2.TEL;TYPE=CELL:+34 600 111 555",
    "item2.X-ABLABEL:Mobile",
    "EMAIL;TYPE=INTERNET,PREF:ana@example.com",
    "EMAIL;TYPE=HOME,INTERNET:ana2@example.com",
    "ADR;TYPE=HOME,PREF:;;1 Main St;Town;;12345;Spain",
    "URL;TYPE=WORK:https://example.com",
    "X-SOCIALPROFILE;TYPE=linkedin:https://linkedin.com/in/ana",
]


def test_a_contact_changed_only_in_its_notes_keeps_its_detail_lines_byte_for_byte(crm, tmp_path):
    """A phone read from TYPE=CELL (label "cell"), from an Apple label (``mobile``, ``Mobile``),
    an email read with INTERNET and PREF left out of its label, an address and URLs: each is
    found unchanged by the label it was read with, so its line is written as it was stored."""
    card = tmp_path / "ana.vcf"
    card.write_text("\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "UID:ana-1", "FN:Ana Lima",
                                 "N:Lima;Ana;;;", *LABELLED_DETAILS, "END:VCARD", ""]),
                    encoding="utf-8")
    crm.ok("import", str(card))
    crm.ok("note", "1", "Called about the offer")
    lines = crm.ok("export").stdout.replace("\r\n", "\n").replace("\n ", "").splitlines()
    assert "NOTE:Called about the offer" in lines
    for line in LABELLED_DETAILS:
        assert line in lines, line
