"""Shell completion on a generated book: whole `crm` processes answering as bash and zsh ask.

    python benchmarks/bench_completion.py                 # 10,000 contacts
    python benchmarks/bench_completion.py --contacts 100000 --runs 20

Each case runs once to warm up, then `--runs` times, the cases alternated run by run; reported:
median wall and CPU time (user + system) and the peak RSS of the process. Target: every case
answered by the fast path under 0.1 s wall on 10,000 contacts; the case Typer answers (an option
the fast path does not know) is shown for comparison, and so are two peers (the bare interpreter,
`crm --version`). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from common import CRM, build_book

TARGET = 0.1
TIME = ["/usr/bin/time", "-f", "%M"] if shutil.which("/usr/bin/time") else []  # peak RSS
CASES = [
    ("contact name  crm show jo<TAB>", "bash", "crm show jo", True),
    ("contact name  crm show <TAB> (first 100)", "bash", "crm show ", True),
    ("contact id    crm show 42<TAB>", "zsh", "crm show 42", True),
    ("tag           crm list --tag <TAB>", "zsh", "crm list --tag ", True),
    ("company       crm add X -c company 1<TAB>", "zsh", "crm add X -c company\\ 1", True),
    ("stage         crm deal move 1 <TAB>", "bash", "crm deal move 1 ", True),
    ("follow-up id  crm done <TAB>", "bash", "crm done ", True),
    ("through Typer crm show -f json jo<TAB>", "bash", "crm show -f json jo", False),
]
# Peers in the same runs, to tell the cost of completion from the load of the machine.
PEERS = [("peer: python -c pass", [sys.executable, "-c", "pass"]),
         ("peer: crm --version", [*CRM, "--version"])]


def _environment(book, shell: str, line: str) -> dict[str, str]:
    env = {**os.environ, "CRM_DB": str(book), "_CRM_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split(" ")
        return {**env, "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    return {**env, "_TYPER_COMPLETE_ARGS": line}


def _measure(env: dict[str, str], argv: list[str] = CRM) -> tuple[float, float, int, str]:
    """Wall and CPU seconds, peak RSS (KB) and output of one completion process.

    The peak RSS is the one GNU time reports for its child: a child started from this process
    (fork, vfork or posix_spawn alike) counts this process's memory as its own until it execs."""
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    started = time.perf_counter()
    process = subprocess.Popen([*TIME, *argv], env=env, stdout=out_write, stderr=err_write)
    os.close(out_write)
    os.close(err_write)
    with os.fdopen(out_read, "rb") as stream:
        output = stream.read().decode()
    with os.fdopen(err_read, "rb") as stream:
        errors = stream.read().decode().splitlines()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    rss = int(errors[-1]) if TIME and errors and errors[-1].isdigit() else 0
    return wall, usage.ru_utime + usage.ru_stime, rss, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    book = build_book(options.contacts)
    print(f"{options.contacts:,} contacts ({book.stat().st_size / 1e6:.1f} MB), "
          f"{options.runs} runs each after a warm-up")
    runs = [(_environment(book, shell, line), CRM) for _, shell, line, _ in CASES]
    runs += [(dict(os.environ), argv) for _, argv in PEERS]
    results: list[list[tuple[float, float, int, str]]] = [[] for _ in runs]
    for run in range(options.runs + 1):
        for index, (env, argv) in enumerate(runs):
            measured = _measure(env, argv)
            if run:
                results[index].append(measured)
    passed = True
    labels = [*((label, fast) for label, _, _, fast in CASES),
              *((label, False) for label, _ in PEERS)]
    for (label, fast), measured in zip(labels, results, strict=True):
        wall = statistics.median(m[0] for m in measured)
        cpu = statistics.median(m[1] for m in measured)
        rss = max(m[2] for m in measured) / 1024  # 0 without GNU time
        offered = len(measured[0][3].splitlines())
        ok = wall < TARGET if fast else True
        passed &= ok
        verdict = ("  ok" if ok else f"  OVER {TARGET} s") if fast else ""
        print(f"{label:<44} wall {wall:.3f} s  cpu {cpu:.3f} s  rss {rss:5.1f} MB"
              f"  {offered:>3} lines{verdict}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
