"""Typed parameters of training runs: Kedro checks them before any node runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from resume_ner.execution.command import LaunchSettings
from resume_ner.training.config import TrainingSettings
from resume_ner.tuning.best_params import EpochsRule


class EnvironmentSettings(BaseModel):
    """What a child's environment may hold beyond the basics (see ``execution.environment``)."""

    model_config = ConfigDict(extra="forbid")

    # Names of variables (credentials such as MLFLOW_TRACKING_TOKEN) the child may see; values never get logged.
    pass_through: list[str] = Field(default_factory=list)
    threads: int | None = Field(None, ge=1)  # torch/OpenMP threads per child; None: torch's default


class TrainingParameters(BaseModel):
    """The ``training`` parameters shared by hpo, refit and final_training."""

    model_config = ConfigDict(extra="forbid")

    base: TrainingSettings  # how every run trains, before hyperparameters (resume_ner.training.config)
    launch: LaunchSettings = Field(default_factory=LaunchSettings)
    environment: EnvironmentSettings = Field(default_factory=EnvironmentSettings)


class RunParameters(BaseModel):
    """The ``<namespace>.run`` parameters of refit and final_training."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["refit", "final"]
    # Epochs on all training documents: median or max of the CV best epochs, or the epochs hyperparameter.
    epochs_rule: EpochsRule = "median"
