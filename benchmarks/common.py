"""Shared by the benchmark scripts: a generated address book and a process timer."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CRM = [sys.executable, "-m", "crmcli"]

FIRST = ["José", "Ana", "Bo", "Chloé", "Dmitri", "Émilie", "Fatima", "Gunnar", "Hana", "Isabel",
         "Jonas", "Kwame", "Laura", "Mateo", "Nora", "Óscar", "Priya", "Quentin", "Rosa", "Sven"]
LAST = ["Núñez", "Lima", "Chen", "Dubois", "Volkov", "Laurent", "Al-Sayed", "Sørensen", "Tanaka",
        "Ortega", "Weber", "Mensah", "García", "Müller", "Rossi", "Kowalski", "Silva", "Novak"]
TAGS = ["vip", "lead", "customer", "partner", "prospect", "referral", "golf", "press"]


def generated_contacts(count: int, seed: int = 7):
    """Deterministic sample contacts: names, companies, emails, phones, tags, some notes."""
    from crmcli.models import Contact, Detail, PartialDate

    rng = random.Random(seed)
    for number in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = Contact(
            name=f"{first} {last} {number}",
            company=f"Company {rng.randrange(max(1, count // 10))}",
            title=rng.choice(["CEO", "CTO", "Buyer", "Engineer", None]),
            emails=[Detail(f"{first[0].lower()}.{number}@example{number % 97}.com", "work")],
            phones=[Detail(f"+34 6{rng.randrange(10**7, 10**8)}", "mobile")],
            tags=rng.sample(TAGS, rng.randrange(0, 3)),
            birthday=PartialDate(None if number % 3 else 1980, rng.randrange(1, 13),
                                 rng.randrange(1, 29)) if number % 2 else None,
        )
        note = f"Met at fair {number % 50}; follow up about product {rng.randrange(100)}"
        yield contact, (note if number % 4 == 0 else None)


def scratch_copy(source: Path, target: Path) -> None:
    """Copy a database to a new file, leaving no stale -wal/-shm beside it to be replayed."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def build_book(count: int) -> Path:
    """A database with ``count`` generated contacts, built once and kept in benchmarks/data."""
    from crmcli import contacts, db

    path = DATA / f"contacts-{count}.db"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    database = db.connect(partial)
    started = time.perf_counter()
    with db.transaction(database):
        for contact, note in generated_contacts(count):
            contacts.create(database, contact, notes=[note] if note else [])
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    os.replace(partial, path)
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def time_command(args: list[str], db_path: Path, runs: int) -> list[float]:
    """Wall-clock seconds of ``crm ARGS`` as a whole process, once per run (after one warm-up)."""
    env = {**os.environ, "CRM_DB": str(db_path)}
    timings = []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([*CRM, *args], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if run:
            timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float], target: float | None) -> bool:
    median = statistics.median(timings)
    verdict = "" if target is None else ("  ok" if median < target else f"  OVER {target} s")
    print(f"{label:<40} median {median:.3f} s  min {min(timings):.3f} s"
          f"  max {max(timings):.3f} s{verdict}")
    return target is None or median < target
