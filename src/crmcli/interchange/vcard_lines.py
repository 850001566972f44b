"""Content lines as vobject's line parser reads them, without vobject's ContentLine objects.

Reading a card needs each line's name, group, parameters and value, which vobject's
``parseLine`` gives. Wrapping every line in a ``ContentLine`` (whose attribute machinery looks
each assignment up among the parameters) costs more than the parse itself, so a card is read
as ``Line``s, and a line becomes a ContentLine only when vobject serialises it
(``content_line``); the writer makes its new and repaired lines as ``Line``s too
(``new_line``). Lines vobject treats specially (parameters without a name, quoted-printable
values, which it decodes) are ContentLines from the start.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vobject.base import ContentLine


# The head of a plain line: [group.]name, then parameters each with a name and one or more
# non-empty values, none quoted, up to the first colon. vobject's parser reads such a line as
# exactly these pieces (its names allow `_`, and it drops empty values), and its value as the
# rest of the line.
_PLAIN_HEAD = re.compile(
    r"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)((?:;[A-Za-z0-9_-]+=[^\";:,]+(?:,[^\";:,]+)*)*):")

# Plain heads read so far (the text before the colon), at most _PLAIN_HEADS_KEPT of them.
_PLAIN_HEADS: dict[str, tuple[str | None, str, dict[str, list[str]]]] = {}
_PLAIN_HEADS_KEPT = 4096


class Line:
    """One content line: the attributes of a ContentLine that reading uses. Lines read with
    the same head share their ``params``: no one changes them in place (a repaired line is a
    new line, see ``vcard_conform``)."""

    __slots__ = ("group", "lineNumber", "name", "params", "value")

    def __init__(self, name: str, params: dict[str, list[str]], value: str, group: str | None,
                 number: int | None) -> None:
        self.name = name
        self.params = params
        self.value = value
        self.group = group
        self.lineNumber = number

    def serialize(self, lineLength: int = 75) -> str:
        return content_line(self).serialize(lineLength=lineLength)


def parse_line(text: str, number: int | None = None) -> Line | ContentLine:
    """The line ``text`` (unfolded); vobject's ParseError if it is not a content line.

    A plain line (see ``_PLAIN_HEAD``) is split with str operations into what vobject's
    parser would give for it, its head read once for all the lines that share it (cards repeat
    `EMAIL;TYPE=INTERNET:` and `TEL;TYPE=CELL:`); any other line goes through vobject's parser.
    """
    head, colon, value = text.partition(":")
    known = _PLAIN_HEADS.get(head) if colon else None
    if known is None:
        known = plain_head(text, head) if colon else None
        if known is None:
            return _parsed(text, number)
    group, name, params = known
    return Line(name, params, value, group, number)


def plain_head(text: str, head: str) -> tuple[str | None, str, dict[str, list[str]]] | None:
    """(group, name, parameters) of the line ``text``, which holds a colon, whose head (the
    text before its first colon) is ``head``, when the line is plain (see ``_PLAIN_HEAD``),
    else None; read once for all the lines that share the head, which share the parameters."""
    known = _PLAIN_HEADS.get(head)
    if known is None:
        found = _PLAIN_HEAD.match(text)
        if found is None or "QUOTED-PRINTABLE" in found.group(3):
            return None
        known = _plain_head(found)
        if len(_PLAIN_HEADS) < _PLAIN_HEADS_KEPT:
            _PLAIN_HEADS[head] = known
    return known


def _plain_head(found: re.Match) -> tuple[str | None, str, dict[str, list[str]]]:
    """(group, name, parameters) of a head matched by _PLAIN_HEAD."""
    group, name, param_text = found.groups()
    params: dict[str, list[str]] = {}
    if param_text:
        for piece in param_text[1:].split(";"):
            key, _, values = piece.partition("=")
            params.setdefault(key.upper(), []).extend(values.split(","))
    return group, name.replace("_", "-").upper(), params


def _parsed(text: str, number: int | None) -> Line | ContentLine:
    """``parse_line`` by vobject's parser."""
    from vobject.base import parseLine

    name, pairs, value, group = parseLine(text, number)
    params: dict[str, list[str]] = {}
    for pair in pairs:
        if len(pair) == 1:
            return _content_line(name, pairs, value, group, number)
        params.setdefault(pair[0].upper(), []).extend(pair[1:])
    if "QUOTED-PRINTABLE" in params.get("ENCODING", ()):
        return _content_line(name, pairs, value, group, number)
    return Line(name.upper(), params, value, group, number)


def _content_line(name: str, pairs: list, value: str, group: str | None,
                  number: int | None) -> ContentLine:
    """vobject's ContentLine, which decodes a quoted-printable value; ParseError when it
    cannot (vobject fails on an ENCODING with a second value, ``ENCODING=QUOTED-PRINTABLE,8BIT``,
    and on a CHARSET that is no text codec)."""
    from vobject.base import ContentLine, ParseError

    try:
        return ContentLine(name, pairs, value, group, encoded=True, lineNumber=number)
    except (TypeError, LookupError, ValueError):
        raise ParseError("its quoted-printable value cannot be decoded", number) from None


def new_line(name: str, params: Iterable[list[str]], value: str, group: str | None = None
             ) -> Line:
    """A line to write, its value already escaped: what ``ContentLine(name, params, value,
    group, encoded=True)`` would hold for a writer (a parameter without a value is left out,
    as vobject writes none), without building one."""
    table: dict[str, list[str]] = {}
    for param in params:
        if len(param) > 1:
            table.setdefault(param[0].upper(), []).extend(param[1:])
    return Line(name.upper(), table, value, group, None)


def unfolded_text(line: Line | ContentLine) -> str:
    """The line as vobject serialises it, unfolded, without its line break. A ``Line`` whose
    parameter values need no quoting check (none holds a double quote) and whose value is not
    to be quoted-printable decoded is written here as vobject would write it; any other line
    by vobject."""
    if type(line) is not Line or "QUOTED-PRINTABLE" in line.params.get("ENCODING", ()):
        return _serialized(line)
    parts = [line.group, ".", line.name.upper()] if line.group is not None else [line.name.upper()]
    for key in sorted(line.params):
        values = line.params[key]
        if not values:
            continue  # vobject writes a parameter without a value nowhere
        if any('"' in value for value in values):
            return _serialized(line)
        parts += (";", key, "=", ",".join(map(param_value, values)))
    parts += (":", line.value)
    return "".join(parts).rstrip("\r\n")


def param_value(value: str) -> str:
    """A parameter value as vobject's ``dquoteEscape`` writes it (quoted when it holds a
    separator; a double quote is vobject's error)."""
    if '"' in value:
        from vobject.base import dquoteEscape

        return dquoteEscape(value)
    return f'"{value}"' if "," in value or ";" in value or ":" in value else value


def _serialized(line: Line | ContentLine) -> str:
    """``unfolded_text`` by vobject's serialiser."""
    return content_line(line).serialize(lineLength=sys.maxsize).rstrip("\r\n")


def content_line(line: Line | ContentLine) -> ContentLine:
    """The line as vobject's ContentLine (for serialising it)."""
    from vobject.base import ContentLine

    if isinstance(line, ContentLine):
        return line
    return ContentLine(line.name, [[key, *values] for key, values in line.params.items()],
                       line.value, group=line.group, encoded=True, lineNumber=line.lineNumber)
