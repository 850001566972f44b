"""Notes (and, later, logged interactions) attached to contacts."""

from __future__ import annotations

from collections.abc import Iterable
from sqlite3 import Connection

from crmcli.dates import now_utc
from crmcli.db import transaction
from crmcli.errors import InvalidInput
from crmcli.models import Note


def add_note(db: Connection, contact_id: int, body: str) -> Note:
    return add_notes(db, contact_id, [body])[0]


def add_notes(db: Connection, contact_id: int, bodies: list[str]) -> list[Note]:
    """Attach notes to a contact (one search-index refresh for all of them)."""
    from crmcli.contacts import reindex_notes

    with transaction(db):
        notes = add_note_rows(db, contact_id, bodies)
        reindex_notes(db, contact_id)
    return notes


def add_note_rows(db: Connection, contact_id: int, bodies: Iterable[str]) -> list[Note]:
    """Insert notes without touching the search index (the caller refreshes it)."""
    now = now_utc()
    notes = []
    for body in (body.strip() for body in bodies):
        if not body:
            raise InvalidInput("the note is empty")
        cursor = db.execute("INSERT INTO notes (contact_id, body, created_at, updated_at)"
                            " VALUES (?, ?, ?, ?)", [contact_id, body, now, now])
        notes.append(Note(id=cursor.lastrowid, contact_id=contact_id, body=body,
                          created_at=now, updated_at=now))
    return notes


def notes_for(db: Connection, contact_id: int, limit: int | None = None) -> list[Note]:
    sql = ("SELECT id, contact_id, body, created_at, updated_at FROM notes"
           " WHERE contact_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [Note(id=r[0], contact_id=r[1], body=r[2], created_at=r[3], updated_at=r[4])
            for r in db.execute(sql, [contact_id])]



def notes_by_contact(db: Connection, ids: list[int]) -> dict[int, list[str]]:
    """The note texts of many contacts at once, oldest first."""
    import json

    found: dict[int, list[str]] = {}
    for contact_id, body in db.execute(
        "SELECT contact_id, body FROM notes WHERE deleted_at IS NULL"
        " AND contact_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id",
        [json.dumps(ids)],
    ):
        found.setdefault(contact_id, []).append(body)
    return found
