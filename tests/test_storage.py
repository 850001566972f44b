"""The database file: permissions, pragmas, migrations from every release, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat
from pathlib import Path

import pytest

from crmcli import contacts
from crmcli import db as storage
from crmcli.errors import StorageError
from crmcli.migrations import migrations

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def _schema(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return {(name, " ".join(sql.split())) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}


def _rows(path: Path, table: str) -> list[dict]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]


def test_new_database_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / "folder" / "crm.db"
    database = storage.connect(path, create_folder=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert not migrations.pending(storage.utilities(database))
    assert database.execute("PRAGMA user_version").fetchone()[0] == storage.SCHEMA_VERSION


def test_schema_version_counts_the_migrations():
    assert len(migrations._migrations) == storage.SCHEMA_VERSION


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "future.db"
    storage.connect(path).execute(f"PRAGMA user_version = {storage.SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="written by a newer crmcli"):
        storage.connect(path)


def test_every_migration_prefix_upgrades(tmp_path):
    """A database left at any earlier migration reaches the same schema as a new one."""
    fresh = tmp_path / "fresh.db"
    storage.connect(fresh).close()
    names = [m.name for m in migrations._migrations]
    for index, name in enumerate(names):
        path = tmp_path / f"at-{index}.db"
        partial = storage.connect(path, migrate=False)
        migrations.apply(storage.utilities(partial), stop_before=name)
        partial.close()
        storage.connect(path).close()
        assert _schema(path) == _schema(fresh)


# Columns a migration moved to another table (checked there).
MOVED = {("contacts", "anniversary")}


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_release_fixture_upgrades_with_its_data(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    before = {table: _rows(path, table) for table in ("contacts", "companies", "notes",
                                                      "contact_details", "contact_tags")}
    database = storage.connect(path)
    assert not migrations.pending(storage.utilities(database))
    assert [c.name for c in contacts.search(database, "nunez renewal")] == ["José Núñez"]
    database.close()
    for table, rows in before.items():
        after = _rows(path, table)
        kept = [{key: value for key, value in row.items() if (table, key) not in MOVED}
                for row in rows]
        assert [{key: row[key] for key in old} for row, old in zip(after, kept, strict=True)] \
            == kept, f"{table} changed"
    if "anniversary" in before["contacts"][0]:  # a book from before the dates table
        anniversaries = {(row["id"], row["anniversary"]) for row in before["contacts"]
                         if row.get("anniversary")}
        moved = {(row["contact_id"], row["date"]) for row in _rows(path, "contact_dates")}
        assert moved == anniversaries
    fresh = tmp_path / "fresh.db"
    storage.connect(fresh).close()
    assert _schema(path) == _schema(fresh)


def _add_many(db_path: str, prefix: str, count: int, start) -> list[str]:
    from typer.testing import CliRunner

    from crmcli.cli import app

    start.wait()
    runner = CliRunner()
    failures = []
    for number in range(count):
        result = runner.invoke(app, ["--db", db_path, "add", f"{prefix} {number}",
                                     "-e", f"{prefix}{number}@example.com"])
        if result.exit_code:
            failures.append(f"{prefix} {number}: exit {result.exit_code}: {result.stderr}"
                            f"{result.exception!r}")
    return failures


def test_two_processes_adding_at_once_never_see_a_locked_database(db_path):
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    with context.Pool(2) as pool:
        jobs = [pool.apply_async(_add_many, (str(db_path), prefix, 300, start))
                for prefix in ("cron", "shell")]
        start.set()
        failures = [failure for job in jobs for failure in job.get(timeout=240)]
    assert failures == []
    assert _rows(db_path, "contacts").__len__() == 600
