"""The book as a file: copies of it (backup), a new book swapped in for it (demo --force),
and the files (the book, its -wal) that a command writing a file must not write over."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crmcli.db import connect, file_path
from crmcli.errors import InvalidInput, StorageError
from crmcli.locations import expand_home

TYPE_CHECKING = False  # pathlib and typing are not imported for the annotations alone
if TYPE_CHECKING:
    from pathlib import Path
    from typing import TypeVar

    T = TypeVar("T")


def refuse_own_file(conn: sqlite3.Connection, target: Path) -> None:
    """Refuse to write ``target`` when it is the book or its log (whose commits a file
    written over it would lose)."""
    from pathlib import Path

    book = Path(file_path(conn))
    for own in (book, *(book.with_name(book.name + end) for end in ("-wal", "-shm", "-journal"))):
        if target.exists() and own.exists() and target.samefile(own):
            raise StorageError(f"{target} is " + ("the book itself" if own == book
                                                  else "one of the book's own files"))


def check_folder(target: Path) -> None:
    """Refuse ``target`` when its folder does not exist, as written: ``missing/../x`` names
    a missing folder even though the path, resolved, would not."""
    from pathlib import Path

    folder = Path(expand_home(target)).parent
    if not folder.is_dir():
        missing = next(part for part in (*reversed(folder.parents), folder)
                       if not part.is_dir())
        raise InvalidInput(f"cannot write {target}: folder {missing} does not exist")


@contextmanager
def atomic_text(conn: sqlite3.Connection, target: Path) -> Iterator:
    """A text stream to a private temporary file beside ``target``, renamed over it once
    complete (and removed on failure): a reader never sees half an output."""
    from pathlib import Path

    expanded = Path(expand_home(target))
    if expanded.is_dir():
        raise InvalidInput(f"cannot write {target}: it is a directory")
    check_folder(target)
    refuse_own_file(conn, expanded)
    with _private_temp(expanded, "") as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, expanded)


def backup(conn: sqlite3.Connection, target: Path, overwrite: bool = False) -> dict[str, int]:
    """Copy the book to ``target`` (mode 0600) with SQLite's backup API: a consistent copy
    even while others write. Returns how many rows the main tables of the copy hold."""
    from pathlib import Path

    target = Path(expand_home(target))
    if target.is_dir():
        raise StorageError(f"cannot back up to {target}: it is a directory")
    if target.exists() and not overwrite:
        raise StorageError(f"{target} already exists; add --force to replace it")
    check_folder(target)
    refuse_own_file(conn, target)
    with _private_temp(target, ".tmp") as temp:
        copy = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.backup(copy)
            counts = {table: copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("contacts", "companies", "deals", "followups", "notes")}
        finally:
            copy.close()
        _durable(temp)
        os.replace(temp, target)
    _durable(target.parent)
    return counts


def rebuild(conn: sqlite3.Connection, fill: Callable[[sqlite3.Connection], T],
            keep_as: Path) -> T:
    """Replace the book ``conn`` has open with a new one that ``fill`` writes, keeping the
    old one as ``keep_as``. The new book is built beside the old and swapped in only when
    complete, so a failure (a full disk, say) leaves the old book as it was."""
    from pathlib import Path

    path = Path(file_path(conn))
    with _private_temp(path, ".new") as temp:
        try:
            fresh = connect(temp)
            try:
                result = fill(fresh)
                _checkpoint(fresh, temp)
            finally:
                fresh.close()
        except (StorageError, sqlite3.Error, OSError) as exc:
            reason = getattr(exc.__cause__, "strerror", None) or exc.__cause__ or exc
            raise StorageError(f"could not build the new book ({reason}); {path} is "
                               "unchanged") from exc
        _swap(conn, path, temp, keep_as)
    return result


def _swap(conn: sqlite3.Connection, path: Path, new: Path, keep_as: Path) -> None:
    """Under an exclusive lock, with the old book's WAL checkpointed and removed (so no
    stale -wal can be replayed into the new file), keep the old file and rename the new one
    over it."""
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as exc:
        raise StorageError(f"database {path} is in use by another crm; nothing was changed; "
                           "try again") from exc
    try:
        if os.path.exists(f"{path}-wal"):
            raise StorageError(f"database {path} is in use by another crm; nothing was "
                               "changed; try again")
        try:
            os.link(path, keep_as)
        except OSError:
            import shutil

            shutil.copyfile(path, keep_as)
        os.replace(new, path)
        _durable(path.parent)
    finally:
        conn.execute("ROLLBACK")


def _checkpoint(conn: sqlite3.Connection, path: Path) -> None:
    """Move everything from the WAL into the database file itself, or fail."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise StorageError(f"cannot complete {path}: it is in use")


@contextmanager
def _private_temp(beside: Path, suffix: str) -> Iterator[Path]:
    """A new private (0600) file in the folder of ``beside``, removed with its -wal and
    -shm unless it was renamed away."""
    import tempfile
    from pathlib import Path

    handle, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=suffix, dir=beside.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm"),
                         Path(f"{temp}-journal")):
            leftover.unlink(missing_ok=True)


def _durable(path: Path) -> None:
    """fsync a file or a folder (after a rename in it)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
