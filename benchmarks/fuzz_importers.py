"""The long fuzz run over the importers (the suite runs the same for 20 seconds).

    python benchmarks/fuzz_importers.py --cases 50000 [--seed 7]

Prints the cases run, the slowest case and every failure (an exception that is not one of
crmcli's errors, a case over 2 s, an internal error from the command, a failed
integrity_check); exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import fuzz  # the tests' helper module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crm-fuzz-") as folder:
        outcome = fuzz(Path(folder), None, options.cases, seed=options.seed)
    print(f"cases {outcome.cases}  failures {len(outcome.failures)}  slowest "
          f"{outcome.slowest:.2f} s  total {time.perf_counter() - started:.0f} s")
    for failure in outcome.failures:
        print(failure)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
