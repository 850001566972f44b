"""The agenda and the reminder digest on a big book: 10,000 contacts, 50,000 follow-ups.

    python benchmarks/bench_followups.py
    python benchmarks/bench_followups.py --runs 20

The follow-ups are spread around today (rebuilt on every run, so "today" is today): 35,000
done over the past year, 1,000 overdue, 100 due today and 13,900 ahead over a year, one in ten
recurring; 30,000 logged interactions; 1,000 contacts with their own keep-in-touch cadence and
a default of 14 days for the tag vip: about 1,000 overdue items, 100 today, 250 upcoming,
2,000 contacts to get back in touch with and 90 birthdays. Targets: `crm due` (piped) and
`crm remind --dry-run` each under 0.3 s wall, whole process included. Exits 1 when a target
is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

from common import DATA, build_book, report, scratch_copy, time_command

CONTACTS = 10_000
TARGET = 0.3
CASES = [  # (label, arguments, target in seconds or None to report only)
    ("crm due", ["due"], TARGET),
    ("crm remind --dry-run", ["remind", "--dry-run"], TARGET),
    ("crm due --json (report only)", ["due", "--json"], None),
]


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_followups(seed: int = 11):
    """A copy of the 10,000-contact book with follow-ups, interactions and cadences."""
    from crmcli import db

    path = DATA / f"followups-{CONTACTS}.db"
    for suffix in ("", "-wal", "-shm"):
        (DATA / f"{path.name}{suffix}").unlink(missing_ok=True)
    scratch_copy(build_book(CONTACTS), path)
    started = time.perf_counter()
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.replace(hour=9, minute=0, second=0)
    conn = db.connect(path)
    rows = []
    for number in range(50_000):
        if number < 35_000:
            due, done = now - dt.timedelta(days=rng.uniform(1, 365)), True
        elif number < 36_000:
            due, done = now - dt.timedelta(days=rng.uniform(1, 60)), False
        elif number < 36_100:
            due, done = today, False
        else:
            due, done = now + dt.timedelta(days=rng.uniform(1, 365)), False
        timed = number % 3 == 0
        moment = due if timed else due.replace(hour=0, minute=0, second=0)
        rows.append((rng.randrange(1, CONTACTS + 1), _stamp(moment), timed,
                     f"Follow up about order {number}", "2w" if number % 10 == 0 else None,
                     _stamp(moment + dt.timedelta(hours=2)) if done else None, _stamp(now)))
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO followups (contact_id, due_at, has_time, body, rule, done_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7)", rows)
        conn.executemany(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at)"
            " VALUES (?, 'call', 'Talked', ?, ?2)",
            [(rng.randrange(1, CONTACTS + 1), _stamp(now - dt.timedelta(days=rng.uniform(0, 730))))
             for _ in range(30_000)])
        conn.execute("UPDATE contacts SET cadence_days = 30 WHERE id % 10 = 0")
        conn.execute("UPDATE contacts SET created_at = ?",
                     [_stamp(now - dt.timedelta(days=400))])
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = build_followups()
    config = DATA / "followups.toml"
    config.write_text('[cadence]\nvip = "14d"\n[remind]\nto = "me@example.com"\n')
    os.environ["CRM_CONFIG"] = str(config)
    print(f"\n{CONTACTS:,} contacts, 50,000 follow-ups ({book.stat().st_size / 1e6:.1f} MB)")
    passed = True
    for label, args, target in CASES:
        timings = time_command(args, book, options.runs)
        passed &= report(label, timings, target)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
