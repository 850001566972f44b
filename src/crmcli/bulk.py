"""Writing many rows with one statement.

A statement on a table the journal's triggers watch opens a statement savepoint (spilled to a
temporary file); ``executemany`` runs one statement a row, and the savepoint and the
trigger's start then cost about three times the row's own insert. Rows staged in a TEMP
table and written with one ``INSERT ... SELECT`` pay that once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


def insert_staged(conn: sqlite3.Connection, insert: str, rows: list[tuple],
                  upsert: str = "") -> None:
    """Run ``insert`` ("INSERT INTO t (a, b)", then ``upsert``: an ON CONFLICT clause, if any)
    for all ``rows`` as one statement (see ``staged``)."""
    if not rows:
        return
    with staged(conn, rows) as (table, names):
        conn.execute(f"{insert} SELECT {names} FROM {table} WHERE true ORDER BY rowid {upsert}")


@contextmanager
def staged(conn: sqlite3.Connection, rows: list[tuple]) -> Iterator[tuple[str, str]]:
    """Within: ``rows`` (at least one) in a TEMP table, as (its name, its columns "c0, c1,
    ..."), so that one statement writes them all. Values reach the table as if bound directly
    (the staging columns have no affinity)."""
    width = len(rows[0])
    names = ", ".join(f"c{index}" for index in range(width))
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS staged_rows_{width} ({names})")
    table = f"temp.staged_rows_{width}"
    conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)
    try:
        yield table, names
    finally:
        conn.execute(f"DELETE FROM {table}")
