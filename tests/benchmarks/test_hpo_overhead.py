"""benchmarks/hpo_overhead.py runs against the shipped parameters (it broke silently when presets emptied
hpo.search_space) and reports what it measured."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import hpo_overhead


def test_the_overhead_studies_search_the_shipped_tiny_preset():
    space = hpo_overhead.shipped_search_space()

    assert space["learning_rate"]["type"] == "float"
    assert {"learning_rate", "batch_size", "epochs"} <= set(space)


@pytest.mark.slow
def test_a_quick_run_measures_both_launch_modes(tmp_path):
    figures = tmp_path / "hpo.json"

    code = hpo_overhead.main(["--quick", "--skip-pruning", "--trials", "1", "--folds", "1", "--json", str(figures)])

    assert code == 0
    overhead = json.loads(figures.read_text(encoding="utf-8"))["overhead"]
    for mode in ("process", "preloaded"):
        study = overhead[mode]
        assert study["fold_runs_completed"] == 1
        assert study["train_seconds"] > 0
        assert 0 < study["overhead_fraction"] < 1
        # Each study follows what kedro run does before it: data processing, preparing, a calibrated plan.
        assert study["before_study_seconds"] > study["calibration_seconds"] > 0
        assert study["run_overhead_fraction"] >= study["overhead_fraction"]
    assert overhead["process"]["waited_for_server_seconds"] == 0  # no server to wait for
