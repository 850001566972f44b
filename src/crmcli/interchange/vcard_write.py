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
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, partial
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_personal as personal
from crmcli.interchange.vcard_conform import ONE_OF_A_KIND, conform, kept_as_is
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
    ParsedCard,
    Photo,
    value_key,
)
from crmcli.interchange.vcard_lines import new_line, param_value
from crmcli.interchange.vcard_stored import Original, StoredLine, read_original
from crmcli.models import Contact, Detail, ImportantDate, PartialDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

_FOLD_OCTETS = 75
_SORT_FIRST = ("version", "prodid", "uid")  # vobject's VCard3_0.sortFirst
_ESCAPED = re.compile(r"[\\;,\r\n]")  # the characters vobject's backslashEscape escapes
_NO_MAIL, _HOW_WE_MET, _MET_ON = NO_MAIL.lower(), HOW_WE_MET.lower(), MET_ON.lower()
_INTEREST, _GIFT = INTEREST.lower(), GIFT.lower()


def write_card(card: ParsedCard, version: str = "3.0") -> str:
    """Serialise a ParsedCard (or any object with its attributes) as one vCard 3.0 or 4.0."""
    if version not in VERSIONS:
        raise InvalidInput(f"cannot write vCard {version}: use 3.0 or 4.0")
    if not card.contact.name.strip():
        raise InvalidInput("a contact with no name cannot be written as a vCard")
    if card.original:
        original = read_original(card.original, version)
    else:
        unknown = [_line_from_text(text) for text in card.extra]
        original = Original({}, unknown, grouped=unknown)
    owned = _OwnedLines(version, original).lines_for(card)
    return _serialise([*owned, *original.unknown], version)


class _OwnedLines:
    """Builds a card's owned properties, reusing original lines whose value has not changed."""

    def __init__(self, version: str, original: Original) -> None:
        self.version = version
        self.dated = {_date_key(item.kind, item.value): item for item in reversed(original.dated)}
        self.reusable = original.reusable  # each list is used up from its start
        self.grouped = original.grouped

    @cached_property
    def free_groups(self) -> Iterator[str]:
        """item1, item2, ... but the groups the original's lines use (looked up only when a
        new line needs a group)."""
        taken = {line.group.lower() for line in self.grouped if line.group}
        yield from (group for group in (f"item{n}" for n in itertools.count(1))
                    if group not in taken)

    def lines_for(self, card: ParsedCard) -> list[ContentLine]:
        lines = self._name(card.contact, card.is_company)
        reusable = self.reusable
        for kind, value, build in self._wanted(card):
            if not value or (isinstance(value, Detail) and not value.value.strip()):
                continue  # nothing for an empty value
            same = reusable.get((kind, str, value) if type(value) is str
                                else value_key(kind, value))
            if same:
                lines += same.pop(0)  # the original lines of an unchanged value
                continue
            built = build(value)
            if isinstance(built, list):
                lines += built
            else:
                lines.append(built)
        return lines

    def _wanted(self, card: ParsedCard) -> Iterator[tuple[str, object, Callable]]:
        """Each owned value but the name, in the order their lines are written, with what
        builds its lines when no original line holds it."""
        contact = card.contact
        yield "org", contact.company, _org
        yield "title", contact.title, _title
        yield "uid", contact.uid, _uid
        yield "rev", card.rev, _rev
        yield "bday", contact.birthday, self._birthday
        yield "anniversary", card.anniversary, self._anniversary
        for date in contact.dates:
            yield "date", date, self._labelled_date
        for related in card.relations:
            yield "related", related, self._related
        for name, value in contact.fields.items():
            yield "field", (name, personal.field_text(value)), _field
        yield "photo", card.photo, self._photo
        yield "categories", tuple(contact.tags), _categories
        yield _NO_MAIL, contact.no_mail, _no_mail
        yield _HOW_WE_MET, contact.how_we_met, _how_we_met
        yield _MET_ON, contact.met_on, self._met_on
        for interest in contact.interests:
            yield _INTEREST, interest, _interest
        for gift in contact.gifts:
            yield _GIFT, gift, _gift
        for note in card.notes:
            yield "note", note, _note
        for kind, details in (("email", contact.emails), ("tel", contact.phones),
                              ("adr", contact.addresses), ("url", contact.urls)):
            if details:
                build = partial(self._detail, kind)
                for detail in details:
                    yield kind, detail, build

    def _reuse(self, kind: str, value) -> list[ContentLine] | None:
        """The lines of an original value equal to ``value`` (each is reused once)."""
        same = self.reusable.get(value_key(kind, value))
        return same.pop(0) if same else None

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

    def _birthday(self, date: PartialDate) -> ContentLine:
        return _line("BDAY", self._date(date))

    def _met_on(self, date: PartialDate) -> ContentLine:
        return _line(MET_ON, self._date(date))

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


def _text_line(name: str) -> Callable[[str], ContentLine]:
    """What builds a ``name`` line for a text value."""
    return lambda text: _line(name, _escape(text))


_org, _title, _uid, _rev, _note = map(_text_line, ("ORG", "TITLE", "UID", "REV", "NOTE"))
_how_we_met, _interest = _text_line(HOW_WE_MET), _text_line(INTEREST)


def _no_mail(_) -> ContentLine:
    return _line(NO_MAIL, "TRUE")


def _gift(gift) -> ContentLine:
    return _line(GIFT, _escape(gift.description), [[GIVEN, gift.given_on]] if gift.given_on else [])


def _field(item: tuple[str, str]) -> ContentLine:
    return personal.field_line(item, _line, _escape)


def _categories(tags: tuple[str, ...]) -> ContentLine:
    return _line("CATEGORIES", ",".join(_escape(tag) for tag in tags))


def _structured_name(contact: Contact, is_company: bool = False) -> str:
    """N for a new name: last word = family name; empty for a company's card or an email
    address (a person named as their company gets a name, so the card reads as a person's)."""
    words = contact.name.split()
    if is_company or "@" in contact.name or not words:
        return _structured("", "", "", "", "")
    if len(words) == 1:
        return _structured("", words[0], "", "", "")
    return _structured(words[-1], " ".join(words[:-1]), "", "", "")


def _address_value(text: str) -> str:
    return _structured("", "", text, "", "", "", "")


def _structured(*parts: str) -> str:
    """vobject's ``serializeFields`` of a name or an address whose parts are single texts,
    in its order (NAME_ORDER, ADDRESS_ORDER), without loading vobject."""
    return ";".join(_escape(part) for part in parts)


def _escape(text: str) -> str:
    """vobject's ``backslashEscape``, which leaves a text without these characters as it is
    (vobject is not loaded for it)."""
    if _ESCAPED.search(text) is None:
        return text
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
    """The lines made valid for ``version`` (`conform`; a stored line ready as it is, see
    `vcard_stored`, is taken as it is, unless a one-of-a-kind property comes twice: conform
    renames the second), written as vobject writes a vCard: VERSION, PRODID and UID first, then
    the other properties by name, each name's lines in their order; without building vobject's
    objects for it (which cost more than the rest of writing a card)."""
    by_name: dict[str, list[str]] = {"version": [f"VERSION:{version}"]}
    once: set[str] = set()
    for line in lines:
        if line.name in ONE_OF_A_KIND:
            if line.name in once:
                return _written(conform(lines, version), version)
            once.add(line.name)
        if type(line) is StoredLine and line.ready is not None:
            name, text = line.name.lower(), line.ready
            same = by_name.get(name)
            if same is None:
                by_name[name] = [text]
            else:
                same.append(text)
        elif kept_as_is(line.name, line.params, line.value, version):
            by_name.setdefault(line.name.lower(), []).append(_line_text(line))
        else:
            for repaired in conform([line], version):
                by_name.setdefault(repaired.name.lower(), []).append(_line_text(repaired))
    return _joined(by_name)


def _written(lines: list[ContentLine], version: str) -> str:
    """`_serialise` of lines already valid for ``version``."""
    by_name: dict[str, list[str]] = {"version": [f"VERSION:{version}"]}
    for line in lines:
        by_name.setdefault(line.name.lower(), []).append(_line_text(line))
    return _joined(by_name)


def _joined(by_name: dict[str, list[str]]) -> str:
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
    params = "".join(f";{key}={','.join(param_value(value) for value in line.params[key])}"
                     for key in sorted(line.params))
    return f"{group}{line.name.upper()}{params}:{line.value}"


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
