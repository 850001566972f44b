"""Notes (and, later, logged interactions) attached to contacts."""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.dates import now_utc
from crmcli.db import transaction
from crmcli.errors import InvalidInput
from crmcli.models import Note


def add_note(db: Database, contact_id: int, body: str) -> Note:
    from crmcli.contacts import reindex

    body = body.strip()
    if not body:
        raise InvalidInput("the note is empty")
    now = now_utc()
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO notes (contact_id, body, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [contact_id, body, now, now],
        )
        reindex(db, contact_id)
    return Note(id=cursor.lastrowid, contact_id=contact_id, body=body, created_at=now,
                updated_at=now)


def notes_for(db: Database, contact_id: int, limit: int | None = None) -> list[Note]:
    sql = ("SELECT id, contact_id, body, created_at, updated_at FROM notes"
           " WHERE contact_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [Note(id=r[0], contact_id=r[1], body=r[2], created_at=r[3], updated_at=r[4])
            for r in db.execute(sql, [contact_id])]

