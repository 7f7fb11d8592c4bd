"""Build the run config of one training run: training settings, then hyperparameters, then the run's purpose.

The same function serves a fold of an HPO trial, the refit and the final training; only the purpose differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resume_ner.errors import UserInputError, describe_validation_error
from resume_ner.execution.run_inputs import RunInputs
from resume_ner.files import write_text_atomically
from resume_ner.training.config import (
    RunConfig,
    TrainingSettings,
    with_overrides,
)
from resume_ner.training.hyperparameters import (
    apply_hyperparameters,
    normalise_hyperparameters,
)
from resume_ner.training.protocol import CONFIG_FILE


class RunPurpose(BaseModel):
    """Why a run happens, which decides its folder and the settings no hyperparameter may change.

    ``trial``: fold ``fold`` of trial ``trial`` of study ``name``; ``refit`` and ``final``: train on every
    training document with no validation set, for ``epochs`` epochs when given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["trial", "refit", "final"]
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    trial: int | None = Field(None, ge=0)
    fold: int | None = Field(None, ge=0)
    epochs: int | None = Field(None, ge=1)
    # A warm start: the trained checkpoint to continue from, at this learning rate (final training from refit).
    init_checkpoint: str | None = None
    learning_rate: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _trial_has_fold(self) -> RunPurpose:
        if (self.kind == "trial") != (self.trial is not None and self.fold is not None):
            raise ValueError("a trial run needs trial and fold numbers; refit and final runs take neither")
        if self.init_checkpoint is not None and self.kind != "final":
            raise ValueError("only the final run starts from a trained checkpoint (init_checkpoint)")
        return self

    def folder(self, runs_root: Path) -> Path:
        """``runs/<kind>/<name>[/trial-<n>/fold-<k>]``: one self-contained folder per run."""
        folder = Path(runs_root) / self.kind / self.name
        if self.kind == "trial":
            folder = folder / f"trial-{self.trial}" / f"fold-{self.fold}"
        return folder

    def overrides(self) -> dict[str, Any]:
        if self.kind == "trial":
            return {"data.fold": self.fold}
        overrides: dict[str, Any] = {
            # Refit is scored on the hold-out set, so it never sees it; the final model learns from every document.
            "data.fold": "all_with_holdout" if self.kind == "final" else "all",
            "early_stopping.patience": None,
            "tracking.prefix": f"{self.kind}.",
        }
        if self.epochs is not None:
            overrides["optimization.epochs"] = self.epochs
        if self.init_checkpoint is not None:
            overrides["init_checkpoint"] = self.init_checkpoint
        if self.learning_rate is not None:
            overrides["optimization.learning_rate"] = self.learning_rate
        return overrides


def build_training_config(
    settings: TrainingSettings,
    hyperparameters: Mapping[str, Any],
    purpose: RunPurpose,
    inputs: RunInputs,
    runs_root: Path,
    backbone_cache_dir: Path,
    encoding_cache_dir: Path | None = None,
) -> RunConfig:
    """A validated run config. Precedence, lowest first: ``settings`` (the ``training.base`` parameters),
    ``hyperparameters``, then the purpose (fold, epochs, no early stopping without validation) and the run's own
    inputs and folder, which nothing can override."""
    trained = apply_hyperparameters(
        settings, hyperparameters, f"for the {purpose.kind} run {purpose.name} (training.base + hyperparameters)"
    )
    config = with_overrides(trained.model_dump(mode="json"), purpose.overrides())
    config["data"] = {**config.get("data", {}), **inputs.as_data_config()}
    config["label_schema"] = str(inputs.label_schema)
    config["output_dir"] = str(purpose.folder(runs_root).resolve())
    config["backbone_cache_dir"] = str(Path(backbone_cache_dir).resolve())
    if encoding_cache_dir is not None:
        config["encoding_cache_dir"] = str(Path(encoding_cache_dir).resolve())
    try:
        return RunConfig.model_validate(config)
    except ValidationError as error:
        raise UserInputError(
            describe_validation_error(error, f"Invalid run config for the {purpose.kind} run {purpose.name}")
        ) from None


OOM_RETRY_SUFFIX = "-oom-retry"


def with_half_batch(config: RunConfig, processes: int = 1) -> RunConfig | None:
    """The config of a run's out-of-memory retry: half the batch and twice the gradient accumulation (the same
    effective batch, so the same recipe), in a folder of its own beside the first attempt's. None when halving
    would change the recipe or cannot run: a batch of 1, an odd batch, or (under torchrun with ``processes``
    ranks) a half that no longer splits evenly across the ranks."""
    optimization = config.optimization
    half = optimization.batch_size // 2
    if half < 1 or optimization.batch_size % 2 or half % processes:
        return None
    smaller = optimization.model_copy(
        update={"batch_size": half, "gradient_accumulation": optimization.gradient_accumulation * 2}
    )
    return config.model_copy(
        update={"optimization": smaller, "output_dir": Path(f"{config.output_dir}{OOM_RETRY_SUFFIX}")}
    )


def retried_hyperparameters(
    hyperparameters: dict[str, Any], batch_size: int, gradient_accumulation: int
) -> dict[str, Any]:
    """``hyperparameters`` (normalised) with the batch size and accumulation of an out-of-memory retry: what a
    later run must use to train as the retry did."""
    return {
        **normalise_hyperparameters(hyperparameters),
        "batch_size": batch_size,
        "gradient_accumulation": gradient_accumulation,
    }


def write_run_config(config: RunConfig) -> Path:
    """Write ``config`` as ``config.json`` in its run folder (atomically) and return the file's path."""
    path = Path(config.output_dir) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, config.to_json())
    return path
