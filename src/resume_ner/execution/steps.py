"""The node functions of every training run, shared literally:
``prepare_run_config -> build_command -> build_environment -> execute_run``.

refit and final_training run these very functions as Kedro nodes (``pipelines/training_run``), and the hpo objective
(``tuning/objective.py``) calls them for each fold of each trial, with its pruning callback and the study's launcher
as arguments. They live here, in ``execution``, below both users: ``pipelines`` imports ``tuning`` (the objective,
the best-params record), so a module under ``pipelines/`` that ``tuning`` imported would make a cycle, and Kedro's
``find_pipelines`` expects only pipelines under ``pipelines/``.

The records passed between them are frozen: ``RunPlan`` (why a run happens and with what) in, ``RunRecord`` (where
its config was written) between the steps, ``RunResult`` out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from resume_ner.execution.command import LaunchSettings, build_training_command
from resume_ner.execution.config import (
    OOM_RETRY_SUFFIX,
    RunPurpose,
    build_training_config,
    with_half_batch,
    write_run_config,
)
from resume_ner.execution.environment import build_training_env
from resume_ner.execution.execute import (
    TrainingFailed,
    TrainingResult,
    execute_training,
)
from resume_ner.execution.launchers import Launcher, make_launcher
from resume_ner.execution.run_inputs import RunInputs
from resume_ner.progress import training_progress
from resume_ner.training.config import TrainingSettings, load_run_config
from resume_ner.training.protocol import Event, ProgressEvent

logger = logging.getLogger(__name__)


class EnvironmentSettings(BaseModel):
    """What a child's environment may hold beyond the basics (see ``execution.environment``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Names of variables (credentials such as MLFLOW_TRACKING_TOKEN) the child may see; values never get logged.
    pass_through: list[str] = Field(default_factory=list)
    threads: int | None = Field(None, ge=1)  # torch/OpenMP threads per child; None: torch's default


class TrainingParameters(BaseModel):
    """The ``training`` parameters shared by hpo, refit and final_training."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: TrainingSettings  # how every run trains, before hyperparameters (resume_ner.training.config)
    launch: LaunchSettings = Field(default_factory=LaunchSettings)
    environment: EnvironmentSettings = Field(default_factory=EnvironmentSettings)


@dataclass(frozen=True)
class MlflowTarget:
    """The MLflow run a child logs into (the parent made it; the child never ends it)."""

    tracking_uri: str
    experiment_id: str
    run_id: str


@dataclass(frozen=True)
class RunPlan:
    """Why a run happens (its purpose: a trial's fold, refit or final), what it trains with (hyperparameters on
    ``training.base``), where it lives (``workspace``: ``runs/`` and ``backbones/``) and where it logs."""

    purpose: RunPurpose
    hyperparameters: dict[str, Any]
    workspace: Path
    tracking: MlflowTarget | None = None
    epochs_reason: str = ""  # refit and final: why this many epochs
    source: dict[str, Any] = field(default_factory=dict)  # refit and final: the study and trial the params are from


@dataclass(frozen=True)
class RunRecord:
    """A run whose validated ``config.json`` is written in its folder, ready to start."""

    plan: RunPlan
    config_path: Path
    run_dir: Path
    epochs: int
    inputs: RunInputs

    @property
    def label(self) -> str:
        purpose = self.plan.purpose
        if purpose.kind == "trial":
            return f"Trial {purpose.trial} fold {purpose.fold}"
        return f"{purpose.kind} training {purpose.name}"


@dataclass(frozen=True)
class OomRetry:
    """The batch an out-of-memory retry trained with (the same effective batch as the first attempt)."""

    batch_size: int
    gradient_accumulation: int


@dataclass(frozen=True)
class RunResult:
    """A finished child run: its metrics, checkpoint (None when not saved) and folder (the retry's after one)."""

    metrics: dict[str, Any]
    checkpoint: Path | None
    wall_seconds: float
    run_dir: Path
    config_path: Path
    oom_retry: OomRetry | None = None


class RunStopped(Exception):
    """The child stopped because ``on_event`` asked it to (a pruned trial); ``result`` is what it left."""

    def __init__(self, result: TrainingResult) -> None:
        super().__init__(f"Training run {result.run_dir} was stopped")
        self.result = result


def prepare_run_config(plan: RunPlan, run_inputs: RunInputs, training: TrainingParameters) -> RunRecord:
    """Write the run's validated ``config.json`` (``training.base``, the plan's hyperparameters, then its purpose)
    in its folder (``<workspace>/runs/<purpose>/...``). The planner has checked that its backbone can be had."""
    workspace = Path(plan.workspace)
    config = build_training_config(
        training.base,
        plan.hyperparameters,
        plan.purpose,
        run_inputs,
        workspace / "runs",
        workspace / "backbones",
        workspace / "encodings",
    )
    config_path = write_run_config(config)
    logger.debug("%s run folder: %s", plan.purpose.kind, config.output_dir)
    return RunRecord(plan, config_path, Path(config.output_dir), config.optimization.epochs, run_inputs)


def build_command(run_config: RunRecord, training: TrainingParameters) -> list[str]:
    """The child's argument list (see ``execution.build_training_command``)."""
    return build_training_command(run_config.config_path, training.launch)


def build_environment(run_config: RunRecord, training: TrainingParameters) -> dict[str, str]:
    """The child's environment; it logs into the plan's MLflow run, when there is one."""
    target = run_config.plan.tracking
    return build_training_env(
        tracking_uri=target.tracking_uri if target else None,
        experiment_id=target.experiment_id if target else None,
        run_id=target.run_id if target else None,
        threads=training.environment.threads,
        pass_through=training.environment.pass_through,
    )


def execute_run(
    command: list[str],
    environment: dict[str, str],
    run_config: RunRecord,
    training: TrainingParameters,
    on_event: Callable[[ProgressEvent], bool] | None = None,
    launcher: Launcher | None = None,
    oom_retry: bool = True,
) -> RunResult:
    """Run the child and follow it (its epochs logged and shown); a failed child raises ``TrainingFailed``, a child
    that ``on_event`` asked to stop (a truthy return) raises ``RunStopped``.

    A child that runs out of memory is run once more (when ``training.launch.oom_retry`` and ``oom_retry``) with
    half the batch and twice the gradient accumulation, in a folder of its own beside the first attempt's; its
    MLflow records carry the prefix ``<purpose>-oom-retry.``. ``launcher``: the study's shared one, else one per run.
    """
    launch = training.launch
    launcher = launcher or make_launcher(launch)
    try:
        return _follow(command, environment, run_config, launch, launcher, on_event)
    except TrainingFailed as failure:
        retry = with_half_batch(load_run_config(run_config.config_path), max(1, launch.gpus))
        if not (failure.result.out_of_memory and launch.oom_retry and oom_retry and retry is not None):
            raise
    kind = run_config.plan.purpose.kind
    retry = retry.model_copy(
        update={"tracking": retry.tracking.model_copy(update={"prefix": f"{kind}{OOM_RETRY_SUFFIX}."})}
    )
    logger.warning(
        "%s ran out of memory; retrying with batch_size %d and gradient_accumulation %d (same effective batch) in %s",
        run_config.label,
        retry.optimization.batch_size,
        retry.optimization.gradient_accumulation,
        retry.output_dir,
    )
    retried = replace(run_config, config_path=write_run_config(retry), run_dir=Path(retry.output_dir))
    result = _follow(
        build_training_command(retried.config_path, launch), environment, retried, launch, launcher, on_event
    )
    return replace(result, oom_retry=OomRetry(retry.optimization.batch_size, retry.optimization.gradient_accumulation))


def _follow(
    command: list[str],
    environment: dict[str, str],
    run: RunRecord,
    launch: LaunchSettings,
    launcher: Launcher,
    on_event: Callable[[ProgressEvent], bool] | None,
) -> RunResult:
    """One child run of ``run``, its epochs logged and shown."""
    log_progress = _log_progress(run.label, run.epochs)
    with training_progress(run.label, run.epochs) as show_progress:

        def follow(event: ProgressEvent) -> bool:
            log_progress(event)
            show_progress(event)
            return bool(on_event(event)) if on_event else False

        result = execute_training(
            command,
            environment,
            run.run_dir,
            launcher=launcher,
            on_event=follow,
            timeout_seconds=launch.timeout_seconds,
            stop_grace_seconds=launch.stop_grace_seconds,
        )
    if result.status == "stopped":
        raise RunStopped(result)
    if result.status != "completed":
        raise TrainingFailed(result)
    logger.info("%s finished in %.1f s", run.label, result.wall_seconds)
    assert result.metrics is not None, "execute_training reads metrics.json of every completed run"
    return RunResult(result.metrics, result.checkpoint, result.wall_seconds, run.run_dir, run.config_path)


def _log_progress(label: str, epochs: int) -> Callable[[ProgressEvent], None]:
    def on_event(event: ProgressEvent) -> None:
        if event["event"] == Event.DATA_READY:
            logger.info(
                "%s: %s training documents, %s windows, on %s (%s)",
                label,
                event["train_documents"],
                event["train_windows"],
                event["device"],
                event["precision"],
            )
        elif event["event"] == Event.EPOCH:
            logger.info(
                "%s: epoch %s/%d, train loss %.4f (%.0f s)",
                label,
                event["epoch"],
                epochs,
                event["train_loss"],
                event["elapsed"],
            )

    return on_event
