"""The encoding cache: a study reads and tokenises its corpus once per tokenizer and tokenisation settings."""

from __future__ import annotations

import gc
import json
import pickle

import pytest
from training_helpers import events, run_config, run_program, training_inputs, write_config  # noqa: F401

from resume_ner.training.checkpoint import CheckpointMetadata
from resume_ner.training.encodings import cache_key, cached, tokenizer_digest
from resume_ner.training.protocol import METRICS_FILE, Event


def test_an_entry_is_made_once_and_then_loaded(tmp_path):
    made = []

    def make():
        made.append(1)
        return {"windows": [1, 2, 3]}

    assert cached(tmp_path, "windows-a.pickle", make) == ({"windows": [1, 2, 3]}, False)
    assert cached(tmp_path, "windows-a.pickle", make) == ({"windows": [1, 2, 3]}, True)
    assert len(made) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["windows-a.pickle"]  # no temporary file left


def test_an_entry_that_cannot_be_read_is_made_again_and_replaced(tmp_path, caplog):
    (tmp_path / "windows-a.pickle").write_bytes(pickle.dumps({"windows": [1]})[:7])  # cut short by a crash
    assert cached(tmp_path, "windows-a.pickle", lambda: "fresh") == ("fresh", False)
    assert "cannot be read" in caplog.text
    assert cached(tmp_path, "windows-a.pickle", lambda: "other") == ("fresh", True)


def test_a_failing_maker_leaves_no_entry(tmp_path):
    def make():
        raise RuntimeError("tokenizer broke")

    with pytest.raises(RuntimeError):
        cached(tmp_path, "windows-a.pickle", make)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_costs_the_cache_not_the_run(tmp_path, monkeypatch, caplog):
    from resume_ner.training import encodings

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encodings, "write_bytes_atomically", full_disk)
    assert cached(tmp_path, "windows-a.pickle", lambda: "made") == ("made", False)
    assert "not written: [Errno 28] No space left on device" in caplog.text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("enabled_before", [True, False])
def test_an_entry_is_unpickled_without_a_collection_and_the_collector_is_left_as_it_was(tmp_path, enabled_before):
    """A fold's windows are hundreds of thousands of tuples; collections during their unpickling walked the
    preloaded server's heap in every forked child (0.13-0.37 s a fold on the shipped corpus, 0.05 s without)."""
    windows = [(index, index + 1, index + 2) for index in range(50_000)]
    cached(tmp_path, "windows-a.pickle", lambda: windows)
    collections: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    (gc.enable if enabled_before else gc.disable)()
    gc.callbacks.append(record)
    try:
        loaded, found = cached(tmp_path, "windows-a.pickle", lambda: windows[:0])
        still_enabled = gc.isenabled()
    finally:
        gc.callbacks.remove(record)
        gc.enable()
    assert found and loaded == windows
    # Unpickling 50,000 tuples with the collector on starts hundreds of collections; the few allocations
    # around it (the path, the open file) may start one.
    assert len(collections) <= 1
    assert still_enabled is enabled_before


def test_the_tokenizer_key_follows_vocabulary_and_config_but_not_weights(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\nresume\n")
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    first = tokenizer_digest(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    assert tokenizer_digest(tmp_path) == first
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\nresumes\n")
    assert tokenizer_digest(tmp_path) != first


def test_keys_differ_in_every_part():
    base = ("windows", "corpus", ["a", "b"], "tok", {"max_length": 64, "stride": 16})
    assert cache_key(*base) == cache_key(*base)
    for index in range(len(base)):
        changed = list(base)
        changed[index] = "other"
        assert cache_key(*changed) != cache_key(*base)


@pytest.mark.slow
def test_a_run_that_finds_the_cache_trains_exactly_as_one_that_tokenised_itself(tmp_path, training_inputs):
    cache = tmp_path / "encodings"
    outcomes, cached_flags = {}, {}
    for name, cache_dir in (("fills", cache), ("finds", cache), ("without", None)):
        run_dir = tmp_path / name
        config = run_config(
            training_inputs,
            run_dir,
            optimization={"epochs": 2},
            save_checkpoint=False,
            encoding_cache_dir=cache_dir and str(cache_dir),
        )
        result = run_program(write_config(config, tmp_path / f"{name}.json"))
        assert result.returncode == 0, result.stderr
        metrics = json.loads((run_dir / METRICS_FILE).read_text())
        outcomes[name] = (metrics["history"], metrics["best_epoch"])
        (data_ready,) = [event for event in events(run_dir) if event["event"] == Event.DATA_READY]
        cached_flags[name] = data_ready.get("windows_cached")
    assert outcomes["fills"] == outcomes["finds"] == outcomes["without"]
    assert cached_flags == {"fills": False, "finds": True, "without": None}
    assert sorted(path.name.split("-")[0] for path in cache.iterdir()) == ["corpus", "windows"]


@pytest.mark.slow
def test_other_tokenisation_settings_or_another_corpus_file_are_never_served_from_the_cache(tmp_path, training_inputs):
    cache = tmp_path / "encodings"
    corpus_copy = tmp_path / "corpus.json"
    corpus_copy.write_bytes(training_inputs["corpus"].read_bytes())
    inputs = {**training_inputs, "corpus": corpus_copy}

    def run(name: str, **overrides) -> bool:
        config = run_config(inputs, tmp_path / name, save_checkpoint=False, encoding_cache_dir=str(cache), **overrides)
        result = run_program(write_config(config, tmp_path / f"{name}.json"))
        assert result.returncode == 0, result.stderr
        (data_ready,) = [event for event in events(tmp_path / name) if event["event"] == Event.DATA_READY]
        return data_ready["windows_cached"]

    assert run("first") is False
    assert run("longer-windows", tokenization={"max_length": 96, "stride": 16}) is False
    assert (len(list(cache.glob("corpus-*"))), len(list(cache.glob("windows-*")))) == (1, 2)
    # The same records written out again, indented: another file, so it is read and tokenised again.
    corpus_copy.write_text(json.dumps(json.loads(corpus_copy.read_text()), indent=1))
    assert run("rewritten-corpus") is False
    assert (len(list(cache.glob("corpus-*"))), len(list(cache.glob("windows-*")))) == (2, 3)
    assert run("rewritten-corpus-again") is True


@pytest.mark.slow
def test_a_training_stride_cuts_the_training_windows_and_leaves_validation_and_prediction_on_stride(
    tmp_path, training_inputs
):
    cache = tmp_path / "encodings"

    def run(name: str, tokenization: dict) -> tuple[dict, dict]:
        config = run_config(
            training_inputs,
            tmp_path / name,
            tokenization={"max_length": 64, **tokenization},
            encoding_cache_dir=str(cache),
        )
        result = run_program(write_config(config, tmp_path / f"{name}.json"))
        assert result.returncode == 0, result.stderr
        (data_ready,) = [event for event in events(tmp_path / name) if event["event"] == Event.DATA_READY]
        return data_ready, json.loads((tmp_path / name / METRICS_FILE).read_text())

    overlapping, _ = run("overlapping", {"stride": 16})
    without_overlap, _ = run("without-overlap", {"stride": 0})
    trained_without, metrics = run("trained-without-overlap", {"stride": 16, "train_stride": 0})
    assert trained_without["train_windows"] == without_overlap["train_windows"] < overlapping["train_windows"]
    assert metrics["train_tokens"] < json.loads((tmp_path / "overlapping" / METRICS_FILE).read_text())["train_tokens"]
    # Both cuts were in the cache already: training's from the run without overlap, validation's from the first.
    assert trained_without["windows_cached"] is True and len(list(cache.glob("windows-*"))) == 2
    assert metrics["best"]["micro_f1"] >= 0
    assert CheckpointMetadata.read(tmp_path / "trained-without-overlap" / "checkpoint").stride == 16


@pytest.mark.slow
def test_the_studys_calibration_makes_the_entries_its_first_fold_reads(tmp_path, training_inputs):
    """plan_study's calibration reads and tokenises the first fold's documents anyway; through the study's cache
    it leaves them for the first fold, which then starts training without reading or tokenising anything."""
    from tiny_settings import tiny_training_base

    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.training.config import TrainingSettings
    from resume_ner.tuning.planning import calibrate

    cache = tmp_path / "encodings"
    corpus = training_inputs["corpus_object"]
    schema = LabelSchema.from_corpus(corpus).to_dict()  # the study's schema counts entities; a run's does not
    calibrate(
        corpus,
        training_inputs["folds"],
        schema,
        TrainingSettings.model_validate(tiny_training_base()),
        training_inputs["backbone_cache_dir"],
        threads=1,
        min_timed_seconds=0.0,
        corpus_file=training_inputs["corpus"],
        encoding_cache_dir=cache,
    )
    assert sorted(path.name.split("-")[0] for path in cache.iterdir()) == ["corpus", "windows"]

    config = run_config(training_inputs, tmp_path / "fold-0", save_checkpoint=False, encoding_cache_dir=str(cache))
    result = run_program(write_config(config, tmp_path / "fold-0.json"))
    assert result.returncode == 0, result.stderr
    (data_ready,) = [event for event in events(tmp_path / "fold-0") if event["event"] == Event.DATA_READY]
    assert data_ready["windows_cached"] is True
    assert sorted(path.name.split("-")[0] for path in cache.iterdir()) == ["corpus", "windows"]  # nothing new
