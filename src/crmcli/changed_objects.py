"""What a transaction changed, as the objects a person (and a hook) thinks in: contacts,
companies and deals, each added, modified or deleted.

The journal already holds every row a transaction changed; this module maps each row to the
object it belongs to (``OWNERS``), shows an object as it was before the transaction (by
reversing the transaction's changes inside a savepoint), and can take a transaction back and
put it again (``snapshot``/``replay``), so that ``pre-`` hooks run with no lock held.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import search, undo, userdata
from crmcli.errors import CrmError

# Each user table's rows belong to an object: (kind, the column that holds the object's id).
# Tables whose rows belong to no object (a field's definition) map to None; a test keeps this
# complete against userdata.USER_TABLES.
OWNERS: dict[str, tuple[str, str] | None] = {
    "companies": ("company", "id"), "company_field_values": ("company", "record_id"),
    "company_details": ("company", "company_id"), "company_tags": ("company", "company_id"),
    "company_notes": ("company", "company_id"), "company_cards": ("company", "company_id"),
    "contacts": ("contact", "id"), "contact_details": ("contact", "contact_id"),
    "contact_tags": ("contact", "contact_id"), "contact_cards": ("contact", "contact_id"),
    "notes": ("contact", "contact_id"), "interactions": ("contact", "contact_id"),
    "followups": ("contact", "contact_id"), "relationships": ("contact", "contact_id"),
    "contact_field_values": ("contact", "record_id"), "contact_dates": ("contact", "contact_id"),
    "contact_interests": ("contact", "contact_id"), "contact_gifts": ("contact", "contact_id"),
    "deals": ("deal", "id"), "deal_stage_changes": ("deal", "deal_id"),
    "custom_fields": None, "mail_opt_outs": ("contact", "contact_id"),
    "segments": None, "campaigns": None, "campaign_recipients": None,
    # A case is its contact's (else its company's, see FALLBACK_OWNERS); every entry in its
    # history also changes the case's row, so the history itself needs no owner.
    "cases": ("contact", "contact_id"), "case_events": None,
    "calendar_events": ("contact", "contact_id"),
}
# Owners for rows whose first owner's column is empty: a case opened for a company alone.
FALLBACK_OWNERS = {"cases": ("company", "company_id")}
_OBJECT_TABLES = {"contact": "contacts", "company": "companies", "deal": "deals"}


class Conflict(CrmError):
    """Another writer changed the same rows while the hooks ran."""


@dataclass(frozen=True)
class Change:
    id: int
    table: str
    row_id: int
    kind: str
    old: dict


@dataclass
class Changed:
    """One object a transaction changed; ``event`` is add, modify or delete."""

    kind: str
    id: int
    event: str = "modify"
    before: dict | None = None
    after: dict | None = None
    rows: list[Change] = field(default_factory=list)


def changes_since(db: Connection, operation_id: int, after_change: int) -> list[Change]:
    return [Change(change_id, table, row_id, kind, json.loads(old) if old else {})
            for change_id, table, row_id, kind, old in db.execute(
                "SELECT id, table_name, row_id, kind, old FROM journal_changes"
                " WHERE operation_id = ? AND id > ? ORDER BY id", [operation_id, after_change])]


def last_change(db: Connection) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM journal_changes").fetchone()[0]


def objects(db: Connection, changes: list[Change]) -> dict[tuple[str, int], Changed]:
    """The objects these changes belong to, in the order they were first changed, each with
    its event (from whether it was there, and not in the trash, before and after)."""
    found: dict[tuple[str, int], Changed] = {}
    for change in changes:
        for key in _owners(db, change):
            found.setdefault(key, Changed(*key)).rows.append(change)
    return found


def _owners(db: Connection, change: Change) -> list[tuple[str, int]]:
    owner = OWNERS.get(change.table)
    if owner is None:
        return []
    kind, column = owner
    if column == "id":
        return [(kind, change.row_id)]
    fallback = FALLBACK_OWNERS.get(change.table)
    return _owners_by(db, change, kind, column) or (
        _owners_by(db, change, *fallback) if fallback else [])


def _owners_by(db: Connection, change: Change, kind: str, column: str) -> list[tuple[str, int]]:
    row = db.execute(f'SELECT "{column}" FROM {change.table} WHERE rowid = ?',
                     [change.row_id]).fetchone()
    ids = {row[0] if row else None, change.old.get(column)} - {None}
    return [(kind, value) for value in sorted(ids)]


def presence(db: Connection, kind: str, object_id: int) -> str:
    """``live``, ``trashed`` or ``absent``."""
    table = _OBJECT_TABLES[kind]
    has_trash = "deleted_at" in userdata.columns(db, table)
    row = db.execute(f"SELECT {'deleted_at' if has_trash else 'NULL'} FROM {table}"
                     " WHERE id = ?", [object_id]).fetchone()
    return "absent" if row is None else "trashed" if row[0] else "live"


def event(before: str, after: str) -> str | None:
    """add (created, or back from the trash), delete (gone, or to the trash), or modify."""
    if before != "live" and after == "live":
        return "add"
    if before == "live" and after != "live":
        return "delete"
    return "modify" if after != "absent" else None


@contextmanager
def as_before(db: Connection, changes: list[Change]) -> Iterator[None]:
    """The book as it was before ``changes`` (inside the caller's transaction), for as long
    as the block runs; everything is put back afterwards."""
    db.execute("SAVEPOINT as_before")
    try:
        undo.reverse(db, [(c.table, c.kind, c.row_id, json.dumps(c.old) if c.old else None)
                          for c in reversed(changes)])
        yield
    finally:
        db.execute("ROLLBACK TO as_before")
        db.execute("RELEASE as_before")


# ---------------------------------------------------------------------------------- replay

Rows = dict[tuple[str, int], dict | None]


def snapshot(db: Connection, changes: list[Change]) -> Rows:
    """Every row ``changes`` touched, whole (cache columns aside), or None when absent."""
    rows: Rows = {}
    for change in changes:
        key = (change.table, change.row_id)
        if key not in rows:
            cursor = db.execute(f"SELECT rowid AS _rowid_, * FROM {change.table}"
                                " WHERE rowid = ?", [change.row_id])
            names = [column[0] for column in cursor.description]
            found = cursor.fetchone()
            cached = userdata.CACHE_COLUMNS.get(change.table, ())
            rows[key] = None if found is None else {
                name: value for name, value in zip(names, found, strict=True)
                if name not in cached}
    return rows


def replay(db: Connection, before: Rows, after: Rows,
           skip: Callable[[str, int], bool] = lambda table, row_id: False) -> None:
    """Put ``after`` in place of ``before`` (inside the caller's transaction), refusing if a
    row is no longer as ``before`` had it; rows ``skip`` names are left as they are."""
    now = snapshot(db, [Change(0, table, row_id, "", {}) for table, row_id in before])
    if _unversioned(now) != _unversioned(before):
        raise Conflict("another command changed the same rows while the hooks ran; nothing "
                       "was changed: run the command again")
    db.execute("PRAGMA defer_foreign_keys = ON")
    keys = sorted((key for key in before if not skip(*key)), key=_parents_first)
    for table, row_id in reversed(keys):
        if after[table, row_id] is None:
            db.execute(f"DELETE FROM {table} WHERE rowid = ?", [row_id])
    for table, row_id in keys:
        old, new = before[table, row_id], after[table, row_id]
        if new is None:
            continue
        values = {name: value for name, value in new.items()
                  if old is None or name not in userdata.VERSION_COLUMNS.get(table, ())}
        names = ", ".join(name if name == "_rowid_" else f'"{name}"' for name in values)
        if old is None:
            db.execute(f"INSERT INTO {table} ({names}) VALUES"
                       f" ({', '.join('?' * len(values))})", list(values.values()))
        else:
            settings = ", ".join(f'"{name}" = ?' for name in values if name != "_rowid_")
            db.execute(f"UPDATE {table} SET {settings} WHERE rowid = ?",
                       [value for name, value in values.items() if name != "_rowid_"]
                       + [row_id])
    _reindex(db, keys, before, after)


def _unversioned(rows: Rows) -> Rows:
    """Rows without their version (an undo raises it too, so the reversed book has another)."""
    return {key: row and {name: value for name, value in row.items()
                          if name not in userdata.VERSION_COLUMNS.get(key[0], ())}
            for key, row in rows.items()}


def _parents_first(key: tuple[str, int]) -> tuple[int, int]:
    table, row_id = key
    return (userdata.USER_TABLES.index(table) if table in userdata.USER_TABLES else 99, row_id)


def _reindex(db: Connection, keys: list[tuple[str, int]], before: Rows, after: Rows) -> None:
    """The search rows of the contacts and notes replayed rows belong to (before or after)."""
    contacts, notes = set(), set()
    for table, row_id in keys:
        owner = OWNERS.get(table)
        rows = [row for row in (before[table, row_id], after[table, row_id]) if row]
        if owner and owner[0] == "contact":
            contacts.update(row[owner[1]] for row in rows)
        elif owner and owner[0] == "company":
            contacts.update(contact_id for row in rows for (contact_id,) in db.execute(
                "SELECT id FROM contacts WHERE company_id = ?", [row[owner[1]]]))
        if table == "notes":
            notes.add(row_id)
    search.refresh(db, contacts, notes)
