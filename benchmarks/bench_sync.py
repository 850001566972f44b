"""`crm sync --no-command` on a book of 10,000 contacts and its vdir.

    python benchmarks/bench_sync.py                 # 10,000 contacts, 5 runs
    python benchmarks/bench_sync.py --contacts 2000 --runs 3

Reports the first sync (every card written), then a sync with nothing changed (the target:
<= 1 s; change detection by size and time before anything is read or parsed), and a sync after
one card was edited in the vdir and one contact in the book: wall and CPU time and the peak
resident memory of each process. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CRM, build_book, scratch_copy

TARGET = 1.0


def measured(env: dict, *args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of one ``crm ARGS`` process."""
    started = time.perf_counter()
    process = subprocess.Popen([*CRM, *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"crm {' '.join(args)} exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def line(label: str, runs: list[tuple[float, float, float]]) -> str:
    walls, cpus, peaks = zip(*runs, strict=True)
    spread = f"  (min {min(walls):.3f}, max {max(walls):.3f})" if len(runs) > 1 else ""
    return (f"{label:<36} wall {statistics.median(walls):7.3f} s  cpu "
            f"{statistics.median(cpus):7.3f} s  peak {max(peaks):5.0f} MB{spread}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        book, vdir = work / "crm.db", work / "vdir"
        scratch_copy(build_book(args.contacts), book)
        config = work / "config.toml"
        config.write_text(f'[sync]\ncommand = ""\ncontacts = "{vdir}"\n')
        env = {**os.environ, "CRM_CONFIG": str(config), "CRM_DB": str(book)}
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        first = measured(env, "sync", "--no-command")
        print(line(f"first sync ({len(list(vdir.glob('*.vcf')))} files)", [first]))
        measured(env, "sync", "--no-command")  # warm-up
        idle = [measured(env, "sync", "--no-command") for _ in range(args.runs)]
        median = statistics.median(wall for wall, _, _ in idle)
        verdict = "ok" if median <= TARGET else f"OVER {TARGET} s"
        print(line(f"sync, nothing changed ({args.runs} runs)", idle) + f"  {verdict}")
        path = next(vdir.glob("*.vcf"))
        text = re.sub(rb"TITLE:[^\r\n]*\r\n", b"", path.read_bytes())
        path.write_bytes(text.replace(b"END:VCARD", b"TITLE:Edited\r\nEND:VCARD"))
        subprocess.run([*CRM, "edit", "2", "--title", "Edited too"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(line("sync, one change on each side", [measured(env, "sync", "--no-command")]))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0 if median <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
