"""Constant memory at scale: every command that lists or exports the whole book (export in
every format), on a book of 1,000,000 contacts (built through direct SQL, see scale_book.py;
or, with --book domain, common.build_book's, written through the domain layer), with the peak
resident memory of its process tree (an export to a vdir too, into a new folder and again
over its files); and `crm list --json` on 100,000 contacts against the figure before
streaming (20.6 s).

    python benchmarks/bench_streaming.py                      # both, 5 runs each
    python benchmarks/bench_streaming.py --memory 1000000 --runs 1 --no-warm-up
    python benchmarks/bench_streaming.py --memory 1000000 --runs 1 --no-warm-up --book domain
    python benchmarks/bench_streaming.py --speed 100000
    python benchmarks/bench_streaming.py --memory 1000000 --runs 1 --only 'deal list' --exactly

Targets: each command peaks at <= 60 MB; `list --json` on 100,000 contacts takes <= 20.6/3 s
of wall and of CPU time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from common import CRM, DATA, build_book, medians, repeat, verdict
from scale_book import build_scale_book

PEAK_MB = 60
OLD_LIST_JSON_SECONDS = 20.6
COMMANDS = [
    ["list", "--json"],
    ["list", "--csv"],
    ["list"],
    ["list", "garcia"],  # a broad search: every García
    ["list", "garcia", "--json"],
    ["export"],
    ["export", "--vcard-version", "4.0"],
    ["export", "-f", "csv"],
    ["export", "-f", "csv", "--csv-dialect", "crmcli"],
    ["export", "-f", "csv", "--csv-dialect", "outlook"],
    ["export", "-f", "json"],
    ["export", "-f", "jsonl"],
    ["export", "-f", "ics"],
    ["export", "-f", "ics", "--birthdays"],
    ["activity", "--limit", "100000000", "--json"],
    ["activity", "--limit", "100000000"],
    ["deal", "list", "--json"],
    ["deal", "list"],
    ["due", "--json", "--all"],
    ["due", "--all"],
]


def environment(book: Path) -> dict:
    return {**os.environ, "CRM_DB": str(book), "CRM_NOW": "2026-06-01T09:00:00Z",
            "XDG_CONFIG_HOME": str(DATA / "no-config")}


BOOKS = {"scale": (build_scale_book, "direct SQL book"),
         "domain": (build_book, "book written through the domain layer")}


def memory(count: int, runs: int, only: list[str], warm_up: bool, kind: str,
           exactly: bool = False) -> bool:
    build, described = BOOKS[kind]
    book = build(count)
    print(f"\n{count:,} contacts ({described}, {book.stat().st_size / 1e6:.0f} MB): "
          f"median of {runs} run(s){' after a warm-up' if warm_up else ', no warm-up'}; "
          "peak RSS of the process tree")
    folder = DATA / f"vdir-{count}"
    runs_of = [(" ".join(args), args, None) for args in COMMANDS] + [
        ("export --vdir (a new folder)", ["export", "--vdir", str(folder)],
         lambda: shutil.rmtree(folder, ignore_errors=True)),
        ("export --vdir (again, over its files)", ["export", "--vdir", str(folder)], None)]
    passed = True
    for label, args, prepare in runs_of:
        if only and not any(word == label if exactly else word in label for word in only):
            continue
        result = medians(repeat([*CRM, *args], runs, environment(book), prepare=prepare,
                                warm_up=warm_up))
        ok = result.peak_mb <= PEAK_MB
        passed &= ok
        print(f"crm {label:<42} wall {result.wall:7.2f} s  cpu {result.cpu:7.2f} s  "
              f"peak RSS {result.peak_mb:5.1f} MB (PSS {result.peak_pss_mb:5.1f})  "
              f"{verdict(ok)} (<= {PEAK_MB} MB)", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return passed


def speed(count: int, runs: int) -> bool:
    book = build_scale_book(count)
    target = OLD_LIST_JSON_SECONDS / 3
    result = medians(repeat([*CRM, "list", "--json"], runs, environment(book)))
    ok_wall, ok_cpu = result.wall <= target, result.cpu <= target
    print(f"\ncrm list --json on {count:,} contacts (direct SQL book), median of {runs}: "
          f"wall {result.wall:.2f} s {verdict(ok_wall)}, cpu {result.cpu:.2f} s "
          f"{verdict(ok_cpu)} (target <= {target:.2f} s = {OLD_LIST_JSON_SECONDS} s / 3); "
          f"{OLD_LIST_JSON_SECONDS / result.wall:.1f}x faster; peak {result.peak_mb:.1f} MB")
    return ok_wall and ok_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, action="append", help="book size for memory")
    parser.add_argument("--speed", type=int, action="append", help="book size for list --json")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", default=[], help="commands containing this")
    parser.add_argument("--exactly", action="store_true", help="--only names whole commands")
    parser.add_argument("--book", choices=sorted(BOOKS), default="scale",
                        help="memory only: the book measured (default: scale)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="memory only: skip the warm-up run (peaks do not need one)")
    options = parser.parse_args()
    if not options.memory and not options.speed:
        options.memory, options.speed = [1_000_000], [100_000]
    passed = True
    for count in options.speed or []:
        passed &= speed(count, options.runs)
    for count in options.memory or []:
        passed &= memory(count, options.runs, options.only, not options.no_warm_up,
                         options.book, options.exactly)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
