"""Label policies (mapping, overlaps) and the label schema every later step reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from resume_ner.corpus.documents import Corpus, Span
from resume_ner.corpus.problems import ProblemCollector

logger = logging.getLogger(__name__)

OUTSIDE = "O"
BIO_PREFIXES = ("B", "I")


class LabelMapping(BaseModel):
    """``rename`` maps old label -> new label (several old labels with one new label merge them); ``drop`` removes."""

    model_config = ConfigDict(extra="forbid")

    rename: dict[str, str] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> LabelMapping:
        both = sorted(set(self.rename) & set(self.drop))
        if both:
            raise ValueError(f"label(s) {both} are both renamed and dropped; keep one of the two")
        empty = sorted(old for old, new in self.rename.items() if not new.strip())
        if empty:
            raise ValueError(f"label(s) {empty} are renamed to an empty name; use drop to remove them")
        return self


def apply_label_mapping(corpus: Corpus, mapping: LabelMapping) -> Corpus:
    """Rename, merge and drop labels; warn about mapped labels the corpus does not have (likely typos)."""
    present = set(corpus.label_counts())
    unknown = sorted((set(mapping.rename) | set(mapping.drop)) - present)
    if unknown:
        logger.warning("Label mapping names label(s) not in %s: %s (present: %s)", corpus.source, unknown, sorted(present))
    dropped = set(mapping.drop)
    documents = [
        doc.with_spans(
            Span(span.start, span.end, mapping.rename.get(span.label, span.label))
            for span in doc.spans
            if span.label not in dropped
        )
        for doc in corpus
    ]
    removed = sum(len(doc.spans) for doc in corpus) - sum(len(doc.spans) for doc in documents)
    if mapping.rename or mapping.drop:
        logger.info("Label mapping: %d label(s) renamed, %d dropped (%d spans removed)",
                    len(set(mapping.rename) & present), len(dropped & present), removed)
    return corpus.replace(documents)


OverlapPolicy = Literal["error", "keep_longest"]


def resolve_overlaps(corpus: Corpus, policy: OverlapPolicy = "keep_longest", max_problems: int = 50) -> Corpus:
    """Make spans disjoint: drop exact duplicates, then fail on overlaps (``error``) or keep the longest span of
    each overlapping set (``keep_longest``; ties go to the earlier span)."""
    if policy not in ("error", "keep_longest"):
        raise ValueError(f"overlapping_spans must be 'error' or 'keep_longest', got {policy!r}")
    collector = ProblemCollector(corpus.source, max_problems)
    documents, duplicates, dropped = [], 0, 0
    for doc in corpus:
        unique = sorted(set(doc.spans))
        duplicates += len(doc.spans) - len(unique)
        kept: list[Span] = []
        for span in sorted(unique, key=lambda s: (s.start - s.end, s.start, s.label)):
            clash = next((other for other in kept if span.start < other.end and other.start < span.end), None)
            if clash is None:
                kept.append(span)
            elif policy == "error":
                collector.add(f"document {doc.id!r}", "overlapping-spans",
                              f"overlaps span {list(clash)}", span=str(list(span)))
            else:
                dropped += 1
        documents.append(doc.with_spans(kept))
    collector.raise_if_any("Fix them in the file, or set corpus.overlapping_spans: keep_longest.")
    if duplicates:
        logger.info("Removed %d duplicate span(s) from %s", duplicates, corpus.source)
    if dropped:
        logger.info("Overlapping spans: kept the longest, dropped %d shorter span(s) in %s", dropped, corpus.source)
    return corpus.replace(documents)


@dataclass(frozen=True)
class LabelSchema:
    """Entity types and their BIO tags with fixed ids: ``O`` is 0, then ``B-T``, ``I-T`` per type in order."""

    entity_types: tuple[str, ...]
    entity_counts: dict[str, int] = field(default_factory=dict, compare=False)

    @classmethod
    def from_corpus(cls, corpus: Corpus) -> LabelSchema:
        counts = corpus.label_counts()
        if not counts:
            raise ValueError(f"Corpus {corpus.source} has no entities left after label mapping; nothing to learn")
        return cls(tuple(sorted(counts)), {label: counts[label] for label in sorted(counts)})

    @property
    def tags(self) -> list[str]:
        return [OUTSIDE] + [f"{prefix}-{entity}" for entity in self.entity_types for prefix in BIO_PREFIXES]

    @property
    def label2id(self) -> dict[str, int]:
        return {tag: index for index, tag in enumerate(self.tags)}

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.tags))

    def begin_id(self, entity_type: str) -> int:
        return 1 + 2 * self.entity_types.index(entity_type)

    def inside_id(self, entity_type: str) -> int:
        return 2 + 2 * self.entity_types.index(entity_type)

    def parse_id(self, tag_id: int) -> tuple[str, str | None]:
        """``("B", type)``, ``("I", type)`` or ``("O", None)``, from the id alone: a type's own letters never count."""
        if tag_id == 0:
            return OUTSIDE, None
        return BIO_PREFIXES[(tag_id - 1) % 2], self.entity_types[(tag_id - 1) // 2]

    def to_dict(self) -> dict:
        return {
            "scheme": "BIO",
            "entity_types": list(self.entity_types),
            "tags": self.tags,
            "label2id": self.label2id,
            "id2label": {str(index): tag for index, tag in self.id2label.items()},
            "entity_counts": dict(self.entity_counts),
        }

    @classmethod
    def from_dict(cls, data: dict) -> LabelSchema:
        schema = cls(tuple(data["entity_types"]), dict(data.get("entity_counts", {})))
        if data.get("tags", schema.tags) != schema.tags:
            raise ValueError("label schema is inconsistent: its tags do not follow from its entity types")
        return schema
