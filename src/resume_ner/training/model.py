"""The token-classification model, its device and its numeric precision."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import torch

from resume_ner.corpus.labels import LabelSchema
from resume_ner.errors import UserInputError

logger = logging.getLogger(__name__)

# Config keys through which transformers encoders take dropout (BERT/RoBERTa/DeBERTa/ELECTRA, DistilBERT, XLNet...).
DROPOUT_KEYS = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "classifier_dropout",
    "dropout",
    "attention_dropout",
    "seq_classif_dropout",
)


def load_model(backbone: Path, schema: LabelSchema, dropout: float | None):
    """``AutoModelForTokenClassification`` on ``backbone`` with a fresh head for ``schema``'s tags; ``dropout``
    (when given) replaces hidden, attention and classifier dropout."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(
        backbone, num_labels=len(schema.tags), id2label=schema.id2label, label2id=schema.label2id
    )
    if dropout is not None:
        keys = [key for key in DROPOUT_KEYS if hasattr(config, key)]
        if not keys:
            raise UserInputError(
                f"backbone {backbone} ({config.model_type}) has no dropout setting this program knows; "
                "set optimization.dropout to null to keep its own"
            )
        for key in keys:
            setattr(config, key, dropout)
    return AutoModelForTokenClassification.from_pretrained(backbone, config=config)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError(f"device {name!r} asked for, but CUDA is not available here; use device: auto or cpu")
    return device


def native_bf16(device: torch.device) -> bool:
    """Whether the device computes in bfloat16 natively (CUDA with bf16, or a CPU with AVX512-BF16/AMX)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for fp32. ``auto`` takes bf16 where the device has it natively."""
    if precision == "fp32" or (precision == "auto" and not native_bf16(device)):
        return None
    if precision == "bf16" and device.type not in ("cpu", "cuda"):
        raise UserInputError(f"precision bf16 is not supported on {device}; use auto or fp32")
    return torch.bfloat16


def autocast_context(device: torch.device, dtype: torch.dtype | None):
    """Autocast to ``dtype`` on ``device``; a no-op for fp32 (``dtype`` None)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
