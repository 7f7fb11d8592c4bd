"""Character-span scores: strict (same start, end and type) and relaxed (overlapping, same type)."""

from __future__ import annotations

import random

import pytest

from resume_ner.corpus.documents import Span
from resume_ner.training.span_metrics import flat_span_scores, span_metrics


def _brute_force(gold: list[list[Span]], predicted: list[list[Span]]) -> dict[str, tuple[float, float]]:
    """Micro precision and recall per mode by comparing every pair: the definition, for checking the sweep."""
    right = {"strict": 0, "relaxed": 0}
    found = {"strict": 0, "relaxed": 0}
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        unmatched = list(gold_spans)
        for span in predicted_spans:
            if span in unmatched:
                unmatched.remove(span)
                right["strict"] += 1
            if any(g.label == span.label and g.start < span.end and span.start < g.end for g in gold_spans):
                right["relaxed"] += 1
        found["strict"] += len(gold_spans) - len(unmatched)
        found["relaxed"] += sum(
            any(p.label == g.label and p.start < g.end and g.start < p.end for p in predicted_spans) for g in gold_spans
        )
    n_gold, n_predicted = sum(map(len, gold)), sum(map(len, predicted))
    return {
        mode: (right[mode] / n_predicted if n_predicted else 0.0, found[mode] / n_gold if n_gold else 0.0)
        for mode in ("strict", "relaxed")
    }


def test_an_exact_span_counts_in_both_modes_and_a_shifted_one_only_when_relaxed():
    gold = [[Span(0, 8, "NAME"), Span(20, 26, "SKILL")]]
    predicted = [[Span(0, 8, "NAME"), Span(20, 27, "SKILL"), Span(30, 35, "SKILL")]]
    scores = span_metrics(gold, predicted)
    assert scores["strict"]["micro_precision"] == pytest.approx(1 / 3)
    assert scores["strict"]["micro_recall"] == pytest.approx(1 / 2)
    assert scores["relaxed"]["micro_precision"] == pytest.approx(2 / 3)
    assert scores["relaxed"]["micro_recall"] == 1.0
    assert scores["strict"]["per_entity"]["SKILL"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["relaxed"]["per_entity"]["NAME"]["f1"] == 1.0
    assert (scores["gold_spans"], scores["predicted_spans"]) == (2, 3)


def test_an_overlap_of_another_type_or_a_touching_span_is_not_a_match():
    gold = [[Span(0, 5, "TITLE")]]
    assert span_metrics(gold, [[Span(0, 5, "COMPANY")]])["relaxed"]["micro_f1"] == 0.0
    assert span_metrics(gold, [[Span(5, 9, "TITLE")]])["relaxed"]["micro_f1"] == 0.0  # end is exclusive


def test_a_long_prediction_covering_two_gold_spans_finds_both_but_is_one_right_prediction():
    gold = [[Span(0, 4, "SKILL"), Span(6, 10, "SKILL")]]
    scores = span_metrics(gold, [[Span(0, 10, "SKILL")]])["relaxed"]
    assert (scores["micro_precision"], scores["micro_recall"]) == (1.0, 1.0)


def test_a_gold_span_matches_one_identical_prediction_only():
    scores = span_metrics([[Span(0, 4, "SKILL")]], [[Span(0, 4, "SKILL"), Span(0, 4, "SKILL")]])["strict"]
    assert (scores["micro_precision"], scores["micro_recall"]) == (0.5, 1.0)


def test_no_spans_at_all_scores_zero_not_nan():
    scores = span_metrics([[], []], [[], []])
    assert flat_span_scores(scores) == dict.fromkeys(flat_span_scores(scores), 0.0)
    assert scores["strict"]["per_entity"] == {}


def test_documents_must_pair_up():
    with pytest.raises(ValueError, match="2 gold documents but 1 predicted"):
        span_metrics([[], []], [[]])


@pytest.mark.parametrize("seed", range(20))
def test_the_sweep_agrees_with_comparing_every_pair(seed):
    rng = random.Random(seed)

    def spans(count: int) -> list[Span]:
        found = []
        for _ in range(count):
            start = rng.randrange(60)
            found.append(Span(start, start + rng.randint(1, 12), rng.choice("AB")))
        return found

    gold = [spans(rng.randint(0, 8)) for _ in range(5)]
    predicted = [spans(rng.randint(0, 8)) for _ in range(5)]
    scores = span_metrics(gold, predicted)
    for mode, (precision, recall) in _brute_force(gold, predicted).items():
        assert scores[mode]["micro_precision"] == pytest.approx(precision), mode
        assert scores[mode]["micro_recall"] == pytest.approx(recall), mode


def test_flat_names_are_the_micro_figures_of_both_modes():
    flat = flat_span_scores(span_metrics([[Span(0, 4, "A")]], [[Span(0, 4, "A")]]))
    assert flat == {
        "char_strict_micro_precision": 1.0,
        "char_strict_micro_recall": 1.0,
        "char_strict_micro_f1": 1.0,
        "char_relaxed_micro_precision": 1.0,
        "char_relaxed_micro_recall": 1.0,
        "char_relaxed_micro_f1": 1.0,
    }
