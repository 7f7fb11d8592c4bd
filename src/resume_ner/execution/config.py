"""Build the run config of one training run: base parameters, then hyperparameters, then the run's purpose.

The same function serves a fold of an HPO trial, the refit and the final training; only the purpose differs.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resume_ner.errors import UserInputError
from resume_ner.execution.run_inputs import RunInputs
from resume_ner.files import write_text_atomically
from resume_ner.training.config import RunConfig, describe_validation_error
from resume_ner.training.protocol import CONFIG_FILE

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


_SHORT_NAMES = {key: name for name, key in HYPERPARAMETER_KEYS.items()}


def canonical_hyperparameter(name: str) -> str:
    """The one spelling of a hyperparameter: its short name where it has one (``optimization.learning_rate`` ->
    ``learning_rate``), else its dotted run-config key (``optimization.max_grad_norm``)."""
    if name in HYPERPARAMETER_KEYS:
        return name
    if name in _SHORT_NAMES:
        return _SHORT_NAMES[name]
    if name.split(".")[0] not in RunConfig.model_fields:
        raise UserInputError(
            f"hyperparameter {name!r} is not a training setting; use one of {', '.join(HYPERPARAMETER_KEYS)} "
            f"or a dotted run-config key such as optimization.max_grad_norm")
    return name


def normalise_hyperparameters(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """``hyperparameters`` with every name in its one spelling (see ``canonical_hyperparameter``), in order; two
    spellings of one hyperparameter (``epochs`` and ``optimization.epochs``) are an error naming both."""
    normalised: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for name, value in hyperparameters.items():
        canonical = canonical_hyperparameter(name)
        if canonical in normalised:
            raise UserInputError(f"{spelled[canonical]!r} and {name!r} are the same hyperparameter "
                                 f"({HYPERPARAMETER_KEYS.get(canonical, canonical)}); keep one of them")
        normalised[canonical], spelled[canonical] = value, name
    return normalised


def hyperparameter_overrides(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """Map short names (``learning_rate``) or dotted run-config keys (``optimization.learning_rate``) to keys."""
    return {HYPERPARAMETER_KEYS.get(name, name): value
            for name, value in normalise_hyperparameters(hyperparameters).items()}


def _set(config: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        child = config.get(key)
        if not isinstance(child, dict):
            child = config[key] = {}
        config = child
    config[last] = value


def merge_hyperparameters(base: dict[str, Any], hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` (run-config keys) with ``hyperparameters`` set on it. A hyperparameter that picks
    another backbone than the base one drops the base's settings of that backbone (``num_layers`` of minilm,
    ``tiny`` of tiny-bert), which do not apply to the chosen one."""
    config = copy.deepcopy(dict(base))
    overrides = hyperparameter_overrides(hyperparameters)
    if _switches_backbone(config, overrides):
        config["backbone"] = {}
    for key, value in overrides.items():
        _set(config, key, value)
    return config


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
    config = merge_hyperparameters(base, hyperparameters)
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


def _switches_backbone(base: dict[str, Any], overrides: dict[str, Any]) -> bool:
    """Whether ``overrides`` choose a backbone other than the one ``base`` describes."""
    base_backbone = base.get("backbone") if isinstance(base.get("backbone"), dict) else {}
    chosen = overrides.get("backbone.name")
    return chosen is not None and str(chosen).strip().lower() != str(base_backbone.get("name", "")).strip().lower()


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
    smaller = optimization.model_copy(update={"batch_size": half,
                                              "gradient_accumulation": optimization.gradient_accumulation * 2})
    return config.model_copy(update={"optimization": smaller,
                                     "output_dir": Path(f"{config.output_dir}{OOM_RETRY_SUFFIX}")})


def retried_hyperparameters(hyperparameters: dict[str, Any], retry: RunConfig) -> dict[str, Any]:
    """``hyperparameters`` (normalised) with the batch size and accumulation of the out-of-memory retry ``retry``:
    what a later run must use to train as the retry did."""
    return {**normalise_hyperparameters(hyperparameters), "batch_size": retry.optimization.batch_size,
            "gradient_accumulation": retry.optimization.gradient_accumulation}


# Run-config keys a run owns (its data, folder, labels, tracking) or that change how it runs, not what it learns.
RUN_OWNED_KEYS = ("data", "entity_types", "label_schema", "output_dir", "backbone_cache_dir", "tracking", "progress",
                  "progress_every_steps", "eval_batch_size", "save_checkpoint", "threads")


def resolved_training_settings(base: dict[str, Any], hyperparameters: dict[str, Any] | None = None,
                               source: str = "training.base") -> dict[str, Any]:
    """The training settings ``base`` (with ``hyperparameters`` set on it) stands for, every default filled in (so
    writing a default out or leaving it to the program is the same), without what each run owns: how every run
    of a study trains. Invalid settings fail here with one line naming ``source`` and each bad key."""
    placeholders = {"data": {"corpus": ".", "splits": "."}, "entity_types": ["ENTITY"], "output_dir": "."}
    config = {**merge_hyperparameters(base, hyperparameters or {}), **placeholders}
    config.pop("label_schema", None)
    try:
        validated = RunConfig.model_validate(config)
    except ValidationError as error:
        raise UserInputError(describe_validation_error(error, source)) from None
    return validated.model_dump(mode="json", exclude=set(RUN_OWNED_KEYS))


def write_run_config(config: RunConfig) -> Path:
    """Write ``config`` as ``config.json`` in its run folder (atomically) and return the file's path."""
    path = Path(config.output_dir) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, config.to_json())
    return path
