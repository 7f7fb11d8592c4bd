"""Prediction from a checkpoint: a tiny BERT trained here for a few seconds on an obvious pattern ("python" and
"java" are skills, "Acme Corp" is a company), saved with save_checkpoint and read back through Predictor and the
``python -m resume_ner.predict`` command line."""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from toy_model import (
    MAX_LENGTH,
    POLICY,
    SCHEMA,
    STRIDE,
    build_from_parts,
    make_text,
)
from transformers import AutoModelForTokenClassification

import resume_ner.predict as predict_module
from resume_ner.corpus.documents import Document, Span
from resume_ner.predict import Predictor, predict_window_scores, spans_to_json
from resume_ner.predict.__main__ import main
from resume_ner.tagging import encode_document
from resume_ner.training.checkpoint import (
    WEIGHTS_FILE,
    CheckpointError,
)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The library leaves torch's thread count alone; these tests run a tiny model on a shared CPU, where OpenMP
    threads fighting other processes make it many times slower than one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(toy_model_checkpoint) -> Path:
    """A tiny-bert checkpoint trained for a few dozen steps on windows cut exactly as prediction cuts them."""
    return toy_model_checkpoint


@pytest.fixture(scope="module")
def predictor(checkpoint) -> Predictor:
    return Predictor.load(checkpoint, batch_size=8)


def test_round_trip_gives_the_gold_character_spans(predictor):
    documents = [
        build_from_parts(["Senior engineer at ", ("Acme Corp", "COMPANY"), ", writes ", ("Python", "SKILL"), "."]),
        build_from_parts([("Java", "SKILL"), " and ", ("python", "SKILL"), "\nHobbies: chess"]),
        build_from_parts(["Hobbies: chess, hiking and photography."]),
        *(make_text(random.Random(seed), 12) for seed in range(5)),
    ]
    assert any(document.spans for document in documents)
    assert predictor.predict([document.text for document in documents]) == [
        list(document.spans) for document in documents
    ]
    assert spans_to_json(documents[0].text, predictor.predict_text(documents[0].text)) == [
        {"start": 19, "end": 28, "label": "COMPANY", "text": "Acme Corp"},
        {"start": 37, "end": 43, "label": "SKILL", "text": "Python"},
    ]
    # The same spans with the model's confidence: this model learned these texts, so it is sure of them.
    scored = predictor.predict_with_confidence([document.text for document in documents])
    assert [[found.span for found in spans] for spans in scored] == [list(document.spans) for document in documents]
    assert all(0.5 < found.confidence <= 1.0 for spans in scored for found in spans)
    entities = spans_to_json(documents[0].text, scored[0])
    assert [{key: entity[key] for key in ("start", "end", "label", "text")} for entity in entities] == [
        {"start": 19, "end": 28, "label": "COMPANY", "text": "Acme Corp"},
        {"start": 37, "end": 43, "label": "SKILL", "text": "Python"},
    ]
    assert [entity["confidence"] for entity in entities] == [round(found.confidence, 4) for found in scored[0]]


def test_an_untrained_model_is_less_sure_than_a_trained_one(predictor):
    text = "Senior engineer at Acme Corp, writes Python."
    untrained = Predictor(
        AutoModelForTokenClassification.from_config(predictor.model.config), predictor.tokenizer, predictor.metadata
    )
    confidences = [found.confidence for found in untrained.predict_with_confidence([text])[0]]
    trained = [found.confidence for found in predictor.predict_with_confidence([text])[0]]
    assert trained and min(trained) > max(confidences, default=0.0)


def test_long_text_is_cut_into_windows_and_an_entity_across_an_overlap_comes_back_whole(predictor):
    rng = random.Random(7)
    # Thousands of sub-tokens; the entity sits where the 2nd window's start overlaps the 1st window's end.
    head = build_from_parts(["Led a team of five engineers building payment services at the "])
    probe = encode_document(head.text, predictor.tokenizer, SCHEMA, MAX_LENGTH, STRIDE, POLICY)
    assert len(probe.tokens) == 11  # so "Acme Corp" is sub-tokens 11 and 12
    tail = make_text(rng, 1500)
    document = build_from_parts([head.text, ("Acme Corp", "COMPANY"), " "])
    document = Document(
        "long",
        document.text + tail.text,
        document.spans
        + tuple(Span(s.start + len(document.text), s.end + len(document.text), s.label) for s in tail.spans),
    )

    encoded = encode_document(document.text, predictor.tokenizer, SCHEMA, MAX_LENGTH, STRIDE, POLICY)
    assert len(encoded.tokens) > 2000 and len(encoded.windows) > 100
    first, second = encoded.windows[0], encoded.windows[1]
    in_first = {index for index in first.token_index if index >= 0}
    in_second = {index for index in second.token_index if index >= 0}
    assert {11, 12} <= in_first & in_second  # both words of the entity are in the overlap ...
    assert first.owned[1] == 12 == second.owned[0]  # ... and each window owns one of them

    assert predictor.predict_text(document.text) == list(document.spans)


def test_a_batch_of_texts_gives_what_each_text_gives_alone(checkpoint, predictor):
    rng = random.Random(3)
    texts = [make_text(rng, n).text for n in (40, 1, 0, 7, 120, 3, 25)]
    texts[2] = ""
    batched = Predictor.load(checkpoint, batch_size=5).predict(texts)
    alone = [Predictor.load(checkpoint, batch_size=1).predict_text(text) for text in texts[:1]] + [
        predictor.predict_text(text) for text in texts[1:]
    ]
    assert batched == alone
    assert batched == predictor.predict(list(reversed(texts)))[::-1]
    assert sum(map(len, batched)) > 10


def test_predict_window_scores_pads_without_changing_them(predictor):
    rng = random.Random(5)
    windows = [
        window
        for n in (2, 9, 30)
        for window in encode_document(make_text(rng, n).text, predictor.tokenizer, SCHEMA, MAX_LENGTH, STRIDE).windows
    ]
    lengths = {len(window) for window in windows}
    assert len(lengths) > 1  # different lengths, so batches are padded
    model = predictor.model
    model.train()  # evaluation during training passes a model in train mode
    padded = predict_window_scores(model, windows, predictor.pad_id, 4, "cpu")
    assert model.training  # mode restored
    model.eval()
    one_by_one = predict_window_scores(model, windows, predictor.pad_id, 1, "cpu")
    for with_padding, alone in zip(padded, one_by_one, strict=True):
        np.testing.assert_allclose(with_padding, alone, atol=1e-4)
        np.testing.assert_allclose(np.exp(alone).sum(axis=1), 1.0, rtol=1e-5)  # log-probabilities
    assert [scores.shape for scores in padded] == [(len(window), len(SCHEMA.tags)) for window in windows]
    assert predict_window_scores(model, [], predictor.pad_id, 4, "cpu") == []
    with pytest.raises(ValueError, match="batch_size"):
        predict_window_scores(model, windows, predictor.pad_id, 0, "cpu")


def test_empty_and_blank_texts_give_no_spans(predictor):
    assert predictor.predict_text("") == []
    assert predictor.predict(["", "  \n\t", "Python"]) == [[], [], [Span(0, 6, "SKILL")]]
    assert predictor.predict([]) == []
    with pytest.raises(TypeError, match="predict_text"):
        predictor.predict("Python")


def test_bf16_autocast_is_opt_in_and_agrees_on_the_toy_model(checkpoint, predictor, monkeypatch):
    seen = []
    real = predict_module.predict_window_scores
    monkeypatch.setattr(
        predict_module, "predict_window_scores", lambda *args, **kwargs: seen.append(args[5]) or real(*args, **kwargs)
    )
    text = make_text(random.Random(11), 40).text
    fp32 = predictor.predict_text(text)
    bf16 = Predictor.load(checkpoint, precision="bf16").predict_text(text)
    assert seen == [None, torch.bfloat16]
    assert bf16 == fp32
    with pytest.raises(ValueError, match="precision"):
        Predictor.load(checkpoint, precision="fp16")


def test_checkpoint_is_safetensors_only_and_loading_never_unpickles(checkpoint, tmp_path, monkeypatch):
    names = sorted(path.name for path in checkpoint.iterdir())
    assert WEIGHTS_FILE in names
    assert not [name for name in names if name.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt"))], names

    def refuse(*args, **kwargs):
        raise AssertionError("loading a checkpoint must not unpickle anything")

    with monkeypatch.context() as patch:
        for target, name in [(torch, "load"), (pickle, "load"), (pickle, "loads"), (pickle, "Unpickler")]:
            patch.setattr(target, name, refuse)
        assert Predictor.load(checkpoint).predict_text("Python") == [Span(0, 6, "SKILL")]

    swapped = shutil.copytree(checkpoint, tmp_path / "swapped")
    metadata = json.loads((swapped / "resume_ner.json").read_text(encoding="utf-8"))
    metadata["entity_types"] = ["SKILL", "COMPANY"]  # same tag count, other meaning: must not load silently
    (swapped / "resume_ner.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ValueError, match="do not match"):
        Predictor.load(swapped)

    broken = shutil.copytree(checkpoint, tmp_path / "broken")
    (broken / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        Predictor.load(broken)


# ---------------------------------------------------------------------------------------------- command line


def run_cli(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "resume_ner.predict", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.slow
def test_cli_tags_files_and_stdin_as_one_json_document(checkpoint, predictor, tmp_path):
    texts = {"a.txt": "Senior engineer at Acme Corp.\r\nSkills: Python, Java", "b.txt": "Zürich café — nothing"}
    for name, text in texts.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    piped = "Wrote java tools at Acme Corp"
    result = run_cli(
        "--model", str(checkpoint), "--device", "cpu", "a.txt", "-", "b.txt", stdin=piped.encode("utf-8"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "Loading weights" not in result.stderr.decode()  # no progress bar noise
    output = json.loads(result.stdout.decode("utf-8"))
    assert [entry["file"] for entry in output] == ["a.txt", "-", "b.txt"]
    expected = [texts["a.txt"], piped, texts["b.txt"]]
    assert [[{**entity, "confidence": None} for entity in entry["entities"]] for entry in output] == [
        [{**entity, "confidence": None} for entity in spans_to_json(text, predictor.predict_with_confidence([text])[0])]
        for text in expected
    ]
    assert all(0 < entity["confidence"] <= 1 for entry in output for entity in entry["entities"])
    # Offsets are into the file's exact characters (the \r\n is not translated).
    assert [entity["text"] for entity in output[0]["entities"]] == ["Acme Corp", "Python", "Java"]
    assert output[0]["entities"][1]["start"] == texts["a.txt"].index("Python")
    assert [entity["label"] for entity in output[1]["entities"]] == ["SKILL", "COMPANY"]
    assert output[2]["entities"] == []
    assert result.stdout.decode("utf-8").startswith('[\n  {\n    "file"')  # indent 2


def test_cli_missing_model_folder_is_one_error_line(tmp_path):
    (tmp_path / "cv.txt").write_text("Python", encoding="utf-8")
    result = run_cli("--model", str(tmp_path / "nowhere"), str(tmp_path / "cv.txt"))
    assert result.returncode == 2
    assert result.stdout == b""
    assert_one_error_line(result.stderr.decode(), "nowhere", "does not exist")


def test_cli_non_utf8_file_is_one_error_line(checkpoint, tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zürich, Python".encode("latin-1"))
    result = run_cli("--model", str(checkpoint), str(latin1))
    assert result.returncode == 2
    assert result.stdout == b""
    assert_one_error_line(result.stderr.decode(), "latin1.txt", "not UTF-8", "0xfc")


def test_cli_other_user_errors_are_one_error_line(checkpoint, tmp_path, capsys):
    cv = tmp_path / "cv.txt"
    cv.write_text("Python", encoding="utf-8")
    no_weights = shutil.copytree(checkpoint, tmp_path / "no_weights")
    (no_weights / WEIGHTS_FILE).unlink()
    (tmp_path / "plain").mkdir()
    garbled = shutil.copytree(checkpoint, tmp_path / "garbled")
    (garbled / "resume_ner.json").write_text("{not json", encoding="utf-8")
    swapped = shutil.copytree(checkpoint, tmp_path / "swapped")
    metadata = json.loads((swapped / "resume_ner.json").read_text(encoding="utf-8"))
    (swapped / "resume_ner.json").write_text(json.dumps({**metadata, "entity_types": ["SKILL", "COMPANY"]}))
    cases = [
        (["--model", str(tmp_path / "plain"), str(cv)], ["not a resume-ner checkpoint", "resume_ner.json"]),
        (["--model", str(no_weights), str(cv)], ["model.safetensors"]),
        (["--model", str(cv), str(cv)], ["not a folder"]),
        (["--model", str(garbled), str(cv)], ["resume_ner.json", "not valid checkpoint metadata"]),
        (["--model", str(swapped), str(cv)], ["cannot load checkpoint", "do not match"]),
        (["--model", str(checkpoint), str(tmp_path / "missing.txt")], ["cannot read", "missing.txt"]),
        (["--model", str(checkpoint), "-", "-"], ["only once"]),
        (["--model", str(checkpoint), "--device", "bogus", str(cv)], ["--device", "bogus"]),
        (["--model", str(checkpoint), "--batch-size", "0", str(cv)], ["--batch-size", "at least 1"]),
        (["--model", str(checkpoint), "--batch-size", "many", str(cv)], ["--batch-size", "whole number"]),
        ([str(cv)], ["--model"]),
        (["--model", str(checkpoint)], ["FILE"]),
    ]
    if not torch.cuda.is_available():
        cases.append((["--model", str(checkpoint), "--device", "cuda", str(cv)], ["CUDA is not available"]))
    for argv, fragments in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        assert_one_error_line(captured.err, *fragments)


def test_cli_device_and_batch_size_reach_the_model(checkpoint, tmp_path, capsys, monkeypatch):
    text = make_text(random.Random(2), 200).text  # about 30 windows
    (tmp_path / "cv.txt").write_text(text, encoding="utf-8")
    calls = []
    real = predict_module.predict_window_scores

    def spy(model, windows, pad_id, batch_size, device, autocast_dtype=None):
        rows = []
        hook = model.register_forward_pre_hook(
            lambda module, args, kwargs: rows.append(kwargs["input_ids"].shape[0]), with_kwargs=True
        )
        try:
            scores = real(model, windows, pad_id, batch_size, device, autocast_dtype)
        finally:
            hook.remove()
        calls.append((len(windows), max(rows), str(device), str(next(model.parameters()).device)))
        return scores

    monkeypatch.setattr(predict_module, "predict_window_scores", spy)
    outputs = []
    for flags in (["--batch-size", "3", "--device", "cpu"], []):
        assert main(["--model", str(checkpoint), *flags, str(tmp_path / "cv.txt")]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    (windows, largest_batch, device, model_device), default = calls
    assert windows > 20 and largest_batch == 3 and device == "cpu" and model_device == "cpu"
    assert default[1] == min(32, windows) and default[2] == "cpu"
    assert outputs[0] == outputs[1] and outputs[0][0]["entities"]


def test_cli_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for flag in ("--model", "FILE", "--device", "--batch-size", "--help", "standard input", "UTF-8", "JSON"):
        assert flag in help_text, flag
