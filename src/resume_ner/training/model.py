"""The token-classification model, its device and its numeric precision."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection
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
# The ones among them that drop attention probabilities.
ATTENTION_DROPOUT_KEYS = ("attention_probs_dropout_prob", "attention_dropout")


def _set_dropout(config, backbone: Path, keys: tuple[str, ...], value: float | None, setting: str) -> None:
    """Set every one of ``keys`` that ``config`` has to ``value`` (None: leave them); a backbone with none of them
    is bad input naming ``optimization.<setting>``."""
    if value is None:
        return
    present = [key for key in keys if hasattr(config, key)]
    if not present:
        raise UserInputError(
            f"backbone {backbone} ({config.model_type}) has no {setting.replace('_', ' ')} setting this program "
            f"knows; set optimization.{setting} to null to keep its own"
        )
    for key in present:
        setattr(config, key, value)


def load_model(backbone: Path, schema: LabelSchema, dropout: float | None, attention_dropout: float | None = None):
    """``AutoModelForTokenClassification`` on ``backbone`` with a head for ``schema``'s tags: a fresh one, or the
    trained one of a checkpoint of these tags (a warm start); ``dropout`` (when given) replaces hidden, attention
    and classifier dropout, and ``attention_dropout`` (when given) then the attention dropout."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(
        backbone, num_labels=len(schema.tags), id2label=schema.id2label, label2id=schema.label2id
    )
    _set_dropout(config, backbone, DROPOUT_KEYS, dropout, "dropout")
    _set_dropout(config, backbone, ATTENTION_DROPOUT_KEYS, attention_dropout, "attention_dropout")
    return AutoModelForTokenClassification.from_pretrained(backbone, config=config)


def resolve_device(name: str, parent_sees_cuda: bool = False) -> torch.device:
    """The device ``name`` (auto, cpu, cuda, cuda:N, mps) stands for here.

    ``parent_sees_cuda``: the launcher saw CUDA. Then a child that asks for auto or cuda and finds none was
    started with a narrower environment than its launcher's, and training on the CPU instead would run for hours
    without saying so; it is bad input instead, with what to check.
    """
    if parent_sees_cuda and (name == "auto" or name.startswith("cuda")) and not torch.cuda.is_available():
        raise UserInputError(
            "the launcher sees CUDA but this training process does not: check CUDA_VISIBLE_DEVICES and "
            "LD_LIBRARY_PATH in its environment, or list what it needs in training.environment.pass_through"
        )
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError(f"device {name!r} asked for, but CUDA is not available here; use device: auto or cpu")
    return device


# CPU features with bfloat16 arithmetic in hardware: AVX512-BF16 (Cooper Lake, Zen 4 and later) and AMX's bf16
# tiles (Sapphire Rapids and later). Plain AVX512 only emulates bf16 by converting to fp32, which is slower than
# fp32 itself, and it loses precision for nothing.
NATIVE_BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def bf16_is_native(
    device_type: str, *, cuda_bf16: bool = False, cpu_flags: Collection[str] = (), onednn: bool = True
) -> bool:
    """Whether bf16 is native, from capability answers alone (no hardware is asked): on CUDA when the GPU
    computes bf16 without emulation, on a CPU when oneDNN is there to use AVX512-BF16 or AMX, never elsewhere."""
    if device_type == "cuda":
        return cuda_bf16
    if device_type == "cpu":
        return onednn and not NATIVE_BF16_CPU_FLAGS.isdisjoint(cpu_flags)
    return False


def cuda_bf16_native() -> bool:
    """The GPU's answer: bf16 in hardware (Ampere and later), not the emulation older GPUs offer."""
    return torch.cuda.is_bf16_supported(including_emulation=False)


def cpu_feature_flags() -> frozenset[str]:
    """The CPU's feature flags, named as /proc/cpuinfo names them (avx512_bf16, amx_bf16, ...).

    ``torch.cpu.get_capabilities()`` (public in torch 2.13) is preferred: it is what torch itself sees, on any
    OS, and its CPUID probe counts AVX512-BF16 and AMX only where the OS enabled the AVX512 registers. The
    private ``torch._C._cpu._is_*`` probes are gone from torch 2.13; /proc/cpuinfo (Linux only) is the fallback.
    """
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is not None:
        return frozenset(name for name, value in get_capabilities().items() if value is True)
    return _proc_cpuinfo_flags()


def _proc_cpuinfo_flags(path: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The ``flags`` line of the first processor in /proc/cpuinfo (empty where there is none)."""
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags":
                return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 natively: the hardware's answers, judged by ``bf16_is_native``."""
    if device.type == "cuda":
        return bf16_is_native("cuda", cuda_bf16=cuda_bf16_native())
    if device.type == "cpu":
        return bf16_is_native("cpu", cpu_flags=cpu_feature_flags(), onednn=torch.backends.mkldnn.is_available())
    return bf16_is_native(device.type)


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
