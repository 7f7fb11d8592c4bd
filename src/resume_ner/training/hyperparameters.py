"""The hyperparameters, in one table: short name <-> run-config path <-> flag of ``python -m resume_ner.training``.

The search space, the best-params record, run-config building and the training program's flags all read it. Adding
a hyperparameter that reaches the training loop is a field in ``config.py``, a row here and its use in ``loop.py``.
A hyperparameter may also be written as any dotted path of the training settings (``optimization.max_grad_norm``);
normalising gives each setting one spelling: its short name where it has one, else its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from resume_ner.errors import UserInputError, describe_validation_error
from resume_ner.training.config import TrainingSettings, with_overrides


def _fold(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


@dataclass(frozen=True)
class Setting:
    """A run-config setting with a short name and a flag of the training program (``--learning-rate``)."""

    name: str
    path: str  # dotted run-config path
    parse: Callable[[str], Any] = str  # the flag's text -> the value
    help: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


HYPERPARAMETERS = (
    Setting("learning_rate", "optimization.learning_rate", float),
    Setting("batch_size", "optimization.batch_size", int),
    Setting("gradient_accumulation", "optimization.gradient_accumulation", int),
    Setting("weight_decay", "optimization.weight_decay", float),
    Setting("warmup_ratio", "optimization.warmup_ratio", float),
    Setting("dropout", "optimization.dropout", float),
    Setting("attention_dropout", "optimization.attention_dropout", float),
    Setting("epochs", "optimization.epochs", int),
    Setting("max_grad_norm", "optimization.max_grad_norm", float),
    Setting("seed", "optimization.seed", int),
    Setting("label_smoothing", "optimization.label_smoothing", float),
    Setting(
        "head_learning_rate_scale",
        "optimization.head_learning_rate_scale",
        float,
        help="the head's learning rate as a multiple of learning_rate",
    ),
    Setting("layer_decay", "optimization.layer_decay", float, help="layer-wise learning-rate decay (1: off)"),
    Setting("backbone", "backbone.name", help="minilm, tiny-bert, a model folder or a hub id"),
    Setting("num_layers", "backbone.num_layers", int, help="minilm only: keep its first k layers"),
    Setting("max_length", "tokenization.max_length", int),
    Setting("stride", "tokenization.stride", int),
    Setting("train_stride", "tokenization.train_stride", int, help="overlap of training windows"),
    Setting("subtoken_policy", "tokenization.subtoken_policy", help="first or all"),
    Setting("patience", "early_stopping.patience", int),
    Setting("decoding", "decoding", help="viterbi (BIO-constrained) or argmax"),
    Setting("boundary_trim", "boundary_trim", help="learned (drop edge punctuation the annotations leave out) or none"),
)
# Flags of the training program that set where and how one run runs; no study searches them.
RUN_SETTINGS = (
    Setting("output_dir", "output_dir", Path, help="the run folder"),
    Setting(
        "fold", "data.fold", _fold, help="a fold index, or 'all' to train on every training document without validation"
    ),
    Setting("device", "device", help="auto, cpu, cuda, cuda:N"),
    Setting("precision", "precision", help="auto, bf16 or fp32"),
)
PATHS = {setting.name: setting.path for setting in HYPERPARAMETERS}
_NAMES = {setting.path: setting.name for setting in HYPERPARAMETERS}


def canonical_hyperparameter(name: str) -> str:
    """The one spelling of a hyperparameter: its short name where it has one (``optimization.learning_rate`` ->
    ``learning_rate``), else its dotted training-settings path (``optimization.max_grad_norm``)."""
    if name in PATHS:
        return name
    if name in _NAMES:
        return _NAMES[name]
    if name.split(".")[0] not in TrainingSettings.model_fields:
        raise UserInputError(
            f"hyperparameter {name!r} is not a training setting; use one of {', '.join(PATHS)} "
            f"or a dotted run-config key such as optimization.max_grad_norm"
        )
    return name


def normalise_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """``hyperparameters`` with every name in its one spelling (see ``canonical_hyperparameter``), in order; two
    spellings of one hyperparameter (``epochs`` and ``optimization.epochs``) are an error naming both."""
    normalised: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for name, value in hyperparameters.items():
        canonical = canonical_hyperparameter(name)
        if canonical in normalised:
            raise UserInputError(
                f"{spelled[canonical]!r} and {name!r} are the same hyperparameter "
                f"({PATHS.get(canonical, canonical)}); keep one of them"
            )
        normalised[canonical], spelled[canonical] = value, name
    return normalised


def hyperparameter_value(settings: TrainingSettings, name: str) -> Any:
    """The value ``settings`` give the hyperparameter ``name`` (a short name or a dotted path)."""
    value: Any = settings.model_dump(mode="json")
    for key in PATHS.get(name, name).split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def hyperparameter_paths(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Short names (``learning_rate``) or dotted paths (``optimization.learning_rate``) -> dotted paths."""
    return {PATHS.get(name, name): value for name, value in normalise_hyperparameters(hyperparameters).items()}


def apply_hyperparameters(
    settings: TrainingSettings, hyperparameters: Mapping[str, Any], source: str = ""
) -> TrainingSettings:
    """``settings`` with ``hyperparameters`` set on it, validated; a hyperparameter that picks another backbone
    drops the settings of the base's backbone. Invalid values fail with one line naming ``source`` and each key."""
    if not hyperparameters:
        return settings
    data = with_overrides(settings.model_dump(mode="json"), hyperparameter_paths(hyperparameters))
    try:
        return TrainingSettings.model_validate(data)
    except ValidationError as error:
        raise UserInputError(describe_validation_error(error, f"Invalid training settings {source}".rstrip())) from None
