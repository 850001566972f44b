"""The messages of a path: a Maildir (``cur/`` and ``new/``), an mbox file, a folder of
``.eml`` files, one message file, or the bytes piped on stdin.

Each message comes with its header block only (up to the first blank line) and a way to read
the whole of it, called only for the messages that concern a contact: scanning a mailbox
reads little more than the headers of mail that matches nobody. Sizes are bounded
(``limits.MAX_MAIL_HEADER_BYTES``, ``limits.MAX_MAIL_BYTES``); a message too large or
unreadable is reported by its place and skipped."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crmcli.errors import InvalidInput
from crmcli.limits import MAX_MAIL_BYTES, MAX_MAIL_HEADER_BYTES
from crmcli.mail.message import BadMail

_LINE = 1 << 20  # the longest line read at once; longer ones come in pieces


@dataclass
class Raw:
    """One message as read so far."""

    where: str  # the file, or "FILE, message N (line L)" in an mbox, or "stdin"
    header: bytes
    read_all: Callable[[], bytes]  # the whole message; raises BadMail when too large
    received: dt.datetime | None = None  # the delivery time, for a message without a Date
    error: str | None = None  # why it cannot be read at all


@dataclass
class Source:
    """The messages of one path and, when known beforehand, how many there are."""

    path: str
    messages: Iterator[Raw]
    total: int | None


def open_path(path: Path) -> Source:
    """The messages at ``path``; InvalidInput when it holds no mail at all."""
    if path.is_dir():
        files = _maildir_files(path) if _is_maildir(path) else _eml_files(path)
        return Source(str(path), map(_file_message, files), len(files))
    try:
        with path.open("rb") as handle:
            start = handle.read(5)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file or folder") from None
    if start == b"From ":
        return Source(str(path), _mbox(path), None)
    return Source(str(path), iter([_file_message(path)]), 1)


def from_bytes(data: bytes, where: str = "stdin") -> Raw:
    return Raw(where, data, lambda: data)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir_files(path: Path) -> list[str]:
    """The message files, as plain strings: a list of 100,000 Path objects costs 40 MB."""
    return [entry.path for folder in ("cur", "new")
            for entry in sorted(os.scandir(path / folder), key=lambda e: e.name)
            if entry.is_file() and not entry.name.startswith(".")]


def _eml_files(path: Path) -> list[str]:
    files = sorted(str(p) for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
    if not files:
        raise InvalidInput(f"{path}: not a Maildir (no cur/ and new/ folders) and no .eml "
                           "files in it")
    return files


def _file_message(path: str | Path) -> Raw:
    where = str(path)
    try:
        with open(path, "rb") as handle:
            header = _header_block(handle)
            received = dt.datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, dt.UTC)
    except OSError as exc:
        return Raw(where, b"", bytes, error=f"cannot read it: {exc.strerror}")
    if header is None:
        return Raw(where, b"", bytes, error=_TOO_LARGE_HEADER)
    return Raw(where, header, lambda: _whole_file(path), received)


_TOO_LARGE_HEADER = f"its header is larger than {MAX_MAIL_HEADER_BYTES:,} bytes"


def _header_block(handle) -> bytes | None:
    """The lines up to the first blank one; None when they pass the size limit."""
    lines, size = [], 0
    while line := handle.readline(_LINE):
        if line in (b"\n", b"\r\n"):
            break
        size += len(line)
        if size > MAX_MAIL_HEADER_BYTES:
            return None
        lines.append(line)
    return b"".join(lines)


def _whole_file(path: str | Path) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(MAX_MAIL_BYTES + 1)
    if len(data) > MAX_MAIL_BYTES:
        raise BadMail(f"larger than {MAX_MAIL_BYTES:,} bytes")
    return data


# ------------------------------------------------------------------------------------- mbox


def _mbox(path: Path) -> Iterator[Raw]:
    """The messages of an mbox file, read line by line: a message starts at a ``From `` line
    at the top of the file or after a blank line; ``>From `` lines of the body are unquoted."""
    with path.open("rb") as handle:
        reader = _Lines(handle)
        line = reader.next()
        number = 0
        while line:
            number += 1
            where = f"{path}, message {number} (line {reader.number})"
            message = _MboxMessage(reader, _from_line_date(line))
            yield Raw(where, message.header or b"", message.whole, message.received,
                      error=None if message.header is not None else _TOO_LARGE_HEADER)
            line = message.finish()


class _Lines:
    def __init__(self, handle):
        self.handle = handle
        self.number = 0

    def next(self) -> bytes:
        self.number += 1
        return self.handle.readline(_LINE)


class _MboxMessage:
    """One message of an mbox: its header read at once, its body read (or skipped) once."""

    def __init__(self, reader: _Lines, received: dt.datetime | None):
        self.reader = reader
        self.received = received
        lines, size = [], 0
        line = reader.next()
        while line and line not in (b"\n", b"\r\n"):
            size += len(line)
            if size <= MAX_MAIL_HEADER_BYTES:
                lines.append(line)
            line = reader.next()
        self.header = b"".join(lines) if size <= MAX_MAIL_HEADER_BYTES else None
        self.body: list[bytes] | None = None
        self.too_large = False
        self.following = b""  # the next message's From line

    def whole(self) -> bytes:
        if self.body is None:
            self._read_body(keep=True)
        if self.too_large:
            raise BadMail(f"larger than {MAX_MAIL_BYTES:,} bytes")
        return (self.header or b"") + b"\n" + b"".join(self.body)

    def finish(self) -> bytes:
        if self.body is None:
            self._read_body(keep=False)
        return self.following

    def _read_body(self, keep: bool) -> None:
        self.body, size, blank = [], 0, True
        while line := self.reader.next():
            if blank and line.startswith(b"From "):
                self.following = line
                return
            blank = line in (b"\n", b"\r\n")
            size += len(line)
            self.too_large = self.too_large or size > MAX_MAIL_BYTES
            if keep and not self.too_large:
                self.body.append(line[1:] if line.startswith(b">") and (
                    line.lstrip(b">").startswith(b"From ")) else line)
        self.following = b""


def _from_line_date(line: bytes) -> dt.datetime | None:
    """The delivery time an mbox ``From sender Sat Jan  3 01:05:34 1996`` line carries."""
    from email.utils import parsedate_to_datetime

    words = line.decode("ascii", "replace").split()
    try:
        moment = parsedate_to_datetime(" ".join(words[2:7]))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
