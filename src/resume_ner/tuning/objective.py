"""One trial: train every fold of the splits in its own child run, report per-epoch results to the pruner, and
return the mean of the folds' objective.

Pruning steps make folds comparable: at epoch ``e`` of the ``k``-th fold (0-based) the trial reports step
``k * epochs_cap + e`` with the running mean ``(best of each finished fold + this fold's best so far) / (k + 1)``;
at the end of fold ``k`` it reports step ``(k + 1) * epochs_cap`` too, when the fold ended before the cap, so every
trial has a value at every fold end (where the pruner is asked by default, see ``pruners``). Every trial runs the
same folds in the same order, so two trials at one step have seen the same data.

What a trial trains with is recorded on it as ``effective_params``: every dimension of the search space (fixed ones
included) and the batch size and accumulation of an out-of-memory retry. That, not Optuna's ``params``, is what the
best-params record hands to refit and final training.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import optuna

from resume_ner.errors import UserInputError
from resume_ner.execution import (
    RunInputs,
    RunPurpose,
    TrainingFailed,
    retried_hyperparameters,
)
from resume_ner.execution.launchers import Launcher
from resume_ner.execution.steps import (
    MlflowTarget,
    RunPlan,
    RunStopped,
    TrainingParameters,
    build_command,
    build_environment,
    execute_run,
    prepare_run_config,
)
from resume_ner.execution.stop_signals import stop_detail
from resume_ner.execution.worker_identity import current_worker
from resume_ner.training.protocol import Event, ProgressEvent
from resume_ner.tuning.search_space import SearchSpace
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


@dataclass
class TrialSettings:
    """Everything a trial needs besides the trial itself; shared by the worker threads of a study."""

    study_name: str
    space: SearchSpace
    training: TrainingParameters
    inputs: RunInputs
    workspace: Path
    folds: list[int]
    objective: str
    epochs_cap: int
    launcher: Launcher
    tracker: StudyTracker | None = None


def pruning_step(fold_position: int, epoch: int, epochs_cap: int) -> int:
    return fold_position * epochs_cap + epoch


class TrialObjective:
    """The Optuna objective: ``study.optimize(TrialObjective(settings), ...)``."""

    def __init__(self, settings: TrialSettings) -> None:
        self.settings = settings

    def __call__(self, trial: optuna.Trial) -> float:
        settings = self.settings
        trial.set_user_attr("worker", current_worker())  # lets a later run tell a killed worker from a live one
        params = settings.space.suggest(trial)
        trial.set_user_attr("effective_params", params)
        tracker = settings.tracker
        trial_run = tracker.start_trial(trial.number, params) if tracker else None
        if trial_run:
            trial.set_user_attr("mlflow_run_id", trial_run)
        values: list[float] = []
        best_epochs: list[int] = []
        try:
            for position, fold in enumerate(settings.folds):
                metrics, params = self._run_fold(trial, params, position, fold, values, trial_run)
                values.append(float(metrics["best"][settings.objective]))
                best_epochs.append(int(metrics["best_epoch"]))
                trial.set_user_attr("fold_values", values)
                trial.set_user_attr("best_epochs", best_epochs)
                self._end_of_fold(trial, position, values, metrics)
        except optuna.TrialPruned as pruned:
            trial.set_user_attr("state_detail", str(pruned))
            self._close_trial(trial_run, "KILLED", {"state": "pruned", "detail": str(pruned)})
            raise
        except TrainingFailed as failure:
            trial.set_user_attr("state_detail", failure.summary)
            self._close_trial(
                trial_run,
                "FAILED",
                {"state": "failed", "detail": failure.summary, "stderr_tail": "\n".join(failure.result.stderr_tail)},
            )
            raise
        except UserInputError as error:  # this trial's settings are wrong; the next trial's may not be
            detail = str(error).splitlines()[0]
            trial.set_user_attr("state_detail", detail)
            self._close_trial(trial_run, "FAILED", {"state": "failed", "detail": detail})
            raise
        except KeyboardInterrupt as stop:  # SIGTERM or Ctrl-C: the whole run stops
            trial.set_user_attr("state_detail", stop_detail(stop))
            self._close_trial(trial_run, "KILLED", {"state": "stopped", "detail": stop_detail(stop)})
            raise
        except BaseException:
            self._close_trial(trial_run, "FAILED", {"state": "failed", "detail": "interrupted"})
            raise
        mean = statistics.fmean(values)
        std = statistics.pstdev(values) if len(values) > 1 else 0.0
        trial.set_user_attr("value_std", std)
        if tracker and trial_run:
            tracker.log_metrics(
                trial_run,
                {
                    f"mean_{settings.objective}": mean,
                    f"std_{settings.objective}": std,
                    **{
                        f"fold_{fold}_{settings.objective}": value
                        for fold, value in zip(settings.folds, values, strict=True)
                    },
                },
            )
        self._close_trial(trial_run, "FINISHED", {"state": "complete"})
        return mean

    def _end_of_fold(self, trial: optuna.Trial, position: int, values: list[float], metrics: dict) -> None:
        """Report the mean over the finished folds at the fold-end step (unless the last epoch already did) and,
        before another fold starts, ask the pruner: a verdict given on the fold's last epoch, after its child had
        finished, stops the trial here."""
        settings = self.settings
        if int(metrics.get("epochs_run", 0)) < settings.epochs_cap:
            trial.report(statistics.fmean(values), (position + 1) * settings.epochs_cap)
        if position + 1 < len(settings.folds) and trial.should_prune():
            raise optuna.TrialPruned(
                f"pruned at the end of fold {settings.folds[position]} "
                f"(mean {statistics.fmean(values):.4f} over {position + 1} folds)"
            )

    def _run_fold(
        self, trial, params: dict, position: int, fold: int, values: list[float], trial_run: str | None
    ) -> tuple[dict, dict]:
        """Train one fold through the shared steps (``execution.steps``), in an MLflow run of its own; once per
        trial, a fold that ran out of memory is retried with half the batch and double accumulation, and the later
        folds keep that batch. Returns the fold's metrics and the hyperparameters the trial trains with from now
        on."""
        settings, tracker = self.settings, self.settings.tracker
        fold_run = tracker.start_fold(trial_run, trial.number, fold) if tracker and trial_run else None
        plan = RunPlan(
            RunPurpose(kind="trial", name=settings.study_name, trial=trial.number, fold=fold),
            params,
            settings.workspace,
            MlflowTarget(tracker.tracking_uri, tracker.experiment_id, fold_run) if tracker and fold_run else None,
        )
        pruned: list[str] = []

        def finish_fold_run(status: str) -> None:
            if tracker and fold_run:
                tracker.finish(fold_run, status)

        try:
            run = prepare_run_config(plan, settings.inputs, settings.training)
            result = execute_run(
                build_command(run, settings.training),
                build_environment(run, settings.training),
                run,
                settings.training,
                on_event=self._pruning_reporter(trial, position, fold, values, pruned, run.epochs),
                launcher=settings.launcher,
                oom_retry=not trial.user_attrs.get("oom_retry"),
            )
        except RunStopped:
            finish_fold_run("KILLED")
            raise optuna.TrialPruned(pruned[0] if pruned else "stopped") from None
        except BaseException as error:  # a failed child, bad settings, or the parent stopped or interrupted
            finish_fold_run("KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
            raise
        finish_fold_run("FINISHED")
        if result.oom_retry:
            params = retried_hyperparameters(
                params, result.oom_retry.batch_size, result.oom_retry.gradient_accumulation
            )
            trial.set_user_attr("oom_retry", True)
            trial.set_user_attr("effective_params", params)
        metrics = result.metrics
        value = float(metrics["best"][settings.objective])
        logger.info(
            "Trial %d fold %d/%d: %s %.4f (best epoch %s of %d), running mean %.4f, %.0f s",
            trial.number,
            position + 1,
            len(settings.folds),
            settings.objective,
            value,
            metrics["best_epoch"],
            metrics["epochs_run"],
            _running_mean(values, value),
            result.wall_seconds,
        )
        if pruned and position + 1 < len(settings.folds):  # the verdict came with the child's last epoch
            raise optuna.TrialPruned(pruned[0])
        return metrics, params

    def _pruning_reporter(
        self, trial, position: int, fold: int, values: list[float], pruned: list[str], epochs: int
    ) -> Callable[[ProgressEvent], bool]:
        """The progress-event callback of one fold: report each epoch's running mean, and ask the child to stop
        (a truthy return) when the pruner says so; the verdict is kept in ``pruned``. On the fold's last epoch
        the child is left to finish (stopping it would save nothing and lose its records); the verdict then
        stops the trial before its next fold."""
        settings = self.settings
        fold_best = float("-inf")

        def on_event(event: ProgressEvent) -> bool:
            nonlocal fold_best
            if event["event"] != Event.EPOCH:
                return False
            validation = event.get("validation", {})
            if settings.objective not in validation:
                return False
            epoch, value = event["epoch"], float(validation[settings.objective])
            fold_best = max(fold_best, value)
            running_mean = _running_mean(values, fold_best)
            step = pruning_step(position, epoch, settings.epochs_cap)
            trial.report(running_mean, step)
            logger.debug(
                "Trial %d fold %d/%d epoch %d: %s %.4f (running mean %.4f)",
                trial.number,
                position + 1,
                len(settings.folds),
                epoch,
                settings.objective,
                value,
                running_mean,
            )
            # The study's last step is the trial's result: stopping there would only throw the result away.
            if not pruned and step < len(settings.folds) * settings.epochs_cap and trial.should_prune():
                pruned.append(f"pruned at fold {fold} epoch {epoch} (running mean {running_mean:.4f})")
                return epoch < epochs
            return False

        return on_event

    def _close_trial(self, trial_run: str | None, status: str, tags: dict) -> None:
        tracker = self.settings.tracker
        if tracker is None or trial_run is None:
            return
        tracker.set_tags(trial_run, {f"resume_ner.{key}": value for key, value in tags.items()})
        tracker.finish(trial_run, status)


def _running_mean(finished_folds: list[float], value: float) -> float:
    """The mean over the finished folds' best values and this fold's ``value``."""
    return (sum(finished_folds) + value) / (len(finished_folds) + 1)
