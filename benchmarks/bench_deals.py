"""Times of the pipeline board, the forecast and the sales report on a generated book.

    python benchmarks/bench_deals.py               # 10,000 contacts, 10,000 deals, 50,000 changes
    python benchmarks/bench_deals.py --runs 20

Targets: `crm pipeline` and `crm report` each under 0.3 s wall, as whole processes, piped
(tab-separated) and drawn (-f table). Exits 1 when a target is missed.
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
DEALS = 10_000
CHANGES_PER_DEAL = 5  # 50,000 stage changes in all
OPEN = ("lead", "qualified", "proposal", "negotiation")
CURRENCIES = (("EUR", 6), ("USD", 3), ("JPY", 1))
TARGET = 0.3
CASES = [
    ("crm pipeline (piped)", ["pipeline"]),
    ("crm pipeline -f table (board)", ["pipeline", "-f", "table"]),
    ("crm pipeline --json", ["pipeline", "--json"]),
    ("crm report (piped)", ["report"]),
    ("crm report -f table", ["report", "-f", "table"]),
    ("crm forecast (piped)", ["forecast"]),
]
TARGETED = ("crm pipeline (piped)", "crm pipeline -f table (board)", "crm report (piped)",
            "crm report -f table")


def _path(rng: random.Random) -> list[str]:
    """Stages a deal goes through: created in lead, then steps forward, back, or a close."""
    stages, index = ["lead"], 0
    for step in range(1, CHANGES_PER_DEAL):
        if step == CHANGES_PER_DEAL - 1 and rng.random() < 0.4:
            stages.append(rng.choice(("won", "won", "lost")))
            break
        index = max(0, min(len(OPEN) - 1, index + (1 if rng.random() < 0.75 else -1)))
        if OPEN[index] == stages[-1]:
            index = 1 if index == 0 else index - 1
        stages.append(OPEN[index])
    return stages


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generated_deals(contact_ids: list[tuple[int, int | None]], now: dt.datetime, seed: int = 11):
    """(deal row, [(from, to, when)]) for DEALS deals with CHANGES_PER_DEAL changes each."""
    rng = random.Random(seed)
    currencies = [code for code, weight in CURRENCIES for _ in range(weight)]
    for number in range(DEALS):
        contact_id, company_id = contact_ids[number % len(contact_ids)]
        stages = _path(rng)
        moment = now - dt.timedelta(days=rng.randrange(30, 730), minutes=rng.randrange(1440))
        changes = []
        for previous, stage in zip([None, *stages], stages, strict=False):
            changes.append((previous, stage, _stamp(moment)))
            moment += dt.timedelta(days=rng.randrange(1, 40), minutes=rng.randrange(1440))
        currency = rng.choice(currencies)
        closed = changes[-1][2] if stages[-1] in ("won", "lost") else None
        close_on = (now.date() + dt.timedelta(days=rng.randrange(-60, 240))).isoformat()
        row = (contact_id, company_id, f"Deal {number} for product {rng.randrange(100)}",
               rng.randrange(1_000, 500_000) * (1 if currency == "JPY" else 100), currency,
               stages[-1], rng.choice([None] * 9 + [rng.randrange(101)]),
               None if number % 10 == 0 else close_on,
               "Chose a competitor" if stages[-1] == "lost" else None,
               changes[0][2], changes[-1][2], closed)
        yield row, changes


def build_deals_book() -> os.PathLike:
    """The 10,000-contact book plus deals and their history, built once in benchmarks/data."""
    from crmcli import db

    path = DATA / f"deals-{DEALS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    scratch_copy(build_book(CONTACTS), partial)
    database = db.connect(partial)
    started = time.perf_counter()
    contact_ids = database.execute("SELECT id, company_id FROM contacts ORDER BY id").fetchall()
    now = dt.datetime.now(dt.UTC)
    with db.transaction(database):
        for row, changes in generated_deals(contact_ids, now):
            deal_id = database.execute(
                "INSERT INTO deals (contact_id, company_id, title, amount_minor, currency, stage,"
                " probability, close_on, lost_reason, created_at, updated_at, closed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid
            database.executemany(
                "INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_at)"
                " VALUES (?, ?, ?, ?)", [(deal_id, *change) for change in changes])
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = database.execute("SELECT (SELECT count(*) FROM deals),"
                              " (SELECT count(*) FROM deal_stage_changes)").fetchone()
    database.close()
    os.replace(partial, path)
    print(f"built {path.name}: {counts[0]:,} deals, {counts[1]:,} stage changes in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = build_deals_book()
    print(f"\n{CONTACTS:,} contacts, {DEALS:,} deals, {DEALS * CHANGES_PER_DEAL:,} stage changes"
          f" ({os.path.getsize(book) / 1e6:.1f} MB)")
    passed = True
    for label, args in CASES:
        timings = time_command(args, book, options.runs)
        passed &= report(label, timings, TARGET if label in TARGETED else None)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
