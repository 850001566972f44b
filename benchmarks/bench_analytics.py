"""The analytical commands on a big book: 10,000 contacts, 200,000 interactions, 10,000 deals.

    python benchmarks/bench_analytics.py            # 10 runs of each case, alternated
    python benchmarks/bench_analytics.py --runs 20

The book: the 10,000 generated contacts, 200,000 interactions over two years before the
pinned moment (one in twenty campaign mail), 10,000 deals (4,000 open in every stage, 4,000
won over three years, 2,000 lost; EUR, USD and GBP), 2,000 open follow-ups around today and
a 30-day cadence on one contact in ten. The clock is pinned (CRM_NOW), so every run computes
the same figures. Each case is a whole process (crm as installed), after one warm-up; the
cases are alternated run by run so a busy machine slows them alike. Reports the median wall
time, the median CPU time (user + system) and the peak RSS of each. Target: `crm next`,
`crm health` (both piped and as JSON) and `crm report customers` (piped) each within 0.3 s,
wall and CPU; the verdict is printed for both. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import time

from common import CRM, DATA, alternate, build_book, judge, scratch_copy, summary

CONTACTS = 10_000
INTERACTIONS = 200_000
DEALS = 10_000
FOLLOW_UPS = 2_000
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TARGET = 0.3
CASES = [
    ("crm next", ["next"], TARGET),
    ("crm next --json", ["next", "--json"], TARGET),
    ("crm health", ["health"], TARGET),
    ("crm health --json", ["health", "--json"], TARGET),
    ("crm report customers", ["report", "customers"], TARGET),
    ("crm health tag:vip", ["health", "tag:vip"], None),
    ("crm report customers --by company", ["report", "customers", "--by", "company"], None),
    ("crm report activity", ["report", "activity"], None),
    ("crm show 42 (a peer)", ["show", "42"], None),
]
KINDS = ("call", "email", "meeting", "message", "visit")
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(rng: random.Random, days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=rng.uniform(0, days))


def build(seed: int = 16):
    path = DATA / f"analytics-{CONTACTS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    started = time.perf_counter()
    rng = random.Random(seed)
    with sqlite3.connect(partial) as conn:
        conn.executemany(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at, campaign)"
            " VALUES (?, ?, ?, ?, ?4, ?)",
            [(rng.randrange(1, CONTACTS + 1), rng.choice(KINDS), f"Talk {n}",
              _stamp(_ago(rng, 730)), "spring" if n % 20 == 0 else None)
             for n in range(INTERACTIONS)])
        conn.executemany(
            "INSERT INTO deals (contact_id, title, amount_minor, currency, stage, close_on,"
            " created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7, ?)",
            [_deal(rng, n) for n in range(DEALS)])
        conn.executemany(
            "INSERT INTO followups (contact_id, due, has_time, body, created_at, updated_at)"
            " VALUES (?, ?, 0, ?, ?4, ?4)",
            [(rng.randrange(1, CONTACTS + 1),
              (NOW.date() + dt.timedelta(days=rng.randrange(-30, 60))).isoformat(),
              f"Follow up {n}", _stamp(NOW - dt.timedelta(days=90)))
             for n in range(FOLLOW_UPS)])
        conn.execute("UPDATE contacts SET cadence_days = 30 WHERE id % 10 = 0")
        conn.execute("UPDATE contacts SET created_at = ?", [_stamp(NOW - dt.timedelta(days=900))])
        conn.execute("ANALYZE")
    os.replace(partial, path)
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def _deal(rng: random.Random, number: int) -> tuple:
    created = _ago(rng, 1095)
    stage = (rng.choice(OPEN_STAGES) if number % 5 < 2 else "won" if number % 5 < 4
             else "lost")
    closed = _stamp(created + dt.timedelta(days=rng.uniform(0, 60))) if stage in (
        "won", "lost") else None
    close_on = (NOW.date() + dt.timedelta(days=rng.randrange(-30, 120))).isoformat()
    return (rng.randrange(1, CONTACTS + 1), f"Deal {number}", rng.randrange(10**4, 10**7),
            rng.choice(("EUR", "EUR", "USD", "GBP")), stage, close_on,
            _stamp(min(created, NOW)), closed and min(closed, _stamp(NOW)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = DATA / "analytics-bench.db"
    scratch_copy(build(), book)
    config = DATA / "analytics-bench.toml"
    config.write_text("[rates]\nUSD = 0.92\n")
    env = {**os.environ, "CRM_DB": str(book), "CRM_CONFIG": str(config),
           "CRM_NOW": NOW.isoformat()}
    results = alternate({label: [*CRM, *args] for label, args, _ in CASES}, env, options.runs)
    print(f"{CONTACTS:,} contacts, {INTERACTIONS:,} interactions, {DEALS:,} deals, "
          f"{options.runs} runs each (medians)")
    passed = True
    for label, _, target in CASES:
        runs = results[label]
        if any(run.code for run in runs):
            raise SystemExit(f"{label} failed")
        print(summary(label, runs) + f"  min wall {min(run.wall for run in runs):.3f} s")
        if target is not None:
            passed &= judge(label, statistics.median(run.wall for run in runs),
                            statistics.median(run.cpu for run in runs), target)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
