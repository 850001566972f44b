"""Contacts as CSV in any of the three dialects of `csv_columns`.

Writing gives 3 email, 3 phone, 2 address and 2 URL columns. Google and crmcli put the ones beyond
into the last column, ` ::: `-joined with their labels, so nothing is lost. Outlook has no place
for email or URL labels, a 4th email, a 2nd URL, an address or phone once the columns for its
label and Other Street / Other Phone are taken, the order of phones, or a date without a year:
`write_contacts` warns of each value it leaves out. An address or phone whose label
has no column of its own goes to Other Street / Other Phone and comes back unlabelled; cell comes
back as mobile.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

from crmcli.errors import InvalidInput
from crmcli.interchange.csv_columns import (
    COLUMNS,
    DIALECTS,
    GOOGLE_RELATION_LABELS,
    MULTI,
    NEUTRALISED,
    OUTLOOK_ADDRESSES,
    OUTLOOK_EMAILS,
    OUTLOOK_PHONES,
    OUTLOOK_URLS,
    SINGULAR,
)
from crmcli.models import Contact, Detail, PartialDate
from crmcli.text import spreadsheet_safe

_OUTLOOK_ALIASES = {"cell": "mobile"}


def write_contacts(records: Iterable[tuple], stream: TextIO,
                   dialect: str = "google", field_names: Sequence[str] = (),
                   warn: Callable[[str], None] | None = None) -> list[str]:
    """Write (contact, notes), or (contact, notes, a company's own cells, relationships), as
    RFC 4180 CSV in ``dialect`` (google, outlook, crmcli; crmcli adds a column for each custom
    field of ``field_names``, named after it).

    Returns a warning for each value the dialect has no place for (Outlook only: extra emails,
    URLs, addresses and phones; yearless birthdays and anniversaries, whose cells stay empty);
    with ``warn``, gives each to it as it comes instead (memory stays flat however many).
    """
    if dialect not in _WRITERS:
        raise InvalidInput(f"unknown CSV dialect {dialect!r}: use {', '.join(DIALECTS)}")
    header, row = _WRITERS[dialect]
    if dialect == "crmcli":
        header = [*header, *field_names]
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    warnings: list[str] = []
    warn = warn or warnings.append
    for contact, notes, *more in records:  # more: a company's cells, the relationships
        cells = row(contact, "\n\n".join(n.strip() for n in notes if n.strip()), warn)
        cells |= more[0] if more else {}
        if dialect == "crmcli" and len(more) > 1:
            cells["relations"] = MULTI.join(map(relation_text, more[1]))
        elif dialect == "google" and len(more) > 1:
            cells |= _google_relations(more[1])
        writer.writerow([_neutralise(cells.get(column, "")) for column in header])
    return warnings


def _neutralise(text: str) -> str:
    """spreadsheet_safe, and one more quote where reading would otherwise remove one."""
    return "'" + text if NEUTRALISED.match(text) else spreadsheet_safe(text)


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
    "Event 2 - Type", "Event 2 - Value",
    *(f"{prefix} {n} - {part}" for kind, prefix, value in _GOOGLE_DETAILS
      for n in range(1, COLUMNS[kind] + 1) for part in ("Type", value)),
    "Relation 1 - Type", "Relation 1 - Value", "Relation 2 - Type", "Relation 2 - Value"]


def _google_row(contact: Contact, notes: str, warn: Callable[[str], None]) -> dict[str, str]:
    given, family = _split_name(contact.name)
    groups = ["* myContacts", *("* starred" if tag == "starred" else tag for tag in contact.tags)]
    cells = {"Name": contact.name, "Given Name": given, "Family Name": family,
             "Birthday": _date(contact.birthday), "Notes": notes,
             "Group Membership": MULTI.join(groups),
             "Organization 1 - Name": contact.company or "",
             "Organization 1 - Title": contact.title or ""}
    events = [("Anniversary", str(contact.anniversary))] if contact.anniversary else []
    events += [(date.label, str(date.date)) for date in contact.dates]
    for n, (value, label) in enumerate(_slots([Detail(v, t) for t, v in events], 2), 1):
        cells |= {f"Event {n} - Type": label, f"Event {n} - Value": value}
    for kind, prefix, value_part in _GOOGLE_DETAILS:
        for n, (value, label) in enumerate(_slots(getattr(contact, kind), COLUMNS[kind]), 1):
            cells |= {f"{prefix} {n} - Type": label.title(), f"{prefix} {n} - {value_part}": value}
    return cells


def _google_relations(relations: list) -> dict[str, str]:
    """Relation N - Type/Value: Google's label for its types, crm's type for the others."""
    related = [Detail(r.name, GOOGLE_RELATION_LABELS.get(r.kind, r.kind)) for r in relations]
    cells = {}
    for n, (value, label) in enumerate(_slots(related, 2), 1):
        cells |= {f"Relation {n} - Type": label, f"Relation {n} - Value": value}
    return cells


_OUTLOOK_HEADER = [
    "First Name", "Middle Name", "Last Name", "Title", "Suffix", "Company", "Job Title",
    *OUTLOOK_ADDRESSES, *OUTLOOK_PHONES, *OUTLOOK_EMAILS, *OUTLOOK_URLS, "Birthday",
    "Anniversary", "Categories", "Notes"]


def _outlook_row(contact: Contact, notes: str, warn: Callable[[str], None]) -> dict[str, str]:
    first, last = _split_name(contact.name)
    cells = {"First Name": first, "Last Name": last, "Company": contact.company or "",
             "Job Title": contact.title or "", "Categories": ";".join(contact.tags),
             "Notes": notes}
    for column, date in (("Birthday", contact.birthday), ("Anniversary", contact.anniversary)):
        if date and date.year is None:
            warn(f"{contact.name}: {column.lower()} {date} not written (Outlook needs a year)")
        elif date:
            cells[column] = f"{date.month}/{date.day}/{date.year:04d}"
    for kind, columns in (("emails", OUTLOOK_EMAILS), ("phones", OUTLOOK_PHONES),
                          ("addresses", OUTLOOK_ADDRESSES), ("urls", OUTLOOK_URLS)):
        for detail in getattr(contact, kind):
            if not _place(cells, columns, detail):
                warn(f"{contact.name}: {SINGULAR[kind]} {detail.value!r} not written (no free "
                     "Outlook column)")
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
    "tags", "birthday", "anniversary", "dates", "relations", "notes", "uid", "kind", "industry",
    "size", "no_mail", "how_we_met", "met_on", "interests", "gifts"]


def _crmcli_row(contact: Contact, notes: str, warn: Callable[[str], None]) -> dict[str, str]:
    cells = {"name": contact.name, "company": contact.company or "", "title": contact.title or "",
             "tags": ",".join(contact.tags), "birthday": _date(contact.birthday),
             "anniversary": _date(contact.anniversary),
             "dates": MULTI.join(f"{d.label}: {d.date}" for d in contact.dates), "notes": notes,
             "uid": contact.uid or "", "no_mail": "true" if contact.no_mail else "",
             "how_we_met": contact.how_we_met or "", "met_on": _date(contact.met_on),
             "interests": MULTI.join(contact.interests),
             "gifts": MULTI.join(f"{gift.given_on or 'idea'}: {gift.description}"
                                 for gift in contact.gifts)}
    cells |= {name: _field_text(value) for name, value in contact.fields.items()}
    for kind, key in _CRMCLI_DETAILS:
        for n, (value, label) in enumerate(_slots(getattr(contact, kind), COLUMNS[kind]), 1):
            cells |= {f"{key}_{n}": value, f"{key}_{n}_label": label}
    return cells


def relation_text(related) -> str:
    """``manager: Bo Chen (uid 5f0c...)`` for a contact in the book, ``spouse: Rui Lima``."""
    return f"{related.kind}: {related.name}" + (f" (uid {related.uid})" if related.uid else "")


def _field_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_WRITERS = {"google": (_GOOGLE_HEADER, _google_row), "outlook": (_OUTLOOK_HEADER, _outlook_row),
            "crmcli": (_CRMCLI_HEADER, _crmcli_row)}
