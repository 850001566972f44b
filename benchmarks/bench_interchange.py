"""vCard import and export on generated cards.

    python benchmarks/bench_interchange.py                 # 10,000 and 100,000 cards
    python benchmarks/bench_interchange.py --cards 10000

Targets: importing takes at most 1.5x the time vobject alone takes to parse the same file;
peak memory of a 100,000-card import under 200 MB; exporting 10,000 contacts under 3 s.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from common import CRM, DATA, FIRST, LAST, TAGS

PHOTO = random.Random(1).randbytes(3000)


def card(number: int, rng: random.Random) -> str:
    """One vCard 3.0 as a phone would write it, serialised (and folded) by vobject."""
    import vobject

    first, last = rng.choice(FIRST), rng.choice(LAST)
    vc = vobject.vCard()
    vc.add("uid").value = f"bench-{number}"
    vc.add("fn").value = f"{first} {last} {number}"
    vc.add("n").value = vobject.vcard.Name(family=last, given=first)
    vc.add("org").value = [f"Company {number % 997}"]
    vc.add("title").value = "Buyer"
    email = vc.add("email")
    email.value = f"{first[0].lower()}{number}@example{number % 89}.com"
    email.type_param = ["INTERNET", "WORK"]
    tel = vc.add("tel")
    tel.value = f"+34 6{rng.randrange(10**7, 10**8)}"
    tel.type_param = "CELL"
    vc.add("categories").value = rng.sample(TAGS, 2)
    vc.add("bday").value = f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}"
    vc.add("note").value = f"Met at fair {number % 50}, follow up"
    social = vc.add("x-socialprofile")
    social.value = f"https://twitter.com/user{number}"
    social.type_param = "twitter"
    if number % 10 == 0:
        photo = vc.add("photo")
        photo.value = PHOTO
        photo.encoding_param = "b"
        photo.type_param = "JPEG"
    return "".join(_folded(line) for line in vc.serialize().split("\r\n") if line)


def _folded(line: str) -> str:
    """vobject leaves base64 PHOTO lines unfolded; fold them as phones do."""
    from vobject.base import foldOneLine

    buffer = io.StringIO()
    foldOneLine(buffer, line)
    return buffer.getvalue()


def card_file(count: int) -> Path:
    path = DATA / f"cards-{count}.vcf"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        rng = random.Random(3)
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            for number in range(count):
                handle.write(card(number, rng))
        os.replace(partial, path)
    return path


def vobject_parse_seconds(path: Path) -> float:
    code = ("import sys, time, vobject; t = time.perf_counter(); "
            "n = sum(1 for _ in vobject.readComponents(open(sys.argv[1], encoding='utf-8'))); "
            "print(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                            text=True, check=True)
    return float(result.stdout)


def run_measured(args: list[str], db_path: Path, **kwargs) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of ``crm ARGS`` as a child process."""
    env = {**os.environ, "CRM_DB": str(db_path)}
    started = time.perf_counter()
    process = subprocess.Popen([*CRM, *args], env=env, stderr=subprocess.DEVNULL, **kwargs)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crm {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, action="append")
    options = parser.parse_args()
    passed = True
    for count in options.cards or [10_000, 100_000]:
        source = card_file(count)
        db_path = DATA / f"import-{count}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        parse = vobject_parse_seconds(source)
        seconds, memory = run_measured(["import", str(source)], db_path)
        ratio = seconds / parse
        print(f"\n{count:,} cards ({source.stat().st_size / 1e6:.1f} MB)")
        print(f"vobject alone parses them in   {parse:.2f} s")
        ok = ratio <= 1.5
        print(f"crm import                     {seconds:.2f} s = {ratio:.2f}x vobject "
              f"{'ok' if ok else 'OVER 1.5x'}; peak memory {memory:.0f} MB"
              + ("" if count < 100_000 else (" ok" if memory < 200 else " OVER 200 MB")))
        passed &= ok and (count < 100_000 or memory < 200)
        with open(os.devnull, "w") as sink:
            seconds, memory = run_measured(["export"], db_path, stdout=sink)
        ok = count != 10_000 or seconds < 3
        print(f"crm export (vCard 3.0)         {seconds:.2f} s; peak memory {memory:.0f} MB"
              + (("  ok" if ok else "  OVER 3 s") if count == 10_000 else ""))
        passed &= ok
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
