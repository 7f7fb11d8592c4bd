"""The data_processing nodes, called directly as a user's unit tests would."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from resume_ner.corpus.documents import Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.problems import CorpusValidationError
from resume_ner.errors import UserInputError
from resume_ner.pipelines.data_processing import nodes
from resume_ner.pipelines.data_processing.parameters import (
    CorpusParameters,
    SplitParameters,
)


def test_map_labels_then_resolve_overlaps(small_corpus):
    params = CorpusParameters(label_mapping={"rename": {"COMPANY": "ORG"}, "drop": ["EMAIL"]})
    mapped = nodes.map_labels(small_corpus, params)
    assert set(mapped.label_counts()) == {"NAME", "ORG", "SKILL"}
    doubled = mapped.replace([d.with_spans(d.spans + (Span(0, 3, "NAME"),)) for d in mapped])
    assert nodes.resolve_overlaps(doubled, params) == mapped
    with pytest.raises(CorpusValidationError, match="overlapping-spans"):
        nodes.resolve_overlaps(doubled, CorpusParameters(overlapping_spans="error"))


def test_label_schema_node_returns_the_serialisable_schema(small_corpus):
    schema = nodes.build_label_schema(small_corpus)
    assert schema["entity_types"] == ["COMPANY", "EMAIL", "NAME", "SKILL"]
    assert LabelSchema.from_dict(schema).tags == schema["tags"]


def test_split_nodes_chain(small_corpus):
    params = SplitParameters(seed=1, holdout_fraction=0.2, n_folds=3)
    groups = nodes.group_near_duplicates(small_corpus, params)
    holdout = nodes.split_holdout(small_corpus, groups, params)
    folds = nodes.make_folds(small_corpus, groups, holdout, params)
    report = nodes.summarise_corpus(small_corpus, holdout, folds)
    assert groups["corpus_fingerprint"] == holdout["corpus_fingerprint"] == folds["corpus_fingerprint"]
    assert report["corpus"]["documents"] == 21
    assert report["train"]["documents"] + report["holdout"]["documents"] == 21
    assert sum(f["documents"] for f in report["folds"]) == report["train"]["documents"]
    assert report["corpus"]["entities_per_type"] == {"COMPANY": 21, "EMAIL": 5, "NAME": 21, "SKILL": 42}
    holdout_overlap = report["mention_overlap"]["holdout"]
    assert holdout_overlap["mentions"] == report["holdout"]["entities"]
    assert 0 <= holdout_overlap["in_training"] <= holdout_overlap["mentions"]
    assert [fold["mentions"] for fold in report["mention_overlap"]["folds"]] == [
        fold["entities"] for fold in report["folds"]
    ]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"n_folds": 1}, "n_folds"),
        ({"holdout_fraction": 0}, "holdout_fraction"),
        ({"near_duplicates": {"threshold": 2}}, "threshold"),
        ({"seeds": 3}, "seeds"),
    ],
)
def test_split_parameters_are_checked_by_name(settings, key):
    with pytest.raises(ValidationError, match=key):
        SplitParameters(**settings)


def test_overlap_policy_must_be_known():
    with pytest.raises(ValidationError, match="overlapping_spans"):
        CorpusParameters(overlapping_spans="merge")


def test_a_label_mapping_that_drops_every_label_fails_naming_the_drop_list(small_corpus):
    params = CorpusParameters(label_mapping={"drop": ["NAME", "COMPANY", "SKILL", "EMAIL"]})
    with pytest.raises(UserInputError) as caught:
        nodes.map_labels(small_corpus, params)
    assert str(caught.value) == (
        "Corpus small_corpus has no entity spans left after label mapping: corpus.label_mapping.drop removes every "
        "label it has (COMPANY, EMAIL, NAME, SKILL); drop fewer labels"
    )


def _with_empty_texts(corpus):
    """``corpus`` with an empty and a whitespace-only resume added, located as validation locates records."""
    return corpus.replace(
        [
            *corpus,
            Document("empty", "", (), where="record 21 (id 'empty')"),
            Document("blank", " \n\t ", (), where="record 22 (id 'blank')"),
        ]
    )


def test_empty_or_whitespace_only_texts_are_dropped_by_default_and_counted_in_the_log(small_corpus, caplog):
    caplog.set_level(logging.INFO)
    mapped = nodes.map_labels(_with_empty_texts(small_corpus), CorpusParameters())
    assert mapped == small_corpus
    assert (
        "Dropped 2 document(s) whose text is empty or whitespace only from small_corpus: record 21 (id 'empty'), "
        "record 22 (id 'blank') (corpus.empty_texts: drop; set it to error to stop instead)"
    ) in caplog.messages


def test_empty_texts_stop_the_run_listing_each_record_under_the_error_policy(small_corpus):
    with pytest.raises(CorpusValidationError) as caught:
        nodes.map_labels(_with_empty_texts(small_corpus), CorpusParameters(empty_texts="error"))
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("Corpus small_corpus is not valid: 2 problem(s), all listed.")
    assert "corpus.empty_texts: drop" in lines[0]
    assert lines[1:] == [
        "  - small_corpus: record 21 (id 'empty'): field 'text' is empty [empty-text]",
        "  - small_corpus: record 22 (id 'blank'): field 'text' is whitespace only [empty-text]",
    ]


def test_the_empty_text_policy_must_be_known():
    with pytest.raises(ValidationError, match="empty_texts"):
        CorpusParameters(empty_texts="keep")
