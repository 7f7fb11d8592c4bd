"""The project's command line as users run it: `kedro run` and `kedro viz build` in real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import copy_project

KEDRO = str(Path(sys.executable).parent / "kedro")


def _kedro(project: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    return subprocess.run([KEDRO, *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


def test_kedro_run_reports_a_malformed_corpus_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "Jane", "annotations": [[0, 9, "NAME"]]}\n{"id": "1", "text": 3}\n')
    project = copy_project(tmp_path, raw_corpus=bad, corpus_format="jsonl")
    result = _kedro(project, "run", "--pipelines=data_processing")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    error = result.stderr[result.stderr.index("Error: "):]
    assert f"Corpus {bad} is not valid: 4 problem(s)" in error
    assert f"{bad}: line 1 (id '1'), span [0, 9, 'NAME']: offsets fall outside the text" in error
    assert "[duplicate-id]" in error and "[text-not-string]" in error and "[annotations-missing]" in error
    assert not (project / "data" / "03_primary" / "corpus.json").exists()


def test_kedro_run_reports_bad_parameters_by_name(tmp_path):
    project = copy_project(tmp_path)
    result = _kedro(project, "run", "--pipelines=data_processing", "--params=splits.holdout_fraction=1.5")
    assert result.returncode == 2
    assert "holdout_fraction" in result.stderr and "Traceback" not in result.stderr


def test_kedro_viz_build_shows_the_pipeline(tmp_path):
    project = copy_project(tmp_path)
    result = _kedro(project, "viz", "build")
    assert result.returncode == 0, result.stderr[-2000:]
    graph = json.loads((project / "build" / "api" / "main").read_text())
    node_names = {node["name"] for node in graph["nodes"] if node["type"] == "task"}
    assert {"map_labels", "resolve_overlaps", "build_label_schema", "group_near_duplicates", "split_holdout",
            "make_folds", "summarise_corpus"} <= {name.replace(" ", "_").lower() for name in node_names}
    assert {pipeline["id"] for pipeline in graph["pipelines"]} >= {"__default__", "data_processing"}


def test_python_dash_m_runs_the_main_job(tmp_path):
    project = copy_project(tmp_path)
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    tiny = ("training.base.backbone.name=tiny-bert,training.base.backbone.num_layers=null,"
            "training.base.tokenization.max_length=64,training.base.tokenization.stride=16,"
            "training.base.precision=fp32,hpo.n_trials=2,hpo.search_space.epochs.high=2")
    result = subprocess.run([sys.executable, "-m", "resume_ner", "--params", tiny], cwd=project, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (project / "data" / "05_model_input" / "folds.json").exists()
    assert (project / "data" / "08_reporting" / "hpo" / "trials.csv").exists()
    assert (project / "data" / "06_models" / "refit" / "model" / "model.safetensors").exists()
    holdout = json.loads((project / "data" / "08_reporting" / "final_training" / "holdout_metrics.json").read_text())
    assert holdout["documents"] == 45
