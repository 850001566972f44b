"""LinkedIn's connections export (``Connections.csv``): recognised by its "Notes:" preamble or
its header, read into contacts.

The file starts with a few lines of notes, a blank line, then the header ``First Name, Last
Name, URL, Email Address, Company, Position, Connected On``. A connection brings its name,
company and position (the title), the profile URL (a URL labelled ``linkedin``, written to
vCards as ``X-SOCIALPROFILE;TYPE=linkedin``), the email when the person shares it, the day
you connected as the day you met (``met_on``), and the tag ``linkedin``.

A record is matched to the book by its profile URL, then its email, then its name alone (one
live contact of that name); its company and position are the person's current job, so a
different one is a job change (see :mod:`crmcli.job_changes`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import TextIO

from crmcli.errors import InvalidInput
from crmcli.interchange.incoming import Incoming, head_line, utf8_lines
from crmcli.interchange.vcard_fields import LINKEDIN
from crmcli.models import Contact, Detail, PartialDate

LABEL = LINKEDIN
TAG = "linkedin"
COLUMNS = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position",
           "Connected On")
REQUIRED = ("First Name", "Last Name", "URL", "Company", "Position", "Connected On")
_PREAMBLE_LINES = 50  # lines of notes read, at most, before the header
# The forms LinkedIn has written Connected On in ("12 Mar 2024", "Mar 12, 2024", ISO);
# numeric ones (3/12/24) follow the configured date order.
_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%Y-%m-%d")


def sniff(stream: TextIO) -> tuple[bool, TextIO]:
    """Whether ``stream`` holds a LinkedIn export, and the stream to read it from (the lines
    looked at are given back, so another reader sees the file whole). ``stream`` is decoded
    with errors="surrogateescape": a byte that is not UTF-8 is named by ``check_utf8``."""
    seen: list[str] = []
    while len(seen) < _PREAMBLE_LINES and (line := head_line(stream, len(seen) + 1)):
        seen.append(line)
        if line.strip():
            break
    first = seen[-1].lstrip("\ufeff").strip() if seen else ""
    found = first.casefold().startswith("notes:") or _only_linkedin_has(_cells(first))
    return found, _Replayed(seen, stream)


def read(stream: TextIO, date_order: str, today: dt.date) -> Iterator[Incoming]:
    """The connections of an export (its preamble skipped); InvalidInput before the first
    record when the header is missing or lacks a column."""
    names, line = _header(stream)
    index = {name.strip().casefold(): position for position, name in enumerate(names)}
    reader = csv.reader(utf8_lines(stream, line + 1))
    row = 0
    while True:
        start = line + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            yield Incoming(f"row {row} (line {start})", error=f"not readable as CSV: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        row += 1
        yield _record(f"row {row} (line {start})", cells, index, len(names), date_order, today)


def _header(stream: TextIO) -> tuple[list[str], int]:
    """The header's cells and its line number, past the notes."""
    for number in range(1, _PREAMBLE_LINES + 1):
        text = head_line(stream, number)
        if not text:
            break
        cells = _cells(text.lstrip("\ufeff"))
        if not _is_header(cells):
            continue
        missing = [name for name in REQUIRED if name.casefold() not in _folded(cells)]
        if missing:
            raise InvalidInput(f"LinkedIn export, line {number}: the header has no "
                               f"{' or '.join(missing)} column (expected: {', '.join(COLUMNS)})")
        return cells, number
    raise InvalidInput("LinkedIn export: no header line (First Name, Last Name, URL, ...) "
                       "after its notes")


def _cells(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def _folded(cells: list[str]) -> set[str]:
    return {cell.strip().casefold() for cell in cells}


def _is_header(cells: list[str]) -> bool:
    """After the notes: the line that names several of LinkedIn's columns."""
    return len(_folded(cells) & {name.casefold() for name in COLUMNS}) >= 3


def _only_linkedin_has(cells: list[str]) -> bool:
    """A header without the notes is LinkedIn's when it has a column no other contacts CSV
    has (Outlook's has First Name, Last Name and Company too)."""
    names = _folded(cells)
    return "connected on" in names or {"url", "position"} <= names


def _record(where: str, cells: list[str], index: dict[str, int], width: int,
            date_order: str, today: dt.date) -> Incoming:
    if len(cells) != width:
        return Incoming(where, error=f"{len(cells)} cells where the header has {width}")

    def cell(name: str) -> str:
        position = index.get(name.casefold())
        return " ".join(cells[position].split()) if position is not None else ""

    warnings: list[str] = []
    email, url = cell("Email Address"), cell("URL").rstrip("/")
    name = " ".join(filter(None, (cell("First Name"), cell("Last Name")))) or email
    if not name:
        return Incoming(where, error="no name")
    contact = Contact(name=name, company=cell("Company") or None,
                      title=cell("Position") or None, tags=[TAG],
                      emails=[Detail(email)] if email else [],
                      urls=[Detail(url, LABEL)] if url else [],
                      met_on=_date(cell("Connected On"), date_order, today, where, warnings))
    return Incoming(where, contact=contact, linkedin=True, warnings=warnings)


def _date(text: str, date_order: str, today: dt.date, where: str, warnings: list[str]
          ) -> PartialDate | None:
    """Connected On as a date; a form no table knows is left out with a warning."""
    from crmcli.dates import parse_partial_date

    if not text:
        return None
    for form in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
        return PartialDate(day.year, day.month, day.day)
    try:
        found = parse_partial_date(text, date_order, today)
    except InvalidInput:
        found = None
    if found is None or found.year is None:
        warnings.append(f"{where}: Connected On {text!r} is not a date; imported without it")
        return None
    return found


class _Replayed:
    """A text stream that gives back ``lines`` before the rest of ``stream``."""

    def __init__(self, lines: list[str], stream: TextIO):
        self._lines, self._stream = list(lines), stream

    def readline(self, limit: int = -1) -> str:
        return self._lines.pop(0) if self._lines else self._stream.readline(limit)

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line
