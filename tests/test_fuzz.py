"""A bounded fuzz run over every importer (vCard, CSV, JSON, JSON Lines): see tests/fuzzing.py.
The long run is ``python benchmarks/fuzz_importers.py --cases N``."""

from __future__ import annotations

from fuzzing import CASE_SECONDS, fuzz

BUDGET_SECONDS = 20


def test_importers_survive_mutated_real_inputs(tmp_path):
    outcome = fuzz(tmp_path, BUDGET_SECONDS, None, seed=2026)
    assert outcome.cases > 200
    assert outcome.failures == []
    assert outcome.slowest < CASE_SECONDS
