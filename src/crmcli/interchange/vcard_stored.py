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

from crmcli.interchange.vcard_conform import kept_as_is
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
_PLAIN_HEAD = re.compile(r"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^\";:,]+(?:,[^\";:,]+)*)*):")
_DETAILS = frozenset(DETAILS)
_SINGLES = frozenset(SINGLES)


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
    for text in texts:
        line = _plain_line(text, version)
        if line is None or not _sorted_in(fields, line):
            return None
    _merge_names(fields)
    return fields


def _merge_names(fields: Fields) -> None:
    """`vcard_read`'s merge of FN and N into one "name" item; N's text is worked out only
    for a card without FN."""
    parts = [item for item in fields.items if item.kind in ("fn", "n")]
    if parts:
        full = fields.firsts.get("fn")
        name = full.value if full else _name_from_n(fields.firsts["n"].lines[0])
        lines = [line for item in parts for line in item.lines]
        fields.merge(("fn", "n"), Item("name", name, lines))


def _plain_line(text: str, version: str) -> StoredLine | None:
    head = _PLAIN_HEAD.match(text)
    if head is None or "\r" in text or "\n" in text:
        return None
    written_name, param_text = head.groups()
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
    value = text[head.end():]
    if not kept_as_is(name, params, value, version):
        return StoredLine(name, params, value, None)
    if as_written:
        return StoredLine(name, params, value, text)
    written = "".join(f";{key}={','.join(params[key])}" for key in sorted(params))
    return StoredLine(name, params, value, f"{name}{written}:{value}")


def _sorted_in(fields: Fields, line: StoredLine) -> bool:
    """Add the line to ``fields`` as `extract_fields` does an ungrouped line; False for a
    line it would read otherwise than a plain value (a personal property, a warning)."""
    name = line.name
    if name not in OWNED:
        if name == "X-SOCIALPROFILE" and _type_label(line) == LINKEDIN and _text(line):
            fields.add(Item("url", Detail(_text(line), LINKEDIN), [line]))
        else:
            fields.extra.append(line)
        return True
    if name in PERSONAL:
        return False
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
        fields.add(Item(kind, Detail(value, _type_label(line)), [line]))
    elif name == "CATEGORIES":
        _add_tags(fields, value, line)
    else:
        fields.add(Item(kind, value, [line]))
    return True
