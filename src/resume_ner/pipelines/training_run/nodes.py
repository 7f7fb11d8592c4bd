"""Nodes of one training run: plan, snapshot inputs, prepare the run config, record lineage, build command and
environment, execute, collect. The four middle steps are ``resume_ner.execution.steps``, the very functions the hpo
objective calls for every fold of every trial."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from resume_ner.backbones import check_backbone_available
from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError
from resume_ner.execution import RunInputs, RunPurpose, write_run_inputs
from resume_ner.execution.steps import (
    MlflowTarget,
    RunPlan,
    RunRecord,
    RunResult,
    TrainingParameters,
)
from resume_ner.pipelines.training_run.parameters import RunParameters
from resume_ner.tracking.lineage import (
    git_state,
    hyperparameters_hash,
    lineage_tags,
    package_versions,
)
from resume_ner.training.hyperparameters import apply_hyperparameters
from resume_ner.tuning.best_params import BestParams, derive_epochs

logger = logging.getLogger(__name__)


def plan_training_run(
    best_params: dict,
    run: RunParameters,
    training: TrainingParameters,
    workspace: Path,
    init_model: Path | str | None = None,
) -> RunPlan:
    """The run's purpose and name (``<time>-<mlflow run>``), the hyperparameters to train with and the number of
    epochs on all training documents (with the reason); it logs into this ``kedro run``'s MLflow run. Settings
    that cannot train, or a backbone that cannot be had, fail here, before any run folder is made.

    ``best_params`` is the validated best-params record (``BestParamsDataset``). With ``run.init: refit`` the
    run continues from ``init_model`` (refit's checkpoint) for ``run.warm_start.epochs`` epochs at the best
    learning rate times ``run.warm_start.learning_rate_factor``.
    """
    import mlflow

    best = BestParams.model_validate(best_params)
    settings = apply_hyperparameters(
        training.base, best.params, f"for the {run.purpose} run (training.base + best params)"
    )
    init_checkpoint = learning_rate = None
    if run.init == "refit":
        if init_model is None:
            raise UserInputError(f"{run.purpose} run: init: refit needs refit's model; run the refit pipeline first")
        init_checkpoint = str(Path(init_model).resolve())
        epochs = run.warm_start.epochs
        learning_rate = settings.optimization.learning_rate * run.warm_start.learning_rate_factor
        reason = (
            f"warm start from refit's model ({init_checkpoint}): warm_start.epochs at {learning_rate:.3g}, "
            f"{run.warm_start.learning_rate_factor} x the learning rate"
        )
    else:
        epochs, reason = derive_epochs(best, run.epochs_rule, training.base.optimization.epochs)
        check_backbone_available(settings.backbone, Path(workspace) / "backbones")
    logger.info("%s run: %d epochs, from %s", run.purpose, epochs, reason)
    active = mlflow.active_run()
    tracking = (
        MlflowTarget(mlflow.get_tracking_uri(), active.info.experiment_id, active.info.run_id) if active else None
    )
    return RunPlan(
        RunPurpose(
            kind=run.purpose,
            name=_run_name(),
            epochs=epochs,
            init_checkpoint=init_checkpoint,
            learning_rate=learning_rate,
        ),
        best.params,
        Path(workspace),
        tracking,
        reason,
        best.model_dump(exclude={"params"}, exclude_none=True),
    )


def snapshot_run_inputs(plan: RunPlan, corpus: Corpus, folds: dict, label_schema: dict) -> RunInputs:
    """Snapshot the corpus, splits and label schema into the run folder, so the folder alone reproduces the run."""
    return write_run_inputs(plan.purpose.folder(Path(plan.workspace) / "runs"), corpus, folds, label_schema)


def record_lineage(plan: RunPlan, run_config: RunRecord) -> dict:
    """Where this model comes from (study, best trial, hyperparameters, data, code), also set as tags on this
    ``kedro run``'s MLflow run before training starts, so a failed run is traceable too."""
    import mlflow

    source, target = plan.source, plan.tracking
    lineage = {
        "purpose": plan.purpose.kind,
        "run_name": plan.purpose.name,
        "run_dir": str(run_config.run_dir),
        "mlflow_run_id": target.run_id if target else None,
        "mlflow_experiment_id": target.experiment_id if target else None,
        "study_name": source.get("study_name"),
        "study_run_id": source.get("study_run_id"),
        "best_trial_number": source.get("trial_number"),
        "best_trial_run_id": source.get("trial_run_id"),
        "best_trial_value": source.get("value"),
        "hyperparameters": plan.hyperparameters,
        "hyperparameters_hash": hyperparameters_hash(plan.hyperparameters),
        "epochs": run_config.epochs,
        "epochs_reason": plan.epochs_reason,
        "corpus_fingerprint": run_config.inputs.corpus_fingerprint,
        "splits_fingerprint": run_config.inputs.splits_fingerprint,
        **git_state(),
        "packages": package_versions(),
    }
    if target is not None:
        # The child logs the hyperparameters it actually used as params; tags hold the lineage, per purpose
        # because refit and final training may share one `kedro run` (``resume_ner.refit.study_name``).
        record = {key: value for key, value in lineage.items() if key != "hyperparameters"}
        mlflow.set_tags(lineage_tags({plan.purpose.kind: record}))
    return lineage


def collect_training_outputs(run_result: RunResult, lineage: dict) -> tuple[str, dict, dict]:
    """The checkpoint folder to store as the model, the run's metrics, and the lineage record (its
    hyperparameters those the model trained with, an out-of-memory retry's batch included).

    Saved only now, after training succeeded, so a failed run leaves the previous model and records intact.
    """
    if not run_result.checkpoint:
        raise UserInputError(
            f"Training run {run_result.run_dir} saved no checkpoint: set training.base.save_checkpoint to true"
        )
    metrics = {**run_result.metrics, "run_dir": str(run_result.run_dir), "launch_wall_seconds": run_result.wall_seconds}
    if run_result.oom_retry:
        hyperparameters = {
            **lineage["hyperparameters"],
            "batch_size": run_result.oom_retry.batch_size,
            "gradient_accumulation": run_result.oom_retry.gradient_accumulation,
        }
        lineage = {
            **lineage,
            "run_dir": str(run_result.run_dir),
            "oom_retry": True,
            "hyperparameters": hyperparameters,
            "hyperparameters_hash": hyperparameters_hash(hyperparameters),
        }
    return str(run_result.checkpoint), metrics, lineage


def export_model(model: Path, run_result: RunResult) -> str:
    """The model exported for serving (ONNX fp32 and int8, ``resume_ner.export``) into its run folder's
    ``onnx/``; the catalog copies it to its place."""
    from resume_ner.export import export_onnx

    target = Path(run_result.run_dir) / "onnx"
    started = time.perf_counter()
    export_onnx(Path(model), target)
    logger.info("Exported %s to ONNX (fp32 and int8) in %.0f s", model, time.perf_counter() - started)
    return str(target)


def _run_name() -> str:
    import mlflow

    active = mlflow.active_run()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{active.info.run_id[:8]}" if active else stamp
