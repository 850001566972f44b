"""The big listings write records as SQLite reads them: piped, memory does not grow with the
number of rows listed."""

from __future__ import annotations

import os
import sqlite3
import sys
import tracemalloc

import pytest

from crmcli.cli import app

NOW = "2026-11-25T10:00:00+00:00"
COPIES = 1500  # rows added to each table per step
LISTINGS = [["deal", "list", "--status", "all"], ["activity", "--limit", "1000000"],
            ["followups", "list", "--done"], ["notes", "list", "--limit", "1000000"],
            ["notes", "search", "pilot"], ["journal", "-n", "1000000"], ["due", "--all"]]


def _copy_rows(path, table: str, copies: int) -> None:
    """Add ``copies`` copies of the table's first row (new ids, new uids)."""
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "id"]
    names = ", ".join(columns)
    values = names.replace("uid", "lower(hex(randomblob(16)))") if "uid" in columns else names
    first = db.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0]
    db.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM {table}, "
               f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
               f" SELECT i FROM n) WHERE {table}.rowid = ?", [copies, first])
    db.commit()
    db.close()


def _peak(path, args, monkeypatch) -> int:
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w"))  # noqa: SIM115
    tracemalloc.start()
    try:
        with pytest.raises(SystemExit) as exit_:
            app(["--db", str(path), *args, "-f", "jsonl"], prog_name="crm")
        assert exit_.value.code in (0, None)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "crm.db"
    with pytest.raises(SystemExit):
        app(["--db", str(path), "demo"], prog_name="crm")
    return path


def _grow(path) -> None:
    for table in ("deals", "interactions", "notes", "followups", "journal_operations"):
        _copy_rows(path, table, COPIES)


def test_listings_do_not_hold_every_row(book, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    _grow(book)
    for args in LISTINGS:  # modules imported, caches filled: not counted below
        _peak(book, args, monkeypatch)
    small = {" ".join(args): _peak(book, args, monkeypatch) for args in LISTINGS}
    for _ in range(2):
        _grow(book)
    large = {" ".join(args): _peak(book, args, monkeypatch) for args in LISTINGS}
    grown = {name: round(large[name] / small[name], 2) for name in small}
    assert all(ratio < 1.5 for ratio in grown.values()), str(grown)
