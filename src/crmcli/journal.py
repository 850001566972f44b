"""The journal: every command that writes records one operation and the row-level changes that
reverse it.

Changes are captured by triggers, so that no write path can be missed, and the triggers are
TEMP ones, created on each connection that records (from the live schema, so a new column is
captured without touching this module). Triggers in the main schema would either need a custom
SQL function, which breaks the file for the ``sqlite3`` shell and sqlite-utils, or could not read
which operation is running (main-schema triggers cannot see TEMP tables). Other programs that
write the file are simply not journaled.

An operation is created with the first write transaction of a command and removed at commit if
nothing changed, so a command that writes nothing records nothing; it spans every transaction of
the command (an import that commits in batches is one operation). A change keeps the rowid and,
for an update, the old values of the columns that changed, for a delete the whole old row; an
insert needs nothing more to be reversed. Caches (``userdata.CACHE_COLUMNS``), delivery and
sync state are not journaled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli import userdata
from crmcli.db import SCHEMA_VERSION, transaction

SOURCES = ("cli", "import", "sync", "campaign", "mail", "hook", "mcp")
MAX_WHAT = 200
# The table name of a change to the config file (``crm config set phone.region``), which
# changes the book's phone keys too: undone with them. Its one row (0) is the setting's.
SETTINGS = "config"


@dataclass
class Recorder:
    """Records the changes of one command on one connection (``db.transaction`` calls it)."""

    what: str
    source: str
    started_at: str  # UTC ISO 8601, the command's moment
    prune_before: str | None = None  # operations started earlier are pruned
    undoes: int | None = None
    operation_id: int | None = None
    suspended: bool = False  # forgetting a person writes nothing to the journal
    reserved: bool = False  # created before a pre- hook ran, so the hook saw its id
    watcher: object | None = None  # sees each transaction's changes before its commit (hooks)

    def begin(self, db: Connection) -> None:
        if not db.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'journal_current'"
                          ).fetchone():
            _install(db)
        db.execute("DELETE FROM temp.journal_current")
        if self.suspended:
            return
        if self.operation_id is None or not db.execute(
                "SELECT 1 FROM journal_operations WHERE id = ?", [self.operation_id]).fetchone():
            self.operation_id = self._create(db)
        db.execute("INSERT INTO temp.journal_current VALUES (?)", [self.operation_id])
        if self.watcher is not None:
            self.watcher.begun(db)

    def end(self, db: Connection) -> None:
        """Before commit: the watcher sees the changes; an operation that changed nothing
        leaves no trace."""
        if self.watcher is not None and not self.suspended:
            self.watcher.ending(db, self)
        if not self.reserved:
            self._drop_if_empty(db)

    def committed(self) -> None:
        """After commit: what the watcher saw is now for good."""
        if self.watcher is not None and not self.suspended:
            self.watcher.committed()

    def reserve(self, db: Connection) -> int | None:
        """Create the operation now (a pre- hook is told its id before anything is written);
        ``release`` removes it if the command then writes nothing."""
        if self.suspended:
            return None
        self.reserved = True
        with transaction(db):
            pass
        return self.operation_id

    def release(self, db: Connection) -> None:
        if self.reserved and self.operation_id is not None:
            with transaction(db):
                self._drop_if_empty(db)
        self.reserved = False

    def _drop_if_empty(self, db: Connection) -> None:
        if self.operation_id is not None and not db.execute(
                "SELECT 1 FROM journal_changes WHERE operation_id = ? LIMIT 1",
                [self.operation_id]).fetchone():
            db.execute("DELETE FROM journal_operations WHERE id = ?", [self.operation_id])
            self.operation_id = None

    def _create(self, db: Connection) -> int:
        if self.prune_before:
            db.execute("DELETE FROM journal_operations WHERE started_at < ?", [self.prune_before])
            self.prune_before = None
        return db.execute(
            "INSERT INTO journal_operations (what, source, started_at, schema_version, undoes)"
            " VALUES (?, ?, ?, ?, ?)", [self.what[:MAX_WHAT], self.source, self.started_at,
                                        SCHEMA_VERSION, self.undoes]).lastrowid


def attach(db: Connection, recorder: Recorder) -> None:
    """Journal every write transaction of this connection as part of ``recorder``'s operation."""
    db.journal = recorder


def prune_cutoff(now: dt.datetime, keep_days: int) -> str:
    return (now.astimezone(dt.UTC) - dt.timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------- triggers

def _install(db: Connection) -> None:
    db.execute("CREATE TEMP TABLE IF NOT EXISTS journal_current (operation_id INTEGER)")
    present = {name for (name,) in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    for table in userdata.USER_TABLES:
        if table in present:
            for statement in triggers(db, table):
                db.execute(statement)


def triggers(db: Connection, table: str) -> list[str]:
    """The three TEMP triggers that journal ``table``'s inserts, updates and deletes."""
    names = userdata.columns(db, table)
    record = ("INSERT INTO journal_changes (operation_id, table_name, row_id, kind, old)"
              f" SELECT operation_id, '{table}', {{row}}.rowid, '{{kind}}', {{old}}"
              " FROM journal_current;")
    changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in names)
    changed_values = " UNION ALL ".join(
        f"SELECT '{name}' AS k, OLD.\"{name}\" AS v WHERE OLD.\"{name}\" IS NOT NEW.\"{name}\""
        for name in names)
    whole_row = "json_object(" + ", ".join(f"'{name}', OLD.\"{name}\"" for name in names) + ")"
    prefix = f"CREATE TEMP TRIGGER IF NOT EXISTS journal_{table}"
    return [
        f"{prefix}_insert AFTER INSERT ON main.{table} BEGIN "
        + record.format(row="NEW", kind="insert", old="NULL") + " END",
        f"{prefix}_update AFTER UPDATE ON main.{table} WHEN {changed} BEGIN "
        + record.format(row="OLD", kind="update",
                        old=f"(SELECT json_group_object(k, v) FROM ({changed_values}))")
        + " END",
        f"{prefix}_delete AFTER DELETE ON main.{table} BEGIN "
        + record.format(row="OLD", kind="delete", old=whole_row) + " END",
    ]


@contextmanager
def inserts_together(db: Connection, table: str) -> Iterator[None]:
    """Within: the rows inserted into ``table`` are journaled with one statement at the end
    instead of by its trigger a row at a time (a trigger's run costs about what the insert of
    the row does): the same changes, in the same order. Only for new rows, each under a rowid
    above every rowid the table holds, ascending in the order they go in (rows given no
    rowid; contacts under ids given in advance); nothing else may be written within."""
    operation = _recording(db) if table in userdata.USER_TABLES else None
    if operation is None:
        yield
        return
    before = db.execute(f"SELECT coalesce(max(rowid), 0) FROM main.{table}").fetchone()[0]
    db.execute("DELETE FROM temp.journal_current")
    try:
        yield
    finally:
        db.execute("INSERT INTO temp.journal_current VALUES (?)", [operation])
    db.execute("INSERT INTO journal_changes (operation_id, table_name, row_id, kind, old)"
               f" SELECT ?, ?, rowid, 'insert', NULL FROM main.{table} WHERE rowid > ?"
               " ORDER BY rowid", [operation, table, before])


def _recording(db: Connection) -> int | None:
    """The operation the triggers record changes for now, if any."""
    if not db.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'journal_current'"
                      ).fetchone():
        return None
    row = db.execute("SELECT operation_id FROM temp.journal_current").fetchone()
    return row[0] if row else None


def record_setting(db: Connection, key: str, old: str | None, new: str | None) -> None:
    """Journal, in the operation under way, that the config file's ``key`` went from ``old``
    (None: unset) to ``new``; call it inside the transaction of the book's changes that go
    with it."""
    operation = _recording(db)
    if operation is not None:
        db.execute("INSERT INTO journal_changes (operation_id, table_name, row_id, kind, old)"
                   " VALUES (?, ?, 0, 'update', ?)",
                   [operation, SETTINGS, json.dumps({"key": key, "old": old, "new": new})])


# ---------------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class Operation:
    id: int
    what: str
    source: str
    started_at: str
    schema_version: int
    undoes: int | None


def _operation(row: tuple) -> Operation:
    return Operation(*row)


_OPERATION_COLUMNS = "id, what, source, started_at, schema_version, undoes"


def recent(db: Connection, limit: int | None = None) -> Iterator[Operation]:
    """Operations, newest first, one at a time as SQLite reads them."""
    rows = db.execute(f"SELECT {_OPERATION_COLUMNS} FROM journal_operations ORDER BY id DESC"
                      " LIMIT ?", [-1 if limit is None else limit])
    return map(_operation, rows)


def get(db: Connection, operation_id: int) -> Operation | None:
    row = db.execute(f"SELECT {_OPERATION_COLUMNS} FROM journal_operations WHERE id = ?",
                     [operation_id]).fetchone()
    return _operation(row) if row else None


# ---------------------------------------------------------------------------------- forgetting

def purge_contacts(db: Connection, contact_ids: list[int]) -> None:
    """Remove from the journal every change to these contacts and to the rows that belong to
    them (now or when they were deleted), and every value that names them; operations left
    with no change go, as do undone ones and their undos, the others lose their command line.
    Call it before deleting the rows."""
    ids = json.dumps(contact_ids)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS journal_forgotten"
               " (table_name TEXT, row_id INTEGER, PRIMARY KEY (table_name, row_id))")
    db.execute("DELETE FROM temp.journal_forgotten")
    db.execute("INSERT OR IGNORE INTO temp.journal_forgotten SELECT 'contacts', value"
               " FROM json_each(?)", [ids])
    for table, column in contact_references(db):
        db.execute(f"INSERT OR IGNORE INTO temp.journal_forgotten SELECT '{table}', rowid"
                   f" FROM {table} WHERE \"{column}\" IN (SELECT value FROM json_each(?))", [ids])
        db.execute("INSERT OR IGNORE INTO temp.journal_forgotten SELECT table_name, row_id"
                   " FROM journal_changes WHERE table_name = ? AND json_extract(old, ?)"
                   " IN (SELECT value FROM json_each(?))", [table, f'$."{column}"', ids])
    for child, column, parent in _parts_of_references(db):  # a case's history: its case's
        db.execute(f"INSERT OR IGNORE INTO temp.journal_forgotten SELECT '{child}', rowid"
                   f" FROM {child} WHERE \"{column}\" IN (SELECT row_id FROM"
                   " temp.journal_forgotten WHERE table_name = ?)", [parent])
        db.execute("INSERT OR IGNORE INTO temp.journal_forgotten SELECT table_name, row_id"
                   " FROM journal_changes WHERE table_name = ? AND json_extract(old, ?)"
                   " IN (SELECT row_id FROM temp.journal_forgotten WHERE table_name = ?)",
                   [child, f'$."{column}"', parent])
    touched = [operation_id for (operation_id,) in db.execute(
        "SELECT DISTINCT operation_id FROM journal_changes WHERE (table_name, row_id) IN"
        " (SELECT table_name, row_id FROM temp.journal_forgotten)")]
    db.execute("DELETE FROM journal_changes WHERE (table_name, row_id) IN"
               " (SELECT table_name, row_id FROM temp.journal_forgotten)")
    db.execute("DELETE FROM temp.journal_forgotten")
    whole = _undone_or_undoing(db, touched)
    gone = json.dumps(sorted(whole))
    db.execute("DELETE FROM journal_changes WHERE operation_id IN"
               " (SELECT value FROM json_each(?))", [gone])
    db.execute("DELETE FROM journal_operations WHERE id IN (SELECT value FROM json_each(?))",
               [gone])
    for operation_id in set(touched) - whole:
        if db.execute("SELECT 1 FROM journal_changes WHERE operation_id = ? LIMIT 1",
                      [operation_id]).fetchone():
            db.execute("UPDATE journal_operations SET what = ? WHERE id = ?",
                       ["(concerned a contact since forgotten)", operation_id])
        else:
            db.execute("DELETE FROM journal_operations WHERE id = ?", [operation_id])


def _undone_or_undoing(db: Connection, operations: list[int]) -> set[int]:
    """Those of these operations that were undone or undo another, with their partners in
    undo, transitively. An undone merge leaves the person's values in its undo's changes to
    the other contact, so such a chain goes whole (and can no longer be redone)."""
    linked: set[int] = set()
    frontier = set(operations)
    while frontier:
        ids = json.dumps(sorted(frontier))
        found = {side for pair in db.execute(
            "SELECT id, undoes FROM journal_operations WHERE undoes IS NOT NULL AND (id IN"
            " (SELECT value FROM json_each(?1)) OR undoes IN (SELECT value FROM json_each(?1)))",
            [ids]) for side in pair}
        frontier = found - linked
        linked |= found
    return linked


def _parts_of_references(db: Connection) -> list[tuple[str, str, str]]:
    """(table, column, parent) of the rows that are part of a row referring to a contact (they
    go when it goes, ON DELETE CASCADE): the entries of a case's history."""
    referring = {table for table, _ in contact_references(db)}
    return [(table, row[3], row[2]) for table in userdata.USER_TABLES
            for row in db.execute(f"PRAGMA main.foreign_key_list({table})")
            if row[2] in referring and row[2] != "contacts" and row[6] == "CASCADE"]


def contact_references(db: Connection) -> list[tuple[str, str]]:
    """(table, column) of every user table's reference to a contact."""
    return [(table, row[3]) for table in userdata.USER_TABLES
            for row in db.execute(f"PRAGMA main.foreign_key_list({table})")
            if row[2] == "contacts"]
