"""Label mapping, overlap policies and the label schema."""

from __future__ import annotations

import logging

import pytest
from conftest import make_document
from pydantic import ValidationError

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.labels import (
    LabelMapping,
    LabelSchema,
    apply_label_mapping,
    resolve_overlaps,
)
from resume_ner.corpus.problems import CorpusValidationError


def _corpus(*documents: Document) -> Corpus:
    return Corpus(documents, source="test.json")


def test_mapping_renames_merges_and_drops(caplog):
    doc = make_document("d", [("Jane", "Name"), " at ", ("Acme", "Companies worked at"), " uses ",
                              ("Python", "Tech Tools"), " and ", ("Kanban", "Job Specific Skills"), " ",
                              ("kind", "Soft Skills")])
    mapping = LabelMapping(
        rename={"Companies worked at": "COMPANY", "Tech Tools": "SKILL", "Job Specific Skills": "SKILL",
                "Nmae": "NAME"},
        drop=["Soft Skills"],
    )
    with caplog.at_level(logging.WARNING):
        mapped = apply_label_mapping(_corpus(doc), mapping)
    assert [s.label for s in mapped.documents[0].spans] == ["Name", "COMPANY", "SKILL", "SKILL"]
    assert "Nmae" in caplog.text  # a mapped label the corpus lacks is most likely a typo


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rename": {"A": "B"}, "drop": ["A"]}, "both renamed and dropped"),
        ({"rename": {"A": " "}}, "renamed to an empty name"),
        ({"renames": {"A": "B"}}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_mappings_are_refused(settings, message):
    with pytest.raises(ValidationError, match=message):
        LabelMapping(**settings)


def _overlapping() -> Document:
    # "Senior Data Engineer" (TITLE) contains "Data Engineer" (TITLE) and overlaps "Engineer at" (ORG).
    return Document("d", "Senior Data Engineer at Acme", (Span(0, 20, "TITLE"), Span(7, 20, "TITLE"),
                                                           Span(12, 23, "ORG"), Span(24, 28, "ORG"),
                                                           Span(24, 28, "ORG")))


def test_keep_longest_drops_shorter_overlapping_spans_and_duplicates(caplog):
    with caplog.at_level(logging.INFO):
        resolved = resolve_overlaps(_corpus(_overlapping()), "keep_longest")
    assert resolved.documents[0].spans == (Span(0, 20, "TITLE"), Span(24, 28, "ORG"))
    assert "dropped 2 shorter span(s)" in caplog.text
    assert "Removed 1 duplicate span(s)" in caplog.text


def test_error_policy_lists_every_overlap():
    with pytest.raises(CorpusValidationError) as caught:
        resolve_overlaps(_corpus(_overlapping()), "error")
    assert [p.rule for p in caught.value.problems] == ["overlapping-spans", "overlapping-spans"]
    assert "document 'd', span [7, 20, 'TITLE']: overlaps span [0, 20, 'TITLE']" in str(caught.value)


def test_equal_length_overlaps_keep_the_earlier_span():
    doc = Document("d", "abcdef", (Span(2, 5, "Y"), Span(0, 3, "X")))
    assert resolve_overlaps(_corpus(doc)).documents[0].spans == (Span(0, 3, "X"),)


def test_schema_ids_and_round_trip():
    corpus = _corpus(make_document("d", [("Ada", "NAME"), " ", ("x@y.z", "EMAIL"), " ", ("Go", "SKILL"),
                                         " ", ("Go", "SKILL")]))
    schema = LabelSchema.from_corpus(corpus)
    assert schema.tags == ["O", "B-EMAIL", "I-EMAIL", "B-NAME", "I-NAME", "B-SKILL", "I-SKILL"]
    assert schema.label2id["I-SKILL"] == 6 and schema.id2label[3] == "B-NAME"
    assert schema.entity_counts == {"EMAIL": 1, "NAME": 1, "SKILL": 2}
    assert LabelSchema.from_dict(schema.to_dict()) == schema
    broken = schema.to_dict() | {"tags": ["O", "B-NAME"]}
    with pytest.raises(ValueError, match="inconsistent"):
        LabelSchema.from_dict(broken)


def test_entity_types_that_look_like_prefixes_are_parsed_from_ids_not_letters():
    schema = LabelSchema(("B", "BIRTHDATE", "E-MAIL", "I", "IT", "O", "SKILL"))
    for tag_id, tag in schema.id2label.items():
        prefix, entity = schema.parse_id(tag_id)
        assert tag == ("O" if prefix == "O" else f"{prefix}-{entity}")
    assert schema.parse_id(schema.begin_id("SKILL")) == ("B", "SKILL")
    assert schema.parse_id(schema.inside_id("E-MAIL")) == ("I", "E-MAIL")
    assert schema.parse_id(schema.begin_id("O")) == ("B", "O")


def test_a_corpus_without_entities_has_no_schema():
    with pytest.raises(ValueError, match="no entities left after label mapping"):
        LabelSchema.from_corpus(_corpus(Document("d", "text")))
