"""Undo: revert one journaled operation, as a new operation (so undoing an undo redoes).

An operation can be undone when no later operation touched the same rows; an operation and
the undo of it cancel out in that check. Its changes are reversed newest first in one
transaction (foreign keys checked at commit, since a cascade records a parent before or after
its children), and the search index is rebuilt for the contacts and notes it touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import search, userdata
from crmcli.db import SCHEMA_VERSION, transaction
from crmcli.errors import CrmError, NotFound
from crmcli.journal import Operation, Recorder, get, recent

_SHOWN_CONFLICTS = 5


class Refused(CrmError):
    """An undo that would overwrite a later change, or cross a schema upgrade."""


def target(db: Connection, operation_id: int | None) -> Operation:
    """The operation ``crm undo [ID]`` means: the given one, else the newest."""
    found = get(db, operation_id) if operation_id is not None else next(
        iter(recent(db, 1)), None)
    if found is None:
        raise NotFound(f"no operation #{operation_id} in the journal (see crm journal)"
                       if operation_id is not None else "the journal is empty: nothing to undo")
    return found


def undo(db: Connection, recorder: Recorder, operation: Operation) -> None:
    """Revert ``operation`` as part of ``recorder``'s operation, or refuse saying why."""
    _check(db, operation)
    recorder.undoes, recorder.what = operation.id, f"undo {operation.id}"
    with transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        touched = _Touched()
        changes = db.execute("SELECT table_name, row_id, kind, old FROM journal_changes"
                             " WHERE operation_id = ? ORDER BY id DESC", [operation.id])
        for table, row_id, kind, old in changes.fetchall():
            _revert(db, table, row_id, kind, json.loads(old) if old else {}, touched)
        search.refresh(db, touched.contacts, touched.notes)


def _check(db: Connection, operation: Operation) -> None:
    if operation.schema_version != SCHEMA_VERSION:
        raise Refused(f"cannot undo #{operation.id} ({operation.what}): it was made before the "
                      "book's schema was upgraded")
    skipped = _cancelled_since(db, operation)
    conflicts = db.execute(
        "SELECT DISTINCT later.operation_id, later.table_name, later.row_id"
        " FROM journal_changes later JOIN journal_changes mine"
        " ON mine.table_name = later.table_name AND mine.row_id = later.row_id"
        " WHERE mine.operation_id = ? AND later.operation_id > ?"
        " AND later.operation_id NOT IN (SELECT value FROM json_each(?))"
        " ORDER BY later.operation_id, later.table_name, later.row_id",
        [operation.id, operation.id, json.dumps(sorted(skipped))]).fetchall()
    if conflicts:
        raise Refused(_conflict_message(db, operation, conflicts))


def _cancelled_since(db: Connection, operation: Operation) -> set[int]:
    """Later operations that an undo cancelled out, with those undos (newest first, so a
    redo, the undo of an undo, brings its operation back into play)."""
    cancelled: set[int] = set()
    for later in db.execute("SELECT id, undoes FROM journal_operations WHERE id > ?"
                            " ORDER BY id DESC", [operation.id]).fetchall():
        later_id, undoes = later
        if later_id in cancelled or undoes is None or undoes < operation.id:
            continue
        if undoes == operation.id:
            raise Refused(f"#{operation.id} ({operation.what}) is already undone by "
                          f"#{later_id}; `crm undo {later_id}` redoes it")
        cancelled |= {later_id, undoes}
    return cancelled


def _conflict_message(db: Connection, operation: Operation, conflicts: list[tuple]) -> str:
    by_operation: dict[int, list[str]] = {}
    for later_id, table, row_id in conflicts:
        by_operation.setdefault(later_id, []).append(f"{table} #{row_id}")
    shown = [f"#{later_id} ({get(db, later_id).what}: {', '.join(rows[:3])}"
             + (", ..." if len(rows) > 3 else "") + ")"
             for later_id, rows in list(by_operation.items())[:_SHOWN_CONFLICTS]]
    more = len(by_operation) - len(shown)
    return (f"cannot undo #{operation.id} ({operation.what}): later operations changed the "
            f"same rows: {'; '.join(shown)}" + (f" and {more} more" if more > 0 else "")
            + "; undo those first")


@dataclass
class _Touched:
    """The contacts and notes whose search rows an undo must rebuild."""

    contacts: set[int] = field(default_factory=set)
    notes: set[int] = field(default_factory=set)
    columns: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, str | None] = field(default_factory=dict)

    def known(self, db: Connection, table: str) -> list[str]:
        if table not in self.columns:
            self.columns[table] = userdata.columns(db, table)
            self.aliases[table] = userdata.rowid_alias(db, table)
        return self.columns[table]

    def note(self, db: Connection, table: str, row_id: int, old: dict) -> None:
        if table == "contacts":
            self.contacts.add(row_id)
        elif table == "companies":
            self.contacts.update(contact_id for (contact_id,) in db.execute(
                "SELECT id FROM contacts WHERE company_id = ?", [row_id]))
        elif "contact_id" in self.known(db, table):
            row = db.execute(f"SELECT contact_id FROM {table} WHERE rowid = ?",
                             [row_id]).fetchone()
            self.contacts.update(value for value in (row and row[0], old.get("contact_id"))
                                 if isinstance(value, int))
        if table == "notes":
            self.notes.add(row_id)


def _revert(db: Connection, table: str, row_id: int, kind: str, old: dict,
            touched: _Touched) -> None:
    if table not in userdata.USER_TABLES:
        raise CrmError(f"the journal names a table crm does not own: {table!r}")
    known = touched.known(db, table)
    if any(name not in known for name in old):
        raise Refused(f"cannot undo: table {table} no longer has the columns it had")
    touched.note(db, table, row_id, old)
    if kind == "insert":
        db.execute(f"DELETE FROM {table} WHERE rowid = ?", [row_id])
    elif kind == "update":
        assignments = [f'"{name}" = ?' for name in old]
        assignments += [f'"{name}" = NULL' for name in userdata.CACHE_COLUMNS.get(table, ())]
        db.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE rowid = ?",
                   [*old.values(), row_id])
    else:
        values = dict(old)
        if touched.aliases[table] is None:
            values["rowid"] = row_id
        names = ", ".join(f'"{name}"' if name != "rowid" else name for name in values)
        db.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(values))})",
                   list(values.values()))
    touched.note(db, table, row_id, old)
