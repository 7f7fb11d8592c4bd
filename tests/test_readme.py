"""The README's `kedro run --pipelines=hpo --params ...` examples run as written: each is parsed out of README.md
and run as a real `kedro` command on a copy of the small main job's project (its data and built backbone; no
study, no MLflow runs). Only what keeps it quick is added: the tiny backbone and a one-fold budget where the
example does not set those keys itself, and always one trial (an example asking for 20 would take an hour)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from conftest import REPO_ROOT
from mlflow import MlflowClient

README = REPO_ROOT / "README.md"
KEDRO = str(Path(sys.executable).parent / "kedro")
EXAMPLE = re.compile(r"(?:\.venv/bin/)?kedro run --pipelines=hpo --params ([^\s`]+)")
QUICK = {
    "training.base.backbone.name": "tiny-bert",
    "training.base.backbone.num_layers": "null",
    "training.base.tokenization.max_length": "64",
    "training.base.tokenization.stride": "16",
    "training.base.precision": "fp32",
    "hpo.folds": "1",
    "hpo.search_space.epochs.high": "2",
}
ONE_TRIAL = {"hpo.n_trials": "1"}


def readme_examples() -> list[str]:
    return EXAMPLE.findall(README.read_text(encoding="utf-8"))


def parse(params: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in params.split(","))


def test_the_readme_has_hpo_examples_and_every_one_parses():
    examples = readme_examples()
    assert len(examples) >= 4
    for params in examples:
        assert all("=" in item for item in params.split(",")), params


@pytest.fixture(scope="module")
def prepared(small_main_job, tmp_path_factory) -> Path:
    """The small main job's project without its study, runs and MLflow store: the data and backbone only."""
    project = tmp_path_factory.mktemp("readme") / "project"
    shutil.copytree(small_main_job, project, ignore=shutil.ignore_patterns("runs", "optuna.db", "mlflow.db", "*.log"))
    return project


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _same(logged: str, given: str) -> bool:
    if given == "null":
        return logged == "None"
    a, b = _number(logged), _number(given)
    return math.isclose(a, b) if a is not None and b is not None else logged == given


@pytest.mark.slow
@pytest.mark.parametrize("example", readme_examples())
def test_a_readme_hpo_example_runs_as_written(example, prepared, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(prepared, project)
    given = parse(example)
    params = {**{key: value for key, value in QUICK.items() if key not in given}, **given, **ONE_TRIAL}
    command = [KEDRO, "run", "--pipelines=hpo", "--params", ",".join(f"{key}={value}" for key, value in params.items())]
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr

    # The run used the example's parameters: MLflow has each one as logged, and the study reflects them.
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    (run,) = client.search_runs(
        [client.get_experiment_by_name("resume_ner").experiment_id], "tags.mlflow.runName = 'hpo'"
    )
    for key, value in given.items():
        if key in ONE_TRIAL:
            continue
        assert key in run.data.params and _same(run.data.params[key], value), (key, run.data.params.get(key), value)
    storage = f"sqlite:///{project / 'data' / '07_model_output' / 'hpo' / 'optuna.db'}"
    (summary,) = optuna.get_all_study_summaries(storage)
    if "hpo.study_name" in given:
        assert summary.study_name == given["hpo.study_name"]
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    (trial,) = study.trials
    assert trial.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    if trial.state == optuna.trial.TrialState.COMPLETE:
        assert len(trial.user_attrs["fold_values"]) == int(params["hpo.folds"])
    for key, value in given.items():
        bound = re.fullmatch(r"hpo\.search_space\.(\w+)\.(low|high)", key)
        if bound:
            name, side = bound.groups()
            assert (trial.params[name] <= float(value)) if side == "high" else (trial.params[name] >= float(value))
    assert (project / "data" / "08_reporting" / "hpo" / "trials.csv").exists()
