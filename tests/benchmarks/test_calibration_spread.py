"""benchmarks/calibration_spread.py: how far k consecutive calibration samples stray from a whole run's rate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import DEFAULT_CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from calibration_spread import deviations, main


def test_deviations_compare_each_window_of_samples_with_the_whole_runs_rate():
    # Equal samples hold equal tokens: the run's rate is their harmonic mean, 3,600 here.
    runs = [[3000.0, 3000.0, 6000.0], [2000.0, 2000.0]]
    assert deviations(runs, 1) == pytest.approx([-1 / 6, -1 / 6, 2 / 3, 0.0, 0.0])
    assert deviations(runs, 2) == pytest.approx([-1 / 6, 4000 / 3600 - 1, 0.0])
    assert deviations(runs, 3) == pytest.approx([0.0])  # the whole run is its own rate


@pytest.mark.slow
def test_the_script_times_several_samples_per_run_and_writes_its_table(tmp_path, capsys):
    figures = tmp_path / "spread.json"
    assert main(["--corpus", str(DEFAULT_CORPUS), "--repeats", "2", "--seconds", "6", "--json", str(figures)]) == 0
    written = json.loads(figures.read_text())
    assert len(written["runs"]) == 2 and all(len(rates) >= 2 for rates in written["runs"])
    assert written["table"][0]["samples"] == 1
    assert written["table"][0]["lowest"] <= 0 <= written["table"][0]["highest"]
    assert "90% within" in capsys.readouterr().out
