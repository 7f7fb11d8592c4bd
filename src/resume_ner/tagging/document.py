"""A whole document through the tagging steps: tokenise, label, window; and back from window predictions."""

from __future__ import annotations

from dataclasses import dataclass

from resume_ner.corpus.documents import Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging.alignment import (
    SubtokenPolicy,
    TokenizedText,
    spans_to_tag_ids,
    tag_ids_to_spans,
    tokenize_text,
)
from resume_ner.tagging.windows import (
    SpecialTokens,
    Window,
    make_windows,
    merge_window_predictions,
    special_tokens_of,
)


@dataclass(frozen=True)
class EncodedDocument:
    """A document's sub-tokens, their gold tag ids (None when predicting) and its windows."""

    doc_id: str
    tokens: TokenizedText
    tag_ids: tuple[int, ...] | None
    windows: tuple[Window, ...]


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
    return EncodedDocument(doc_id, tokens, None if tag_ids is None else tuple(tag_ids), tuple(windows))


def decode_document(
    encoded: EncodedDocument, window_predictions: list[list[int]], schema: LabelSchema, policy: SubtokenPolicy = "first"
) -> list[Span]:
    """Character spans from one predicted tag id per window position."""
    merged = merge_window_predictions(list(encoded.windows), window_predictions, len(encoded.tokens))
    return tag_ids_to_spans(encoded.tokens, merged, schema, policy)
