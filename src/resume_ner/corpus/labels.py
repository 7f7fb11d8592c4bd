"""Label policies (mapping, overlaps) and the label schema every later step reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sortedcontainers import SortedList

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
        logger.warning(
            "Label mapping names label(s) not in %s: %s (present: %s)", corpus.source, unknown, sorted(present)
        )
    dropped = set(mapping.drop)
    # Only documents holding a mapped label are rebuilt: with nothing to map (the default) the corpus passes
    # through as it is, instead of every document and span being made again.
    mapped = (set(mapping.rename) | dropped) & present
    documents = [
        doc.with_spans(
            Span(span.start, span.end, mapping.rename.get(span.label, span.label))
            for span in doc.spans
            if span.label not in dropped
        )
        if any(span.label in mapped for span in doc.spans)
        else doc
        for doc in corpus
    ]
    removed = sum(len(doc.spans) for doc in corpus) - sum(len(doc.spans) for doc in documents)
    if mapping.rename or mapping.drop:
        logger.info(
            "Label mapping: %d label(s) renamed, %d dropped (%d spans removed)",
            len(set(mapping.rename) & present),
            len(dropped & present),
            removed,
        )
    return corpus.replace(documents)


OverlapPolicy = Literal["error", "keep_longest"]


def resolve_overlaps(corpus: Corpus, policy: OverlapPolicy = "keep_longest", max_problems: int = 50) -> Corpus:
    """Make spans disjoint: drop exact duplicates, then fail on overlaps (``error``) or keep the longest span of
    each overlapping set (``keep_longest``; ties go to the earlier span).

    Spans are taken longest first (ties: earlier start, then label); a span is kept unless it overlaps a span
    kept before it. ``error`` lists every span that is not kept, with the first-kept span it overlaps.
    O(n log n) in a document's n spans.
    """
    if policy not in ("error", "keep_longest"):
        raise ValueError(f"overlapping_spans must be 'error' or 'keep_longest', got {policy!r}")
    collector = ProblemCollector(corpus.source, max_problems)
    documents, duplicates, dropped = [], 0, 0
    for doc in corpus:
        if _disjoint(doc.spans):  # most documents: nothing to resolve, nothing to rebuild
            documents.append(doc)
            continue
        unique = sorted(set(doc.spans))
        duplicates += len(doc.spans) - len(unique)
        kept, clashes = _longest_first(unique)
        for span, clash in clashes:
            if policy == "error":
                collector.add(
                    f"document {doc.id!r}", "overlapping-spans", f"overlaps span {list(clash)}", span=str(list(span))
                )
        dropped += len(clashes)
        documents.append(doc.with_spans(kept))
    collector.raise_if_any("Fix them in the file, or set corpus.overlapping_spans: keep_longest.")
    if duplicates:
        logger.info("Removed %d duplicate span(s) from %s", duplicates, corpus.source)
    if dropped:
        logger.info("Overlapping spans: kept the longest, dropped %d shorter span(s) in %s", dropped, corpus.source)
    return corpus.replace(documents)


def _disjoint(spans: tuple[Span, ...]) -> bool:
    """Whether spans sorted by (start, end, label) hold no duplicate and no overlapping pair, in one pass: a span
    overlaps an earlier one exactly when it starts before the furthest end so far."""
    reach, previous = None, None
    for span in spans:
        if span == previous or (reach is not None and span.start < reach):
            return False
        reach = span.end if reach is None else max(reach, span.end)
        previous = span
    return True


def _longest_first(spans: list[Span]) -> tuple[list[Span], list[tuple[Span, Span]]]:
    """The spans kept (longest first, each unless it overlaps one kept before it) and, for each span not kept
    in the order they were considered, the first-kept span it overlaps.

    The kept spans never overlap one another, so sorted by (start, end) their ends do not decrease either: the
    kept spans that overlap a new span are the few just before the first kept span starting at or after its
    end. A sorted list finds them in O(log n) instead of comparing the new span with every kept span (a resume
    with 84,000 spans did not finish in 15 minutes that way). Spans have ``start <= end`` (checked on reading).
    """
    kept = SortedList()  # (start, end, rank): rank is the order spans were kept in, for the first-kept clash
    clashes: list[tuple[Span, Span]] = []
    by_rank: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start, s.label)):
        first_kept = None
        # Every kept span before `index` starts before span.end; walking back, they overlap while they end after
        # span.start (at most two can: each is at least as long as the span, and they are disjoint).
        index = kept.bisect_left((span.end,))
        while index > 0:
            index -= 1
            _, end, rank = kept[index]
            if end <= span.start:
                break
            if first_kept is None or rank < first_kept:
                first_kept = rank
        if first_kept is None:
            kept.add((span.start, span.end, len(by_rank)))
            by_rank.append(span)
        else:
            clashes.append((span, by_rank[first_kept]))
    return by_rank, clashes


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
