"""The journal's cost on a 10,000-card import, and the undo of that import.

    python benchmarks/bench_journal.py                 # 10,000 cards, 5 runs
    python benchmarks/bench_journal.py --cards 2000 --runs 3

Peers, alternated in the same run, each a whole `crm import` process into a fresh book: the
CLI as shipped (journaled) and the same CLI with the journal's recorder not attached. Reports
median wall and CPU time and peak RSS of each, the journal's size against the import's own size
(the book's growth without the journal), and the time of `crm undo` of the import, after
which the book and its search index must be empty again.

Targets: journal size <= 2x the import's own size; the undo <= 5 s. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CRM, FIRST, LAST, TAGS

UNJOURNALED = [sys.executable, "-c", "import sys; from crmcli.cli import common, main; "
               "common.State._start_journal = lambda self: None; sys.argv[0] = 'crm'; main()"]


def cards(count: int) -> str:
    """Plain vCards 3.0 as a phone exports them (no photos, which would flatter the ratio)."""
    rng = random.Random(11)
    out = []
    for number in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        out.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"UID:bench-{number}\r\nFN:{first} {last} {number}\r\nN:{last};{first};;;\r\n"
            f"ORG:Company {number % 997}\r\nTITLE:Buyer\r\n"
            f"EMAIL;TYPE=INTERNET,WORK:{first[0].lower()}{number}@example{number % 89}.com\r\n"
            f"TEL;TYPE=CELL:+34 6{rng.randrange(10**7, 10**8)}\r\n"
            f"CATEGORIES:{','.join(rng.sample(TAGS, 2))}\r\n"
            + (f"NOTE:Met at fair {number % 50}\r\n" if number % 4 == 0 else "")
            + "END:VCARD\r\n")
    return "".join(out)


def run(command: list[str], args: list[str], db: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one whole process."""
    env = {**os.environ, "CRM_DB": str(db)}
    started = time.perf_counter()
    process = subprocess.Popen([*command, *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def fresh_book(folder: Path, name: str) -> Path:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    subprocess.run([*CRM, "--db", str(path), "journal"], check=True, stdout=subprocess.DEVNULL)
    return path


def compacted_size(db: Path, without_journal: bool) -> int:
    """The book's size once checkpointed and vacuumed (optionally with the journal emptied)."""
    conn = sqlite3.connect(db, isolation_level=None)
    if without_journal:
        conn.execute("DELETE FROM journal_changes")
        conn.execute("DELETE FROM journal_operations")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    source = folder / "cards.vcf"
    source.write_text(cards(options.cards), encoding="utf-8")
    peers = {"journaled": CRM, "no journal": UNJOURNALED}
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in peers}
    undo_times = []
    for attempt in range(options.runs + 1):  # the first round warms up
        for name, command in peers.items():
            book = fresh_book(folder, f"{name.replace(' ', '-')}.db")
            measured = run(command, ["import", str(source)], book)
            if attempt:
                results[name].append(measured)
        if attempt:
            undo_times.append(run(CRM, ["undo"], book_with_journal(folder)))
            check_emptied(book_with_journal(folder))
    empty = compacted_size(fresh_book(folder, "empty.db"), False)
    book = fresh_book(folder, "sized.db")
    run(CRM, ["import", str(source)], book)
    with_journal = compacted_size(book, False)
    without_journal = compacted_size(book, True)
    own, journal_size = without_journal - empty, with_journal - without_journal
    ratio = journal_size / own

    print(f"{options.cards} cards, {options.runs} runs, peers alternated")
    medians = {}
    for name, rows in results.items():
        wall, cpu, rss = medians[name] = tuple(
            statistics.median(values) for values in zip(*rows, strict=True))
        print(f"import, {name:<11} median wall {wall:.2f} s  cpu {cpu:.2f} s  "
              f"peak RSS {rss / 1024:.0f} MiB")
    (wall, cpu, _), (bare_wall, bare_cpu, _) = medians["journaled"], medians["no journal"]
    print(f"journal's time cost: wall x{wall / bare_wall:.2f}, cpu x{cpu / bare_cpu:.2f}")
    print(f"journal size {journal_size / 1e6:.2f} MB for an import of {own / 1e6:.2f} MB: "
          f"ratio {ratio:.2f} (target <= 2)")
    undo, undo_cpu, _ = (statistics.median(values) for values in zip(*undo_times, strict=True))
    print(f"crm undo of the import: median wall {undo:.2f} s  cpu {undo_cpu:.2f} s  "
          f"max wall {max(wall for wall, _, _ in undo_times):.2f} s (target <= 5 s)")
    return 0 if ratio <= 2 and undo <= 5 else 1


def check_emptied(db: Path) -> None:
    """After the undo of an import into an empty book: no contact, and the search index
    holds nothing either (it is in step with the rows)."""
    conn = sqlite3.connect(db)
    counts = [conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("contacts", "contact_search", "note_search")]
    conn.close()
    if counts != [0, 0, 0]:
        raise SystemExit(f"after the undo: contacts, contact_search, note_search = {counts}")


def book_with_journal(folder: Path) -> Path:
    return folder / "journaled.db"


if __name__ == "__main__":
    sys.exit(main())
