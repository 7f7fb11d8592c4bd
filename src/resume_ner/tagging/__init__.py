"""Spans <-> windowed BIO labels for any fast tokenizer, and decoding predictions back to spans."""

from resume_ner.tagging.alignment import (
    IGNORE,
    SUBTOKEN_POLICIES,
    TokenizedText,
    spans_to_tag_ids,
    tag_ids_to_spans,
    tokenize_text,
)
from resume_ner.tagging.boundaries import BoundaryTrim, learn_boundary_trim
from resume_ner.tagging.document import (
    EncodedDocument,
    PredictedSpan,
    decode_document,
    decode_document_with_confidence,
    encode_document,
    encode_documents,
)
from resume_ner.tagging.windows import (
    SpecialTokens,
    Window,
    make_windows,
    merge_window_predictions,
    special_tokens_of,
)

__all__ = [
    "IGNORE",
    "SUBTOKEN_POLICIES",
    "BoundaryTrim",
    "EncodedDocument",
    "PredictedSpan",
    "SpecialTokens",
    "TokenizedText",
    "Window",
    "decode_document",
    "decode_document_with_confidence",
    "encode_document",
    "encode_documents",
    "learn_boundary_trim",
    "make_windows",
    "merge_window_predictions",
    "spans_to_tag_ids",
    "special_tokens_of",
    "tag_ids_to_spans",
    "tokenize_text",
]
