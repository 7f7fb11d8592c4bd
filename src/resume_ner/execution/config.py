"""Build the run config of one training run: base parameters, then hyperparameters, then the run's purpose.

The same function serves a fold of an HPO trial, the refit and the final training; only the purpose differs.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resume_ner.corpus.formats.records import write_text_atomically
from resume_ner.errors import UserInputError
from resume_ner.execution.run_inputs import RunInputs
from resume_ner.training.config import CONFIG_FILE, RunConfig, describe_validation_error

# Short names a user writes in a best-params file or a search space, and the run config key each one sets.
HYPERPARAMETER_KEYS = {
    "learning_rate": "optimization.learning_rate",
    "batch_size": "optimization.batch_size",
    "gradient_accumulation": "optimization.gradient_accumulation",
    "weight_decay": "optimization.weight_decay",
    "warmup_ratio": "optimization.warmup_ratio",
    "dropout": "optimization.dropout",
    "epochs": "optimization.epochs",
    "max_grad_norm": "optimization.max_grad_norm",
    "seed": "optimization.seed",
    "backbone": "backbone.name",
    "num_layers": "backbone.num_layers",
    "max_length": "tokenization.max_length",
    "stride": "tokenization.stride",
    "subtoken_policy": "tokenization.subtoken_policy",
    "patience": "early_stopping.patience",
}


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

    @model_validator(mode="after")
    def _trial_has_fold(self) -> RunPurpose:
        if (self.kind == "trial") != (self.trial is not None and self.fold is not None):
            raise ValueError("a trial run needs trial and fold numbers; refit and final runs take neither")
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
        overrides: dict[str, Any] = {"data.fold": "all", "early_stopping.patience": None,
                                     "tracking.prefix": f"{self.kind}."}
        if self.epochs is not None:
            overrides["optimization.epochs"] = self.epochs
        return overrides


def hyperparameter_overrides(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """Map short names (``learning_rate``) or dotted run-config keys (``optimization.learning_rate``) to keys."""
    overrides = {}
    for name, value in hyperparameters.items():
        key = HYPERPARAMETER_KEYS.get(name, name)
        if key.split(".")[0] not in RunConfig.model_fields:
            raise UserInputError(
                f"hyperparameter {name!r} is not a training setting; use one of {', '.join(HYPERPARAMETER_KEYS)} "
                f"or a dotted run-config key such as optimization.max_grad_norm")
        overrides[key] = value
    return overrides


def _set(config: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        child = config.get(key)
        if not isinstance(child, dict):
            child = config[key] = {}
        config = child
    config[last] = value


def build_training_config(
    base: dict[str, Any],
    hyperparameters: dict[str, Any],
    purpose: RunPurpose,
    inputs: RunInputs,
    runs_root: Path,
    backbone_cache_dir: Path,
) -> RunConfig:
    """A validated run config. Precedence, lowest first: ``base`` (the ``training`` parameters),
    ``hyperparameters``, then the purpose (fold, epochs, no early stopping without validation) and the run's own
    inputs and folder, which nothing can override."""
    config = copy.deepcopy(dict(base))
    for key, value in hyperparameter_overrides(hyperparameters).items():
        _set(config, key, value)
    for key, value in purpose.overrides().items():
        _set(config, key, value)
    config["data"] = {**config.get("data", {}), **inputs.as_data_config()}
    config.pop("entity_types", None)
    config["label_schema"] = str(inputs.label_schema)
    config["output_dir"] = str(purpose.folder(runs_root).resolve())
    config["backbone_cache_dir"] = str(Path(backbone_cache_dir).resolve())
    try:
        return RunConfig.model_validate(config)
    except ValidationError as error:
        source = f"for the {purpose.kind} run {purpose.name} (training parameters + hyperparameters)"
        raise UserInputError(describe_validation_error(error, source)) from None


def write_run_config(config: RunConfig) -> Path:
    """Write ``config`` as ``config.json`` in its run folder (atomically) and return the file's path."""
    path = Path(config.output_dir) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, config.to_json())
    return path
