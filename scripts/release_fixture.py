"""Write a book as a release fixture: plain SQL that ``executescript()`` replays.

Usage: python scripts/release_fixture.py BOOK.db tests/fixtures/releases/vN.sql

``iterdump`` writes an FTS5 table as a row of ``sqlite_master`` plus its shadow tables, which a
single ``executescript`` cannot use; this writes ``CREATE VIRTUAL TABLE`` and the indexed rows.
"""

import re
import sqlite3
import sys
from pathlib import Path

TABLE_NAME = re.compile(r"""CREATE TABLE (?:IF NOT EXISTS )?'([^']+)'|INSERT INTO "?(\w+)"?[ (]""")


def quoted(value) -> str:
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def virtual_tables(conn: sqlite3.Connection) -> list[str]:
    """CREATE VIRTUAL TABLE statements followed by the rows each table indexes."""
    lines = []
    for table, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"):
        lines.append(sql + ";")
        columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        for rowid, *values in conn.execute(f"SELECT rowid, * FROM {table}"):
            row = ", ".join(quoted(value) for value in values)
            lines.append(f'INSERT INTO "{table}" (rowid, {columns}) VALUES ({rowid}, {row});')
    return lines


def dump(conn: sqlite3.Connection) -> list[str]:
    virtual = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
    indexed = re.compile(r"^({})(_(data|idx|content|docsize|config))?$".format("|".join(virtual)))
    lines = []
    for line in conn.iterdump():
        if line.startswith(("PRAGMA writable_schema", "INSERT INTO sqlite_")):
            continue
        name = TABLE_NAME.match(line)
        if name and indexed.match(name.group(1) or name.group(2)):
            continue
        if line == "COMMIT;":
            lines.extend(virtual_tables(conn))
        lines.append(line)
    return lines


if __name__ == "__main__":
    source, target = sys.argv[1:3]
    Path(target).write_text("\n".join(dump(sqlite3.connect(source))) + "\n")
