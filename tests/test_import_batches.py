"""A large import commits in batches: other writers wait a moment, not the whole import, and an
import killed half-way finishes on a second run without duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CARDS = 5000


def _cards(path, count: int) -> None:
    path.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bulk-{n}\r\nFN:Bulk Person {n}\r\n"
        f"EMAIL:bulk{n}@example.com\r\nEND:VCARD\r\n" for n in range(count)))


def _count(db_path, sql: str) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _start_import(db_path, vcf, tmp_path) -> subprocess.Popen:
    """Start importing, in a process group of its own as a terminal's foreground command, and
    return once the first batch is committed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crmcli", "--db", str(db_path), "import", str(vcf)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0,
        env={"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path / "config")})
    deadline = time.monotonic() + 60
    while _count(db_path, "SELECT count(*) FROM contacts") <= 1:
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    return process


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (such as an import's parsing worker)."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in _read(task / "children").split()]


def _assert_gone(pids: list[int]) -> None:
    """None of ``pids`` still runs, a few seconds on (a zombie has no command line)."""
    deadline = time.monotonic() + 5
    while True:
        left = [pid for pid in pids if _read(Path(f"/proc/{pid}/cmdline"))]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left == [], f"processes left behind: {left}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


def test_other_writers_wait_a_moment_not_the_whole_import(crm, db_path, tmp_path):
    vcf = tmp_path / "big.vcf"
    _cards(vcf, CARDS)
    crm.add("Someone First")
    importing = _start_import(db_path, vcf, tmp_path)
    failures = []
    for n in range(50):
        for args in (("add", f"Concurrent {n}"), ("log", "Someone First", "-t", "call",
                                                  f"Call {n}")):
            result = crm(*args)
            if result.exit_code:  # "database is locked": it waited past the busy timeout
                failures.append(result.stderr)
    assert importing.wait(timeout=240) == 0, importing.stderr.read()
    assert failures == []
    # Counted, not timed (a wall-clock bound is flaky under load): writers got in between the
    # import's batches, so the import's last contact came after the first writer's
    first_writer = _count(db_path, "SELECT min(id) FROM contacts WHERE name LIKE 'Concurrent %'")
    assert first_writer < _count(db_path, "SELECT max(id) FROM contacts WHERE name LIKE 'Bulk %'")
    assert _count(db_path, "SELECT count(*) FROM contacts") == CARDS + 51
    assert _count(db_path, "SELECT count(*) FROM interactions") == 50


def test_an_import_killed_half_way_finishes_on_a_second_run(crm, db_path, tmp_path):
    vcf = tmp_path / "big.vcf"
    _cards(vcf, CARDS)
    crm.add("Someone First")
    importing = _start_import(db_path, vcf, tmp_path)
    worker = _children(importing.pid)
    assert len(worker) == (len(os.sched_getaffinity(0)) > 1)  # its parsing worker
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=60)
    _assert_gone(worker)
    committed = _count(db_path, "SELECT count(*) FROM contacts") - 1
    assert 0 < committed < CARDS
    result = crm.ok("import", str(vcf))
    assert f"created {CARDS - committed}, updated 0, unchanged {committed}" in result.stderr
    assert _count(db_path, "SELECT count(*) FROM contacts") == CARDS + 1
    assert _count(db_path, "SELECT count(DISTINCT uid) FROM contacts") == CARDS + 1


def test_ctrl_c_stops_the_import_and_its_worker_between_batches(crm, db_path, tmp_path):
    """Ctrl-C (SIGINT to the terminal's foreground process group): one line saying how many
    records are in, exactly that many committed, and no worker left. The worker has a
    process group of its own: the importer stops it (a traceback of its own never shows)."""
    vcf = tmp_path / "big.vcf"
    _cards(vcf, CARDS)
    crm.add("Someone First")
    importing = _start_import(db_path, vcf, tmp_path)
    worker = _children(importing.pid)
    assert len(worker) == (len(os.sched_getaffinity(0)) > 1)
    os.killpg(importing.pid, signal.SIGINT)
    assert importing.wait(timeout=60) == 130
    _assert_gone(worker)
    message = importing.stderr.read()
    assert message.startswith("crm: error: interrupted; the first ") and "Traceback" not in message
    committed = int(message.split("the first ")[1].split()[0])
    assert 0 < committed < CARDS
    assert _count(db_path, "SELECT count(*) FROM contacts") == committed + 1


def test_a_bad_record_costs_only_itself_and_the_import_stays_one_undo(crm, db_path, tmp_path):
    """A batch goes in without savepoints; a record that fails when it is written (here a
    bulk edit of a contact changed since its export) makes its batch go in again record by
    record, so only that record is skipped, and the whole import is still one undo."""
    vcf = tmp_path / "bulk.vcf"
    _cards(vcf, 600)
    crm.ok("import", str(vcf))
    lines = crm.ok("export", "-f", "jsonl").stdout.splitlines()
    records = [json.loads(line) | {"tags": ["edited"]} for line in lines]
    changed = records[300]
    crm.ok("edit", str(changed["id"]), "--title", "Changed meanwhile")
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = crm("import", str(edited))
    assert result.exit_code == 1
    assert "created 0, updated 599, unchanged 0, skipped 0, failed 1" in result.stderr
    assert f"line 301: contact {changed['id']} changed since it was exported" in result.stderr
    assert result.stderr.count("changed since it was exported") == 1  # the first try forgotten
    tagged = {row["name"] for row in crm.ok("list", "--tag", "edited").rows()}
    assert len(tagged) == 599 and changed["name"] not in tagged
    assert {"Bulk Person 299", "Bulk Person 301"} <= tagged
    assert len(crm.ok("list", "edited").rows()) == 599  # the search index followed
    crm.ok("undo")
    assert crm.ok("list", "--tag", "edited").rows() == []
    assert _count(db_path, "SELECT count(*) FROM contacts") == 600


def test_a_card_met_again_in_the_same_batch_is_searchable_by_what_it_added(crm, tmp_path):
    """A batch holds back its new rows of the search index until its end; a later card of
    the batch that adds to a contact created earlier in it still leaves one row, current."""
    vcf = tmp_path / "twice.vcf"
    _cards(vcf, 20)
    vcf.write_text(vcf.read_text() + "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bulk-3\r\n"
                   "FN:Bulk Person 3\r\nEMAIL:second.address@example.org\r\nNOTE:Met twice\r\n"
                   "END:VCARD\r\n")
    assert "created 20, updated 1" in crm.ok("import", str(vcf)).stderr
    assert [row["name"] for row in crm.ok("list", "second.address").rows()] == [
        "Bulk Person 3"]
    assert [row["name"] for row in crm.ok("list", "met twice").rows()] == ["Bulk Person 3"]
    assert len(crm.ok("list", "bulk").rows()) == 20


def test_the_lock_stays_free_between_batches_for_what_is_left_of_the_moment(tmp_path,
                                                                            monkeypatch):
    """After ``let_writers_in`` the next transaction starts no sooner than LET_GO_SECONDS
    later; time spent meanwhile (reading the next batch) counts, and is not slept again."""
    from crmcli import db

    conn = db.connect(tmp_path / "crm.db")
    naps: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(db.time, "sleep", lambda seconds: (naps.append(seconds),
                                                           real_sleep(seconds)))
    db.let_writers_in()
    with db.transaction(conn):
        pass
    assert len(naps) == 1 and 0 < naps[0] <= db.LET_GO_SECONDS
    db.let_writers_in()
    real_sleep(db.LET_GO_SECONDS)  # the next batch takes this long to read
    with db.transaction(conn):
        pass
    assert len(naps) == 1
