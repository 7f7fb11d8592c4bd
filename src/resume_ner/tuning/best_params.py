"""The best-params record: what ``hpo`` writes and ``refit``/``final_training`` read (a user may write it by hand).

Example (YAML)::

    params:                 # required: hyperparameter short names or dotted run-config keys, each once
      learning_rate: 3.0e-4
      batch_size: 16
      dropout: 0.1
    best_epochs: [4, 5, 4]  # optional: each fold's best epoch in the best trial
    study_name: resume-ner-1a2b3c  # optional lineage, filled in by hpo
    study_run_id: 0f3c...
    trial_number: 7
    trial_run_id: 9e1d...
    value: 0.71
    objective: micro_f1
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from resume_ner.errors import UserInputError, describe_validation_error
from resume_ner.training.hyperparameters import normalise_hyperparameters

EpochsRule = Literal["median", "max", "params"]


class BestParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    params: dict[str, Any]
    best_epochs: list[int] | None = None
    study_name: str | None = None
    study_run_id: str | None = None
    trial_number: int | None = Field(None, ge=0)
    trial_run_id: str | None = None
    value: float | None = None
    objective: str | None = None

    @field_validator("best_epochs")
    @classmethod
    def _positive(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or any(epoch < 1 for epoch in value)):
            raise ValueError("must list at least one epoch, each at least 1")
        return value

    @field_validator("params")
    @classmethod
    def _one_spelling(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return normalise_hyperparameters(value)
        except UserInputError as error:
            raise ValueError(str(error)) from None


def parse_best_params(data: Any, source: str) -> BestParams:
    """Validate a loaded best-params file; one line naming the file and each bad key otherwise."""
    if not isinstance(data, dict):
        raise UserInputError(
            f"Best-params file {source} must be a mapping with a 'params' key, got {type(data).__name__}"
        )
    try:
        return BestParams.model_validate(data)
    except ValidationError as error:
        raise UserInputError(describe_validation_error(error, f"Invalid best-params file {source}")) from None


def derive_epochs(best: BestParams, rule: EpochsRule, base_epochs: int) -> tuple[int, str]:
    """How many epochs to train on all training documents, and a sentence saying why.

    ``median``: the median of the folds' best epochs, rounded half up; ``max``: the largest; ``params``: the
    ``epochs`` hyperparameter. Without recorded best epochs, ``median`` and ``max`` fall back to ``params``, and
    ``params`` without an ``epochs`` entry falls back to the base training parameters; each fallback is said.
    """
    params_epochs = best.params.get("epochs")
    if rule in ("median", "max") and best.best_epochs:
        value = math.floor(statistics.median(best.best_epochs) + 0.5) if rule == "median" else max(best.best_epochs)
        return value, f"{rule} of the folds' best epochs {best.best_epochs}"
    fallback = "" if rule == "params" else f" (rule {rule!r} needs best_epochs, which the file does not record)"
    if params_epochs is not None:
        return int(params_epochs), f"the epochs hyperparameter{fallback}"
    return base_epochs, f"the base training parameters (no epochs hyperparameter){fallback}"
