"""Decoding unit scores into BIO tags: argmax with repair, or Viterbi over the transitions BIO allows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging.decoding import allowed_transitions, decode_unit_tags, viterbi

SCHEMA = LabelSchema(("SKILL", "DEGREE"))
OUT, B_SKILL, I_SKILL, B_DEGREE, I_DEGREE = range(5)


def _valid(tags: list[int]) -> bool:
    previous = None
    for tag in tags:
        prefix, entity = SCHEMA.parse_id(tag)
        if prefix == "I" and previous != entity:
            return False
        previous = entity
    return True


def _log_probs(rows: list[list[float]]) -> np.ndarray:
    probs = np.asarray(rows, dtype=np.float64)
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def test_an_inside_tag_follows_only_its_own_type():
    start, transition = allowed_transitions(SCHEMA)
    assert start.tolist() == [True, True, False, True, False]
    assert transition[:, I_SKILL].tolist() == [False, True, True, False, False]
    assert transition[:, I_DEGREE].tolist() == [False, False, False, True, True]
    assert transition[:, [OUT, B_SKILL, B_DEGREE]].all()


def test_viterbi_keeps_an_entity_whole_where_argmax_breaks_it():
    # A skill of three words whose middle word leans to I-DEGREE: argmax splits it in two entities of two types.
    scores = _log_probs(
        [
            [0.05, 0.8, 0.05, 0.05, 0.05],
            [0.05, 0.05, 0.4, 0.05, 0.45],
            [0.05, 0.05, 0.8, 0.05, 0.05],
        ]
    )
    assert decode_unit_tags(scores, SCHEMA, "argmax") == [B_SKILL, B_DEGREE, B_SKILL]
    assert decode_unit_tags(scores, SCHEMA, "viterbi") == [B_SKILL, I_SKILL, I_SKILL]


def test_viterbi_finds_the_best_valid_sequence_by_exhaustive_search():
    rng = np.random.default_rng(7)
    for _ in range(30):
        scores = np.log(rng.dirichlet(np.ones(5), size=4))
        best = max(
            (tags for tags in itertools.product(range(5), repeat=4) if _valid(list(tags))),
            key=lambda tags: sum(scores[unit, tag] for unit, tag in enumerate(tags)),
        )
        assert viterbi(scores, SCHEMA) == list(best)


def test_no_units_and_a_wrong_width():
    assert viterbi(np.zeros((0, 5)), SCHEMA) == []
    assert decode_unit_tags(np.zeros((0, 5)), SCHEMA, "argmax") == []
    with pytest.raises(ValueError, match="scores have 4 tags but the label schema has 5"):
        viterbi(np.zeros((2, 4)), SCHEMA)
    with pytest.raises(ValueError, match="decoding must be one of"):
        decode_unit_tags(np.zeros((1, 5)), SCHEMA, "beam")  # type: ignore[arg-type]
