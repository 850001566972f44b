"""The one module that opens the SQLite file: pragmas, migrations and write transactions.

Writes take the lock up front (``BEGIN IMMEDIATE``) so that two processes, say cron and an
interactive shell, queue behind the busy timeout instead of failing with "database is locked"
when a read transaction tries to upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from crmcli.errors import StorageError

BUSY_TIMEOUT_MS = 15_000


def connect(path: Path, migrate: bool = True) -> Database:
    """Open (creating with mode 0600 if needed) and migrate the database at ``path``."""
    path = Path(path).expanduser()
    _create_private_file(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn, execute_plugins=False)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        if migrate:
            _migrate(db)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    return db


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


def _migrate(db: Database) -> None:
    from crmcli.migrations import migrations

    if not migrations.pending(db):
        return
    with transaction(db):
        migrations.apply(db)


def file_path(db: Database) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


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
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction: all or nothing. Used inside another, it joins the outer one
    (use :func:`savepoint` where a failure must undo only part of it)."""
    if db.conn.in_transaction:
        yield db
        return
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise storage_error(exc, file_path(db)) from exc
    try:
        yield db
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        db.rollback()
        raise storage_error(exc, file_path(db)) from exc
    except BaseException:
        db.rollback()
        raise


@contextmanager
def savepoint(db: Database) -> Iterator[Database]:
    """Inside a transaction: a part that is undone alone if it fails."""
    with db.atomic():
        yield db
