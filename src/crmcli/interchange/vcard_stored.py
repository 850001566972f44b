r"""A stored original card read back for writing, in one pass when its lines are plain.

The reader stores each card's original normalised (`ReadCard.original`: BEGIN, VERSION, one
unfolded line per property, END), and writing a contact changed since reads it back for its
owned values and unknown lines (`vcard_write`). Most stored lines are plain: ``NAME:value`` or
``NAME;KEY=V1,V2;...:value``, with no group and no quoted or empty parameter value. For such a
line vobject's line parser gives exactly the name, the parameters split at ``;``, ``=`` and
``,``, and the rest of the line, so `plain_original` splits it with str operations, reading
what its head says (the text before the colon) once for all the lines that share it, and
sorts it as `vcard_read.extract_fields` does (same converters, same values, same unknown
lines), straight into what the writer looks unchanged values up by (`value_key`). A line that
`conform` leaves as it is (`vcard_conform.kept_as_is`) is a `StoredLine` whose ``ready`` text
(the stored text when it is already written as the writer writes it: upper-case names,
parameters in order; else written so once) the writer copies instead of repairing and
serialising the line again.

Anything else gives None and the card is read as before: a group (labels, Apple's items), a
relationship, date or custom-field property, a value the reader would warn about.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange.vcard_conform import (
    CHANGED_IN_3,
    INLINE_DATA,
    ONE_TEXT,
    TEXT,
    kept_as_is,
)
from crmcli.interchange.vcard_fields import (
    DETAILS,
    LINKEDIN,
    OWNED,
    SINGLES,
    Fields,
    Item,
    value_key,
)
from crmcli.interchange.vcard_lines import Line, parse_line, plain_head
from crmcli.interchange.vcard_personal import NAMES as PERSONAL
from crmcli.interchange.vcard_read import extract_fields, read_card
from crmcli.interchange.vcard_split import RawCard, iter_raw_cards
from crmcli.interchange.vcard_values import CONVERTERS, name_from_n, text_value, type_label
from crmcli.models import Detail

if TYPE_CHECKING:
    from vobject.base import ContentLine

_STORED = {"VERSION:3.0": "3.0", "VERSION:4.0": "4.0"}  # a stored original's second line
_VALUE_CHECKED = TEXT | INLINE_DATA  # `kept_as_is` reads more of their values


class StoredLine(Line):
    """A line of a stored original; ``ready`` is its text when the writer would write it so."""

    __slots__ = ("ready",)

    def __init__(self, name: str, params: dict[str, list[str]], value: str,
                 ready: str | None) -> None:
        self.name, self.params, self.value, self.ready = name, params, value, ready
        self.group = self.lineNumber = None


@dataclass
class Original:
    """What writing takes from the card a contact came from: the lines of each owned value an
    unchanged value keeps (by `value_key`, a list per original value in the card's order), its
    dated items (rewritten with their dates) and unknown lines, and the lines whose groups new
    lines must not take."""

    reusable: dict[tuple, list[list[ContentLine]]]
    unknown: list[ContentLine]
    dated: list[Item] = field(default_factory=list)
    grouped: list[ContentLine] = field(default_factory=list)


def read_original(text: str, version: str) -> Original:
    """The stored original, read back as stored (`read_stored`), else read anew."""
    stored = read_stored(text, version)
    if stored is not None:
        return stored
    raw = next(iter_raw_cards(io.BytesIO(text.encode("utf-8"))))
    if raw.error:
        raise InvalidInput(f"the stored original vCard cannot be read: {raw.error}")
    read = read_card(raw)
    return _from_fields(read.fields, read.version == version)


def read_stored(original: str, version: str) -> Original | None:
    """A card stored as `read_card` gave it (`ReadCard.original`: BEGIN, VERSION, one unfolded,
    already normalised line per property, END) read with the line parser only: splitting and
    normalising it again cost three times the rest of writing a changed contact's card. None
    when the text is not in that form. Its warnings are not gathered again. Plain lines are
    read in one pass (`vcard_stored`), with the texts ready to write in ``version``."""
    texts = original.split("\r\n")
    if texts[0] != "BEGIN:VCARD" or texts[-2:] != ["END:VCARD", ""] or texts[1] not in _STORED:
        return None
    same_version = _STORED[texts[1]] == version
    plain = plain_original(texts[2:-2], version, same_version)
    if plain is not None:
        return Original(*plain)
    fields = _parsed_fields(texts[2:-2], original)
    return None if fields is None else _from_fields(fields, same_version)


def _from_fields(fields: Fields, same_version: bool) -> Original:
    """What writing takes from a card's fields. Dates are always rewritten (no stand-in years);
    a photo's encoding differs by version."""
    rewritten = {"bday", "anniversary", "date"} | (set() if same_version else {"photo"})
    reusable: dict[tuple, list[list[ContentLine]]] = {}
    for item in fields.items:
        if item.kind not in rewritten:
            reusable.setdefault(value_key(item.kind, item.value), []).append(item.lines)
    dated = [item for item in fields.items if item.kind in ("anniversary", "date")]
    kept = [item for item in fields.items
            if item.kind not in rewritten or item.kind in ("anniversary", "date")]
    grouped = [*fields.extra, *(line for item in kept for line in item.lines)]
    return Original(reusable, fields.extra, dated, grouped)


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


def plain_original(texts: list[str], version: str, photo_kept: bool = True
                   ) -> tuple[dict[tuple, list[list[StoredLine]]], list[StoredLine]] | None:
    """What writing a card in ``version`` takes from a stored card's property lines, when
    every line is plain (else None), read as
    `vcard_read.extract_fields` reads ungrouped lines: the lines of each owned value that an
    unchanged value keeps, by `value_key` (a list per original value, in the card's order; a
    birthday, and a photo unless ``photo_kept``, are written anew: none), and the unknown lines.
    ``ready`` texts are those valid in ``version``."""
    reusable: dict[tuple, list[list[StoredLine]]] = {}
    unknown: list[StoredLine] = []
    firsts: set[str] = set()
    name_lines: list[StoredLine] = []
    full_name = tags = tag_lines = None
    heads = _HEADS[version]
    for text in texts:
        head_text, colon, value = text.partition(":")
        head = heads.get(head_text) if colon else False
        if head is None:
            head = _head(text, head_text, version) or False
            if len(heads) < _HEADS_KEPT:
                heads[head_text] = head
        if not head or "\r" in text or "\n" in text:
            return None
        ready = None
        if head.ready is not None and (
                (value.isprintable() and (head.text_free or (
                    head.text_free is None and "\\" not in value and "," not in value)))
                or kept_as_is(head.name, head.params, value, version)):
            ready = text if head.ready == "" else head.ready + value
        line = StoredLine(head.name, head.params, value, ready)
        kind = head.kind
        if kind is None or (head.single and kind in firsts):
            unknown.append(line)
            continue
        if head.convert is text_value and "\\" not in value:
            owned = value.strip()  # `text_value` of a value without escapes
        else:
            try:
                owned = head.convert(line)
            except ValueError:
                return None  # the reader warns
        if not owned:
            if head.mode is _LINKEDIN:
                unknown.append(line)  # an empty profile
            continue
        mode = head.mode
        if head.single:
            firsts.add(kind)
        if mode is _DETAIL or mode is _LINKEDIN:
            key = (kind, Detail, owned, head.label)
        elif mode is _VALUE:
            key = (kind, str, owned) if type(owned) is str else value_key(kind, owned)
        elif mode is _NAME:
            name_lines.append(line)
            full_name = owned if kind == "fn" else full_name
            continue
        elif mode is _TAGS:
            tags = owned if tags is None else tuple(dict.fromkeys((*tags, *owned)))
            tag_lines = [line] if tag_lines is None else [*tag_lines, line]
            continue
        elif mode is _PHOTO and photo_kept:
            key = value_key(kind, owned)
        else:
            continue  # written anew
        same = reusable.get(key)
        if same is None:
            reusable[key] = [[line]]
        else:
            same.append([line])
    if name_lines:
        if full_name is None:
            full_name = name_from_n(next(line for line in name_lines if line.name == "N"))
        reusable.setdefault(("name", str, full_name), []).append(name_lines)
    if tags is not None:
        reusable.setdefault(("categories", tuple, tags), []).append(tag_lines)  # `value_key`
    return reusable, unknown


class _Head:
    """What a plain line's head (the text before its colon) says, worked out once for every
    line that shares it: the name and parameters, how the writer writes the head (``ready``:
    "" when as it is, else the head to put before the value; None when `conform` would change
    the parameters), whether `conform` looks at its value for anything but control characters
    (``text_free``: True when it does not, None when only for escapes and commas), the kind of
    owned value the line holds (None for an unknown line) and a detail's label."""

    __slots__ = ("convert", "kind", "label", "mode", "name", "params", "ready", "single",
                 "text_free")

    def __init__(self, name: str, params: dict[str, list[str]], ready: str | None,
                 kind: str | None, label: str) -> None:
        self.name, self.params, self.ready, self.kind, self.label = (
            name, params, ready, kind, label)
        self.text_free = (name not in _VALUE_CHECKED) or (None if name in ONE_TEXT else False)
        self.single = name in SINGLES
        self.mode = _mode(name, kind)
        self.convert = text_value if self.mode is _LINKEDIN else (
            _short_name if name == "N" else CONVERTERS.get(name))


def _mode(name: str, kind: str | None) -> object:
    """How `plain_original` keeps an owned value of the line's kind."""
    if name in DETAILS:
        return _DETAIL
    if kind == "url":
        return _LINKEDIN  # X-SOCIALPROFILE;TYPE=linkedin
    return {"fn": _NAME, "n": _NAME, "categories": _TAGS, "photo": _PHOTO,
            "bday": _ANEW}.get(kind, _VALUE)  # a birthday: no stand-in year leaks out


_DETAIL, _LINKEDIN, _VALUE, _NAME, _TAGS, _PHOTO, _ANEW = (object() for _ in range(7))
# Heads read so far, by version, at most _HEADS_KEPT of each (False: not a plain head).
_HEADS: dict[str, dict[str, _Head | bool]] = {"3.0": {}, "4.0": {}}
_HEADS_KEPT = 4096


def _head(text: str, head_text: str, version: str) -> _Head | None:
    """What the head of the line ``text`` says, when the line is plain (`vcard_lines`' plain
    head, without a group)."""
    known = plain_head(text, head_text)
    if known is None or known[0] is not None:
        return None
    _, name, params = known
    ready = None
    if version != "3.0" or not params or params.keys().isdisjoint(CHANGED_IN_3):
        written = name + "".join(f";{key}={','.join(params[key])}" for key in sorted(params))
        ready = "" if head_text == written else f"{written}:"  # "": upper-case, keys in order
    label = type_label(StoredLine(name, params, "", None))
    if name in PERSONAL:
        return None  # read as `vcard_personal` reads it
    if name not in OWNED:  # an unknown line, but for a LinkedIn profile
        kind = "url" if name == "X-SOCIALPROFILE" and label == LINKEDIN else None
        return _Head(name, params, ready, kind, label)
    return _Head(name, params, ready, name.lower(), label)


def _short_name(line: StoredLine) -> str:
    """What N is read as while FN may follow (the name is read from N only without FN): not
    empty exactly when `vcard_read` would keep it."""
    if "\\" in line.value:
        return name_from_n(line)
    return "".join(line.value.split(";", 5)[:5]).replace(",", "").strip()
