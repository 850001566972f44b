"""Search as people search, on generated books, against khard on the same contacts.

    python benchmarks/bench_contacts.py                  # 10,000 and 100,000 contacts
    python benchmarks/bench_contacts.py --contacts 1000000 --runs 5 --khard-max 0

Queries, none with --limit: a full name, a surname with thousands of hits (on 100,000 and
more), at least four digits of a phone number, an email domain. Each is `crm list QUERY`
(piped: every hit written) as a whole process; khard (`pip install khard`; found on PATH or
as $KHARD) runs `khard list QUERY` on a vdir of the same contacts, alternated with crm run by
run, up to --khard-max contacts (it parses every card on each run: a 100,000-card run takes
minutes). Reported: median wall and CPU, peak RSS, the median ratio of each pair. Targets,
judged on wall and CPU: a narrow search (full name, phone digits) within 0.3 s on 100,000.
Exits 1 when a target is missed. Books: common.build_book (written through the domain layer).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys

from common import (
    CRM,
    DATA,
    alternate,
    build_book,
    generated_contacts,
    judge,
    paired_ratio,
    summary,
)

KHARD = os.environ.get("KHARD") or shutil.which("khard") or (
    str(DATA / "peers" / "bin" / "khard") if (DATA / "peers" / "bin" / "khard").exists() else None)
NARROW_TARGET = {100_000: 0.3}


def queries(book) -> dict[str, str]:
    """The realistic queries, taken from the book itself."""
    with sqlite3.connect(book) as conn:
        name = conn.execute("SELECT name FROM contacts WHERE id = 4242").fetchone()[0]
        phone = conn.execute("SELECT value FROM contact_details WHERE contact_id = 4242"
                             " AND kind = 'phone'").fetchone()[0]
    first, last, _ = name.split(" ")
    return {"full name": f"{first} {last}", "surname": "García",
            "phone digits": phone[-6:], "email domain": "example42.com"}


def vdir(count: int):
    """A folder of one vCard per generated contact, and a khard config that reads it."""
    folder = DATA / f"vdir-{count}"
    config = DATA / f"khard-{count}" / "khard" / "khard.conf"
    if not config.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for number, (contact, _) in enumerate(generated_contacts(count)):
            first, last, _ = contact.name.split(" ")
            (folder / f"{number}.vcf").write_text(
                f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{number}\r\nFN:{contact.name}\r\n"
                f"N:{last};{first};;;\r\nORG:{contact.company}\r\n"
                + "".join(f"EMAIL;TYPE=work:{e.value}\r\n" for e in contact.emails)
                + "".join(f"TEL;TYPE=cell:{p.value}\r\n" for p in contact.phones)
                + "END:VCARD\r\n", encoding="utf-8")
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f"[addressbooks]\n[[bench]]\npath = {folder}/\n\n"
                          "[general]\ndefault_action = list\n")
    return config.parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, action="append")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--khard-max", type=int, default=10_000)
    options = parser.parse_args()
    print(f"crm: {' '.join(CRM)}; khard: {KHARD or 'not installed (pip install khard)'}")
    passed = True
    for count in options.contacts or [10_000, 100_000]:
        book = build_book(count)
        env = {**os.environ, "CRM_DB": str(book)}
        with_khard = KHARD and count <= options.khard_max
        if with_khard:
            env["XDG_CONFIG_HOME"] = str(vdir(count))
        with sqlite3.connect(book) as conn:
            live = conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"
                                ).fetchone()[0]
        print(f"\n{count:,} contacts ({live:,} live; {book.stat().st_size / 1e6:.0f} MB)"
              + ("" if with_khard else "; khard not run at this size"))
        for label, query in queries(book).items():
            cases = {f"crm list '{query}' ({label})": [*CRM, "list", query]}
            if with_khard:
                cases[f"khard list '{query}'"] = [KHARD, "list", query]
            results = alternate(cases, env, options.runs)
            for case, runs in results.items():
                print(summary(case, runs))
            if with_khard:
                mine, peer = results.values()
                print(f"  crm/khard: wall {paired_ratio(mine, peer, 'wall'):.3f}x,"
                      f" cpu {paired_ratio(mine, peer, 'cpu'):.3f}x")
            if label in ("full name", "phone digits") and count in NARROW_TARGET:
                mine = next(iter(results.values()))
                passed &= judge(f"{label} on {count:,}",
                                statistics.median(r.wall for r in mine),
                                statistics.median(r.cpu for r in mine), NARROW_TARGET[count])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
