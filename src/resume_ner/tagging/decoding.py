"""From per-unit tag scores to a BIO tag sequence: ``argmax`` (each unit alone, then lenient repair) or
``viterbi`` (the most probable sequence among those BIO allows).

Independent argmax often breaks an entity in the middle: ``B-SKILL I-SKILL I-DEGREE I-SKILL`` becomes two
entities after repair, one of them wrong. Viterbi takes the model's log-probabilities of all units together and
never leaves BIO: an ``I-T`` follows only ``B-T`` or ``I-T``, and a sequence never starts with one. No transition
is learned (the model has no CRF head), so the constraint costs nothing to train.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging.alignment import repair_bio

Decoding = Literal["argmax", "viterbi"]
DECODINGS: tuple[Decoding, ...] = ("argmax", "viterbi")


def allowed_transitions(schema: LabelSchema) -> tuple[np.ndarray, np.ndarray]:
    """``(start, transition)``: which tags may open a sequence, and ``transition[previous, next]`` for each pair."""
    size = len(schema.tags)
    parsed = [schema.parse_id(tag_id) for tag_id in range(size)]
    start = np.array([prefix != "I" for prefix, _ in parsed])
    transition = np.ones((size, size), dtype=bool)
    for following, (prefix, entity) in enumerate(parsed):
        if prefix == "I":
            transition[:, following] = [previous_entity == entity for _, previous_entity in parsed]
    return start, transition


def viterbi(log_probs: np.ndarray, schema: LabelSchema) -> list[int]:
    """The most probable BIO-valid tag id sequence for ``log_probs`` (units x tags, log-probabilities)."""
    units, size = log_probs.shape
    if size != len(schema.tags):
        raise ValueError(f"scores have {size} tags but the label schema has {len(schema.tags)}")
    if units == 0:
        return []
    start, transition = allowed_transitions(schema)
    penalty = np.where(transition, 0.0, -np.inf)
    best = np.where(start, log_probs[0], -np.inf)
    back = np.zeros((units, size), dtype=np.int64)
    for unit in range(1, units):
        candidates = best[:, None] + penalty  # previous x next
        back[unit] = candidates.argmax(axis=0)
        best = candidates[back[unit], np.arange(size)] + log_probs[unit]
    path = [int(best.argmax())]
    for unit in range(units - 1, 0, -1):
        path.append(int(back[unit, path[-1]]))
    return path[::-1]


def decode_unit_tags(log_probs: np.ndarray, schema: LabelSchema, decoding: Decoding) -> list[int]:
    """A BIO-valid tag id per unit from its scores (units x tags), by ``decoding``."""
    if decoding == "viterbi":
        return viterbi(log_probs, schema)
    if decoding == "argmax":
        return repair_bio([int(tag) for tag in log_probs.argmax(axis=1)], schema) if len(log_probs) else []
    raise ValueError(f"decoding must be one of {DECODINGS}, got {decoding!r}")
