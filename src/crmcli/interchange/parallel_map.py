"""Parse in another process while this one writes to the database.

Parsing vCards and writing contacts each take about half of an import; on a machine with two
or more cores they can overlap. Work goes out in batches, at most a few ahead of what has been
consumed, so memory stays flat however long the input is; short inputs never start a worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items a batch, and batches in flight per worker: 300 parsed cards or more ahead of the one
# being consumed, more than the importer takes at a time (BATCH_RECORDS), so that the worker
# parses while the importer writes. Every card in flight is held in memory (about 3 KB each
# in the importer, with its pickled copies): 200 a batch kept ~2.5 MB more in flight.
BATCH = 100
WINDOW = 4
PARENT_CHECK_SECONDS = 0.5


def ordered_map(function: Callable[[Item], Result], items: Iterable[Item],
                batch: int = BATCH, spare_cores: int = 1,
                local: Callable[[Item], bool] | None = None) -> Iterator[Result]:
    """``map(function, items)`` in order, computed in worker processes when worthwhile.

    ``function`` must be a module-level function so that it can be sent to a worker.
    ``spare_cores`` are left to this process, for work it does on the results. A batch made
    only of items that ``local`` says are not worth sending is mapped here, and no worker
    starts before a batch that is.
    """
    items = iter(items)
    first = list(islice(items, batch))
    cores = usable_cores()
    workers = min(4, cores - spare_cores)
    if len(first) < batch or workers < 1 or cores < 2:
        yield from map(function, first)
        yield from map(function, items)
        return
    pool = None
    pending: deque = deque()
    try:
        for chunk in chain([first], iter(lambda: list(islice(items, batch)), [])):
            if local is not None and all(map(local, chunk)):
                pending.append(_Here(function, chunk))
            else:
                pool = pool or _pool(workers)
                pending.append(pool.submit(_run_batch, function, chunk))
            if len(pending) >= WINDOW * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    # imported here: an import on one core, or of a short input, starts no worker
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup,
                               initargs=(os.getpid(),))


class _Here:
    """A batch mapped in this process when its turn comes (as a worker's future is waited)."""

    def __init__(self, function: Callable[[Item], Result], chunk: list[Item]) -> None:
        self.function, self.chunk = function, chunk

    def result(self) -> list[Result]:
        return _run_batch(self.function, self.chunk)


def usable_cores() -> int:
    """The cores this process may run on (``taskset -c 0 crm import`` gets one: no worker)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _run_batch(function: Callable[[Item], Result], chunk: list[Item]) -> list[Result]:
    return [function(item) for item in chunk]


def _worker_setup(parent: int) -> None:
    """Ctrl-C is the importing process's to handle; workers just stop with it. A worker
    forked from the importer holds both ends of its task pipe, so it would wait on it forever
    once the importer is killed: it ends when its parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
