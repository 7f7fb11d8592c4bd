"""Typed parameters of training runs: Kedro checks them before any node runs. ``params:training`` is
``resume_ner.execution.steps.TrainingParameters``, shared with hpo."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from resume_ner.tuning.best_params import EpochsRule


class RunParameters(BaseModel):
    """The ``<namespace>.run`` parameters of refit and final_training."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["refit", "final"]
    # Epochs on all training documents: median or max of the CV best epochs, or the epochs hyperparameter.
    epochs_rule: EpochsRule = "median"
