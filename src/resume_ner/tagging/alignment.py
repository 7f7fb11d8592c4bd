"""Character spans -> BIO tag ids per sub-token, and per-token tags -> character spans.

Works for any fast tokenizer: texts are tokenised once without special tokens, and labels are given to *units*,
which are whole words (``first`` policy: the word's first sub-token carries the label, the others are ignored)
or single sub-tokens (``all`` policy: every sub-token carries a label, ``I-`` after the first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from resume_ner.corpus.documents import Span
from resume_ner.corpus.labels import OUTSIDE, LabelSchema

IGNORE = -100
SubtokenPolicy = Literal["all", "first"]
SUBTOKEN_POLICIES = ("all", "first")


@dataclass(frozen=True)
class TokenizedText:
    """Sub-tokens of a text, without special tokens: ids, character offsets (whitespace trimmed, so a token of
    whitespace only has an empty range) and the word each belongs to."""

    input_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    word_ids: tuple[int | None, ...]

    def __len__(self) -> int:
        return len(self.input_ids)


def tokenize_text(text: str, tokenizer) -> TokenizedText:
    """Tokenise ``text`` whole (no truncation, no special tokens) with a fast tokenizer."""
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(f"{type(tokenizer).__name__} is not a fast tokenizer; offsets need a tokenizers-backed one")
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    return TokenizedText(
        tuple(encoding["input_ids"]),
        tuple(_trim(text, start, end) for start, end in encoding["offset_mapping"]),
        tuple(encoding.word_ids()),
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without surrounding whitespace: byte-level BPE tokens such as "Ġjava" include the space before."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def units(tokens: TokenizedText, policy: SubtokenPolicy) -> list[list[int]]:
    """Token indices grouped into labelled units: one per word (``first``) or one per token (``all``)."""
    if policy not in SUBTOKEN_POLICIES:
        raise ValueError(f"subtoken_policy must be one of {SUBTOKEN_POLICIES}, got {policy!r}")
    # Tokens of whitespace only (BPE's newline tokens) stay in the model input but are never labelled.
    textual = [index for index, (start, end) in enumerate(tokens.offsets) if end > start]
    if policy == "all":
        return [[index] for index in textual]
    grouped: list[list[int]] = []
    for index in textual:
        word = tokens.word_ids[index]
        if grouped and word is not None and tokens.word_ids[grouped[-1][-1]] == word:
            grouped[-1].append(index)
        else:
            grouped.append([index])
    return grouped


def spans_to_tag_ids(
    tokens: TokenizedText, spans: tuple[Span, ...] | list[Span], schema: LabelSchema, policy: SubtokenPolicy
) -> list[int]:
    """One tag id per sub-token: the first unit a span touches gets ``B-``, later ones ``I-``; a unit touched by
    several spans belongs to the first. Under ``first``, non-first sub-tokens of a word get IGNORE."""
    groups = units(tokens, policy)
    unit_tags = [schema.label2id[OUTSIDE]] * len(groups)
    taken = [False] * len(groups)
    bounds = [(tokens.offsets[group[0]][0], tokens.offsets[group[-1]][1]) for group in groups]
    cursor = 0
    for span in sorted(spans):
        while cursor < len(groups) and bounds[cursor][1] <= span.start:
            cursor += 1
        first = True
        index = cursor
        while index < len(groups) and bounds[index][0] < span.end:
            if not taken[index]:
                unit_tags[index] = schema.begin_id(span.label) if first else schema.inside_id(span.label)
                taken[index] = True
                first = False
            index += 1
    tags = [IGNORE] * len(tokens)
    for group, tag in zip(groups, unit_tags, strict=True):
        # Under "all" a unit is one sub-token; under "first" the word's other sub-tokens stay IGNORE.
        tags[group[0]] = tag
    return tags


def repair_bio(unit_tags: list[int], schema: LabelSchema) -> list[int]:
    """Lenient BIO repair: an ``I-`` that does not continue an entity of its type becomes ``B-``."""
    repaired = []
    previous_entity = None
    for tag in unit_tags:
        prefix, entity = schema.parse_id(tag) if tag != IGNORE else (OUTSIDE, None)
        if prefix == "I" and entity is not None and previous_entity != entity:
            tag = schema.begin_id(entity)
        repaired.append(tag if tag != IGNORE else schema.label2id[OUTSIDE])
        previous_entity = entity
    return repaired


def unit_tag_ids(tokens: TokenizedText, tag_ids: list[int], policy: SubtokenPolicy) -> list[int]:
    """One tag id per unit: the tag of its first sub-token."""
    return [tag_ids[group[0]] for group in units(tokens, policy)]


def tag_ids_to_spans(
    tokens: TokenizedText, tag_ids: list[int], schema: LabelSchema, policy: SubtokenPolicy
) -> list[Span]:
    """Character spans from one predicted tag id per sub-token (IGNORE where no prediction counts).

    Each unit takes the tag of its first sub-token; BIO is repaired first (``repair_bio``).
    """
    unit_tags = repair_bio([tag_ids[group[0]] for group in units(tokens, policy)], schema)
    return unit_tags_to_spans(tokens, unit_tags, schema, policy)


def unit_tags_to_spans(
    tokens: TokenizedText, unit_tags: list[int], schema: LabelSchema, policy: SubtokenPolicy
) -> list[Span]:
    """Character spans from one BIO-valid tag id per unit (``units``): an entity runs from its ``B-`` unit's
    first character to the last character of its last ``I-`` unit."""
    return [span for span, _, _ in unit_tag_runs(tokens, unit_tags, schema, policy)]


def unit_tag_runs(
    tokens: TokenizedText, unit_tags: list[int], schema: LabelSchema, policy: SubtokenPolicy
) -> list[tuple[Span, int, int]]:
    """``unit_tags_to_spans``, each span with the units it covers: ``(span, first unit, last unit + 1)``."""
    groups = units(tokens, policy)
    if len(groups) != len(unit_tags):
        raise ValueError(f"{len(unit_tags)} unit tags for {len(groups)} units")
    runs: list[tuple[Span, int, int]] = []
    for first, last in entity_runs(unit_tags, schema):
        _, entity = schema.parse_id(unit_tags[first])
        start, end = tokens.offsets[groups[first][0]][0], tokens.offsets[groups[last - 1][-1]][1]
        runs.append((Span(start, end, cast(str, entity)), first, last))
    return runs


def entity_runs(unit_tags: Sequence[int], schema: LabelSchema) -> list[tuple[int, int]]:
    """``(first unit, last unit + 1)`` of each entity in BIO-valid ``unit_tags``."""
    runs: list[tuple[int, int]] = []
    first: int | None = None
    for index, tag in enumerate(unit_tags):
        prefix, _ = schema.parse_id(tag)
        if prefix == "I" and first is not None:  # BIO-valid: an I- always continues an open entity
            continue
        if first is not None:
            runs.append((first, index))
            first = None
        if prefix != OUTSIDE:
            first = index
    if first is not None:
        runs.append((first, len(unit_tags)))
    return runs
