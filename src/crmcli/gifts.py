"""Gift ideas and gifts given, per contact: a gift with ``given_on`` was given that day; one
without is an idea."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound, shown
from crmcli.limits import check_text
from crmcli.models import GiftEntry

if TYPE_CHECKING:
    from sqlite3 import Connection

MAX_DESCRIPTION = 200
MAX_GIFTS = 500  # of one contact in an imported record


@dataclass(frozen=True)
class Gift:
    id: int
    contact_id: int
    description: str
    given_on: dt.date | None
    created_at: str


def add(db: Connection, contact_id: int, description: str, given_on: dt.date | None) -> Gift:
    check_text("a gift", description)
    description = " ".join(description.split())
    if not description or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"a gift must be 1 to {MAX_DESCRIPTION} characters, "
                           f"not {len(description)}")
    with transaction(db):
        now = now_stamp(db)
        cursor = db.execute(
            "INSERT INTO contact_gifts (contact_id, description, given_on, created_at)"
            " VALUES (?, ?, ?, ?)",
            [contact_id, description, given_on.isoformat() if given_on else None, now])
    return Gift(cursor.lastrowid, contact_id, description, given_on, now)


def for_contact(db: Connection, contact_id: int) -> list[Gift]:
    """The contact's gifts: ideas first (newest first), then those given, latest first."""
    return [_gift(row) for row in db.execute(
        "SELECT id, contact_id, description, given_on, created_at FROM contact_gifts"
        " WHERE contact_id = ? ORDER BY given_on IS NOT NULL, given_on DESC, id DESC",
        [contact_id])]


def entries_of(db: Connection, contact_ids: list[int]) -> dict[int, list[GiftEntry]]:
    """Each contact's gifts as files carry them, in the order they were noted."""
    import json

    found: dict[int, list[GiftEntry]] = {}
    for contact_id, description, given_on in db.execute(
            "SELECT contact_id, description, given_on FROM contact_gifts WHERE contact_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY contact_id, id",
            [json.dumps(contact_ids)]):
        found.setdefault(contact_id, []).append(GiftEntry(description, given_on))
    return found


def add_missing(db: Connection, contact_id: int, entries: list[GiftEntry]) -> bool:
    """Note the gifts of an imported record the contact does not have yet (the same text,
    in any case, given the same day or both ideas); whether any was added."""
    from crmcli.normalize import fold

    have = {(fold(entry.description), entry.given_on)
            for entry in entries_of(db, [contact_id]).get(contact_id, [])}
    added = False
    for entry in entries:
        key = (fold(" ".join(entry.description.split())), entry.given_on)
        if key not in have:
            given = dt.date.fromisoformat(entry.given_on) if entry.given_on else None
            add(db, contact_id, entry.description, given)
            have.add(key)
            added = True
    return added


def entry(description: object, given_on: object) -> GiftEntry:
    """A gift read from a file, checked: a text and a YYYY-MM-DD date or nothing."""
    if not isinstance(description, str) or not description.strip():
        raise InvalidInput("a gift needs a description (text)")
    if given_on in (None, ""):
        return GiftEntry(" ".join(description.split()))
    try:
        day = dt.date.fromisoformat(given_on) if isinstance(given_on, str) else None
    except ValueError:
        day = None
    if day is None or len(given_on) != 10:
        raise InvalidInput(f"gift {shown(description)}: given on {shown(given_on)} is not a date "
                           "(YYYY-MM-DD)")
    return GiftEntry(" ".join(description.split()), day.isoformat())


def remove(db: Connection, gift_id: int) -> Gift:
    row = db.execute("SELECT id, contact_id, description, given_on, created_at"
                     " FROM contact_gifts WHERE id = ?", [gift_id]).fetchone()
    if row is None:
        raise NotFound(f"no gift #{gift_id} (crm gifts REF lists them)")
    with transaction(db):
        db.execute("DELETE FROM contact_gifts WHERE id = ?", [gift_id])
    return _gift(row)


def _gift(row) -> Gift:
    return Gift(row[0], row[1], row[2], dt.date.fromisoformat(row[3]) if row[3] else None,
                row[4])


def to_record(gift: Gift) -> dict:
    return {"id": gift.id, "contact_id": gift.contact_id, "description": gift.description,
            "given_on": gift.given_on.isoformat() if gift.given_on else None,
            "idea": gift.given_on is None, "created_at": gift.created_at}
