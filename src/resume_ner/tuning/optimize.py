"""Run the study: fail and re-queue what killed runs left RUNNING, optimise until the budget of finished trials is
spent, stop after too many trials of this run fail on their own, and keep only the best trials' checkpoints.

A study may be resumed any number of times and shared by many workers, so the rules are about trials, not runs:

* ``n_trials`` counts finished trials (COMPLETE or PRUNED). A trial that failed on its own does not count (the
  failure limit bounds those); an interrupted one does not either, and its parameters are trained again first.
* A RUNNING trial is interrupted when its worker is gone: on this machine, its process no longer exists (known at
  once); elsewhere, its heartbeat went stale (Optuna's heartbeats, after ``storage.grace_period``). A live worker's
  trial is never touched.
* ``max_failed_trials`` counts failures of trials this run started; trials left FAIL by earlier runs never count.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from resume_ner.errors import ReportedError, UserInputError
from resume_ner.execution import TrainingFailed
from resume_ner.execution.worker_identity import worker_is_gone
from resume_ner.logs import route_optuna_logs
from resume_ner.progress import ProgressTask, progress_board
from resume_ner.tuning.reports import ranked_trials, trained_with
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)

# What n_trials counts, and what stops a worker from starting another trial (the running ones will finish).
BUDGET_STATES = (TrialState.COMPLETE, TrialState.PRUNED)
COMMITTED_STATES = (*BUDGET_STATES, TrialState.RUNNING)
# Failures a trial's own settings or training cause; the study goes on after each, up to max_failed_trials.
TRIAL_FAILURES = (TrainingFailed, UserInputError)


class TooManyFailedTrials(ReportedError):
    """The study stopped because ``max_failed_trials`` trials of this run failed."""


def requeue(study: optuna.Study, trial: FrozenTrial, max_retry: int | None) -> int | None:
    """Queue ``trial``'s parameters as a new trial (taken before any new suggestion), unless they were retried
    ``max_retry`` times already; returns the position in its retry history, or None when not queued.

    Like Optuna's retry callbacks (the ``failed_trial`` and ``retry_history`` system attributes), but without
    the interrupted trial's user attributes: its fold values and runs belong to it, not to the retry.
    """
    history = [*trial.system_attrs.get("retry_history", []), trial.number]
    if max_retry is not None and len(history) > max_retry:
        return None
    study.add_trial(
        optuna.trial.create_trial(
            state=TrialState.WAITING,
            params=trial.params,
            distributions=trial.distributions,
            system_attrs={"failed_trial": history[0], "retry_history": history},
        )
    )
    return len(history)


def _close_runs_of(trial: FrozenTrial, tracker: StudyTracker | None) -> None:
    """End the dead trial's MLflow runs FAILED: the trial, its folds and the ``kedro run`` that ran it."""
    run_id = trial.user_attrs.get("mlflow_run_id")
    if tracker is not None and run_id:
        tracker.fail_run_tree(run_id)


def fail_interrupted_trials(study: optuna.Study, tracker: StudyTracker | None, max_retry: int | None) -> list[int]:
    """Mark FAIL the RUNNING trials whose worker process on this machine is gone, end their MLflow runs FAILED
    and queue their parameters again. Trials of live workers, and of workers this machine cannot see, are left
    to their heartbeats. Returns the numbers of the trials failed."""
    numbers = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker")
        if worker is None or not worker_is_gone(worker):
            continue
        detail = f"interrupted: its run (pid {worker['pid']}) stopped while it trained"
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "state_detail", detail)
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:  # another worker got there first
            continue
        _close_runs_of(trial, tracker)
        retry = requeue(study, trial, max_retry)
        logger.warning(
            "Trial %d was interrupted by the end of an earlier run; marked FAIL, %s",
            trial.number,
            "its parameters are queued to train again"
            if retry
            else f"not retried again (hpo.storage.max_retry: {max_retry})",
        )
        numbers.append(trial.number)
    return numbers


class DeadWorkerCallback:
    """Optuna's heartbeat found a trial whose worker died (on another machine, or before it said which process
    it was): fail its MLflow runs, then queue its parameters again (``requeue``)."""

    def __init__(self, tracker: StudyTracker | None, max_retry: int | None) -> None:
        self._tracker = tracker
        self._max_retry = max_retry

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        # Optuna has already marked the trial FAIL, and a finished trial's attributes cannot change: the log says why.
        _close_runs_of(trial, self._tracker)
        retry = requeue(study, trial, self._max_retry)
        logger.warning(
            "Trial %d lost its worker (no heartbeat); marked FAIL%s",
            trial.number,
            ", its parameters are queued to train again" if retry else "",
        )


class FailureLimit:
    """Stop the study once ``limit`` trials that this run started have failed on their own; ``check`` then
    raises a clear error. (Optuna calls callbacks only for the trials of this process.)"""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failed = 0
        self.reached: str | None = None
        self._lock = threading.Lock()

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.state != TrialState.FAIL:
            return
        with self._lock:
            self.failed += 1
            if self.failed >= self.limit and self.reached is None:
                last = trial.user_attrs.get("state_detail", "see the log")
                self.reached = (
                    f"The study stopped after {self.failed} failed trials of this run "
                    f"(hpo.max_failed_trials: {self.limit}); the last one: {last}"
                )
                study.stop()

    def check(self) -> None:
        if self.reached:
            raise TooManyFailedTrials(self.reached)


class TrialBudget:
    """Stop starting trials once finished and running ones reach ``n_trials`` (a running trial will finish; if it
    is interrupted instead, its retry takes its place)."""

    def __init__(self, n_trials: int) -> None:
        self.n_trials = n_trials

    def committed(self, study: optuna.Study) -> int:
        return len(study.get_trials(deepcopy=False, states=COMMITTED_STATES))

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.committed(study) >= self.n_trials:
            study.stop()


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
            kept = {t.number for t in ranked_trials(study)[: self.keep]}
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
        done = len(study.get_trials(deepcopy=False, states=BUDGET_STATES))
        progress = f"{done}/{self.n_trials} trials done" if self.n_trials else f"{done} trials done"
        seconds = f"{trial.duration.total_seconds():.0f} s" if trial.duration else "?"
        detail = trial.user_attrs.get("state_detail", "")
        if trial.state == TrialState.COMPLETE:
            logger.info(
                "Trial %d complete: %s %.4f (std %.4f over %d folds, %s) %s; %s, %s",
                trial.number,
                self.objective_name,
                trial.value,
                trial.user_attrs.get("value_std", 0.0),
                len(trial.user_attrs.get("fold_values", [])),
                seconds,
                describe_params(trained_with(trial)),
                progress,
                best,
            )
        elif trial.state == TrialState.PRUNED:
            logger.info("Trial %d %s after %s; %s, %s", trial.number, detail or "pruned", seconds, progress, best)
        else:
            logger.warning(
                "Trial %d failed after %s: %s; %s, %s", trial.number, seconds, detail or "see above", progress, best
            )
        if self.bar is not None:
            self.bar.update(completed=done, description=f"Study {study.study_name}: {best}")


def describe_params(params: dict) -> str:
    """``learning_rate=0.000668, batch_size=16``: floats to three significant digits."""
    return ", ".join(
        f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}" for key, value in params.items()
    )


def optimize(
    study: optuna.Study,
    objective,
    *,
    n_trials: int | None,
    timeout_seconds: float | None,
    n_workers: int,
    max_failed_trials: int,
    study_dir: Path,
    keep_best_checkpoints: int,
    objective_name: str = "value",
) -> None:
    """Run trials until ``n_trials`` are finished in the study (so a resumed study only adds what is missing, and
    several workers share one budget) or ``timeout_seconds`` passed. ``n_workers`` trials run at once, each
    training its folds in child processes."""
    route_optuna_logs()
    failures = FailureLimit(max_failed_trials)
    callbacks: list = [failures, CheckpointCleanup(study_dir, keep_best_checkpoints)]
    workers = n_workers
    if n_trials is not None:
        budget = TrialBudget(n_trials)
        committed = budget.committed(study)
        if committed >= n_trials:
            logger.info(
                "The study already has %d finished or running trials (hpo.n_trials: %d); nothing to add",
                committed,
                n_trials,
            )
            return
        callbacks.insert(0, budget)
        workers = min(n_workers, n_trials - committed)  # never start more trials at once than are missing
    with progress_board().task(f"Study {study.study_name}", total=n_trials) as bar:
        bar.update(completed=len(study.get_trials(deepcopy=False, states=BUDGET_STATES)))
        callbacks.append(ProgressLog(n_trials, objective_name, bar))
        # No per-process trial count: a failed trial must not use up the budget, so TrialBudget stops the loop.
        study.optimize(
            objective, n_trials=None, timeout=timeout_seconds, n_jobs=workers, catch=TRIAL_FAILURES, callbacks=callbacks
        )
    failures.check()
