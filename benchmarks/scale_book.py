"""Books of 100,000 and 1,000,000 contacts written through direct SQL (contacts.create would
take an hour for a million): contacts with details, tags, companies and the search index as
the domain layer writes them, plus notes, logged interactions, deals and follow-ups, so every
listing command has rows to stream. Kept in benchmarks/data.

    python benchmarks/scale_book.py 1000000
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from common import DATA, FIRST, LAST, TAGS

BATCH = 20_000
CREATED = "2026-01-05T09:00:00Z"


def build_scale_book(count: int) -> Path:
    """The book of ``count`` contacts, built once (direct SQL)."""
    path = DATA / f"scale-{count}.db"
    if path.exists():
        return path
    from crmcli import db

    DATA.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    database = db.connect(partial)
    database.execute("PRAGMA synchronous = OFF")
    companies = max(1, count // 10)
    database.execute("BEGIN")
    database.executemany(
        "INSERT INTO companies (id, name, name_folded, uid, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        ((n + 1, f"Company {n}", f"company {n}", f"company-{n}", CREATED, CREATED)
         for n in range(companies)))
    database.execute("COMMIT")
    rng = random.Random(7)
    for start in range(0, count, BATCH):
        database.execute("BEGIN")
        _write_batch(database, rng, range(start, min(count, start + BATCH)), companies)
        database.execute("COMMIT")
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    os.replace(partial, path)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s (direct SQL)",
          file=sys.stderr)
    return path


def _write_batch(database, rng: random.Random, numbers: range, companies: int) -> None:
    from crmcli import search
    from crmcli.models import Contact, Detail
    from crmcli.normalize import fold

    contacts, details, tags, index, notes, logged, deals, followups = ([] for _ in range(8))
    for number in numbers:
        cid = number + 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last} {number}"
        company = rng.randrange(companies)
        title = rng.choice(["CEO", "CTO", "Buyer", "Engineer", None])
        email = f"{fold(first)[0]}.{number}@example{number % 97}.com"
        phone = f"+34 6{rng.randrange(10**7, 10**8)}"
        chosen = rng.sample(TAGS, rng.randrange(0, 3))
        birthday = (f"{'1980' if number % 3 == 0 else '-'}-{rng.randrange(1, 13):02d}"
                    f"-{rng.randrange(1, 29):02d}" if number % 2 else None)
        contacts.append((cid, f"uid-{number}", name, fold(name), company + 1, title, birthday,
                         CREATED, CREATED))
        details += [(cid, "email", "work", email, email.lower(), 0),
                    (cid, "phone", "mobile", phone, phone.replace(" ", ""), 0)]
        tags += [(cid, tag) for tag in chosen]
        text = search.contact_text(Contact(
            name=name, title=title, company=f"Company {company}", emails=[Detail(email)],
            phones=[Detail(phone)], tags=sorted(chosen)))
        note = f"Met at fair {number % 50}; follow up about product {rng.randrange(100)}"
        index.append((cid, text, fold(note) if number % 4 == 0 else ""))
        if number % 4 == 0:
            notes.append((cid, cid, note, CREATED, CREATED))
        if number % 5 == 0:
            day = f"2026-{1 + number % 11:02d}-{1 + number % 28:02d}T10:00:00Z"
            logged.append((cid, rng.choice(["call", "email", "meeting"]), "Talked", day, day))
        if number % 20 == 0:
            deals.append((cid, company + 1, f"Deal {number}", rng.randrange(10**5, 10**7),
                          "EUR", rng.choice(["lead", "qualified", "proposal"]),
                          f"2027-0{1 + number % 9}-15", CREATED, CREATED))
        if number % 10 == 0:
            followups.append((cid, f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
                              f"Call back about {number}", CREATED, CREATED, f"fu-{number}"))
    database.executemany(
        "INSERT INTO contacts (id, uid, name, name_folded, company_id, title, birthday,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", contacts)
    database.executemany("INSERT INTO contact_details (contact_id, kind, label, value, norm,"
                         " position) VALUES (?, ?, ?, ?, ?, ?)", details)
    database.executemany("INSERT INTO contact_tags (contact_id, tag) VALUES (?, ?)", tags)
    database.executemany("INSERT INTO contact_search (rowid, body, notes) VALUES (?, ?, ?)",
                         index)
    database.executemany("INSERT INTO notes (id, contact_id, body, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?)", notes)
    database.executemany("INSERT INTO note_search (rowid, body) VALUES (?, ?)",
                         [(row[0], fold(row[2])) for row in notes])
    database.executemany("INSERT INTO interactions (contact_id, kind, body, happened_at,"
                         " created_at) VALUES (?, ?, ?, ?, ?)", logged)
    database.executemany("INSERT INTO deals (contact_id, company_id, title, amount_minor,"
                         " currency, stage, close_on, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", deals)
    database.executemany("INSERT INTO followups (contact_id, due, body, created_at,"
                         " updated_at, uid) VALUES (?, ?, ?, ?, ?, ?)", followups)


if __name__ == "__main__":
    for argument in sys.argv[1:] or ["100000"]:
        print(build_scale_book(int(argument)))
