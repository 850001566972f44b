"""Undo: revert one journaled operation, as a new operation (so undoing an undo redoes).

An operation can be undone when no later operation touched the same rows; an operation and
the undo of it cancel out in that check. Its changes are reversed newest first in one
transaction (foreign keys checked at commit, since a cascade records a parent before or after
its children), and the search index is rebuilt for the contacts and notes it touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from sqlite3 import Connection

from crmcli import contacts, search, userdata
from crmcli.db import SCHEMA_VERSION, transaction
from crmcli.errors import CrmError, NotFound
from crmcli.journal import SETTINGS, Operation, Recorder, get, recent, record_setting

_SHOWN_CONFLICTS = 5
_CHUNK = 500


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


def undo(db: Connection, recorder: Recorder, operation: Operation,
         setting: Callable[[str], object] = lambda key: None) -> list[tuple[str, str | None]]:
    """Revert ``operation`` as part of ``recorder``'s operation, or refuse saying why. What
    it changed in the config file is returned, ``(key, value)`` to set again (None: unset)
    once the book's changes are committed; ``setting`` reads a key's value now, which must
    still be the one the operation left."""
    recorder.undoes, recorder.what = operation.id, f"undo {operation.id}"
    with transaction(db):
        # Checked holding the write lock (another undo may have just run), leaving out the
        # operation this undo records.
        _check(db, operation, recorder.operation_id)
        changes = db.execute("SELECT table_name, kind, row_id, old FROM journal_changes"
                             " WHERE operation_id = ? ORDER BY id DESC", [operation.id])
        rows, settings = [], []
        for change in changes.fetchall():
            if change[0] == SETTINGS:
                settings.append(json.loads(change[3]))
            else:
                rows.append(change)
        for changed in settings:
            _check_setting(operation, changed, setting(changed["key"]))
            record_setting(db, changed["key"], changed["new"], changed["old"])
        touched = reverse(db, rows)
        search.refresh(db, touched.contacts, touched.notes)
        contacts.raise_versions(db, touched.contacts)
    return [(changed["key"], changed["old"]) for changed in settings]


def _check_setting(operation: Operation, changed: dict, now: object) -> None:
    """The config file must hold what the operation set: a later edit is not overwritten."""
    if now != changed["new"]:
        key, left = changed["key"], changed["new"]
        first = (f"crm config set {key} {left} first, or edit the file" if left is not None
                 else f"remove {key} from the file first")  # config set cannot unset
        raise Refused(f"cannot undo #{operation.id} ({operation.what}): the config file's "
                      f"{key} is {_setting_text(now)} now, not {_setting_text(left)}"
                      f" as #{operation.id} left it; {first}")


def _setting_text(value: object) -> str:
    return "unset" if value is None else repr(value)


def reverse(db: Connection, changes: list[tuple]) -> _Touched:
    """Reverse journal changes ``(table, kind, row_id, old)``, given newest first, inside the
    caller's transaction; what was touched is returned (the search index is not refreshed)."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    touched = _Touched()
    for kind, run in groupby(changes, key=itemgetter(1)):
        if kind == "insert":
            _delete_inserted(db, run, touched)
            continue
        if kind == "delete":
            _insert_deleted(db, run, touched)
            continue
        for table, kind, row_id, old in run:
            _check_table(db, table, touched)
            _revert(db, table, row_id, kind, json.loads(old) if old else {}, touched)
    return touched


def _check(db: Connection, operation: Operation, current: int | None = None) -> None:
    if operation.schema_version != SCHEMA_VERSION:
        raise Refused(f"cannot undo #{operation.id} ({operation.what}): it was made before the "
                      "book's schema was upgraded")
    skipped = _cancelled_since(db, operation, current)
    conflicts = db.execute(
        "SELECT DISTINCT later.operation_id, later.table_name, later.row_id"
        " FROM journal_changes later JOIN journal_changes mine"
        " ON mine.table_name = later.table_name AND mine.row_id = later.row_id"
        " WHERE mine.operation_id = ? AND later.operation_id > ?"
        " AND later.operation_id NOT IN (SELECT value FROM json_each(?))"
        " ORDER BY later.operation_id, later.table_name, later.row_id",
        [operation.id, operation.id, json.dumps(sorted(skipped))]).fetchall()
    conflicts = sorted(set(conflicts) | set(_dependents(db, operation, skipped)))
    if conflicts:
        raise Refused(_conflict_message(db, operation, conflicts))


def _dependents(db: Connection, operation: Operation, skipped: set[int]) -> list[tuple]:
    """Rows that later operations added under rows this one added (a note on a contact it
    created): undoing it would delete them too."""
    found = []
    for child, column, parent in _references(db):
        found += db.execute(
            "SELECT DISTINCT later.operation_id, later.table_name, later.row_id"
            f" FROM journal_changes later JOIN {child} ON {child}.rowid = later.row_id"
            " JOIN journal_changes mine ON mine.table_name = ? AND mine.kind = 'insert'"
            f" AND mine.row_id = {child}.\"{column}\""
            " WHERE mine.operation_id = ? AND later.table_name = ? AND later.kind = 'insert'"
            " AND later.operation_id > ? AND later.operation_id NOT IN"
            " (SELECT value FROM json_each(?))",
            [parent, operation.id, child, operation.id, json.dumps(sorted(skipped))]).fetchall()
    return found


def _references(db: Connection) -> list[tuple[str, str, str]]:
    """(child table, column, parent table) of every reference between user tables."""
    present = {name for (name,) in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    return [(table, row[3], row[2]) for table in userdata.USER_TABLES if table in present
            for row in db.execute(f"PRAGMA main.foreign_key_list({table})")
            if row[2] in userdata.USER_TABLES]


def _cancelled_since(db: Connection, operation: Operation, current: int | None) -> set[int]:
    """Later operations that an undo cancelled out, with those undos (newest first, so a
    redo, the undo of an undo, brings its operation back into play)."""
    cancelled: set[int] = set()
    for later in db.execute("SELECT id, undoes FROM journal_operations WHERE id > ?"
                            " AND id IS NOT ? ORDER BY id DESC", [operation.id, current]
                            ).fetchall():
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
            f"same rows or added rows that depend on them: {'; '.join(shown)}"
            + (f" and {more} more" if more > 0 else "")
            + "; undo those first")


@dataclass
class _Touched:
    """The contacts (their own rows or rows of theirs, a custom field value's included) and
    notes whose search rows an undo must rebuild and whose versions it raises."""

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
        elif (owner := _contact_column(table)) in self.known(db, table):
            row = db.execute(f"SELECT {owner} FROM {table} WHERE rowid = ?",
                             [row_id]).fetchone()
            self.contacts.update(value for value in (row and row[0], old.get(owner))
                                 if isinstance(value, int))
        if table == "notes":
            self.notes.add(row_id)

    def note_values(self, table: str, row_id: int, values: dict) -> None:
        """A row about to be put back: its contact (and itself, a note or a contact)."""
        if table == "contacts":
            self.contacts.add(row_id)
        elif isinstance(values.get(_contact_column(table)), int):
            self.contacts.add(values[_contact_column(table)])
        if table == "notes":
            self.notes.add(row_id)


def _check_table(db: Connection, table: str, touched: _Touched) -> None:
    if table not in userdata.USER_TABLES:
        raise CrmError(f"the journal names a table crm does not own: {table!r}")
    touched.known(db, table)


def _delete_inserted(db: Connection, run: Iterable[tuple], touched: _Touched) -> None:
    """Reverse a run of inserts (an import's thousands) table by table, children first, in
    statements of many rows each; the order of inserts within a run does not matter."""
    by_table: dict[str, list[int]] = {}
    for table, _, row_id, _ in run:
        by_table.setdefault(table, []).append(row_id)
    for table in sorted(by_table, key=_children_first):
        _check_table(db, table, touched)
        row_ids = by_table[table]
        for start in range(0, len(row_ids), _CHUNK):
            _delete_rows(db, table, row_ids[start:start + _CHUNK], touched)


def _insert_deleted(db: Connection, run: Iterable[tuple], touched: _Touched) -> None:
    """Reverse a run of deletes (the undo of an import, or of an emptied trash) table by
    table, parents first, in batches."""
    by_shape: dict[tuple[str, tuple[str, ...]], list[list]] = {}
    for table, _, row_id, old in run:
        _check_table(db, table, touched)
        values = json.loads(old)
        if touched.aliases[table] is None:
            values["rowid"] = row_id
        _check_columns(touched, table, values)
        touched.note_values(table, row_id, values)
        by_shape.setdefault((table, tuple(values)), []).append(list(values.values()))
    for table, names in sorted(by_shape, key=lambda shape: -_children_first(shape[0])):
        columns = ", ".join(f'"{name}"' if name != "rowid" else name for name in names)
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES "
                       f"({', '.join('?' * len(names))})", by_shape[table, names])
        if table == "companies":
            for values in by_shape[table, names]:
                touched.note(db, table, values[names.index(touched.aliases[table] or "rowid")],
                             {})


def _contact_column(table: str) -> str:
    """The column of ``table`` naming the contact a row belongs to (a custom field value's
    is ``record_id``)."""
    return "record_id" if table == "contact_field_values" else "contact_id"


def _children_first(table: str) -> int:
    return -userdata.USER_TABLES.index(table) if table in userdata.USER_TABLES else 0


def _delete_rows(db: Connection, table: str, row_ids: list[int], touched: _Touched) -> None:
    ids = json.dumps(row_ids)
    chosen = "rowid IN (SELECT value FROM json_each(?))"
    if table == "contacts":
        touched.contacts.update(row_ids)
    elif table == "companies":
        touched.contacts.update(contact_id for (contact_id,) in db.execute(
            "SELECT id FROM contacts WHERE company_id IN (SELECT value FROM json_each(?))",
            [ids]))
    elif (owner := _contact_column(table)) in touched.known(db, table):
        touched.contacts.update(contact_id for (contact_id,) in db.execute(
            f"SELECT DISTINCT {owner} FROM {table} WHERE {chosen}", [ids]))
    if table == "notes":
        touched.notes.update(row_ids)
    db.execute(f"DELETE FROM {table} WHERE {chosen}", [ids])


def _check_columns(touched: _Touched, table: str, values: dict) -> None:
    known = touched.columns[table]
    if any(name not in known and name != "rowid" for name in values):
        raise Refused(f"cannot undo: table {table} no longer has the columns it had")


def _revert(db: Connection, table: str, row_id: int, kind: str, old: dict,
            touched: _Touched) -> None:
    """Reverse one update."""
    _check_columns(touched, table, old)
    touched.note(db, table, row_id, old)
    assignments = [f'"{name}" = ?' for name in old]
    assignments += [f'"{name}" = NULL' for name in userdata.CACHE_COLUMNS.get(table, ())]
    db.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE rowid = ?",
               [*old.values(), row_id])
    touched.note(db, table, row_id, old)
