"""Important dates: the anniversary and any other labelled date to remember about a contact
("wedding", "started at ACME"), full or yearless, one table (``contact_dates``, one row per
label). On a ``Contact`` the anniversary is ``anniversary`` and the others are ``dates``;
``contacts`` writes and loads them with the rest of the contact."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.limits import check_text
from crmcli.models import ImportantDate, PartialDate
from crmcli.normalize import fold

if TYPE_CHECKING:
    from sqlite3 import Connection

    from crmcli.models import Contact

ANNIVERSARY = "anniversary"
MAX_LABEL = 60
MAX_DATES = 100  # per contact
_NOT_LABELS = {"birthday": "a birthday has its own flag: --birthday"}


def clean_label(text: str) -> str:
    """The label as stored: spaces collapsed; "Anniversary" in any case is the anniversary."""
    check_text("a date's label", text)
    label = " ".join(text.split())
    if not label or len(label) > MAX_LABEL:
        raise InvalidInput(f"a date's label must be 1 to {MAX_LABEL} characters, "
                           f"not {len(label)}")
    if fold(label) in _NOT_LABELS:
        raise InvalidInput(_NOT_LABELS[fold(label)])
    return ANNIVERSARY if fold(label) == ANNIVERSARY else label


def all_dates(contact: Contact) -> list[ImportantDate]:
    """The anniversary (first, when set) and the other dates of a contact."""
    first = [ImportantDate(ANNIVERSARY, contact.anniversary)] if contact.anniversary else []
    return first + list(contact.dates)


def with_date(contact: Contact, label: str, date: PartialDate | None) -> Contact:
    """The contact with the date of ``label`` set (``None``: removed); not saved."""
    from dataclasses import replace

    label = clean_label(label)
    if label == ANNIVERSARY:
        return replace(contact, anniversary=date)
    others = [d for d in contact.dates if fold(d.label) != fold(label)]
    return replace(contact, dates=others + ([ImportantDate(label, date)] if date else []))


def label_of(contact: Contact, label: str) -> ImportantDate | None:
    return next((d for d in all_dates(contact) if fold(d.label) == fold(label)), None)


def write(db: Connection, contact: Contact) -> bool:
    """Make the contact's stored dates those of ``contact``; whether anything changed."""
    wanted = {fold(d.label): (d.label, str(d.date)) for d in all_dates(contact)}
    if len(wanted) > MAX_DATES:
        raise InvalidInput(f"{contact.name} has {len(wanted)} dates; a contact holds at most "
                           f"{MAX_DATES}")
    stored = {folded: (row_id, label, date) for row_id, label, folded, date in db.execute(
        "SELECT id, label, label_folded, date FROM contact_dates WHERE contact_id = ?",
        [contact.id])}
    gone = [row[0] for folded, row in stored.items() if wanted.get(folded) != row[1:]]
    new = [(contact.id, label, folded, date) for folded, (label, date) in wanted.items()
           if stored.get(folded, (None,))[1:] != (label, date)]
    db.executemany("DELETE FROM contact_dates WHERE id = ?", [(row_id,) for row_id in gone])
    db.executemany("INSERT INTO contact_dates (contact_id, label, label_folded, date)"
                   " VALUES (?, ?, ?, ?)", new)
    return bool(gone or new)


def load_into(db: Connection, contacts: dict[int, Contact]) -> None:
    """Give each loaded contact its anniversary and dates (ordered by month, day, label)."""
    for contact_id, label, date in db.execute(
            "SELECT contact_id, label, date FROM contact_dates"
            " WHERE contact_id IN (SELECT value FROM json_each(?))"
            " ORDER BY contact_id, substr(date, -5), label_folded",
            [json.dumps(list(contacts))]):
        partial = PartialDate.from_storage(date)
        if label == ANNIVERSARY:
            contacts[contact_id].anniversary = partial
        else:
            contacts[contact_id].dates.append(ImportantDate(label, partial))


def occasion_rows(db: Connection, contact_ids_json: str):
    """(contact id, label, stored date) of the dates of the live contacts among
    ``contact_ids_json``."""
    return db.execute("SELECT d.contact_id, d.label, d.date FROM contact_dates d"
                      " JOIN contacts c ON c.id = d.contact_id"
                      " WHERE c.deleted_at IS NULL"
                      " AND d.contact_id IN (SELECT value FROM json_each(?))",
                      [contact_ids_json]).fetchall()


def to_records(contact: Contact) -> list[dict]:
    """The dates besides the anniversary as JSON: ``[{"label": ..., "date": ...}]``."""
    return [{"label": d.label, "date": str(d.date)} for d in contact.dates]


def from_records(items: object, where: str = "dates") -> list[ImportantDate]:
    """``to_records``' form read back; InvalidInput names what is wrong."""
    if not isinstance(items, list):
        raise InvalidInput(f"{where} must be a list of {{\"label\", \"date\"}} objects")
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str) \
                or not isinstance(item.get("date"), str):
            raise InvalidInput(f"{where}: each date is {{\"label\": TEXT, \"date\": DATE}}")
        found.append(ImportantDate(clean_label(item["label"]), parse_stored(item["date"])))
    return found


_STORED = re.compile(r"(\d{4}|-)-(\d\d)-(\d\d)")


def parse_stored(text: str) -> PartialDate:
    """``YYYY-MM-DD`` or ``--MM-DD``, as exports write them (a stand-in year, ``0000``, is
    none); a clear error otherwise."""
    match = _STORED.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError(text)
        year = None if match[1] == "-" else int(match[1])
        return PartialDate.written(year, int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD or --MM-DD)") from None
