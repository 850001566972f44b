r"""vCard import and export: one card in, a `ParsedCard` (a Contact and what crmcli keeps beside it)
out, and back again.

Reading
    `iter_raw_cards` splits and decodes the input and `normalise_card` rewrites vCard 2.1 and other
    malformed lines as vCard 3.0 (both in `vcard_split`, whose docstring describes them).
    `parse_card` then parses each line with vobject's content-line parser, one card at a time. It
    does not call `vobject.readOne`: vobject's vCard text behaviour keeps only the part of a value
    before its first unescaped comma (`NOTE:Hello, world` reads as "Hello", NICKNAME and X- values
    are cut the same way) and cannot serialise an ORG with a bare comma. Values are unescaped here
    instead: `\n` is a line break and any other `\x` is `x`, so Gmail's `http\://` reads as
    `http://`.

Field map (vCard -> crmcli)
    FN -> Contact.name; without FN, the name N spells out (prefix given additional family suffix);
          without either, ORG, then the first EMAIL (Android writes cards holding only an address).
          A card with none of these raises InvalidInput.
    ORG -> company (first non-empty component)     TITLE -> title        UID -> uid
    EMAIL, TEL, URL, ADR -> Detail(value, label)   CATEGORIES -> tags    BDAY -> birthday
    NOTE -> notes (one each)                       ANNIVERSARY -> anniversary (also on Contact)
    PHOTO -> photo                                 REV -> rev
    EMAIL `"Omega" <omega@example.com>` keeps the address; `mailto:` and TEL's `tel:` are dropped.
    Every other property goes to `extra`, one unfolded line each as vobject serialises it: X-...,
    IMPP, RELATED, GEO, NICKNAME, LABEL, the X-ABLabel of an unowned property, and a second FN, N,
    ORG, TITLE, BDAY, ANNIVERSARY or PHOTO. A BDAY or ANNIVERSARY that is not a date ("circa 1800")
    stays there too, with a warning. Empty owned values are dropped, and so is a PHOTO whose base64
    is corrupt (with a warning: written back, it would make the whole card unreadable).

Labels
    From the property's group label (`item1.X-ABLabel`; Apple's `_$!<Mobile>!$_` becomes "mobile",
    custom labels are kept as written), else from TYPE: lower-case words joined by spaces ("home
    fax"), leaving out internet, pref, voice, postal, parcel, intl and dom. On export, a lower-case
    label made only of vCard type words (home, work, cell, fax, pager, ...) is written as TYPE, any
    other label as `itemN.X-ABLabel`, so labels read back unchanged; "mobile" and "iphone" also
    get TYPE=CELL for phones that read only TYPE.

Addresses
    An address Detail is free text: the non-empty ADR components (post office box, extended
    address, street, locality, region, postal code, country) one per line. On export an address
    whose text and label are unchanged keeps its original ADR line; new or edited text goes whole
    into the street component (`ADR:;;<text>;;;;`), which reads back as the same text.

Dates
    BDAY and ANNIVERSARY read YYYY-MM-DD, YYYYMMDD, --MMDD and --MM-DD, with any time or zone
    suffix; the stand-in years 1604 (Apple, CardBook) and 0 mean "no year": PartialDate(None,
    month, day). Written as YYYY-MM-DD or --MM-DD in 3.0 (RFC 2426 has no yearless date, so this
    borrows RFC 6350's `--MM-DD`, which Apple, Google and Thunderbird read) and as YYYYMMDD or
    --MMDD in 4.0. A stand-in year is never written.

Writing (`write_card`)
    The owned properties (FN, N, ORG, TITLE, EMAIL, TEL, ADR, URL, BDAY, ANNIVERSARY, NOTE,
    CATEGORIES, PHOTO, UID, REV) are written from the ParsedCard's fields. With an `original`, an
    unchanged value keeps its original line (parameters, group and group label; dates excepted,
    so a stand-in year never leaks out, and the photo when the version changes, as 4.0 writes it
    as a data: URI), and every property crmcli does not
    own is copied from the original, so unknown and grouped properties survive; without an
    original, `extra` supplies them. A changed name gets a new FN, and an N split from it (last
    word = family name; N is empty when the name is the company or an email address). REV is
    written as given, never bumped here. vobject serialises: CRLF line ends, escaping, folding at
    75 octets (a line vobject leaves longer, see `_fold_overlong`, is folded here), VERSION first.

Errors and warnings
    A card that cannot be read raises InvalidInput("card N (line L): what is wrong"). What was
    dropped or guessed while reading a card is listed in `ParsedCard.warnings`, each starting
    "card N (line L): ".
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange.vcard_split import (
    NormalisedCard,
    RawCard,
    iter_raw_cards,
    normalise_card,
    split_escaped,
    unescape,
)
from crmcli.models import Contact, Detail, PartialDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

__all__ = [
    "VERSIONS", "ParsedCard", "Photo", "RawCard", "iter_raw_cards", "parse_card", "write_card",
]

VERSIONS = ("3.0", "4.0")

_DETAILS = ("EMAIL", "TEL", "ADR", "URL")
_SINGLES = ("FN", "N", "ORG", "TITLE", "UID", "REV", "BDAY", "ANNIVERSARY", "PHOTO")
_OWNED = frozenset((*_DETAILS, *_SINGLES, "NOTE", "CATEGORIES"))
_NOISE_TYPES = frozenset({"internet", "pref", "voice", "postal", "parcel", "intl", "dom"})
_TYPE_WORDS = frozenset(
    {"home", "work", "cell", "fax", "pager", "video", "msg", "bbs", "modem", "car", "isdn", "pcs",
     "text", "textphone", "main", "other"}
)
# Labels written as an X-ABLabel that also have a vCard TYPE, for phones that read only TYPE.
_TYPE_SYNONYMS = {"mobile": "cell", "iphone": "cell"}
_NOT_IMAGE_TYPES = frozenset({"work", "home", "pref"})
_STAND_IN_YEARS = frozenset({0, 1604})
_YEARLESS_DATE = re.compile(r"--(\d\d)-?(\d\d)(?:T.*)?")
_FULL_DATE = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)(?:T.*)?")
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")
_BRACKETED_ADDRESS = re.compile(r"<([^<>]+@[^<>]+)>")
_FOLD_OCTETS = 75


@dataclass(frozen=True)
class Photo:
    """A contact photo: inline bytes or a URI, and its media type ("image/jpeg"; "" if unknown)."""

    data: bytes | None = None
    uri: str | None = None
    media_type: str = ""


@dataclass
class ParsedCard:
    """A contact read from one vCard, with what crmcli keeps beside it to write the card back.

    `extra` holds the properties crmcli has no field for, one unfolded vCard line each; `original`
    is the card's normalised text (see the module docstring for how both are used on export).
    """

    contact: Contact
    notes: list[str] = field(default_factory=list)
    anniversary: PartialDate | None = None
    photo: Photo | None = None
    rev: str | None = None
    extra: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    original: str | None = None


@dataclass
class _Item:
    """One owned value of a card and the lines it came from (with its group label, if any)."""

    kind: str
    value: object
    lines: list[ContentLine]


@dataclass
class _Fields:
    items: list[_Item] = field(default_factory=list)
    extra: list[ContentLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def first(self, kind: str):
        return next((item.value for item in self.items if item.kind == kind), None)

    def all(self, kind: str) -> list:
        return [item.value for item in self.items if item.kind == kind]


@dataclass
class _ReadCard:
    version: str
    fields: _Fields
    original: str
    warnings: list[str]


def parse_card(raw: RawCard) -> ParsedCard:
    """Read one card; InvalidInput("card N (line L): ...") if it cannot be read or names no one."""
    if raw.error:
        raise InvalidInput(f"{raw.where()}: {raw.error}")
    card = _read_card(raw)
    fields = card.fields
    return ParsedCard(
        contact=_contact(fields, raw),
        notes=fields.all("note"),
        anniversary=fields.first("anniversary"),
        photo=fields.first("photo"),
        rev=fields.first("rev"),
        extra=[_line_text(line) for line in fields.extra],
        warnings=card.warnings,
        original=card.original,
    )


def _read_card(raw: RawCard) -> _ReadCard:
    normal = normalise_card(raw)
    lines, texts = _content_lines(normal, raw)
    fields = _extract_fields(lines, raw)
    version = "4.0" if normal.version == "4.0" else "3.0"
    original = "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *texts, "END:VCARD", ""])
    return _ReadCard(version, fields, original, [*raw.warnings, *normal.warnings, *fields.warnings])


def _content_lines(card: NormalisedCard, raw: RawCard) -> tuple[list[ContentLine], list[str]]:
    """Parse each normalised line with vobject; a line it refuses is dropped with a warning."""
    from vobject.base import VObjectError, textLineToContentLine

    lines, texts = [], []
    for number, text in card.lines:
        try:
            lines.append(textLineToContentLine(text, number))
        except VObjectError as problem:
            card.warnings.append(f"{raw.where(number)}: dropped an unreadable property: {problem}")
        else:
            texts.append(text)
    return lines, texts


def _contact(fields: _Fields, raw: RawCard) -> Contact:
    emails = fields.all("email")
    company = fields.first("org")
    name = fields.first("name") or company or (emails[0].value if emails else None)
    if not name:
        raise InvalidInput(f"{raw.where()}: no FN, N, ORG or EMAIL to name the contact")
    return Contact(
        name=name,
        uid=fields.first("uid"),
        company=company,
        title=fields.first("title"),
        emails=emails,
        phones=fields.all("tel"),
        addresses=fields.all("adr"),
        urls=fields.all("url"),
        tags=list(fields.first("categories") or ()),
        birthday=fields.first("bday"),
        anniversary=fields.first("anniversary"),
    )


def _extract_fields(lines: list[ContentLine], raw: RawCard) -> _Fields:
    """Sort a card's lines into owned values (items) and everything else (extra)."""
    fields = _Fields()
    claimed = {line.group.lower() for line in lines if line.name in _DETAILS and line.group}
    labels = _group_labels(lines, claimed)
    for line in lines:
        if line.name == "X-ABLABEL" and (line.group or "").lower() in claimed:
            continue
        if line.name not in _OWNED or not _take(fields, line, labels, raw):
            fields.extra.append(line)
    _merge_names(fields)
    return fields


def _group_labels(lines: list[ContentLine], claimed: set[str]) -> dict[str, tuple[str, list]]:
    """Group -> (label text, its X-ABLabel lines), for the groups of owned details."""
    labels: dict[str, tuple[str, list]] = {}
    for line in lines:
        group = (line.group or "").lower()
        if line.name == "X-ABLABEL" and group in claimed:
            text, label_lines = labels.get(group, ("", []))
            labels[group] = (text or _apple_label(unescape(line.value)), [*label_lines, line])
    return labels


def _apple_label(text: str) -> str:
    wrapped = _APPLE_LABEL.fullmatch(text.strip())
    return wrapped.group(1).lower() if wrapped else text.strip()


def _take(fields: _Fields, line: ContentLine, labels: dict, raw: RawCard) -> bool:
    """Add an owned line to `fields`; False leaves it for `extra`."""
    kind = line.name.lower()
    if line.name in _SINGLES and any(item.kind == kind for item in fields.items):
        return False
    try:
        value = _CONVERTERS[line.name](line)
    except ValueError as problem:
        corrupt = isinstance(problem, _CorruptValue)
        shown = unescape(line.value)[:60]
        fields.warnings.append(f"{raw.where(line.lineNumber)}: {line.name} {shown!r} {problem}; "
                               + ("dropped" if corrupt else "kept as is"))
        return corrupt
    if not value:
        return True
    if line.name in _DETAILS:
        label, label_lines = labels.get((line.group or "").lower(), ("", []))
        detail = Detail(value, label or _type_label(line))
        fields.items.append(_Item(kind, detail, [line, *label_lines]))
    elif line.name == "NOTE":
        fields.items.append(_Item(kind, value, [line]))
    elif line.name == "CATEGORIES":
        _add_tags(fields, value, line)
    else:
        fields.items.append(_Item(kind, value, [line]))
    return True


def _add_tags(fields: _Fields, tags: tuple[str, ...], line: ContentLine) -> None:
    item = next((item for item in fields.items if item.kind == "categories"), None)
    if item is None:
        fields.items.append(_Item("categories", tags, [line]))
    else:
        item.value = tuple(dict.fromkeys((*item.value, *tags)))
        item.lines.append(line)


def _merge_names(fields: _Fields) -> None:
    """Replace the FN and N items by one "name" item: FN's text, else the name N spells out."""
    parts = [item for item in fields.items if item.kind in ("fn", "n")]
    if parts:
        name = fields.first("fn") or fields.first("n")
        fields.items = [item for item in fields.items if item not in parts]
        fields.items.append(_Item("name", name, [line for item in parts for line in item.lines]))


def _type_label(line: ContentLine) -> str:
    values = line.params.get("TYPE", [])
    types = (token.strip().lower() for value in values for token in value.split(","))
    return " ".join(dict.fromkeys(token for token in types if token and token not in _NOISE_TYPES))


def _param(line: ContentLine, name: str) -> str:
    return next(iter(line.params.get(name, [])), "")


def _text(line: ContentLine) -> str:
    return unescape(line.value).strip()


def _components(value: str) -> list[str]:
    return [unescape(part).strip() for part in split_escaped(value, ";")]


def _email(line: ContentLine) -> str:
    text = _text(line)
    bracketed = _BRACKETED_ADDRESS.search(text)
    return _without_scheme(bracketed.group(1).strip() if bracketed else text, "mailto:")


def _phone(line: ContentLine) -> str:
    return _without_scheme(_text(line), "tel:")


def _without_scheme(text: str, scheme: str) -> str:
    return text[len(scheme) :] if text.lower().startswith(scheme) else text


def _name_from_n(line: ContentLine) -> str:
    components = [*split_escaped(line.value, ";"), "", "", "", ""]
    family, given, additional, prefix, suffix = components[:5]
    parts = (_name_part(part) for part in (prefix, given, additional, family, suffix))
    return " ".join(part for part in parts if part)


def _name_part(component: str) -> str:
    """An N component; its comma-separated values (`Richter,James`) are joined by spaces."""
    values = (unescape(value).strip() for value in split_escaped(component, ","))
    return " ".join(value for value in values if value)


def _company(line: ContentLine) -> str:
    return next((part for part in _components(line.value) if part), "")


def _address_text(line: ContentLine) -> str:
    return "\n".join(part for part in _components(line.value)[:7] if part)


def _tags(line: ContentLine) -> tuple[str, ...]:
    tags = (unescape(part).strip() for part in split_escaped(line.value, ","))
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def _date(line: ContentLine) -> PartialDate | None:
    text = _text(line)
    if not text:
        return None
    if _param(line, "VALUE").lower() == "text":
        raise ValueError("is text, not a date")
    return _parse_date(text)


def _parse_date(text: str) -> PartialDate:
    """A vCard date (see the module docstring) as a PartialDate; ValueError if it is not one."""
    yearless = _YEARLESS_DATE.fullmatch(text)
    full = None if yearless else _FULL_DATE.fullmatch(text)
    if not (yearless or full):
        raise ValueError("is not a date")
    if yearless:
        year, (month, day) = None, yearless.groups()
    else:
        year, month, day = (int(part) for part in full.groups())
        year = None if year in _STAND_IN_YEARS else year
    try:
        return PartialDate(year, int(month), int(day))
    except ValueError:
        raise ValueError("is not a date") from None


def _photo(line: ContentLine) -> Photo | None:
    value = line.value.strip()
    if not value:
        return None
    if value[:5].lower() == "data:":
        return _photo_from_data_uri(value.replace("\\,", ","))
    if _param(line, "ENCODING").lower() in ("b", "base64"):
        return Photo(data=_base64(value), media_type=_photo_media_type(line))
    return Photo(uri=unescape(value), media_type=_photo_media_type(line))


def _photo_from_data_uri(uri: str) -> Photo:
    header, comma, payload = uri[5:].partition(",")
    if not comma or not header.lower().endswith(";base64"):
        return Photo(uri=uri)
    return Photo(data=_base64(payload), media_type=header[: -len(";base64")].lower())


class _CorruptValue(ValueError):
    """A value that cannot be decoded: dropped, since writing it back would spoil the card."""


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise _CorruptValue("is not valid base64") from None


def _photo_media_type(line: ContentLine) -> str:
    """MEDIATYPE (4.0), else TYPE: `JPEG` -> image/jpeg, `image/png` as is."""
    if _param(line, "MEDIATYPE"):
        return _param(line, "MEDIATYPE").lower()
    for value in line.params.get("TYPE", []):
        for token in (token.strip().lower() for token in value.split(",")):
            if "/" in token:
                return token
            if token and token not in _NOT_IMAGE_TYPES:
                return f"image/{token}"
    return ""


_CONVERTERS: dict[str, Callable[[ContentLine], object]] = {
    "FN": _text,
    "N": _name_from_n,
    "ORG": _company,
    "TITLE": _text,
    "UID": _text,
    "REV": _text,
    "BDAY": _date,
    "ANNIVERSARY": _date,
    "PHOTO": _photo,
    "EMAIL": _email,
    "TEL": _phone,
    "URL": _text,
    "ADR": _address_text,
    "NOTE": _text,
    "CATEGORIES": _tags,
}


def write_card(card: ParsedCard, version: str = "3.0") -> str:
    """Serialise a ParsedCard (or any object with its attributes) as one vCard 3.0 or 4.0."""
    if version not in VERSIONS:
        raise InvalidInput(f"cannot write vCard {version}: use 3.0 or 4.0")
    if not card.contact.name.strip():
        raise InvalidInput("a contact with no name cannot be written as a vCard")
    original = _read_original(card.original) if card.original else None
    unknown = original.fields.extra if original else [_line_from_text(text) for text in card.extra]
    # Dates are always rewritten (no stand-in years); a photo's encoding differs by version.
    rewritten = {"bday", "anniversary"} | ({"photo"} if original and original.version != version
                                           else set())
    reusable = [item for item in (original.fields.items if original else [])
                if item.kind not in rewritten]
    owned = _OwnedLines(version, reusable, unknown).lines_for(card)
    return _serialise([*owned, *unknown], version)


def _read_original(text: str) -> _ReadCard:
    raw = next(iter_raw_cards(io.BytesIO(text.encode("utf-8"))))
    if raw.error:
        raise InvalidInput(f"the stored original vCard cannot be read: {raw.error}")
    return _read_card(raw)


class _OwnedLines:
    """Builds a card's owned properties, reusing original lines whose value has not changed."""

    def __init__(self, version: str, reusable: list[_Item], unknown: list[ContentLine]) -> None:
        self.version = version
        self.reusable = list(reusable)
        lines = [*unknown, *(line for item in reusable for line in item.lines)]
        taken = {line.group.lower() for line in lines if line.group}
        self.free_groups = (g for g in (f"item{n}" for n in itertools.count(1)) if g not in taken)

    def lines_for(self, card: ParsedCard) -> list[ContentLine]:
        contact = card.contact
        lines = self._name(contact)
        lines += self._one("org", contact.company, lambda text: _line("ORG", _escape(text)))
        lines += self._one("title", contact.title, lambda text: _line("TITLE", _escape(text)))
        lines += self._one("uid", contact.uid, lambda text: _line("UID", _escape(text)))
        lines += self._one("rev", card.rev, lambda text: _line("REV", _escape(text)))
        lines += self._one("bday", contact.birthday, lambda date: _line("BDAY", self._date(date)))
        lines += self._one("anniversary", card.anniversary, self._anniversary)
        lines += self._one("photo", card.photo, self._photo)
        lines += self._one("categories", tuple(contact.tags), _categories)
        for note in card.notes:
            lines += self._one("note", note, lambda text: _line("NOTE", _escape(text)))
        for kind, details in (("email", contact.emails), ("tel", contact.phones),
                              ("adr", contact.addresses), ("url", contact.urls)):
            for detail in details:
                lines += self._one(kind, detail, lambda item, kind=kind: self._detail(kind, item))
        return lines

    def _one(self, kind: str, value, build: Callable) -> list[ContentLine]:
        """The original lines of an unchanged value, else new ones; nothing for an empty value."""
        if not value or (isinstance(value, Detail) and not value.value.strip()):
            return []
        reused = self._reuse(kind, value)
        if reused is not None:
            return reused
        built = build(value)
        return built if isinstance(built, list) else [built]

    def _reuse(self, kind: str, value) -> list[ContentLine] | None:
        for index, item in enumerate(self.reusable):
            if item.kind == kind and item.value == value:
                return self.reusable.pop(index).lines
        return None

    def _name(self, contact: Contact) -> list[ContentLine]:
        lines = self._reuse("name", contact.name) or []
        present = {line.name for line in lines}
        if "FN" not in present:
            lines.append(_line("FN", _escape(contact.name)))
        if "N" not in present:
            lines.append(_line("N", _structured_name(contact)))
        return lines

    def _detail(self, kind: str, detail: Detail) -> list[ContentLine]:
        value = _address_value(detail.value) if kind == "adr" else _escape(detail.value)
        label, words = detail.label, detail.label.split()
        if not label:
            return [_line(kind.upper(), value)]
        if label == " ".join(words).lower() and all(word in _TYPE_WORDS for word in words):
            return [_line(kind.upper(), value, [["TYPE", *words]])]
        group = next(self.free_groups)
        synonym = _TYPE_SYNONYMS.get(label.lower())
        return [_line(kind.upper(), value, [["TYPE", synonym]] if synonym else [], group=group),
                _line("X-ABLabel", _escape(label), group=group)]

    def _date(self, date: PartialDate) -> str:
        if self.version == "3.0":
            return str(date)
        month_day = f"{date.month:02d}{date.day:02d}"
        return f"--{month_day}" if date.year is None else f"{date.year:04d}{month_day}"

    def _anniversary(self, date: PartialDate) -> ContentLine:
        return _line("ANNIVERSARY", self._date(date))

    def _photo(self, photo: Photo) -> list[ContentLine]:
        media = photo.media_type.replace('"', "")
        if photo.data is not None:
            encoded = base64.b64encode(photo.data).decode("ascii")
            if self.version == "4.0":
                return [_line("PHOTO", f"data:{media};base64,{encoded}")]
            return [_line("PHOTO", encoded, [["ENCODING", "b"], *_photo_type(media)])]
        if not photo.uri:
            return []
        uri = photo.uri.replace("\r", "").replace("\n", "")
        if self.version == "4.0":
            return [_line("PHOTO", uri, [["MEDIATYPE", media]] if media else [])]
        return [_line("PHOTO", uri, [["VALUE", "uri"], *_photo_type(media)])]


def _photo_type(media_type: str) -> list[list[str]]:
    """The vCard 3.0 TYPE of a photo: image/jpeg -> JPEG; other media types as they are."""
    if not media_type:
        return []
    return [["TYPE", media_type.removeprefix("image/").upper()]]


def _categories(tags: tuple[str, ...]) -> ContentLine:
    return _line("CATEGORIES", ",".join(_escape(tag) for tag in tags))


def _structured_name(contact: Contact) -> str:
    """N for a new name: last word = family name; empty for a company or an email address."""
    from vobject.vcard import NAME_ORDER, Name, serializeFields

    words = contact.name.split()
    if contact.name == contact.company or "@" in contact.name or not words:
        return serializeFields(Name(), NAME_ORDER)
    if len(words) == 1:
        return serializeFields(Name(given=words[0]), NAME_ORDER)
    return serializeFields(Name(family=words[-1], given=" ".join(words[:-1])), NAME_ORDER)


def _address_value(text: str) -> str:
    from vobject.vcard import ADDRESS_ORDER, Address, serializeFields

    return serializeFields(Address(street=text), ADDRESS_ORDER)


def _escape(text: str) -> str:
    from vobject.base import backslashEscape

    return backslashEscape(text)


def _line(name: str, value: str, params: Iterable[list[str]] = (), group: str | None = None):
    """A content line whose value is already escaped (vobject writes it as it is)."""
    from vobject.base import ContentLine

    return ContentLine(name, [list(param) for param in params], value, group=group, encoded=True)


def _line_from_text(text: str) -> ContentLine:
    from vobject.base import VObjectError, textLineToContentLine

    try:
        return textLineToContentLine(text)
    except VObjectError:
        raise InvalidInput(f"extra property {text!r} is not a vCard line") from None


def _line_text(line: ContentLine) -> str:
    """One property serialised by vobject, unfolded."""
    return line.serialize(lineLength=sys.maxsize).rstrip("\r\n")


def _serialise(lines: list[ContentLine], version: str) -> str:
    from vobject.base import Component
    from vobject.vcard import VCard3_0

    card = Component("VCARD")
    card.add(_line("VERSION", version))
    for line in lines:
        card.add(line)
    # Only now: add() on a component with a behaviour re-decodes raw lines, cutting them at commas.
    card.behavior = VCard3_0
    physical_lines = card.serialize(validate=False).split("\r\n")
    return "\r\n".join(_fold_overlong(line) for line in physical_lines)


def _fold_overlong(line: str) -> str:
    """Fold a line that vobject left longer than 75 octets, as vobject folds the others.

    vobject 0.9.9 decides whether to fold by counting characters, so a line of fewer than 75
    characters but more than 75 UTF-8 octets (Japanese text, say) is written whole.
    """
    if len(line.encode("utf-8")) <= _FOLD_OCTETS:
        return line
    pieces, piece, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > _FOLD_OCTETS:
            pieces.append(piece)
            piece, size = " ", 1
        piece, size = piece + char, size + width
    return "\r\n".join([*pieces, piece])
