"""Parity and latency figures of exported models, from spans and a stand-in predictor."""

from __future__ import annotations

import time

import pytest

from resume_ner.corpus.documents import Span
from resume_ner.export.measure import export_parity, latency, machine, span_agreement

A, B, C = Span(0, 4, "NAME"), Span(10, 16, "SKILL"), Span(20, 25, "COMPANY")


def test_span_agreement_is_shared_spans_over_all_spans_per_document():
    assert span_agreement([[A, B], [C]], [[A, B], [C]]) == 1.0
    assert span_agreement([[A, B], []], [[A], [C]]) == pytest.approx(1 / 3)  # A shared; B and C one side only
    assert span_agreement([[A], []], [[], [A]]) == 0.0  # the same span in another document is not agreement
    assert span_agreement([[], []], [[], []]) == 1.0
    assert span_agreement([[Span(0, 4, "NAME")]], [[Span(0, 4, "TITLE")]]) == 0.0  # another type
    with pytest.raises(ValueError):
        span_agreement([[A]], [[A], [B]])


def test_parity_picks_int8_where_both_exports_hold_else_torch():
    gold = [[A, B], [C]]
    perfect = {"torch": gold, "onnx": gold, "onnx-int8": gold}
    parity = export_parity(perfect, gold, 0.995, 0.01)
    assert parity["serving_runtime"] == "onnx-int8" and parity["int8_f1_loss"] == 0.0
    assert parity["runtimes"]["onnx"]["span_agreement"] == 1.0 and parity["gold_spans"] == 3
    # int8 misses one of three spans: strict F1 0.8 against 1.0, a loss of 0.2 > 0.01
    lossy = export_parity({**perfect, "onnx-int8": [[A], [C]]}, gold, 0.995, 0.01)
    assert lossy["int8_f1_loss"] == pytest.approx(0.2) and not lossy["int8_parity_holds"]
    assert lossy["serving_runtime"] == "torch" and lossy["onnx_parity_holds"]
    # int8 is quantised from the fp32 graph: a broken fp32 export is never served as int8, whatever its score
    fp32_off = export_parity({**perfect, "onnx": [[A], [C]]}, gold, 0.995, 0.01)
    assert fp32_off["int8_parity_holds"] and fp32_off["serving_runtime"] == "torch"
    both_off = export_parity({**perfect, "onnx": [[A], [C]], "onnx-int8": [[A], [C]]}, gold, 0.995, 0.01)
    assert both_off["serving_runtime"] == "torch" and not both_off["onnx_parity_holds"]
    # the int8 bar is relative to PyTorch's score, not to the gold spans
    weak = [[A], []]
    relative = export_parity({"torch": weak, "onnx": weak, "onnx-int8": weak}, gold, 0.995, 0.01)
    assert relative["int8_parity_holds"] and relative["runtimes"]["torch"]["char_strict_micro_f1"] < 1


class SlowOnLongTexts:
    """Sleeps 1 ms per 10 characters of each call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, texts):
        self.calls.append(len(texts))
        time.sleep(sum(len(text) for text in texts) / 10_000)
        return [[] for _ in texts]


def test_latency_times_each_text_alone_then_in_batches_after_a_warm_up():
    predictor = SlowOnLongTexts()
    texts = ["x" * 50] * 18 + ["x" * 600] * 2
    figures = latency(predictor, texts, batch_size=8)
    assert predictor.calls == [2] + [1] * 20 + [8, 8, 4]
    assert 4 <= figures["p50_ms"] < 40  # 5 ms of sleep for the short texts
    assert figures["p95_ms"] >= 55 > figures["p50_ms"]  # the two long ones sit above the 95th percentile's cut
    assert 0 < figures["resumes_per_second"] < 20 / 0.2  # at least 0.21 s of sleep for 20 texts
    assert (figures["texts"], figures["batch_size"]) == (20, 8)


def test_the_machine_is_named():
    described = machine()
    assert described["cpus"] >= 1 and described["torch_threads"] >= 1 and described["processor"]
