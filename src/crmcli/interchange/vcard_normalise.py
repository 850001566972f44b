r"""vCard lines: a card from `vcard_split` rewritten as vCard 3.0 content lines that vobject
reads, and the helpers for value text that the reader shares.

Normalisation (`normalise_card`)
    vobject reads vCard 2.1 only partly, so every card is rewritten before vobject sees it:
    - quoted-printable values are joined across their `=` soft line breaks (whatever the next line
      starts with, as RFC 2045 says; a blank line ends them), decoded with their CHARSET and
      escaped for 3.0 (a line break becomes `\n`; `\;` stays the component escape 2.1 and 3.0
      share);
    - bare 2.1 parameters get names: `TEL;CELL;VOICE` -> `TEL;TYPE=CELL,VOICE`, a bare BASE64 or
      QUOTED-PRINTABLE becomes ENCODING; empty parameters (`;;`, `NAME;:`) are dropped; CHARSET
      goes;
    - base64 bodies are joined even when their continuation lines are not indented, their
      whitespace is removed and ENCODING becomes `b`; a `data:` URI that claims ENCODING=b gets
      VALUE=uri instead;
    - characters vobject refuses in names become `-` (`X-messaging/gadu-All` ->
      `X-messaging-gadu-All`);
    - lines that are not properties (`# comment`, a bare `FN`, a name-less `;CHARSET=UTF-8:`) and
      nested cards are dropped with a warning; a stray `PROFILE:VCard` (it only repeats BEGIN) is
      dropped.
"""

from __future__ import annotations

import binascii
import re
from collections import Counter
from dataclasses import dataclass, field

from crmcli.interchange.vcard_split import RawCard, codec_for
from crmcli.limits import MAX_CARD_LINES, MAX_VALUES

_BEGIN_ANY = re.compile(r"[ \t]*(?:[\w-]+\.)?BEGIN[ \t]*:", re.IGNORECASE)
_END_ANY = re.compile(r"[ \t]*(?:[\w-]+\.)?END[ \t]*:", re.IGNORECASE)
_PROPERTY_START = re.compile(r"[ \t]*(?:[\w-]+\.)?[\w/-]*[;:]")
_DETAILS = frozenset({"EMAIL", "TEL", "ADR", "URL"})  # vcard_fields.DETAILS, capped per card
_HEAD = re.compile(r"(?:([\w-]+)\.)?([^;]*)(.*)", re.DOTALL)
_NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+=*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
# The head of a line already written as vCard 3.0 wants it: a name, parameters with upper-case
# names and plain values, no ENCODING or CHARSET (see _clean_name). Such a line is kept as it is.
_CLEAN_HEAD = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[A-Z0-9-]+=[^\s;:\"]*)*):")


@dataclass
class NormalisedCard:
    """A card rewritten as unfolded vCard 3.0 content lines, each with the file line it began on."""

    version: str
    lines: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Property:
    """A property being put together from its first line and its continuation lines."""

    __slots__ = ("clean", "encoding", "line", "name", "parts")

    def __init__(self, line: int, text: str, head: re.Match | None = None) -> None:
        self.line = line
        self.parts = [text]
        self.clean = _clean_name(head or _CLEAN_HEAD.match(text))
        if self.clean:
            self.name, self.encoding = self.clean.upper(), ""
            return
        head = split_at_colon(text)[0]
        self.name = _HEAD.fullmatch(head).group(2).strip().upper()
        params = _HEAD.fullmatch(head).group(3)
        self.encoding = (_param_value(_parse_params(params), "ENCODING")
                         if ";" in params else "")

    @property
    def text(self) -> str:
        return self.parts[0] if len(self.parts) == 1 else "".join(self.parts)

    def awaits_soft_break(self) -> bool:
        return self.encoding == "QUOTED-PRINTABLE" and self.parts[-1].endswith("=")

    def join_soft_break(self, line: str) -> None:
        """Drop the soft break `=` and join `line` (so a blank line ends the value)."""
        self.parts[-1] = self.parts[-1][:-1]
        self.parts.append(line)

    def absorb(self, line: str) -> bool:
        """Append `line` if it is more of this property's unindented base64 body (a fold, an
        indented line, is joined before this is asked)."""
        if self.encoding in ("B", "BASE64") and _BASE64_LINE.fullmatch(line):
            self.parts.append(line)
            return True
        return False


def normalise_card(raw: RawCard) -> NormalisedCard:
    """Rewrite a card's lines as unfolded vCard 3.0 content lines (see the module docstring)."""
    card = NormalisedCard(version="")
    body = raw.text.split("\n")[1:-1]
    for prop in _within_limits(_assemble_properties(body, raw, card.warnings), raw, card):
        if prop.clean and prop.name not in ("VERSION", "PROFILE"):
            card.lines.append((prop.line, prop.text))  # as it stands (see _normalise_property)
            continue
        line = _normalise_property(prop, raw, card)
        if line is not None:
            card.lines.append((prop.line, line))
    return card


def _within_limits(properties: list[_Property], raw: RawCard, card: NormalisedCard
                   ) -> list[_Property]:
    """The properties within the limits: MAX_VALUES of each detail (EMAIL, TEL, ADR, URL) and
    MAX_CARD_LINES in all; the rest are skipped before any work is spent on them, with a
    warning, so that a huge card costs little."""
    if len(properties) <= min(MAX_VALUES, MAX_CARD_LINES):
        return properties  # no limit can be passed
    counts: Counter[str] = Counter()
    kept = []
    for prop in properties:
        counts[prop.name] += 1
        if counts[prop.name] <= MAX_VALUES or prop.name not in _DETAILS:
            kept.append(prop)
    for name, count in counts.items():
        if name in _DETAILS and count > MAX_VALUES:
            card.warnings.append(f"{raw.where()}: kept the first {MAX_VALUES:,} {name} values; "
                                 f"skipped {count - MAX_VALUES:,}")
    if len(kept) > MAX_CARD_LINES:
        card.warnings.append(f"{raw.where()}: kept the first {MAX_CARD_LINES:,} properties; "
                             f"skipped {len(kept) - MAX_CARD_LINES:,}")
    return kept[:MAX_CARD_LINES]


def _assemble_properties(body: list[str], raw: RawCard, warnings: list[str]) -> list[_Property]:
    """Group the physical lines between BEGIN and END into properties."""
    properties: list[_Property] = []
    current: _Property | None = None
    nesting = 0
    for number, line in enumerate(body, start=raw.line + 1):
        if nesting:
            nesting += 1 if _BEGIN_ANY.match(line) else -1 if _END_ANY.match(line) else 0
        elif current and current.encoding and current.awaits_soft_break():
            current.join_soft_break(line)
        elif current and line.startswith((" ", "\t")):
            current.parts.append(line[1:])  # a fold
        elif current and current.encoding and current.absorb(line):
            pass
        elif (head := _CLEAN_HEAD.match(line)) and (head.group(2)
                                                     or head.group(1).upper() != "BEGIN"):
            # a property as it stands, not a nested card's BEGIN (which _BEGIN_ANY matches)
            current = _Property(number, line, head)
            properties.append(current)
        elif not line.strip():
            current = None
        elif _BEGIN_ANY.match(line):
            nesting, current = 1, None
            warnings.append(f"{raw.where(number)}: dropped a vCard nested in this one")
        elif _PROPERTY_START.match(line):
            current = _Property(number, line.lstrip())
            properties.append(current)
        else:
            current = None
            warnings.append(f"{raw.where(number)}: dropped a line that is not a property: {line!r}")
    return properties


def _clean_name(head: re.Match | None) -> str | None:
    """The name of a line that is vCard 3.0 as it stands (its head matched by _CLEAN_HEAD,
    with no ENCODING or CHARSET), else None."""
    if head is None:
        return None
    params = head.group(2)
    if params and (";ENCODING=" in params or ";CHARSET=" in params):
        return None
    return head.group(1)


def _normalise_property(prop: _Property, raw: RawCard, card: NormalisedCard) -> str | None:
    text = prop.text
    # A property clean as it stands was kept by normalise_card (VERSION and PROFILE aside);
    # continuation lines may complete a head the first line left open.
    clean = _clean_name(_CLEAN_HEAD.match(text)) if len(prop.parts) > 1 else None
    if clean and clean.upper() not in ("VERSION", "PROFILE"):
        return text
    head, value = split_at_colon(text)
    group, name, param_text = _HEAD.fullmatch(head).groups()
    name = name.strip()
    where = raw.where(prop.line)
    if ":" not in prop.text:
        card.warnings.append(f"{where}: dropped a line that is not a property: {prop.text[:60]!r}")
        return None
    if not name:
        card.warnings.append(f"{where}: dropped a property with no name: {prop.text[:60]!r}")
        return None
    if name.upper() == "VERSION":
        card.version = value.strip()
        return None
    if name.upper() == "PROFILE":
        return None
    if _NOT_NAME_CHARS.search(name):
        fixed = _NOT_NAME_CHARS.sub("-", name)
        card.warnings.append(f"{where}: property {name} renamed {fixed}")
        name = fixed
    params = _parse_params(param_text)
    value = _decode_value(value, params, where, card.warnings)
    prefix = f"{group}." if group else ""
    return prefix + name + "".join(f";{key}={text}" for key, text in params) + ":" + value


def _parse_params(text: str) -> list[tuple[str, str]]:
    """`;WORK;TYPE=VOICE;;QUOTED-PRINTABLE` -> TYPE=VOICE, ENCODING=QUOTED-PRINTABLE, TYPE=WORK."""
    params: list[tuple[str, str]] = []
    bare_types: list[str] = []
    for piece in split_unquoted(text, ";"):
        key, has_value, value = piece.strip().partition("=")
        key = _NOT_NAME_CHARS.sub("-", key.strip())
        if not key:
            continue
        if has_value:
            params.append((key.upper(), _clean_param_value(value.strip())))
        elif key.upper() in _ENCODINGS:
            params.append(("ENCODING", key.upper()))
        else:
            bare_types.append(key)
    if bare_types:
        params.append(("TYPE", ",".join(bare_types)))
    return params


def _clean_param_value(value: str) -> str:
    """A parameter value vobject can read: quoted whole, or with no double quote in it."""
    if len(value) > 1 and value[0] == value[-1] == '"' and '"' not in value[1:-1]:
        return value
    return value.replace('"', "")


def _param_value(params: list[tuple[str, str]], key: str) -> str:
    return next((value.strip('"').upper() for name, value in params if name == key), "")


def _decode_value(
    value: str, params: list[tuple[str, str]], where: str, warnings: list[str]
) -> str:
    """Decode quoted-printable, tidy base64; drops ENCODING and CHARSET from `params` as it goes."""
    encoding = _param_value(params, "ENCODING")
    charset = _param_value(params, "CHARSET")
    params[:] = [(key, text) for key, text in params if key not in ("ENCODING", "CHARSET")]
    if encoding == "QUOTED-PRINTABLE":
        return _decode_quoted_printable(value.removesuffix("="), charset, where, warnings)
    if encoding in ("B", "BASE64"):
        value = "".join(value.split())
        if value[:5].lower() == "data:":
            params[:] = [(key, text) for key, text in params if key != "VALUE"]
            params.append(("VALUE", "uri"))
        else:
            params.append(("ENCODING", "b"))
    elif encoding not in ("", "8BIT", "7BIT"):
        params.append(("ENCODING", encoding))
    return value


def _decode_quoted_printable(value: str, charset: str, where: str, warnings: list[str]) -> str:
    data = binascii.a2b_qp(value.encode("utf-8"))
    return _LINE_BREAK.sub(r"\\n", _decode_bytes(data, charset, where, warnings))


def _decode_bytes(data: bytes, charset: str, where: str, warnings: list[str]) -> str:
    """UTF-8, else the declared CHARSET, else Latin-1; anything but clean UTF-8 is warned about."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = codec_for(charset) if charset else None
    if codec is None:
        warnings.append(f"{where}: quoted-printable value is not UTF-8; read as Latin-1")
        return data.decode("latin-1")
    text = data.decode(codec, errors="replace")
    if "\ufffd" in text:
        warnings.append(f"{where}: quoted-printable value is not valid {charset}; bytes replaced")
    return text


def split_at_colon(text: str) -> tuple[str, str]:
    """Split a content line into head and value at the first colon outside double quotes."""
    head, _, value = text.partition(":")
    if '"' not in head:  # the usual case, in C: the first colon is outside any quotes
        return head, value
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return text[:index], text[index + 1 :]
    head, _, value = text.partition(":")
    return head, value


def split_unquoted(text: str, separator: str) -> list[str]:
    """Split at `separator` where it is outside double quotes."""
    parts, start, quoted = [], 0, False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def split_escaped(value: str, separator: str) -> list[str]:
    """Split a vCard value at `separator` where no backslash escapes it; parts stay escaped."""
    if "\\" not in value:
        return value.split(separator)
    parts, start, index = [], 0, 0
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] == separator:
            parts.append(value[start:index])
            start = index + 1
        index += 1
    parts.append(value[start:])
    return parts


def unescape(value: str) -> str:
    r"""Undo vCard text escaping: `\n` is a line break, any other `\x` is `x` (so `\:` is `:`)."""
    if "\\" not in value:
        return value
    return _ESCAPED.sub(lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)
