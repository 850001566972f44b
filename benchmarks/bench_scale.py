"""Interactive commands on large books: what a person runs while working, each a whole process.

    python benchmarks/bench_scale.py                          # 10,000, 100,000, 1,000,000
    python benchmarks/bench_scale.py --contacts 1000000 --runs 10
    python benchmarks/bench_scale.py --contacts 1000000 --only due --only dashboard

The books are common.build_book's (written through the domain layer: contacts, a follow-up per
50, a deal per 100, a call per 10, a cadence per 1,000, 1 in 100 in the trash), the clock pinned
at the moment they were built (CRM_NOW), output piped. Cases: `show` by id, by name and by
phone, a narrow search (a full name: a handful of hits), mutt-query, the dashboard, `due`
piped (served without Typer) and with an option (through Typer, as on a terminal), `pipeline`.
After a warm-up (which also brings the book to the current schema), the cases alternate run by
run. Target: each within 0.15 s on 1,000,000 contacts, judged on wall and CPU
time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys

from common import BOOK_NOW, CRM, alternate, build_book, judge, summary

TARGET = {1_000_000: 0.15}


def cases(book) -> dict[str, list[str]]:
    with sqlite3.connect(book) as conn:
        name = conn.execute("SELECT name FROM contacts WHERE id = 4242").fetchone()[0]
        phone = conn.execute("SELECT value FROM contact_details WHERE contact_id = 4242"
                             " AND kind = 'phone'").fetchone()[0]
    return {
        "crm show 4242 (id)": ["show", "4242"],
        f"crm show '{name}' (name)": ["show", name],
        f"crm show '{phone}' (phone)": ["show", phone],
        f"crm list '{name}' (narrow search)": ["list", name],
        f"crm mutt-query '{name}'": ["mutt-query", name],
        "crm (dashboard)": [],
        "crm due (piped: the light path)": ["due"],
        # Any option hands over to the Typer app, which a terminal's `crm due` also takes.
        "crm due --within 7d (the full path)": ["due", "--within", "7d"],
        "crm pipeline": ["pipeline"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, action="append")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="only the cases whose label holds TEXT (due, show, dashboard...)")
    options = parser.parse_args()
    passed = True
    for count in options.contacts or [10_000, 100_000, 1_000_000]:
        book = build_book(count)
        env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": BOOK_NOW}
        subprocess.run([*CRM, "due"], env=env, stdout=subprocess.DEVNULL, check=True)
        print(f"\n{count:,} contacts ({book.stat().st_size / 1e6:.0f} MB)")
        chosen = {label: [*CRM, *args] for label, args in cases(book).items()
                  if not options.only or any(text in label for text in options.only)}
        results = alternate(chosen, env, options.runs)
        for label, runs in results.items():
            print(summary(label, runs))
            if count in TARGET:
                passed &= judge(label, statistics.median(r.wall for r in runs),
                                statistics.median(r.cpu for r in runs), TARGET[count])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
