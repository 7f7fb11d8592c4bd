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
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


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
    """One line per finished trial with the current best."""

    def __init__(self, n_trials: int | None) -> None:
        self.n_trials = n_trials

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        try:
            best = f"best so far: trial {study.best_trial.number} = {study.best_value:.4f}"
        except ValueError:
            best = "no complete trial yet"
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                             TrialState.FAIL)))
        total = f"/{self.n_trials}" if self.n_trials else ""
        logger.info("Trial %d %s (%d%s finished); %s", trial.number, trial.state.name.lower(), done, total, best)


def optimize(study: optuna.Study, objective, *, n_trials: int | None, timeout_seconds: float | None,
             n_workers: int, max_failed_trials: int, study_dir: Path, keep_best_checkpoints: int) -> None:
    """Run trials until ``n_trials`` exist in the study (so a resumed study only adds what is missing, and
    several workers share one budget) or ``timeout_seconds`` passed. ``n_workers`` trials run at once, each
    training its folds in child processes."""
    failures = FailureLimit(max_failed_trials)
    callbacks = [failures, CheckpointCleanup(study_dir, keep_best_checkpoints), ProgressLog(n_trials)]
    remaining = None
    if n_trials is not None:
        # Queued (WAITING) trials are part of the budget only once a worker takes them.
        counted = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
        callbacks.insert(0, optuna.study.MaxTrialsCallback(n_trials, states=counted))
        existing = len(study.get_trials(deepcopy=False, states=counted))
        remaining = n_trials - existing
        if remaining <= 0:
            logger.info("The study already has %d trials (hpo.n_trials: %d); nothing to add", existing, n_trials)
            return
    study.optimize(objective, n_trials=remaining, timeout=timeout_seconds, n_jobs=n_workers,
                   catch=(TrainingFailed,), callbacks=callbacks)
    failures.check()
