r"""vCard text: split a byte stream into cards and decode them (`vcard_normalise` then rewrites each
card as vCard 3.0 lines).

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
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from crmcli.errors import InvalidInput

CHUNK_SIZE = 64 * 1024

_EOL = re.compile(rb"\r*\n|\r")
_BEGIN_VCARD = re.compile(rb"[ \t]*(?:[\w-]+\.)?BEGIN[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_END_VCARD = re.compile(rb"[ \t]*(?:[\w-]+\.)?END[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_VERSION_21 = re.compile(rb"[ \t]*(?:[\w-]+\.)?VERSION[ \t]*:[ \t]*2\.1[ \t]*", re.IGNORECASE)
_CHARSET = re.compile(rb";[ \t]*CHARSET[ \t]*=[ \t]*\"?([\w.-]+)", re.IGNORECASE)
# The last byte of a line that may be BEGIN:VCARD, END:VCARD or VERSION:2.1 (any other line
# is a card's content as it stands, without a regular expression to ask).
_MARKER_ENDS = frozenset((b"d", b"D", b"1", b" ", b"\t"))

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


def iter_raw_cards(stream: BinaryIO) -> Iterator[RawCard]:
    """Yield the cards of a binary stream one at a time, reading it lazily.

    Raises InvalidInput, when iteration reaches the problem, for an empty input, binary data or an
    input with no vCard in it. Problems with one card are reported on that card (`RawCard.error`).
    """
    splitter = _CardSplitter()
    for number, line in enumerate(_physical_lines(_utf8_chunks(stream)), start=1):
        if splitter.depth and line[-1:] not in _MARKER_ENDS:
            splitter.lines.append(line)  # inside a card: a line that can neither open nor close one
            continue
        card = splitter.feed(number, line)
        if card is not None:
            yield card
    if splitter.depth:
        yield splitter.unfinished()
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
        *lines, rest = _split_lines(bytes(pending[: len(pending) - held]))
        yield from lines
        pending = bytearray(rest) + pending[len(pending) - held :]
    *lines, last = _split_lines(bytes(pending))
    yield from lines
    if last:
        yield last


def _split_lines(data: bytes) -> list[bytes]:
    """``_EOL.split(data)``, by bytes.split when every CR is part of a CRLF (or there is none)."""
    if b"\r" in data:
        unix = data.replace(b"\r\n", b"\n")
        if b"\r" in unix:
            return _EOL.split(data)
        data = unix
    return data.split(b"\n")


class _CardSplitter:
    """Cuts numbered physical lines into RawCards."""

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[bytes] = []
        self.start = 0
        self.depth = 0
        self.allows_nesting = False
        self.stray_start = 0

    def feed(self, number: int, line: bytes) -> RawCard | None:
        """Take the next line; the card it ends (or a card found broken), if any."""
        if not self.depth:
            return self._outside_card(number, line)
        if _BEGIN_VCARD.fullmatch(line) and not self.allows_nesting:
            broken = self._failed(self.start,
                                  f"no END:VCARD before the BEGIN:VCARD at line {number}")
            self._open(number, line)
            return broken
        self.lines.append(line)
        if _BEGIN_VCARD.fullmatch(line):
            self.depth += 1
        elif _END_VCARD.fullmatch(line):
            self.depth -= 1
        elif self.depth == 1 and _VERSION_21.fullmatch(line):
            self.allows_nesting = True
        return None if self.depth else self._card()

    def unfinished(self) -> RawCard:
        """The open card, when the input ends inside it."""
        return self._failed(self.start, "the input ends before this card's END:VCARD")

    def _outside_card(self, number: int, line: bytes) -> RawCard | None:
        if _BEGIN_VCARD.fullmatch(line):
            self._open(number, line)
        elif _END_VCARD.fullmatch(line):
            start = self.stray_start or number
            self.stray_start = 0
            return self._failed(start, f"END:VCARD at line {number} has no BEGIN:VCARD")
        elif line.strip() and not self.stray_start:
            self.stray_start = number
        return None

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
    try:
        # When the whole card is UTF-8, so is each line, and no line ends inside a character:
        # line by line would give the same text.
        card.text = b"\n".join(lines).decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
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
            codec = codec_for(match.group(1).decode("ascii"))
            if codec and codec != "utf-8":
                return codec
    return None


def codec_for(charset: str) -> str | None:
    """The Python codec for a CHARSET value (Shift_JIS is read as its superset cp932), or None
    (also for a codec that is no text encoding: CHARSET=QUOTED-PRINTABLE, BASE64)."""
    name = charset.strip().strip('"').lower()
    if name in _SHIFT_JIS_NAMES:
        return "cp932"
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    # bytes.decode refuses the codecs that are not text encodings (quopri, base64, zlib...)
    return codec.name if getattr(codec, "_is_text_encoding", True) else None
