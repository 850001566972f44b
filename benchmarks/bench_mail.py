"""Scanning a large mailbox: crm import-mail and crm mail suggest on a Maildir of 100,000
messages, against a book of 10,000 contacts.

    python benchmarks/bench_mail.py [--runs 5] [--messages 100000]

The Maildir (built once in benchmarks/data) holds 1% of messages to or from contacts; the rest
are strangers' mail, 2% of it with a 100 KB attachment that a scan must not read. Each case is
a whole `crm` process, after one warm-up: median wall and CPU time and the peak RSS of the
process (from wait4). "import, first" logs into a fresh copy of the book each run; "import,
again" finds everything logged. Targets: 60 s and 100 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from common import CRM, DATA, build_book, generated_contacts, scratch_copy

TARGET_SECONDS = 60.0
TARGET_MB = 100
CONTACTS = 10_000
BODY = "Thanks for the update. " * 60


def build_maildir(count: int) -> Path:
    """``count`` messages in cur/ and new/; every 100th concerns a contact of the book."""
    folder = DATA / f"maildir-{count}"
    if folder.exists():
        return folder
    partial = DATA / f"maildir-{count}.partial"
    for sub in ("cur", "new", "tmp"):
        (partial / sub).mkdir(parents=True, exist_ok=True)
    addresses = [contact.emails[0].value for contact, _ in generated_contacts(CONTACTS)]
    rng = random.Random(11)
    attachment = os.urandom(75_000)
    started = time.perf_counter()
    for number in range(count):
        mail = EmailMessage()
        stranger = f"Person {number % 5000} <person{number % 5000}@elsewhere{number % 89}.org>"
        known = rng.choice(addresses) if number % 100 == 0 else None
        mail["From"] = known or stranger
        mail["To"] = "Me <me@example.org>"
        mail["Subject"] = f"=?utf-8?q?Re=3A_propuesta_n=C2=BA_{number}?="
        mail["Date"] = f"Mon, {1 + number % 28} Sep 2026 {number % 24:02d}:00:00 +0200"
        mail["Message-ID"] = f"<{number}.bench@example.org>"
        mail.set_content(BODY)
        if number % 50 == 7:
            mail.add_attachment(attachment, maintype="application", subtype="pdf",
                                filename="offer.pdf")
        sub = "cur" if number % 3 else "new"
        suffix = ":2,S" if sub == "cur" else ""
        (partial / sub / f"{1_790_000_000 + number}.M{number}P1.bench{suffix}").write_bytes(
            bytes(mail))
    os.replace(partial, folder)
    print(f"built {folder.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def measure(args: list[str], book: Path, fresh: Path | None, folder: Path, runs: int
            ) -> tuple[list[float], list[float], int]:
    walls, cpus, peak = [], [], 0
    config = folder / "config.toml"
    config.write_text('[mail]\nme = ["me@example.org"]\n')
    for run in range(runs + 1):
        if fresh is not None:
            scratch_copy(fresh, book)
        env = {**os.environ, "CRM_DB": str(book), "CRM_CONFIG": str(config)}
        started = time.perf_counter()
        process = subprocess.Popen([*CRM, *args], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        summary = process.stderr.read().decode().strip().splitlines()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"crm {' '.join(args)} failed: {summary}")
        if run:  # the first run warms the caches
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime)
            peak = max(peak, usage.ru_maxrss // 1024)
        elif summary:
            print(f"  ({summary[-1]})", file=sys.stderr)
    return walls, cpus, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=100_000)
    options = parser.parse_args()
    mailbox = build_maildir(options.messages)
    source = build_book(CONTACTS)
    ok = True
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        book = folder / "book.db"
        logged = folder / "logged.db"
        scratch_copy(source, logged)
        subprocess.run([*CRM, "--db", str(logged), "import-mail", str(mailbox)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases = {"import-mail, first (logs 1%)": (["import-mail", str(mailbox)], source),
                 "import-mail, again (all logged)": (["import-mail", str(mailbox)], logged),
                 "mail suggest": (["mail", "suggest", str(mailbox)], logged)}
        print(f"{options.messages:,} messages, {CONTACTS:,} contacts, {options.runs} runs")
        for label, (args, fresh) in cases.items():
            walls, cpus, peak = measure(args, book, fresh, folder, options.runs)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            passed = wall <= TARGET_SECONDS and peak <= TARGET_MB
            ok = ok and passed
            print(f"{label:<34} wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak {peak:4d} MB"
                  f"  {'ok' if passed else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
