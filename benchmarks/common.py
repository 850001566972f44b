"""Shared by the benchmark scripts: generated address books (cached), and whole processes
measured as they run: wall and CPU time, peak RSS and PSS of the whole process tree (workers
included), peers alternated run by run with the ratio of each pair, and targets judged on CPU
as well as wall time."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import SimpleNamespace

# An installed crm runs from compiled bytecode: with PYTHONDONTWRITEBYTECODE set, every measured
# process would compile each module changed since its cache was written (~40-80 ms a run).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# Generated books are cached here, outside the repository: a 1,000,000-contact book takes
# minutes to build and about a gigabyte.
DATA = Path(os.environ.get("CRM_BENCH_DATA") or Path(tempfile.gettempdir()) / "crmcli-bench")
# The console script users run (its first stop is crmcli.entry), else the module.
_SCRIPT = Path(sys.executable).with_name("crm")
CRM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "crmcli"]
BOOK_NOW = "2026-11-20T09:00:00+00:00"  # the moment books are built at, and commands run at
BOOK_MOMENT = dt.datetime.fromisoformat(BOOK_NOW)
BATCH = 10_000  # contacts per transaction while building

FIRST = ["José", "Ana", "Bo", "Chloé", "Dmitri", "Émilie", "Fatima", "Gunnar", "Hana", "Isabel",
         "Jonas", "Kwame", "Laura", "Mateo", "Nora", "Óscar", "Priya", "Quentin", "Rosa", "Sven"]
LAST = ["Núñez", "Lima", "Chen", "Dubois", "Volkov", "Laurent", "Al-Sayed", "Sørensen", "Tanaka",
        "Ortega", "Weber", "Mensah", "García", "Müller", "Rossi", "Kowalski", "Silva", "Novak"]
TAGS = ["vip", "lead", "customer", "partner", "prospect", "referral", "golf", "press"]


def generated_contacts(count: int, seed: int = 7):
    """Deterministic sample contacts: names, companies, emails, phones, tags, some notes."""
    from crmcli.models import Contact, Detail, PartialDate

    rng = random.Random(seed)
    for number in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = Contact(
            name=f"{first} {last} {number}",
            company=f"Company {rng.randrange(max(1, count // 10))}",
            title=rng.choice(["CEO", "CTO", "Buyer", "Engineer", None]),
            emails=[Detail(f"{first[0].lower()}.{number}@example{number % 97}.com", "work")],
            phones=[Detail(f"+34 6{rng.randrange(10**7, 10**8)}", "mobile")],
            tags=rng.sample(TAGS, rng.randrange(0, 3)),
            birthday=PartialDate(None if number % 3 else 1980, rng.randrange(1, 13),
                                 rng.randrange(1, 29)) if number % 2 else None,
        )
        note = f"Met at fair {number % 50}; follow up about product {rng.randrange(100)}"
        yield contact, (note if number % 4 == 0 else None)


def scratch_copy(source: Path, target: Path) -> None:
    """Copy a database to a new file, leaving no stale -wal/-shm beside it to be replayed."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def build_book(count: int) -> Path:
    """A book of ``count`` generated contacts, built once and cached outside the repository
    (``$CRM_BENCH_DATA``, default /tmp/crmcli-bench). Everything is written through the
    domain layer (``contacts.create``, ``followups.create``, ``deals.create``,
    ``activity.log_interaction``, ``contacts.trash``), as ``crm`` itself writes, in
    transactions of BATCH contacts; the book's moment is BOOK_NOW. Besides the contacts:
    a follow-up per 50 contacts (due within 60 days either side of BOOK_NOW; those past
    BOOK_NOW done but one in ten), an open deal per 100, a logged call per 10, a 30-day
    keep-in-touch cadence per 1,000, and one contact in 100 in the trash."""
    from crmcli import db

    path = DATA / f"book-{count}.db"
    if path.exists():
        _settle_followups(path)  # books cached before follow-ups were settled
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")  # two builders never share one
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    database = db.connect(partial)
    database.now = BOOK_MOMENT
    started = time.perf_counter()
    generated, pipeline = generated_contacts(count), _default_pipeline()
    for first in range(0, count, BATCH):
        with db.transaction(database):
            for number, (contact, note) in enumerate(islice(generated, BATCH), first):
                _write_contact(database, pipeline, number, contact, note)
        print(f"\r{path.name}: {first + BATCH:,} of {count:,}", end="", file=sys.stderr)
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    _settle_followups(partial)
    os.replace(partial, path)
    print(f"\rbuilt {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def _default_pipeline():
    from crmcli import stages

    return stages.load_pipeline(SimpleNamespace(raw={}, path="(none)"))


def _settle_followups(path: Path) -> None:
    """Mark done (``followups.mark_done``, at BOOK_NOW) the past follow-ups but one in ten, as
    a book in use has them: a few overdue, not every one ever planned."""
    from crmcli import db, followups

    database = db.connect(path)
    try:
        late = [followup_id for (followup_id,) in database.execute(
            "SELECT id FROM followups WHERE done_at IS NULL AND due < ?"
            " AND (contact_id - 1) % 500 != 7", [BOOK_NOW])]
        with db.transaction(database):
            for followup_id in late:
                followups.mark_done(database, followup_id, BOOK_MOMENT)
    finally:
        database.close()


def _write_contact(database, pipeline, number: int, contact, note: str | None) -> None:
    """One generated contact and the agenda around it (see build_book)."""
    from crmcli import activity, contacts, deals, followups
    from crmcli.dates import When
    from crmcli.models import Deal, Interaction

    stored = contacts.create(database, contact, notes=[note] if note else [])
    if number % 50 == 7:
        due = BOOK_MOMENT + dt.timedelta(days=number % 121 - 60)
        followups.create(database, stored.id, When(due, number % 3 == 0), f"Call {number}")
    if number % 100 == 11:
        deal = Deal(title=f"Deal {number}", currency="EUR", stage="", contact_id=stored.id,
                    amount_minor=100 * (number % 9000 + 500),
                    close_on=(BOOK_MOMENT + dt.timedelta(days=number % 90)).date().isoformat())
        deals.create(database, pipeline, deal)
    if number % 10 == 3:
        happened = BOOK_MOMENT - dt.timedelta(days=number % 400, hours=number % 24)
        activity.log_interaction(database, Interaction(
            contact_id=stored.id, kind="call", happened_at=happened.strftime(
                "%Y-%m-%dT%H:%M:%SZ"), body=f"Call about product {number % 100}"))
    if number % 1000 == 5:
        followups.set_cadence(database, stored.id, 30)
    if number % 100 == 42:
        contacts.trash(database, stored.id)


def time_command(args: list[str], db_path: Path, runs: int) -> list[float]:
    """Wall-clock seconds of ``crm ARGS`` as a whole process, once per run (after one warm-up)."""
    env = {**os.environ, "CRM_DB": str(db_path)}
    timings = []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([*CRM, *args], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if run:
            timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float], target: float | None) -> bool:
    median = statistics.median(timings)
    verdict = "" if target is None else ("  ok" if median < target else f"  OVER {target} s")
    print(f"{label:<40} median {median:.3f} s  min {min(timings):.3f} s"
          f"  max {max(timings):.3f} s{verdict}")
    return target is None or median < target


# ----------------------------------------------------------------------------- measuring

GNU_TIME = "/usr/bin/time"  # reports the exact peak RSS of its child without counting ours
SAMPLE_SECONDS = 0.005


@dataclass
class Run:
    """One whole process: wall and CPU seconds (user + system of the process and of every
    process it started), the peak memory of its process tree in MB and its exit code."""

    wall: float
    cpu: float
    peak_mb: float  # peak RSS: the sampled sum over the tree, or the largest process's exact
    # peak (GNU time) when that is larger (a spike shorter than a sampling interval)
    peak_pss_mb: float  # the sampled sum in proportional set size: pages a worker shares
    # with its parent after fork counted once, not once per process
    code: int = 0


def measure(argv: list[str], env: dict | None = None, stdin=None, check: bool = True) -> Run:
    """Run ``argv`` once with its output thrown away, sampling the memory of its whole process
    tree (an import's parsing worker included) every SAMPLE_SECONDS. ``check``: raise
    SystemExit, with the end of its stderr, if it fails."""
    with (tempfile.NamedTemporaryFile("r", prefix="crm-bench-", suffix=".time") as report,
          tempfile.TemporaryFile() as errors):
        wrapper = [GNU_TIME, "-f", "%M", "-o", report.name] if Path(GNU_TIME).exists() else []
        started = time.perf_counter()
        process = subprocess.Popen([*wrapper, *argv], env=env,
                                   stdin=stdin or subprocess.DEVNULL,
                                   stdout=_SINK, stderr=errors)
        drain = _Drain(process.stdout) if process.stdout else None
        sampler = _TreeSampler(process.pid, count_root=not wrapper)
        _, status, usage = os.wait4(process.pid, 0)
        if drain:
            drain.join()
        wall = time.perf_counter() - started
        sampler.stop()
        process.returncode = code = os.waitstatus_to_exitcode(status)
        lines = report.read().split()
        if check and code:
            errors.seek(0)
            raise SystemExit(f"{' '.join(map(str, argv))} failed ({code}): "
                             f"{errors.read().decode(errors='replace')[-500:]}")
    largest_kb = int(lines[-1]) if wrapper and lines and lines[-1].isdigit() else 0
    return Run(wall, usage.ru_utime + usage.ru_stime, max(sampler.rss_kb, largest_kb) / 1024,
               sampler.pss_kb / 1024, code)


# Where a measured command's output goes: /dev/null, or, where /dev/null is a plain file (as
# on some shared machines: a million contacts' export would be stored in it), a pipe drained
# and thrown away by a thread.
_SINK = subprocess.DEVNULL if Path(os.devnull).is_char_device() else subprocess.PIPE


class _Drain(threading.Thread):
    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.start()

    def run(self) -> None:
        with self.pipe:
            while self.pipe.read1(1 << 20):
                pass


def repeat(argv: list[str], runs: int, env: dict | None = None, prepare=None, stdin_path=None,
           warm_up: bool = True) -> list[Run]:
    """``runs`` measured runs after one warm-up; ``prepare()`` runs before each (untimed)."""
    results = []
    for number in range(runs + (1 if warm_up else 0)):
        if prepare:
            prepare()
        stdin = open(stdin_path, "rb") if stdin_path else None  # noqa: SIM115
        try:
            run = measure(argv, env, stdin=stdin)
        finally:
            if stdin:
                stdin.close()
        if number or not warm_up:
            results.append(run)
    return results


def medians(runs: list[Run]) -> Run:
    """Median times, largest peaks."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_mb for r in runs), max(r.peak_pss_mb for r in runs),
               max(r.code for r in runs))


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


class _TreeSampler:
    """The largest sums of RSS and of PSS over a process and its descendants, sampled from
    /proc in a thread; ``count_root=False`` leaves out the root itself (GNU time)."""

    def __init__(self, pid: int, count_root: bool = True):
        self.pid, self.count_root = pid, count_root
        self.rss_kb = self.pss_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            pids = _tree(self.pid)
            rss, pss = _memory_kb(pids if self.count_root else pids[1:])
            self.rss_kb, self.pss_kb = max(self.rss_kb, rss), max(self.pss_kb, pss)
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, found through /proc/PID/task/*/children."""
    found, index = [pid], 0
    while index < len(found):
        try:
            for task in Path(f"/proc/{found[index]}/task").iterdir():
                found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
        index += 1
    return found


def _memory_kb(pids: list[int]) -> tuple[int, int]:
    """Summed RSS and PSS of ``pids``."""
    rss = pss = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


def alternate(cases: dict[str, list[str]], env: dict, runs: int) -> dict[str, list[Run]]:
    """Each case once as a warm-up, then ``runs`` rounds of every case in turn (crm, peer,
    crm, peer...), so that the load of the machine falls on all of them alike."""
    results: dict[str, list[Run]] = {label: [] for label in cases}
    for round_ in range(runs + 1):
        for label, argv in cases.items():
            run = measure(argv, env, check=False)
            if round_:
                results[label].append(run)
    return results


def summary(label: str, runs: list[Run]) -> str:
    codes = sorted({run.code for run in runs})
    return (f"{label:<46} wall {statistics.median(r.wall for r in runs):7.3f} s"
            f"  cpu {statistics.median(r.cpu for r in runs):7.3f} s"
            f"  rss {max(r.peak_mb for r in runs):7.1f} MB"
            + (f"  exit {codes}" if codes != [0] else ""))


def paired_ratio(mine: list[Run], peer: list[Run], attribute: str) -> float:
    """The median over rounds of mine/peer, each pair measured back to back."""
    return statistics.median(getattr(a, attribute) / max(getattr(b, attribute), 1e-6)
                             for a, b in zip(mine, peer, strict=True))


def judge(name: str, wall: float, cpu: float, limit: float, unit: str = "s") -> bool:
    """Print a target's verdict on wall and on CPU time; both must be within ``limit``."""
    passed = wall <= limit and cpu <= limit
    print(f"  target {name}: wall {wall:.3f}{unit} {'ok' if wall <= limit else 'FAIL'}, "
          f"cpu {cpu:.3f}{unit} {'ok' if cpu <= limit else 'FAIL'} (limit {limit}{unit})"
          f" -> {'PASS' if passed else 'FAIL'}")
    return passed
