"""The one module that opens the SQLite file: pragmas, migrations and write transactions.

Domain modules get a plain ``sqlite3.Connection`` in autocommit mode and write inside
:func:`transaction`. sqlite-utils runs the migrations, but it is imported only when the
schema is behind (``PRAGMA user_version`` says so), because importing it costs more than
everything else an everyday command does.

Writes take the lock up front (``BEGIN IMMEDIATE``) so that two processes, say cron and an
interactive shell, queue behind the busy timeout instead of failing with "database is locked"
when a read transaction tries to upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmcli.errors import StorageError

BUSY_TIMEOUT_MS = 15_000
# The number of migrations in crmcli.migrations; a test keeps the two in step.
SCHEMA_VERSION = 5


def connect(path: Path, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating with mode 0600 if needed) and migrate the database at ``path``."""
    path = Path(path).expanduser()
    _create_private_file(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _enable_wal(conn)
        if migrate:
            _migrate(conn, path)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
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


def _create_private_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise StorageError(f"cannot open database {path}: it is a directory")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StorageError(f"cannot create database {path}: {exc.strerror}") from exc


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StorageError(f"{path} was written by a newer crmcli (schema {version}); "
                           "upgrade crmcli to use it")
    from crmcli.migrations import apply_all

    with transaction(conn):
        apply_all(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def file_path(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()[2]


def storage_error(exc: sqlite3.Error, path: Path | str) -> StorageError:
    """Turn an SQLite error into a sentence that names the file and what to do."""
    message = str(exc)
    if "readonly" in message:
        return StorageError(f"database {path} is read-only; nothing was changed")
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
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise storage_error(exc, file_path(conn)) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise storage_error(exc, file_path(conn)) from exc
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def utilities(conn: sqlite3.Connection):
    """sqlite-utils' view of the connection, for savepoints, introspection and migrations."""
    from sqlite_utils import Database

    return Database(conn, execute_plugins=False, recursive_triggers=False)
