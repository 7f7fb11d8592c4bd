"""The small training settings tests train real models with: tiny-bert (a BERT built from a config, with a
WordPiece vocabulary trained on the corpus), short windows, fp32 for reproducible figures on any CPU."""

from __future__ import annotations

import copy
from typing import Any

_TINY_BASE: dict[str, Any] = {
    "backbone": {"name": "tiny-bert", "num_layers": None, "tiny": {"hidden_size": 64, "intermediate_size": 128}},
    "tokenization": {"max_length": 64, "stride": 16},
    "precision": "fp32",
}


def tiny_training_base() -> dict[str, Any]:
    """``training.base`` for tiny-bert: a fresh copy each call, so a test may change it."""
    return copy.deepcopy(_TINY_BASE)
