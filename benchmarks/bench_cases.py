"""Times of the case list and the dashboard on a book with 10,000 service cases.

    python benchmarks/bench_cases.py            # 10 runs of each case, alternated
    python benchmarks/bench_cases.py --runs 20

The book: 10,000 generated contacts, then 10,000 cases with 30,000 entries in their histories:
15% open (a fifth of those overdue), 5% waiting (half with an end), the rest resolved or
closed, as a book that has tracked cases for years. Each case is a whole process (`python -m
crmcli`), after one warm-up; the cases are alternated run by run so that a busy machine slows
them alike. The clock is pinned (CRM_NOW). Reports the median wall time, the median CPU time
(user + system) and the peak RSS of each. Targets: `crm case list` (piped, and a screenful as a
table) and the dashboard (`crm`, piped and --json) under 0.2 s wall; the whole list as a
terminal table and every case (--status all) are reported without a target. Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import uuid

from bench_companies import run_once
from common import DATA, build_book, scratch_copy

CONTACTS = 10_000
CASES = 10_000
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
TARGET = 0.2
RUNS = [
    ("crm case list (piped)", ["case", "list"]),
    ("crm case list -f table", ["case", "list", "-f", "table"]),
    ("crm case list -f table --limit 50", ["case", "list", "-f", "table", "--limit", "50"]),
    ("crm case list --status all (piped)", ["case", "list", "--status", "all"]),
    ("crm case list --json", ["case", "list", "--json"]),
    ("crm case list --overdue (piped)", ["case", "list", "--overdue"]),
    ("crm (dashboard, piped)", []),
    ("crm dashboard --json", ["dashboard", "--json"]),
    ("crm due (piped, a peer)", ["due"]),
    ("crm report cases (piped)", ["report", "cases"]),
    ("crm list --limit 1 (the floor)", ["list", "--limit", "1"]),
]
TARGETED = ("crm case list (piped)", "crm case list -f table --limit 50",
            "crm (dashboard, piped)", "crm dashboard --json")


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _case(number: int, rng: random.Random) -> tuple[tuple, list[tuple]]:
    """A case row and its history."""
    opened = NOW - dt.timedelta(hours=rng.randrange(1, 24 * 200))
    kind = rng.random()
    status = ("open" if kind < 0.15 else "waiting" if kind < 0.2 else
              "resolved" if kind < 0.9 else "closed")
    due = opened + dt.timedelta(hours=rng.choice((4, 24, 48, 168)))
    if status == "open" and rng.random() < 0.8:
        due = max(due, NOW + dt.timedelta(hours=rng.randrange(1, 240)))  # most not overdue
    responded = opened + dt.timedelta(hours=rng.randrange(1, 30))
    resolved = responded + dt.timedelta(hours=rng.randrange(1, 200))
    waiting_since = _stamp(responded) if status == "waiting" else None
    until = (_stamp(NOW + dt.timedelta(days=rng.randrange(1, 9)))
             if status == "waiting" and rng.random() < 0.5 else None)
    done = status in ("resolved", "closed")
    row = (str(uuid.UUID(int=rng.getrandbits(128))), rng.randrange(1, CONTACTS + 1),
           f"Case {number}: {rng.choice(['Late delivery', 'Wrong invoice', 'Broken sensor'])}",
           rng.choice(("low", "normal", "normal", "high", "urgent")),
           rng.choice(("email", "phone", None)), status, _stamp(opened), _stamp(due),
           waiting_since, until, _stamp(responded), _stamp(resolved) if done else None,
           _stamp(resolved) if status == "closed" else None, _stamp(resolved if done else
                                                                    responded))
    events = [("opened", _stamp(opened), row[2]), ("note", _stamp(responded), "Called them"),
              ("resolved" if done else "waiting" if status == "waiting" else "note",
               _stamp(resolved if done else responded), "")]
    return row, events


def build(seed: int = 31):
    path = DATA / f"cases-{CASES}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    rng = random.Random(seed)
    from crmcli import db

    db.connect(partial).close()  # migrated to the current schema
    with sqlite3.connect(partial) as conn:
        for number in range(CASES):
            row, events = _case(number, rng)
            case_id = conn.execute(
                "INSERT INTO cases (uid, contact_id, company_id, title, priority, channel, status,"
                " opened_at, due_at, waiting_since, waiting_until, first_response_at,"
                " resolved_at, closed_at, updated_at) VALUES (?, ?, (SELECT company_id FROM"
                " contacts WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row[0], row[1], row[1], *row[2:]]).lastrowid
            conn.executemany("INSERT INTO case_events (case_id, kind, at, body) VALUES"
                             " (?, ?, ?, ?)", [(case_id, *event) for event in events])
    os.replace(partial, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = DATA / "cases-bench.db"
    scratch_copy(build(), book)
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": NOW.isoformat()}
    for _, args in RUNS:  # warm-up
        run_once(args, env)
    results: dict[str, list[tuple[float, float, int]]] = {label: [] for label, _ in RUNS}
    for _ in range(options.runs):
        for label, args in RUNS:
            results[label].append(run_once(args, env))
    passed = True
    for label, _ in RUNS:
        walls, cpus, rss = zip(*results[label], strict=True)
        wall = statistics.median(walls)
        verdict = ("" if label not in TARGETED else
                   "  ok" if wall < TARGET else f"  OVER {TARGET} s")
        passed = passed and (label not in TARGETED or wall < TARGET)
        print(f"{label:<32} wall median {wall:.3f} s (min {min(walls):.3f})  cpu median "
              f"{statistics.median(cpus):.3f} s  peak RSS {max(rss) / 1024:.0f} MiB{verdict}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
