"""The project's command line as users run it: `kedro run` in real subprocesses (kedro-viz: test_viz.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SMALL_MAIN_JOB_PARAMS, copy_project

from resume_ner.cli import _parameter_problems

KEDRO = str(Path(sys.executable).parent / "kedro")


def _kedro(project: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    return subprocess.run([KEDRO, *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


def _written(project: Path) -> list[Path]:
    """Every file a run left under data/ besides the default raw corpus copy_project put there."""
    return [path for path in (project / "data").rglob("*") if path.is_file() and path.parent.name != "01_raw"]


def _error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The lines from the CLI's ``Error:`` line to the end of stderr."""
    return result.stderr[result.stderr.index("Error: ") :].strip().splitlines()


@pytest.mark.slow
def test_kedro_run_reports_a_malformed_corpus_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "Jane", "annotations": [[0, 9, "NAME"]]}\n{"id": "1", "text": 3}\n')
    project = copy_project(tmp_path, raw_corpus=bad, corpus_format="jsonl")
    result = _kedro(project, "run", "--pipelines=data_processing")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    error = result.stderr[result.stderr.index("Error: ") :]
    assert f"Corpus {bad} is not valid: 4 problem(s)" in error
    assert f"{bad}: line 1 (id '1'), span [0, 9, 'NAME']: offsets fall outside the text" in error
    assert "[duplicate-id]" in error and "[text-not-string]" in error and "[annotations-missing]" in error
    assert not (project / "data" / "03_primary" / "corpus.json").exists()


@pytest.mark.slow
def test_kedro_run_shows_the_projects_message_first_not_kedros_dataset_wrapper(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "1", "text": "Jane", "annotations": [[0, 9, "NAME"]]}]), encoding="utf-8")
    project = copy_project(tmp_path, raw_corpus=bad)
    result = _kedro(project, "run", "--pipelines=data_processing")
    assert result.returncode == 2
    assert "Failed while loading data from dataset" not in result.stderr + result.stdout
    assert _error_lines(result) == [
        (
            f"Error: Corpus {bad} is not valid: 1 problem(s), all listed. Fix these records in the file (or drop or "
            "rename labels with the corpus.label_mapping parameters)."
        ),
        (
            f"  - {bad}: record 0 (id '1'), span [0, 9, 'NAME']: offsets fall outside the text (length 4) "
            "[span-out-of-range]"
        ),
    ]


@pytest.mark.slow
def test_kedro_run_reports_bad_parameters_one_line_each_by_name(tmp_path):
    project = copy_project(tmp_path)
    result = _kedro(
        project, "run", "--pipelines=data_processing", "--params=splits.holdout_fraction=1.5,splits.n_fold=3"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error = result.stderr[result.stderr.index("Error: ") :].splitlines()
    assert error == [
        "Error: Invalid parameters (conf/base/parameters*.yml, conf/local or --params):",
        "  - splits.holdout_fraction: input should be less than 1 (got 1.5)",
        "  - splits.n_fold: extra inputs are not permitted (got 3)",
    ]


@pytest.mark.slow
def test_kedro_run_names_the_pipelines_there_are_for_a_misspelt_one(tmp_path):
    project = copy_project(tmp_path)
    result = _kedro(project, "run", "--pipelines=data_processing,hp")
    assert result.returncode == 2 and "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: No pipeline named 'hp'; the pipelines are: "
        "__default__, data_processing, final_training, hpo, inference, refit"
    )


def test_parameter_problems_are_read_from_kedros_message_whatever_pydantic_reports():
    message = """Parameter validation failed:
- Parameter 'training': Failed to instantiate TrainingParameters for parameter 'training': 2 validation errors for T
launch.mode
  Input should be 'process' or 'preloaded' [type=literal_error, input_value='fork', input_type=str]
    For further information visit https://errors.pydantic.dev/2.14/v/literal_error
launch.gpus
  Input should be greater than or equal to 0 [type=greater_than_equal, input_value=-1, input_type=int]
    For further information visit https://errors.pydantic.dev/2.14/v/greater_than_equal
- Parameter 'hpo': Failed to instantiate HpoParameters for parameter 'hpo': 1 validation error for HpoParameters
  Value error, set budget_minutes, n_trials or timeout_seconds [type=value_error, input_value={}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.14/v/value_error
- Parameter 'splits': value is None but type is not Optional"""
    assert _parameter_problems(message) == [
        "training.launch.mode: input should be 'process' or 'preloaded' (got 'fork')",
        "training.launch.gpus: input should be greater than or equal to 0 (got -1)",
        "hpo: value error, set budget_minutes, n_trials or timeout_seconds",
        "splits: value is None but type is not Optional",
    ]


@pytest.mark.slow
def test_python_dash_m_runs_the_main_job(small_main_job):
    project = small_main_job  # `python -m resume_ner --params <tiny>`: data_processing, hpo, refit, final_training
    assert (project / "data" / "05_model_input" / "folds.json").exists()
    assert (project / "data" / "08_reporting" / "hpo" / "trials.csv").exists()
    assert (project / "data" / "06_models" / "refit" / "model" / "model.safetensors").exists()
    holdout = json.loads((project / "data" / "08_reporting" / "refit" / "holdout_metrics.json").read_text())
    assert holdout["documents"] == 45
    assert (project / "data" / "08_reporting" / "final_training" / "model_card.md").exists()


@pytest.mark.slow
def test_the_main_jobs_study_is_planned_before_its_first_trial_and_compared_with_what_it_took(small_main_job):
    project = small_main_job  # conf/base's budget_minutes, capped by SMALL_MAIN_JOB_PARAMS' n_trials
    plan = json.loads((project / "data" / "08_reporting" / "hpo" / "study_plan.json").read_text())
    assert plan["budget_minutes"] > 0 and plan["n_trials"] == int(SMALL_MAIN_JOB_PARAMS["hpo.n_trials"])
    assert plan["calibration"]["train_tokens_per_second"] > 0 and plan["planned_trials"] >= 1
    summary = json.loads((project / "data" / "08_reporting" / "hpo" / "study_summary.json").read_text())
    last = summary["last_plan"]
    assert last["estimated_minutes"] == plan["estimated_minutes"] and last["actual_minutes"] > 0
    assert last["actual_trials"] == summary["n_trials"]
    log = (project / "main-job.log").read_text()
    assert log.index("Study plan: tiny-bert on cpu") < log.index("Trial 0 fold 1/2")
    assert re.search(r"Study took \d+\.\d min against \d+\.\d planned \(\d+%\)", log)


@pytest.mark.slow
def test_the_main_jobs_log_has_one_line_per_fold_and_trial_and_no_library_noise(small_main_job):
    log = (small_main_job / "main-job.log").read_text()
    trials = int(SMALL_MAIN_JOB_PARAMS["hpo.n_trials"])
    for trial in range(trials):
        assert (
            len(
                re.findall(
                    rf"Trial {trial} fold \d/2: micro_f1 \d\.\d{{4}} \(best epoch \d of \d\), running "
                    rf"mean \d\.\d{{4}}, \d+ s",
                    log,
                )
            )
            == 2
        )
        assert (
            len(
                re.findall(
                    rf"Trial {trial} complete: micro_f1 \d\.\d{{4}} \(std \d\.\d{{4}} over 2 folds, "
                    rf"\d+ s\) learning_rate=.*; {trial + 1}/{trials} trials done, best: trial \d = ",
                    log,
                )
            )
            == 1
        )
    assert re.search(r"refit training \S+: epoch 1/\d, train loss \d\.\d{4}", log)
    assert re.search(
        r"Hold-out: micro F1 \d\.\d{4} \(P \d\.\d{4}, R \d\.\d{4}\), macro F1 \d\.\d{4}; "
        r"character spans strict F1 \d\.\d{4}, relaxed \d\.\d{4}; on 45 documents",
        log,
    )
    # Optuna's own lines, catalog chatter, mlflow's notices, the weights-loading bar: none of it.
    for noise in (
        "finished with value",
        "Loading data from",
        "Add type hints",
        "Creating initial MLflow database",
        "Loading weights",
        "Traceback",
        "Warning",
    ):
        assert noise not in log, noise


@pytest.mark.slow
def test_kedro_run_refuses_a_corpus_without_documents_or_entities_in_one_line_writing_nothing(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    no_spans = tmp_path / "no_spans.json"
    no_spans.write_text(json.dumps([{"id": "1", "text": "Jane Doe, engineer", "annotations": []}]), encoding="utf-8")
    for corpus, expected in [
        (empty, f"Error: Corpus {empty} has no documents: the list is empty"),
        (no_spans, f"Error: Corpus {no_spans} has 1 document(s) but no entity spans"),
    ]:
        project = copy_project(tmp_path / corpus.stem, raw_corpus=corpus)
        result = _kedro(project, "run", "--pipelines=data_processing")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        lines = _error_lines(result)
        assert len(lines) == 1 and lines[0].startswith(expected), lines
        assert "label mapping" not in result.stderr
        assert not _written(project)


@pytest.mark.slow
def test_kedro_run_refuses_text_that_cannot_be_saved_as_utf8_before_writing_anything(tmp_path):
    bad = tmp_path / "surrogate.json"
    bad.write_text('[{"id": "1", "text": "Jane \\ud800 Doe", "annotations": [[0, 4, "NAME"]]}]', encoding="utf-8")
    project = copy_project(tmp_path, raw_corpus=bad)
    result = _kedro(project, "run", "--pipelines=data_processing")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "codec can't encode" not in result.stderr
    assert _error_lines(result)[1] == (
        f"  - {bad}: record 0 (id '1'): field 'text' has a lone surrogate \\ud800 at offset 5, which cannot be "
        "written as UTF-8 (half of an escaped pair such as an emoji's); remove it or restore the pair "
        "[unencodable-text]"
    )
    assert not _written(project)


@pytest.mark.slow
def test_kedro_run_names_the_conf_environment_of_a_missing_corpus_file(tmp_path):
    missing = tmp_path / "resumes" / "train.json"
    project = copy_project(tmp_path, raw_corpus=missing)  # the entry is in conf/local/catalog.yml
    result = _kedro(project, "run", "--pipelines=data_processing")
    assert result.returncode == 2
    assert _error_lines(result) == [
        f"Error: Corpus file {missing} does not exist: fix the filepath of raw_corpus in conf/local/catalog.yml"
    ]
