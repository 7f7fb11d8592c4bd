"""Typed parameters of the data_processing pipeline (``conf/base/parameters_data_processing.yml``).

Kedro validates them before any node runs, so a typo fails the run at once with the key named.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, RootModel

from resume_ner.corpus.extra import ExtraCorpusSettings, OtherLabelsPolicy
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


class ExtraCorpusParameters(BaseModel):
    """How one extra training corpus (an entry of the catalog's ``extra_corpora``) maps into the main labels."""

    model_config = ConfigDict(extra="forbid")

    label_mapping: LabelMapping = Field(default_factory=LabelMapping)
    # Labels the main corpus does not have after the mapping: error (name them and stop) or drop.
    other_labels: OtherLabelsPolicy = "error"

    def settings(self) -> ExtraCorpusSettings:
        return ExtraCorpusSettings(self.label_mapping, self.other_labels)


class ExtraCorporaParameters(RootModel[dict[str, ExtraCorpusParameters]]):
    """Per extra corpus (by its name in the catalog's ``extra_corpora``), how it maps into the main labels."""

    root: dict[str, ExtraCorpusParameters] = Field(default_factory=dict)
