"""Times of a company's page and the company list on a book of 10,000 contacts.

    python benchmarks/bench_companies.py            # 10 runs of each case, alternated
    python benchmarks/bench_companies.py --runs 20

The book: 10,000 generated contacts in 1,000 companies, then one large company holding 500 of
them, 50,000 logged interactions (10,000 of them with the large company's people), 2,000 deals
(300 of them the large company's) and 200 company notes. Each case is a whole process (`python
-m crmcli`), after one warm-up; the cases are alternated run by run so that a busy machine
slows them alike. Reports the median wall time, the median CPU time (user + system) and the
peak RSS of each. Target: `crm company show` (piped and -f table) under 0.2 s wall. Exits 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time

from common import CRM, DATA, build_book, scratch_copy

CONTACTS = 10_000
BIG = 500  # people of the company whose page is timed
INTERACTIONS = 50_000
DEALS = 2_000
TARGET = 0.2
CASES = [
    ("crm company show (piped)", ["company", "show", "1"]),
    ("crm company show -f table", ["company", "show", "1", "-f", "table"]),
    ("crm company show --json", ["company", "show", "1", "--json"]),
    ("crm company list (piped)", ["company", "list"]),
    ("crm show (piped, a peer)", ["show", "2"]),
]
TARGETED = ("crm company show (piped)", "crm company show -f table")
STAMP = "2026-{:02d}-{:02d}T{:02d}:00:00Z"


def build(seed: int = 29):
    path = DATA / f"companies-{CONTACTS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    rng = random.Random(seed)
    with sqlite3.connect(partial) as conn:
        conn.execute("UPDATE companies SET name = 'Big Co', name_folded = 'big co',"
                     " industry = 'logistics', size = '5000' WHERE id = 1")
        conn.execute("UPDATE contacts SET company_id = 1 WHERE id <= ?", [BIG])
        conn.executemany(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(rng.randrange(1, BIG + 1) if n % 5 == 0 else rng.randrange(1, CONTACTS + 1),
              rng.choice(["call", "email", "meeting"]), f"Talk {n}", stamp, stamp)
             for n in range(INTERACTIONS)
             for stamp in [STAMP.format(rng.randrange(1, 11), rng.randrange(1, 28),
                                        rng.randrange(8, 18))]])
        conn.executemany(
            "INSERT INTO deals (contact_id, company_id, title, amount_minor, currency, stage,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(contact, 1 if contact <= BIG else None, f"Deal {n}", rng.randrange(10**4, 10**7),
              rng.choice(["EUR", "USD"]), rng.choice(["lead", "proposal", "won", "lost"]),
              "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
             for n in range(DEALS)
             for contact in [rng.randrange(1, BIG + 1) if n % 7 < 1 else
                             rng.randrange(1, CONTACTS + 1)]])
        conn.executemany(
            "INSERT INTO company_notes (company_id, body, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)", [(1 + n % 5, f"Company note {n}", "2026-02-01T00:00:00Z",
                                      "2026-02-01T00:00:00Z") for n in range(200)])
    os.replace(partial, path)
    return path


def run_once(args: list[str], env: dict) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen([*CRM, *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"crm {' '.join(args)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = DATA / "companies-bench.db"
    scratch_copy(build(), book)
    env = {**os.environ, "CRM_DB": str(book)}
    for _, args in CASES:  # warm-up
        run_once(args, env)
    results: dict[str, list[tuple[float, float, int]]] = {label: [] for label, _ in CASES}
    for _ in range(options.runs):
        for label, args in CASES:
            results[label].append(run_once(args, env))
    passed = True
    for label, _ in CASES:
        walls, cpus, rss = zip(*results[label], strict=True)
        wall = statistics.median(walls)
        verdict = ("" if label not in TARGETED else
                   "  ok" if wall < TARGET else f"  OVER {TARGET} s")
        passed = passed and (label not in TARGETED or wall < TARGET)
        print(f"{label:<30} wall median {wall:.3f} s (min {min(walls):.3f})  cpu median "
              f"{statistics.median(cpus):.3f} s  peak RSS {max(rss) / 1024:.0f} MiB{verdict}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
