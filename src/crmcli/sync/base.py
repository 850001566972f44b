"""The base rows: what the last sync agreed with a vdir, item by item, and the conflicts log.
Sync state, not user data: neither journaled nor dumped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from sqlite3 import Connection

from crmcli.sync.props import Props
from crmcli.sync.vdir import FileState

RECENT_CONFLICTS = 100


@dataclass
class Base:
    href: str
    uid: str | None
    state: FileState
    hash: str
    props_text: str  # JSON, parsed only when the item changed
    row_id: int
    row_version: str | None  # the contact's and its company's, as plan.ROW_VERSION reads it
    synced_at: str

    @cached_property
    def props(self) -> Props:
        return json.loads(self.props_text)


def props_text(props: Props) -> str:
    return json.dumps(props, ensure_ascii=False, sort_keys=True)


def load(db: Connection, folder: str, collection: str | None = None) -> Iterator[Base]:
    """The base rows of a folder (of one collection, when a folder holds two: a contacts vdir
    holds contacts and companies)."""
    for row in db.execute(
            "SELECT href, uid, mtime_ns, size, hash, props, row_id, row_version, synced_at"
            " FROM sync_items WHERE folder = ? AND collection = coalesce(?, collection)",
            [folder, collection]):
        yield Base(row[0], row[1], FileState(row[2], row[3]), row[4], row[5], row[6], row[7],
                   row[8])


def save(db: Connection, folder: str, collection: str, base: Base) -> None:
    db.execute(
        "INSERT INTO sync_items (folder, href, collection, uid, mtime_ns, size, hash, props,"
        " row_id, row_version, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (folder, href) DO UPDATE SET uid = excluded.uid,"
        " mtime_ns = excluded.mtime_ns, size = excluded.size, hash = excluded.hash,"
        " props = excluded.props, row_id = excluded.row_id,"
        " row_version = excluded.row_version, synced_at = excluded.synced_at",
        [folder, base.href, collection, base.uid, base.state.mtime_ns, base.state.size,
         base.hash, base.props_text, base.row_id,
         base.row_version, base.synced_at])


def row_ids(db: Connection, collection: str) -> set[int]:
    """The book rows that items of ``collection`` stand for."""
    return {row[0] for row in db.execute("SELECT row_id FROM sync_items WHERE collection = ?",
                                         [collection])}


def forget(db: Connection, folder: str, href: str) -> None:
    db.execute("DELETE FROM sync_items WHERE folder = ? AND href = ?", [folder, href])


def record_conflict(db: Connection, at: str, collection: str, href: str, row_id: int | None,
                    field: str, kept: object, lost: object, winner: str | None,
                    status: str = "resolved") -> None:
    db.execute(
        "INSERT INTO sync_conflicts (at, collection, href, row_id, field, kept, lost, winner,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at, collection, href, row_id, field, _text(kept), _text(lost), winner, status])


def has_unresolved(db: Connection, collection: str) -> bool:
    return db.execute("SELECT 1 FROM sync_conflicts WHERE status = 'unresolved'"
                      " AND collection = ? LIMIT 1", [collection]).fetchone() is not None


def clear_unresolved(db: Connection, collection: str) -> None:
    """Every run finds a collection's problems anew: those of the last run are dropped."""
    db.execute("DELETE FROM sync_conflicts WHERE status = 'unresolved' AND collection = ?",
               [collection])


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# What the row id of each collection's items is.
_RECORDS = {"contacts": "contact", "companies": "company", "tasks": "follow-up",
            "deals": "deal", "cases": "case"}


def conflicts(db: Connection, limit: int = RECENT_CONFLICTS) -> list[dict]:
    """Unresolved problems first, then the latest resolutions; ``record`` names the book's
    row ("company 3"), ``contact_id`` is set for a contact's only."""
    rows = db.execute(
        "SELECT id, at, status, collection, href, row_id, field, kept, lost, winner"
        " FROM sync_conflicts ORDER BY status = 'resolved', id DESC LIMIT ?", [limit])
    keys = ("id", "at", "status", "collection", "href", "record_id", "field", "kept", "lost",
            "winner")
    found = []
    for row in rows:
        record = dict(zip(keys, row, strict=True))
        found.append({**record, "record": _record(record["collection"], record["record_id"]),
                      "contact_id": record["record_id"] if row[3] == "contacts" else None})
    return found


def _record(collection: str, row_id: int | None) -> str | None:
    """"contact 3", "company 2", "follow-up 5", "deal 7", "note 4", "interaction 9"."""
    if row_id is None:
        return None
    if collection == "journal":  # notes have negative ids there, interactions positive
        return f"{'note' if row_id < 0 else 'interaction'} {abs(row_id)}"
    return f"{_RECORDS.get(collection, collection)} {row_id}"
