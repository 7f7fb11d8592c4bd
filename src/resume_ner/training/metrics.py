"""Entity-level evaluation of BIO tag sequences (seqeval, strict IOB2) and tag id -> tag string conversion.

Scores are computed on *tag sequences*, one tag per scored unit (a word or a sub-token, see
``resume_ner.tagging.alignment``). In strict IOB2 mode an entity starts only at a ``B-`` tag, so an ``I-`` tag
that does not continue an entity of its type is not an entity at all. Our decoders (``tagging.decoding``) never
emit broken BIO (Viterbi keeps to it, argmax is repaired); this metric deliberately scores whatever sequence it
is given, so broken BIO is penalised here.

Entity type names are arbitrary strings. seqeval 1.2.2 parses a tag as prefix = first character, type = the rest
with hyphens stripped from both ends (``Token.__init__``: ``token[1:].strip("-") or "_"``). That is right for
"B-B", "B-O", "I-E-MAIL" or "I-Companies worked at", but it merges "-X" and "X-" with "X" and "" with "_", and
``classification_report(output_dict=True)`` stores its averages under the keys "micro avg", "macro avg" and
"weighted avg", which a type of that name would overwrite. So every type is renamed to a placeholder ("T0",
"T1", ...) before seqeval sees it and the per-entity results are renamed back.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from resume_ner.corpus.labels import BIO_PREFIXES, OUTSIDE, LabelSchema

_AVERAGES = ("micro avg", "macro avg", "weighted avg")


def tags_from_ids(tag_ids: Sequence[int], schema: LabelSchema) -> list[str]:
    """Tag strings for tag ids (0 is ``O``, then ``B-T``, ``I-T`` per type of ``schema``).

    Ids outside the schema, including the IGNORE id -100 of unlabelled sub-tokens, raise ``ValueError``: drop the
    positions that are not scored before converting, so gold and predicted sequences stay aligned.
    """
    tags = []
    size = len(schema.tags)
    for position, tag_id in enumerate(tag_ids):
        value = operator.index(tag_id)  # ints and numpy integers; rejects floats
        if not 0 <= value < size:
            raise ValueError(
                f"tag id {value} at position {position} is not in the label schema (0..{size - 1}); "
                "drop ignored positions (-100) before converting"
            )
        prefix, entity = schema.parse_id(value)
        tags.append(OUTSIDE if entity is None else f"{prefix}-{entity}")
    return tags


def _entity_type(tag: str) -> str | None:
    """The type of a ``B-``/``I-`` tag (everything after the first hyphen), ``None`` for ``O``."""
    if tag == OUTSIDE:
        return None
    prefix, hyphen, entity = tag.partition("-")
    if hyphen and prefix in BIO_PREFIXES:
        return entity
    raise ValueError(f"{tag!r} is not a BIO tag: expected 'O', 'B-<type>' or 'I-<type>'")


def _placeholder_names(sequences: Sequence[Sequence[str]]) -> dict[str, str]:
    """Entity type -> safe name that seqeval parses unchanged and that cannot clash with its report keys."""
    types = sorted({t for seq in sequences for tag in seq if (t := _entity_type(tag)) is not None})
    return {entity: f"T{index}" for index, entity in enumerate(types)}


def _rename(sequence: Sequence[str], names: dict[str, str]) -> list[str]:
    return [tag if tag == OUTSIDE else f"{tag[0]}-{names[tag[2:]]}" for tag in sequence]


def _zero_scores() -> dict:
    return {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def entity_metrics(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Entity-level precision, recall and F1 (seqeval, strict IOB2) plus token accuracy, as a JSON-ready dict.

    ``gold`` and ``predicted`` hold one BIO tag sequence per document, of equal lengths, one tag per scored unit.
    An entity counts as found only if a predicted entity has exactly its type, start and end.

    Returns ``micro_precision/recall/f1`` (over all entities), ``macro_precision/recall/f1`` (seqeval's macro avg:
    the unweighted mean over the entity types that occur as an entity in gold *or* in the predictions, so a type
    that is only predicted contributes zeros), ``per_entity`` (``{type: {precision, recall, f1, support}}`` for
    those same types; support = number of gold entities of the type), ``support`` (number of gold entities) and
    ``token_accuracy`` (share of units whose predicted tag string equals the gold one).

    With no units at all, every number is 0. With no entities in gold nor in the predictions, the entity scores
    are 0 (not 1) and ``per_entity`` is empty; ``token_accuracy`` is still computed.
    """
    gold = [list(seq) for seq in gold]
    predicted = [list(seq) for seq in predicted]
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sequence(s) but predicted has {len(predicted)}")
    for index, (gold_seq, pred_seq) in enumerate(zip(gold, predicted, strict=True)):
        if len(gold_seq) != len(pred_seq):
            raise ValueError(f"sequence {index}: gold has {len(gold_seq)} tag(s) but predicted has {len(pred_seq)}")

    units = sum(len(seq) for seq in gold)
    matches = sum(
        g == p
        for gold_seq, pred_seq in zip(gold, predicted, strict=True)
        for g, p in zip(gold_seq, pred_seq, strict=True)
    )
    result = {
        "micro_precision": 0.0,
        "micro_recall": 0.0,
        "micro_f1": 0.0,
        "macro_precision": 0.0,
        "macro_recall": 0.0,
        "macro_f1": 0.0,
        "token_accuracy": matches / units if units else 0.0,
        "per_entity": {},
        "support": 0,
    }

    names = _placeholder_names(gold + predicted)  # also rejects tags that are not BIO
    # In IOB2 every B- tag starts an entity and nothing else does; without one, seqeval's macro average would be
    # the mean of nothing (NaN), so return the documented zeros instead.
    if not any(tag.startswith("B-") for seq in gold + predicted for tag in seq):
        return result
    report = classification_report(
        [_rename(seq, names) for seq in gold],
        [_rename(seq, names) for seq in predicted],
        mode="strict",
        scheme=IOB2,
        output_dict=True,
        zero_division=0,
    )
    original = {placeholder: entity for entity, placeholder in names.items()}
    per_entity = {
        original[key]: {
            "precision": float(row["precision"]),
            "recall": float(row["recall"]),
            "f1": float(row["f1-score"]),
            "support": int(row["support"]),
        }
        for key, row in report.items()
        if key not in _AVERAGES
    }
    micro, macro = report["micro avg"], report["macro avg"]
    result.update(
        micro_precision=float(micro["precision"]),
        micro_recall=float(micro["recall"]),
        micro_f1=float(micro["f1-score"]),
        macro_precision=float(macro["precision"]),
        macro_recall=float(macro["recall"]),
        macro_f1=float(macro["f1-score"]),
        per_entity=dict(sorted(per_entity.items())),
        support=int(micro["support"]),
    )
    return result
