"""Punctuation at an entity's edges that the corpus's annotators leave out, learned from their spans.

Annotators follow a convention about the punctuation around an entity, and the training spans show it: on the
dotin resumes a comma follows 3,796 spans and ends 17, while a closing bracket ends about half of the spans it
borders (``(Hons)``). ``learn_boundary_trim`` keeps the characters that border enough spans (``MIN_EVIDENCE``)
and end (or start) almost none of them (under ``MAX_INSIDE_SHARE``); ``trim_unit_tags`` then moves units made only
of such characters out of the ends of decoded entities. Fast tokenizers give punctuation units of their own, so a
model that tagged ``Java ,`` as one skill predicts ``Java`` once trimmed. Checkpoints record what was learned, so
prediction trims as validation did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from resume_ner.corpus.documents import Document
from resume_ner.corpus.labels import OUTSIDE, LabelSchema
from resume_ner.tagging.alignment import entity_runs

MIN_EVIDENCE = 5  # spans a character must border (as their edge or just outside it) to be judged at all
MAX_INSIDE_SHARE = 0.05  # a character is trimmed when fewer than this share of the spans it borders include it


@dataclass(frozen=True)
class BoundaryTrim:
    """Characters no entity ends with (``end``) or starts with (``start``)."""

    end: str = ""
    start: str = ""

    def __bool__(self) -> bool:
        return bool(self.end or self.start)

    def to_dict(self) -> dict[str, str]:
        return {"end": self.end, "start": self.start}

    @classmethod
    def from_dict(cls, data: Any) -> BoundaryTrim:
        if not isinstance(data, dict) or set(data) - {"end", "start"}:
            raise ValueError(f"boundary_trim must be a mapping with 'end' and 'start' strings, got {data!r}")
        end, start = data.get("end", ""), data.get("start", "")
        if not isinstance(end, str) or not isinstance(start, str):
            raise ValueError(f"boundary_trim's 'end' and 'start' must be strings, got {data!r}")
        return cls(end, start)


def _is_edge_character(character: str) -> bool:
    return not character.isalnum() and not character.isspace()


def learn_boundary_trim(documents: Iterable[Document]) -> BoundaryTrim:
    """The punctuation the annotations of ``documents`` leave out of their spans' ends and starts."""
    ends_inside: Counter[str] = Counter()
    ends_outside: Counter[str] = Counter()
    starts_inside: Counter[str] = Counter()
    starts_outside: Counter[str] = Counter()
    for document in documents:
        text = document.text
        for span in document.spans:
            if span.end <= span.start:
                continue
            for inside, outside, inner, outer in (
                (ends_inside, ends_outside, span.end - 1, span.end),
                (starts_inside, starts_outside, span.start, span.start - 1),
            ):
                if _is_edge_character(text[inner]):
                    inside[text[inner]] += 1
                if 0 <= outer < len(text) and _is_edge_character(text[outer]):
                    outside[text[outer]] += 1
    return BoundaryTrim(
        end=_rarely_inside(ends_inside, ends_outside), start=_rarely_inside(starts_inside, starts_outside)
    )


def _rarely_inside(inside: Counter[str], outside: Counter[str]) -> str:
    kept = []
    for character in sorted(set(inside) | set(outside)):
        bordered = inside[character] + outside[character]
        if bordered >= MIN_EVIDENCE and inside[character] < MAX_INSIDE_SHARE * bordered:
            kept.append(character)
    return "".join(kept)


def trim_unit_tags(
    unit_tags: Sequence[int], unit_texts: Sequence[str], schema: LabelSchema, trim: BoundaryTrim
) -> list[int]:
    """``unit_tags`` (BIO-valid, one per unit) with each entity's edge units that consist only of ``trim``'s
    characters made outside; an entity that keeps a unit keeps its type, one that keeps none disappears."""
    if len(unit_tags) != len(unit_texts):
        raise ValueError(f"{len(unit_tags)} unit tags for {len(unit_texts)} unit texts")
    tags = list(unit_tags)
    if not trim:
        return tags
    outside = schema.label2id[OUTSIDE]
    for first, last in entity_runs(tags, schema):
        while last > first and _only(unit_texts[last - 1], trim.end):
            tags[last - 1] = outside
            last -= 1
        while first < last and _only(unit_texts[first], trim.start):
            tags[first] = outside
            first += 1
        _, entity = schema.parse_id(tags[first]) if first < last else (OUTSIDE, None)
        if entity is not None:
            tags[first] = schema.begin_id(entity)
    return tags


def _only(text: str, characters: str) -> bool:
    return bool(text) and all(character in characters for character in text)
