"""The data_processing nodes, called directly as a user's unit tests would."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.extra import ExtraCorpusError
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.problems import CorpusValidationError
from resume_ner.corpus.splits import ALL_WITH_HOLDOUT, fold_ids
from resume_ner.errors import UserInputError
from resume_ner.pipelines.data_processing import nodes
from resume_ner.pipelines.data_processing.parameters import (
    CorpusParameters,
    ExtraCorporaParameters,
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
    holdout = nodes.split_holdout(small_corpus, groups, Corpus(()), params)
    folds = nodes.make_folds(small_corpus, groups, holdout, params)
    report = nodes.summarise_corpus(small_corpus, holdout, folds, {})
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


def _job_ads(copied: Document) -> Corpus:
    """Ten job ads with skills (some also with an occupation) and one ad that copies a resume of the main corpus."""
    ads = [
        Document(
            f"ad{n}",
            f"Hiring a {role} with Rust and Kafka for team {n}.",
            (Span(9, 9 + len(role), "Occupation"), Span(15 + len(role), 19 + len(role), "Skill")),
        )
        for n, role in enumerate(["chef", "pilot", "welder", "baker", "nurse", "tailor", "miner", "judge", "diver"])
    ]
    ads.append(Document("ad-nothing", "Friendly office, free parking.", ()))
    ads.append(Document("copy", copied.text, tuple(Span(s.start, s.end, "Skill") for s in copied.spans[:1])))
    return Corpus(tuple(ads), source="ads.conll")


def _split_with(small_corpus, extra_corpora, extra_params):
    corpus_params, split_params = CorpusParameters(), SplitParameters(seed=1, holdout_fraction=0.2, n_folds=3)
    extra, report = nodes.prepare_extra_corpora(
        extra_corpora, small_corpus, ExtraCorporaParameters.model_validate(extra_params), corpus_params, split_params
    )
    corpus = nodes.join_corpora(small_corpus, extra)
    groups = nodes.group_near_duplicates(corpus, split_params)
    holdout = nodes.split_holdout(corpus, groups, extra, split_params)
    folds = nodes.make_folds(corpus, groups, holdout, split_params)
    return corpus, holdout, folds, nodes.summarise_corpus(corpus, holdout, folds, report)


def test_extra_documents_train_every_run_and_leave_the_hold_out_set_and_validation_folds_as_they_were(small_corpus):
    mapping = {"ads": {"label_mapping": {"rename": {"Skill": "SKILL"}, "drop": ["Occupation"]}}}
    _, alone_holdout, alone_folds, _ = _split_with(small_corpus, {}, {})
    corpus, holdout, folds, report = _split_with(small_corpus, {"ads": _job_ads(small_corpus.documents[3])}, mapping)

    extra_ids = [f"ads:ad{n}" for n in range(9)]
    assert holdout["holdout"] == alone_holdout["holdout"]
    assert holdout["training_only"] == extra_ids
    assert [fold["validation"] for fold in folds["folds"]] == [fold["validation"] for fold in alone_folds["folds"]]
    for fold in range(3):
        train, validation = fold_ids(folds, corpus, fold)
        assert set(extra_ids) <= set(train) and not set(extra_ids) & set(validation)
    refit_train, _ = fold_ids(folds, corpus, "all")
    assert set(refit_train) == set(alone_holdout["train"]) | set(extra_ids)
    assert set(fold_ids(folds, corpus, ALL_WITH_HOLDOUT)[0]) == set(small_corpus.ids()) | set(extra_ids)
    assert report["extra_corpora"]["ads"] == {
        "source": "ads.conll",
        "documents_read": 11,
        "dropped_empty_text": 0,
        "dropped_no_labels_left": 1,
        "labels_dropped_as_foreign": [],
        "dropped_near_duplicates_of_main": 1,
        "documents": 9,
        "entities_per_type": {"SKILL": 9},
    }
    assert report["training_only"]["documents"] == 9
    assert report["holdout"] == _split_with(small_corpus, {}, {})[3]["holdout"]


def test_an_extra_corpus_label_the_main_corpus_lacks_stops_before_anything_is_written(small_corpus):
    with pytest.raises(ExtraCorpusError, match=r"Extra corpus ads \(ads.conll\) has label\(s\) \['Occupation'\]"):
        _split_with(
            small_corpus,
            {"ads": _job_ads(small_corpus.documents[0])},
            {"ads": {"label_mapping": {"rename": {"Skill": "SKILL"}}}},
        )


def test_parameters_for_an_extra_corpus_the_catalog_does_not_list_are_an_error(small_corpus):
    with pytest.raises(ExtraCorpusError) as caught:
        _split_with(small_corpus, {}, {"green": {"other_labels": "drop"}})
    assert str(caught.value) == (
        "parameters extra_corpora.green: no such corpus in the catalog's extra_corpora (it has: none); add it there "
        "or remove the parameters"
    )
