"""benchmarks/trainer_metrics.py: the Trainer children's compute_metrics scores window logits as our runs do."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest
from toy_model import MAX_LENGTH, POLICY, RESUME_LINES, SCHEMA, STRIDE, make_text
from transformers import AutoTokenizer

from resume_ner.backbones import resolve_backbone
from resume_ner.tagging import IGNORE, encode_document

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from trainer_metrics import window_entity_metrics


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    backbone = resolve_backbone("tiny-bert", texts=RESUME_LINES, cache_dir=tmp_path_factory.mktemp("backbones"))
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    rng = random.Random(1)
    # Long enough to be cut into several overlapping windows each.
    return [encode_document(make_text(rng, 40), tokenizer, SCHEMA, MAX_LENGTH, STRIDE, POLICY) for _ in range(4)]


def _logits(documents, tag_of_position) -> np.ndarray:
    windows = [window for document in documents for window in document.windows]
    logits = np.zeros((len(windows), MAX_LENGTH, len(SCHEMA.tags)), dtype=np.float32)
    for row, window in enumerate(windows):
        for position, label in enumerate(window.labels):
            logits[row, position, tag_of_position(label)] = 1.0
    return logits


def test_logits_that_pick_every_gold_tag_score_one_and_all_outside_scores_zero(documents):
    assert sum(len(document.windows) for document in documents) > len(documents)
    perfect = _logits(documents, lambda label: 0 if label == IGNORE else label)
    scores = window_entity_metrics(perfect, documents, SCHEMA, POLICY)
    assert scores["micro_f1"] == 1.0
    assert window_entity_metrics((perfect,), documents, SCHEMA, POLICY)["micro_f1"] == 1.0  # Trainer's tuple
    outside = _logits(documents, lambda label: 0)
    assert window_entity_metrics(outside, documents, SCHEMA, POLICY)["micro_f1"] == 0.0
