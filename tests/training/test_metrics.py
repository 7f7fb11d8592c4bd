"""Entity metrics on hand-made BIO sequences whose answers are worked out by hand in the comments.

Strict IOB2 (seqeval): an entity is a ``B-T`` followed by any ``I-T``; it is found only if a predicted entity has
the same type, start and end. P = TP / predicted entities, R = TP / gold entities, F1 = 2PR / (P + R), and 0
where a denominator is 0.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score

from resume_ner.corpus.labels import LabelSchema
from resume_ner.training.metrics import (
    _placeholder_names,
    _rename,
    entity_metrics,
    tags_from_ids,
)

ZERO_ENTITY_KEYS = ("micro_precision", "micro_recall", "micro_f1", "macro_precision", "macro_recall", "macro_f1")
TRICKY_NAMES = ["B", "I", "O", "E-MAIL", "Companies worked at", "micro avg", "macro avg", "-X", "X-", "X", "", "_"]


def close(result: dict, **expected: float) -> None:
    for key, value in expected.items():
        assert result[key] == pytest.approx(value), key


def rename_types(sequences: list[list[str]], names: dict[str, str]) -> list[list[str]]:
    return [[tag if tag == "O" else f"{tag[:2]}{names[tag[2:]]}" for tag in seq] for seq in sequences]


def test_perfect_prediction_scores_one():
    # Gold entities: SKILL(0:0-2), EMAIL(0:3-4), SKILL(1:1-2); predictions identical -> TP 3, FP 0, FN 0.
    gold = [["B-SKILL", "I-SKILL", "O", "B-EMAIL"], ["O", "B-SKILL"]]
    result = entity_metrics(gold, [list(seq) for seq in gold])
    close(
        result,
        micro_precision=1,
        micro_recall=1,
        micro_f1=1,
        macro_precision=1,
        macro_recall=1,
        macro_f1=1,
        token_accuracy=1,
    )
    assert result["support"] == 3
    assert result["per_entity"] == {
        "EMAIL": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        "SKILL": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2},
    }


def test_boundary_error_is_both_a_false_positive_and_a_false_negative():
    # Gold SKILL(0-2), EMAIL(3-4); predicted SKILL(0-1), EMAIL(3-4). The short SKILL matches nothing (FP) and the
    # gold SKILL is missed (FN): TP 1, FP 1, FN 1 -> P = 1/2, R = 1/2, F1 = 1/2. Tags equal at 3 of 4 units.
    gold = [["B-SKILL", "I-SKILL", "O", "B-EMAIL"]]
    pred = [["B-SKILL", "O", "O", "B-EMAIL"]]
    result = entity_metrics(gold, pred)
    close(result, micro_precision=0.5, micro_recall=0.5, micro_f1=0.5, token_accuracy=0.75)
    assert result["per_entity"]["SKILL"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["per_entity"]["EMAIL"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}


def test_inside_tag_without_begin_is_not_an_entity_in_strict_mode():
    # Predicted "I-SKILL I-SKILL" has no B-, so strict IOB2 finds no predicted entity: TP 0, predicted 0 (P = 0 by
    # zero_division), gold 1 (R = 0). Lenient (conlleval-style) decoding would read it as SKILL(0-2) and score
    # 1.0 -- as seqeval's default mode does. Our decoders (tagging.decoding) never emit such a sequence, but this
    # metric scores the raw tag sequence.
    gold = [["B-SKILL", "I-SKILL", "O"]]
    pred = [["I-SKILL", "I-SKILL", "O"]]
    result = entity_metrics(gold, pred)
    close(result, micro_precision=0, micro_recall=0, micro_f1=0, token_accuracy=2 / 3)
    assert result["support"] == 1
    assert f1_score(gold, pred) == pytest.approx(1.0)  # the lenient reading, for contrast


def test_only_stray_inside_tags_means_no_entities():
    # No B- anywhere -> no entity in gold or predictions -> documented zeros; tags agree at 1 of 2 units.
    result = entity_metrics([["O", "O"]], [["I-SKILL", "O"]])
    close(result, **dict.fromkeys(ZERO_ENTITY_KEYS, 0.0), token_accuracy=0.5)
    assert result["per_entity"] == {} and result["support"] == 0


def test_type_confusion():
    # Gold SKILL(0-2), EMAIL(3-4); predicted EMAIL(0-2), EMAIL(3-4). Only EMAIL(3-4) matches.
    # micro: TP 1, predicted 2, gold 2 -> P = R = F1 = 1/2.
    # SKILL: predicted 0, gold 1 -> P 0, R 0, F1 0.  EMAIL: TP 1, predicted 2, gold 1 -> P 1/2, R 1, F1 2/3.
    # macro: P (0 + 1/2)/2 = 1/4, R (0 + 1)/2 = 1/2, F1 (0 + 2/3)/2 = 1/3. Tags equal at units 2 and 3: 2/4.
    gold = [["B-SKILL", "I-SKILL", "O", "B-EMAIL"]]
    pred = [["B-EMAIL", "I-EMAIL", "O", "B-EMAIL"]]
    result = entity_metrics(gold, pred)
    close(
        result,
        micro_precision=0.5,
        micro_recall=0.5,
        micro_f1=0.5,
        macro_precision=0.25,
        macro_recall=0.5,
        macro_f1=1 / 3,
        token_accuracy=0.5,
    )
    assert result["per_entity"]["EMAIL"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert result["per_entity"]["SKILL"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_per_entity_support_and_types_only_predicted():
    # Gold: SKILL(0:0-1), SKILL(0:2-3), SKILL(1:0-2), EMAIL(1:2-3) -> support SKILL 3, EMAIL 1, total 4.
    # Predicted: SKILL(0:0-1), NAME(0:2-3), SKILL(1:0-2), EMAIL(1:2-3) -> TP SKILL 2, EMAIL 1, NAME 0.
    # SKILL: P 2/2, R 2/3, F1 = 2*(2/3)/(5/3) = 4/5.  EMAIL: 1, 1, 1.  NAME (predicted only): 0, 0, 0, support 0.
    # micro: TP 3, predicted 4, gold 4 -> 3/4 each. macro over SKILL, EMAIL and NAME:
    # P (1 + 1 + 0)/3 = 2/3, R (2/3 + 1 + 0)/3 = 5/9, F1 (4/5 + 1 + 0)/3 = 3/5.
    gold = [["B-SKILL", "O", "B-SKILL"], ["B-SKILL", "I-SKILL", "B-EMAIL"]]
    pred = [["B-SKILL", "O", "B-NAME"], ["B-SKILL", "I-SKILL", "B-EMAIL"]]
    result = entity_metrics(gold, pred)
    assert result["support"] == 4
    assert {name: row["support"] for name, row in result["per_entity"].items()} == {"EMAIL": 1, "NAME": 0, "SKILL": 3}
    assert result["per_entity"]["SKILL"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    close(
        result,
        micro_precision=0.75,
        micro_recall=0.75,
        micro_f1=0.75,
        macro_precision=2 / 3,
        macro_recall=5 / 9,
        macro_f1=0.6,
    )


def test_macro_and_micro_differ_on_imbalanced_types():
    # Four SKILLs all found, the single EMAIL missed.
    # micro: TP 4, predicted 4, gold 5 -> P 1, R 4/5, F1 = 2*(4/5)/(9/5) = 8/9.
    # macro: SKILL (1, 1, 1), EMAIL (0, 0, 0) -> P 1/2, R 1/2, F1 1/2. Tags equal at 8 of 9 units.
    gold = [["B-SKILL", "O", "B-SKILL", "O", "B-SKILL", "O", "B-SKILL", "O", "B-EMAIL"]]
    pred = [["B-SKILL", "O", "B-SKILL", "O", "B-SKILL", "O", "B-SKILL", "O", "O"]]
    result = entity_metrics(gold, pred)
    close(
        result,
        micro_precision=1,
        micro_recall=0.8,
        micro_f1=8 / 9,
        macro_precision=0.5,
        macro_recall=0.5,
        macro_f1=0.5,
        token_accuracy=8 / 9,
    )
    assert result["support"] == 5


def test_token_accuracy_counts_every_unit_across_documents():
    # Units: (B-SKILL, B-SKILL) yes, (I-SKILL, B-SKILL) no, (O, O) yes, (O, I-EMAIL) no, (B-EMAIL, O) no -> 2/5.
    gold = [["B-SKILL", "I-SKILL", "O", "O"], ["B-EMAIL"]]
    pred = [["B-SKILL", "B-SKILL", "O", "I-EMAIL"], ["O"]]
    assert entity_metrics(gold, pred)["token_accuracy"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    "names",
    [
        {"SKILL": "B", "EMAIL": "I"},
        {"SKILL": "E-MAIL", "EMAIL": "O"},
        {"SKILL": "Companies worked at", "EMAIL": "-X"},
        {"SKILL": "micro avg", "EMAIL": "macro avg"},  # seqeval's own report keys
        {"SKILL": "X-", "EMAIL": "X"},  # seqeval strips the hyphen and would merge them
        {"SKILL": "", "EMAIL": "_"},  # seqeval would call both "_"
    ],
)
def test_tricky_type_names_give_the_same_numbers(names):
    # The type-confusion example above, with both types renamed.
    gold = [["B-SKILL", "I-SKILL", "O", "B-EMAIL"], ["B-EMAIL", "I-EMAIL", "B-SKILL"]]
    pred = [["B-EMAIL", "I-EMAIL", "O", "B-EMAIL"], ["B-EMAIL", "I-EMAIL", "I-SKILL"]]
    plain = entity_metrics(gold, pred)
    renamed = entity_metrics(rename_types(gold, names), rename_types(pred, names))
    assert renamed["per_entity"] == {names[name]: row for name, row in plain["per_entity"].items()}
    assert {k: v for k, v in renamed.items() if k != "per_entity"} == {
        k: v for k, v in plain.items() if k != "per_entity"
    }


def test_hyphen_edged_names_are_not_merged():
    # seqeval alone reads "B--X" as type "X" (it strips hyphens), so gold and predictions would match perfectly.
    # Kept apart: gold X(0-1), -X(1-2); predicted -X(0-1), X(1-2) -> no match, every score 0, support 1 each.
    result = entity_metrics([["B-X", "B--X"]], [["B--X", "B-X"]])
    close(result, **dict.fromkeys(ZERO_ENTITY_KEYS, 0.0), token_accuracy=0.0)
    assert {name: row["support"] for name, row in result["per_entity"].items()} == {"-X": 1, "X": 1}


def test_placeholder_mapping_is_internal_and_reversible():
    sequences = [["B-E-MAIL", "I-E-MAIL", "O", "B-B"], ["I-Companies worked at", "B-O", "B--X"]]
    names = _placeholder_names(sequences)
    # Sorted types: "-X", "B", "Companies worked at", "E-MAIL", "O".
    assert names == {"-X": "T0", "B": "T1", "Companies worked at": "T2", "E-MAIL": "T3", "O": "T4"}
    assert [_rename(seq, names) for seq in sequences] == [["B-T3", "I-T3", "O", "B-T1"], ["I-T2", "B-T4", "B-T0"]]
    result = entity_metrics(sequences, sequences)
    assert set(result["per_entity"]) == {"-X", "B", "E-MAIL", "O"}  # the stray I- is no entity
    assert not any(name.startswith("T") and name[1:].isdigit() for name in result["per_entity"])


PLAIN_TYPES = ["SKILL", "EMAIL", "NAME"]
TAGS = ["O"] + [f"{prefix}-{name}" for name in PLAIN_TYPES for prefix in "BI"]


@st.composite
def tagged_pairs(draw):
    lengths = draw(st.lists(st.integers(0, 8), max_size=4))
    gold = [draw(st.lists(st.sampled_from(TAGS), min_size=n, max_size=n)) for n in lengths]
    pred = [draw(st.lists(st.sampled_from(TAGS), min_size=n, max_size=n)) for n in lengths]
    return gold, pred


@settings(max_examples=150, deadline=None)
@given(
    pair=tagged_pairs(),
    targets=st.lists(
        st.one_of(st.sampled_from(TRICKY_NAMES), st.text(max_size=6)), min_size=3, max_size=3, unique=True
    ),
)
def test_renaming_types_consistently_never_changes_metrics(pair, targets):
    gold, pred = pair
    names = dict(zip(PLAIN_TYPES, targets, strict=True))
    plain = entity_metrics(gold, pred)
    renamed = entity_metrics(rename_types(gold, names), rename_types(pred, names))
    assert renamed["per_entity"] == {names[name]: row for name, row in plain["per_entity"].items()}  # exact
    assert renamed["support"] == plain["support"]
    assert renamed["token_accuracy"] == plain["token_accuracy"]
    for key in ZERO_ENTITY_KEYS:
        # Macro means sum the types in sorted-name order, which renaming changes: equal up to float rounding.
        assert renamed[key] == pytest.approx(plain[key], rel=1e-12, abs=1e-12)
        assert 0 <= plain[key] <= 1


@pytest.mark.parametrize("gold,pred", [([], []), ([[]], [[]]), ([[], []], [[], []])])
def test_empty_input_gives_zeros(gold, pred):
    result = entity_metrics(gold, pred)
    close(result, **dict.fromkeys(ZERO_ENTITY_KEYS, 0.0), token_accuracy=0.0)
    assert result["per_entity"] == {} and result["support"] == 0


def test_no_entities_anywhere_gives_zero_entity_scores_but_token_accuracy():
    result = entity_metrics([["O", "O", "O"]], [["O", "O", "O"]])
    close(result, **dict.fromkeys(ZERO_ENTITY_KEYS, 0.0), token_accuracy=1.0)
    assert result["per_entity"] == {} and result["support"] == 0


def test_entities_only_in_predictions():
    # Gold has none: predicted SKILL(0-1) is a false positive; P = 0/1, R = 0 (no gold), support 0.
    result = entity_metrics([["O", "O"]], [["B-SKILL", "O"]])
    close(result, **dict.fromkeys(ZERO_ENTITY_KEYS, 0.0), token_accuracy=0.5)
    assert result["per_entity"] == {"SKILL": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}}


def test_result_is_json_serialisable_with_plain_numbers():
    result = entity_metrics([["B-SKILL", "I-SKILL", "B-EMAIL"]], [["B-SKILL", "O", "B-EMAIL"]])
    assert json.loads(json.dumps(result)) == result
    for key in (*ZERO_ENTITY_KEYS, "token_accuracy"):
        assert type(result[key]) is float
    assert type(result["support"]) is int
    for row in result["per_entity"].values():
        assert [type(row[k]) for k in ("precision", "recall", "f1", "support")] == [float, float, float, int]


@pytest.mark.parametrize(
    "gold,pred,message",
    [
        ([["O"]], [], "sequence"),
        ([["O", "O"]], [["O"]], "sequence 0"),
        ([["SKILL"]], [["O"]], "not a BIO tag"),
        ([["O"]], [["E-MAIL"]], "not a BIO tag"),
        ([["BSKILL"]], [["O"]], "not a BIO tag"),
    ],
)
def test_bad_input_raises(gold, pred, message):
    with pytest.raises(ValueError, match=message):
        entity_metrics(gold, pred)


def test_tags_from_ids_follows_the_schema():
    schema = LabelSchema(("B", "E-MAIL", "O"))
    ids = [0, 1, 2, 3, 4, 5, 6, 0]
    assert tags_from_ids(ids, schema) == ["O", "B-B", "I-B", "B-E-MAIL", "I-E-MAIL", "B-O", "I-O", "O"]
    assert tags_from_ids(ids, schema) == [schema.tags[i] for i in ids]
    # What the training loop hands it: an array from the model's logits, not a Sequence[int].
    assert tags_from_ids(np.array([3, 4]), schema) == ["B-E-MAIL", "I-E-MAIL"]  # type: ignore[arg-type]
    assert tags_from_ids([], schema) == []


@pytest.mark.parametrize("bad", [-100, -1, 7])
def test_tags_from_ids_rejects_ids_outside_the_schema(bad):
    # -100 (IGNORE) would otherwise index types from the end and silently give a wrong tag.
    with pytest.raises(ValueError, match="not in the label schema"):
        tags_from_ids([0, bad], LabelSchema(("B", "E-MAIL", "O")))


def test_tags_from_ids_round_trips_through_entity_metrics():
    schema = LabelSchema(("Companies worked at", "I"))
    gold = tags_from_ids([1, 2, 0, 3], schema)
    pred = tags_from_ids([1, 2, 0, 4], schema)  # the "I" entity predicted without its B-: not an entity
    result = entity_metrics([gold], [pred])
    # gold: "Companies worked at"(0-2), "I"(3-4); predicted: "Companies worked at"(0-2) -> TP 1 of 1 predicted, 2 gold.
    close(result, micro_precision=1.0, micro_recall=0.5, token_accuracy=0.75)
    assert result["per_entity"]["I"]["support"] == 1
