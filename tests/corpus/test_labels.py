"""Label mapping, overlap policies and the label schema."""

from __future__ import annotations

import logging
import math

import pytest
from conftest import make_document
from hypothesis import given, settings
from hypothesis import strategies as st
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
    doc = make_document(
        "d",
        [
            ("Jane", "Name"),
            " at ",
            ("Acme", "Companies worked at"),
            " uses ",
            ("Python", "Tech Tools"),
            " and ",
            ("Kanban", "Job Specific Skills"),
            " ",
            ("kind", "Soft Skills"),
        ],
    )
    mapping = LabelMapping(
        rename={
            "Companies worked at": "COMPANY",
            "Tech Tools": "SKILL",
            "Job Specific Skills": "SKILL",
            "Nmae": "NAME",
        },
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
    return Document(
        "d",
        "Senior Data Engineer at Acme",
        (Span(0, 20, "TITLE"), Span(7, 20, "TITLE"), Span(12, 23, "ORG"), Span(24, 28, "ORG"), Span(24, 28, "ORG")),
    )


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
    corpus = _corpus(
        make_document("d", [("Ada", "NAME"), " ", ("x@y.z", "EMAIL"), " ", ("Go", "SKILL"), " ", ("Go", "SKILL")])
    )
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


def _resolve_quadratically(corpus: Corpus, policy: str) -> tuple[list[tuple[Span, ...]], list[tuple[str, str]]]:
    """The specification resolve_overlaps keeps to: spans longest first (ties: earlier start, then label), each
    kept unless it overlaps a kept span; a dropped span's clash is the first-kept span it overlaps. Quadratic, for
    small documents only. Returns each document's kept spans and the (span, clash) of every dropped span."""
    kept_per_doc, clashes = [], []
    for doc in corpus:
        kept: list[Span] = []
        for span in sorted(set(doc.spans), key=lambda s: (s.start - s.end, s.start, s.label)):
            clash = next((other for other in kept if span.start < other.end and other.start < span.end), None)
            if clash is None:
                kept.append(span)
            else:
                clashes.append((str(list(span)), f"overlaps span {list(clash)}"))
        kept_per_doc.append(tuple(sorted(kept)))
    return kept_per_doc, clashes


@st.composite
def _span_soups(draw) -> Corpus:
    """Documents whose spans nest, overlap, touch, repeat and share starts or ends: what overlap policies face."""
    documents = []
    for index in range(draw(st.integers(1, 3))):
        length = draw(st.integers(1, 40))
        spans = draw(
            st.lists(
                st.tuples(st.integers(0, length - 1), st.integers(1, 8), st.sampled_from(["A", "B", "C"])).map(
                    lambda drawn, length=length: Span(  # type: ignore[misc]
                        drawn[0], min(length, drawn[0] + drawn[1]), drawn[2]
                    )
                ),
                max_size=30,
            )
        )
        documents.append(Document(f"d{index}", "x" * length, tuple(spans)))
    return _corpus(*documents)


@settings(max_examples=300, deadline=None)
@given(corpus=_span_soups())
def test_both_policies_match_the_quadratic_specification(corpus):
    expected_spans, expected_clashes = _resolve_quadratically(corpus, "keep_longest")
    resolved = resolve_overlaps(corpus, "keep_longest")
    assert [doc.spans for doc in resolved] == expected_spans
    if not expected_clashes:
        assert [doc.spans for doc in resolve_overlaps(corpus, "error")] == expected_spans
        return
    with pytest.raises(CorpusValidationError) as caught:
        resolve_overlaps(corpus, "error", max_problems=1000)
    assert caught.value.total == len(expected_clashes)
    assert [(p.span, p.detail) for p in caught.value.problems] == expected_clashes


class _CountedOffset(int):
    """A span offset that counts its comparisons and stops the test once they exceed the budget."""

    comparisons = 0
    budget = math.inf

    @staticmethod
    def count() -> None:
        _CountedOffset.comparisons += 1
        if _CountedOffset.comparisons > _CountedOffset.budget:
            raise AssertionError(f"more than {_CountedOffset.budget:,} comparisons of span offsets")

    __hash__ = int.__hash__


def _counted_comparison(name: str):
    compare = getattr(int, name)

    def counted(self, other):
        _CountedOffset.count()
        return compare(self, other)

    return counted


for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__"):
    setattr(_CountedOffset, _name, _counted_comparison(_name))


def _many_spans(count: int) -> Document:
    """``count`` spans in one long document: mostly disjoint words, every tenth nested in or straddling others."""
    spans = []
    for index in range(count):
        start = 6 * index
        if index % 10 == 3:
            spans.append(Span(_CountedOffset(start - 3), _CountedOffset(start + 1), "STRADDLE"))
        elif index % 10 == 7:
            spans.append(Span(_CountedOffset(start + 1), _CountedOffset(start + 3), "NESTED"))
        spans.append(Span(_CountedOffset(start), _CountedOffset(start + 5), "WORD"))
    return Document("long", "x" * (6 * count + 6), tuple(spans))


@pytest.mark.parametrize("policy", ["keep_longest", "error"])
def test_overlap_resolution_takes_n_log_n_comparisons_on_a_document_with_many_spans(policy, request):
    # A resume with 84,000 spans did not finish in 15 minutes when every span was compared with every kept span.
    # Counting comparisons of offsets (sorting included) keeps this test about the algorithm, not the machine.
    document = _many_spans(20_000)
    spans = len(document.spans)
    _CountedOffset.comparisons, _CountedOffset.budget = 0, int(8 * spans * math.log2(spans))
    request.addfinalizer(lambda: setattr(_CountedOffset, "budget", math.inf))
    if policy == "keep_longest":
        resolved = resolve_overlaps(_corpus(document), policy)
        assert len(resolved.documents[0].spans) == 20_000  # the straddling and nested spans were dropped
    else:
        with pytest.raises(CorpusValidationError) as caught:
            resolve_overlaps(_corpus(document), policy)
        assert caught.value.total == 4_000
    assert _CountedOffset.comparisons <= _CountedOffset.budget


def test_documents_with_nothing_to_resolve_or_map_pass_through_as_they_are():
    # Rebuilding every document and span of a clean corpus cost seconds per 10,000 resumes for no change.
    clean = make_document("clean", [("Jane", "NAME"), " at ", ("Acme", "ORG"), " ", ("", "EMPTY")])
    corpus = _corpus(clean, _overlapping())
    resolved = resolve_overlaps(corpus, "keep_longest")
    assert resolved.documents[0] is clean
    assert resolved.documents[1].spans == (Span(0, 20, "TITLE"), Span(24, 28, "ORG"))
    mapped = apply_label_mapping(corpus, LabelMapping(rename={"TITLE": "JOB"}))
    assert mapped.documents[0] is clean
    assert {span.label for span in mapped.documents[1].spans} == {"JOB", "ORG"}
    unchanged = apply_label_mapping(corpus, LabelMapping())
    assert all(after is before for after, before in zip(unchanged, corpus, strict=True))
