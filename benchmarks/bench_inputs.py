"""Bounded work on hostile input: the cards that used to take minutes and gigabytes.

    python benchmarks/bench_inputs.py [--runs 5]

Each case is a whole `crm` process on a new book, after one warm-up: median wall and CPU
time and the peak RSS of the process tree (the largest process, from wait4). Targets: under
1 s and 100 MB each, and linear (the 100k-email card costs about ten times the 10k one's
parsing, not a hundred).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CRM

TARGET_SECONDS = 1.0
TARGET_MB = 100


def _card(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "FN:Hostile", *lines, "END:VCARD", ""])


def cases(folder: Path) -> dict[str, list[str]]:
    files = {
        "long-phone.vcf": _card("TEL:" + "9" * 100_000),
        "emails-10k.vcf": _card(*(f"EMAIL:user{i}@example.com" for i in range(10_000))),
        "emails-100k.vcf": _card(*(f"EMAIL:user{i}@example.com" for i in range(100_000))),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return {"import a TEL of 100,000 digits": ["import", str(folder / "long-phone.vcf")],
            "import a card with 10k EMAIL lines": ["import", str(folder / "emails-10k.vcf")],
            "import a card with 100k EMAIL lines": ["import", str(folder / "emails-100k.vcf")],
            "add -p <30,000 nines>": ["add", "Nines", "-p", "9" * 30_000]}


def measure(args: list[str], folder: Path, runs: int) -> tuple[list[float], list[float], int]:
    walls, cpus, peak = [], [], 0
    for run in range(runs + 1):
        book = folder / f"book-{run}.db"
        env = {**os.environ, "CRM_DB": str(book), "CRM_CONFIG": str(folder / "none.toml")}
        started = time.perf_counter()
        process = subprocess.Popen([*CRM, *args], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"crm {args[0]} failed")
        if run:  # the first run warms the caches
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime)
            peak = max(peak, usage.ru_maxrss)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
    return walls, cpus, peak // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as name:
        folder = Path(name)
        for label, args in cases(folder).items():
            walls, cpus, peak_mb = measure(args, folder, options.runs)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            fine = wall < TARGET_SECONDS and peak_mb < TARGET_MB
            ok &= fine
            print(f"{label:<38} wall {wall:.2f} s  cpu {cpu:.2f} s  peak RSS {peak_mb} MB"
                  f"  {'ok' if fine else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
