"""A vdir: one item per file in a folder, as vdirsyncer keeps it. Files are listed by their
extension and recognised by (mtime, size) before anything is read; crmcli writes them under a
temporary name that does not end in the extension, then renames them into place."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from crmcli.errors import CrmError

TEMPORARY_PREFIX = ".crmcli-"
TEMPORARY_SUFFIX = ".tmp"
MAX_ITEM_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int


def listing(folder: Path, extension: str) -> dict[str, FileState]:
    """Each item file's name (its href) and state; an absent folder is an empty vdir. Only
    regular files are items, as for vdirsyncer: a folder named ``x.vcf`` stopped every sync
    and a FIFO hung it."""
    found = {}
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            if entry.name.endswith(extension) and not entry.name.startswith("."):
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat()
                    if S_ISREG(stat.st_mode):
                        found[entry.name] = FileState(stat.st_mtime_ns, stat.st_size)
    return found


def read(folder: Path, href: str) -> tuple[bytes, FileState] | None:
    """The file's bytes and the state they were read at; None if it is gone."""
    try:
        with open(folder / href, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > MAX_ITEM_BYTES:
                raise CrmError(f"{href}: larger than {MAX_ITEM_BYTES // 2**20} MB")
            return handle.read(), FileState(stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def staged(folder: Path, href: str, data: bytes) -> Iterator[FileState]:
    """Write ``data`` under a temporary name, yield its state, and on leaving the block move
    it into place as ``href`` (or remove it if the block failed). Not flushed to disk here:
    the caller syncs once for many files."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}{TEMPORARY_SUFFIX}"
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            stat = os.fstat(handle.fileno())
        yield FileState(stat.st_mtime_ns, stat.st_size)
        os.replace(temporary, folder / href)
    finally:
        temporary.unlink(missing_ok=True)


def remove(folder: Path, href: str) -> None:
    (folder / href).unlink(missing_ok=True)


def remove_leftovers(folder: Path) -> None:
    """Temporary files of a run that was killed before it renamed them."""
    for path in folder.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` or fail at once: two runs never overlap."""
    import fcntl

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrmError(f"another crm sync is running (it holds {lock_file}); "
                           "try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
