"""Storage of what a contact's imported vCard held beyond crmcli's own fields.

``data`` is a JSON object from the vCard reader (photo, kept properties, ...); ``original`` is
the card as imported. Both let an export write back everything the phone gave us.
"""

from __future__ import annotations

import json
from sqlite3 import Connection

from crmcli.dates import now_utc


def load(db: Connection, contact_id: int) -> tuple[dict, str] | None:
    row = db.execute("SELECT data, original FROM contact_cards WHERE contact_id = ?",
                     [contact_id]).fetchone()
    return (json.loads(row[0]), row[1]) if row else None


def load_many(db: Connection, ids: list[int]) -> dict[int, tuple[dict, str]]:
    rows = db.execute(
        "SELECT contact_id, data, original FROM contact_cards"
        " WHERE contact_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    return {row[0]: (json.loads(row[1]), row[2]) for row in rows}


def save(db: Connection, contact_id: int, data: dict, original: str) -> None:
    db.execute(
        "INSERT INTO contact_cards (contact_id, data, original, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (contact_id) DO UPDATE SET data = excluded.data,"
        " original = excluded.original, updated_at = excluded.updated_at",
        [contact_id, json.dumps(data, ensure_ascii=False), original, now_utc()],
    )


def combine(kept: dict, incoming: dict) -> dict:
    """Add what ``incoming`` has and ``kept`` lacks: new list items, missing values."""
    combined = dict(kept)
    for key, value in incoming.items():
        if isinstance(value, list):
            current = list(combined.get(key) or [])
            combined[key] = current + [item for item in value if item not in current]
        elif combined.get(key) in (None, "", {}):
            combined[key] = value
    return combined
