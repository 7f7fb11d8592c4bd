"""Entity scores on character spans of the original text: what a user of the model sees.

seqeval (``training.metrics``) scores tag sequences on the tokenizer's word units, so a span the tokenizer cannot
cut exactly (``"Python,"`` as one word, a gold span that ends inside a word) counts as right there and wrong here.
These figures compare the spans themselves:

- **strict**: a predicted span is correct when a gold span has the same start, end and type (each gold span
  matches at most one prediction);
- **relaxed**: a predicted span is correct when it overlaps a gold span of its type, and a gold span is found
  when a predicted span of its type overlaps it (precision and recall count each side's own spans).

Micro figures pool every span of every document; per type, ``support`` is the number of gold spans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from resume_ner.corpus.documents import Span

MODES = ("strict", "relaxed")


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _overlapping(spans: Sequence[Span], others: Sequence[Span]) -> int:
    """How many of ``spans`` overlap at least one of ``others`` (all of one type): a sweep over both, sorted."""
    others = sorted(others, key=lambda span: (span.start, span.end))
    found, index, reach = 0, 0, -1  # reach: the furthest end among others that start before the current span ends
    for span in sorted(spans, key=lambda span: (span.end, span.start)):
        while index < len(others) and others[index].start < span.end:
            reach = max(reach, others[index].end)
            index += 1
        # Others are taken in start order, so the ones seen so far all start before span.end; one of them overlaps
        # span exactly when the furthest of their ends passes span.start. Spans come in end order, so an other
        # consumed for an earlier span also starts before this one's end.
        if reach > span.start:
            found += 1
    return found


def _by_type(spans: Iterable[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = {}
    for span in spans:
        grouped.setdefault(span.label, []).append(span)
    return grouped


def span_metrics(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]) -> dict:
    """Strict and relaxed character-span P/R/F1, micro and per type, over documents given in the same order.

    Returns ``{"strict": {...}, "relaxed": {...}}``, each with ``micro_precision``, ``micro_recall``,
    ``micro_f1`` and ``per_entity`` (type -> precision, recall, f1, support), plus ``gold_spans`` and
    ``predicted_spans``.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted ones")
    # Per mode and type: [predicted that are right, gold that are found].
    counts = {mode: Counter[tuple[str, str]]() for mode in MODES}
    gold_per_type: Counter[str] = Counter()
    predicted_per_type: Counter[str] = Counter()
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        gold_by_type, predicted_by_type = _by_type(gold_spans), _by_type(predicted_spans)
        for label in gold_by_type.keys() | predicted_by_type.keys():
            mine, theirs = predicted_by_type.get(label, []), gold_by_type.get(label, [])
            gold_per_type[label] += len(theirs)
            predicted_per_type[label] += len(mine)
            exact = sum((Counter((s.start, s.end) for s in mine) & Counter((s.start, s.end) for s in theirs)).values())
            counts["strict"][(label, "right")] += exact
            counts["strict"][(label, "found")] += exact
            counts["relaxed"][(label, "right")] += _overlapping(mine, theirs)
            counts["relaxed"][(label, "found")] += _overlapping(theirs, mine)
    labels = sorted(gold_per_type.keys() | predicted_per_type.keys())
    result: dict = {"gold_spans": sum(gold_per_type.values()), "predicted_spans": sum(predicted_per_type.values())}
    for mode in MODES:
        per_entity = {}
        for label in labels:
            precision = _ratio(counts[mode][(label, "right")], predicted_per_type[label])
            recall = _ratio(counts[mode][(label, "found")], gold_per_type[label])
            per_entity[label] = {
                "precision": precision,
                "recall": recall,
                "f1": _f1(precision, recall),
                "support": gold_per_type[label],
            }
        right = sum(counts[mode][(label, "right")] for label in labels)
        found = sum(counts[mode][(label, "found")] for label in labels)
        precision, recall = _ratio(right, result["predicted_spans"]), _ratio(found, result["gold_spans"])
        result[mode] = {
            "micro_precision": precision,
            "micro_recall": recall,
            "micro_f1": _f1(precision, recall),
            "per_entity": per_entity,
        }
    return result


def flat_span_scores(scores: dict) -> dict[str, float]:
    """The micro figures of ``span_metrics`` under flat names (``char_strict_micro_f1``, ...): the names a study
    objective, MLflow and the trials table use."""
    return {
        f"char_{mode}_{name}": float(scores[mode][name])
        for mode in MODES
        for name in ("micro_precision", "micro_recall", "micro_f1")
    }


def span_scores(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]) -> dict:
    """What an evaluation reports of character spans: the flat micro figures (``flat_span_scores``) and, under
    ``char_spans``, each mode's micro figures and per-type table."""
    scores = span_metrics(gold, predicted)
    return {**flat_span_scores(scores), "char_spans": {mode: scores[mode] for mode in MODES}}
