"""Times of queries (docs/queries.md) on a large book: whole `crm list QUERY` processes, piped,
and the query alone (compiled and run by SQLite, in process).

    python benchmarks/bench_query.py                      # 10,000 contacts
    python benchmarks/bench_query.py --contacts 100000    # the issue's size (slow to build)

Target: each query of indexed terms answers in 0.3 s or less (the SQL alone). Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import sys
import time

from common import DATA, build_book, report, scratch_copy, time_command

QUERIES = [
    ("tag", "tag:vip", True),
    ("tag and negation", "tag:vip -tag:lead", True),
    ("or and group", "(tag:vip OR tag:partner) -has:phone", True),
    ("company prefix", "company:company", True),
    ("email domain", "email:@example7.com", True),
    ("free text and term", "ana tag:customer", True),
    ("last contact", "last:>30d tag:vip", True),
    ("deals", "deal:open pipeline:>5000EUR", True),
    ("birthday", "birthday:this-month", True),
    ("title words", 'title:"ceo"', False),
]


def build(count: int, seed: int = 5):
    """The generated book plus an interaction and a deal for one contact in three."""
    path = DATA / f"query-{count}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(count), partial)
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    conn = sqlite3.connect(partial)
    with conn:
        chosen = range(1, count + 1, 3)
        conn.executemany(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at)"
            " VALUES (?, 'call', 'Call', ?, ?)",
            [(i, stamp := (start + dt.timedelta(hours=rng.randrange(8000))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), stamp) for i in chosen])
        conn.executemany(
            "INSERT INTO deals (contact_id, title, amount_minor, currency, stage, created_at,"
            " updated_at) VALUES (?, 'Deal', ?, 'EUR', ?, '2026-01-01T00:00:00Z',"
            " '2026-01-01T00:00:00Z')",
            [(i, rng.randrange(100, 20_000) * 100, rng.choice(["lead", "proposal", "won"]))
             for i in chosen])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(partial, path)
    return path


def sql_seconds(book, query: str, runs: int) -> list[float]:
    """The query alone: compiled and all its ids read, on a warm connection."""
    from crmcli import contacts, db
    from crmcli.query_sql import Context, compile_query

    conn = db.connect(book)
    context = Context(now=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
                      stages=("lead", "qualified", "proposal", "negotiation", "won", "lost"))
    timings = []
    for run in range(runs + 1):
        started = time.perf_counter()
        contacts.search_ids(conn, condition=compile_query(conn, query, context))
        if run:
            timings.append(time.perf_counter() - started)
    conn.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    book = DATA / "query-bench.db"
    scratch_copy(build(options.contacts), book)
    passed = True
    for label, query, indexed in QUERIES:
        timings = sql_seconds(book, query, options.runs)
        passed = report(f"{label}: {query} (SQL)", timings, 0.3 if indexed else None) and passed
    for _, query, _ in QUERIES[:4]:
        report(f"crm list {query} (process)", time_command(["list", query], book, options.runs),
               None)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
