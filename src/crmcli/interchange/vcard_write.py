r"""vCard writing: a `ParsedCard` (see `vcard_fields`) back to one vCard 3.0 or 4.0.

Writing (`write_card`)
    The owned properties (FN, N, ORG, TITLE, EMAIL, TEL, ADR, URL, BDAY, ANNIVERSARY, NOTE,
    CATEGORIES, PHOTO, UID, REV) are written from the ParsedCard's fields. With an `original`, an
    unchanged value keeps its original line (parameters, group and group label; dates excepted,
    so a stand-in year never leaks out, and the photo when the version changes, as 4.0 writes it
    as a data: URI), and every property crmcli does not own is copied from the original, so
    unknown and grouped properties survive; without an original, `extra` supplies them. A
    changed name gets a new FN, and an N split from it (last word = family name; N is empty for a
    company's card or a name that is an email address). REV is written as given, never bumped here.
    Every line is then made valid for the version written (`vcard_conform`: escaping, one N, no
    4.0-only parameters in 3.0, inline data). vobject serialises: CRLF line ends, escaping,
    VERSION first; lines are folded here, at 75 octets (`_folded`).
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_personal as personal
from crmcli.interchange.vcard_conform import ONE_OF_A_KIND, conform
from crmcli.interchange.vcard_fields import (
    GIFT,
    GIVEN,
    HOW_WE_MET,
    INTEREST,
    LINKEDIN,
    MET_ON,
    NO_MAIL,
    TYPE_SYNONYMS,
    TYPE_WORDS,
    VERSIONS,
    Fields,
    Item,
    ParsedCard,
    Photo,
)
from crmcli.interchange.vcard_lines import Line, new_line, parse_line
from crmcli.interchange.vcard_read import ReadCard, extract_fields, read_card
from crmcli.interchange.vcard_split import RawCard, iter_raw_cards
from crmcli.interchange.vcard_stored import StoredLine, plain_fields
from crmcli.models import Contact, Detail, ImportantDate, PartialDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

_FOLD_OCTETS = 75
_SORT_FIRST = ("version", "prodid", "uid")  # vobject's VCard3_0.sortFirst
_PLAIN = frozenset({str, bool, Photo, PartialDate})  # equal exactly when their reprs are
_STORED = {"VERSION:3.0": "3.0", "VERSION:4.0": "4.0"}  # a stored original's second line


def write_card(card: ParsedCard, version: str = "3.0") -> str:
    """Serialise a ParsedCard (or any object with its attributes) as one vCard 3.0 or 4.0."""
    if version not in VERSIONS:
        raise InvalidInput(f"cannot write vCard {version}: use 3.0 or 4.0")
    if not card.contact.name.strip():
        raise InvalidInput("a contact with no name cannot be written as a vCard")
    original = _read_original(card.original, version) if card.original else None
    unknown = original.fields.extra if original else [_line_from_text(text) for text in card.extra]
    # Dates are always rewritten (no stand-in years); a photo's encoding differs by version.
    rewritten = {"bday", "anniversary", "date"} | (
        {"photo"} if original and original.version != version else set())
    items = original.fields.items if original else []
    reusable = [item for item in items if item.kind not in rewritten]
    dated = [item for item in items if item.kind in ("anniversary", "date")]
    owned = _OwnedLines(version, reusable, unknown, dated).lines_for(card)
    return _serialise(_conformed([*owned, *unknown], version), version)


def _read_original(text: str, version: str) -> ReadCard:
    """The stored original, read back as stored (`_read_stored`), else read anew."""
    stored = _read_stored(text, version)
    if stored is not None:
        return stored
    raw = next(iter_raw_cards(io.BytesIO(text.encode("utf-8"))))
    if raw.error:
        raise InvalidInput(f"the stored original vCard cannot be read: {raw.error}")
    return read_card(raw)


def _read_stored(original: str, version: str) -> ReadCard | None:
    """A card stored as `read_card` gave it (`ReadCard.original`: BEGIN, VERSION, one unfolded,
    already normalised line per property, END) read with the line parser only: splitting and
    normalising it again cost three times the rest of writing a changed contact's card. None
    when the text is not in that form. Its warnings are not gathered again. Plain lines are
    read in one pass (`vcard_stored`), with the texts ready to write in ``version``."""
    texts = original.split("\r\n")
    if texts[0] != "BEGIN:VCARD" or texts[-2:] != ["END:VCARD", ""] or texts[1] not in _STORED:
        return None
    fields = plain_fields(texts[2:-2], version)
    if fields is None:
        fields = _parsed_fields(texts[2:-2], original)
    return None if fields is None else ReadCard(_STORED[texts[1]], fields, original, [])


def _parsed_fields(texts: list[str], original: str) -> Fields | None:
    """The stored lines read with the line parser and sorted by `extract_fields`."""
    from vobject.base import VObjectError

    lines = []
    for text in texts:
        try:
            line = parse_line(text)
        except VObjectError:
            return None
        if not isinstance(line, Line) or "\n" in text:
            return None  # a line normalising would rewrite, or a stray line break
        lines.append(line)
    return extract_fields(lines, RawCard(1, 1, original))


def _conformed(lines: list[ContentLine], version: str) -> list[ContentLine]:
    """`conform`, but a stored line ready as it is (`vcard_stored`) is taken as it is, unless
    a one-of-a-kind property comes twice (conform renames the second)."""
    once = [line.name for line in lines if line.name in ONE_OF_A_KIND]
    if len(once) != len(set(once)):
        return conform(lines, version)
    repaired: list[ContentLine] = []
    for line in lines:
        if type(line) is StoredLine and line.ready is not None:
            repaired.append(line)
        else:
            repaired += conform([line], version)
    return repaired


class _OwnedLines:
    """Builds a card's owned properties, reusing original lines whose value has not changed."""

    def __init__(self, version: str, reusable: list[Item], unknown: list[ContentLine],
                 dated: list[Item] = ()) -> None:
        self.version = version
        self.dated = {_date_key(item.kind, item.value): item for item in reversed(dated)}
        self.reusable: dict[tuple[str, str], list[Item]] = {}
        for item in reversed(reusable):  # popped from the end: the first comes first
            self.reusable.setdefault(_key(item.kind, item.value), []).append(item)
        self.original_lines = (unknown, reusable, dated)
        self.free_groups = self._free_groups()

    def _free_groups(self) -> Iterator[str]:
        """item1, item2, ... but the groups the original's lines use (looked up only when a
        new line needs a group)."""
        unknown, reusable, dated = self.original_lines
        lines = [*unknown, *(line for item in [*reusable, *dated] for line in item.lines)]
        taken = {line.group.lower() for line in lines if line.group}
        yield from (group for group in (f"item{n}" for n in itertools.count(1))
                    if group not in taken)

    def lines_for(self, card: ParsedCard) -> list[ContentLine]:
        contact = card.contact
        lines = self._name(contact, card.is_company)
        lines += self._one("org", contact.company, lambda text: _line("ORG", _escape(text)))
        lines += self._one("title", contact.title, lambda text: _line("TITLE", _escape(text)))
        lines += self._one("uid", contact.uid, lambda text: _line("UID", _escape(text)))
        lines += self._one("rev", card.rev, lambda text: _line("REV", _escape(text)))
        lines += self._one("bday", contact.birthday, lambda date: _line("BDAY", self._date(date)))
        lines += self._one("anniversary", card.anniversary, self._anniversary)
        for date in contact.dates:
            lines += self._one("date", date, self._labelled_date)
        for related in card.relations:
            lines += self._one("related", related, self._related)
        for name, value in contact.fields.items():
            text = personal.field_text(value)
            lines += self._one("field", (name, text),
                               lambda item: personal.field_line(item, _line, _escape))
        lines += self._one("photo", card.photo, self._photo)
        lines += self._one("categories", tuple(contact.tags), _categories)
        lines += self._one(NO_MAIL.lower(), contact.no_mail, lambda _: _line(NO_MAIL, "TRUE"))
        lines += self._personal_facts(contact)
        for note in card.notes:
            lines += self._one("note", note, lambda text: _line("NOTE", _escape(text)))
        for kind, details in (("email", contact.emails), ("tel", contact.phones),
                              ("adr", contact.addresses), ("url", contact.urls)):
            for detail in details:
                lines += self._one(kind, detail, lambda item, kind=kind: self._detail(kind, item))
        return lines

    def _personal_facts(self, contact: Contact) -> list[ContentLine]:
        """How and when you met, interests and gifts, as crmcli's X- properties."""
        lines = self._one(HOW_WE_MET.lower(), contact.how_we_met,
                          lambda text: _line(HOW_WE_MET, _escape(text)))
        lines += self._one(MET_ON.lower(), contact.met_on,
                           lambda date: _line(MET_ON, self._date(date)))
        for interest in contact.interests:
            lines += self._one(INTEREST.lower(), interest,
                               lambda text: _line(INTEREST, _escape(text)))
        for gift in contact.gifts:
            lines += self._one(GIFT.lower(), gift, lambda item: _line(
                GIFT, _escape(item.description), [[GIVEN, item.given_on]] if item.given_on else []))
        return lines

    def _one(self, kind: str, value, build: Callable) -> list[ContentLine]:
        """The original lines of an unchanged value, else new ones; nothing for an empty value."""
        if not value or (isinstance(value, Detail) and not value.value.strip()):
            return []
        same = self.reusable.get(_key(kind, value))
        if same:
            return same.pop().lines
        built = build(value)
        return built if isinstance(built, list) else [built]

    def _reuse(self, kind: str, value) -> list[ContentLine] | None:
        """The lines of an original item equal to ``value`` (each is reused once)."""
        same = self.reusable.get(_key(kind, value))
        return same.pop().lines if same else None

    def _name(self, contact: Contact, is_company: bool) -> list[ContentLine]:
        lines = list(self._reuse("name", contact.name) or ())
        present = {line.name for line in lines}
        if "FN" not in present:
            lines.append(_line("FN", _escape(contact.name)))
        if "N" not in present:
            lines.append(_line("N", _structured_name(contact, is_company)))
        return lines

    def _detail(self, kind: str, detail: Detail) -> list[ContentLine]:
        value = _address_value(detail.value) if kind == "adr" else _escape(detail.value)
        label, words = detail.label, detail.label.split()
        if kind == "url" and label == LINKEDIN:
            return [_line("X-SOCIALPROFILE", value, [["TYPE", LINKEDIN]])]
        if not label:
            return [_line(kind.upper(), value)]
        if label == " ".join(words).lower() and all(word in TYPE_WORDS for word in words):
            return [_line(kind.upper(), value, [["TYPE", *words]])]
        group = next(self.free_groups)
        synonym = TYPE_SYNONYMS.get(label.lower())
        return [_line(kind.upper(), value, [["TYPE", synonym]] if synonym else [], group=group),
                _line("X-ABLabel", _escape(label), group=group)]

    def _date(self, date: PartialDate) -> str:
        return str(date) if self.version == "3.0" else _basic(date)

    def _anniversary(self, date: PartialDate) -> list[ContentLine]:
        """ANNIVERSARY (4.0), X-ANNIVERSARY (3.0), or the card's own form of it."""
        name = "ANNIVERSARY" if self.version == "4.0" else "X-ANNIVERSARY"
        return self._as_before("anniversary", date) or [_line(name, self._date(date))]

    def _labelled_date(self, date: ImportantDate) -> list[ContentLine]:
        """``itemN.X-ABDATE`` with its label, or the card's own form of it."""
        before = self._as_before("date", date.date, date.label)
        if before:
            return before
        group = next(self.free_groups)
        return [_line("X-ABDATE", self._date(date.date), group=group),
                _line("X-ABLabel", _escape(date.label), group=group)]

    def _as_before(self, kind: str, date: PartialDate, label: str = "") -> list[ContentLine]:
        """The lines a date had in the original card, with the new date in them."""
        item = self.dated.pop(_date_key(kind, label), None)
        if item is None:
            return []
        first, *rest = item.lines
        if first.value.strip() in (str(date), _basic(date)):
            return list(item.lines)  # the same date, written as crm writes it: kept as it was
        params = [[name, *values] for name, values in first.params.items() if name != "VALUE"]
        return [_line(first.name, self._date(date), params, group=first.group), *rest]

    def _related(self, related) -> list[ContentLine]:
        group = next(self.free_groups) if self.version == "3.0" else None
        return personal.related_lines(related, self.version, group, _line, _escape)

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


def _key(kind: str, value) -> tuple:
    """What an original value is found by: equal when the values' reprs are (the plain
    values compared as they are, which costs less than their reprs; a photo's bytes above all)."""
    plain = type(value)
    if plain is str:
        return (kind, str, value)
    if plain is Detail and type(value.value) is str and type(value.label) is str:
        return (kind, Detail, value.value, value.label)
    if plain in _PLAIN or (plain is tuple and all(type(part) is str for part in value)):
        return (kind, plain, value)
    return (kind, None, repr(value))


def _basic(date: PartialDate) -> str:
    """A date in ISO 8601's basic form: ``20150612``, or ``--0612`` without a year."""
    month_day = f"{date.month:02d}{date.day:02d}"
    return f"--{month_day}" if date.year is None else f"{date.year:04d}{month_day}"


def _date_key(kind: str, value) -> tuple[str, str]:
    """An original date item's key: the anniversary, or a date by its folded label."""
    if kind == "anniversary":
        return ("anniversary", "")
    label = value.label if isinstance(value, ImportantDate) else value
    return ("date", str(label).casefold())


def _photo_type(media_type: str) -> list[list[str]]:
    """The vCard 3.0 TYPE of a photo: image/jpeg -> JPEG; other media types as they are."""
    if not media_type:
        return []
    return [["TYPE", media_type.removeprefix("image/").upper()]]


def _categories(tags: tuple[str, ...]) -> ContentLine:
    return _line("CATEGORIES", ",".join(_escape(tag) for tag in tags))


def _structured_name(contact: Contact, is_company: bool = False) -> str:
    """N for a new name: last word = family name; empty for a company's card or an email
    address (a person named as their company gets a name, so the card reads as a person's)."""
    from vobject.vcard import NAME_ORDER, Name, serializeFields

    words = contact.name.split()
    if is_company or "@" in contact.name or not words:
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
    """A content line whose value is already escaped (written as it is)."""
    return new_line(name, params, value, group)


def _line_from_text(text: str) -> ContentLine:
    from vobject.base import VObjectError, textLineToContentLine

    try:
        return textLineToContentLine(text)
    except VObjectError:
        raise InvalidInput(f"extra property {text!r} is not a vCard line") from None


def _serialise(lines: list[ContentLine], version: str) -> str:
    """The card as vobject writes a vCard: VERSION, PRODID and UID first, then the other
    properties by name, each name's lines in their order; without building vobject's objects
    for it (which cost more than the rest of writing a card)."""
    by_name: dict[str, list[str]] = {"version": [f"VERSION:{version}"]}
    for line in lines:
        name = line.name.lower()
        same = by_name.get(name)
        if same is None:
            by_name[name] = [_line_text(line)]
        else:
            same.append(_line_text(line))
    first = [name for name in _SORT_FIRST if name in by_name]
    names = first + sorted(name for name in by_name if name not in first)
    texts = ["BEGIN:VCARD", *(text for name in names for text in by_name[name]), "END:VCARD", ""]
    return "\r\n".join([text if len(text) <= _FOLD_OCTETS and text.isascii() else _folded(text)
                         for text in texts])


def _line_text(line: ContentLine) -> str:
    """One property as vobject's ``defaultSerialize`` writes an encoded line, unfolded."""
    if type(line) is StoredLine and line.ready is not None:
        return line.ready
    group = f"{line.group}." if line.group is not None else ""
    if not line.params:
        return f"{group}{line.name.upper()}:{line.value}"
    params = "".join(f";{key}={','.join(_param_value(value) for value in line.params[key])}"
                     for key in sorted(line.params))
    return f"{group}{line.name.upper()}{params}:{line.value}"


def _param_value(value: str) -> str:
    """A parameter value as vobject's ``dquoteEscape`` writes it (quoted when it holds a
    separator; a double quote is vobject's error)."""
    if '"' in value:
        from vobject.base import dquoteEscape

        return dquoteEscape(value)
    return f'"{value}"' if "," in value or ";" in value or ":" in value else value


def _folded(line: str) -> str:
    """A line folded within 75 octets, never inside a character. (vobject 0.9.9 folds by
    counting characters, so it leaves a short line of Japanese text longer than 75 octets, and
    it folds a character at a time: a photo's line cost more than the rest of the card.)"""
    if line.isascii():
        pieces = [line[:_FOLD_OCTETS]]
        pieces += [line[start:start + _FOLD_OCTETS - 1]
                   for start in range(_FOLD_OCTETS, len(line), _FOLD_OCTETS - 1)]
        return "\r\n ".join(pieces)
    data = line.encode("utf-8")
    if len(data) <= _FOLD_OCTETS:
        return line
    pieces, start, room = [], 0, _FOLD_OCTETS
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a character's continuation
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start, room = end, _FOLD_OCTETS - 1  # a continuation line starts with a space
    return "\r\n ".join(pieces)
