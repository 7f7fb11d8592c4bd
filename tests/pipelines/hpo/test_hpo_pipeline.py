"""The hpo pipeline as real `kedro run` sessions on a temp project copy with a real sqlite MLflow store and
Optuna storage. Fast tests train with a fake training program (fake_trainer.py, started through a fake
`python`); one slow test trains the real program on the tiny backbone."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy
import yaml
from conftest import copy_project, run_kedro
from mlflow import MlflowClient
from optuna.trial import TrialState
from tiny_settings import tiny_training_base

from resume_ner.errors import find_user_error
from resume_ner.tuning.best_params import parse_best_params
from resume_ner.tuning.optimize import TooManyFailedTrials

# Every test runs real `kedro run` sessions (in process or as workers); tests/pipelines/test_in_memory_runs.py
# covers the pipeline in the fast tier.
pytestmark = pytest.mark.slow

FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")
KEDRO = str(Path(sys.executable).parent / "kedro")
STUDY = "test-study"
SPACE = {
    "learning_rate": {"type": "float", "low": 1.0e-5, "high": 0.1, "log": True},
    "batch_size": {"type": "categorical", "choices": [16, 64]},
    "max_grad_norm": {"type": "categorical", "choices": [1.0, 13.0]},
    "epochs": {"type": "int", "low": 2, "high": 3},  # merged into conf/base's epochs range (same type)
}
GOOD = {"learning_rate": 1e-3, "batch_size": 16, "max_grad_norm": 1.0, "epochs": 3}
# SPACE without the values that make the fake trainer crash or run out of memory.
HEALTHY_SPACE = {
    **SPACE,
    "batch_size": {"type": "categorical", "choices": [16]},
    "max_grad_norm": {"type": "categorical", "choices": [1.0]},
}


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """A project copy after data_processing, to copy per test."""
    project = copy_project(tmp_path_factory.mktemp("hpo_base"))
    kedro_session(project, "data_processing")
    return project


def kedro_session(project: Path, pipeline: str) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        return run_kedro(project, pipeline)


def fake_project(processed: Path, tmp_path: Path, epoch_seconds: float = 0.05, **hpo) -> Path:
    """A copy of ``processed`` whose training children are the fake trainer, with ``hpo`` parameters."""
    project = tmp_path / "project"
    shutil.copytree(processed, project, ignore=shutil.ignore_patterns("mlflow.db", "mlruns"))
    python = tmp_path / "fake-python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_TRAINER} "$@"\n')
    python.chmod(0o755)
    parameters = {
        "training": {
            "launch": {"mode": "process", "python": str(python), "stop_grace_seconds": 5},
            "environment": {"pass_through": ["FAKE_EPOCH_SECONDS"]},
        },
        "hpo": {
            "study_name": STUDY,
            "search_space": SPACE,
            # conf/base's MiniLM-2L space with SPACE over it (the processed project trains MiniLM-2L)
            "search_space_preset": "minilm-2l",
            "budget_minutes": None,  # a count of fake trials, no calibration of a real backbone
            "n_trials": 4,
            "folds": 2,
            "sampler": {"name": "random", "seed": 0},
            "pruner": {"name": "median", "n_startup_trials": 2, "n_warmup_steps": 0},
            **hpo,
        },
    }
    (project / "conf" / "local" / "parameters.yml").write_text(yaml.safe_dump(parameters))
    os.environ["FAKE_EPOCH_SECONDS"] = str(epoch_seconds)
    return project


def storage_url(project: Path) -> str:
    return f"sqlite:///{project / 'data' / '07_model_output' / 'hpo' / 'optuna.db'}"


def enqueue(project: Path, *trials: dict) -> None:
    (project / "data" / "07_model_output" / "hpo").mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=STUDY, storage=storage_url(project), direction="maximize", load_if_exists=True
    )
    for params in trials:
        study.enqueue_trial(params)


def load_study(project: Path) -> optuna.Study:
    return optuna.load_study(study_name=STUDY, storage=storage_url(project))


def mlflow_runs(project: Path) -> list:
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume_ner")
    return client.search_runs([experiment.experiment_id], max_results=1000)


@pytest.fixture(scope="module")
def study_run(processed, tmp_path_factory):
    """One study of five enqueued trials: good, good, clearly bad (pruned at the end of its first fold), crashing
    (failed, so not one of the four finished trials the budget asks for), and one that runs out of memory and is
    retried with half the batch."""
    tmp_path = tmp_path_factory.mktemp("hpo_study")
    project = fake_project(processed, tmp_path, epoch_seconds=0.4, n_trials=4)
    enqueue(
        project,
        GOOD,
        {**GOOD, "learning_rate": 2e-3},
        {**GOOD, "learning_rate": 0.1},
        {**GOOD, "max_grad_norm": 13.0},
        {**GOOD, "batch_size": 64},
    )
    # Kedro's logging configuration replaces the root's handlers; these two loggers keep theirs.
    records = RecordList()
    watched = [logging.getLogger("resume_ner.tuning"), logging.getLogger("optuna")]
    objective_logger = logging.getLogger("resume_ner.tuning.objective")
    objective_logger.setLevel(logging.DEBUG)  # to see that each epoch's line is there, at DEBUG
    for logger in watched:
        logger.addHandler(records)
    try:
        kedro_session(project, "hpo")
    finally:
        objective_logger.setLevel(logging.NOTSET)
        for logger in watched:
            logger.removeHandler(records)
    (project / "study-log.json").write_text(
        json.dumps(
            [{"logger": record.name, "level": record.levelname, "message": record.getMessage()} for record in records]
        )
    )
    return project


class RecordList(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __iter__(self):
        return iter(self.records)


def study_log(project: Path) -> list[dict]:
    return json.loads((project / "study-log.json").read_text())


def test_every_trial_ends_in_the_state_its_children_earned(study_run):
    states = [trial.state for trial in load_study(study_run).trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE]


def test_a_clearly_bad_trial_is_pruned_at_the_end_of_its_first_fold(study_run):
    """The pruner is asked at fold ends; its verdict on the fold's last epoch, after that child had finished,
    still stops the trial before its next fold."""
    pruned = load_study(study_run).trials[2]
    assert pruned.user_attrs["state_detail"].startswith("pruned at fold 0 epoch 3 (running mean ")
    trial_dir = study_run / "data/06_models/runs/trial" / STUDY / "trial-2"
    events = [json.loads(line)["event"] for line in (trial_dir / "fold-0" / "progress.jsonl").read_text().splitlines()]
    assert events.count("epoch") == 3 and events[-1] == "finished"  # its child was left to finish
    assert not (trial_dir / "fold-1").exists()


def test_pruning_after_every_epoch_stops_the_child_mid_fold(processed, tmp_path):
    project = fake_project(
        processed,
        tmp_path,
        epoch_seconds=0.3,
        n_trials=3,
        pruner={"name": "median", "interval": "epoch", "n_startup_trials": 2},
    )
    enqueue(project, GOOD, {**GOOD, "learning_rate": 2e-3}, {**GOOD, "learning_rate": 0.1})
    kedro_session(project, "hpo")
    pruned = load_study(project).trials[2]
    assert pruned.state == TrialState.PRUNED
    assert pruned.user_attrs["state_detail"].startswith("pruned at fold 0 epoch 1 ")
    fold_dir = project / "data/06_models/runs/trial" / STUDY / "trial-2" / "fold-0"
    events = [json.loads(line)["event"] for line in (fold_dir / "progress.jsonl").read_text().splitlines()]
    assert events[-1] == "stopped" and events.count("epoch") < 3  # stopped mid-run, not after it finished


def test_a_trial_that_learned_nothing_is_stopped_mid_fold_even_when_pruning_waits_for_fold_ends(processed, tmp_path):
    """Epochs are searched, so the median pruner waits for fold ends; a trial still at 0 after two epochs, where
    the finished trials had scored, is stopped there all the same (the fake trainer scores 0 at lr 1e-6)."""
    project = fake_project(processed, tmp_path, epoch_seconds=0.3, n_trials=3)
    enqueue(project, GOOD, {**GOOD, "learning_rate": 2e-3}, {**GOOD, "learning_rate": 1e-6})
    kedro_session(project, "hpo")
    stalled = load_study(project).trials[2]
    assert stalled.state == TrialState.PRUNED
    assert stalled.user_attrs["state_detail"] == "pruned at fold 0 epoch 2 (running mean 0.0000)"
    fold_dir = project / "data/06_models/runs/trial" / STUDY / "trial-2" / "fold-0"
    events = [json.loads(line)["event"] for line in (fold_dir / "progress.jsonl").read_text().splitlines()]
    assert events[-1] == "stopped" and events.count("epoch") == 2


def test_the_trial_value_is_the_mean_over_folds_with_std_and_best_epochs(study_run):
    best = load_study(study_run).trials[0]
    assert best.user_attrs["fold_values"] == [1.0, 1.0] and best.value == 1.0
    assert best.user_attrs["value_std"] == 0.0 and best.user_attrs["best_epochs"] == [3, 3]
    # Pruning steps: fold k, epoch e -> k * 3 + e, each the running mean over folds.
    assert sorted(best.intermediate_values) == [1, 2, 3, 4, 5, 6]


def test_a_crashing_fold_fails_its_trial_and_the_study_goes_on(study_run):
    failed = load_study(study_run).trials[3]
    assert "exit status 1" in failed.user_attrs["state_detail"]
    run = next(run for run in mlflow_runs(study_run) if run.info.run_id == failed.user_attrs["mlflow_run_id"])
    assert run.info.status == "FAILED"
    assert "crashed on purpose" in run.data.tags["resume_ner.stderr_tail"]


def test_out_of_memory_is_retried_once_with_half_the_batch_and_double_accumulation(study_run):
    retried = load_study(study_run).trials[4]
    assert retried.state == TrialState.COMPLETE and retried.user_attrs["oom_retry"] is True
    assert retried.user_attrs["effective_params"]["batch_size"] == 32
    assert retried.user_attrs["effective_params"]["gradient_accumulation"] == 2
    trial_dir = study_run / "data/06_models/runs/trial" / STUDY / "trial-4"
    for fold in ("fold-0-oom-retry", "fold-1"):  # the later fold trains with the retried batch from the start
        config = json.loads((trial_dir / fold / "config.json").read_text())
        assert config["optimization"]["batch_size"] == 32 and config["optimization"]["gradient_accumulation"] == 2


def test_mlflow_holds_the_study_run_its_trials_and_their_folds(study_run):
    runs = mlflow_runs(study_run)
    study_parent = next(run for run in runs if run.info.run_name == "hpo")
    trials = {
        run.data.tags["resume_ner.trial_number"]: run
        for run in runs
        if run.data.tags.get("mlflow.parentRunId") == study_parent.info.run_id
    }
    assert sorted(trials) == ["0", "1", "2", "3", "4"]
    assert {number: run.info.status for number, run in trials.items()} == {
        "0": "FINISHED",
        "1": "FINISHED",
        "2": "KILLED",
        "3": "FAILED",
        "4": "FINISHED",
    }
    assert trials["0"].data.params["learning_rate"] == "0.001"
    assert trials["0"].data.metrics["mean_micro_f1"] == 1.0 and "fold_1_micro_f1" in trials["0"].data.metrics
    folds = [run for run in runs if run.data.tags.get("mlflow.parentRunId") == trials["0"].info.run_id]
    assert sorted(run.info.run_name for run in folds) == ["trial-0-fold-0", "trial-0-fold-1"]
    assert study_parent.data.tags["resume_ner.study_name"] == STUDY


def test_only_the_best_trials_checkpoints_are_kept(study_run):
    kept = sorted(
        path.relative_to(study_run / "data/06_models/runs/trial" / STUDY).parts[0]
        for path in (study_run / "data/06_models/runs/trial" / STUDY).glob("trial-*/fold-*/checkpoint")
    )
    assert kept == ["trial-0", "trial-0"]
    assert (study_run / "data/06_models/runs/trial" / STUDY / "trial-1" / "fold-0" / "metrics.json").exists()


def test_outputs_best_params_table_summary_and_plots(study_run):
    best = parse_best_params(yaml.safe_load((study_run / "data/07_model_output/best_params.yml").read_text()), "x")
    assert best.params["learning_rate"] == 1e-3 and best.trial_number == 0 and best.best_epochs == [3, 3]
    assert best.study_name == STUDY and best.study_run_id and best.trial_run_id
    table = (study_run / "data/08_reporting/hpo/trials.csv").read_text().splitlines()
    assert len(table) == 6 and table[0].startswith("number,state,value,std")
    summary = json.loads((study_run / "data/08_reporting/hpo/study_summary.json").read_text())
    assert summary["state_counts"]["COMPLETE"] == 3 and summary["state_counts"]["PRUNED"] == 1
    for plot in ("optimization_history", "param_importances", "parallel_coordinate", "intermediate_values"):
        assert json.loads((study_run / f"data/08_reporting/hpo/{plot}.json").read_text())["data"] is not None


def test_each_fold_and_each_trial_is_one_info_line_with_its_figures(study_run):
    log = study_log(study_run)
    ours = [record for record in log if record["logger"].startswith("resume_ner.") and record["level"] != "DEBUG"]
    folds = [record["message"] for record in ours if re.match(r"Trial \d+ fold \d/2: ", record["message"])]
    assert folds[:2] == [
        "Trial 0 fold 1/2: micro_f1 1.0000 (best epoch 3 of 3), running mean 1.0000, " + folds[0].rsplit(", ", 1)[1],
        "Trial 0 fold 2/2: micro_f1 1.0000 (best epoch 3 of 3), running mean 1.0000, " + folds[1].rsplit(", ", 1)[1],
    ]
    assert len(folds) == 2 + 2 + 1 + 0 + 2  # the pruned trial finishes one fold, the failed one none
    trials = {
        int(match.group(1)): record
        for record in ours
        if (match := re.match(r"Trial (\d+) (complete|pruned|failed)", record["message"]))
    }
    assert (
        sorted(trials) == [0, 1, 2, 3, 4]
        and len([record for record in ours if re.match(r"Trial \d+ (complete|pruned|failed)", record["message"])]) == 5
    )  # exactly one line per trial
    assert re.fullmatch(
        r"Trial 0 complete: micro_f1 1\.0000 \(std 0\.0000 over 2 folds, \d+ s\) "
        r"learning_rate=0\.001, batch_size=16, .*, epochs=3, max_grad_norm=1; 1/4 trials done, "
        r"best: trial 0 = 1\.0000",
        trials[0]["message"],
    ), trials[0]["message"]
    assert trials[2]["message"].startswith("Trial 2 pruned at fold 0 epoch 3 (running mean ")
    assert trials[3]["level"] == "WARNING" and "exit status 1" in trials[3]["message"]
    assert "batch_size=32, " in trials[4]["message"] and "gradient_accumulation=2" in trials[4]["message"]
    assert trials[4]["message"].endswith("4/4 trials done, best: trial 0 = 1.0000")
    # Epochs are DEBUG; Optuna's own lines (its INFO and its double report of the failed run) are gone.
    epochs = [record for record in log if re.search(r"fold \d/2 epoch \d: ", record["message"])]
    assert epochs and {record["level"] for record in epochs} == {"DEBUG"}
    assert not [record for record in log if record["logger"].startswith("optuna")]


def test_too_many_failed_trials_stop_the_study_with_a_clear_error(processed, tmp_path):
    project = fake_project(processed, tmp_path, n_trials=5, max_failed_trials=2)
    enqueue(project, *[{**GOOD, "max_grad_norm": 13.0}] * 3)
    with pytest.raises(Exception) as caught:
        kedro_session(project, "hpo")
    error: BaseException = caught.value
    while not isinstance(error, TooManyFailedTrials) and error.__cause__:
        error = error.__cause__
    assert isinstance(error, TooManyFailedTrials)
    assert "stopped after 2 failed trials of this run (hpo.max_failed_trials: 2)" in str(error)
    assert [trial.state for trial in load_study(project).trials] == [
        TrialState.FAIL,
        TrialState.FAIL,
        TrialState.WAITING,
    ]


def test_an_unavailable_backbone_stops_the_study_before_any_trial(processed, tmp_path, monkeypatch):
    project = fake_project(processed, tmp_path, n_trials=3)
    parameters = yaml.safe_load((project / "conf" / "local" / "parameters.yml").read_text())
    parameters["training"]["base"] = {"backbone": {"name": "some-org/not-cached-model", "num_layers": None}}
    (project / "conf" / "local" / "parameters.yml").write_text(yaml.safe_dump(parameters))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    with pytest.raises(Exception) as caught:
        kedro_session(project, "hpo")
    error = find_user_error(caught.value)
    assert error is not None and "Backbone 'some-org/not-cached-model' is not available" in str(error)
    assert not (project / "data" / "06_models" / "runs").exists()  # no study folder, no trial started
    assert not (project / "data" / "07_model_output" / "hpo" / "optuna.db").exists()


def kedro_env(project: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}", **extra}


def start_worker(project: Path, *args: str, **env: str) -> subprocess.Popen:
    """``kedro run --pipelines=hpo`` in its own process, as a user or a scheduler starts it."""
    return subprocess.Popen(
        [KEDRO, "run", "--pipelines=hpo", *args],
        cwd=project,
        env=kedro_env(project, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_mid_trial(
    project: Path, worker: subprocess.Popen, after: int = -1, timeout: float = 180
) -> optuna.trial.FrozenTrial:
    """The first trial numbered above ``after`` that ``worker`` trains and that has reported an epoch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker ended early: {worker.stderr.read()[-2000:]}"
        time.sleep(0.3)
        try:
            trials = load_study(project).trials
        except (KeyError, sqlalchemy.exc.SQLAlchemyError):  # not created yet, or its tables being created
            continue
        running = [
            trial
            for trial in trials
            if trial.state == TrialState.RUNNING
            and trial.number > after
            and trial.intermediate_values
            and trial.user_attrs.get("worker", {}).get("pid") == worker.pid
        ]
        if running:
            return running[0]
    raise AssertionError("no trial got to an epoch in time")


def child_pid(project: Path, trial: int) -> int:
    progress = sorted((project / "data/06_models/runs/trial" / STUDY / f"trial-{trial}").glob("fold-*/progress.jsonl"))
    return next(
        json.loads(line)["pid"]
        for line in progress[-1].read_text().splitlines()
        if json.loads(line)["event"] == "started"
    )


def wait_gone(pid: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), f"training child {pid} is still running"


def kill_mid_trial(project: Path) -> int:
    """Start a worker, SIGKILL it while a trial trains, check its child died with it; the trial's number."""
    worker = start_worker(project, FAKE_EPOCH_SECONDS="1.0")
    trial = wait_mid_trial(project, worker)
    pid = child_pid(project, trial.number)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    wait_gone(pid)
    return trial.number


def test_a_study_killed_mid_trial_resumes_without_redoing_or_losing_work(processed, tmp_path):
    project = fake_project(processed, tmp_path, epoch_seconds=1.0, n_trials=3, pruner={"name": "none"})
    enqueue(project, GOOD, {**GOOD, "learning_rate": 2e-3}, {**GOOD, "learning_rate": 3e-3})
    worker = start_worker(project, FAKE_EPOCH_SECONDS="1.0")
    trial = wait_mid_trial(project, worker, after=0)
    assert [state for state in (t.state for t in load_study(project).trials)][:2] == [
        TrialState.COMPLETE,
        TrialState.RUNNING,
    ]
    pid = child_pid(project, trial.number)
    first_trial_events = (
        project / "data/06_models/runs/trial" / STUDY / "trial-0" / "fold-0" / "progress.jsonl"
    ).read_text()
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    wait_gone(pid)

    os.environ["FAKE_EPOCH_SECONDS"] = "0.05"
    kedro_session(project, "hpo")
    trials = load_study(project).trials
    # Trial 1 failed as interrupted; its parameters trained again (trial 3) after the trial queued before it.
    assert [trial.state for trial in trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    assert trials[1].user_attrs["state_detail"].startswith("interrupted: its run (pid ")
    assert trials[3].params == trials[1].params and trials[3].system_attrs["failed_trial"] == 1
    # Trial 0 was kept, not trained again.
    assert (
        project / "data/06_models/runs/trial" / STUDY / "trial-0" / "fold-0" / "progress.jsonl"
    ).read_text() == first_trial_events
    statuses = {
        run.data.tags.get("resume_ner.trial_number"): run.info.status
        for run in mlflow_runs(project)
        if run.info.run_name.startswith("trial-") and "fold" not in run.info.run_name
    }
    assert statuses == {"0": "FINISHED", "1": "FAILED", "2": "FINISHED", "3": "FINISHED"}
    assert all(run.info.status != "RUNNING" for run in mlflow_runs(project))
    # The killed `kedro run` itself ends FAILED once the study resumes; the resumed one FINISHED.
    assert sorted(run.info.status for run in mlflow_runs(project) if run.info.run_name == "hpo") == [
        "FAILED",
        "FINISHED",
    ]


def test_a_study_killed_five_times_in_a_row_still_finishes_its_trials(processed, tmp_path):
    project = fake_project(
        processed, tmp_path, epoch_seconds=1.0, n_trials=3, max_failed_trials=2, search_space=HEALTHY_SPACE
    )
    killed = [kill_mid_trial(project) for _ in range(5)]
    assert len(set(killed)) == 5

    os.environ["FAKE_EPOCH_SECONDS"] = "0.05"
    kedro_session(project, "hpo")
    trials = load_study(project).trials
    assert sum(trial.state in (TrialState.COMPLETE, TrialState.PRUNED) for trial in trials) == 3
    assert {trial.state for trial in trials} <= {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}
    assert all(trials[number].state == TrialState.FAIL for number in killed)
    best = parse_best_params(yaml.safe_load((project / "data/07_model_output/best_params.yml").read_text()), "x")
    assert best.trial_number is not None and trials[best.trial_number].state == TrialState.COMPLETE
    runs = mlflow_runs(project)
    assert all(run.info.status != "RUNNING" for run in runs)
    assert sorted(run.info.status for run in runs if run.info.run_name == "hpo") == ["FAILED"] * 5 + ["FINISHED"]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_or_ctrl_c_stops_the_run_and_leaves_a_consistent_record(processed, tmp_path, signum, status):
    project = fake_project(
        processed, tmp_path, epoch_seconds=1.0, n_trials=3, pruner={"name": "none"}, search_space=HEALTHY_SPACE
    )
    worker = start_worker(project, FAKE_EPOCH_SECONDS="1.0")
    trial = wait_mid_trial(project, worker)
    pid = child_pid(project, trial.number)
    worker.send_signal(signum)
    _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == status, stderr[-3000:]
    wait_gone(pid, seconds=1)  # stopped before `kedro run` exited
    name = signal.Signals(signum).name
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Stopped by {name}: "), stderr[-3000:]

    stopped = load_study(project).trials[trial.number]
    assert stopped.state == TrialState.FAIL and stopped.user_attrs["state_detail"] == f"stopped by {name}"
    runs = {run.info.run_name: run for run in mlflow_runs(project)}
    assert runs["hpo"].info.status == "KILLED"
    assert runs[f"trial-{trial.number}"].info.status == "KILLED"
    assert runs[f"trial-{trial.number}"].data.tags["resume_ner.detail"] == f"stopped by {name}"
    assert [run.info.status for run_name, run in runs.items() if run_name.startswith(f"trial-{trial.number}-fold-")][
        -1
    ] == "KILLED"
    assert all(run.info.status != "RUNNING" for run in runs.values())

    # The stopped trial is a failure of that run, not of the study: resuming finishes the budget.
    os.environ["FAKE_EPOCH_SECONDS"] = "0.05"
    kedro_session(project, "hpo")
    assert sum(t.state == TrialState.COMPLETE for t in load_study(project).trials) == 3


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_two_workers_share_one_study_on_postgresql(processed, tmp_path, postgres_url):
    space = {
        "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "batch_size": {"type": "categorical", "choices": [16, 32]},
    }
    study = f"shared-{os.getpid()}"
    project = fake_project(
        processed,
        tmp_path,
        epoch_seconds=0.3,
        n_trials=6,
        study_name=study,
        search_space=space,
        sampler={"name": "tpe", "seed": None},
    )
    use_postgres(project, postgres_url)
    workers = []
    for index in range(2):
        env = {
            **os.environ,
            "MLFLOW_TRACKING_URI": f"sqlite:///{project / f'mlflow-{index}.db'}",
            "FAKE_EPOCH_SECONDS": "0.3",
        }
        workers.append(
            subprocess.Popen(
                [KEDRO, "run", "--pipelines=hpo"],
                cwd=project,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-3000:]
    trials = optuna.load_study(study_name=study, storage=postgres_url).trials
    assert sorted(trial.number for trial in trials) == list(range(6))
    assert {trial.state for trial in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}  # none failed or lost
    per_worker = []
    for index in range(2):
        client = MlflowClient(f"sqlite:///{project / f'mlflow-{index}.db'}")
        experiment = client.get_experiment_by_name("resume_ner")
        per_worker.append(
            {
                run.data.tags["resume_ner.trial_number"]
                for run in client.search_runs([experiment.experiment_id])
                if run.info.run_name.startswith("trial-") and "fold" not in run.info.run_name
            }
        )
    assert not per_worker[0] & per_worker[1], "a trial was trained by both workers"
    assert per_worker[0] | per_worker[1] == {str(number) for number in range(6)}, "a trial was lost"
    assert (
        postgres_url.split("@")[0].split(":")[-1]
        not in (project / "data/08_reporting/hpo/study_summary.json").read_text()
    )


def use_postgres(project: Path, url: str) -> None:
    (project / "conf" / "local" / "credentials.yml").write_text(yaml.safe_dump({"optuna_storage": {"url": url}}))
    (project / "conf" / "local" / "catalog.yml").write_text(
        yaml.safe_dump(
            {
                "optuna_storage": {
                    "type": "resume_ner.datasets.OptunaStorageDataset",
                    "filepath": "data/07_model_output/hpo/optuna.db",
                    "credentials": "optuna_storage",
                }
            }
        )
    )


@pytest.mark.parametrize("storage", ["sqlite", "postgresql"])
def test_a_second_worker_starting_mid_trial_never_fails_the_first_workers_trial(processed, tmp_path, storage, request):
    study = f"later-worker-{storage}-{os.getpid()}"
    project = fake_project(
        processed,
        tmp_path,
        epoch_seconds=1.0,
        n_trials=4,
        study_name=study,
        search_space=HEALTHY_SPACE,
        pruner={"name": "none"},
    )
    url = storage_url(project)
    if storage == "postgresql":
        url = request.getfixturevalue("postgres_url")
        use_postgres(project, url)
    first = start_worker(project, FAKE_EPOCH_SECONDS="1.0")
    deadline = time.monotonic() + 180
    running = None
    while running is None and time.monotonic() < deadline:  # the first worker's first trial, mid-fold
        time.sleep(0.3)
        try:
            running = next(
                (
                    t
                    for t in optuna.load_study(study_name=study, storage=url).trials
                    if t.state == TrialState.RUNNING and t.intermediate_values
                ),
                None,
            )
        except (KeyError, sqlalchemy.exc.SQLAlchemyError):
            continue
    assert running is not None, "the first worker never got mid-trial"
    second = start_worker(project, FAKE_EPOCH_SECONDS="1.0")
    for worker in (first, second):
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-3000:]
    trials = optuna.load_study(study_name=study, storage=url).trials
    assert trials[running.number].state == TrialState.COMPLETE
    assert {trial.state for trial in trials} == {TrialState.COMPLETE}  # no live trial was failed
    # The shared budget is checked, then a trial is created: two workers checking at the same instant may each
    # start one more (at most n_workers - 1 over; README, "Scaling out").
    assert 4 <= len(trials) <= 5
    workers = {trial.user_attrs["worker"]["pid"] for trial in trials}
    assert workers == {first.pid, second.pid}  # both trained


def test_a_resumed_study_continues_its_search_instead_of_repeating_it(processed, tmp_path):
    """hpo with n_trials 1, then 2, then 3: each run is a new process with a new sampler, seeded as always."""
    project = fake_project(
        processed,
        tmp_path,
        epoch_seconds=0.05,
        n_trials=1,
        search_space=HEALTHY_SPACE,
        sampler={"name": "tpe", "seed": 42, "n_startup_trials": 4},
        pruner={"name": "none"},
    )
    for n_trials in (1, 2, 3):
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(project)
            run_kedro(project, "hpo", {"hpo": {"n_trials": n_trials}})
    trials = load_study(project).trials
    assert len(trials) == 3
    assert len({json.dumps(trial.params, sort_keys=True) for trial in trials}) == 3
    assert len({trial.value for trial in trials}) == 3


def test_changing_what_a_trial_measures_starts_a_new_study_and_the_budget_does_not(processed, tmp_path):
    project = fake_project(
        processed, tmp_path, epoch_seconds=0.05, n_trials=1, study_name=None, search_space=HEALTHY_SPACE
    )

    def study_of(params: dict) -> str:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(project)
            run_kedro(project, "hpo", params)
        return yaml.safe_load((project / "data/07_model_output/best_params.yml").read_text())["study_name"]

    first = study_of({})
    assert study_of({"hpo": {"n_trials": 2, "timeout_seconds": 900, "n_workers": 2}}) == first
    assert len(optuna.load_study(study_name=first, storage=storage_url(project)).trials) == 2
    assert study_of({"training": {"base": {"tokenization": {"max_length": 96}}}}) != first


def test_a_bad_choice_in_the_search_space_fails_before_any_trial_naming_it(processed, tmp_path):
    project = fake_project(
        processed,
        tmp_path,
        n_trials=2,
        search_space={**HEALTHY_SPACE, "max_length": {"type": "categorical", "choices": [96, 4]}},
    )
    with pytest.raises(Exception) as caught:
        kedro_session(project, "hpo")
    error = find_user_error(caught.value)
    assert error is not None and "\n" not in str(error)
    assert "hpo.search_space.max_length = 4" in str(error) and "tokenization.max_length" in str(error)
    assert not (project / "data" / "07_model_output" / "hpo" / "optuna.db").exists()


def test_base_settings_of_one_backbone_do_not_break_another_in_the_search_space(processed, tmp_path):
    """conf/base sets num_layers: 4 for minilm; a search over backbones that includes tiny-bert must run."""
    project = fake_project(
        processed,
        tmp_path,
        epoch_seconds=0.05,
        n_trials=2,
        pruner={"name": "none"},
        search_space={**HEALTHY_SPACE, "backbone": {"type": "categorical", "choices": ["minilm", "tiny-bert"]}},
    )
    enqueue(project, {**GOOD, "backbone": "tiny-bert"}, {**GOOD, "backbone": "minilm"})
    kedro_session(project, "hpo")
    trials = load_study(project).trials
    assert [trial.state for trial in trials] == [TrialState.COMPLETE] * 2
    backbones = [
        json.loads(
            (project / "data/06_models/runs/trial" / STUDY / f"trial-{number}" / "fold-0" / "config.json").read_text()
        )["backbone"]
        for number in (0, 1)
    ]
    assert (backbones[0]["name"], backbones[0]["num_layers"]) == ("tiny-bert", None)
    assert (backbones[1]["name"], backbones[1]["num_layers"]) == ("minilm", 4)


def test_settings_that_clash_in_one_trial_fail_that_trial_with_its_message_and_the_study_goes_on(processed, tmp_path):
    """Each value alone is valid on the base (max_length 128, stride 32); max_length 80 with stride 48 is not."""
    space = {
        **HEALTHY_SPACE,
        "max_length": {"type": "categorical", "choices": [80, 128]},
        "stride": {"type": "categorical", "choices": [16, 48]},
    }
    project = fake_project(
        processed, tmp_path, epoch_seconds=0.05, n_trials=2, search_space=space, pruner={"name": "none"}
    )
    enqueue(
        project,
        {**GOOD, "max_length": 80, "stride": 48},
        {**GOOD, "max_length": 80, "stride": 16},
        {**GOOD, "max_length": 128, "stride": 48},
    )
    kedro_session(project, "hpo")
    trials = load_study(project).trials
    assert [trial.state for trial in trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert "stride (48) must be less than half of max_length (80)" in trials[0].user_attrs["state_detail"]
    run = next(run for run in mlflow_runs(project) if run.info.run_name == "trial-0")
    assert run.info.status == "FAILED"


def test_the_real_training_program_drives_a_small_study(processed, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(processed, project, ignore=shutil.ignore_patterns("mlflow.db", "mlruns"))
    parameters = {
        "training": {
            "base": tiny_training_base(),
            "launch": {"mode": "preloaded"},
        },
        "hpo": {
            "n_trials": 2,
            "budget_minutes": None,
            "folds": 2,
            "pruner": {"name": "none"},
            "search_space_preset": "minilm-2l",
            "search_space": {
                "learning_rate": {"type": "float", "low": 5e-3, "high": 1.5e-2, "log": True},
                "batch_size": {"type": "categorical", "choices": [16]},
                "epochs": {"type": "int", "low": 2, "high": 3},
            },
        },
    }
    (project / "conf" / "local" / "parameters.yml").write_text(yaml.safe_dump(parameters))
    kedro_session(project, "hpo")
    best = parse_best_params(yaml.safe_load((project / "data/07_model_output/best_params.yml").read_text()), "x")
    study = optuna.load_study(study_name=best.study_name, storage=storage_url(project))
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE, TrialState.COMPLETE]
    values = [trial.value for trial in study.trials if trial.value is not None]
    assert len(values) == 2 and all(0 <= value <= 1 for value in values) and max(values) > 0.1
    assert best.best_epochs is not None and len(best.best_epochs) == 2 and best.value == max(values)
    study_dir = project / "data/06_models/runs/trial" / best.study_name
    assert len(list(study_dir.glob(f"trial-{best.trial_number}/fold-*/checkpoint/model.safetensors"))) == 2
    assert not list(study_dir.glob(f"trial-{1 - best.trial_number}/fold-*/checkpoint"))


def test_the_refit_model_trains_exactly_as_the_best_trial_did_fixed_dimension_dotted_keys_and_oom_retry(
    processed, tmp_path
):
    """The best trial took every unusual path: a fixed dimension (max_length 96, not the base 64), dotted keys
    (one with a short name, one without) and an out-of-memory retry (batch 64 -> 32 x 2). hpo runs on the fake
    trainer; refit then trains the real program from best_params (final training plans its run with the very
    same nodes). The refit run's config.json must be the best trial's effective fold config, but for what a run
    owns (data, folders, tracking) and its epochs."""
    project = tmp_path / "project"
    shutil.copytree(processed, project, ignore=shutil.ignore_patterns("mlflow.db", "mlruns"))
    python = tmp_path / "fake-python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_TRAINER} "$@"\n')
    python.chmod(0o755)
    base = tiny_training_base()
    # Merged into conf/base's space (weight_decay, dropout, warmup_ratio stay searched as well).
    space = {
        "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "optimization.max_grad_norm": {"type": "categorical", "choices": [1.0, 2.0]},
        "early_stopping.min_delta": {"type": "float", "low": 0.0, "high": 0.01},
        "max_length": {"type": "fixed", "value": 96},
        "batch_size": {"type": "categorical", "choices": [16, 64]},
        "epochs": {"type": "int", "low": 1, "high": 2},
    }
    hpo = {
        "study_name": STUDY,
        "search_space": space,
        "search_space_preset": "minilm-2l",
        "budget_minutes": None,
        "n_trials": 2,
        "folds": 2,
        "pruner": {"name": "none"},
    }
    launch = {"mode": "process", "python": str(python), "stop_grace_seconds": 5}
    (project / "conf" / "local" / "parameters.yml").write_text(
        yaml.safe_dump({"training": {"base": base, "launch": launch}, "hpo": hpo})
    )
    enqueue(
        project,
        {
            "learning_rate": 1e-2,
            "optimization.max_grad_norm": 1.0,
            "early_stopping.min_delta": 0.0,
            "batch_size": 16,
            "epochs": 2,
        },
        {
            "learning_rate": 1e-3,
            "optimization.max_grad_norm": 2.0,
            "early_stopping.min_delta": 0.005,
            "batch_size": 64,
            "epochs": 2,
        },
    )
    kedro_session(project, "hpo")
    best = parse_best_params(yaml.safe_load((project / "data/07_model_output/best_params.yml").read_text()), "x")
    assert best.trial_number == 1
    assert {
        key: best.params[key]
        for key in (
            "learning_rate",
            "max_grad_norm",
            "early_stopping.min_delta",
            "max_length",
            "batch_size",
            "gradient_accumulation",
            "epochs",
        )
    } == {
        "learning_rate": 1e-3,
        "max_grad_norm": 2.0,
        "early_stopping.min_delta": 0.005,
        "max_length": 96,
        "batch_size": 32,
        "gradient_accumulation": 2,
        "epochs": 2,
    }

    (project / "conf" / "local" / "parameters.yml").write_text(
        yaml.safe_dump({"training": {"base": base, "launch": {"mode": "process"}}, "hpo": hpo})
    )
    kedro_session(project, "refit")
    lineage = json.loads((project / "data/08_reporting/refit/lineage.json").read_text())
    final = json.loads((Path(lineage["run_dir"]) / "config.json").read_text())
    trial = json.loads(
        (project / "data/06_models/runs/trial" / STUDY / "trial-1" / "fold-0-oom-retry" / "config.json").read_text()
    )

    def trained_the_same_way(config: dict) -> dict:
        config = {
            key: value for key, value in config.items() if key not in ("data", "output_dir", "label_schema", "tracking")
        }
        config["optimization"] = {k: v for k, v in config["optimization"].items() if k != "epochs"}
        config["early_stopping"] = {k: v for k, v in config["early_stopping"].items() if k != "patience"}
        return config

    assert trained_the_same_way(final) == trained_the_same_way(trial)
    assert final["optimization"]["batch_size"] == 32 and final["tokenization"]["max_length"] == 96
    model = project / "data/06_models/refit/model"
    assert json.loads((model / "resume_ner.json").read_text())["max_length"] == 96


def test_the_study_is_data_between_running_and_reporting_it():
    from resume_ner.pipelines.hpo import create_pipeline

    edges = {(node.name, tuple(node.inputs), tuple(node.outputs)) for node in create_pipeline().nodes}
    assert (
        "plan_study",
        ("study_spec", "corpus", "folds", "label_schema", "params:hpo", "params:training"),
        ("study_plan",),
    ) in edges
    assert (
        "run_study",
        ("study_spec", "study_plan", "optuna_storage", "params:hpo", "params:training"),
        ("study",),
    ) in edges
    assert any(
        name == "report_study" and inputs[0] == "study" and outputs[0] == "best_params"
        for name, inputs, outputs in edges
    )
