"""Contacts from CSV: Google Contacts, Outlook and crmcli files (the column map is in
`csv_columns`).

Reading streams the rows, so memory stays flat. The header names the dialect (case-insensitive;
a BOM, spaces around names and a `;` or tab delimiter are tolerated); columns nobody knows are
listed in `CsvContacts.ignored_columns`. Open files with ``newline=""`` so that line breaks inside
quoted cells survive.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput
from crmcli.interchange.csv_columns import (
    COLUMNS,
    GOOGLE_RELATIONS,
    NEUTRALISED,
    OUTLOOK_EMAILS,
    OUTLOOK_PHONES,
    OUTLOOK_URLS,
    SINGULAR,
)
from crmcli.interchange.incoming import head_line, utf8_lines
from crmcli.models import Company, Contact, Detail, ImportantDate, PartialDate
from crmcli.normalize import is_email

_MULTI_SPLIT = re.compile(r"\s*:::\s*")
_NO_DATE = re.compile(r"[0\W]*")
_IDENTITY = {"name", "given", "middle", "family", "company", "emails", "phones"}
_VALID = {"emails": is_email}  # a phone that is not a number is kept as text


@dataclass
class CsvRecord:
    """One data row: `row` counts data rows from 1, `line` is the file line it starts on.

    A row that cannot be imported has an `error` and no `contact`; `warnings` name what a
    contact lost (a bad birthday, an invalid email). Messages leave out the place: see `where`.
    """

    row: int
    line: int
    contact: Contact | None = None
    company: Company | None = None  # a crmcli row whose kind is "company"
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    relations: list = field(default_factory=list)  # vcard_personal.Related

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
    that is not a contacts CSV); rows are read as the result is iterated. ``stream`` is decoded
    with errors="surrogateescape": a byte that is not UTF-8 is named by ``check_utf8``."""
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
        self._records = self._read(csv.reader(utf8_lines(stream, self._header_line + 1),
                                              delimiter=delimiter))

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
        relations = _relations(fields.get("relations", ""))
        for (kind, _), parts in groups.items():
            if kind == "events":
                _add_events(contact, fields, parts, record.warnings)
            elif kind == "related":
                relations += _google_relations(parts)
            else:
                _add_details(contact, kind, parts, record.warnings)
        contact.birthday = self._date(fields.get("birthday", ""), "birthday", record.warnings)
        contact.anniversary = self._date(fields.get("anniversary", ""), "anniversary",
                                         record.warnings)
        contact.dates += _dates(fields.get("dates", ""), record.warnings)
        contact.fields = {name.removeprefix(_FIELD): value for name, value in fields.items()
                          if name.startswith(_FIELD)}
        contact.no_mail = fields.get("no_mail", "").strip().lower() in ("true", "yes", "1")
        _add_personal(contact, fields, self._date, record.warnings)
        contact.name = _name(fields) or _fallback_name(contact)
        if not contact.name:
            record.error = "no name, email, phone or company"
            return record
        record.relations = relations
        record.notes = [fields["notes"]] if "notes" in fields else []
        if fields.get("kind", "").strip().lower() == "company":
            record.company = Company(
                name=contact.company or contact.name, uid=contact.uid, emails=contact.emails,
                phones=contact.phones, addresses=contact.addresses, urls=contact.urls,
                tags=contact.tags, industry=fields.get("industry") or None,
                size=fields.get("size") or None, fields=contact.fields)
        else:
            record.contact = contact
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
    number = 1
    while line := head_line(stream, number):
        if line.strip():
            return _check_header(line.lstrip("\ufeff")), number
        number += 1
    raise InvalidInput("not a contacts CSV: the file is empty")


def _check_header(line: str) -> str:
    start = line.lstrip().upper()
    if start.startswith("BEGIN:VCARD"):
        raise InvalidInput("not a contacts CSV: this is a vCard file (import it as .vcf)")
    if start.startswith("BEGIN:VCALENDAR"):
        raise InvalidInput("not a contacts CSV: this is a calendar (crm import-calendar reads "
                           "its meetings)")
    return line


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
            known = sum(s is not None and not s.field.startswith(_FIELD) for s in slots)
            candidates.append((known, dialect, delimiter, names, slots))
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
        if slot.field in (*COLUMNS, "events", "related"):
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
            warnings.append(f"{SINGULAR[kind]} {value!r} is not valid; imported without it")
        elif value:
            getattr(contact, kind).append(Detail(value, label))


def _add_events(contact: Contact, fields: dict[str, str], parts: dict[str, str],
                warnings: list[str]) -> None:
    """Google's events (several when ` ::: `-joined): the anniversary, and other dates."""
    values = _MULTI_SPLIT.split(parts.get("value", ""))
    labels = _MULTI_SPLIT.split(parts["label"].strip().lstrip("*").strip())
    for index, value in enumerate(values):
        label = labels[index] if len(labels) == len(values) else labels[0]
        if _label(label) == "anniversary":
            fields["anniversary"] = value
        elif value:
            contact.dates += _dates(f"{label or 'event'}: {value}", warnings)


_RELATION = re.compile(r"\s*([^:]+?)\s*:\s*(.*?)(?:\s+\(uid ([^()\s]+)\))?\s*")


def _relations(text: str) -> list:
    """``type: name`` items (``(uid ...)`` after the name of a contact in the book)."""
    from crmcli.interchange.vcard_personal import Related

    found = []
    for item in filter(None, _MULTI_SPLIT.split(text.strip())):
        match = _RELATION.fullmatch(item)
        if match:
            found.append(Related(match[1], match[2], match[3]))
    return found


def _google_relations(parts: dict[str, str]) -> list:
    """Google's Relation N (several when ` ::: `-joined): its type read as crm's (Mother is
    parent, Domestic Partner partner, a custom label a type of its own); the contact in the
    book of that name is linked once the import is in."""
    from crmcli.interchange.vcard_personal import Related, kind_of

    values = _MULTI_SPLIT.split(parts.get("value", ""))
    labels = _MULTI_SPLIT.split(parts["label"].strip().lstrip("*").strip())
    found = []
    for index, value in enumerate(values):
        label = _label(labels[index] if len(labels) == len(values) else labels[0])
        if value:
            found.append(Related(kind_of(GOOGLE_RELATIONS.get(label, label)), value,
                                 by_name=True))
    return found


def _dates(text: str, warnings: list[str]) -> list[ImportantDate]:
    """``label: date`` items, ` ::: `-joined; a bad one is left out with a warning."""
    from crmcli.important_dates import clean_label, parse_stored

    found = []
    for item in filter(None, _MULTI_SPLIT.split(text.strip())):
        label, _, date = item.rpartition(":")
        try:
            found.append(ImportantDate(clean_label(label), parse_stored(date)))
        except InvalidInput as exc:
            warnings.append(f"date {item!r} not imported: {exc}")
    return found


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
    return text[1:] if NEUTRALISED.match(text) else text


# ---------------------------------------------------------------------------- dialects

_GOOGLE_FIELDS = {
    "name": "name", "given name": "given", "first name": "given", "additional name": "middle",
    "middle name": "middle", "family name": "family", "last name": "family",
    "name prefix": "prefix", "name suffix": "suffix", "organization 1 - name": "company",
    "organization name": "company", "organization 1 - title": "title",
    "organization title": "title", "birthday": "birthday", "notes": "notes",
    "group membership": "tags", "labels": "tags"}
_GOOGLE_DETAIL = re.compile(r"(e-mail|phone|address|website|event|relation) (\d+) - (.+)")
_GOOGLE_KINDS = {"e-mail": "emails", "phone": "phones", "address": "addresses",
                 "website": "urls", "event": "events", "relation": "related"}
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


_CRMCLI_FIELDS = ("name", "company", "title", "tags", "birthday", "anniversary", "dates",
                  "relations", "notes", "uid", "kind", "industry", "size", "no_mail",
                  "how_we_met", "met_on", "interests", "gifts")
_CRMCLI_DETAIL = re.compile(r"(email|phone|address|url)_(\d+)(_label)?")
_CRMCLI_KINDS = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls"}
_FIELD = "field:"  # a crmcli column of a custom field
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _add_personal(contact: Contact, fields: dict[str, str], read_date, warnings: list[str]
                  ) -> None:
    """The crmcli columns of personal facts: how_we_met, met_on, interests and gifts (each
    ``YYYY-MM-DD: text`` for a gift given, ``idea: text`` for an idea), several ` ::: `-joined.
    A gift that cannot be read is left out with a warning."""
    from crmcli.gifts import entry

    contact.how_we_met = fields.get("how_we_met", "").strip() or None
    contact.met_on = read_date(fields.get("met_on", ""), "met on", warnings)
    contact.interests = list(filter(None, _MULTI_SPLIT.split(fields.get("interests", "").strip())))
    for text in filter(None, _MULTI_SPLIT.split(fields.get("gifts", "").strip())):
        when, _, description = text.partition(": ")
        if not description:
            when, description = "idea", text
        try:
            contact.gifts.append(entry(description, None if when.strip() == "idea" else when))
        except InvalidInput as problem:
            warnings.append(f"left out a gift: {problem}")


def _crmcli_slot(column: str) -> _Slot | None:
    if column in _CRMCLI_FIELDS:
        return _Slot(column)
    if match := _CRMCLI_DETAIL.fullmatch(column):
        return _Slot(_CRMCLI_KINDS[match[1]], match[2], "label" if match[3] else "value")
    if _FIELD_NAME.fullmatch(column):
        return _Slot(_FIELD + column)
    return None


def _split_tags(separator: str) -> Callable[[str], list[str]]:
    return lambda text: [tag.strip() for tag in text.split(separator) if tag.strip()]


_READERS = (_Dialect("google", _google_slot, _google_tags),
            _Dialect("outlook", _outlook_slot, _split_tags(";"), month_first=True),
            _Dialect("crmcli", _crmcli_slot, _split_tags(",")))
