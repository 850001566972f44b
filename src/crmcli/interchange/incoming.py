"""What an import reads and reports: the records of any format (vCard, CSV, JSON), the policy
for a record that matches a contact already in the book, and the report (see ``importer``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from crmcli.errors import InvalidInput
from crmcli.models import Company, Contact

# A byte that is not UTF-8, as a text stream opened with errors="surrogateescape" reads it.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")
MAX_HEAD_LINE = 1 << 16  # characters of a CSV file's header line, or a line of notes before it


class OnDuplicate(StrEnum):
    merge = "merge"  # add what is new, never overwrite a value silently
    skip = "skip"  # leave the existing contact alone
    new = "new"  # always create a new contact
    update = "update"  # overwrite the fields the record carries (JSON bulk edits)


@dataclass
class Incoming:
    """One record read from a file, or the reason it could not be read."""

    where: str  # "card 17 (line 204)", "row 5", "record 3"
    contact: Contact | None = None
    company: Company | None = None  # a company's record (a company vCard, JSON, CSV row)
    notes: list[str] = field(default_factory=list)
    card: dict | None = None  # vCard data beyond crmcli's fields, see interchange.stored_cards
    original: str | None = None
    rendered: str | None = None  # the card ready to export again, when it was valid 3.0
    fields: set[str] | None = None  # attributes the record sets, when it is partial
    match_details: bool = True  # may match by email or name+phone (JSON: only UID or id)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # complete messages, with their place
    relations: list = field(default_factory=list)  # vcard_personal.Related, linked at the end
    linkedin: bool = False  # a LinkedIn connection: matched by profile URL; its job is current
    card_hash: str | None = None  # a digest of the card's text, to recognise it unchanged
    unread: Callable[[], Incoming] | None = None  # reads the record when it is needed
    contact_id: int | None = None  # the contact it went to, once imported

    def read(self) -> None:
        """Read the record in place if it is not yet (a vCard is read only when the import
        needs more than its digest)."""
        if self.unread is not None:
            vars(self).update(vars(self.unread()))


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    messages: list[str] = field(default_factory=list)
    job_changes: list[str] = field(default_factory=list)  # "Ana Lima: COO at A → CEO at B"

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped + self.failed

    def mark(self, related: list) -> tuple:
        """Where the report (and ``related``, the relationships waiting to be linked) stand
        now."""
        return (self.created, self.updated, self.unchanged, self.skipped, self.failed,
                len(self.messages), len(self.job_changes), len(related))

    def rewind(self, mark: tuple, related: list) -> None:
        """Forget what was reported since ``mark`` (its batch was rolled back)."""
        (self.created, self.updated, self.unchanged, self.skipped, self.failed, messages,
         job_changes, related_then) = mark
        del self.messages[messages:]
        del self.job_changes[job_changes:]
        del related[related_then:]


def check_utf8(line: str, number: int) -> None:
    """Refuse a line of a CSV file holding a byte that is not UTF-8 (the file read with
    errors="surrogateescape", which lets the decoder go on), naming where it is."""
    if found := _NOT_UTF8.search(line):
        raise InvalidInput(f"line {number}, column {found.start() + 1}: not UTF-8 text (byte "
                           f"0x{ord(found[0]) - 0xDC00:02X}); save the file as UTF-8 CSV")


def head_line(stream, number: int) -> str:
    """Line ``number`` of a CSV file's head (its header, and LinkedIn's notes before it),
    read whole: binary data, a byte that is not UTF-8 or a line longer than MAX_HEAD_LINE
    is an error (a longer line was read as a header cut short and a row of the rest)."""
    line = stream.readline(MAX_HEAD_LINE + 1)
    check_utf8(line, number)
    if _BINARY.search(line):
        raise InvalidInput("not a contacts CSV: binary data (a spreadsheet? save it as CSV)")
    if len(line) > MAX_HEAD_LINE:
        raise InvalidInput(f"line {number}: longer than {MAX_HEAD_LINE:,} characters, the "
                           "limit for a CSV header line")
    return line


def utf8_lines(lines: Iterable[str], first: int) -> Iterator[str]:
    """The lines (the first numbered ``first``), each checked by :func:`check_utf8`."""
    for number, line in enumerate(lines, first):
        check_utf8(line, number)
        yield line
