"""One trial: train every fold of the splits in its own child run, report per-epoch results to the pruner, and
return the mean of the folds' objective.

Pruning steps make folds comparable: at epoch ``e`` of the ``k``-th fold (0-based) the trial reports step
``k * epochs_cap + e`` with the running mean ``(best of each finished fold + this epoch's value) / (k + 1)``.
Every trial runs the same folds in the same order, so two trials at one step have seen the same data.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from resume_ner.execution import (
    LaunchSettings,
    RunInputs,
    RunPurpose,
    TrainingFailed,
    build_training_command,
    build_training_config,
    build_training_env,
    execute_training,
    write_run_config,
)
from resume_ner.execution.launchers import Launcher
from resume_ner.progress import training_progress
from resume_ner.tuning.search_space import SearchSpace
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


@dataclass
class TrialSettings:
    """Everything a trial needs besides the trial itself; shared by the worker threads of a study."""

    study_name: str
    space: SearchSpace
    base: dict[str, Any]
    inputs: RunInputs
    runs_root: Path
    backbone_cache_dir: Path
    folds: list[int]
    objective: str
    epochs_cap: int
    launch: LaunchSettings
    launcher: Launcher
    threads: int | None = None
    pass_through: list[str] = field(default_factory=list)
    oom_retry: bool = True
    tracker: StudyTracker | None = None


def pruning_step(fold_position: int, epoch: int, epochs_cap: int) -> int:
    return fold_position * epochs_cap + epoch


class TrialObjective:
    """The Optuna objective: ``study.optimize(TrialObjective(settings), ...)``."""

    def __init__(self, settings: TrialSettings) -> None:
        self.settings = settings

    def __call__(self, trial: optuna.Trial) -> float:
        settings = self.settings
        params = settings.space.suggest(trial)
        tracker = settings.tracker
        trial_run = tracker.start_trial(trial.number, params) if tracker else None
        if trial_run:
            trial.set_user_attr("mlflow_run_id", trial_run)
        values: list[float] = []
        best_epochs: list[int] = []
        try:
            for position, fold in enumerate(settings.folds):
                metrics = self._run_fold(trial, params, position, fold, values, trial_run)
                values.append(float(metrics["best"][settings.objective]))
                best_epochs.append(int(metrics["best_epoch"]))
                trial.set_user_attr("fold_values", values)
                trial.set_user_attr("best_epochs", best_epochs)
        except optuna.TrialPruned as pruned:
            trial.set_user_attr("state_detail", str(pruned))
            self._close_trial(trial_run, "KILLED", {"state": "pruned", "detail": str(pruned)})
            raise
        except TrainingFailed as failure:
            detail = failure.summary
            trial.set_user_attr("state_detail", detail)
            self._close_trial(trial_run, "FAILED", {"state": "failed", "detail": detail,
                                                    "stderr_tail": "\n".join(failure.result.stderr_tail)})
            raise
        except BaseException:
            self._close_trial(trial_run, "FAILED", {"state": "failed", "detail": "interrupted"})
            raise
        mean = statistics.fmean(values)
        std = statistics.pstdev(values) if len(values) > 1 else 0.0
        trial.set_user_attr("value_std", std)
        if tracker and trial_run:
            tracker.log_metrics(trial_run, {f"mean_{settings.objective}": mean, f"std_{settings.objective}": std,
                                            **{f"fold_{fold}_{settings.objective}": value
                                               for fold, value in zip(settings.folds, values)}})
        self._close_trial(trial_run, "FINISHED", {"state": "complete"})
        return mean

    def _run_fold(self, trial, params, position, fold, values, trial_run) -> dict:
        """Train one fold; retry it once with half the batch and double accumulation if it ran out of memory."""
        try:
            return self._train_fold(trial, params, position, fold, values, trial_run)
        except TrainingFailed as failure:
            batch = int(params.get("batch_size", self.settings.base.get("optimization", {}).get("batch_size", 16)))
            if not (failure.result.out_of_memory and self.settings.oom_retry and batch > 1
                    and not trial.user_attrs.get("oom_retry")):
                raise
            accumulation = int(params.get("gradient_accumulation",
                                          self.settings.base.get("optimization", {}).get("gradient_accumulation", 1)))
            params.update(batch_size=batch // 2, gradient_accumulation=accumulation * 2)
            trial.set_user_attr("oom_retry", True)
            trial.set_user_attr("effective_params", dict(params))
            logger.warning("Trial %d fold %d ran out of memory; retrying with batch_size %d and "
                           "gradient_accumulation %d (same effective batch)", trial.number, fold, batch // 2,
                           accumulation * 2)
            return self._train_fold(trial, params, position, fold, values, trial_run, retry=True)

    def _train_fold(self, trial, params, position, fold, values, trial_run, retry: bool = False) -> dict:
        settings = self.settings
        tracker = settings.tracker
        purpose = RunPurpose(kind="trial", name=settings.study_name, trial=trial.number, fold=fold)
        config = build_training_config(settings.base, params, purpose, settings.inputs, settings.runs_root,
                                       settings.backbone_cache_dir)
        if retry:
            # The first attempt's files stay beside it for the record.
            config = config.model_copy(update={"output_dir": Path(f"{config.output_dir}-oom-retry")})
        config_path = write_run_config(config)
        fold_run = tracker.start_fold(trial_run, trial.number, fold) if tracker and trial_run else None
        env = build_training_env(tracking_uri=tracker.tracking_uri if fold_run else None,
                                 experiment_id=tracker.experiment_id if fold_run else None, run_id=fold_run,
                                 threads=settings.threads, pass_through=settings.pass_through)
        pruned: list[str] = []

        def on_event(event: dict) -> bool:
            if event.get("event") != "epoch" or settings.objective not in event.get("validation", {}):
                return False
            epoch, value = int(event["epoch"]), float(event["validation"][settings.objective])
            running_mean = _running_mean(values, value)
            trial.report(running_mean, pruning_step(position, epoch, settings.epochs_cap))
            logger.debug("Trial %d fold %d/%d epoch %d: %s %.4f (running mean %.4f)", trial.number, position + 1,
                         len(settings.folds), epoch, settings.objective, value, running_mean)
            if trial.should_prune():
                pruned.append(f"pruned at fold {fold} epoch {epoch} (running mean {running_mean:.4f})")
                return True
            return False

        label = f"Trial {trial.number} fold {position + 1}/{len(settings.folds)}"
        try:
            with training_progress(label, config.optimization.epochs) as show_progress:

                def on_event_shown(event: dict) -> bool:
                    show_progress(event)
                    return on_event(event)

                result = execute_training(build_training_command(config_path, settings.launch), env,
                                          config.output_dir, launcher=settings.launcher, on_event=on_event_shown,
                                          timeout_seconds=settings.launch.timeout_seconds,
                                          stop_grace_seconds=settings.launch.stop_grace_seconds)
        except BaseException:  # a failed child, or the parent interrupted: the fold's run failed either way
            if fold_run:
                tracker.finish(fold_run, "FAILED")
            raise
        if result.status == "stopped":
            if fold_run:
                tracker.finish(fold_run, "KILLED")
            raise optuna.TrialPruned(pruned[0] if pruned else "stopped")
        if fold_run:
            tracker.finish(fold_run, "FINISHED")
        metrics = result.metrics
        value = float(metrics["best"][settings.objective])
        logger.info("%s: %s %.4f (best epoch %s of %d), running mean %.4f, %.0f s", label, settings.objective,
                    value, metrics["best_epoch"], metrics["epochs_run"],
                    _running_mean(values, value), result.wall_seconds)
        return metrics

    def _close_trial(self, trial_run: str | None, status: str, tags: dict) -> None:
        tracker = self.settings.tracker
        if tracker is None or trial_run is None:
            return
        tracker.set_tags(trial_run, {f"resume_ner.{key}": value for key, value in tags.items()})
        tracker.finish(trial_run, status)


def _running_mean(finished_folds: list[float], value: float) -> float:
    """The mean over the finished folds' best values and this fold's ``value``."""
    return (sum(finished_folds) + value) / (len(finished_folds) + 1)
