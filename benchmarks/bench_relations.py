"""Times of a contact's page and a company's page on a book with many relationships.

    python benchmarks/bench_relations.py            # 10,000 contacts, 50,000 relationships,
                                                    # 20 custom fields and 2 dates each
    python benchmarks/bench_relations.py --runs 20

Targets: `crm show` and `crm company show` each under 0.2 s wall, as whole processes, piped
and drawn (-f table). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys

from common import DATA, build_book, report, scratch_copy, time_command

CONTACTS = 10_000
RELATIONSHIPS = 50_000
FIELDS = 20
KINDS = ("spouse", "child", "parent", "sibling", "friend", "colleague", "manager", "assistant",
         "referred-by", "mentor")
TARGET = 0.2
CASES = [
    ("crm show (piped)", ["show", "1"]),
    ("crm show -f table", ["show", "1", "-f", "table"]),
    ("crm show --json", ["show", "1", "--json"]),
    ("crm relations --json", ["relations", "1", "--json"]),
    ("crm company show (piped)", ["company", "show", "1"]),
    ("crm company show -f table", ["company", "show", "1", "-f", "table"]),
]
TARGETED = ("crm show (piped)", "crm show -f table", "crm company show (piped)",
            "crm company show -f table")


def build(seed: int = 13):
    """The 10,000-contact book plus RELATIONSHIPS edges (one in five to a name only)."""
    path = DATA / f"relations-{CONTACTS}-{RELATIONSHIPS}-{FIELDS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < RELATIONSHIPS:
        owner, kind = rng.randrange(1, CONTACTS + 1), rng.choice(KINDS)
        other = rng.randrange(1, CONTACTS + 1)
        name = f"Person {rng.randrange(10**6)}" if rng.random() < 0.2 else None
        key = (owner, kind, None if name else other, name)
        if (other == owner and not name) or key in seen:
            continue
        seen.add(key)
        rows.append((owner, kind, None if name else other, name, name.lower() if name else None))
    with sqlite3.connect(partial) as conn:
        conn.executemany("INSERT INTO relationships (contact_id, kind, related_id, related_name,"
                         " name_folded, created_at) VALUES (?, ?, ?, ?, ?,"
                         " '2026-01-01T00:00:00Z')", rows)
        _personal_facts(conn, rng)
    os.replace(partial, path)
    return path


def _personal_facts(conn: sqlite3.Connection, rng: random.Random) -> None:
    """FIELDS custom fields (half numbers, half text) and two important dates per contact."""
    conn.executemany("INSERT INTO custom_fields (entity, name, type, created_at)"
                     " VALUES ('contacts', ?, ?, '2026-01-01T00:00:00Z')",
                     [(f"field_{n}", "number" if n % 2 else "text") for n in range(FIELDS)])
    conn.executemany("INSERT INTO contact_field_values (field_id, record_id, value)"
                     " VALUES (?, ?, ?)",
                     [(n + 1, contact, str(rng.randrange(10**5)) if n % 2 else f"text {n}")
                      for contact in range(1, CONTACTS + 1) for n in range(FIELDS)])
    conn.executemany("INSERT INTO contact_dates (contact_id, label, label_folded, date)"
                     " VALUES (?, ?, ?, ?)",
                     [(contact, label, label, f"20{rng.randrange(10, 25)}-0{rng.randrange(1, 10)}"
                       f"-1{rng.randrange(0, 9)}") for contact in range(1, CONTACTS + 1)
                      for label in ("anniversary", "first order")])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = DATA / "relations-bench.db"
    scratch_copy(build(), book)
    passed = True
    for label, args in CASES:
        timings = time_command(args, book, options.runs)
        passed = report(label, timings, TARGET if label in TARGETED else None) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
