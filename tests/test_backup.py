"""Copies of the book: `crm backup`, and `crm demo --force` building the new book beside the
old one."""

from __future__ import annotations

import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys

import pytest

from crmcli import db as storage


def _names(crm, *options) -> list[str]:
    return [row["name"] for row in crm.ok(*options, "list").rows()]


def test_backup_holds_commits_still_in_the_wal(crm, tmp_path):
    crm.add("Bo Chen")
    keeper = storage.connect(crm.db_path)  # keeps the WAL from being checkpointed on close
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.ok("note", "ana", "Wants a pilot")
    shutil.copyfile(crm.db_path, tmp_path / "cp.db")
    target = tmp_path / "copy.db"
    result = crm.ok("backup", str(target))
    keeper.close()
    assert result.stdout == ""
    assert result.stderr.startswith(f"backed up 2 contacts, 0 companies, 0 deals, 0 follow-ups"
                                    f" and 1 notes to {target} (")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _names(crm, "--db", str(target)) == ["Ana Lima", "Bo Chen"]
    with sqlite3.connect(tmp_path / "cp.db") as conn:  # `cp` misses what is in the WAL
        assert conn.execute("SELECT name FROM contacts").fetchall() == [("Bo Chen",)]


def test_backup_never_overwrites_without_force(crm, tmp_path):
    crm.add("Ana")
    target = tmp_path / "existing.db"
    target.write_text("precious")
    target.chmod(0o644)
    refused = crm("backup", str(target))
    assert refused.exit_code == 1
    assert refused.stderr == f"crm: error: {target} already exists; add --force to replace it\n"
    assert target.read_text() == "precious"
    crm.ok("backup", str(target), "--force")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _names(crm, "--db", str(target)) == ["Ana"]


def test_backup_into_a_missing_folder_or_onto_itself_is_refused(crm, tmp_path):
    crm.add("Ana")
    missing = tmp_path / "no" / "copy.db"
    result = crm("backup", str(missing))
    assert result.stderr == (f"crm: error: cannot write {missing}: folder {missing.parent}"
                             " does not exist\n")
    itself = crm("backup", str(crm.db_path), "--force")
    assert itself.stderr == f"crm: error: {crm.db_path} is the book itself\n"
    assert _names(crm) == ["Ana"]


def test_backup_onto_the_books_own_log_is_refused(crm):
    """`crm backup crm.db-wal --force` replaced the write-ahead log, losing the commits it held
    that were not yet in the book's file."""
    crm.add("Bo Chen")
    keeper = storage.connect(crm.db_path)  # keeps the WAL from being checkpointed
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    crm.add("Ana Lima")
    for suffix in ("-wal", "-shm"):
        own = crm.db_path.with_name(crm.db_path.name + suffix)
        refused = crm("backup", str(own), "--force")
        assert refused.stderr == f"crm: error: {own} is one of the book's own files\n"
    keeper.close()
    assert _names(crm) == ["Ana Lima", "Bo Chen"]


@pytest.mark.parametrize("args", [["export"], ["export", "-f", "csv"], ["dump"]])
def test_writing_a_file_over_the_book_is_refused(crm, args):
    """`crm export -o crm.db` replaced the whole book with a vCard file."""
    crm.add("Ana Lima")
    result = crm(*args, "-o", str(crm.db_path))
    assert result.stderr == f"crm: error: {crm.db_path} is the book itself\n"
    assert _names(crm) == ["Ana Lima"]


def test_dump_into_a_directory_is_refused_before_writing(crm, tmp_path):
    crm.add("Ana Lima")
    result = crm("dump", "-o", str(tmp_path))
    assert (result.exit_code, result.stderr) == (1, f"crm: error: cannot write {tmp_path}: "
                                                    "it is a directory\n")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("args", [["export"], ["export", "-f", "json"], ["dump"]])
def test_output_dash_is_stdout_not_a_file_named_dash(crm, tmp_path, monkeypatch, args):
    crm.add("Ana Lima")
    monkeypatch.chdir(tmp_path)
    assert crm.ok(*args, "-o", "-").stdout == crm.ok(*args).stdout
    assert not (tmp_path / "-").exists()


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_demo_force_swaps_in_a_complete_book_and_keeps_the_old(crm, db_path):
    crm.add("Zed Old")
    result = crm.ok("demo", "--force")
    kept = next(db_path.parent.glob("crm.db.*.bak"))
    assert f"kept the previous database as {kept}" in result.stderr
    assert "José Núñez" in _names(crm) and "Zed Old" not in _names(crm)
    assert _names(crm, "--db", str(kept)) == ["Zed Old"]
    assert _leftovers(db_path.parent) == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _file_size_limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (240 * 1024, 240 * 1024))


def test_demo_force_that_cannot_finish_leaves_the_old_book(crm, db_path, tmp_path):
    """A disk that fills up while the new book is built: the old one stays, whole."""
    crm.add("Zed Old", "-e", "zed@example.com")
    result = subprocess.run(
        [sys.executable, "-m", "crmcli", "--db", str(db_path), "demo", "--force"],
        preexec_fn=_file_size_limit, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert result.returncode == 1
    assert result.stderr.startswith("crm: error: could not build the new book (")
    assert result.stderr.endswith(f"); {db_path} is unchanged\n")
    assert _names(crm) == ["Zed Old"]
    assert sorted(p.name for p in db_path.parent.iterdir() if "crm.db" in p.name) == ["crm.db"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
