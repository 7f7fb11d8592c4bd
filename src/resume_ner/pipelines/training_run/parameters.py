"""Typed parameters of training runs: Kedro checks them before any node runs. ``params:training`` is
``resume_ner.execution.steps.TrainingParameters``, shared with hpo."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from resume_ner.tuning.best_params import EpochsRule


class WarmStartParameters(BaseModel):
    """How the final model continues from refit's (``init: refit``)."""

    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(1, ge=1)
    # The best trial's learning rate times this.
    learning_rate_factor: float = Field(0.3, gt=0, le=1)


class RunParameters(BaseModel):
    """The ``<namespace>.run`` parameters of refit and final_training."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["refit", "final"]
    # Epochs on all training documents: median or max of the CV best epochs, or the epochs hyperparameter.
    epochs_rule: EpochsRule = "median"
    # The final model: trained from the backbone (scratch), or refit's model trained on for warm_start.epochs at a
    # lower learning rate on every document (refit).
    init: Literal["scratch", "refit"] = "scratch"
    warm_start: WarmStartParameters = Field(default_factory=WarmStartParameters)

    @model_validator(mode="after")
    def _warm_start_is_final(self) -> RunParameters:
        if self.init == "refit" and self.purpose != "final":
            raise ValueError("init: refit is for the final run; refit itself trains from the backbone")
        return self


class ServingParameters(BaseModel):
    """The ``serving`` parameters: the bars an exported model must meet, and how latency is measured."""

    model_config = ConfigDict(extra="forbid")

    # fp32 ONNX must predict the same spans as PyTorch on at least this share of them (hold-out texts).
    min_span_agreement: float = Field(0.995, ge=0, le=1)
    # int8 ONNX may lose at most this much strict character-span micro F1 against PyTorch on the hold-out set.
    max_int8_f1_loss: float = Field(0.01, ge=0, le=1)
    # Resumes per call for the throughput figure, and how many hold-out texts to time (null: all of them).
    latency_batch_size: int = Field(16, ge=1)
    latency_texts: int | None = Field(None, ge=1)
    # The Model Registry name of the pyfunc model; its alias `champion` follows refit's hold-out score.
    registered_model_name: str = Field("resume-ner", min_length=1)
