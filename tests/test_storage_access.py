"""Which files crm opens and how: its own books only, explicit paths as given, read-only
files and folders for reading."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmcli import db as storage
from crmcli.cli import app

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mark(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA application_id").fetchone()[0]


def test_a_new_book_carries_crmcli_s_application_id(crm):
    crm.add("Ana")
    assert _mark(crm.db_path) == storage.APPLICATION_ID == 0x63726D31


def test_another_application_s_database_is_refused_untouched(crm):
    with sqlite3.connect(crm.db_path) as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.com')")
    before = _digest(crm.db_path)
    result = crm("list")
    assert result.exit_code == 1
    assert result.stderr == (f"crm: error: {crm.db_path} is not a crmcli database (it holds "
                             "the tables moz_places); crm will not touch it\n")
    assert _digest(crm.db_path) == before


def test_a_file_marked_by_another_application_is_refused(crm):
    with sqlite3.connect(crm.db_path) as conn:
        conn.execute("PRAGMA application_id = 1234")
    result = crm("add", "Ana")
    assert result.exit_code == 1
    assert "belongs to another application (application_id 0x000004d2)" in result.stderr


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_a_book_from_before_the_mark_is_marked_when_migrated(crm, release):
    with sqlite3.connect(crm.db_path) as conn:
        conn.executescript(release.read_text())
    assert _mark(crm.db_path) == 0
    assert "José Núñez" in [row["name"] for row in crm.ok("list").rows()]
    assert _mark(crm.db_path) == storage.APPLICATION_ID


def test_a_current_book_without_the_mark_gets_it(crm):
    crm.add("Ana")
    with sqlite3.connect(crm.db_path) as conn:
        conn.execute("PRAGMA application_id = 0")
    assert [row["name"] for row in crm.ok("list").rows()] == ["Ana"]
    assert _mark(crm.db_path) == storage.APPLICATION_ID


def test_an_explicit_path_in_a_missing_folder_is_an_error(crm, tmp_path):
    missing = tmp_path / "nonexistent" / "x" / "y.db"
    result = crm("--db", str(missing), "list")
    assert result.exit_code == 1
    assert result.stderr == (f"crm: error: cannot create database {missing}: folder "
                             f"{missing.parent} does not exist\n")
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_location_gets_its_folders(tmp_path):
    result = CliRunner().invoke(app, ["add", "Ana"])
    assert result.exit_code == 0, result.stderr
    book = tmp_path / "data" / "crmcli" / "crm.db"
    assert stat.S_IMODE(book.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(book.stat().st_mode) == 0o600


def test_writes_wait_only_for_the_wal_not_for_fsync(tmp_path):
    """synchronous=NORMAL in WAL mode: no commit is lost when a process dies."""
    conn = storage.connect(tmp_path / "crm.db")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


@pytest.fixture
def frozen(tmp_path):
    """Make a file or folder unchangeable even for root (chattr +i), undone afterwards."""
    frozen_paths = []

    def freeze(path: Path):
        if os.geteuid() != 0:
            path.chmod(stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0))
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("cannot make a file immutable here")
        frozen_paths.append(path)

    yield freeze
    for path in frozen_paths:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(stat.S_IRWXU if path.is_dir() else stat.S_IRUSR | stat.S_IWUSR)


def test_a_book_in_a_read_only_folder_reads_and_refuses_writes(tmp_path, frozen):
    folder = tmp_path / "ro"
    folder.mkdir()
    crm_db = folder / "crm.db"
    conn = storage.connect(crm_db)
    conn.execute("INSERT INTO companies (name, name_folded, created_at, updated_at)"
                 " VALUES ('ACME', 'acme', '', '')")
    conn.close()
    frozen(folder)
    runner = CliRunner()
    listed = runner.invoke(app, ["--db", str(crm_db), "company", "list", "-f", "tsv"])
    assert listed.exit_code == 0, listed.stderr
    assert "ACME" in listed.stdout
    added = runner.invoke(app, ["--db", str(crm_db), "add", "Ana"])
    assert added.exit_code == 1
    assert added.stderr == (f"crm: error: cannot write to database {crm_db}: it or its folder"
                            " is read-only; nothing was changed\n")


def test_a_read_only_folder_with_a_live_wal_shows_its_commits(tmp_path, frozen):
    """With a -wal file present the book is not immutable: its commits are read too."""
    folder = tmp_path / "ro"
    folder.mkdir()
    crm_db = folder / "crm.db"
    writer = storage.connect(crm_db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO companies (name, name_folded, created_at, updated_at)"
                   " VALUES ('Only In The WAL', 'only in the wal', '', '')")
    assert Path(f"{crm_db}-wal").stat().st_size > 0
    frozen(folder)
    listed = CliRunner().invoke(app, ["--db", str(crm_db), "company", "list", "-f", "tsv"])
    writer.close()
    assert listed.exit_code == 0, listed.stderr
    assert "Only In The WAL" in listed.stdout
