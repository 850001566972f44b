"""The hot path: `crm mutt-query` against abook (C) on the same contacts, `crm --version`
against the bare interpreter, and a completion, as whole processes on generated books.

    python benchmarks/bench_hotpath.py                        # 10,000, 100,000, 1,000,000
    python benchmarks/bench_hotpath.py --contacts 10000 --runs 20

Each book is built once and cached (see common.build_book: written through the domain layer).
abook reads a file written from the same generated contacts (names, emails, phones); it is
the system package `abook` and is used when installed (the script says when it is not). Runs
alternate crm and its peer, after a warm-up; reported per case: median wall and CPU time, peak
RSS, and the median ratio of the pairs. Targets, judged on wall and on CPU time: mutt-query
within 2x abook on 10,000 contacts and ahead of it (ratio below 1) on 100,000 and 1,000,000;
`crm --version` within 3x `python -c pass`. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
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

ABOOK = shutil.which("abook")
MUTT_TARGETS = {10_000: 2.0, 100_000: 1.0, 1_000_000: 1.0}  # crm / abook
VERSION_TARGET = 3.0  # crm --version / python -c pass
HEAVY = ("typer", "click", "rich", "dateutil", "sqlite_utils")


def abook_file(count: int):
    """The generated contacts in abook's own format, written once beside the books."""
    path = DATA / f"abook-{count}"
    if path.exists():
        return path
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write("# abook addressbook file\n\n[format]\nprogram=abook\nversion=0.6.1\n\n")
        for number, (contact, _) in enumerate(generated_contacts(count)):
            out.write(f"\n[{number}]\nname={contact.name}\n"
                      f"email={','.join(e.value for e in contact.emails)}\n"
                      f"mobile={contact.phones[0].value}\n")
    os.replace(partial, path)
    return path


def _light_path_used(env: dict, args: list[str]) -> bool:
    """Whether ``crm ARGS`` ran without importing Typer, Rich, dateutil or sqlite-utils."""
    program = CRM[1:] if CRM[0] == sys.executable else CRM  # the script, or -m crmcli
    done = subprocess.run([sys.executable, "-X", "importtime", *program, *args], env=env,
                          capture_output=True, text=True)
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0]
              for line in done.stderr.splitlines() if line.startswith("import time:")}
    return not loaded & set(HEAVY)


def mutt_query(count: int, runs: int) -> bool:
    book = build_book(count)
    env = {**os.environ, "CRM_DB": str(book), "HOME": str(DATA)}
    with sqlite3.connect(book) as conn:
        full_name = conn.execute("SELECT name FROM contacts WHERE id = 4242").fetchone()[0]
    subprocess.run([*CRM, "due"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrated
    print(f"\n{count:,} contacts ({book.stat().st_size / 1e6:.0f} MB book)"
          f"; light path used: {_light_path_used(env, ['mutt-query', full_name])}")
    passed = True
    for label, query in (("full name", full_name), ("surname, thousands of hits", "weber")):
        cases = {f"crm mutt-query '{query}'": [*CRM, "mutt-query", query]}
        if ABOOK:
            cases[f"abook --mutt-query '{query}'"] = [
                ABOOK, "--datafile", str(abook_file(count)), "--mutt-query", query]
        results = alternate(cases, env, runs)
        for case, measured in results.items():
            print(summary(case, measured))
        if not ABOOK:
            print("  abook is not installed (apt-get install abook): no comparison")
            continue
        mine, peer = results.values()
        wall, cpu = paired_ratio(mine, peer, "wall"), paired_ratio(mine, peer, "cpu")
        passed &= judge(f"{label}: crm/abook on {count:,}", wall, cpu, MUTT_TARGETS[count],
                        "x")
    return passed


def version(runs: int) -> bool:
    cases = {"crm --version": [*CRM, "--version"],
             "python -c pass": [sys.executable, "-c", "pass"]}
    results = alternate(cases, dict(os.environ), runs)
    print()
    for case, measured in results.items():
        print(summary(case, measured))
    mine, peer = results.values()
    return judge("crm --version / python -c pass", paired_ratio(mine, peer, "wall"),
                 paired_ratio(mine, peer, "cpu"), VERSION_TARGET, "x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, action="append",
                        choices=sorted(MUTT_TARGETS))
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    print(f"crm: {' '.join(CRM)}; abook: {ABOOK or 'not installed'}")
    passed = version(options.runs)
    for count in options.contacts or sorted(MUTT_TARGETS):
        passed &= mutt_query(count, options.runs)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
