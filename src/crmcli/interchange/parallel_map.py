"""Parse in another process while this one writes to the database.

Parsing vCards and writing contacts each take about half of an import; on a machine with two
or more cores they can overlap. Work goes out in batches, at most a few ahead of what has been
consumed, so memory stays flat however long the input is; short inputs never start a worker.

A worker is a new Python process that loads only what its batches need (the parsing modules),
not a fork of this one: a fork held the importer's memory (the command line, the book's
modules) as well, and the pages it shared with its parent counted twice in the summed RSS
of the two (a peak of 68.7 MB at 100,000 cards; 56.7 MB so).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING, BinaryIO, TypeVar

if TYPE_CHECKING:
    import subprocess
    from queue import SimpleQueue

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items a batch, and batches in flight per worker: 300 parsed cards or more ahead of the one
# being consumed, more than the importer takes at a time (BATCH_RECORDS), so that the worker
# parses while the importer writes. Every card in flight is held in memory (about 3 KB each
# in the importer, with its pickled copies): 200 a batch kept ~2.5 MB more in flight.
BATCH = 100
WINDOW = 4
_PIPE_BYTES = 1 << 16
# What a worker runs: it takes its parent's module search path (the first message), so that
# it finds the functions it is sent where its parent found them, and answers on the file
# descriptor given as its argument (its stdout is /dev/null: nothing printed there can mix
# with the answers). It runs with -P: ``python -c`` would put the current directory first on
# the path, and a pickle.py there would run before the parent's path is set.
_SERVE = ("import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
          "from crmcli.interchange.parallel_map import serve; serve(int(sys.argv[1]))")


class WorkerStopped(RuntimeError):
    """A worker process ended before it answered."""


def ordered_map(function: Callable[[Item], Result], items: Iterable[Item],
                batch: int = BATCH, spare_cores: int = 1,
                local: Callable[[Item], bool] | None = None) -> Iterator[Result]:
    """``map(function, items)`` in order, computed in worker processes when worthwhile.

    ``function`` and the items are sent to a worker pickled: ``function`` must be a
    module-level function. ``spare_cores`` are left to this process, for work it does on the
    results. A batch made only of items that ``local`` says are not worth sending is mapped
    here, and no worker starts before a batch that is.
    """
    items = iter(items)
    first = list(islice(items, batch))
    cores = usable_cores()
    count = min(4, cores - spare_cores)
    if (len(first) < batch or count < 1 or cores < 2 or os.name != "posix"
            or not sys.executable):  # an embedding Python may not know its interpreter
        yield from map(function, first)
        yield from map(function, items)
        return
    workers: list[_Worker] = []
    pending: deque = deque()
    try:
        for number, chunk in enumerate(chain([first], iter(lambda: list(islice(items, batch)),
                                                             []))):
            if local is not None and all(map(local, chunk)):
                pending.append(_Here(function, chunk))
            else:
                if len(workers) < count:
                    workers.append(_Worker())
                pending.append(workers[number % len(workers)].submit(function, chunk))
            if len(pending) >= WINDOW * count:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for worker in workers:
            worker.stop()


class _Here:
    """A batch mapped in this process when its turn comes (as a worker's answer is waited)."""

    def __init__(self, function: Callable[[Item], Result], chunk: list[Item]) -> None:
        self.function, self.chunk = function, chunk

    def result(self) -> list[Result]:
        return [self.function(item) for item in self.chunk]


class _Worker:
    """A worker process, answering the batches it is sent in the order they were sent.

    It has a process group of its own, so that Ctrl-C at the terminal reaches only the
    importer, which stops it; it also ends when its input does, as when the importer is
    killed. What goes wrong in it comes back as an exception (``receive``): its stderr is
    /dev/null, as a traceback is never shown."""

    def __init__(self) -> None:
        import subprocess

        answers, answers_end = os.pipe()
        try:
            self.process: subprocess.Popen = subprocess.Popen(
                [sys.executable, "-P", "-c", _SERVE, str(answers_end)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=[answers_end], process_group=0)
        finally:
            os.close(answers_end)
        self.answers = open(answers, "rb", buffering=_PIPE_BYTES)  # noqa: SIM115 - see stop()
        self._send(sys.path)

    def submit(self, function: Callable[[Item], Result], chunk: list[Item]) -> _Answer:
        self._send((function, chunk))
        return _Answer(self)

    def _send(self, message: object) -> None:
        stream = self.process.stdin
        assert stream is not None
        try:
            pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()
        except BrokenPipeError:
            raise self._stopped() from None

    def receive(self) -> list:
        """The answer to the oldest batch not yet answered (its exception raised here)."""
        try:
            done, value = pickle.load(self.answers)
        except (EOFError, pickle.UnpicklingError):  # none, or cut short: it is gone
            raise self._stopped() from None
        if not done:
            raise value
        return value

    def _stopped(self) -> WorkerStopped:
        return WorkerStopped(f"the parsing worker stopped (exit {self.process.wait()})")

    def stop(self) -> None:
        """End the worker, whatever it is doing, and wait for it."""
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.answers):
            with contextlib.suppress(BrokenPipeError):  # a batch the worker never read
                stream.close()


class _Answer:
    """A batch sent to a worker; its results when its turn comes."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker

    def result(self) -> list:
        return self.worker.receive()


def usable_cores() -> int:
    """The cores this process may run on (``taskset -c 0 crm import`` gets one: no worker)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def serve(answers: int) -> None:
    """A worker's life: map each batch read from stdin, and write its results (or the
    exception that stopped it) to the file descriptor ``answers``, until stdin ends. Batches
    are read by a thread of their own, so that the importer never waits to send one while the
    worker waits to write an answer. A worker whose importer is gone ends quietly."""
    import queue
    import threading

    inbox: SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(sys.stdin.buffer, inbox), daemon=True).start()
    with open(answers, "wb") as out, contextlib.suppress(BrokenPipeError):
        while (request := inbox.get()) is not None:
            out.write(_failure(request) if isinstance(request, Exception) else _answer(*request))
            out.flush()


def _answer(function: Callable[[Item], Result], chunk: list[Item]) -> bytes:
    try:
        return pickle.dumps((True, [function(item) for item in chunk]),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # raised again in the importer
        return _failure(exc)


def _receive(stream: BinaryIO, inbox: SimpleQueue) -> None:
    """Put each request read into ``inbox``, then None when stdin ends; a request that
    cannot be read (a function not found) goes in as its exception, and ends the reading."""
    try:
        while True:
            inbox.put(pickle.load(stream))
    except EOFError:
        pass
    except Exception as exc:  # answered, then the worker stops
        inbox.put(exc)
    finally:
        inbox.put(None)


def _failure(exc: Exception) -> bytes:
    try:
        return pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # one that cannot be pickled
        return pickle.dumps((False, WorkerStopped(f"{type(exc).__name__}: {exc}")))
