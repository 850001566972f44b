"""The one module that opens the SQLite file: pragmas, migrations and write transactions.

Domain modules get a plain ``sqlite3.Connection`` in autocommit mode and write inside
:func:`transaction`. sqlite-utils runs the migrations, but it is imported only when the
schema of an existing book is behind (``PRAGMA user_version`` says so), because importing it
costs more than everything else an everyday command does; a new book is given the schema
they leave (``crmcli.schema``) directly.

Writes take the lock up front (``BEGIN IMMEDIATE``) so that two processes, say cron and an
interactive shell, queue behind the busy timeout instead of failing with "database is locked"
when a read transaction tries to upgrade.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from crmcli import locations
from crmcli.errors import StorageError

TYPE_CHECKING = False  # pathlib and typing are not imported for the annotations alone
if TYPE_CHECKING:
    from pathlib import Path

BUSY_TIMEOUT_MS = 15_000
WRITER_POLL_SECONDS = 0.002  # how often a writer waiting for the lock asks for it
LET_GO_SECONDS = 4 * WRITER_POLL_SECONDS  # the lock stays free between batches (let_writers_in)
_let_go_at = -LET_GO_SECONDS  # when this process's long write last let go of the lock
# The number of migrations in crmcli.migrations; a test keeps the two in step.
SCHEMA_VERSION = 35
# PRAGMA application_id of every crmcli book: "crm1" in ASCII. A file with another mark, or
# a non-empty file without one that crmcli's migrations did not build, is not ours to touch.
APPLICATION_ID = 0x63726D31
_MIGRATIONS_TABLE = "_sqlite_migrations"


def connect(path: Path, migrate: bool = True, *, create_folder: bool = False
            ) -> sqlite3.Connection:
    """Open (creating with mode 0600 if needed) and migrate the database at ``path``.

    Only the default location gets its folder created (``create_folder``): a mistyped
    ``--db`` must not leave folders and an empty book behind. A file crm cannot write (or
    whose folder it cannot write) is opened read-only; a write then fails with a clear error.
    """
    from pathlib import Path

    path = Path(locations.expand_home(path))
    _create_private_file(path, create_folder)
    read_only = _read_only(path)
    try:
        conn = _open(path, read_only)
        unmarked = _check_owner(conn, path)
        _set_up(conn, read_only)
        if migrate:
            _migrate(conn, path, read_only, unmarked)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    return conn


def open_current(path: Path | str) -> sqlite3.Connection | None:
    """The book at ``path``, opened as :func:`connect` opens it, when there is nothing to do
    first; None when the file is missing, behind this crmcli's schema or still unmarked (the
    caller then takes :func:`connect`, which creates, migrates or marks it). A file that is
    not a crmcli book is refused just as :func:`connect` refuses it. Works on the path as
    text (no pathlib: the light entry path reads a book with it); give it in the form
    ``Path`` would show it (no ``~``, ``//``, ``.`` or trailing ``/``), as messages name it."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        return None
    read_only = _read_only(path)
    try:
        conn = _open(path, read_only)
        unmarked = _check_owner(conn, path)
        if unmarked or conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            conn.close()
            return None
        _set_up(conn, read_only)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    return conn


def _read_only(path: Path | str) -> bool:
    """A file crm cannot write, or whose folder it cannot write, is opened read-only."""
    return not (os.access(path, os.W_OK) and os.access(_folder(path), os.W_OK))


def _folder(path: Path | str) -> str:
    return os.path.dirname(os.fspath(path)) or "."


def _set_up(conn: sqlite3.Connection, read_only: bool) -> None:
    if not read_only:
        _enable_wal(conn)
        # In WAL mode NORMAL never corrupts and a crashed process loses no commit; only a
        # power cut can lose the last commits. It saves an fsync on every write.
        conn.execute("PRAGMA synchronous = NORMAL")


class Book(sqlite3.Connection):
    """A connection whose write transactions a journal can follow: ``journal.begin(conn)``
    right after the transaction starts, ``journal.end(conn)`` just before it commits.

    ``now`` is the moment its writes are stamped with: the CLI sets its one reading of the
    clock for the command, so a whole run can be pinned (``CRM_NOW``)."""

    journal = None
    now: dt.datetime | None = None
    search_rows: dict | None = None  # index rows held back by search.deferred


def moment(conn: sqlite3.Connection) -> dt.datetime:
    """When a write on ``conn`` happens: the command's moment, or (a connection nobody gave
    one, as in library use) the wall clock."""
    return getattr(conn, "now", None) or dt.datetime.now(dt.UTC)


def now_stamp(conn: sqlite3.Connection) -> str:
    """:func:`moment` as stored: UTC ISO 8601 to the second."""
    return moment(conn).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _open(path: Path | str, read_only: bool) -> sqlite3.Connection:
    """A read-write connection, or a read-only one; ``immutable`` (no locking, no -shm) only
    where nobody can be writing: a read-only folder and no -wal file to replay."""
    target, uri = os.fspath(path), False
    if read_only:
        from pathlib import Path

        flags = "mode=ro"
        if not os.access(_folder(path), os.W_OK) and not os.path.exists(f"{path}-wal"):
            flags += "&immutable=1"
        target, uri = f"{Path(path).absolute().as_uri()}?{flags}", True
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           uri=uri, factory=Book)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch a new database to WAL. Two processes opening a new file at once can find it
    locked while the other switches; SQLite does not wait for that, so wait here."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked")
        time.sleep(0.01)


def _create_private_file(path: Path, create_folder: bool) -> None:
    if path.exists():
        if path.is_dir():
            raise StorageError(f"cannot open database {path}: it is a directory")
        return
    if not path.parent.is_dir() and not create_folder:
        raise StorageError(f"cannot create database {path}: folder {path.parent} does not "
                           "exist")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StorageError(f"cannot create database {path}: {exc.strerror}") from exc


def _check_owner(conn: sqlite3.Connection, path: Path) -> bool:
    """Refuse a file that is not a crmcli book; True when it is one still to be marked (new,
    or written before books carried the mark)."""
    mark = conn.execute("PRAGMA application_id").fetchone()[0]
    if mark == APPLICATION_ID:
        return False
    if mark:
        raise StorageError(f"{path} belongs to another application (application_id "
                           f"{mark:#010x}); crm will not touch it")
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    if not tables or _built_by_crmcli(conn, tables):
        return True
    shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
    raise StorageError(f"{path} is not a crmcli database (it holds the tables {shown}); "
                       "crm will not touch it")


def _built_by_crmcli(conn: sqlite3.Connection, tables: list[str]) -> bool:
    """Whether crmcli's migrations (and only they) built the file, before books were marked."""
    if _MIGRATIONS_TABLE not in tables:
        return False
    sets = {name for (name,) in conn.execute(
        f"SELECT DISTINCT migration_set FROM {_MIGRATIONS_TABLE}")}
    return sets == {"crmcli"} or (not sets and tables == [_MIGRATIONS_TABLE])


def _migrate(conn: sqlite3.Connection, path: Path, read_only: bool, unmarked: bool) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION and (not unmarked or read_only):
        return
    if version > SCHEMA_VERSION:
        raise StorageError(f"{path} was written by a newer crmcli (schema {version}); "
                           "upgrade crmcli to use it")
    if read_only:
        raise StorageError(f"{path} needs upgrading to this crmcli's schema, but it or its "
                           "folder is read-only; nothing was changed")
    # A migration that rebuilds a table drops the old one: with foreign keys on, that would
    # cascade to (delete) the rows that point at it. The pragma is a no-op inside a
    # transaction, so it is turned off before, and the keys are checked before commit.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(conn):
            if not _create_schema(conn):
                from crmcli.migrations import apply_all

                apply_all(utilities(conn))
            _check_foreign_keys(conn, path)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _create_schema(conn: sqlite3.Connection) -> bool:
    """Give an empty file (in the caller's transaction) the schema the migrations would, with
    the record of each having run; False when the file holds anything (it is migrated)."""
    if conn.execute("SELECT 1 FROM sqlite_master").fetchone():
        return False
    from crmcli.schema import MIGRATIONS, SEQUENCES, STATEMENTS

    for statement in STATEMENTS:
        conn.execute(statement)
    conn.executemany(f"INSERT INTO {_MIGRATIONS_TABLE} (migration_set, name, applied_at)"
                     " VALUES ('crmcli', ?, ?)",
                     [(name, str(dt.datetime.now(dt.UTC))) for name in MIGRATIONS])
    conn.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", SEQUENCES)
    return True


def _check_foreign_keys(conn: sqlite3.Connection, path: Path) -> None:
    broken = conn.execute("PRAGMA foreign_key_check").fetchmany(3)
    if broken:
        shown = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        raise StorageError(f"{path}: upgrading the schema would leave rows pointing at "
                           f"nothing ({shown}); nothing was changed")


def file_path(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()[2]


def storage_error(exc: sqlite3.Error, path: Path | str) -> StorageError:
    """Turn an SQLite error into a sentence that names the file and what to do."""
    message = str(exc)
    if "readonly" in message:
        return StorageError(f"cannot write to database {path}: it or its folder is "
                            "read-only; nothing was changed")
    if "not a database" in message or "malformed" in message:
        return StorageError(f"{path} is not a crmcli database (not a valid SQLite file)")
    if "locked" in message or "busy" in message:
        return StorageError(f"database {path} is busy (another crm is writing); try again")
    if "unable to open" in message:
        return StorageError(f"cannot open database {path}")
    return StorageError(f"database {path}: {message}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction: all or nothing. Used inside another, it joins the outer one."""
    if conn.in_transaction:
        yield conn
        return
    try:
        _begin_immediate(conn)
    except sqlite3.Error as exc:
        raise storage_error(exc, file_path(conn)) from exc
    journal = getattr(conn, "journal", None)
    try:
        if journal:
            journal.begin(conn)
        yield conn
        if journal:
            journal.end(conn)
        conn.execute("COMMIT")
        if journal:
            journal.committed()
    except sqlite3.Error as exc:
        _rollback(conn)
        raise storage_error(exc, file_path(conn)) from exc
    except BaseException:
        _rollback(conn)
        raise


def replace_values(conn: sqlite3.Connection, table: str, owner_column: str, owner: int,
                   value_column: str, wanted: Iterable[str]) -> bool:
    """Make the values ``table`` holds for ``owner`` exactly ``wanted`` (a contact's tags, a
    company's), deleting and inserting only the difference; whether anything changed.
    ``table`` and the column names are the caller's constants, never user input."""
    stored = {value for (value,) in conn.execute(
        f"SELECT {value_column} FROM {table} WHERE {owner_column} = ?", [owner])}
    wanted = set(wanted)
    conn.executemany(f"DELETE FROM {table} WHERE {owner_column} = ? AND {value_column} = ?",
                     [(owner, value) for value in sorted(stored - wanted)])
    conn.executemany(f"INSERT INTO {table} ({owner_column}, {value_column}) VALUES (?, ?)",
                     [(owner, value) for value in sorted(wanted - stored)])
    return stored != wanted


def row_of_uid(conn: sqlite3.Connection, table: str, uid: str) -> int | None:
    """The id of the row of ``table`` (contacts, companies; in the trash too) whose UID is
    ``uid``, or the same UUID written another way (``normalize.uid_spellings``): the exact
    spelling first."""
    from crmcli.normalize import uid_spellings

    spellings = uid_spellings(uid)
    rows = dict(conn.execute(f"SELECT uid, id FROM {table} WHERE uid IN"
                             f" ({', '.join('?' * len(spellings))})", spellings).fetchall())
    return next((rows[form] for form in spellings if form in rows), None)


def set_uid_of(conn: sqlite3.Connection, table: str, row_id: int, uid: str) -> bool:
    """Give the row of ``table`` the UID ``uid``; False, writing nothing, when another row
    holds it."""
    taken = conn.execute(f"SELECT 1 FROM {table} WHERE uid = ? AND id != ?",
                         [uid, row_id]).fetchone()
    if taken is None:
        conn.execute(f"UPDATE {table} SET uid = ? WHERE id = ?", [uid, row_id])
    return taken is None


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the write lock, asking for it every few milliseconds instead of through SQLite's
    busy handler, whose naps grow to 100 ms: a long import or sync lets go of the lock between
    its batches only for a moment (``let_writers_in``), and a waiting writer must catch it."""
    wait = _let_go_at + LET_GO_SECONDS - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(WRITER_POLL_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


# A long write of many rows (an import), on its own connection: a page cache twice the default
# (the pages a batch changes are not read back from the WAL) and a checkpoint every 4,000
# pages written instead of 1,000 (the pages every batch changes are copied into the file less
# often). Temporary tables and statement journals stay in files (temp_store as it is): held
# in memory, a statement journal keeps every page its statement changes, and those grow with
# the book (a batch's contact details written into a book of 1,000,000 contacts: 8 MB).
BULK_SETTINGS = {"cache_size": "-4000", "wal_autocheckpoint": "4000"}


@contextmanager
def bulk_writes(conn: sqlite3.Connection) -> Iterator[None]:
    """Within: ``conn`` set up for writing many rows (BULK_SETTINGS), put back after."""
    before = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in BULK_SETTINGS}
    for name, value in BULK_SETTINGS.items():
        conn.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            conn.execute(f"PRAGMA {name} = {value}")


def let_writers_in() -> None:
    """Between the batches of a long write: the next write transaction of this process starts
    no sooner than LET_GO_SECONDS from now, so that a writer waiting for the lock (cron's crm
    remind, a crm add in another shell) takes its turn now, not at the end. What the long
    write does meanwhile, such as reading its next batch, counts: it sleeps only for what is
    left (an import that parses on this core, nothing)."""
    global _let_go_at
    _let_go_at = time.monotonic()


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def utilities(conn: sqlite3.Connection):
    """sqlite-utils' view of the connection, for savepoints, introspection and migrations."""
    from sqlite_utils import Database

    return Database(conn, execute_plugins=False, recursive_triggers=False)
