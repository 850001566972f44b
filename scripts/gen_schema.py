"""Write src/crmcli/schema.py: the schema crmcli's migrations leave in a new book, from which
``crmcli.db`` creates new books without running the migrations. Run it after appending a
migration (tests/test_schema.py fails until it is run).

    python scripts/gen_schema.py
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src" / "crmcli" / "schema.py"
HEADER = '''"""The schema crmcli's migrations leave in a new book, written by
scripts/gen_schema.py from a book they built (tests/test_schema.py keeps the two equal: run
the script after appending a migration). A new book is created from it in one transaction,
without loading sqlite-utils and running every migration (about 60 ms of every first
command)."""

# Generated: do not edit.
'''


def migrated_book() -> sqlite3.Connection:
    """A new book built by the migrations themselves (as crmcli.db built every book before)."""
    from crmcli.db import APPLICATION_ID, SCHEMA_VERSION, utilities
    from crmcli.migrations import apply_all

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("BEGIN")
    apply_all(utilities(conn))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")
    return conn


def statements(book: sqlite3.Connection) -> list[str]:
    """The statements that build ``book``'s schema, in the order it was built; those SQLite
    makes itself (autoindexes, a full-text index's tables, sqlite_sequence) are left out: they
    come with the statement that caused them."""
    replay = sqlite3.connect(":memory:", isolation_level=None)
    made = []
    for name, sql in book.execute("SELECT name, sql FROM sqlite_master ORDER BY rowid"):
        if sql is None or replay.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                         [name]).fetchone():
            continue
        replay.execute(sql)
        made.append(sql)
    return made


def source() -> str:
    book = migrated_book()
    names = [name for (name,) in book.execute(
        "SELECT name FROM _sqlite_migrations ORDER BY id")]
    sequences = book.execute("SELECT name, seq FROM sqlite_sequence ORDER BY rowid").fetchall()
    lines = [HEADER, "MIGRATIONS = (", *[f"    {name!r}," for name in names], ")",
             f"SEQUENCES = {tuple(sequences)!r}", "STATEMENTS = ("]
    for sql in statements(book):
        lines += ["    (", *[f"        {piece!r}" for piece in _pieces(sql)], "    ),"]
    return "\n".join([*lines, ")", ""])


def _pieces(text: str, width: int = 80) -> list[str]:
    """``text`` cut into pieces that fit a source line (joined again as adjacent literals)."""
    pieces = []
    for line in text.splitlines(keepends=True):
        pieces += [line[start:start + width] for start in range(0, len(line), width)]
    return pieces


def main() -> int:
    TARGET.write_text(source(), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
