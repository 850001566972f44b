"""`crm sync --no-command` on a book of 10,000 contacts and its vdir.

    python benchmarks/bench_sync.py                 # 10,000 contacts, 5 runs
    python benchmarks/bench_sync.py --contacts 2000 --runs 3

Reports the first sync (every card written), then a sync with nothing changed (the target:
<= 1 s; change detection by size and time before anything is read or parsed), and a sync after
one card was edited in the vdir and one contact in the book. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CRM, build_book, report, scratch_copy, time_command


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
        os.environ["CRM_CONFIG"] = str(config)
        env = {**os.environ, "CRM_DB": str(book)}
        started = time.perf_counter()
        subprocess.run([*CRM, "sync", "--no-command"], env=env, check=True,
                       stderr=subprocess.DEVNULL)
        first = time.perf_counter() - started
        print(f"{'first sync (writes every card)':<40} {first:.3f} s "
              f"({len(list(vdir.glob('*.vcf')))} files)")
        ok = report(f"sync, nothing changed ({args.contacts})",
                    time_command(["sync", "--no-command"], book, args.runs), 1.0)
        path = next(vdir.glob("*.vcf"))
        path.write_bytes(path.read_bytes().replace(b"END:VCARD", b"TITLE:Edited\r\nEND:VCARD"))
        subprocess.run([*CRM, "edit", "2", "--title", "Edited too"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run([*CRM, "sync", "--no-command"], env=env, check=True)
        print(f"{'sync, one change on each side':<40} {time.perf_counter() - started:.3f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
