"""Run the study: resume it, fail what a killed run left RUNNING, optimise with callbacks that bound failures
and keep only the best trials' checkpoints."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import optuna
from optuna.trial import TrialState

from resume_ner.errors import ReportedError
from resume_ner.execution import TrainingFailed
from resume_ner.logs import route_optuna_logs
from resume_ner.progress import ProgressTask, progress_board
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class TooManyFailedTrials(ReportedError):
    """The study stopped because ``max_failed_trials`` trials failed."""


def fail_leftover_trials(study: optuna.Study, tracker: StudyTracker | None) -> list[int]:
    """Mark trials left RUNNING by a killed run FAIL (and their MLflow runs FAILED); only for an embedded
    storage, whose workers all live in this process. Returns their numbers."""
    numbers = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_user_attr(trial._trial_id, "state_detail", "its run was interrupted")
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        if tracker is not None and trial.user_attrs.get("mlflow_run_id"):
            tracker.fail_children(trial.user_attrs["mlflow_run_id"])
        numbers.append(trial.number)
    if numbers:
        logger.warning("Marked trials %s FAIL: an earlier run of this study stopped while they ran", numbers)
    return numbers


class DeadWorkerCallback:
    """Optuna's heartbeat found a trial whose worker died: fail its MLflow runs, then re-queue it
    (``RetryHeartbeatStaleTrialCallback``) so another worker trains those hyperparameters."""

    def __init__(self, tracker: StudyTracker | None, max_retry: int) -> None:
        self._tracker = tracker
        self._retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry) if max_retry else None

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        logger.warning("Trial %d lost its worker (no heartbeat); marked FAIL", trial.number)
        if self._tracker is not None and trial.user_attrs.get("mlflow_run_id"):
            self._tracker.fail_children(trial.user_attrs["mlflow_run_id"])
        if self._retry is not None:
            self._retry(study, trial)


class FailureLimit:
    """Stop the study once ``limit`` trials have failed; ``check`` then raises a clear error."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.reached: str | None = None

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        failed = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
        if len(failed) >= self.limit and self.reached is None:
            last = trial.user_attrs.get("state_detail", "see the log")
            self.reached = (f"The study stopped after {len(failed)} failed trials (hpo.max_failed_trials: "
                            f"{self.limit}); the last one: {last}")
            study.stop()

    def check(self) -> None:
        if self.reached:
            raise TooManyFailedTrials(self.reached)


class CheckpointCleanup:
    """Keep the checkpoints of the ``keep`` best complete trials; pruned and failed trials keep only their
    records (config, progress, metrics, logs). Trials still running are never touched."""

    def __init__(self, study_dir: Path, keep: int) -> None:
        self.study_dir = Path(study_dir)
        self.keep = keep
        self._lock = threading.Lock()

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        with self._lock:
            trials = study.get_trials(deepcopy=False)
            complete = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: -t.value)
            kept = {t.number for t in complete[: self.keep]}
            for finished in trials:
                if finished.state.is_finished() and finished.number not in kept:
                    for checkpoint in (self.study_dir / f"trial-{finished.number}").glob("fold-*/checkpoint"):
                        shutil.rmtree(checkpoint, ignore_errors=True)


class ProgressLog:
    """One log line per finished trial, whatever its state, with the figures that matter and the study's best;
    also moves the study's progress bar."""

    def __init__(self, n_trials: int | None, objective_name: str, bar: ProgressTask | None = None) -> None:
        self.n_trials = n_trials
        self.objective_name = objective_name
        self.bar = bar

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        try:
            best = f"best: trial {study.best_trial.number} = {study.best_value:.4f}"
        except ValueError:
            best = "no complete trial yet"
        done = len(study.get_trials(deepcopy=False, states=FINISHED))
        progress = f"{done}/{self.n_trials} trials done" if self.n_trials else f"{done} trials done"
        seconds = f"{trial.duration.total_seconds():.0f} s" if trial.duration else "?"
        detail = trial.user_attrs.get("state_detail", "")
        if trial.state == TrialState.COMPLETE:
            logger.info("Trial %d complete: %s %.4f (std %.4f over %d folds, %s) %s; %s, %s", trial.number,
                        self.objective_name, trial.value, trial.user_attrs.get("value_std", 0.0),
                        len(trial.user_attrs.get("fold_values", [])), seconds, describe_params(trial.params),
                        progress, best)
        elif trial.state == TrialState.PRUNED:
            logger.info("Trial %d %s after %s; %s, %s", trial.number, detail or "pruned", seconds, progress, best)
        else:
            logger.warning("Trial %d failed after %s: %s; %s, %s", trial.number, seconds, detail or "see above",
                           progress, best)
        if self.bar is not None:
            self.bar.update(completed=done, description=f"Study {study.study_name}: {best}")


def describe_params(params: dict) -> str:
    """``learning_rate=0.000668, batch_size=16``: floats to three significant digits."""
    return ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in params.items())


def optimize(study: optuna.Study, objective, *, n_trials: int | None, timeout_seconds: float | None,
             n_workers: int, max_failed_trials: int, study_dir: Path, keep_best_checkpoints: int,
             objective_name: str = "value") -> None:
    """Run trials until ``n_trials`` exist in the study (so a resumed study only adds what is missing, and
    several workers share one budget) or ``timeout_seconds`` passed. ``n_workers`` trials run at once, each
    training its folds in child processes."""
    route_optuna_logs()
    failures = FailureLimit(max_failed_trials)
    counted = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
    remaining = None
    if n_trials is not None:
        # Queued (WAITING) trials are part of the budget only once a worker takes them.
        existing = len(study.get_trials(deepcopy=False, states=counted))
        remaining = n_trials - existing
        if remaining <= 0:
            logger.info("The study already has %d trials (hpo.n_trials: %d); nothing to add", existing, n_trials)
            return
    with progress_board().task(f"Study {study.study_name}", total=n_trials) as bar:
        bar.update(completed=len(study.get_trials(deepcopy=False, states=FINISHED)))
        callbacks = [failures, CheckpointCleanup(study_dir, keep_best_checkpoints),
                     ProgressLog(n_trials, objective_name, bar)]
        if n_trials is not None:
            callbacks.insert(0, optuna.study.MaxTrialsCallback(n_trials, states=counted))
        study.optimize(objective, n_trials=remaining, timeout=timeout_seconds, n_jobs=n_workers,
                       catch=(TrainingFailed,), callbacks=callbacks)
    failures.check()
