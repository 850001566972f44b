"""Where imports come from: a file, a directory of .vcf files (a vdir), or stdin; which format
it holds; and the records it yields for the importer, read lazily."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import BinaryIO

from crmcli.errors import InvalidInput
from crmcli.interchange.incoming import Incoming, check_utf8
from crmcli.interchange.vcard_records import read_vcard
from crmcli.locations import expand_home


class Format(StrEnum):
    vcard = "vcard"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


_SUFFIXES = {".vcf": Format.vcard, ".vcard": Format.vcard, ".csv": Format.csv,
             ".json": Format.json, ".jsonl": Format.jsonl, ".ndjson": Format.jsonl}
_SNIFF_BYTES = 4096
_SCAN_CHARACTERS = 1 << 20  # of a line, at a time


@dataclass
class Source:
    """One input: ``name`` for messages, ``stream`` to read (None for a file of a directory
    until its turn comes), ``size`` in bytes when known."""

    name: str
    stream: BinaryIO | None
    size: int | None


def open_sources(location: str) -> list[Source]:
    """The inputs behind ``location``: ``-`` for stdin, a file, or every .vcf in a directory."""
    if location == "-":
        return [Source("stdin", sys.stdin.buffer, None)]
    if not location.strip():  # Path('') is the current directory
        raise InvalidInput("the file to import is empty: give a file, a directory or - (stdin)")
    path = Path(expand_home(location))
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".vcf", ".vcard"))
        if not files:
            raise InvalidInput(f"{path}: the directory has no .vcf files")
        # Opened one at a time as they are read: a vdir of thousands of cards would pass the
        # limit of open files (often 1,024, or 256 on macOS).
        return [Source(str(file), None, _size(file)) for file in files]
    return [_open_file(path)]


def _regular(path: Path) -> Path:
    """A directory's entry to open: a pipe or a device named .vcf would block or never end."""
    if path.exists() and not path.is_file():
        raise InvalidInput(f"{path}: not a regular file")
    return path


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:  # a dangling link: reported when its turn comes
        return None


def _open_file(path: Path) -> Source:
    try:
        return Source(str(path), path.open("rb"), path.stat().st_size)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc


def detect_format(source: Source) -> Format:
    """From the file name, else from the first bytes (vCard, JSON array/object, JSON Lines)."""
    by_suffix = _SUFFIXES.get(Path(source.name).suffix.lower())
    if by_suffix:
        return by_suffix
    head = _peek(source)
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text[:11].upper() == "BEGIN:VCARD" or "BEGIN:VCARD" in text.upper():
        return Format.vcard
    if text.startswith("["):
        return Format.json
    if text.startswith("{"):
        _, _, rest = text.partition("\n")
        return Format.jsonl if rest.lstrip().startswith("{") or not rest.strip() else Format.json
    return Format.csv


def _peek(source: Source) -> bytes:
    """The first bytes of a stream without consuming them (stdin is buffered into memory
    only as far as the sniffed head)."""
    if source.stream.seekable():
        head = source.stream.read(_SNIFF_BYTES)
        source.stream.seek(0)
        return head
    head = source.stream.read(_SNIFF_BYTES)
    source.stream = _Prefixed(head, source.stream)
    return head


class _Prefixed(io.RawIOBase):
    """A stream that replays ``head`` before the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size], self.head = self.head[:size], self.head[size:]
            return size
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_all(inputs: list[Source], formats: list[Format], date_order: str, today: dt.date,
             on_source=None) -> Iterator[Incoming]:
    """The records of every input in turn. A file that cannot be read at all is an error
    naming it; among several (a directory) it is reported and skipped."""
    for source, fmt in zip(inputs, formats, strict=True):
        opened = source.stream is None
        try:
            if opened:
                source.stream = _open_file(_regular(Path(source.name))).stream
            if on_source:
                on_source(source)
            yield from read_records(source, fmt, date_order, today)
        except InvalidInput as exc:
            if len(inputs) == 1:
                raise InvalidInput(f"{source.name}: {exc}") from exc
            yield Incoming(source.name, error=str(exc))
        finally:
            if opened and source.stream is not None:
                source.stream.close()


def read_records(source: Source, fmt: Format, date_order: str, today: dt.date
                 ) -> Iterator[Incoming]:
    """The records of one input; numeric dates read in ``date_order``, two-digit years up to
    ``today``'s."""
    if fmt == Format.vcard:
        yield from _vcard_records(source)
    elif fmt == Format.csv:
        yield from _csv_records(source, date_order, today)
    else:
        from crmcli.interchange import jsonfile

        yield from jsonfile.read(source.stream, today, lines=fmt == Format.jsonl)


def _text(source: Source) -> io.TextIOWrapper:
    """A CSV input as text. A byte that is not UTF-8 is let through, for the readers to name
    its line (a strict decoder fails on a whole block of the file, at the first line read);
    a file is checked whole first, so that nothing of it is imported."""
    if _file_on_disk(source.stream):
        _check_utf8(source.stream)
    return io.TextIOWrapper(source.stream, encoding="utf-8-sig", errors="surrogateescape",
                            newline="")


def _file_on_disk(stream: BinaryIO) -> bool:
    """Whether ``stream`` is a regular file, to be read twice: /dev/zero is seekable too, and
    endless (its check never ended)."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):  # io.UnsupportedOperation is both: a stream in memory
        return False


def _check_utf8(stream: BinaryIO) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape",
                            newline="")
    try:
        number = 1
        while part := text.readline(_SCAN_CHARACTERS):
            check_utf8(part, number)
            number += part.endswith(("\n", "\r"))
    finally:
        text.detach()
        stream.seek(0)


def _vcard_records(source: Source) -> Iterator[Incoming]:
    """The cards of a vCard input, each with the digest of its text, read only when the
    importer asks (``Incoming.read``, or ahead in a worker: see ``read_ahead``): a card it
    recognises unchanged by its digest is never read."""
    from crmcli.interchange.vcard_split import iter_raw_cards

    prefix = f"{source.name}: " if source.name.endswith((".vcf", ".vcard")) else ""
    for raw in iter_raw_cards(source.stream):
        digest = _digest(raw.text)
        yield Incoming(prefix + raw.where(), card_hash=digest,
                       unread=partial(read_vcard, raw, prefix, digest))


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _listed(names: list[str], shown: int = 100) -> str:
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _csv_records(source: Source, date_order: str, today: dt.date) -> Iterator[Incoming]:
    from crmcli.interchange import linkedin
    from crmcli.interchange.csv_read import read_contacts

    is_linkedin, stream = linkedin.sniff(_text(source))
    if is_linkedin:
        yield from linkedin.read(stream, date_order, today)
        return
    rows = read_contacts(stream, date_order, today)
    notice = ([f"{source.name}: columns not imported: {_listed(rows.ignored_columns)}"]
              if rows.ignored_columns else [])
    for record in rows:
        yield Incoming(record.where, contact=record.contact, company=record.company,
                       notes=record.notes, error=record.error, relations=record.relations,
                       warnings=notice + [f"{record.where}: {w}" for w in record.warnings])
        notice = []
