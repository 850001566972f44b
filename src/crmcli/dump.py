"""The whole book as canonical JSON Lines, and back.

A dump is a header line, then one line per row of every user table (``userdata``), tables in
dependency order and rows by primary key, keys sorted: the same book always gives the same
bytes, so dumps diff well in git and serve as the yardstick of the undo tests. Caches, delivery
state and search indexes are left out; a load rebuilds the indexes.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator
from sqlite3 import Connection
from typing import TextIO

from crmcli import search, userdata
from crmcli.db import SCHEMA_VERSION, transaction
from crmcli.errors import InvalidInput

FORMAT = "crmcli-dump"
MAX_LINE = 64 * 1024 * 1024  # a row holding a card with a large photo still fits


def canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dump(db: Connection) -> Iterator[str]:
    """The lines of the dump, each ending in a newline, read in one snapshot."""
    db.execute("BEGIN")
    try:
        yield canonical({"format": FORMAT, "schema": SCHEMA_VERSION}) + "\n"
        for table in userdata.USER_TABLES:
            names = userdata.columns(db, table)
            order = ", ".join(userdata.key_columns(db, table))
            for row in db.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY {order}"):
                yield canonical({"table": table, "row": dict(zip(names, row, strict=True))}) + "\n"
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def load(db: Connection, lines: Iterable[str], where: str) -> int:
    """Restore a dump into an empty book; returns the number of rows. All or nothing."""
    with transaction(db):
        if not is_empty(db):
            raise InvalidInput(f"cannot load {where}: the book is not empty (load restores "
                               "into a new, empty book)")
        known = {table: set(userdata.columns(db, table)) for table in userdata.USER_TABLES}
        count, header = 0, False
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_LINE:
                raise InvalidInput(f"{where}:{number}: line longer than {MAX_LINE:,} characters")
            if not header:
                header = _check_header(line, where)
            elif line.strip():
                _insert(db, known, *_row(line, f"{where}:{number}"), f"{where}:{number}")
                count += 1
        if not header:
            raise InvalidInput(f"{where}: empty file, not a crm dump")
        search.refresh(db, _all(db, "contacts"), _all(db, "notes"))
        return count


def lines(stream: TextIO) -> Iterator[str]:
    """The lines of a dump, each read only up to MAX_LINE + 1 characters: a longer one (a
    file, pipe or device that never ends its line) is refused by ``load``, not held whole."""
    return iter(lambda: stream.readline(MAX_LINE + 1), "")


def is_empty(db: Connection) -> bool:
    return not any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in userdata.USER_TABLES)


def _check_header(line: str, where: str) -> bool:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput(f"{where}:1: not a crm dump (no {FORMAT} header)")
    if header.get("schema") != SCHEMA_VERSION:
        raise InvalidInput(f"{where}: dump of schema {header.get('schema')}, this crm has "
                           f"schema {SCHEMA_VERSION}; load it with the crm that wrote it, "
                           "then dump again after upgrading")
    return True


def _row(line: str, where: str) -> tuple[str, dict]:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise InvalidInput(f"{where}: not JSON ({exc})") from None
    table = record.get("table") if isinstance(record, dict) else None
    row = record.get("row") if isinstance(record, dict) else None
    if table not in userdata.USER_TABLES or not isinstance(row, dict):
        raise InvalidInput(f"{where}: expected {{\"table\": ..., \"row\": {{...}}}} naming "
                           f"one of {', '.join(userdata.USER_TABLES)}")
    return table, row


def _insert(db: Connection, known: dict[str, set[str]], table: str, row: dict, where: str
            ) -> None:
    unknown = sorted(set(row) - known[table])
    if unknown:
        raise InvalidInput(f"{where}: table {table} has no column {unknown[0]!r}")
    if not all(_storable(value) for value in row.values()):
        raise InvalidInput(f"{where}: values must be text, numbers SQLite can store "
                           "(whole numbers of 64 bits, finite decimals) or null")
    if isinstance(row.get("id"), int | float) and row["id"] < 1:
        raise InvalidInput(f"{where}: table {table}: an id is a whole number from 1, as "
                           "crm numbers rows (sync keeps 0 and the negative numbers for "
                           "its own use)")
    names = list(row)
    try:
        db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                   f"({', '.join('?' * len(names))})", [row[name] for name in names])
    except sqlite3.IntegrityError as exc:
        raise InvalidInput(f"{where}: row refused by table {table}: {exc}") from None


def _all(db: Connection, table: str) -> list[int]:
    return [row_id for (row_id,) in db.execute(f"SELECT id FROM {table}")]


def _storable(value: object) -> bool:
    if isinstance(value, int):
        return -2**63 <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str)
