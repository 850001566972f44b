"""A new book is created from crmcli.schema instead of by running every migration: it must be
exactly the book the migrations build (its upgrades from every release are compared with it
in test_storage.py)."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path

from crmcli import db as storage
from crmcli import schema
from crmcli.migrations import migrations

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_schema", ROOT / "scripts" / "gen_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _contents(conn: sqlite3.Connection) -> dict:
    """Everything a book holds but the moments its migrations ran at."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {
        "schema": conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                               " ORDER BY type, name").fetchall(),
        "rows": {table: conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
                 for table in tables if table != "_sqlite_migrations"},
        "migrations": conn.execute("SELECT id, migration_set, name FROM _sqlite_migrations"
                                   " ORDER BY id").fetchall(),
        "pragmas": [conn.execute(f"PRAGMA {pragma}").fetchone()[0] for pragma in (
            "user_version", "application_id", "page_size", "auto_vacuum", "encoding",
            "journal_mode")],
    }


def test_a_new_book_is_exactly_the_book_the_migrations_build(tmp_path):
    new = storage.connect(tmp_path / "new.db")
    built = storage.connect(tmp_path / "built.db", migrate=False)
    built.execute("PRAGMA foreign_keys = OFF")
    with storage.transaction(built):
        migrations.apply(storage.utilities(built))
        built.execute(f"PRAGMA application_id = {storage.APPLICATION_ID}")
        built.execute(f"PRAGMA user_version = {storage.SCHEMA_VERSION}")
    assert _contents(new) == _contents(built)
    assert len(schema.MIGRATIONS) == storage.SCHEMA_VERSION
    applied = [moment for (moment,) in new.execute("SELECT applied_at FROM _sqlite_migrations")]
    assert all(moment.endswith("+00:00") for moment in applied)


def test_a_new_book_is_created_without_loading_sqlite_utils(tmp_path):
    code = ("import sys; from crmcli import db; db.connect(sys.argv[1]);"
            " assert 'sqlite_utils' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "new.db")], check=True)


def test_the_schema_module_is_what_the_migrations_leave():
    """Fails after a migration is appended until ``python scripts/gen_schema.py`` is run."""
    current = (ROOT / "src" / "crmcli" / "schema.py").read_text(encoding="utf-8")
    assert _generator().source() == current, "run: python scripts/gen_schema.py"
