"""Saved segments: a name for a query (``crm segment save vip-madrid 'tag:vip city:madrid'``),
used as ``@vip-madrid`` in any query. Dynamic: the query is stored, not its members, so a
segment is evaluated each time it is used."""

from __future__ import annotations

import re
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Segment:
    name: str
    query: str
    id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


def check_name(name: str, what: str = "segment") -> str:
    """The stored form of a segment's (or campaign's) name: lower case letters, digits, ``-``,
    ``_``, ``.``."""
    folded = name.strip().lower().removeprefix("@")
    if not _NAME.fullmatch(folded):
        raise InvalidInput(f"{what} name {name[:70]!r}: use up to 64 letters, digits, '-', "
                           "'_' or '.', starting with a letter or digit")
    return folded


def save(db: Connection, name: str, query: str) -> tuple[Segment, bool]:
    """Store the segment, replacing the query of one with that name; returns it and whether
    it is new."""
    name = check_name(name)
    stamp = now_stamp(db)
    with transaction(db):
        existing = find(db, name)
        if existing is None:
            db.execute("INSERT INTO segments (name, query, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?)", [name, query, stamp, stamp])
        elif existing.query != query:
            db.execute("UPDATE segments SET query = ?, updated_at = ? WHERE name = ?",
                       [query, stamp, name])
    found = find(db, name)
    assert found is not None
    return found, existing is None


def find(db: Connection, name: str) -> Segment | None:
    row = db.execute("SELECT name, query, id, created_at, updated_at FROM segments"
                     " WHERE name = ?", [name.strip().lower().removeprefix("@")]).fetchone()
    return Segment(*row) if row else None


def get(db: Connection, name: str) -> Segment:
    found = find(db, name)
    if found is None:
        known = ", ".join(segment.name for segment in all_segments(db)) or "none yet"
        raise NotFound(f"no segment {name[:70]!r} (saved segments: {known})")
    return found


def all_segments(db: Connection) -> list[Segment]:
    return [Segment(*row) for row in db.execute(
        "SELECT name, query, id, created_at, updated_at FROM segments ORDER BY name")]


def remove(db: Connection, name: str) -> Segment:
    segment = get(db, name)
    with transaction(db):
        db.execute("DELETE FROM segments WHERE id = ?", [segment.id])
    return segment


def to_record(segment: Segment, count: int | None) -> dict:
    """The segment and how many contacts it holds (None: it no longer evaluates)."""
    return {"name": segment.name, "query": segment.query, "created_at": segment.created_at,
            "updated_at": segment.updated_at, "count": count}
