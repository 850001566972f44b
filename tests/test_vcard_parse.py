"""Reading vCards: splitting and decoding a stream, 2.1 normalisation, and the real-world corpus."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcli.errors import InvalidInput
from crmcli.interchange.vcard_fields import ParsedCard, Photo
from crmcli.interchange.vcard_personal import Related
from crmcli.interchange.vcard_read import parse_card
from crmcli.interchange.vcard_split import CHUNK_SIZE, RawCard, iter_raw_cards
from crmcli.models import Detail, PartialDate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "vcards"
CORPUS_FILES = sorted(CORPUS.glob("*.vcf")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")

CARD_COUNTS = {
    "aosp__v21_multiple_entry.vcf": 3,
    "ezvcard__John_Doe_ANDROID.vcf": 6,
    "ezvcard__gmail-list.vcf": 3,
    "ezvcard__rfc2426-example.vcf": 2,
    "ical4j__vcard-vCards-SAP.vcf": 30,
    "kcontacts__vcard10.vcf": 5,
    "nodevcf__multiple.vcf": 3,
    "qtpim__gmail.vcf": 2,
    "syncevolution__vcard21.vcf": 16,
    "syncevolution__yahoo_contact.vcf": 8,
    "textvcard__encoding2.vcf": 2,
}
UNREADABLE = {
    ("aosp__v21_android_custom_prop.vcf", 1):
        "card 1 (line 1): no FN, N, ORG or EMAIL to name the contact",
    ("eds__vcard-7.vcf", 1): "card 1 (line 1): END:VCARD at line 11 has no BEGIN:VCARD",
    ("eds__vcard-9.vcf", 1): "card 1 (line 1): the input ends before this card's END:VCARD",
    ("khard__unparsable.vcf", 1): "card 1 (line 1): the input ends before this card's END:VCARD",
}
IPHONE_PHONES = ["905-555-1234", "905-666-1234", "905-777-1234", "905-888-1234", "905-999-1234",
                 "905-111-1234", "905-222-1234"]
# (file, card number, name, emails, phones), checked by hand against the files.
NAMES_EMAILS_PHONES = [
    ("aosp__v21_blackberry_photo.vcf", 1, "boogie", ["forrestgump@walladalla.com"],
     ["+5555555", "+5555556"]),
    ("aosp__v21_complicated.vcf", 1, "Joe Due", ["forrestgump@walladalla.com", "cell@example.com"],
     ["(111) 555-1212", "(404) 555-1212", "0311111111", "0322222222", "0333333333"]),
    ("aosp__v21_invalid_multiple_line.vcf", 1, "Omega", ["omega@example.com"], []),
    ("aosp__v21_japanese_2.vcf", 1, "安藤 ロイド 1", [], []),
    ("aosp__v21_multiple_entry.vcf", 1, "安藤ロイド3", [], ["9", "10", "11", "12"]),
    ("aosp__v21_multiple_entry.vcf", 3, "安藤ロイド5", [], ["17", "18", "19", "20"]),
    ("aosp__v21_nest.vcf", 1, "parent", [], ["1"]),
    ("aosp__v30_ios_613_multiline.vcf", 1, "Bob Smith", ["bob@smithauto.com"], ["(650) 555-1212"]),
    ("eds__vcard-13.vcf", 1, "Ralf Engels", ["Frank_Dawson@Lotus.com", "semicolon;@points.net"],
     ["+1-919-676-9515", "+1-919-676-9564"]),
    ("eds__vcard-5.vcf", 1, "十城目管理大型知座", ["weird@weird.com"], ["十城目管理大型知座"] * 4),
    ("ezvcard__John_Doe_ANDROID.vcf", 1, "john.doe@company.com", ["john.doe@company.com"], []),
    ("ezvcard__John_Doe_ANDROID.vcf", 3, "Ñ Ñ Ñ Ñ Ñ", [], ["123456789"]),
    ("ezvcard__John_Doe_ANDROID.vcf", 4, "Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ", [],
     ["123456", "234567", "3456789", "45678901"]),
    ("ezvcard__John_Doe_ANDROID.vcf", 5, "Ñ Ñ Ñ Ñ", ["bob@company.com", "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑ"],
     ["123456", "123456", "123456"]),
    ("ezvcard__John_Doe_BLACK_BERRY.vcf", 1, "John Doe", [], ["+96123456789"]),
    ("ezvcard__John_Doe_EVOLUTION.vcf", 1, "Mr. John Richter, James Doe Sr.", ["john.doe@ibm.com"],
     ["905-666-1234", "905-555-1234"]),
    ("ezvcard__John_Doe_GMAIL.vcf", 1, "Mr. John Richter, James Doe Sr.", ["john.doe@ibm.com"],
     ["905-555-1234", "905-666-1234"]),
    ("ezvcard__John_Doe_IPHONE.vcf", 1, "Mr. John Richter James Doe Sr.", ["john.doe@ibm.com"],
     IPHONE_PHONES),
    ("ezvcard__John_Doe_LOTUS_NOTES.vcf", 1, "Mr. Doe John I Johny",
     ["john.doe@ibm.com", "billy_bob@gmail.com"], ["+1 (212) 204-34456", "00-1-212-555-7777"]),
    ("ezvcard__John_Doe_MAC_ADDRESS_BOOK.vcf", 1, "Mr. John Richter,James Doe Sr.",
     ["john.doe@ibm.com"], ["905-777-1234", "905-666-1234", "905-555-1234", "905-888-1234",
                            "905-999-1234", "905-111-1234", "905-222-1234"]),
    ("ezvcard__John_Doe_MS_OUTLOOK.vcf", 1, "Mr. John Richter James Doe Sr.", ["john.doe@ibm.cm"],
     ["(905) 555-1234", "(905) 666-1234"]),
    ("ezvcard__outlook-2003.vcf", 1, "John Doe III", ["jdoe@hotmail.com"],
     ["BusinessPhone", "HomePhone", "MobilePhone", "BusinessFaxPhone"]),
    ("ezvcard__outlook-2007.vcf", 1, "Mr. Michael Angstadt Jr.", ["mike.angstadt@gmail.com"],
     ["(111) 555-1111", "(111) 555-2222", "(111) 555-4444", "(111) 555-3333"]),
    ("ezvcard__gmail-list.vcf", 2, "Chris Beatle", ["chrisy55d@yahoo.com"], []),
    ("ezvcard__gmail-single.vcf", 1, "Greg Dartmouth", ["gdartmouth@hotmail.com"],
     ["555 555 1111", "555 555 2222"]),
    ("ezvcard__rfc6350-example.vcf", 1, "Simon Perreault", ["simon.perreault@viagenie.ca"],
     ["+1-418-656-9254;ext=102", "+1-418-262-6501"]),
    ("ical4j__4b62872a-849-0.vcf", 1, "Herr Franz M. Branntwein",
     ["franz.m.branntwein@example.com"], ["0221 12345678"]),
    ("kcontacts__vcard4.vcf", 1, "Ximian, Inc.", ["hello@ximian.com"],
     ["(617) 236-0442", "(617) 236-8630"]),
    ("kcontacts__vcard9.vcf", 1, "βγδεαβγδ1" * 11, [], []),  # noqa: RUF001
    ("khard__korean-c.vcf", 1, "최유림", [], []),
    ("l0b0vcard__continuation_at_start.vcf", 1, "John Doe", [], []),
    ("l0b0vcard__line_ending_mac.vcf", 1, "John Doe", [], []),
    ("l0b0vcard__mismatch_group.vcf", 1, "John Doe", [], []),
    ("qtpim__AAB4-SingleNonAscii.vcf", 1, "The only first name", [], []),
    ("qtpim__Entourage12-nonascii.vcf", 1, "ひらがな name", [], []),
    ("qtpim__gmail.vcf", 2, "Test Contact 2", ["a@b.com"], ["1234"]),
    ("qtpim__symbian-connectivity.vcf", 1, "Keskus", [], ["+358718008000"]),
    ("radicale__broken-vcard.vcf", 1, "test-misses-N-or-FN@example.com",
     ["test-misses-N-or-FN@example.com"], []),
    ("syncevolution__Google-Gmail.vcf", 1, "Mr. John 1 Doe Sr.",
     ["john.doe@home.com", "doe@work.com", "john@custom.com"],
     ["business 1", "mobile", "home", "main", "work fax", "home fax", "google voice", "pager",
      "custom"]),
    ("syncevolution__vcard21.vcf", 6, "Mr. First ; special ; middle Last", [], []),
    ("textvcard__encoding2.vcf", 1, "Bartholomäus von Stürmer", [], ["+08154711"]),
    ("textvcard__encoding2.vcf", 2, "Carl Gauß", [], ["+471112345"]),
]


def read(data: bytes | str) -> list[RawCard]:
    stream = io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)
    return list(iter_raw_cards(stream))


def parse_one(data: bytes | str) -> ParsedCard:
    (raw,) = read(data)
    return parse_card(raw)


def card(*lines: str, version: str = "3.0") -> ParsedCard:
    return parse_one("\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]))


def corpus_card(name: str, number: int = 1) -> ParsedCard:
    with (CORPUS / name).open("rb") as stream:
        raw = next(raw for raw in iter_raw_cards(stream) if raw.number == number)
    return parse_card(raw)


def values(details: list[Detail]) -> list[str]:
    return [detail.value for detail in details]


def labels(details: list[Detail]) -> list[str]:
    return [detail.label for detail in details]


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_card_parses_or_says_which_card_and_line(path: Path) -> None:
    with path.open("rb") as stream:
        raws = list(iter_raw_cards(stream))
    assert [raw.number for raw in raws] == list(range(1, CARD_COUNTS.get(path.name, 1) + 1))
    for raw in raws:
        expected_error = UNREADABLE.get((path.name, raw.number))
        if expected_error:
            with pytest.raises(InvalidInput) as caught:
                parse_card(raw)
            assert str(caught.value) == expected_error
            continue
        parsed = parse_card(raw)
        contact = parsed.contact
        assert contact.name.strip() and "\ufffd" not in contact.name
        assert all(value.strip() for value in values(contact.emails) + values(contact.phones))
        assert all(warning.startswith(f"card {raw.number} (line ") for warning in parsed.warnings)


@needs_corpus
@pytest.mark.parametrize(("name", "number", "full_name", "emails", "phones"), NAMES_EMAILS_PHONES,
                         ids=lambda value: value if isinstance(value, str) else None)
def test_corpus_names_emails_and_phones_come_through_intact(
    name: str, number: int, full_name: str, emails: list[str], phones: list[str]
) -> None:
    contact = corpus_card(name, number).contact
    assert contact.name == full_name
    assert values(contact.emails) == emails
    assert values(contact.phones) == phones


@needs_corpus
def test_iphone_card_labels_addresses_photo_and_kept_properties() -> None:
    parsed = corpus_card("ezvcard__John_Doe_IPHONE.vcf")
    contact = parsed.contact
    assert (contact.company, contact.title) == ("IBM", "Money Counter")
    assert labels(contact.phones) == ["cell", "home", "work", "home fax", "work fax", "pager",
                                      "assistantphone"]
    assert contact.addresses == [
        Detail("Silicon Alley 5,\nNew York\nNew York\n12345\nUnited States of America", "home"),
        Detail("Street4\nBuilding 6\nFloor 8\nNew York\n12345\nUSA", "work"),
    ]
    assert contact.urls == [Detail("http://www.ibm.com", "homepage")]
    assert contact.birthday == PartialDate(2012, 6, 6)
    assert parsed.photo.media_type == "image/jpeg"
    assert parsed.photo.data[:2] == b"\xff\xd8" and parsed.photo.data[-2:] == b"\xff\xd9"
    assert parsed.extra == [
        "PRODID:-//Apple Inc.//iOS 5.0.1//EN",
        "NICKNAME:Johny",
        "item3.X-ABADR:Silicon Alley",
        r"item4.X-ABADR:Street 4, Building 6,\n Floor 8\nNew York\nUSA",
    ]
    assert parsed.warnings == []


@needs_corpus
def test_ios_613_card_with_cr_cr_lf_line_ends() -> None:
    parsed = corpus_card("aosp__v30_ios_613_multiline.vcf")
    assert parsed.contact.company == "Smith Auto Repair"
    assert parsed.contact.urls == [Detail("www.smithauto.com", "homepage")]
    assert parsed.photo.data[:2] == b"\xff\xd8" and parsed.photo.data[-2:] == b"\xff\xd9"


@needs_corpus
def test_gmail_cards_keep_custom_labels_and_grouped_dates() -> None:
    single2 = corpus_card("ezvcard__gmail-single2.vcf").contact
    assert single2.emails[-1] == Detail("customcategory@example.com", "CustomEmailCategory")
    assert ("5555551119", "GRAND_CENTRAL") in [(d.value, d.label) for d in single2.phones]
    assert single2.birthday == PartialDate(1912, 6, 23)
    gmail = corpus_card("ezvcard__John_Doe_GMAIL.vcf")
    assert gmail.contact.addresses == [Detail(
        "Crescent moon drive\n555-asd\nNice Area, Albaney, New York 12345\n"
        "United States of America", "home")]
    assert gmail.notes[0].startswith('THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND '
                                     'CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, ')
    assert gmail.notes[0].endswith("POSSIBILITY OF SUCH DAMAGE.\nFavotire Color: Blue")
    assert gmail.anniversary == PartialDate(1975, 3, 1)  # item1.X-ABDATE labelled Anniversary
    assert not any("X-ABDATE" in line or "X-ABLABEL" in line for line in gmail.extra)


@needs_corpus
def test_quoted_printable_soft_breaks_are_joined_and_decoded() -> None:
    complicated = corpus_card("aosp__v21_complicated.vcf")
    assert complicated.notes == [
        "The following note is the example from RFC 2045.",
        "Now's the time for all folk to come to the aid of their country.",
    ]
    assert complicated.contact.company == "Gump Shrimp Co."
    assert complicated.photo.data[:2] == b"\xff\xd8"
    outlook = corpus_card("ezvcard__outlook-2003.vcf")
    assert outlook.notes == ["This is the note field!!\nSecond line\n\nThird line is empty"]
    assert outlook.contact.company == "Company, The"
    assert corpus_card("ezvcard__outlook-2007.vcf").notes == [
        "This is the NOTE field\t\nI assume it encodes this text inside a NOTE vCard type.\n"
        "But I'm not sure because there's text formatting going on here.\n"
        "It does not preserve the formatting"]
    bike_shop = corpus_card("kcontacts__vcard10.vcf", 1)
    assert bike_shop.contact.addresses == [
        Detail("DDDDDDDDDDDDDDD-Staße 2\n00000 DDDDDDDDDD", "work")]
    comments = corpus_card("aosp__v21_invalid_comment_line.vcf")
    assert comments.notes == [
        "This is an (sharp ->#<- sharp) example. This message must NOT be ignored."]
    assert comments.warnings == [
        "card 1 (line 6): dropped a line that is not a property: '# This line must be ignored.'",
        "card 1 (line 9): dropped a line that is not a property: "
        "'# This line must be ignored too.'",
    ]


@needs_corpus
def test_shift_jis_cards_are_read_as_cp932() -> None:
    japanese = corpus_card("aosp__v21_japanese_2.vcf")
    assert japanese.contact.addresses == [
        Detail("東京都渋谷区桜丘町26-1セルリアンタワー6階\n150-8512", "home")]
    assert japanese.notes == ["メモ"]
    assert japanese.extra == ["SOUND;TYPE=X-IRMC-N:ｱﾝﾄﾞｳ;ﾛｲﾄﾞ1;;;"]
    nec = corpus_card("aosp__v21_multiple_entry.vcf", 2).contact
    assert labels(nec.phones) == ["modem", "pager", "x-nec-family", "x-nec-girl"]


@needs_corpus
def test_utf16_and_latin1_files() -> None:
    apple = corpus_card("qtpim__AAB4-SingleNonAscii.vcf")
    assert apple.contact.addresses == [Detail("ノキア", "work")]
    assert apple.relations == [Related("assistant", "علم الجبر")]
    sap = corpus_card("ical4j__vcard-vCards-SAP.vcf", 2)
    assert sap.contact.phones == [Detail("§", "work")]
    assert sap.warnings == [
        "card 2 (line 9): not UTF-8 and no usable CHARSET; read as Latin-1 (lines 15)"]
    assert corpus_card("ical4j__vcard-vCards-SAP.vcf", 10).contact.name == "Ingrid Spaßlund"
    polish = corpus_card("ical4j__vcard-antoni-outlook2003.vcf")
    assert polish.warnings == [
        "card 1 (line 16): quoted-printable value is not UTF-8; read as Latin-1"]
    assert "LABEL;TYPE=HOME:Budryka 2/1110\\nKraków, ma³opolskie 30-072\\nPolen" in polish.extra


@needs_corpus
@pytest.mark.parametrize(("name", "birthday"), [
    ("vcard4android__vcard4.vcf", PartialDate(None, 4, 16)),
    ("ezvcard__rfc6350-example.vcf", PartialDate(None, 2, 3)),
    ("radicale__contact4-with-bday-no-year.vcf", PartialDate(None, 1, 1)),
    ("ezvcard__John_Doe_MS_OUTLOOK.vcf", PartialDate(1980, 3, 22)),
    ("vcard4android__allfields-vcard3.vcf", PartialDate(1996, 4, 15)),
    ("kcontacts__testfullvcard.vcf", PartialDate(1953, 10, 15)),
    ("ical4j__vcard-antoni-kontact.vcf", PartialDate(1985, 1, 28)),
    ("ezvcard__fullcontact.vcf", PartialDate(2016, 8, 1)),
])
def test_corpus_birthdays(name: str, birthday: PartialDate) -> None:
    assert corpus_card(name).contact.birthday == birthday


@needs_corpus
def test_text_birthday_is_a_warning_and_kept() -> None:
    parsed = corpus_card("khard__text-bday.vcf")
    assert parsed.contact.birthday is None
    assert parsed.extra == ["BDAY;VALUE=text:circa 1800"]
    assert parsed.warnings == ["card 1 (line 5): BDAY 'circa 1800' is text, not a date; kept as is"]


@needs_corpus
def test_anniversaries() -> None:
    assert corpus_card("aosp__v21_winmo_65.vcf").anniversary == PartialDate(2009, 10, 10)
    allfields = corpus_card("vcard4android__allfields-vcard3.vcf")
    assert allfields.anniversary == allfields.contact.anniversary == PartialDate(2014, 8, 12)


@needs_corpus
def test_corpus_photos() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    data_uri = corpus_card("radicale__contact_photo_with_data_uri.vcf").photo
    assert (data_uri.data[:8], data_uri.media_type) == (png, "image/png")
    assert corpus_card("khard__photov4.vcf").photo.data[:8] == png
    assert corpus_card("aosp__v21_blackberry_photo.vcf").photo.data[:8] == png
    unindented = corpus_card("qtpim__badwrap.vcf").photo
    assert unindented.data[:2] == b"\xff\xd8" and unindented.data[-2:] == b"\xff\xd9"
    apple_bare_base64 = corpus_card("qtpim__AAB4-SingleCompany.vcf").photo
    assert apple_bare_base64.data[:4] == b"MM\x00*"  # a TIFF
    truncated = corpus_card("ezvcard__John_Doe_ANDROID.vcf", 5)
    assert truncated.photo is None
    assert truncated.warnings == [
        "card 5 (line 52): PHOTO '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgIC' "
        "is not valid base64; dropped"]
    assert corpus_card("nodevcf__xing.vcf").photo == Photo(
        uri="https://placeholdit.imgix.net/~text?txtsize=33&txt=150%C3%97150&w=150&h=150",
        media_type="image/png")


@needs_corpus
def test_odd_property_names_and_lines_are_fixed_or_reported() -> None:
    kontact = corpus_card("ical4j__vcard-antoni-kontact.vcf")
    assert "X-MESSAGING-GADU-ALL:452342" in kontact.extra
    assert "card 1 (line 382): property X-messaging/gadu-All renamed X-messaging-gadu-All" in (
        kontact.warnings)
    assert corpus_card("aosp__v21_nest.vcf").warnings == [
        "card 1 (line 4): dropped a vCard nested in this one",
        "card 1 (line 8): dropped a vCard nested in this one",
    ]
    assert corpus_card("qtpim__symbian-connectivity.vcf").warnings == [
        "card 1 (line 9): dropped a property with no name: ';CHARSET=UTF-8:'",
        "card 1 (line 10): dropped a property with no name: ';CHARSET=UTF-8:'",
    ]
    lotus = corpus_card("ezvcard__John_Doe_LOTUS_NOTES.vcf")  # PROFILE:VCard mid-card
    assert lotus.contact.title == "Generic Accountant"
    assert "GEO:-2.600000;3.400000" in lotus.extra


def test_a_quoted_printable_value_vobject_cannot_decode_is_dropped_with_a_warning() -> None:
    """vobject decodes quoted-printable itself and failed with a TypeError on an ENCODING
    with a second value: the import stopped with an internal error."""
    parsed = card("FN:Quinn", "NOTE;ENCODING=QUOTED-PRINTABLE,8BIT:a=3Db", "TITLE:Chef")
    assert (parsed.contact.name, parsed.contact.title, parsed.notes) == ("Quinn", "Chef", [])
    assert parsed.warnings == ["card 1 (line 4): dropped an unreadable property: At line 4:"
                               " its quoted-printable value cannot be decoded"]


def test_a_charset_that_is_no_text_encoding_is_no_usable_charset() -> None:
    """CHARSET=QUOTED-PRINTABLE named Python's quopri codec, which bytes.decode refuses with
    a LookupError: the import stopped with an internal error."""
    text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=QUOTED-PRINTABLE:Caf\xe9\r\nEND:VCARD\r\n"
    parsed = parse_one(text.encode("latin-1"))
    assert parsed.contact.name == "Café"
    assert parsed.warnings == [
        "card 1 (line 1): not UTF-8 and no usable CHARSET; read as Latin-1 (lines 3)"]


def test_an_empty_input_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="the input is empty"):
        read(b"")


def test_binary_input_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="binary data"):
        read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)))


def test_text_without_a_card_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="no vCard found"):
        read("Name,Email\nAda,ada@example.com\n")


def test_a_truncated_last_card_is_reported_and_earlier_cards_are_kept() -> None:
    first, second = read("BEGIN:VCARD\nFN:Ada\nEND:VCARD\n\nBEGIN:VCARD\nFN:Bob\nEMAIL:b@")
    assert parse_card(first).contact.name == "Ada"
    assert (second.number, second.line) == (2, 5)
    with pytest.raises(InvalidInput, match=r"^card 2 \(line 5\): the input ends before"):
        parse_card(second)


def test_a_begin_inside_a_3_0_card_starts_a_new_card() -> None:
    first, second = read("BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nBEGIN:VCARD\nFN:Bob\nEND:VCARD\n")
    assert first.error == "no END:VCARD before the BEGIN:VCARD at line 4"
    assert parse_card(second).contact.name == "Bob"


def test_cards_are_numbered_with_their_first_line_despite_stray_text() -> None:
    raws = read("# exported\n\nBEGIN:VCARD \nFN:Ada\nEND:VCARD\r\njunk\r\nbegin:vcard\r\n"
                "fn:Bob\r\nend:vcard")
    assert [(raw.number, raw.line, raw.error) for raw in raws] == [(1, 3, None), (2, 7, None)]
    assert [parse_card(raw).contact.name for raw in raws] == ["Ada", "Bob"]


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r", "\r\r\n"])
def test_line_endings(line_end: str) -> None:
    text = line_end.join(["BEGIN:VCARD", "VERSION:3.0", "FN:Ada", "NOTE:one", " two", "END:VCARD"])
    parsed = parse_one(text + line_end)
    assert (parsed.contact.name, parsed.notes) == ("Ada", ["onetwo"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_byte_order_marks_and_utf16(encoding: str) -> None:
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ñúñez\r\nEND:VCARD\r\n"
    assert parse_one(text.encode(encoding)).contact.name == "Zoë Ñúñez"


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r\r\n"])
def test_a_line_end_split_between_two_chunks(line_end: bytes) -> None:
    padding = b"#" * (CHUNK_SIZE - len(line_end) + 1)  # the chunk ends inside the line end
    (raw,) = read(padding + line_end + b"BEGIN:VCARD\r\nFN:Ada\r\nEND:VCARD\r\n")
    assert raw.line == 2


def test_a_fold_that_splits_a_utf8_character_is_mended() -> None:
    data = "BEGIN:VCARD\r\nFN:Zoë\r\nNOTE:αβ\r\nEND:VCARD\r\n".encode()
    folded = data.replace("β".encode(), b"\xce\r\n \xb2")  # the fold cuts β in two
    assert parse_one(folded).notes == ["αβ"]


class CardStream(io.RawIOBase):
    """A readable stream that makes its cards as it is read, counting the bytes handed out."""

    def __init__(self, count: int) -> None:
        self.cards: Iterator[bytes] = (
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person %d\r\nEMAIL:p%d@example.com\r\n"
            b"TEL;TYPE=cell:+1 555 %07d\r\nNOTE:Hello\\, world\r\nEND:VCARD\r\n" % (n, n, n)
            for n in range(count))
        self.pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer):
            more = next(self.cards, b"")
            if not more:
                break
            self.pending += more
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        self.bytes_read += size
        return size


def test_reading_is_lazy_and_memory_stays_flat() -> None:
    stream = CardStream(20_000)
    cards = iter_raw_cards(stream)
    assert next(cards).number == 1
    assert stream.bytes_read <= 2 * CHUNK_SIZE
    tracemalloc.start()
    try:
        last = max(raw.number for raw in cards)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert last == 20_000
    assert stream.bytes_read > 2_500_000
    assert peak < 1_000_000  # while the input is over 2.5 MB


def test_vcard_21_parameters_and_encodings_are_normalised() -> None:
    parsed = card(
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:N=C3=BA=C3=B1ez;Jos=",
        "=C3=A9;;;",
        "TEL;CELL;VOICE:+34 600 000 000",
        "EMAIL;PREF;INTERNET:jose@example.com",
        "ADR;HOME;QUOTED-PRINTABLE:;;Calle Mayor 1=0D=0AEntresuelo;Madrid;;28013;=",
        "",
        "PHOTO;ENCODING=BASE64;TYPE=GIF:R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7",
        "X-WEIRD/NAME;;:value",
        version="2.1",
    )
    assert parsed.contact.name == "José Núñez"
    assert parsed.contact.phones == [Detail("+34 600 000 000", "cell")]
    assert parsed.contact.emails == [Detail("jose@example.com", "")]
    assert parsed.contact.addresses == [Detail("Calle Mayor 1\nEntresuelo\nMadrid\n28013", "home")]
    assert parsed.photo.data[:6] == b"GIF89a" and parsed.photo.media_type == "image/gif"
    assert parsed.extra == ["X-WEIRD-NAME:value"]
    assert parsed.original.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "N:Núñez;José;;;\r\n" in parsed.original


def test_unindented_base64_continues_until_a_blank_line() -> None:
    parsed = card("FN:Ada", "PHOTO;ENCODING=BASE64;TYPE=GIF:",
                  "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAA", "LAAAAAABAAEAAAIBRAA7", "",
                  "NOTE:after the photo", version="2.1")
    assert parsed.photo.data[:6] == b"GIF89a" and parsed.photo.data[-1:] == b";"
    assert parsed.notes == ["after the photo"]


def test_values_keep_their_commas() -> None:
    parsed = card("FN:Ada", "NOTE:Hello, world", "NICKNAME:Ada,Countess", "X-LIST:1;2,3",
                  "CATEGORIES:a\\,b,c", "URL:http\\://example.com/a,b")
    assert parsed.notes == ["Hello, world"]
    assert parsed.contact.tags == ["a,b", "c"]
    assert parsed.contact.urls == [Detail("http://example.com/a,b", "")]
    assert parsed.extra == ["NICKNAME:Ada,Countess", "X-LIST:1;2,3"]


@pytest.mark.parametrize(("text", "expected"), [
    ("--0229", PartialDate(None, 2, 29)),
    ("--02-29", PartialDate(None, 2, 29)),
    ("--1231T102000Z", PartialDate(None, 12, 31)),
    ("16040229", PartialDate(None, 2, 29)),
    ("1604-01-01", PartialDate(None, 1, 1)),
    ("1980-03-22", PartialDate(1980, 3, 22)),
    ("19800322", PartialDate(1980, 3, 22)),
    ("1980-03-22T10:00:00+01:00", PartialDate(1980, 3, 22)),
    ("2000-02-29", PartialDate(2000, 2, 29)),
])
def test_birthday_forms(text: str, expected: PartialDate) -> None:
    assert card("FN:Ada", f"BDAY:{text}").contact.birthday == expected


@pytest.mark.parametrize("text", ["1980", "1981-02-29", "--0230", "31/02/1980", "1980-13-01"])
def test_birthdays_that_are_not_dates_are_kept_with_a_warning(text: str) -> None:
    parsed = card("FN:Ada", f"BDAY:{text}")
    assert parsed.contact.birthday is None
    assert parsed.extra == [f"BDAY:{text}"]
    assert parsed.warnings == [f"card 1 (line 4): BDAY {text!r} is not a date; kept as is"]


def test_name_falls_back_to_n_then_org_then_email() -> None:
    assert card("N:Lovelace;Ada;King;Countess;").contact.name == "Countess Ada King Lovelace"
    assert card("N:;;;;", "ORG:Analytical Engines Ltd;R&D").contact.name == "Analytical Engines Ltd"
    assert card("EMAIL:\"Ada\" <ada@example.com>").contact.name == "ada@example.com"
    with pytest.raises(InvalidInput, match=r"^card 1 \(line 1\): no FN, N, ORG or EMAIL"):
        card("TEL:+44 20 7946 0000")


def test_group_labels_win_over_types_and_apple_wrapping_is_removed() -> None:
    parsed = card("FN:Ada", "item1.TEL;TYPE=CELL:1", "item1.X-ABLabel:_$!<Mobile>!$_",
                  "item2.EMAIL;TYPE=INTERNET:a@b.c", "item2.X-ABLabel:Conference",
                  "TEL;TYPE=WORK,FAX,PREF:2", "item3.X-ABDATE:2000-01-01",
                  "item3.X-ABLabel:_$!<Anniversary>!$_")
    assert parsed.contact.phones == [Detail("1", "mobile"), Detail("2", "work fax")]
    assert parsed.contact.emails == [Detail("a@b.c", "Conference")]
    assert parsed.extra == []
    assert parsed.anniversary == PartialDate(2000, 1, 1)  # the X-ABDATE labelled Anniversary
