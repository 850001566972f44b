"""The floor every full (Typer) command pays before its own work, on a small book.

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --contacts 1000 --runs 20

Whole processes, output piped, the clock pinned at the book's moment (CRM_NOW); the book is
common.build_book's (written through the domain layer). Cases alternate run by run after a
warm-up: the bare interpreter, the light path (`crm --version`) and a few full-path commands
(`show`, `list`, `list --json`, `due`, the dashboard). Reported per case: median wall and CPU
time, peak RSS, and which of Typer, Rich, dateutil and sqlite-utils the process imported.
Targets, judged on wall and on CPU time: each full command within FULL_TARGET seconds piped.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from common import BOOK_NOW, CRM, alternate, build_book, judge, summary

FULL_TARGET = 0.08  # seconds, piped, on a small book
HEAVY = ("typer", "rich", "dateutil", "sqlite_utils")
FULL = {
    "crm show 1": ["show", "1"],
    "crm list": ["list"],
    "crm list --json": ["list", "--json"],
    "crm due": ["due"],
    "crm (dashboard)": [],
}


def imported(env: dict, args: list[str]) -> str:
    """The heavy packages ``crm ARGS`` imports, as a short list."""
    program = CRM[1:] if CRM[0] == sys.executable else CRM  # the script, or -m crmcli
    done = subprocess.run([sys.executable, "-X", "importtime", *program, *args], env=env,
                          capture_output=True, text=True)
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0]
              for line in done.stderr.splitlines() if line.startswith("import time:")}
    return ", ".join(name for name in HEAVY if name in loaded) or "none of them"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    book = build_book(options.contacts)
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": BOOK_NOW,
           "XDG_CONFIG_HOME": str(book.parent / "no-config")}
    subprocess.run([*CRM, "due"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrated
    cases = {"python -c pass": [sys.executable, "-c", "pass"],
             "crm --version (light path)": [*CRM, "--version"],
             **{label: [*CRM, *args] for label, args in FULL.items()}}
    print(f"crm: {' '.join(CRM)}; book: {options.contacts:,} contacts; runs: {options.runs}")
    results = alternate(cases, env, options.runs)
    passed = True
    for label, runs in results.items():
        heavy = imported(env, cases[label][len(CRM):]) if label.startswith("crm") else None
        print(summary(label, runs) + (f"  imports: {heavy}" if heavy else ""))
    print()
    for label in FULL:
        runs = results[label]
        passed &= judge(label, statistics.median(r.wall for r in runs),
                        statistics.median(r.cpu for r in runs), FULL_TARGET)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
