"""How an exported model compares with the PyTorch model it came from: the spans it predicts (parity) and how fast
it predicts them (latency), on the same texts."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Mapping, Sequence

import numpy as np

from resume_ner.corpus.documents import Span
from resume_ner.training.span_metrics import span_metrics


def span_agreement(reference: Sequence[Sequence[Span]], other: Sequence[Sequence[Span]]) -> float:
    """The share of spans both predict among the spans either predicts (same document, start, end and type);
    1.0 when neither predicts any."""
    both = either = 0
    for first, second in zip(reference, other, strict=True):
        a, b = set(first), set(second)
        both += len(a & b)
        either += len(a | b)
    return both / either if either else 1.0


def export_parity(
    predictions: Mapping[str, Sequence[Sequence[Span]]],
    gold: Sequence[Sequence[Span]],
    min_span_agreement: float,
    max_int8_f1_loss: float,
) -> dict:
    """Parity of the exported runtimes with ``torch`` (keys of ``predictions``: torch, onnx, onnx-int8): span
        agreement and strict character-span micro F1 against ``gold`` for each, whether each export holds its bar
        (fp32: agreement at least ``min_span_agreement``; int8: strict F1 at most ``max_int8_f1_loss`` below
        PyTorch's), and the runtime to serve: int8 where both exports hold their bars (int8 is quantised from the fp32
    graph), else torch."""
    reference = predictions["torch"]
    torch_f1 = span_metrics(gold, reference)["strict"]["micro_f1"]
    runtimes = {}
    for runtime, predicted in predictions.items():
        scores = span_metrics(gold, predicted)
        runtimes[runtime] = {
            "span_agreement": span_agreement(reference, predicted),
            "char_strict_micro_f1": scores["strict"]["micro_f1"],
            "char_relaxed_micro_f1": scores["relaxed"]["micro_f1"],
            "predicted_spans": sum(len(spans) for spans in predicted),
        }
    onnx_holds = runtimes["onnx"]["span_agreement"] >= min_span_agreement
    int8_loss = torch_f1 - runtimes["onnx-int8"]["char_strict_micro_f1"]
    int8_holds = int8_loss <= max_int8_f1_loss
    return {
        "documents": len(gold),
        "gold_spans": sum(len(spans) for spans in gold),
        "runtimes": runtimes,
        "onnx_parity_holds": onnx_holds,
        "int8_f1_loss": int8_loss,
        "int8_parity_holds": int8_holds,
        "min_span_agreement": min_span_agreement,
        "max_int8_f1_loss": max_int8_f1_loss,
        # fp32 ONNX is no faster than PyTorch on the CPUs measured (benchmarks in the README), so it is not served.
        "serving_runtime": "onnx-int8" if int8_holds and onnx_holds else "torch",
    }


def latency(predictor, texts: Sequence[str], batch_size: int) -> dict:
    """Milliseconds per resume one at a time (p50, p95, over ``texts``) and resumes per second ``batch_size``
    at a time, for ``predictor`` (anything with ``predict(texts)``); after one warm-up call."""
    predictor.predict(list(texts[:2]))
    seconds = []
    for text in texts:
        started = time.perf_counter()
        predictor.predict([text])
        seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    for first in range(0, len(texts), batch_size):
        predictor.predict(list(texts[first : first + batch_size]))
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": float(np.percentile(seconds, 50) * 1000),
        "p95_ms": float(np.percentile(seconds, 95) * 1000),
        "resumes_per_second": len(texts) / elapsed if elapsed > 0 else float("inf"),
        "batch_size": batch_size,
        "texts": len(texts),
    }


def machine() -> dict:
    """What the latency was measured on."""
    import torch

    return {
        "processor": _cpu_model() or platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None
