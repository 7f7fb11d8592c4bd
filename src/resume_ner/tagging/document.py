"""A whole document through the tagging steps: tokenise, label, window; and back from window predictions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from resume_ner.corpus.documents import Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging.alignment import (
    SubtokenPolicy,
    TokenizedText,
    spans_to_tag_ids,
    tokenize_text,
    unit_tag_runs,
    unit_tags_to_spans,
    units,
)
from resume_ner.tagging.boundaries import BoundaryTrim, trim_unit_tags
from resume_ner.tagging.decoding import Decoding, decode_unit_tags
from resume_ner.tagging.windows import (
    SpecialTokens,
    Window,
    make_windows,
    merge_window_predictions,
    special_tokens_of,
)


class PredictedSpan(NamedTuple):
    """A predicted entity, ``text[start:end]`` of type ``label``, with the model's confidence in it: the mean
    probability of the tag each of its units took (from 0 to 1)."""

    start: int
    end: int
    label: str
    confidence: float

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label)


@dataclass(frozen=True)
class EncodedDocument:
    """A document's sub-tokens, their gold tag ids (None when predicting), its windows, its gold character
    spans as annotated (what character-span scores compare predictions with) and its text (what boundary trimming
    reads)."""

    doc_id: str
    tokens: TokenizedText
    tag_ids: tuple[int, ...] | None
    windows: tuple[Window, ...]
    spans: tuple[Span, ...] = ()
    text: str = ""


def encode_document(
    document: Document | str,
    tokenizer,
    schema: LabelSchema,
    max_length: int,
    stride: int,
    policy: SubtokenPolicy = "first",
    special: SpecialTokens | None = None,
) -> EncodedDocument:
    """Windows for ``document``; a plain string is encoded for prediction (no labels)."""
    text = document if isinstance(document, str) else document.text
    tokens = tokenize_text(text, tokenizer)
    tag_ids = None if isinstance(document, str) else spans_to_tag_ids(tokens, document.spans, schema, policy)
    windows = make_windows(tokens, tag_ids, special or special_tokens_of(tokenizer), max_length, stride)
    doc_id = "<text>" if isinstance(document, str) else document.id
    spans = () if isinstance(document, str) else tuple(document.spans)
    return EncodedDocument(doc_id, tokens, None if tag_ids is None else tuple(tag_ids), tuple(windows), spans, text)


def encode_documents(
    documents: Iterable[Document],
    tokenizer,
    schema: LabelSchema,
    max_length: int,
    stride: int,
    policy: SubtokenPolicy = "first",
) -> dict[str, EncodedDocument]:
    """Each of ``documents`` encoded (``encode_document``), by id."""
    special = special_tokens_of(tokenizer)
    return {doc.id: encode_document(doc, tokenizer, schema, max_length, stride, policy, special) for doc in documents}


def gather_unit_scores(
    encoded: EncodedDocument, window_scores: Sequence[np.ndarray], policy: SubtokenPolicy
) -> np.ndarray:
    """The tag scores of each unit (units x tags): its first sub-token's row, from the window that owns it."""
    merged = merge_window_predictions(list(encoded.windows), window_scores, len(encoded.tokens))
    rows = [merged[group[0]] for group in units(encoded.tokens, policy)]
    if not rows:
        width = window_scores[0].shape[1] if len(window_scores) else 0
        return np.zeros((0, width), dtype=np.float32)
    return np.stack(rows)


def decode_document_tags(
    encoded: EncodedDocument,
    window_scores: Sequence[np.ndarray],
    schema: LabelSchema,
    policy: SubtokenPolicy = "first",
    decoding: Decoding = "viterbi",
    trim: BoundaryTrim | None = None,
) -> list[int]:
    """One BIO-valid tag id per unit of ``encoded``, from each window's log-probabilities (positions x tags);
    with ``trim``, entities lose the edge units it names (``tagging.boundaries``)."""
    tags = decode_unit_tags(gather_unit_scores(encoded, window_scores, policy), schema, decoding)
    return _trimmed(encoded, tags, schema, policy, trim)


def _trimmed(
    encoded: EncodedDocument, tags: list[int], schema: LabelSchema, policy: SubtokenPolicy, trim: BoundaryTrim | None
) -> list[int]:
    if not trim:
        return tags
    offsets = encoded.tokens.offsets
    texts = [encoded.text[offsets[group[0]][0] : offsets[group[-1]][1]] for group in units(encoded.tokens, policy)]
    return trim_unit_tags(tags, texts, schema, trim)


def decode_document(
    encoded: EncodedDocument,
    window_scores: Sequence[np.ndarray],
    schema: LabelSchema,
    policy: SubtokenPolicy = "first",
    decoding: Decoding = "viterbi",
    trim: BoundaryTrim | None = None,
) -> list[Span]:
    """Character spans from each window's log-probabilities (positions x tags)."""
    tags = decode_document_tags(encoded, window_scores, schema, policy, decoding, trim)
    return unit_tags_to_spans(encoded.tokens, tags, schema, policy)


def decode_document_with_confidence(
    encoded: EncodedDocument,
    window_scores: Sequence[np.ndarray],
    schema: LabelSchema,
    policy: SubtokenPolicy = "first",
    decoding: Decoding = "viterbi",
    trim: BoundaryTrim | None = None,
) -> list[PredictedSpan]:
    """``decode_document``'s spans, each with its confidence (``PredictedSpan``)."""
    scores = gather_unit_scores(encoded, window_scores, policy)
    tags = _trimmed(encoded, decode_unit_tags(scores, schema, decoding), schema, policy, trim)
    return [
        PredictedSpan(*span, float(np.exp(scores[np.arange(first, last), tags[first:last]]).mean()))
        for span, first, last in unit_tag_runs(encoded.tokens, tags, schema, policy)
    ]
