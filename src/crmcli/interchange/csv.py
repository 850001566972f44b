"""Contacts as CSV: read Google Contacts, Outlook and crmcli files; write any of the three.

Reading streams the rows, so memory stays flat. The header names the dialect (case-insensitive;
a BOM, spaces around names and a `;` or tab delimiter are tolerated); columns nobody knows are
listed in `CsvContacts.ignored_columns`. Open files with ``newline=""`` so that line breaks inside
quoted cells survive.

Column map (Google, old and new layout | Outlook | crmcli)
    name       Name, else Name Prefix + Given/First Name + Additional/Middle Name + Family/Last
               Name + Name Suffix | Title + First + Middle + Last Name + Suffix | name.
               With no name at all: the company, else the first email, else the first phone.
    company    Organization 1 - Name, Organization Name | Company | company
    title      Organization 1 - Title, Organization Title | Job Title | title
    emails     E-mail N - Type/Label + Value | E-mail Address, E-mail 2/3 Address | email_N(_label)
    phones     Phone N - Type/Label + Value | one column per label (`OUTLOOK_PHONES`: Mobile Phone
               is mobile, Business Phone work, Business Fax work fax, Other Phone no label...) |
               phone_N(_label)
    addresses  Address N - Type/Label + Formatted (else Street, City, Region, ...) | Business,
               Home, Other Street/Street 2/City/State/Postal Code/Country/Region | address_N(_label)
    urls       Website N - Type/Label + Value | Web Page | url_N(_label)
    tags       Group Membership, Labels (` ::: `) | Categories (`;`) | tags (`,`)
    birthday   Birthday: YYYY-MM-DD or --MM-DD | M/D/YYYY, 0/0/00 for none | as Google
    anniversary  Event N - Type "Anniversary" + Event N - Value | Anniversary | anniversary
    notes      Notes | Notes | notes (several notes are written as one, split by a blank line)
    uid        - | - | uid

Google's types lose their primary-marking star and their case (`* Work` -> work); ` ::: ` separates
several values in one cell; the `* myContacts` group is dropped and `* starred` becomes a tag.
Numeric birthdays other than these follow ``date_order``; Outlook's are month-first, and one that
only reads day-first (17/5/1980) is taken so, with a warning.

Writing gives 3 email, 3 phone, 2 address and 2 URL columns. Google and crmcli put the ones beyond
into the last column, ` ::: `-joined with their labels, so nothing is lost. Outlook has no place
for email or URL labels, a 4th email, a 2nd URL, an address or phone once the columns for its
label and Other Street / Other Phone are taken, the order of phones, or a date without a year:
`write_contacts` returns a warning for each value it leaves out. An address or phone whose label
has no column of its own goes to Other Street / Other Phone and comes back unlabelled; cell comes
back as mobile.

Every cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`
(one more when it already starts with quotes and such a character); reading removes exactly one,
so `+34 612 345 678` and `--02-29` round-trip (other programs' importers may keep the quote).
The crmcli dialect ends with the contact's `uid`, so that re-importing its own file updates the
same contacts. Kept by no dialect: ids, timestamps, spaces around values, the split between
several notes, tags holding the dialect's tag separator.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput
from crmcli.models import Contact, Detail, PartialDate
from crmcli.normalize import is_email
from crmcli.text import spreadsheet_safe

DIALECTS = ("google", "outlook", "crmcli")
COLUMNS = {"emails": 3, "phones": 3, "addresses": 2, "urls": 2}
MULTI = " ::: "
HEADER_LIMIT = 1 << 20

OUTLOOK_PHONES = {
    "Business Phone": "work", "Business Phone 2": "work", "Home Phone": "home",
    "Home Phone 2": "home", "Mobile Phone": "mobile", "Other Phone": "", "Business Fax": "work fax",
    "Home Fax": "home fax", "Other Fax": "fax", "Pager": "pager", "Car Phone": "car",
    "Company Main Phone": "main", "Assistant's Phone": "assistant", "Primary Phone": "primary",
    "Callback": "callback", "Radio Phone": "radio", "ISDN": "isdn", "TTY/TDD Phone": "tty",
    "Telex": "telex"}
OUTLOOK_EMAILS = {"E-mail Address": "", "E-mail 2 Address": "", "E-mail 3 Address": ""}
OUTLOOK_ADDRESSES = {"Business Street": "work", "Home Street": "home", "Other Street": ""}
OUTLOOK_URLS = {"Web Page": ""}
_OUTLOOK_ALIASES = {"cell": "mobile"}

_MULTI_SPLIT = re.compile(r"\s*:::\s*")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")
_NO_DATE = re.compile(r"[0\W]*")
_IDENTITY = {"name", "given", "middle", "family", "company", "emails", "phones"}
_VALID = {"emails": is_email}  # a phone that is not a number is kept as text
_SINGULAR = {"emails": "email", "phones": "phone", "addresses": "address", "urls": "URL"}


@dataclass
class CsvRecord:
    """One data row: `row` counts data rows from 1, `line` is the file line it starts on.

    A row that cannot be imported has an `error` and no `contact`; `warnings` name what a
    contact lost (a bad birthday, an invalid email). Messages leave out the place: see `where`.
    """

    row: int
    line: int
    contact: Contact | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def where(self) -> str:
        return f"row {self.row} (line {self.line})"


@dataclass(frozen=True)
class _Slot:
    """Where a column's cells go: a contact field, or one part of a detail."""

    field: str  # "name", "given", "birthday"..., or a detail kind: "emails", "events"...
    group: str = ""  # which detail of its kind: "1", "mobile phone", "business"
    part: str = "value"  # "value", "label" or an address part: "street", "city"...
    label: str = ""  # the label a fixed column gives (Outlook's Mobile Phone: mobile)


@dataclass(frozen=True)
class _Dialect:
    name: str
    slot: Callable[[str], _Slot | None]  # folded column name -> slot
    tags: Callable[[str], list[str]]
    month_first: bool = False


# ------------------------------------------------------------------------------ reading


def read_contacts(stream: TextIO, date_order: str, today: dt.date) -> CsvContacts:
    """The contacts of a CSV file. The header is read at once (raising InvalidInput for a file
    that is not a contacts CSV); rows are read as the result is iterated."""
    return CsvContacts(stream, date_order, today)


class CsvContacts(Iterator[CsvRecord]):
    """The records of one file, read lazily, with what its header told: `dialect` ("google",
    "outlook" or "crmcli"), `columns` as written and `ignored_columns` (those not imported)."""

    def __init__(self, stream: TextIO, date_order: str, today: dt.date):
        line, self._header_line = _read_header(stream)
        self._dialect, delimiter, self.columns, self._slots = _detect(line)
        self.dialect = self._dialect.name
        unknown = zip(self.columns, self._slots, strict=True)
        self.ignored_columns = [name.strip() for name, slot in unknown if not slot and name.strip()]
        self._date_order, self._today = date_order, today
        self._records = self._read(csv.reader(stream, delimiter=delimiter))

    def __next__(self) -> CsvRecord:
        return next(self._records)

    def _read(self, reader) -> Iterator[CsvRecord]:
        row, line = 0, self._header_line + 1
        while True:
            try:
                cells, error = next(reader), None
            except StopIteration:
                return
            except csv.Error as exc:
                cells, error = [], f"not readable as CSV: {exc}"
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"line {line}: {_not_utf8(exc)}") from exc
            row += 1
            if error or any(cell.strip() for cell in cells):
                yield self._record(CsvRecord(row, line, error=error), cells)
            line = self._header_line + reader.line_num + 1

    def _record(self, record: CsvRecord, cells: list[str]) -> CsvRecord:
        if not record.error and len(cells) != len(self._slots):
            record.error = f"{len(cells)} cells where the header has {len(self._slots)}"
        if record.error:
            return record
        fields, groups = _collect(self._slots, cells)
        contact = Contact(name="", uid=fields.get("uid") or None,
                          company=fields.get("company"), title=fields.get("title"),
                          tags=self._dialect.tags(fields.get("tags", "")))
        for (kind, _), parts in groups.items():
            if kind == "events":
                _add_event(fields, parts, record.warnings)
            else:
                _add_details(contact, kind, parts, record.warnings)
        contact.birthday = self._date(fields.get("birthday", ""), "birthday", record.warnings)
        contact.anniversary = self._date(fields.get("anniversary", ""), "anniversary",
                                         record.warnings)
        contact.name = _name(fields) or _fallback_name(contact)
        if not contact.name:
            record.error = "no name, email, phone or company"
            return record
        record.contact = contact
        record.notes = [fields["notes"]] if "notes" in fields else []
        return record

    def _date(self, text: str, what: str, warnings: list[str]) -> PartialDate | None:
        if _NO_DATE.fullmatch(text):
            return None
        orders = ["MDY", self._date_order] if self._dialect.month_first else [self._date_order]
        for order in dict.fromkeys(orders):
            try:
                date = parse_partial_date(text, order, self._today)
            except InvalidInput:
                continue
            if order != orders[0]:
                warnings.append(f"{what} {text!r} read as {order}")
            return date
        warnings.append(f"{what} {text!r} is not a date; imported without it")
        return None


def _read_header(stream: TextIO) -> tuple[str, int]:
    """The first line that is not blank, and its line number."""
    number = 0
    try:
        while line := stream.readline(HEADER_LIMIT):
            number += 1
            if line.strip():
                return _check_header(line.lstrip("\ufeff")), number
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"line {number + 1}: {_not_utf8(exc)}") from exc
    raise InvalidInput("not a contacts CSV: the file is empty")


def _check_header(line: str) -> str:
    if _BINARY.search(line):
        raise InvalidInput("not a contacts CSV: binary data (a spreadsheet? save it as CSV)")
    if line.lstrip().upper().startswith("BEGIN:VCARD"):
        raise InvalidInput("not a contacts CSV: this is a vCard file (import it as .vcf)")
    if len(line) >= HEADER_LIMIT:
        raise InvalidInput("not a contacts CSV: the first line is longer than 1 MiB")
    return line


def _not_utf8(exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 text ({exc.reason}); save the file as UTF-8 CSV"


def _detect(line: str) -> tuple[_Dialect, str, list[str], list[_Slot | None]]:
    """The dialect and delimiter that know most of the header's columns."""
    candidates = []
    for delimiter in ",;\t":
        try:
            names = next(csv.reader([line], delimiter=delimiter))
        except csv.Error as exc:
            raise InvalidInput(f"not a contacts CSV: the header is not CSV ({exc})") from exc
        for dialect in _READERS:
            slots = [dialect.slot(" ".join(name.split()).casefold()) for name in names]
            candidates.append((sum(s is not None for s in slots), dialect, delimiter, names, slots))
    _, dialect, delimiter, names, slots = max(candidates, key=lambda candidate: candidate[0])
    if not _IDENTITY & {slot.field for slot in slots if slot}:
        shown = ", ".join(name.strip() for name in names[:6])
        raise InvalidInput(f"not a contacts CSV: no name, email, phone or company column in the "
                           f"header ({shown})")
    return dialect, delimiter, names, slots


def _collect(slots: list[_Slot | None], cells: list[str]
             ) -> tuple[dict[str, str], dict[tuple[str, str], dict[str, str]]]:
    """A row's non-empty cells: contact fields by name, and the parts of each detail."""
    fields: dict[str, str] = {}
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for slot, cell in zip(slots, cells, strict=True):
        value = _unneutralise(cell).strip()
        if slot is None or not value:
            continue
        if slot.field in (*COLUMNS, "events"):
            groups.setdefault((slot.field, slot.group), {"label": slot.label})[slot.part] = value
        else:
            fields[slot.field] = value
    return fields, groups


def _add_details(contact: Contact, kind: str, parts: dict[str, str], warnings: list[str]):
    """Add one column group's values (several when ` ::: `-joined) to the contact."""
    values = _MULTI_SPLIT.split(parts.get("value") or _address(parts))
    labels = [_label(label) for label in _MULTI_SPLIT.split(parts["label"])]
    for index, value in enumerate(values):
        label = labels[index] if len(labels) == len(values) else labels[0]
        if value and not _VALID.get(kind, bool)(value):
            warnings.append(f"{_SINGULAR[kind]} {value!r} is not valid; imported without it")
        elif value:
            getattr(contact, kind).append(Detail(value, label))


def _add_event(fields: dict[str, str], parts: dict[str, str], warnings: list[str]) -> None:
    """Google's events: an anniversary is kept, other kinds of date are not."""
    label = _label(parts["label"])
    if label == "anniversary":
        fields["anniversary"] = parts.get("value", "")
    elif "value" in parts:
        warnings.append(f"event {label or 'without a type'} {parts['value']!r} not imported")


def _address(parts: dict[str, str]) -> str:
    """One address from its parts: street lines, "City, Region Postcode", country."""
    region = " ".join(filter(None, (parts.get("region"), parts.get("postal code"))))
    lines = [parts.get(part) for part in ("street", "street 2", "street 3", "extended", "po box")]
    lines += [", ".join(filter(None, (parts.get("city"), region))), parts.get("country")]
    return "\n".join(filter(None, lines))


def _label(text: str) -> str:
    return text.strip().lstrip("*").strip().lower()


def _name(fields: dict[str, str]) -> str:
    parts = ("prefix", "given", "middle", "family", "suffix")
    return fields.get("name") or " ".join(fields[part] for part in parts if part in fields)


def _fallback_name(contact: Contact) -> str:
    details = contact.emails or contact.phones
    return contact.company or (details[0].value if details else "")


def _unneutralise(text: str) -> str:
    return text[1:] if _NEUTRALISED.match(text) else text


# ---------------------------------------------------------------------------- dialects

_GOOGLE_FIELDS = {
    "name": "name", "given name": "given", "first name": "given", "additional name": "middle",
    "middle name": "middle", "family name": "family", "last name": "family",
    "name prefix": "prefix", "name suffix": "suffix", "organization 1 - name": "company",
    "organization name": "company", "organization 1 - title": "title",
    "organization title": "title", "birthday": "birthday", "notes": "notes",
    "group membership": "tags", "labels": "tags"}
_GOOGLE_DETAIL = re.compile(r"(e-mail|phone|address|website|event) (\d+) - (.+)")
_GOOGLE_KINDS = {"e-mail": "emails", "phone": "phones", "address": "addresses",
                 "website": "urls", "event": "events"}
_GOOGLE_PARTS = {"type": "label", "label": "label", "value": "value", "formatted": "value"}
_ADDRESS_PARTS = {"street": "street", "street 2": "street 2", "street 3": "street 3",
                  "extended address": "extended", "po box": "po box", "address po box": "po box",
                  "city": "city", "region": "region", "state": "region",
                  "postal code": "postal code", "country": "country",
                  "country/region": "country"}


def _google_slot(column: str) -> _Slot | None:
    if column in _GOOGLE_FIELDS:
        return _Slot(_GOOGLE_FIELDS[column])
    match = _GOOGLE_DETAIL.fullmatch(column)
    if not match:
        return None
    kind, part = _GOOGLE_KINDS[match[1]], match[3]
    if part in _GOOGLE_PARTS:
        return _Slot(kind, match[2], _GOOGLE_PARTS[part])
    if kind == "addresses" and part in _ADDRESS_PARTS:
        return _Slot(kind, match[2], _ADDRESS_PARTS[part])
    return None


def _google_tags(text: str) -> list[str]:
    groups = (group for group in _MULTI_SPLIT.split(text) if group.lower() != "* mycontacts")
    return [tag for tag in (group.lstrip("*").strip() for group in groups) if tag]


_OUTLOOK_FIELDS = {
    "first name": "given", "middle name": "middle", "last name": "family", "title": "prefix",
    "suffix": "suffix", "company": "company", "job title": "title", "birthday": "birthday",
    "anniversary": "anniversary", "notes": "notes", "categories": "tags"}
_OUTLOOK_DETAILS = {column.casefold(): (kind, label) for kind, columns in (
    ("phones", OUTLOOK_PHONES), ("emails", OUTLOOK_EMAILS), ("urls", OUTLOOK_URLS))
    for column, label in columns.items()}
_OUTLOOK_PLACES = {"business": "work", "home": "home", "other": ""}


def _outlook_slot(column: str) -> _Slot | None:
    if column in _OUTLOOK_FIELDS:
        return _Slot(_OUTLOOK_FIELDS[column])
    if column in _OUTLOOK_DETAILS:
        kind, label = _OUTLOOK_DETAILS[column]
        return _Slot(kind, column, label=label)
    place, _, part = column.partition(" ")
    if place in _OUTLOOK_PLACES and part in _ADDRESS_PARTS:
        return _Slot("addresses", place, _ADDRESS_PARTS[part], _OUTLOOK_PLACES[place])
    return None


_CRMCLI_FIELDS = ("name", "company", "title", "tags", "birthday", "anniversary", "notes", "uid")
_CRMCLI_DETAIL = re.compile(r"(email|phone|address|url)_(\d+)(_label)?")
_CRMCLI_KINDS = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls"}


def _crmcli_slot(column: str) -> _Slot | None:
    if column in _CRMCLI_FIELDS:
        return _Slot(column)
    if match := _CRMCLI_DETAIL.fullmatch(column):
        return _Slot(_CRMCLI_KINDS[match[1]], match[2], "label" if match[3] else "value")
    return None


def _split_tags(separator: str) -> Callable[[str], list[str]]:
    return lambda text: [tag.strip() for tag in text.split(separator) if tag.strip()]


_READERS = (_Dialect("google", _google_slot, _google_tags),
            _Dialect("outlook", _outlook_slot, _split_tags(";"), month_first=True),
            _Dialect("crmcli", _crmcli_slot, _split_tags(",")))


# ------------------------------------------------------------------------------ writing


def write_contacts(records: Iterable[tuple[Contact, list[str]]], stream: TextIO,
                   dialect: str = "google") -> list[str]:
    """Write contacts and their notes as RFC 4180 CSV in ``dialect`` (google, outlook, crmcli).

    Returns a warning for each value the dialect has no place for (Outlook only: extra emails,
    URLs, addresses and phones; yearless birthdays and anniversaries, whose cells stay empty).
    """
    if dialect not in _WRITERS:
        raise InvalidInput(f"unknown CSV dialect {dialect!r}: use {', '.join(DIALECTS)}")
    header, row = _WRITERS[dialect]
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    warnings: list[str] = []
    for contact, notes in records:
        cells = row(contact, "\n\n".join(n.strip() for n in notes if n.strip()), warnings)
        writer.writerow([_neutralise(cells.get(column, "")) for column in header])
    return warnings


def _neutralise(text: str) -> str:
    """spreadsheet_safe, and one more quote where reading would otherwise remove one."""
    return "'" + text if _NEUTRALISED.match(text) else spreadsheet_safe(text)


def _slots(details: list[Detail], count: int) -> list[tuple[str, str]]:
    """(value, label) per column; details that do not fit are ` ::: `-joined into the last."""
    slots = [(detail.value, detail.label) for detail in details[:count - 1]]
    rest = details[count - 1:]
    if rest:
        labels = [detail.label for detail in rest]
        label = labels[0] if len(set(labels)) == 1 else MULTI.join(labels)
        slots.append((MULTI.join(detail.value for detail in rest), label))
    return slots


def _split_name(name: str) -> tuple[str, str]:
    """First and last name: the last word is the family name."""
    *given, family = name.split() or [""]
    return (" ".join(given), family) if given else (family, "")


def _date(date: PartialDate | None) -> str:
    return str(date) if date else ""


_GOOGLE_DETAILS = (("emails", "E-mail", "Value"), ("phones", "Phone", "Value"),
                   ("addresses", "Address", "Formatted"), ("urls", "Website", "Value"))
_GOOGLE_HEADER = [
    "Name", "Given Name", "Family Name", "Birthday", "Notes", "Group Membership",
    "Organization 1 - Name", "Organization 1 - Title", "Event 1 - Type", "Event 1 - Value",
    *(f"{prefix} {n} - {part}" for kind, prefix, value in _GOOGLE_DETAILS
      for n in range(1, COLUMNS[kind] + 1) for part in ("Type", value))]


def _google_row(contact: Contact, notes: str, warnings: list[str]) -> dict[str, str]:
    given, family = _split_name(contact.name)
    groups = ["* myContacts", *("* starred" if tag == "starred" else tag for tag in contact.tags)]
    cells = {"Name": contact.name, "Given Name": given, "Family Name": family,
             "Birthday": _date(contact.birthday), "Notes": notes,
             "Group Membership": MULTI.join(groups),
             "Organization 1 - Name": contact.company or "",
             "Organization 1 - Title": contact.title or ""}
    if contact.anniversary:
        cells |= {"Event 1 - Type": "Anniversary", "Event 1 - Value": str(contact.anniversary)}
    for kind, prefix, value_part in _GOOGLE_DETAILS:
        for n, (value, label) in enumerate(_slots(getattr(contact, kind), COLUMNS[kind]), 1):
            cells |= {f"{prefix} {n} - Type": label.title(), f"{prefix} {n} - {value_part}": value}
    return cells


_OUTLOOK_HEADER = [
    "First Name", "Middle Name", "Last Name", "Title", "Suffix", "Company", "Job Title",
    *OUTLOOK_ADDRESSES, *OUTLOOK_PHONES, *OUTLOOK_EMAILS, *OUTLOOK_URLS, "Birthday",
    "Anniversary", "Categories", "Notes"]


def _outlook_row(contact: Contact, notes: str, warnings: list[str]) -> dict[str, str]:
    first, last = _split_name(contact.name)
    cells = {"First Name": first, "Last Name": last, "Company": contact.company or "",
             "Job Title": contact.title or "", "Categories": ";".join(contact.tags),
             "Notes": notes}
    for column, date in (("Birthday", contact.birthday), ("Anniversary", contact.anniversary)):
        if date and date.year is None:
            warnings.append(f"{contact.name}: {column.lower()} {date} not written (Outlook needs "
                            "a year)")
        elif date:
            cells[column] = f"{date.month}/{date.day}/{date.year:04d}"
    for kind, columns in (("emails", OUTLOOK_EMAILS), ("phones", OUTLOOK_PHONES),
                          ("addresses", OUTLOOK_ADDRESSES), ("urls", OUTLOOK_URLS)):
        for detail in getattr(contact, kind):
            if not _place(cells, columns, detail):
                warnings.append(f"{contact.name}: {_SINGULAR[kind]} {detail.value!r} not "
                                "written (no free Outlook column)")
    return cells


def _place(cells: dict[str, str], columns: dict[str, str], detail: Detail) -> bool:
    """Put a detail in the first free column for its label, else in a free unlabelled one."""
    label = _OUTLOOK_ALIASES.get(detail.label, detail.label)
    free = [column for column in columns if column not in cells]
    for wanted in (label, ""):
        column = next((column for column in free if columns[column] == wanted), None)
        if column:
            cells[column] = detail.value
            return True
    return False


_CRMCLI_DETAILS = (("emails", "email"), ("phones", "phone"), ("addresses", "address"),
                   ("urls", "url"))
_CRMCLI_HEADER = [
    "name", "company", "title",
    *(f"{key}_{n}{suffix}" for kind, key in _CRMCLI_DETAILS
      for n in range(1, COLUMNS[kind] + 1) for suffix in ("", "_label")),
    "tags", "birthday", "anniversary", "notes", "uid"]


def _crmcli_row(contact: Contact, notes: str, warnings: list[str]) -> dict[str, str]:
    cells = {"name": contact.name, "company": contact.company or "", "title": contact.title or "",
             "tags": ",".join(contact.tags), "birthday": _date(contact.birthday),
             "anniversary": _date(contact.anniversary), "notes": notes,
             "uid": contact.uid or ""}
    for kind, key in _CRMCLI_DETAILS:
        for n, (value, label) in enumerate(_slots(getattr(contact, kind), COLUMNS[kind]), 1):
            cells |= {f"{key}_{n}": value, f"{key}_{n}_label": label}
    return cells


_WRITERS = {"google": (_GOOGLE_HEADER, _google_row), "outlook": (_OUTLOOK_HEADER, _outlook_row),
            "crmcli": (_CRMCLI_HEADER, _crmcli_row)}
