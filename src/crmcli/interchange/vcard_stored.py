r"""A stored original card read back for writing, in one pass when its lines are plain.

The reader stores each card's original normalised (`ReadCard.original`: BEGIN, VERSION, one
unfolded line per property, END), and writing a contact changed since reads it back for its
owned values and unknown lines (`vcard_write`). Most stored lines are plain: ``NAME:value`` or
``NAME;KEY=V1,V2;...:value``, with no group and no quoted or empty parameter value. For such a
line vobject's line parser gives exactly the name, the parameters split at ``;``, ``=`` and
``,``, and the rest of the line, so `plain_fields` splits it with str operations and sorts it
as `vcard_read.extract_fields` does (same converters, same items, same unknown lines). A line
that `conform` leaves as it is (`vcard_conform.kept_as_is`) is a `StoredLine` whose ``ready``
text (the stored text when it is already written as the writer writes it: upper-case names,
parameters in order; else written so once) the writer copies instead of repairing and
serialising the line again.

Anything else gives None and the card is read as before: a group (labels, Apple's items), a
relationship, date or custom-field property, a value the reader would warn about.
"""

from __future__ import annotations

import re

from crmcli.interchange.vcard_conform import _CHANGED_IN_3, _TEXT, INLINE_DATA, kept_as_is
from crmcli.interchange.vcard_fields import DETAILS, LINKEDIN, OWNED, SINGLES, Fields, Item
from crmcli.interchange.vcard_lines import Line
from crmcli.interchange.vcard_personal import NAMES as PERSONAL
from crmcli.interchange.vcard_read import (
    _CONVERTERS,
    _add_tags,
    _name_from_n,
    _text,
    _type_label,
)
from crmcli.models import Detail

# [no group]name, then parameters each with a name and one or more non-empty unquoted values
_PLAIN_HEAD = re.compile(r"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^\";:,]+(?:,[^\";:,]+)*)*)")
_DETAILS = frozenset(DETAILS)
_SINGLES = frozenset(SINGLES)
_VALUE_CHECKED = _TEXT | INLINE_DATA  # `kept_as_is` reads more of their values


class StoredLine(Line):
    """A line of a stored original; ``ready`` is its text when the writer would write it so."""

    __slots__ = ("ready",)

    def __init__(self, name: str, params: dict[str, list[str]], value: str,
                 ready: str | None) -> None:
        self.name, self.params, self.value, self.ready = name, params, value, ready
        self.group = self.lineNumber = None


def plain_fields(texts: list[str], version: str) -> Fields | None:
    """The owned values and unknown lines of a stored card's property lines, when every line
    is plain (else None); ``ready`` texts are those valid in ``version``."""
    fields = Fields()
    heads = _HEADS[version]
    for text in texts:
        head_text, colon, value = text.partition(":")
        head = heads.get(head_text) if colon else False
        if head is None:
            head = _head(head_text, version) or False
            if len(heads) < _HEADS_KEPT:
                heads[head_text] = head
        if not head or "\r" in text or "\n" in text:
            return None
        name = head.name
        ready = None
        if head.ready is not None and ((head.text_free and value.isprintable())
                                       or kept_as_is(name, head.params, value, version)):
            ready = text if head.ready == "" else head.ready + value
        line = StoredLine(name, head.params, value, ready)
        if head.role is _EXTRA:
            fields.extra.append(line)
        elif not _sorted_in(fields, line, head):
            return None
    _merge_names(fields)
    return fields


class _Head:
    """What a plain line's head (the text before its colon) says, worked out once for every
    line that shares it: the name and parameters, how the writer writes the head (``ready``:
    "" when as it is, else the head to put before the value; None when `conform` would change
    the parameters), whether `conform` would look at its value for anything but control
    characters (not ``text_free``), the role of the line in a card and a detail's label."""

    __slots__ = ("label", "name", "params", "ready", "role", "text_free")

    def __init__(self, name: str, params: dict[str, list[str]], ready: str | None,
                 role: object, label: str) -> None:
        self.name, self.params, self.ready, self.role, self.label = (
            name, params, ready, role, label)
        self.text_free = name not in _VALUE_CHECKED


_EXTRA, _LINKEDIN, _PERSONAL = object(), object(), object()
# Heads read so far, by version, at most _HEADS_KEPT of each (False: not a plain head).
_HEADS: dict[str, dict[str, _Head | bool]] = {"3.0": {}, "4.0": {}}
_HEADS_KEPT = 4096


def _head(head_text: str, version: str) -> _Head | None:
    found = _PLAIN_HEAD.fullmatch(head_text)
    if found is None:
        return None
    written_name, param_text = found.groups()
    name = written_name.upper()
    params: dict[str, list[str]] = {}
    as_written = written_name == name
    if param_text:
        keys = []
        for piece in param_text[1:].split(";"):
            key, _, values = piece.partition("=")
            keys.append(key)
            params.setdefault(key.upper(), []).extend(values.split(","))
        if "QUOTED-PRINTABLE" in params.get("ENCODING", ()):
            return None  # vobject decodes the value
        as_written = as_written and keys == sorted(params)  # upper-case, once each, in order
    ready = None
    if version != "3.0" or not params or params.keys().isdisjoint(_CHANGED_IN_3):
        written = "".join(f";{key}={','.join(params[key])}" for key in sorted(params))
        ready = "" if as_written else f"{name}{written}:"
    label = _type_label(StoredLine(name, params, "", None))
    if name not in OWNED:
        role = _LINKEDIN if name == "X-SOCIALPROFILE" and label == LINKEDIN else _EXTRA
    else:
        role = _PERSONAL if name in PERSONAL else name
    if role is _PERSONAL:
        return None
    return _Head(name, params, ready, role, label)


def _merge_names(fields: Fields) -> None:
    """`vcard_read`'s merge of FN and N into one "name" item; N's text is worked out only
    for a card without FN."""
    parts = [item for item in fields.items if item.kind in ("fn", "n")]
    if parts:
        full = fields.firsts.get("fn")
        name = full.value if full else _name_from_n(fields.firsts["n"].lines[0])
        lines = [line for item in parts for line in item.lines]
        fields.merge(("fn", "n"), Item("name", name, lines))


def _sorted_in(fields: Fields, line: StoredLine, head: _Head) -> bool:
    """Add the line to ``fields`` as `extract_fields` does an ungrouped line; False for a
    line it would read otherwise than a plain value (a warning)."""
    if head.role is _LINKEDIN:
        text = _text(line)
        if text:
            fields.add(Item("url", Detail(text, LINKEDIN), [line]))
        else:
            fields.extra.append(line)
        return True
    name = line.name
    kind = name.lower()
    if name in _SINGLES and kind in fields.firsts:
        fields.extra.append(line)
        return True
    if name == "N" and "\\" not in line.value:  # read only if there is no FN (_merge_names)
        value = "".join(line.value.split(";", 5)[:5]).replace(",", "").strip()
    else:
        try:
            value = _CONVERTERS[name](line)
        except ValueError:
            return False
    if not value:
        return True
    if name in _DETAILS:
        fields.add(Item(kind, Detail(value, head.label), [line]))
    elif name == "CATEGORIES":
        _add_tags(fields, value, line)
    else:
        fields.add(Item(kind, value, [line]))
    return True
