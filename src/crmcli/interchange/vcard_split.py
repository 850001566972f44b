r"""vCard text: split a byte stream into cards, decode them, and rewrite each as vCard 3.0 lines.

Splitting (`iter_raw_cards`)
    The stream is read in 64 KiB chunks, so memory stays flat however many cards it holds. The
    encoding is sniffed from the first chunk: a byte-order mark; else UTF-16 when a quarter or more
    of the bytes are NUL (big- or little-endian by where the NULs sit); else the bytes are decoded
    card by card. Lines may end in CRLF, LF, CR or iOS's CR CR LF. Anything outside BEGIN:VCARD ...
    END:VCARD (blank lines, comments) is skipped, and so are spaces and group prefixes around those
    two lines (` BEGIN:VCARD`, `TEST.BEGIN:VCARD`, `END:VCARD `). A vCard 2.1 card may hold nested
    (AGENT) cards; in a later version a second BEGIN:VCARD means the open card was cut off.

Decoding
    Each line is decoded as UTF-8, after moving the bytes of a character that a fold cut in two
    onto the continuation line. A line that still is not UTF-8 is decoded with the charset the card
    declares (CHARSET=SHIFT_JIS is read as cp932), else as Latin-1, with a warning.

Errors
    File-level problems raise `InvalidInput` from the iterator: an empty input, binary data, or no
    BEGIN:VCARD at all. A card that cannot be read comes back as a `RawCard` whose `error` says why
    (cut off before END:VCARD, an END:VCARD with no BEGIN:VCARD), so one bad card never hides the
    others. Warnings and errors name the card and line: `card 3 (line 41): ...`.

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
import codecs
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from crmcli.errors import InvalidInput
from crmcli.limits import MAX_CARD_LINES, MAX_VALUES

CHUNK_SIZE = 64 * 1024

_EOL = re.compile(rb"\r*\n|\r")
_BEGIN_VCARD = re.compile(rb"[ \t]*(?:[\w-]+\.)?BEGIN[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_END_VCARD = re.compile(rb"[ \t]*(?:[\w-]+\.)?END[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_VERSION_21 = re.compile(rb"[ \t]*(?:[\w-]+\.)?VERSION[ \t]*:[ \t]*2\.1[ \t]*", re.IGNORECASE)
_CHARSET = re.compile(rb";[ \t]*CHARSET[ \t]*=[ \t]*\"?([\w.-]+)", re.IGNORECASE)

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
_SHIFT_JIS_NAMES = {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"}


@dataclass
class RawCard:
    """One card as found in the input: its lines from BEGIN:VCARD to END:VCARD, decoded.

    `number` counts cards from 1 and `line` is the file line where the card starts. A card that
    cannot be read has an `error` (and may have no text); `parse_card` raises it as InvalidInput.
    """

    number: int
    line: int
    text: str = ""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def where(self, line: int | None = None) -> str:
        return f"card {self.number} (line {line or self.line})"


@dataclass
class NormalisedCard:
    """A card rewritten as unfolded vCard 3.0 content lines, each with the file line it began on."""

    version: str
    lines: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def iter_raw_cards(stream: BinaryIO) -> Iterator[RawCard]:
    """Yield the cards of a binary stream one at a time, reading it lazily.

    Raises InvalidInput, when iteration reaches the problem, for an empty input, binary data or an
    input with no vCard in it. Problems with one card are reported on that card (`RawCard.error`).
    """
    splitter = _CardSplitter()
    lines = _physical_lines(_utf8_chunks(stream))
    for number, line in enumerate(lines, start=1):
        yield from splitter.feed(number, line)
    yield from splitter.finish()
    if not splitter.count:
        raise InvalidInput("no vCard found: the input has no BEGIN:VCARD line")


def _utf8_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes, without a UTF-8 byte-order mark; UTF-16 is transcoded to UTF-8."""
    first = stream.read(CHUNK_SIZE)
    if not first:
        raise InvalidInput("the input is empty")
    encoding, first = _sniff_encoding(first)
    chunks = itertools.chain([first], iter(lambda: stream.read(CHUNK_SIZE), b""))
    if encoding is None:
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeError as problem:
        raise InvalidInput(f"the input looks like UTF-16 but is not: {problem}") from None


def _sniff_encoding(first: bytes) -> tuple[str | None, bytes]:
    """(UTF-16 codec to transcode from, or None; the first chunk without a UTF-8 BOM)."""
    if first.startswith(codecs.BOM_UTF8):
        return None, first[len(codecs.BOM_UTF8) :]
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", first
    nuls = first.count(0)
    if not nuls:
        return None, first
    if nuls * 4 >= len(first):
        nuls_first_of_pair = first[0::2].count(0)
        if nuls_first_of_pair * 10 >= nuls * 9:
            return "utf-16-be", first
        if nuls_first_of_pair * 10 <= nuls:
            return "utf-16-le", first
    raise InvalidInput("the input is binary data, not vCard text")


def _physical_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split byte chunks into lines ending in CRLF, LF, CR or CR CR LF (terminators removed)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        if b"\n" not in chunk and b"\r" not in chunk:
            continue
        # Trailing CRs may be the start of a CR CR LF that the next chunk completes.
        held = len(pending) - len(pending.rstrip(b"\r"))
        *lines, rest = _EOL.split(bytes(pending[: len(pending) - held]))
        yield from lines
        pending = bytearray(rest) + pending[len(pending) - held :]
    *lines, last = _EOL.split(bytes(pending))
    yield from lines
    if last:
        yield last


class _CardSplitter:
    """Cuts numbered physical lines into RawCards."""

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[bytes] = []
        self.start = 0
        self.depth = 0
        self.allows_nesting = False
        self.stray_start = 0

    def feed(self, number: int, line: bytes) -> Iterator[RawCard]:
        if not self.depth:
            yield from self._outside_card(number, line)
            return
        if _BEGIN_VCARD.fullmatch(line) and not self.allows_nesting:
            yield self._failed(self.start, f"no END:VCARD before the BEGIN:VCARD at line {number}")
            self._open(number, line)
            return
        self.lines.append(line)
        if _BEGIN_VCARD.fullmatch(line):
            self.depth += 1
        elif _END_VCARD.fullmatch(line):
            self.depth -= 1
        elif self.depth == 1 and _VERSION_21.fullmatch(line):
            self.allows_nesting = True
        if not self.depth:
            yield self._card()

    def finish(self) -> Iterator[RawCard]:
        if self.depth:
            yield self._failed(self.start, "the input ends before this card's END:VCARD")

    def _outside_card(self, number: int, line: bytes) -> Iterator[RawCard]:
        if _BEGIN_VCARD.fullmatch(line):
            self._open(number, line)
        elif _END_VCARD.fullmatch(line):
            start = self.stray_start or number
            self.stray_start = 0
            yield self._failed(start, f"END:VCARD at line {number} has no BEGIN:VCARD")
        elif line.strip() and not self.stray_start:
            self.stray_start = number

    def _open(self, number: int, line: bytes) -> None:
        self.lines, self.start, self.depth = [line], number, 1
        self.allows_nesting, self.stray_start = False, 0

    def _failed(self, start: int, error: str) -> RawCard:
        self.count += 1
        self.depth = 0
        return RawCard(self.count, start, error=error)

    def _card(self) -> RawCard:
        self.count += 1
        card = RawCard(self.count, self.start)
        _decode_lines(card, self.lines)
        return card


def _decode_lines(card: RawCard, lines: list[bytes]) -> None:
    """Set the card's text from its byte lines (see the module docstring for the order tried)."""
    lines = _mend_split_characters(lines)
    charset = _declared_charset(lines)
    texts: list[str] = []
    latin1_lines: list[int] = []
    for number, line in enumerate(lines, start=card.line):
        text = _decode_line(line, charset)
        if text is None:
            text = line.decode("latin-1")
            latin1_lines.append(number)
        texts.append(text)
    card.text = "\n".join(texts)
    if latin1_lines:
        listed = ", ".join(map(str, latin1_lines[:5])) + (", ..." if len(latin1_lines) > 5 else "")
        card.warnings.append(
            f"{card.where()}: not UTF-8 and no usable CHARSET; read as Latin-1 (lines {listed})"
        )


def _decode_line(line: bytes, charset: str | None) -> str | None:
    for codec in ("utf-8", charset):
        if codec:
            try:
                return line.decode(codec)
            except UnicodeDecodeError:
                pass
    return None


def _mend_split_characters(lines: list[bytes]) -> list[bytes]:
    """Move a UTF-8 character that a fold cut in two whole onto the continuation line."""
    mended = list(lines)
    for index in range(len(mended) - 1):
        following = mended[index + 1]
        cut = _incomplete_utf8_tail(mended[index])
        if cut and following[:1] in (b" ", b"\t"):
            tail = mended[index][-cut:]
            mended[index] = mended[index][:-cut]
            mended[index + 1] = following[:1] + tail + following[1:]
    return mended


def _incomplete_utf8_tail(line: bytes) -> int:
    """How many bytes at the end of `line` start a UTF-8 character that is not finished."""
    for back in range(1, min(3, len(line)) + 1):
        byte = line[-back]
        if byte & 0xC0 == 0x80:
            continue
        length = 0 if byte < 0xC0 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
        return back if length > back else 0
    return 0


def _declared_charset(lines: list[bytes]) -> str | None:
    """The first charset other than UTF-8 that the card names in a CHARSET parameter."""
    for line in lines:
        for match in _CHARSET.finditer(line):
            codec = _codec_for(match.group(1).decode("ascii"))
            if codec and codec != "utf-8":
                return codec
    return None


def _codec_for(charset: str) -> str | None:
    """The Python codec for a CHARSET value (Shift_JIS is read as its superset cp932), or None."""
    name = charset.strip().strip('"').lower()
    if name in _SHIFT_JIS_NAMES:
        return "cp932"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class _Property:
    """A property being put together from its first line and its continuation lines."""

    def __init__(self, line: int, text: str) -> None:
        self.line = line
        self.parts = [text]
        head = split_at_colon(text)[0]
        self.name = _HEAD.fullmatch(head).group(2).strip().upper()
        params = _HEAD.fullmatch(head).group(3)
        self.encoding = (_param_value(_parse_params(params), "ENCODING")
                         if ";" in params else "")

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def awaits_soft_break(self) -> bool:
        return self.encoding == "QUOTED-PRINTABLE" and self.parts[-1].endswith("=")

    def join_soft_break(self, line: str) -> None:
        """Drop the soft break `=` and join `line` (so a blank line ends the value)."""
        self.parts[-1] = self.parts[-1][:-1]
        self.parts.append(line)

    def absorb(self, line: str) -> bool:
        """Append `line` if it is a fold of this property or more of its unindented base64 body."""
        if line[:1] in (" ", "\t"):
            self.parts.append(line[1:])
            return True
        if self.encoding in ("B", "BASE64") and _BASE64_LINE.fullmatch(line):
            self.parts.append(line)
            return True
        return False


def normalise_card(raw: RawCard) -> NormalisedCard:
    """Rewrite a card's lines as unfolded vCard 3.0 content lines (see the module docstring)."""
    card = NormalisedCard(version="")
    body = raw.text.split("\n")[1:-1]
    for prop in _within_limits(_assemble_properties(body, raw, card.warnings), raw, card):
        line = _normalise_property(prop, raw, card)
        if line is not None:
            card.lines.append((prop.line, line))
    return card


def _within_limits(properties: list[_Property], raw: RawCard, card: NormalisedCard
                   ) -> list[_Property]:
    """The properties within the limits: MAX_VALUES of each detail (EMAIL, TEL, ADR, URL) and
    MAX_CARD_LINES in all; the rest are skipped before any work is spent on them, with a
    warning, so that a huge card costs little."""
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
        elif current and current.awaits_soft_break():
            current.join_soft_break(line)
        elif current and current.absorb(line):
            pass
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


def _normalise_property(prop: _Property, raw: RawCard, card: NormalisedCard) -> str | None:
    head, value = split_at_colon(prop.text)
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
    codec = _codec_for(charset) if charset else None
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
    return _ESCAPED.sub(lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)
