"""The run config: everything one training run needs, validated. The config file is the single source of truth
of a run and is kept in its run folder as ``config.json``.

``TrainingSettings`` is how a run trains (the ``training.base`` parameters, with hyperparameters set on it);
``RunConfig`` is those settings plus what each run owns (its data, folder, labels, tracking, progress stream).
Every model here is frozen: a changed setting is a new, validated object (``model_copy`` or ``model_validate``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from resume_ner.backbones import BackboneSpec
from resume_ner.corpus.formats import READERS
from resume_ner.corpus.labels import LabelSchema
from resume_ner.errors import UserInputError, describe_validation_error
from resume_ner.tagging.decoding import Decoding

Objective = Literal[
    "micro_f1",
    "macro_f1",
    "micro_precision",
    "micro_recall",
    "token_accuracy",
    "char_strict_micro_f1",
    "char_relaxed_micro_f1",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    corpus: Path
    corpus_format: str = "json"
    splits: Path
    # A fold index validates on that fold and trains on the others; "all" trains on every training document;
    # "all_with_holdout" on every document of the corpus, the hold-out set included (the final, shipped model).
    fold: int | Literal["all", "all_with_holdout"] = 0

    @field_validator("corpus_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in READERS:
            raise ValueError(f"must be one of {', '.join(READERS)}")
        return value

    @field_validator("fold")
    @classmethod
    def _non_negative(cls, value):
        if isinstance(value, int) and value < 0:
            raise ValueError("must be 'all', 'all_with_holdout' or a fold index >= 0")
        return value


class TokenizationConfig(_Strict):
    max_length: int = Field(128, ge=8, le=8192)
    stride: int = Field(32, ge=0)  # sub-tokens consecutive windows share, at validation and prediction
    # The overlap of training windows; None: ``stride``. Less overlap trains fewer tokens per epoch, but the shared
    # ones are worth training twice (dotin, 0 against 32: 13% faster, 0.018 strict F1 lower).
    train_stride: int | None = Field(None, ge=0)
    subtoken_policy: Literal["first", "all"] = "first"

    @model_validator(mode="after")
    def _stride_fits(self) -> TokenizationConfig:
        for name in ("stride", "train_stride"):
            value = getattr(self, name)
            if value is not None and value >= self.max_length // 2:
                raise ValueError(f"{name} ({value}) must be less than half of max_length ({self.max_length})")
        return self

    @property
    def training_stride(self) -> int:
        return self.stride if self.train_stride is None else self.train_stride


class OptimizationConfig(_Strict):
    learning_rate: float = Field(5e-5, gt=0, le=1)
    batch_size: int = Field(16, ge=1, le=4096)
    gradient_accumulation: int = Field(1, ge=1, le=1024)
    weight_decay: float = Field(0.01, ge=0, le=1)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    dropout: float | None = Field(0.1, ge=0, lt=1)  # None keeps the backbone's own dropout
    attention_dropout: float | None = Field(None, ge=0, lt=1)  # on attention probabilities; None: as dropout
    epochs: int = Field(3, ge=1, le=1000)
    max_grad_norm: float | None = Field(1.0, gt=0)
    seed: int = 42
    # Share of each target's probability spread over the other tags (training loss only): a softer target for the
    # long, rare types whose boundaries annotators disagree on.
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    # The token-classification head starts from random weights where the encoder is pre-trained: it may learn
    # faster. Its learning rate is learning_rate times this.
    head_learning_rate_scale: float = Field(1.0, gt=0, le=1000)
    # Layer-wise learning-rate decay: encoder layer k of L trains at learning_rate * layer_decay ** (L - k) and the
    # embeddings at layer_decay ** L, so the general lower layers move less than the task-near upper ones; 1: off.
    layer_decay: float = Field(1.0, gt=0, le=1)


class EarlyStoppingConfig(_Strict):
    patience: int | None = Field(None, ge=1)  # epochs without improvement before stopping; None: off
    min_delta: float = Field(0.0, ge=0)


class TrackingConfig(_Strict):
    """An MLflow run the parent created; the program logs into it and never creates, renames or ends it."""

    tracking_uri: str | None = None
    run_id: str | None = None
    # Put before every param and metric name: runs that share one MLflow run (refit and final training in one
    # `kedro run`) keep their records apart ("refit.train_loss", "final.train_loss").
    prefix: str = Field("", pattern=r"^([A-Za-z0-9_-]+\.)?$")


class TrainingSettings(_Strict):
    """How a run trains: the run config minus what each run owns (``RUN_OWNED_FIELDS``). The ``training.base``
    parameters are one; a study's trial, refit and final training set hyperparameters on it."""

    backbone: BackboneSpec
    tokenization: TokenizationConfig = Field(default_factory=TokenizationConfig)
    optimization: OptimizationConfig = Field(default_factory=OptimizationConfig)
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)
    objective: Objective = "micro_f1"
    # How tag scores become spans, at validation and in the saved model (``tagging.decoding``).
    decoding: Decoding = "viterbi"
    # learned: entities lose the edge punctuation the training spans leave out (``tagging.boundaries``); none: kept.
    boundary_trim: Literal["learned", "none"] = "learned"
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    device: str = "auto"
    # How a run runs, not what it learns: a study's definition leaves these out (``what_a_trial_measures``).
    threads: int | None = Field(None, ge=1)
    eval_batch_size: int = Field(64, ge=1)
    save_checkpoint: bool = True
    progress_every_steps: int = Field(50, ge=1)

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", value):
            raise ValueError("must be auto, cpu, cuda, cuda:N or mps")
        return value

    def what_a_trial_measures(self) -> dict:
        """These settings as JSON, every default filled in (so writing a default out or leaving it to the program
        is the same), without those that change how a run runs but not what it learns."""
        measured = self.model_dump(
            mode="json", exclude={"threads", "eval_batch_size", "save_checkpoint", "progress_every_steps"}
        )
        # Unset, these train as before they existed: studies named from these settings before then keep their names.
        for section, key in (("tokenization", "train_stride"), ("optimization", "attention_dropout")):
            if measured[section][key] is None:
                del measured[section][key]
        return measured


class RunConfig(TrainingSettings):
    """One run's config: its ``TrainingSettings`` and the fields the run owns (see ``RUN_OWNED_FIELDS``)."""

    backbone_cache_dir: Path = Path("data/06_models/backbones")
    # Where the validated corpus and its windows are kept for the next run on the same corpus file, tokenizer and
    # tokenisation settings (training/encodings.py); null: read and tokenise every time.
    encoding_cache_dir: Path | None = None
    # The label set: listed, or read from a label_schema.json that data_processing wrote (then both are kept).
    entity_types: list[str] = Field(min_length=1)
    label_schema: Path | None = None
    data: DataConfig
    output_dir: Path
    # Where progress events go besides the run folder's progress.jsonl: a file or FIFO path, or "fd:N" for a
    # pipe the parent passed down.
    progress: str | None = None
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    # Start from this trained checkpoint of the same labels (its weights, head included, and its tokenizer)
    # instead of the backbone: a warm start, for example the final model continuing from refit's.
    init_checkpoint: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _entity_types_from_schema_file(cls, data):
        if isinstance(data, dict) and "entity_types" not in data and data.get("label_schema"):
            path = Path(data["label_schema"])
            try:
                data = {**data, "entity_types": LabelSchema.from_dict(json.loads(path.read_text("utf-8"))).entity_types}
            except FileNotFoundError:
                raise ValueError(f"label_schema: {path} does not exist") from None
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"label_schema: {path} is not a label schema ({error})") from None
        return data

    @field_validator("entity_types")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError("must be distinct, non-empty names")
        return value

    @field_validator("progress")
    @classmethod
    def _progress(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("fd:") and not value[3:].isdigit():
            raise ValueError("a pipe is named fd:N with N a file descriptor number")
        return value

    @property
    def labels(self) -> LabelSchema:
        """The tag set of ``entity_types`` (``schema`` would shadow pydantic's ``BaseModel.schema``)."""
        return LabelSchema(tuple(self.entity_types))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2)


# The fields a run owns: set by whoever plans the run (its purpose, inputs and folder), never by training settings.
RUN_OWNED_FIELDS = tuple(name for name in RunConfig.model_fields if name not in TrainingSettings.model_fields)


def with_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the (run or training) config ``data`` with ``overrides`` (dotted paths -> values) set on it. An
    override that picks another backbone than ``data`` names drops ``data``'s settings of that backbone
    (``num_layers`` of minilm, ``tiny`` of tiny-bert), which do not apply to the chosen one."""
    data = copy.deepcopy(dict(data))
    chosen = overrides.get("backbone.name")
    current = data.get("backbone")
    if not isinstance(current, dict):
        current = {}
    if chosen is not None and str(chosen).strip().lower() != str(current.get("name", "")).strip().lower():
        data["backbone"] = {}
    for dotted, value in overrides.items():
        target = data
        *parents, last = dotted.split(".")
        for key in parents:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[last] = value
    return data


def load_run_config(path: Path, overrides: dict | None = None) -> RunConfig:
    """Read and validate a run config file; ``overrides`` maps dotted keys to values (``optimization.epochs``)."""
    from pydantic import ValidationError

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(f"Run config {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserInputError(f"Run config {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise UserInputError(f"Run config {path} must be a JSON object")
    data = with_overrides(data, overrides or {})
    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        raise UserInputError(describe_validation_error(error, f"Invalid run config {path}")) from None
