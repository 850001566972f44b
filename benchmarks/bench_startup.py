"""The floor every full (Typer) command pays before its own work, on a small book.

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --contacts 1000 --runs 20
    python benchmarks/bench_startup.py --against 3771b0c     # before/after, alternated

Whole processes, output piped, the clock pinned at the book's moment (CRM_NOW); the book is
common.build_book's (written through the domain layer). Cases alternate run by run after a
warm-up: the bare interpreter, the light path (`crm --version`) and full-path commands
(`show`, `show --json`, `list`, `list --json`, `due`, `deal list`, the dashboard). Reported
per case: median wall and CPU time, peak RSS, and which of Typer, Rich, dateutil and
sqlite-utils the process imported. With `--against REF`, each command also runs from the
package as it was at git REF (unpacked to a temporary folder), alternated with today's, and
the median ratio of the pairs is printed. Target, judged on wall and on CPU time: each full
command within FULL_TARGET seconds piped. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from common import BOOK_NOW, CRM, alternate, build_book, judge, paired_ratio, summary

FULL_TARGET = 0.08  # seconds, piped, on a small book
HEAVY = ("typer", "rich", "dateutil", "sqlite_utils")
FULL = {
    "crm show 1": ["show", "1"],
    "crm show 1 --json": ["show", "1", "--json"],
    "crm list": ["list"],
    "crm list --json": ["list", "--json"],
    "crm due": ["due"],
    "crm deal list": ["deal", "list"],
    "crm (dashboard)": [],
}
ROOT = Path(__file__).resolve().parents[1]
# crm's console script, from a given source folder (the first argument).
FROM_SOURCE = ("import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'crm'; "
               "from crmcli.entry import main; main()")


def imported(env: dict, program: list[str]) -> str:
    """The heavy packages the process ``program`` imports, as a short list."""
    script = program[1:] if program[0] == sys.executable else program  # crm is Python
    done = subprocess.run([sys.executable, "-X", "importtime", *script], env=env,
                          capture_output=True, text=True)
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0]
              for line in done.stderr.splitlines() if line.startswith("import time:")}
    return ", ".join(name for name in HEAVY if name in loaded) or "none of them"


def unpacked(ref: str) -> Path:
    """The package's source as it was at git ``ref``, in a temporary folder."""
    archive = subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="crm-startup-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def book_of(source: Path, count: int) -> Path:
    """common.build_book's book, written by the package in ``source`` (an older crm cannot
    read a book of a newer schema), in a temporary folder."""
    build = ("import sys; sys.path[:0] = sys.argv[1:3]; import common; "
             "print(common.build_book(int(sys.argv[3])))")
    done = subprocess.run(
        [sys.executable, "-c", build, str(source), str(Path(__file__).parent), str(count)],
        env={**os.environ, "CRM_BENCH_DATA": tempfile.mkdtemp(prefix="crm-startup-")},
        check=True, capture_output=True, text=True)
    return Path(done.stdout.split()[-1])


def programs(book: Path, against: str | None, count: int) -> dict[str, list[str]]:
    """Each case's command line: crm as installed; with ``against``, crm from today's source
    and from REF's (on a book of its own), one beside the other."""
    if against is None:
        return {label: [*CRM, "--db", str(book), *args] for label, args in FULL.items()}
    old = unpacked(against)
    old_book = book_of(old, count)
    cases = {}
    for label, args in FULL.items():
        cases[label] = [sys.executable, "-c", FROM_SOURCE, str(ROOT / "src"),
                        "--db", str(book), *args]
        cases[f"{label} @ {against}"] = [sys.executable, "-c", FROM_SOURCE, str(old),
                                         "--db", str(old_book), *args]
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", metavar="REF", help="also time crm as it was at REF")
    options = parser.parse_args()
    book = build_book(options.contacts)
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": BOOK_NOW,
           "XDG_CONFIG_HOME": str(book.parent / "no-config")}
    subprocess.run([*CRM, "due"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrated
    full = programs(book, options.against, options.contacts)
    cases = {"python -c pass": [sys.executable, "-c", "pass"],
             "crm --version (light path)": [*CRM, "--version"], **full}
    print(f"crm: {' '.join(CRM)}; book: {options.contacts:,} contacts; runs: {options.runs}")
    results = alternate(cases, env, options.runs)
    for label, runs in results.items():
        heavy = imported(env, cases[label]) if label.startswith("crm") else None
        print(summary(label, runs) + (f"  imports: {heavy}" if heavy else ""))
    print()
    passed = True
    for label in FULL:
        runs = results[label]
        passed &= judge(label, statistics.median(r.wall for r in runs),
                        statistics.median(r.cpu for r in runs), FULL_TARGET)
        if options.against:
            before = results[f"{label} @ {options.against}"]
            print(f"    now / {options.against}: wall {paired_ratio(runs, before, 'wall'):.2f}x"
                  f", cpu {paired_ratio(runs, before, 'cpu'):.2f}x")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
