"""Extra training corpora: mapped into the main labels, leaking documents dropped, joined with unique ids."""

from __future__ import annotations

import pytest

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.extra import (
    ExtraCorpusError,
    ExtraCorpusSettings,
    join,
    map_into_schema,
    near_duplicates_of_main,
)
from resume_ner.corpus.labels import LabelMapping

MAIN_TYPES = {"NAME", "SKILL", "COMPANY"}


def _job_ads() -> Corpus:
    return Corpus(
        (
            Document("1", "Needs Python and SQL.", (Span(6, 12, "Skill"), Span(17, 20, "Skill"))),
            Document("2", "Nurse in Leeds, 5 years.", (Span(0, 5, "Occupation"),)),
            Document("3", "Python or Go, Acme Ltd.", (Span(0, 6, "Skill"), Span(14, 22, "Occupation"))),
            Document("4", "   ", ()),
        ),
        source="ads.conll",
    )


def test_labels_are_renamed_into_the_main_schema_and_documents_left_without_one_are_dropped_and_counted():
    settings = ExtraCorpusSettings(LabelMapping(rename={"Skill": "SKILL"}, drop=["Occupation"]))
    mapped, report = map_into_schema("ads", _job_ads(), MAIN_TYPES, settings)
    assert mapped.ids() == ["ads:1", "ads:3"]
    assert mapped.by_id()["ads:3"].spans == (Span(0, 6, "SKILL"),)
    assert report == {
        "source": "ads.conll",
        "documents_read": 4,
        "dropped_empty_text": 1,
        "dropped_no_labels_left": 1,
        "labels_dropped_as_foreign": [],
        "documents": 2,
    }


def test_a_label_the_main_corpus_lacks_stops_with_the_corpus_the_labels_and_the_fixes_named():
    settings = ExtraCorpusSettings(LabelMapping(rename={"Skill": "SKILL"}))
    with pytest.raises(ExtraCorpusError) as caught:
        map_into_schema("ads", _job_ads(), MAIN_TYPES, settings)
    assert str(caught.value) == (
        "Extra corpus ads (ads.conll) has label(s) ['Occupation'] that the main corpus does not have (COMPANY, NAME, "
        "SKILL); rename them in extra_corpora.ads.label_mapping, drop them, or set extra_corpora.ads.other_labels: "
        "drop"
    )


def test_other_labels_drop_removes_every_label_the_main_corpus_lacks():
    settings = ExtraCorpusSettings(LabelMapping(rename={"Skill": "SKILL"}), other_labels="drop")
    mapped, report = map_into_schema("ads", _job_ads(), MAIN_TYPES, settings)
    assert mapped.ids() == ["ads:1", "ads:3"]
    assert set(mapped.label_counts()) == {"SKILL"}
    assert report["labels_dropped_as_foreign"] == ["Occupation"]


def test_an_extra_document_that_copies_a_main_document_is_flagged_and_others_are_not():
    resume = "Ada Lovelace, analyst at Babbage Engines since 1843, writes programs for the analytical engine."
    main = Corpus((Document("r1", resume, (Span(0, 12, "NAME"),)),), source="main")
    extra = Corpus(
        (
            Document("ads:1", resume + " Also Python.", (Span(0, 12, "NAME"),)),
            Document("ads:2", "Wanted: a nurse in Leeds with five years on wards and night shifts.", ()),
        )
    )
    assert near_duplicates_of_main(main, extra, ngram=3, threshold=0.75) == {"ads:1"}
    assert near_duplicates_of_main(main, Corpus(()), ngram=3, threshold=0.75) == set()


def test_joining_keeps_main_documents_first_and_refuses_clashing_ids():
    main = Corpus((Document("a", "x", ()),), source="main.json")
    joined = join(main, Corpus((Document("ads:a", "y", ()),)))
    assert joined.ids() == ["a", "ads:a"] and joined.source == "main.json"
    assert join(main, Corpus(())).fingerprint() == main.fingerprint()
    with pytest.raises(ExtraCorpusError, match=r"\['a'\] are also ids of the main corpus main.json"):
        join(main, Corpus((Document("a", "y", ()),)))
