"""The serving folder (what the pyfunc model serves), its dataset, and what callers send and get back."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from resume_ner.datasets import ServingModelDataset
from resume_ner.export import ONNX_INT8_FILE
from resume_ner.predict import Predictor
from resume_ner.serving.model import (
    SERVING_FILE,
    as_texts,
    entities,
    load_serving_model,
    package_serving_folder,
    serving_runtime,
)
from resume_ner.training.checkpoint import WEIGHTS_FILE, CheckpointError

TEXT = "Senior engineer at Acme Corp, writes Python."


@pytest.mark.parametrize("runtime", ["onnx-int8", "onnx", "torch"])
def test_the_serving_folder_holds_what_its_runtime_needs_and_serves_as_that_runtime(
    toy_model_checkpoint,
    toy_model_onnx,
    tmp_path,
    runtime,
):
    folder = package_serving_folder(toy_model_checkpoint, toy_model_onnx, runtime, tmp_path / "serving")
    assert serving_runtime(folder) == runtime
    assert (folder / WEIGHTS_FILE).exists() == (runtime == "torch")
    assert (folder / ONNX_INT8_FILE).exists()
    predictor = load_serving_model(folder)
    assert predictor.runtime == ("torch" if runtime == "torch" else "onnx")
    reference = Predictor.load(toy_model_checkpoint).predict([TEXT])
    if runtime != "onnx-int8":
        assert predictor.predict([TEXT]) == reference


def test_a_folder_without_serving_json_or_with_a_bad_one_is_refused(toy_model_onnx, tmp_path):
    with pytest.raises(CheckpointError, match=f"is not a serving folder: {SERVING_FILE} is missing"):
        serving_runtime(toy_model_onnx)
    folder = package_serving_folder(toy_model_onnx, toy_model_onnx, "onnx", tmp_path / "serving")
    (folder / SERVING_FILE).write_text("{}")
    with pytest.raises(CheckpointError, match=f"{SERVING_FILE} is not valid"):
        serving_runtime(folder)
    with pytest.raises(ValueError, match="runtime must be one of"):
        package_serving_folder(toy_model_onnx, toy_model_onnx, "tensorrt", tmp_path / "other")


def test_the_dataset_loads_a_ready_predictor_that_deep_copies_as_itself(toy_model_checkpoint, toy_model_onnx, tmp_path):
    folder = package_serving_folder(toy_model_checkpoint, toy_model_onnx, "onnx-int8", tmp_path / "made")
    dataset = ServingModelDataset(str(tmp_path / "serving"))
    dataset.save(folder)
    predictor = dataset.load()
    assert isinstance(predictor, Predictor) and predictor.runtime == "onnx"
    # kedro-mlflow deep-copies the pyfunc model's catalog on every request; an onnxruntime session cannot be copied
    assert copy.deepcopy({"model": predictor})["model"] is predictor
    with pytest.raises(DatasetError, match=f"Serving model folder .* is missing {SERVING_FILE}"):
        dataset.save(toy_model_onnx)


def test_callers_send_a_string_a_list_or_a_table_with_a_text_column():
    assert as_texts("one") == ["one"]
    assert as_texts(["a", "b"]) == ["a", "b"]
    assert as_texts(np.array(["a", "b"])) == ["a", "b"]  # MLflow's {"inputs": [...]}
    assert as_texts(pd.DataFrame({"text": ["a", "b"], "id": [1, 2]})) == ["a", "b"]
    assert as_texts(pd.DataFrame({"resume": ["a"]})) == ["a"]  # one column, whatever its name
    with pytest.raises(ValueError, match=r"send a column named 'text' \(got columns \['a', 'b'\]\)"):
        as_texts(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(ValueError, match=r"every input must be a text; entries \[1\] are not strings"):
        as_texts(["fine", 3])


def test_entities_carry_offsets_into_the_text_as_given_and_a_confidence(toy_model_checkpoint):
    texts = [TEXT, "", "Zürich\r\nPython"]
    found = entities(Predictor.load(toy_model_checkpoint), texts)
    assert len(found) == 3 and found[1] == []
    assert any(found[0])
    for text, spans in zip(texts, found, strict=True):
        for entity in spans:
            assert text[entity["start"] : entity["end"]] == entity["text"]
            assert set(entity) == {"start", "end", "label", "text", "confidence"} and 0 < entity["confidence"] <= 1
    json.dumps(found)  # what the served model answers must be JSON
