"""Running the hpo study with simple objectives (no training): the trial budget on a resumed study, the bound on
failed trials, checkpoint cleanup, and the trials a killed run left RUNNING (failed and trained again)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.distributions import BaseDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from resume_ner.errors import UserInputError
from resume_ner.execution import TrainingFailed
from resume_ner.execution.execute import TrainingResult
from resume_ner.execution.worker_identity import current_worker
from resume_ner.tuning.objective import pruning_step
from resume_ner.tuning.optimize import (
    CheckpointCleanup,
    DeadWorkerCallback,
    FailureLimit,
    TooManyFailedTrials,
    fail_interrupted_trials,
    optimize,
    requeue,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def training_failed(detail: str = "boom") -> TrainingFailed:
    return TrainingFailed(
        TrainingResult(
            status="failed", exit_status=1, run_dir=Path("/runs/trial-0/fold-0"), wall_seconds=0.1, stderr_tail=[detail]
        )
    )


def sqlite_study(tmp_path: Path, name: str = "study") -> optuna.Study:
    return optuna.create_study(
        study_name=name, storage=f"sqlite:///{tmp_path / 'optuna.db'}", direction="maximize", load_if_exists=True
    )


def quadratic(trial: optuna.Trial) -> float:
    return -((trial.suggest_float("x", 0.0, 1.0) - 0.5) ** 2)


def run(study: optuna.Study, objective, tmp_path: Path, **overrides) -> None:
    settings = {
        "n_trials": None,
        "timeout_seconds": None,
        "n_workers": 1,
        "max_failed_trials": 3,
        "study_dir": tmp_path / "study",
        "keep_best_checkpoints": 1,
        **overrides,
    }
    optimize(study, objective, **settings)


def states(study: optuna.Study) -> list[TrialState]:
    return [trial.state for trial in study.trials]


# --- failed trials -----------------------------------------------------------------------------------------------


def test_failure_limit_stops_the_study_after_that_many_failed_trials():
    calls = []

    def objective(trial):
        calls.append(trial.number)
        trial.set_user_attr("state_detail", f"trial {trial.number} crashed")
        raise training_failed()

    study = optuna.create_study(direction="maximize")
    limit = FailureLimit(3)
    study.optimize(objective, n_trials=10, catch=(TrainingFailed,), callbacks=[limit])
    assert calls == [0, 1, 2]
    assert states(study) == [TrialState.FAIL] * 3
    with pytest.raises(TooManyFailedTrials) as caught:
        limit.check()
    assert str(caught.value) == (
        "The study stopped after 3 failed trials of this run (hpo.max_failed_trials: 3); the last one: trial 2 crashed"
    )


def test_failure_limit_below_the_bound_lets_the_study_finish():
    study = optuna.create_study(direction="maximize")
    limit = FailureLimit(3)

    def objective(trial):
        if trial.number in (1, 3):
            raise training_failed()
        return 1.0

    study.optimize(objective, n_trials=6, catch=(TrainingFailed,), callbacks=[limit])
    assert len(study.trials) == 6
    assert limit.reached is None
    limit.check()


@pytest.mark.parametrize(
    ("failing", "error"),
    [
        (0, training_failed),
        (1, lambda: UserInputError("tokenization.stride (48) must be less than half of max_length (64)")),
    ],
    ids=["training-failure", "user-error"],
)
def test_a_failed_training_or_bad_trial_settings_fail_that_trial_and_the_study_goes_on(tmp_path, failing, error):
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == failing:
            raise error()
        return x

    study = optuna.create_study(direction="maximize")
    run(study, objective, tmp_path, n_trials=3)
    expected = [TrialState.COMPLETE] * 4
    expected[failing] = TrialState.FAIL
    assert states(study) == expected


def test_optimize_raises_too_many_failed_trials_once_the_bound_is_reached(tmp_path):
    def objective(trial):
        raise training_failed()

    study = optuna.create_study(direction="maximize")
    with pytest.raises(TooManyFailedTrials, match=r"hpo.max_failed_trials: 2"):
        run(study, objective, tmp_path, n_trials=10, max_failed_trials=2)
    assert states(study) == [TrialState.FAIL] * 2


def test_failures_left_by_earlier_runs_never_count(tmp_path):
    study = sqlite_study(tmp_path)
    for _ in range(5):  # what five earlier, interrupted or failing runs left behind
        study.add_trial(create_trial(state=TrialState.FAIL))
    run(study, quadratic, tmp_path, n_trials=2, max_failed_trials=3)
    assert states(study) == [TrialState.FAIL] * 5 + [TrialState.COMPLETE] * 2


def test_any_other_error_in_the_objective_stops_the_study(tmp_path):
    def objective(trial):
        raise KeyError("a bug, not a failed training")

    study = optuna.create_study(direction="maximize")
    with pytest.raises(KeyError):
        run(study, objective, tmp_path, n_trials=5)
    assert len(study.trials) == 1


# --- the trial budget --------------------------------------------------------------------------------------------


def test_a_resumed_study_only_adds_the_missing_trials(tmp_path):
    first = sqlite_study(tmp_path)
    run(first, quadratic, tmp_path, n_trials=2)
    assert len(first.trials) == 2

    resumed = sqlite_study(tmp_path)
    run(resumed, quadratic, tmp_path, n_trials=5)
    assert states(resumed) == [TrialState.COMPLETE] * 5


def test_finished_and_running_trials_count_towards_the_budget_and_failed_ones_do_not(tmp_path):
    study = sqlite_study(tmp_path)
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.add_trial(create_trial(value=0.1, params={"x": 0.1}, distributions={"x": FloatDistribution(0.0, 1.0)}))
    study.add_trial(
        create_trial(state=TrialState.PRUNED, params={"x": 0.2}, distributions={"x": FloatDistribution(0.0, 1.0)})
    )
    study.ask()  # another worker's trial, still running

    run(study, quadratic, tmp_path, n_trials=5)
    assert states(study) == [
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.RUNNING,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]


def test_a_trial_that_fails_in_this_run_does_not_use_up_the_budget(tmp_path):
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number in (0, 2):
            raise training_failed()
        return x

    study = sqlite_study(tmp_path)
    run(study, objective, tmp_path, n_trials=3)
    assert states(study) == [
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]


def test_two_workers_in_one_process_never_start_more_trials_than_are_missing(tmp_path):
    study = sqlite_study(tmp_path)
    run(study, quadratic, tmp_path, n_trials=3)
    run(study, quadratic, tmp_path, n_trials=4, n_workers=2)
    assert states(study) == [TrialState.COMPLETE] * 4


def test_a_full_study_runs_nothing(tmp_path, caplog):
    study = sqlite_study(tmp_path)
    run(study, quadratic, tmp_path, n_trials=2)

    def objective(trial):
        raise AssertionError("no trial should run")

    with caplog.at_level(logging.INFO, logger="resume_ner.tuning.optimize"):
        run(study, objective, tmp_path, n_trials=2)
    assert len(study.trials) == 2
    assert "nothing to add" in caplog.text


def test_enqueued_trials_count_only_once_taken(tmp_path):
    study = sqlite_study(tmp_path)
    study.enqueue_trial({"x": 0.25})
    study.enqueue_trial({"x": 0.75})
    assert states(study) == [TrialState.WAITING] * 2

    run(study, quadratic, tmp_path, n_trials=3)
    assert states(study) == [TrialState.COMPLETE] * 3
    assert [trial.params["x"] for trial in study.trials[:2]] == [0.25, 0.75]


def test_a_timeout_alone_is_a_budget(tmp_path):
    study = optuna.create_study(direction="maximize")
    run(study, quadratic, tmp_path, timeout_seconds=0.2)
    assert len(study.trials) >= 1
    assert set(states(study)) == {TrialState.COMPLETE}


# --- checkpoints -------------------------------------------------------------------------------------------------

X: dict[str, BaseDistribution] = {"x": FloatDistribution(0.0, 1.0)}


def study_with_every_state() -> optuna.Study:
    """Trials 0-2 complete (0.9, 0.5, 0.7), 3 pruned, 4 failed, 5 running."""
    study = optuna.create_study(direction="maximize")
    for value in (0.9, 0.5, 0.7):
        study.add_trial(create_trial(value=value, params={"x": value}, distributions=X))
    study.add_trial(
        create_trial(state=TrialState.PRUNED, params={"x": 0.1}, distributions=X, intermediate_values={1: 0.1})
    )
    study.add_trial(create_trial(state=TrialState.FAIL, params={"x": 0.2}, distributions=X))
    study.ask()
    return study


def make_checkpoints(study_dir: Path, trials: int = 6, folds: int = 2) -> None:
    for trial in range(trials):
        for fold in range(folds):
            fold_dir = study_dir / f"trial-{trial}" / f"fold-{fold}"
            (fold_dir / "checkpoint").mkdir(parents=True)
            (fold_dir / "checkpoint" / "model.safetensors").write_bytes(b"weights")
            (fold_dir / "metrics.json").write_text("{}")


def with_checkpoints(study_dir: Path) -> list[int]:
    return sorted(
        trial
        for trial in range(6)
        if any((study_dir / f"trial-{trial}" / f"fold-{fold}" / "checkpoint").exists() for fold in range(2))
    )


@pytest.mark.parametrize(("keep", "kept"), [(0, []), (1, [0]), (2, [0, 2]), (5, [0, 1, 2])])
def test_checkpoint_cleanup_keeps_only_the_best_complete_trials(tmp_path, keep, kept):
    study = study_with_every_state()
    make_checkpoints(tmp_path)
    CheckpointCleanup(tmp_path, keep)(study, study.trials[4])
    # The running trial 5 keeps its checkpoints whatever happens to the others.
    assert with_checkpoints(tmp_path) == [*kept, 5]
    # Records stay for every trial; only the checkpoint folders go.
    assert all((tmp_path / f"trial-{trial}" / "fold-1" / "metrics.json").exists() for trial in range(6))


def test_checkpoint_cleanup_drops_a_trial_that_is_no_longer_among_the_best(tmp_path):
    study = optuna.create_study(direction="maximize")
    make_checkpoints(tmp_path, trials=3, folds=2)
    cleanup = CheckpointCleanup(tmp_path, keep=1)
    for value in (0.5, 0.8, 0.6):
        study.add_trial(create_trial(value=value, params={"x": value}, distributions=X))
        cleanup(study, study.trials[-1])
    assert with_checkpoints(tmp_path) == [1]


def test_optimize_cleans_checkpoints_as_trials_finish(tmp_path):
    study_dir = tmp_path / "study"

    def objective(trial):
        checkpoint = study_dir / f"trial-{trial.number}" / "fold-0" / "checkpoint"
        checkpoint.mkdir(parents=True)
        return [0.2, 0.9, 0.4][trial.number]

    run(optuna.create_study(direction="maximize"), objective, tmp_path, n_trials=3, keep_best_checkpoints=1)
    assert sorted(path.parent.parent.name for path in study_dir.glob("trial-*/fold-*/checkpoint")) == ["trial-1"]


# --- trials a killed run left RUNNING ----------------------------------------------------------------------------


class FakeTracker:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def fail_run_tree(self, run_id: str) -> None:
        self.failed.append(run_id)


def dead_worker() -> dict:
    """The identity of a process of this machine that has exited."""
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, resume_ner.execution.worker_identity as w; print(json.dumps(w.current_worker()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout)


def test_trials_of_a_dead_worker_fail_and_their_params_train_again_first(tmp_path):
    study = sqlite_study(tmp_path)
    study.optimize(quadratic, n_trials=1)
    study.enqueue_trial({"x": 0.3})
    interrupted = study.ask()  # a killed run's trial, its params set
    interrupted.suggest_float("x", 0.0, 1.0)
    interrupted.set_user_attr("worker", dead_worker())
    interrupted.set_user_attr("mlflow_run_id", "run-1")
    interrupted.set_user_attr("fold_values", [0.5])
    alive = study.ask()  # another worker's trial, alive in this very process
    alive.set_user_attr("worker", current_worker())
    unknown = study.ask()  # a trial whose worker never said who it was: left to the heartbeats
    tracker: Any = FakeTracker()  # stands in for a StudyTracker

    assert fail_interrupted_trials(study, tracker, max_retry=3) == [1]
    assert tracker.failed == ["run-1"]
    reloaded = optuna.load_study(study_name="study", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert states(reloaded) == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.RUNNING,
        TrialState.RUNNING,
        TrialState.WAITING,
    ]
    assert reloaded.trials[1].user_attrs["state_detail"].startswith("interrupted: its run (pid ")
    retry = reloaded.trials[4]
    assert retry.params == {"x": 0.3} and retry.system_attrs["failed_trial"] == 1
    assert "fold_values" not in retry.user_attrs and "mlflow_run_id" not in retry.user_attrs
    # The retry is the next trial a worker takes.
    assert study.ask().number == 4
    assert unknown.number == 3


def test_an_interrupted_trial_is_retried_up_to_max_retry_times(tmp_path):
    study = sqlite_study(tmp_path)
    study.enqueue_trial({"x": 0.3})
    for _ in range(3):  # the original and its two retries are all interrupted
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("worker", dead_worker())
        fail_interrupted_trials(study, None, max_retry=2)
    assert states(study) == [TrialState.FAIL] * 3  # no third retry queued
    assert [trial.params["x"] for trial in study.trials] == [0.3] * 3
    assert study.trials[2].system_attrs["retry_history"] == [0, 1]


def test_requeue_copies_params_and_distributions_only():
    study = optuna.create_study(direction="maximize")
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params={"x": 0.4},
            distributions=X,
            user_attrs={"fold_values": [0.1], "state_detail": "interrupted"},
        )
    )
    assert requeue(study, study.trials[0], max_retry=0) is None
    assert requeue(study, study.trials[0], max_retry=1) == 1
    retry = study.trials[1]
    assert retry.state == TrialState.WAITING and retry.params == {"x": 0.4} and retry.user_attrs == {}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_heartbeat_stale_trial_is_failed_and_requeued_by_optuna_with_our_callback(tmp_path):
    tracker: Any = FakeTracker()  # stands in for a StudyTracker
    storage = optuna.storages.RDBStorage(
        f"sqlite:///{tmp_path / 'optuna.db'}",
        heartbeat_interval=1,
        grace_period=1,
        heartbeat_stale_trial_callback=DeadWorkerCallback(tracker, 3),
    )
    study = optuna.create_study(storage=storage, direction="maximize")
    stale = study.ask()
    stale.suggest_float("x", 0.0, 1.0)
    stale.set_user_attr("mlflow_run_id", "run-0")
    storage.record_heartbeat(stale._trial_id)
    time.sleep(2.5)
    optuna.storages.fail_stale_trials(study)
    assert states(study) == [TrialState.FAIL, TrialState.WAITING]
    assert tracker.failed == ["run-0"]


def test_fail_interrupted_trials_without_running_trials_changes_nothing(tmp_path):
    study = sqlite_study(tmp_path)
    study.optimize(quadratic, n_trials=2)
    assert fail_interrupted_trials(study, None, max_retry=3) == []
    assert states(study) == [TrialState.COMPLETE] * 2


# --- pruning steps -----------------------------------------------------------------------------------------------


def test_pruning_step_is_fold_times_cap_plus_epoch():
    assert pruning_step(0, 1, 4) == 1
    assert pruning_step(2, 3, 4) == 11
    # Epochs count from 1 in the training loop: every (fold, epoch) gets its own step, in order, up to folds * cap.
    steps = [pruning_step(fold, epoch, 3) for fold in range(3) for epoch in range(1, 4)]
    assert steps == list(range(1, 10))
