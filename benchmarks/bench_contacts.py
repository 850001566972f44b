"""Start-up and search times of everyday commands on a generated book.

    python benchmarks/bench_contacts.py                 # 10,000 and 100,000 contacts
    python benchmarks/bench_contacts.py --contacts 10000 --runs 20

Targets: on 10,000 contacts `crm --version`, `crm list QUERY` and `crm show REF` each under
0.2 s wall; on 100,000 contacts a search under 0.3 s. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys

from common import build_book, report, time_command

CASES = [
    ("crm --version", ["--version"], {10_000: 0.2}),
    ("crm list nunez 12 (search)", ["list", "nunez 12"], {10_000: 0.2, 100_000: 0.3}),
    ("crm list 612 (phone digits)", ["list", "--limit", "50", "612"], {10_000: 0.2,
                                                                       100_000: 0.3}),
    ("crm show NAME (by name)", ["show", "{name}"], {10_000: 0.2}),
    ("crm show 42 (by id)", ["show", "42"], {10_000: 0.2}),
    ("crm mutt-query garcia 7", ["mutt-query", "garcia 7"], {10_000: 0.2, 100_000: 0.3}),
]


def _name_of(book, contact_id: int) -> str:
    import sqlite3

    with sqlite3.connect(book) as conn:
        return conn.execute("SELECT name FROM contacts WHERE id = ?", [contact_id]).fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, action="append")
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    passed = True
    for count in options.contacts or [10_000, 100_000]:
        book = build_book(count)
        print(f"\n{count:,} contacts ({book.stat().st_size / 1e6:.1f} MB)")
        name = _name_of(book, 4242)
        for label, args, targets in CASES:
            args = [arg.replace("{name}", name) for arg in args]
            timings = time_command(args, book, options.runs)
            passed &= report(label, timings, targets.get(count))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
