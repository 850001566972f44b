"""Work counted instead of timed, for tests of linear time: the lines of Python run, the calls
made (Python and C) and the regular expressions called while a block runs. Unlike a stopwatch,
the counts do not depend on how busy the machine is."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Work:
    lines: int = 0
    calls: int = 0
    patterns: set[str] = field(default_factory=set)  # a pattern is one C call however long


@contextmanager
def counted(lines: bool = True) -> Iterator[Work]:
    """Count the work of the block; ``lines``: count lines of Python too (slower)."""
    work = Work()

    def traced(frame, event, arg):
        work.lines += event == "line"
        return traced

    def profiled(frame, event, arg):
        work.calls += event in ("call", "c_call")
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), re.Pattern):
            work.patterns.add(arg.__self__.pattern)

    previous_trace, previous_profile = sys.gettrace(), sys.getprofile()
    if lines:
        sys.settrace(traced)
    sys.setprofile(profiled)
    try:
        yield work
    finally:
        sys.setprofile(previous_profile)
        sys.settrace(previous_trace)
