"""The contact page and the dashboard on a book with a long history.

    python benchmarks/bench_activity.py [--runs 10]

Builds 10,000 contacts with 200,000 interactions over two years and times `crm show REF`
and `crm` (the dashboard) as whole processes; target: each under 0.25 s. Also reports the
timeline, the heatmap and the last-contact sort. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time

from common import DATA, build_book, report, scratch_copy, time_command

CONTACTS = 10_000
INTERACTIONS = 200_000
KINDS = ("call", "email", "meeting", "message", "visit", "other")

CASES = [
    ("crm show 42", ["show", "42"], 0.25),
    ("crm show 'Ana Lima 1'", ["show", "Ana Lima 1"], 0.25),
    ("crm (dashboard)", [], 0.25),
    ("crm activity --limit 100", ["activity", "--limit", "100"], None),
    ("crm activity --contact 42", ["activity", "--contact", "42"], None),
    ("crm activity --heatmap", ["activity", "--heatmap"], None),
    ("crm list --sort last-contact --limit 20", ["list", "--sort", "last-contact", "--limit",
                                                "20"], None),
]


def build_history():
    path = DATA / f"activity-{CONTACTS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    rng = random.Random(11)
    now = time.time()
    rows = []
    for _ in range(INTERACTIONS):
        moment = time.gmtime(now - rng.uniform(0, 2 * 365 * 86400))
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)
        rows.append((rng.randrange(1, CONTACTS + 1), rng.choice(KINDS),
                     f"Talked about order {rng.randrange(10_000)}", at, at))
    conn = sqlite3.connect(partial)
    with conn:
        conn.executemany("INSERT INTO interactions (contact_id, kind, body, happened_at,"
                         " created_at) VALUES (?, ?, ?, ?, ?)", rows)
    conn.close()
    os.replace(partial, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = build_history()
    print(f"{CONTACTS:,} contacts, {INTERACTIONS:,} interactions "
          f"({book.stat().st_size / 1e6:.1f} MB)")
    passed = True
    for label, args, target in CASES:
        passed &= report(label, time_command(args, book, options.runs), target)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
