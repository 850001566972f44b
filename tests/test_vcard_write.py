"""Writing vCards: valid 3.0/4.0 output, faithful round trips, and a property test."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
import vobject
from hypothesis import example, given, settings
from hypothesis import strategies as st
from vcard_check import check_card

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_write
from crmcli.interchange.vcard_fields import ParsedCard, Photo
from crmcli.interchange.vcard_read import parse_card
from crmcli.interchange.vcard_split import iter_raw_cards
from crmcli.models import Contact, Detail, PartialDate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "vcards"
CORPUS_FILES = sorted(CORPUS.glob("*.vcf")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1x1 pixel


def write_card(card: ParsedCard, version: str = "3.0") -> str:
    """`vcard_write.write_card`, and every card it writes passes the strict check."""
    text = vcard_write.write_card(card, version)
    check_card(text, version)
    return text


def reparse(text: str) -> ParsedCard:
    (raw,) = iter_raw_cards(io.BytesIO(text.encode("utf-8")))
    return parse_card(raw)


def readable_cards(path: Path) -> list[ParsedCard]:
    cards = []
    with path.open("rb") as stream:
        for raw in iter_raw_cards(stream):
            try:
                cards.append(parse_card(raw))
            except InvalidInput:
                continue
    return cards


def same_data(card: ParsedCard) -> tuple:
    """What a round trip must keep: properties, not bytes (vobject reorders lines)."""
    return (dataclasses.asdict(card.contact), card.notes, card.anniversary, card.photo, card.rev,
            sorted(card.extra))


def unfolded_lines(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def fresh(contact: Contact, **fields) -> ParsedCard:
    return ParsedCard(contact=contact, **fields)


def assert_valid_vcard(text: str, version: str) -> None:
    check_card(text, version)
    assert vobject.readOne(text).version.value == version


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_cards_survive_a_round_trip(path: Path) -> None:
    """Owned data read back the same; every kept property still there, though a line may be
    repaired to be valid (an escape, a 4.0 parameter in 3.0, a second N as X-ALTERNATE-N);
    a second round changes nothing."""
    for card in readable_cards(path):
        for version in ("3.0", "4.0"):
            for source in (card, dataclasses.replace(card, original=None)):
                text = write_card(source, version)
                assert_valid_vcard(text, version)
                again = reparse(text)
                assert same_data(again)[:-1] == same_data(card)[:-1]
                assert kept_names(again.extra) == kept_names(card.extra)
                assert same_data(reparse(write_card(again, version))) == same_data(again)


def kept_names(extra: list[str]) -> list[str]:
    """The property names of kept lines, as a repaired line may rename them (LABEL left out:
    in 3.0, an ADR's LABEL parameter becomes a LABEL property)."""
    names = (line.split(":")[0].split(";")[0].rpartition(".")[2].upper() for line in extra)
    names = (name.removeprefix("X-ALTERNATE-").removeprefix("X-") for name in names)
    return sorted(name for name in names if name != "LABEL")


@needs_corpus
def test_unchanged_values_keep_their_original_lines() -> None:
    (evolution,) = readable_cards(CORPUS / "ezvcard__John_Doe_EVOLUTION.vcf")
    lines = unfolded_lines(write_card(evolution))
    assert "TEL;TYPE=CELL;X-COUCHDB-UUID=c2fa1caa-2926-4087-8971-609cfc7354ce:905-666-1234" in lines
    assert r"N:Doe;John;Richter\, James;Mr.;Sr." in lines
    assert "ORG:IBM;Accounting;Dungeon" in lines
    (iphone,) = readable_cards(CORPUS / "ezvcard__John_Doe_IPHONE.vcf")
    lines = unfolded_lines(write_card(iphone))
    assert "item2.TEL:905-222-1234" in lines
    assert "item2.X-ABLABEL:_$!<AssistantPhone>!$_" in lines
    assert r"item4.ADR;TYPE=WORK:;;Street4\nBuilding 6\nFloor 8;New York;;12345;USA" in lines
    assert "item4.X-ABADR:Street 4, Building 6,\\n Floor 8\\nNew York\\nUSA" in lines


@needs_corpus
def test_changed_values_replace_their_lines_and_group_labels() -> None:
    (iphone,) = readable_cards(CORPUS / "ezvcard__John_Doe_IPHONE.vcf")
    iphone.contact.phones[-1] = Detail("+1 212 555 0199", "assistant; day")
    iphone.contact.emails = [Detail("john@example.com", "home")]
    iphone.contact.name = "John Q. Doe"
    lines = unfolded_lines(write_card(iphone))
    assert not [line for line in lines if "905-222-1234" in line or "AssistantPhone" in line]
    item6 = [line for line in lines if line.startswith("item6.")]
    assert item6 == ["item6.TEL:+1 212 555 0199", r"item6.X-ABLABEL:assistant\; day"]
    assert "EMAIL;TYPE=home:john@example.com" in lines
    names = [line for line in lines if line.startswith(("FN:", "N:"))]
    assert names == ["FN:John Q. Doe", "N:Doe;John Q.;;;"]
    assert "ORG:IBM;Accounting" in lines


@needs_corpus
def test_a_stand_in_year_is_never_written() -> None:
    (cardbook,) = readable_cards(CORPUS / "radicale__contact4-with-bday-no-year.vcf")
    assert "BDAY:--01-01" in unfolded_lines(write_card(cardbook))
    assert "BDAY:--0101" in unfolded_lines(write_card(cardbook, "4.0"))
    assert "1604" not in write_card(cardbook) + write_card(cardbook, "4.0")


@pytest.mark.parametrize(("birthday", "v3", "v4"), [
    (PartialDate(None, 2, 29), "BDAY:--02-29", "BDAY:--0229"),
    (PartialDate(1980, 3, 22), "BDAY:1980-03-22", "BDAY:19800322"),
    (PartialDate(5, 1, 9), "BDAY:0005-01-09", "BDAY:00050109"),
])
def test_birthdays_in_each_version(birthday: PartialDate, v3: str, v4: str) -> None:
    card = fresh(Contact("Ada Lovelace", birthday=birthday))
    assert v3 in unfolded_lines(write_card(card))
    assert v4 in unfolded_lines(write_card(card, "4.0"))
    assert reparse(write_card(card, "4.0")).contact.birthday == birthday


def test_a_card_built_from_scratch() -> None:
    contact = Contact(
        "Ada Lovelace", uid="urn:uuid:1", company="Analytical Engines; Ltd", title="Countess",
        emails=[Detail("ada@example.com", "work")], phones=[Detail("+44 20 7946 0000", "home fax")],
        addresses=[Detail("12 St James's Square\nLondon\nSW1Y 4JH", "home")],
        urls=[Detail("https://example.com/a,b", "")], tags=["vip", "maths, logic"],
        anniversary=PartialDate(1835, 7, 8))
    card = fresh(contact, notes=["Met at the Royal Society.\nLikes engines."],
                 anniversary=contact.anniversary, rev="2024-01-02T03:04:05Z",
                 extra=["X-SOCIALPROFILE;TYPE=twitter:https://x.com/ada", "NICKNAME:Ada,Countess"])
    lines = unfolded_lines(write_card(card))
    for expected in [
        "FN:Ada Lovelace", "N:Lovelace;Ada;;;", r"ORG:Analytical Engines\; Ltd", "TITLE:Countess",
        "UID:urn:uuid:1", "EMAIL;TYPE=work:ada@example.com", "TEL;TYPE=home,fax:+44 20 7946 0000",
        r"ADR;TYPE=home:;;12 St James's Square\nLondon\nSW1Y 4JH;;;;",
        r"URL:https://example.com/a\,b", r"CATEGORIES:vip,maths\, logic",
        r"NOTE:Met at the Royal Society.\nLikes engines.", "X-ANNIVERSARY:1835-07-08",
        "REV:2024-01-02T03:04:05Z", "X-SOCIALPROFILE;TYPE=twitter:https://x.com/ada",
        "NICKNAME:Ada,Countess",
    ]:
        assert expected in lines
    assert same_data(reparse(write_card(card))) == same_data(card)


def test_labels_become_types_or_group_labels_that_read_back() -> None:
    phones = [Detail("1", "home fax"), Detail("2", "Mobile"), Detail("3", "pref"),
              Detail("4", "x-aunt"), Detail("5", "")]
    card = fresh(Contact("Ada", phones=phones),
                 extra=["item1.X-ABDATE:2000-01-01", "item1.X-ABLabel:Anniversary"])
    lines = unfolded_lines(write_card(card))
    assert sorted(line for line in lines if line.startswith(("TEL", "item"))) == [
        "TEL:5", "TEL;TYPE=home,fax:1", "item1.X-ABDATE:2000-01-01", "item1.X-ABLABEL:Anniversary",
        "item2.TEL;TYPE=cell:2", "item2.X-ABLABEL:Mobile", "item3.TEL:3",
        "item3.X-ABLABEL:pref", "item4.TEL:4", "item4.X-ABLABEL:x-aunt"]
    assert reparse(write_card(card)).contact.phones == phones


def test_structured_name_for_a_company_or_an_address_is_empty() -> None:
    company = write_card(fresh(Contact("Acme Ltd", company="Acme Ltd"), is_company=True))
    assert "N:;;;;" in unfolded_lines(company)
    person = write_card(fresh(Contact("Acme Ltd", company="Acme Ltd")))  # named as its company
    assert "N:Ltd;Acme;;;" in unfolded_lines(person)
    assert "N:;;;;" in unfolded_lines(write_card(fresh(Contact("ada@example.com"))))
    assert "N:;Madonna;;;" in unfolded_lines(write_card(fresh(Contact("Madonna"))))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab ;,\\\r\n@é"), max_size=12), st.booleans())
@example("Ana de la Cruz", False)
@example("O;Brien, Jr\\ \r\nX", False)
def test_a_name_and_an_address_are_structured_as_vobject_serializes_them(text, company):
    """Written without loading vobject, N and ADR are what its serializeFields makes."""
    from vobject.vcard import ADDRESS_ORDER, NAME_ORDER, Address, Name, serializeFields

    words = text.split()
    if company or "@" in text or not words:
        name = Name()
    elif len(words) == 1:
        name = Name(given=words[0])
    else:
        name = Name(family=words[-1], given=" ".join(words[:-1]))
    assert vcard_write._structured_name(Contact(text), company) == serializeFields(
        name, NAME_ORDER)
    assert vcard_write._address_value(text) == serializeFields(
        Address(street=text), ADDRESS_ORDER)


@pytest.mark.parametrize(("photo", "v3", "v4"), [
    (Photo(data=GIF, media_type="image/gif"), "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlh",
     "PHOTO:data:image/gif;base64,R0lGODlh"),
    (Photo(uri="https://example.com/ada.jpg", media_type="image/jpeg"),
     "PHOTO;TYPE=JPEG;VALUE=uri:https://example.com/ada.jpg",
     "PHOTO;MEDIATYPE=image/jpeg:https://example.com/ada.jpg"),
])
def test_photos_in_each_version(photo: Photo, v3: str, v4: str) -> None:
    card = fresh(Contact("Ada"), photo=photo)
    for version, expected in (("3.0", v3), ("4.0", v4)):
        text = write_card(card, version)
        assert_valid_vcard(text, version)
        assert any(line.startswith(expected) for line in unfolded_lines(text))
        assert reparse(text).photo == photo


def test_long_lines_are_folded_at_75_octets() -> None:
    card = fresh(Contact("Zoë " * 40, phones=[Detail("1", "")]),
                 photo=Photo(data=bytes(range(256)) * 8, media_type="image/png"))
    text = write_card(card)
    assert_valid_vcard(text, "3.0")
    assert reparse(text).photo.data == bytes(range(256)) * 8


def test_only_versions_3_and_4_are_written() -> None:
    with pytest.raises(InvalidInput, match=r"cannot write vCard 2\.1"):
        write_card(fresh(Contact("Ada")), "2.1")


def test_a_contact_needs_a_name() -> None:
    with pytest.raises(InvalidInput, match="no name"):
        write_card(fresh(Contact("  ")))


def test_an_unreadable_extra_line_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="is not a vCard line"):
        write_card(fresh(Contact("Ada"), extra=["no colon here"]))


TEXT = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs"), include_characters=",;\\\n:\"'"),
    min_size=1, max_size=30,
).map(str.strip).filter(bool)
LABELS = st.sampled_from(["", "home", "work", "cell", "work fax", "Mobile", "pref", "My; label"])
PHONES = st.from_regex(r"\+?[0-9][0-9 ()-]{2,14}[0-9]", fullmatch=True)
ADDRESSES = st.lists(TEXT, min_size=1, max_size=3).map("\n".join)
FULL_DATES = st.dates(min_value=dt.date(1, 1, 1)).filter(lambda day: day.year != 1604).map(
    lambda day: PartialDate(day.year, day.month, day.day))
YEARLESS_DATES = st.dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31)).map(
    lambda day: PartialDate(None, day.month, day.day))
DATES = st.none() | FULL_DATES | YEARLESS_DATES


def details(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[Detail]]:
    return st.lists(st.builds(Detail, values, LABELS), max_size=3)


CONTACTS = st.builds(
    Contact,
    name=TEXT,
    uid=st.none() | st.uuids().map(str),
    company=st.none() | TEXT,
    title=st.none() | TEXT,
    emails=details(st.emails()),
    phones=details(PHONES),
    addresses=details(ADDRESSES),
    urls=details(TEXT),
    tags=st.lists(TEXT, max_size=4, unique=True),
    birthday=DATES,
    anniversary=DATES,
)


@settings(max_examples=150, deadline=None)
@given(contact=CONTACTS, notes=st.lists(TEXT, max_size=3), version=st.sampled_from(["3.0", "4.0"]))
@example(contact=Contact("Ada, Countess; of Lovelace\\", birthday=PartialDate(None, 2, 29)),
         notes=["line one\nline two"], version="3.0")
@example(contact=Contact("Leap", birthday=PartialDate(2024, 2, 29)), notes=[], version="4.0")
def test_written_contacts_read_back_the_same(
    contact: Contact, notes: list[str], version: str
) -> None:
    card = ParsedCard(contact=contact, notes=notes, anniversary=contact.anniversary)
    text = write_card(card, version)
    assert_valid_vcard(text, version)
    first = reparse(text)
    assert dataclasses.asdict(first.contact) == dataclasses.asdict(contact)
    assert (first.notes, first.anniversary, first.extra) == (notes, contact.anniversary, [])
    second = reparse(write_card(first, version))  # over its own original this time
    assert same_data(second) == same_data(first)
