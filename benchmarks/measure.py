"""Whole-process measurements: wall and CPU time, and the peak resident memory of the process
tree (the command and every process it starts, such as an import's parsing worker), sampled
from /proc while it runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.01


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the whole tree
    peak_mb: float  # peak of the summed resident memory (RSS) of the tree
    peak_pss_mb: float = 0.0  # the same in proportional set size: pages a worker shares
    # with its parent after fork counted once, not once per process


def measure(argv: list[str], env: dict | None = None, stdin=None, stdout=subprocess.DEVNULL
            ) -> Run:
    """Run ``argv`` once; raise SystemExit if it fails."""
    before = os.times()
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=stdin, stdout=stdout,
                               stderr=subprocess.PIPE)
    sampler = _TreeSampler(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    after = os.times()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, argv))} failed ({process.returncode}): "
                         f"{stderr.decode(errors='replace')[-500:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return Run(wall, cpu, sampler.peak_kb / 1024, sampler.peak_pss_kb / 1024)


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
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_mb for r in runs), max(r.peak_pss_mb for r in runs))


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


class _TreeSampler(threading.Thread):
    """Polls /proc for the resident memory of a process and its descendants."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            rss, pss = _tree_memory_kb(self.root)
            self.peak_kb, self.peak_pss_kb = max(self.peak_kb, rss), max(self.peak_pss_kb, pss)
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree_memory_kb(root: int) -> tuple[int, int]:
    """Summed RSS and PSS of ``root`` and its descendants (found through
    /proc/PID/task/*/children)."""
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss
