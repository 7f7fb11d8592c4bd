"""The ONNX exports (``resume_ner.export``) of a trained tiny checkpoint, predicted through ``Predictor.load(...,
runtime=...)``: the same spans as PyTorch, an int8 model close to it, and one clear error per misuse."""

from __future__ import annotations

import random

import pytest
from kedro.io import DatasetError
from toy_model import make_text

from resume_ner.datasets import CheckpointDataset, ExportedModelDataset
from resume_ner.export import ONNX_FILE, ONNX_INT8_FILE
from resume_ner.predict import Predictor
from resume_ner.training.checkpoint import WEIGHTS_FILE, CheckpointError


@pytest.fixture(scope="module")
def texts():
    rng = random.Random(11)
    # Short and long texts: the long ones are cut into many windows, batched with padding.
    return [make_text(rng, rng.choice([3, 12, 80, 400])).text for _ in range(24)] + ["", "   "]


def test_the_export_folder_holds_both_models_and_what_prediction_needs_but_no_pytorch_weights(toy_model_onnx):
    names = {path.name for path in toy_model_onnx.iterdir()}
    assert {ONNX_FILE, ONNX_INT8_FILE, "config.json", "resume_ner.json", "tokenizer_config.json"} <= names
    assert WEIGHTS_FILE not in names
    assert (toy_model_onnx / ONNX_INT8_FILE).stat().st_size < (toy_model_onnx / ONNX_FILE).stat().st_size / 2
    assert not list(toy_model_onnx.parent.glob(".*tmp"))  # written through a staging folder


def test_onnx_fp32_predicts_the_spans_pytorch_predicts(toy_model_checkpoint, toy_model_onnx, texts):
    torch_spans = Predictor.load(toy_model_checkpoint, batch_size=8).predict_with_confidence(texts)
    onnx_spans = Predictor.load(toy_model_onnx, batch_size=8, runtime="onnx").predict_with_confidence(texts)
    assert sum(len(spans) for spans in torch_spans) > 20
    assert [[found.span for found in spans] for spans in onnx_spans] == [
        [found.span for found in spans] for spans in torch_spans
    ]
    for ours, theirs in zip(onnx_spans, torch_spans, strict=True):
        assert [found.confidence for found in ours] == pytest.approx([found.confidence for found in theirs], abs=1e-4)


def test_int8_predicts_nearly_the_same_spans(toy_model_checkpoint, toy_model_onnx, texts):
    from resume_ner.export.measure import span_agreement

    reference = Predictor.load(toy_model_checkpoint).predict(texts)
    int8 = Predictor.load(toy_model_onnx, runtime="onnx-int8").predict(texts)
    assert span_agreement(reference, int8) > 0.9


def test_batch_size_does_not_change_onnx_predictions(toy_model_onnx, texts):
    one = Predictor.load(toy_model_onnx, batch_size=1, runtime="onnx").predict(texts)
    many = Predictor.load(toy_model_onnx, batch_size=16, runtime="onnx").predict(texts)
    assert one == many


def test_misuse_is_one_clear_error(toy_model_checkpoint, toy_model_onnx, tmp_path):
    with pytest.raises(ValueError, match=r"runtime must be one of \('torch', 'onnx', 'onnx-int8'\), got 'tensorrt'"):
        Predictor.load(toy_model_onnx, runtime="tensorrt")
    with pytest.raises(ValueError, match="an ONNX model runs in fp32 on the CPU"):
        Predictor.load(toy_model_onnx, runtime="onnx", precision="bf16")
    with pytest.raises(CheckpointError, match=rf"{ONNX_FILE} does not exist: export the model first"):
        Predictor.load(toy_model_checkpoint, runtime="onnx")  # a PyTorch checkpoint has no ONNX file


def test_the_exported_model_dataset_checks_and_copies_the_folder(toy_model_checkpoint, toy_model_onnx, tmp_path):
    dataset = ExportedModelDataset(str(tmp_path / "served"))
    dataset.save(toy_model_onnx)
    assert Predictor.load(dataset.load(), runtime="onnx-int8").predict(["Acme Corp"]) is not None
    with pytest.raises(DatasetError, match=rf"Exported model folder .* is missing {ONNX_FILE}, {ONNX_INT8_FILE}"):
        dataset.save(toy_model_checkpoint)  # a PyTorch checkpoint is not an export
    with pytest.raises(DatasetError, match=f"Checkpoint folder .* is missing {WEIGHTS_FILE}"):
        CheckpointDataset(str(tmp_path / "other")).save(toy_model_onnx)  # nor an export a checkpoint
