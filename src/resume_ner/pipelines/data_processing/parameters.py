"""Typed parameters of the data_processing pipeline (``conf/base/parameters_data_processing.yml``).

Kedro validates them before any node runs, so a typo fails the run at once with the key named.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from resume_ner.corpus.labels import LabelMapping, OverlapPolicy
from resume_ner.corpus.validation import EmptyTextPolicy


class CorpusParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label_mapping: LabelMapping = Field(default_factory=LabelMapping)
    overlapping_spans: OverlapPolicy = "keep_longest"
    empty_texts: EmptyTextPolicy = "drop"


class NearDuplicateParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ngram: int = Field(3, ge=1)
    threshold: float = Field(0.75, gt=0, le=1)


class SplitParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 42
    holdout_fraction: float = Field(0.15, gt=0, lt=1)
    n_folds: int = Field(5, ge=2)
    near_duplicates: NearDuplicateParameters = Field(default_factory=NearDuplicateParameters)
