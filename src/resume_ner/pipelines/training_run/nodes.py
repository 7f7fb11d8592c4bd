"""Nodes of one training run: plan, build config, record lineage, build command and environment, execute,
collect. They call the shared ``resume_ner.execution`` steps, which the hpo study calls for every fold too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from resume_ner.backbones import check_backbone_available
from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError
from resume_ner.execution import (
    RunPurpose,
    TrainingFailed,
    TrainingResult,
    build_training_command,
    build_training_config,
    build_training_env,
    execute_training,
    make_launcher,
    with_half_batch,
    write_run_config,
    write_run_inputs,
)
from resume_ner.execution.config import OOM_RETRY_SUFFIX
from resume_ner.pipelines.training_run.parameters import (
    RunParameters,
    TrainingParameters,
)
from resume_ner.progress import training_progress
from resume_ner.tracking.lineage import (
    git_state,
    hyperparameters_hash,
    lineage_tags,
    package_versions,
)
from resume_ner.training.config import load_run_config
from resume_ner.training.hyperparameters import apply_hyperparameters
from resume_ner.tuning.best_params import BestParams, derive_epochs

logger = logging.getLogger(__name__)


def plan_training_run(best_params: dict, run: RunParameters, training: TrainingParameters) -> dict:
    """The hyperparameters to train with and the number of epochs on all training documents (with the reason).

    ``best_params`` is the validated best-params record (``BestParamsDataset``).
    """
    best = BestParams.model_validate(best_params)
    epochs, reason = derive_epochs(best, run.epochs_rule, training.base.optimization.epochs)
    logger.info("%s run: %d epochs, from %s", run.purpose, epochs, reason)
    return {"purpose": run.purpose, "hyperparameters": best.params, "epochs": epochs, "epochs_reason": reason,
            "source": best.model_dump(exclude={"params"}, exclude_none=True)}


def prepare_training_run(plan: dict, corpus: Corpus, folds: dict, label_schema: dict, workspace: Path,
                         training: TrainingParameters) -> dict:
    """Make the run folder (``<workspace>/runs/<purpose>/<time>-<mlflow run>``) with a snapshot of its inputs and
    its validated ``config.json``; return where they are."""
    purpose = RunPurpose(kind=plan["purpose"], name=_run_name(), epochs=plan["epochs"])
    settings = apply_hyperparameters(training.base, plan["hyperparameters"],
                                     f"for the {plan['purpose']} run (training.base + best params)")
    check_backbone_available(settings.backbone, Path(workspace) / "backbones")
    runs_root = Path(workspace) / "runs"
    inputs = write_run_inputs(purpose.folder(runs_root), corpus, folds, label_schema)
    config = build_training_config(settings, {}, purpose, inputs, runs_root,
                                   Path(workspace) / "backbones")
    config_path = write_run_config(config)
    logger.info("%s run folder: %s", plan["purpose"], config.output_dir)
    return {"config_path": str(config_path), "run_dir": str(config.output_dir), "run_name": purpose.name,
            "purpose": plan["purpose"], "epochs": config.optimization.epochs,
            "corpus_fingerprint": inputs.corpus_fingerprint, "splits_fingerprint": inputs.splits_fingerprint}


def record_lineage(plan: dict, run: dict) -> dict:
    """Where this model comes from (study, best trial, hyperparameters, data, code), also set as tags on this
    ``kedro run``'s MLflow run before training starts, so a failed run is traceable too."""
    import mlflow

    active = mlflow.active_run()
    source = plan["source"]
    lineage = {
        "purpose": plan["purpose"],
        "run_name": run["run_name"],
        "run_dir": run["run_dir"],
        "mlflow_run_id": active.info.run_id if active else None,
        "mlflow_experiment_id": active.info.experiment_id if active else None,
        "study_name": source.get("study_name"),
        "study_run_id": source.get("study_run_id"),
        "best_trial_number": source.get("trial_number"),
        "best_trial_run_id": source.get("trial_run_id"),
        "best_trial_value": source.get("value"),
        "hyperparameters": plan["hyperparameters"],
        "hyperparameters_hash": hyperparameters_hash(plan["hyperparameters"]),
        "epochs": plan["epochs"],
        "epochs_reason": plan["epochs_reason"],
        "corpus_fingerprint": run["corpus_fingerprint"],
        "splits_fingerprint": run["splits_fingerprint"],
        **git_state(),
        "packages": package_versions(),
    }
    if active is not None:
        # The child logs the hyperparameters it actually used as params; tags hold the lineage, per purpose
        # because refit and final training may share one `kedro run` (``resume_ner.refit.study_name``).
        record = {key: value for key, value in lineage.items() if key != "hyperparameters"}
        mlflow.set_tags(lineage_tags({plan["purpose"]: record}))
    return lineage


def build_command(run: dict, training: TrainingParameters) -> list[str]:
    """The child's argument list (see ``execution.build_training_command``)."""
    return build_training_command(Path(run["config_path"]), training.launch)


def build_environment(lineage: dict, training: TrainingParameters) -> dict[str, str]:
    """The child's environment; it logs into this ``kedro run``'s MLflow run (the ids from the lineage)."""
    import mlflow

    run_id = lineage.get("mlflow_run_id")
    return build_training_env(
        tracking_uri=mlflow.get_tracking_uri() if run_id else None,
        experiment_id=lineage.get("mlflow_experiment_id"),
        run_id=run_id,
        threads=training.environment.threads,
        pass_through=training.environment.pass_through,
    )


def execute_run(command: list[str], environment: dict[str, str], run: dict, training: TrainingParameters) -> dict:
    """Run the child and follow it, logging each epoch; a failed child raises ``TrainingFailed``.

    A child that runs out of memory is run once more, as hpo trials are, with half the batch and twice the
    gradient accumulation (``training.launch.oom_retry``), in a folder of its own beside the first attempt's;
    its MLflow records carry the prefix ``<purpose>-oom-retry.``.
    """
    launch = training.launch
    try:
        result = _follow(command, environment, run, launch)
        retry = None
    except TrainingFailed as failure:
        retry = with_half_batch(load_run_config(Path(run["config_path"])), max(1, launch.gpus))
        if not (failure.result.out_of_memory and launch.oom_retry and retry is not None):
            raise
        retry = retry.model_copy(update={"tracking": retry.tracking.model_copy(
            update={"prefix": f"{run['purpose']}{OOM_RETRY_SUFFIX}."})})
        logger.warning("%s training ran out of memory; retrying with batch_size %d and gradient_accumulation %d "
                       "(same effective batch) in %s", run["purpose"], retry.optimization.batch_size,
                       retry.optimization.gradient_accumulation, retry.output_dir)
        run = {**run, "config_path": str(write_run_config(retry)), "run_dir": str(retry.output_dir)}
        result = _follow(build_training_command(Path(run["config_path"]), launch), environment, run, launch)
    return {"metrics": result.metrics, "checkpoint": str(result.checkpoint) if result.checkpoint else None,
            "wall_seconds": result.wall_seconds, "run_dir": run["run_dir"], "config_path": run["config_path"],
            "oom_retry": None if retry is None else {"batch_size": retry.optimization.batch_size,
                                                     "gradient_accumulation": retry.optimization.gradient_accumulation}}


def _follow(command: list[str], environment: dict[str, str], run: dict, launch) -> TrainingResult:
    """One child run of ``run``, its epochs logged and shown."""
    label = f"{run['purpose']} training {run['run_name']}"
    log_progress = _log_progress(label, run["epochs"])
    with training_progress(f"{run['purpose']} training", run["epochs"]) as show_progress:

        def on_event(event: dict) -> None:
            log_progress(event)
            show_progress(event)

        result = execute_training(command, environment, Path(run["run_dir"]), launcher=make_launcher(launch),
                                  on_event=on_event, timeout_seconds=launch.timeout_seconds,
                                  stop_grace_seconds=launch.stop_grace_seconds)
    if result.status != "completed":  # nothing here asks a child to stop, but never store a stopped run
        raise TrainingFailed(result)
    logger.info("%s finished in %.1f s", label, result.wall_seconds)
    return result


def collect_training_outputs(result: dict, lineage: dict) -> tuple[str, dict, dict]:
    """The checkpoint folder to store as the model, the run's metrics, and the lineage record (its
    hyperparameters those the model trained with, an out-of-memory retry's batch included).

    Saved only now, after training succeeded, so a failed run leaves the previous model and records intact.
    """
    if not result["checkpoint"]:
        raise UserInputError(f"Training run {result['run_dir']} saved no checkpoint: set "
                             f"training.base.save_checkpoint to true")
    metrics = {**result["metrics"], "run_dir": result["run_dir"], "launch_wall_seconds": result["wall_seconds"]}
    if result.get("oom_retry"):
        hyperparameters = {**lineage["hyperparameters"], **result["oom_retry"]}
        lineage = {**lineage, "run_dir": result["run_dir"], "oom_retry": True, "hyperparameters": hyperparameters,
                   "hyperparameters_hash": hyperparameters_hash(hyperparameters)}
    return result["checkpoint"], metrics, lineage


def _run_name() -> str:
    import mlflow

    active = mlflow.active_run()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{active.info.run_id[:8]}" if active else stamp


def _log_progress(label: str, epochs: int):
    def on_event(event: dict) -> None:
        kind = event.get("event")
        if kind == "data_ready":
            logger.info("%s: %s training documents, %s windows, on %s (%s)", label, event.get("train_documents"),
                        event.get("train_windows"), event.get("device"), event.get("precision"))
        elif kind == "epoch":
            logger.info("%s: epoch %s/%d, train loss %.4f (%.0f s)", label, event.get("epoch"), epochs,
                        event.get("train_loss", float("nan")), event.get("elapsed", 0))

    return on_event
