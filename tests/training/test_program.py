"""The training program end to end, in real child processes: outputs, determinism, exit statuses, SIGTERM,
tracking into a given MLflow run, and the checkpoint through the predictor."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time

import mlflow
import pytest
import torch
from training_helpers import (  # noqa: F401
    child_env,
    events,
    run_config,
    run_program,
    training_inputs,
    write_config,
)

from resume_ner.corpus.splits import fold_ids
from resume_ner.errors import UserInputError
from resume_ner.execution import build_training_env
from resume_ner.predict import Predictor
from resume_ner.tagging import learn_boundary_trim
from resume_ner.training.checkpoint import CheckpointMetadata, save_checkpoint
from resume_ner.training.model import resolve_device
from resume_ner.training.protocol import DOCUMENTS_FILE, LOG_FILE, METRICS_FILE, Event, ExitStatus
from resume_ner.training.span_metrics import flat_span_scores, span_metrics

# Each test runs the training program in a child process, most of them training the tiny model.
pytestmark = pytest.mark.slow


def test_a_run_writes_metrics_checkpoint_and_progress(tmp_path, training_inputs):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"epochs": 2})
    config_path = write_config(config, run_dir / "config.json")
    result = run_program(config_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["epochs_run"] == 2 and metrics["best_epoch"] in (1, 2)
    assert [record["epoch"] for record in metrics["history"]] == [1, 2]
    best = metrics["best"]
    assert best == metrics["history"][metrics["best_epoch"] - 1]["validation"]
    assert 0 <= best["micro_f1"] <= 1 and best["loss"] > 0
    assert set(best["per_entity"]) <= set(training_inputs["entity_types"])
    assert metrics["train_tokens_per_second"] > 0
    kinds = [event["event"] for event in events(run_dir)]
    assert kinds[0] == Event.STARTED and kinds[1] == Event.DATA_READY and kinds[-1] == Event.FINISHED
    assert kinds.count(Event.EPOCH) == 2
    checkpoint = run_dir / "checkpoint"
    saved = {path.name for path in checkpoint.iterdir()}
    assert {"model.safetensors", "config.json", "resume_ner.json", "tokenizer.json"} <= saved
    assert not list(run_dir.glob(".*tmp")) and not list(run_dir.glob(".*old"))
    assert (run_dir / LOG_FILE).exists()
    # The checkpoint predicts through the library predictor with the run's windowing.
    predictor = Predictor.load(checkpoint)
    corpus = training_inputs["corpus_object"]
    spans = predictor.predict([doc.text for doc in corpus.documents[:3]])
    assert len(spans) == 3 and all(span.label in training_inputs["entity_types"] for doc in spans for span in doc)
    assert CheckpointMetadata.read(checkpoint).max_length == 64
    assert CheckpointMetadata.read(checkpoint).decoding == "viterbi"
    train_ids, _ = fold_ids(training_inputs["folds"], corpus, 0)
    trim = learn_boundary_trim(corpus.subset(train_ids))
    assert trim.end and CheckpointMetadata.read(checkpoint).boundary_trim == trim
    # Validation scores what users get: the saved model, predicting the validation documents from raw text,
    # gives the best epoch's character-span figures.
    validation = corpus.subset(training_inputs["folds"]["folds"][0]["validation"])
    predicted = predictor.predict([doc.text for doc in validation])
    scores = flat_span_scores(span_metrics([doc.spans for doc in validation], predicted))
    assert scores == pytest.approx({name: best[name] for name in scores}, abs=0.02)
    assert best["char_relaxed_micro_f1"] >= best["char_strict_micro_f1"]


def test_the_same_config_gives_the_same_metrics_twice(tmp_path, training_inputs):
    outcomes = []
    for name in ("first", "second"):
        run_dir = tmp_path / name
        config = run_config(training_inputs, run_dir, optimization={"epochs": 2, "dropout": 0.1}, save_checkpoint=False)
        assert run_program(write_config(config, tmp_path / f"{name}.json")).returncode == 0
        metrics = json.loads((run_dir / METRICS_FILE).read_text())
        outcomes.append((metrics["history"], metrics["best_epoch"]))
    assert outcomes[0] == outcomes[1]
    assert not (tmp_path / "first" / "checkpoint").exists()  # save_checkpoint: false


@pytest.mark.parametrize("fold", ["all", "all_with_holdout"])
def test_fold_all_trains_without_validation_and_keeps_the_last_epoch(tmp_path, training_inputs, fold):
    run_dir = tmp_path / "run"
    result = run_program(write_config(run_config(training_inputs, run_dir), tmp_path / "c.json"), "--fold", fold)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["best"] is None and metrics["best_epoch"] == 1 and "validation" not in metrics["history"][0]
    assert (run_dir / "checkpoint" / "model.safetensors").exists()
    assert json.loads((run_dir / "config.json").read_text())["data"]["fold"] == fold  # the effective config
    # The documents it learned from: every training document, and with "all_with_holdout" the hold-out set too.
    first = training_inputs["folds"]["folds"][0]
    training = set(first["train"]) | set(first["validation"])
    everything = set(training_inputs["corpus_object"].ids())
    assert training < everything, "the fixture's corpus has a hold-out set"
    seen = json.loads((run_dir / DOCUMENTS_FILE).read_text())
    assert set(seen["train"]) == (training if fold == "all" else everything) and seen["validation"] == []
    assert metrics["train_documents"] == len(seen["train"]) and metrics["validation_documents"] == 0


def test_early_stopping_ends_the_run_when_the_objective_stops_improving(tmp_path, training_inputs):
    # No later epoch can beat the first by more than min_delta 1.0 (F1 is at most 1), so patience 1 stops at 2.
    run_dir = tmp_path / "run"
    config = run_config(
        training_inputs,
        run_dir,
        optimization={"epochs": 6},
        early_stopping={"patience": 1, "min_delta": 1.0},
        save_checkpoint=False,
    )
    assert run_program(write_config(config, tmp_path / "c.json")).returncode == 0
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert (metrics["epochs_run"], metrics["stopped_early"], metrics["best_epoch"]) == (2, True, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimization": {"batch_size": 0}}, "optimization.batch_size"),
        ({"data": {"fold": 5}}, "data.fold: 5 is not a fold"),
        ({"entity_types": ["NAME"]}, "the corpus has labels"),
        ({"backbone": {"name": "no-such-org/no-such-model"}}, "Backbone 'no-such-org/no-such-model'"),
    ],
)
def test_bad_config_or_input_exits_2_with_one_line(tmp_path, training_inputs, change, message):
    result = run_program(
        write_config(run_config(training_inputs, tmp_path / "run", **change), tmp_path / "c.json"),
        env=child_env(HF_HUB_OFFLINE="1"),
    )
    assert result.returncode == ExitStatus.BAD_INPUT, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoint").exists()


def test_splits_of_another_corpus_exit_2(tmp_path, training_inputs):
    folds = dict(training_inputs["folds"], corpus_fingerprint="sha256:0000")
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    config = run_config(training_inputs, tmp_path / "run", data={"splits": str(tmp_path / "folds.json")})
    result = run_program(write_config(config, tmp_path / "c.json"))
    assert result.returncode == ExitStatus.BAD_INPUT and "folds was made from corpus sha256:0000" in result.stderr


def test_an_unexpected_failure_exits_1_with_a_traceback(tmp_path, training_inputs):
    # A corpus file that is a folder cannot be read: not a user mistake the program knows how to explain.
    (tmp_path / "folder.json").mkdir()
    config = run_config(training_inputs, tmp_path / "run", data={"corpus": str(tmp_path / "folder.json")})
    result = run_program(write_config(config, tmp_path / "c.json"))
    assert result.returncode == ExitStatus.FAILED
    assert "Traceback" in result.stderr and "Traceback" in (tmp_path / "run" / LOG_FILE).read_text()
    final = events(tmp_path / "run")[-1]
    assert (final["event"], final["status"]) == (Event.FAILED, ExitStatus.FAILED)


def test_running_out_of_memory_exits_3(tmp_path, training_inputs):
    # A 65,536-wide feed-forward layer over batches of 1,024-token windows needs gigabytes per activation, far
    # more than the 3 GiB address space the child gets.
    config = run_config(
        training_inputs,
        tmp_path / "run",
        backbone={
            "name": "tiny-bert",
            "tiny": {"hidden_size": 64, "max_position_embeddings": 1024, "intermediate_size": 65536},
        },
        tokenization={"max_length": 1024, "stride": 0},
        optimization={"batch_size": 512},
    )

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    process = subprocess.run(
        [sys.executable, "-m", "resume_ner.training", "--config", str(write_config(config, tmp_path / "c.json"))],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
        preexec_fn=limit_memory,
    )
    assert process.returncode == ExitStatus.OUT_OF_MEMORY, process.stderr[-3000:]
    assert process.stderr.startswith("Error: out of memory")
    assert events(tmp_path / "run")[-1] == {**events(tmp_path / "run")[-1], "event": "failed", "status": 3}


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_a_child_that_cannot_see_the_cuda_its_launcher_sees_exits_2_with_one_line(
    tmp_path, training_inputs, monkeypatch, device
):
    # The launcher's torch sees a GPU (faked: this machine has none); the child, on the same machine, sees none,
    # as it would with CUDA_VISIBLE_DEVICES or LD_LIBRARY_PATH lost on the way.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    env = build_training_env(threads=1)
    config = run_config(training_inputs, tmp_path / "run", device=device)
    result = run_program(write_config(config, tmp_path / "c.json"), env=env)
    assert result.returncode == ExitStatus.BAD_INPUT, result.stderr
    assert result.stderr == (
        "Error: the launcher sees CUDA but this training process does not: check "
        "CUDA_VISIBLE_DEVICES and LD_LIBRARY_PATH in its environment, or list what it needs "
        "in training.environment.pass_through\n"
    )
    final = events(tmp_path / "run")[-1]
    assert (final["event"], final["status"]) == (Event.FAILED, ExitStatus.BAD_INPUT)


def test_only_a_child_that_wants_cuda_is_held_to_its_launchers_view():
    assert resolve_device("cpu", parent_sees_cuda=True) == torch.device("cpu")
    assert resolve_device("auto", parent_sees_cuda=False) == torch.device("cpu")  # no GPU here, none expected
    with pytest.raises(UserInputError, match=r"training\.environment\.pass_through"):
        resolve_device("cuda:1", parent_sees_cuda=True)


def test_sigterm_stops_cleanly_without_a_partial_checkpoint(tmp_path, training_inputs):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"epochs": 50, "batch_size": 4}, progress_every_steps=1)
    process = subprocess.Popen(
        [sys.executable, "-m", "resume_ner.training", "--config", str(write_config(config, tmp_path / "c.json"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    deadline = time.monotonic() + 120
    while not any(e["event"] == Event.STEP for e in events(run_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == ExitStatus.STOPPED
    final = events(run_dir)[-1]
    assert final["event"] == Event.STOPPED and final["signal"] == "SIGTERM"
    leftovers = [p.name for p in run_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert not (run_dir / METRICS_FILE).exists()


def test_progress_can_also_go_to_an_inherited_pipe(tmp_path, training_inputs):
    import os

    read_end, write_end = os.pipe()
    config = run_config(training_inputs, tmp_path / "run", progress=f"fd:{write_end}")
    process = subprocess.Popen(
        [sys.executable, "-m", "resume_ner.training", "--config", str(write_config(config, tmp_path / "c.json"))],
        pass_fds=(write_end,),
        env=child_env(),
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        first = json.loads(pipe.readline())
        rest = [json.loads(line) for line in pipe]
    assert process.wait(timeout=300) == 0
    assert first["event"] == Event.STARTED and rest[-1]["event"] == Event.FINISHED
    assert [first, *rest] == events(tmp_path / "run")


def test_tracking_logs_into_the_given_run_and_leaves_it_open(tmp_path, training_inputs):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("tracking-test")
    parent = client.create_run(experiment, run_name="owned-by-parent")
    config = run_config(training_inputs, tmp_path / "run", optimization={"epochs": 2})
    result = run_program(
        write_config(config, tmp_path / "c.json"),
        env=child_env(MLFLOW_TRACKING_URI=uri, MLFLOW_RUN_ID=parent.info.run_id),
    )
    assert result.returncode == 0, result.stderr
    run = client.get_run(parent.info.run_id)
    assert run.info.status == "RUNNING" and run.info.run_name == "owned-by-parent"
    assert run.data.params["optimization.learning_rate"] == "0.003"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "micro_f1")] == [1, 2]
    assert "best_micro_f1" in run.data.metrics
    assert len(client.search_runs([experiment])) == 1


def test_without_tracking_mlflow_is_not_touched(tmp_path, training_inputs):
    database = tmp_path / "untouched.db"
    config = run_config(training_inputs, tmp_path / "run", save_checkpoint=False)
    result = run_program(
        write_config(config, tmp_path / "c.json"), env=child_env(MLFLOW_TRACKING_URI=f"sqlite:///{database}")
    )
    assert result.returncode == 0, result.stderr
    assert not database.exists()


def test_checkpoints_are_replaced_atomically(tmp_path, training_inputs):
    from transformers import AutoTokenizer

    from resume_ner.backbones import BackboneSpec, resolve_backbone
    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.training.model import load_model

    spec = BackboneSpec.model_validate(run_config(training_inputs, "x")["backbone"])
    backbone = resolve_backbone(
        spec, texts=[d.text for d in training_inputs["corpus_object"]], cache_dir=training_inputs["backbone_cache_dir"]
    )
    model = load_model(backbone, LabelSchema(tuple(training_inputs["entity_types"])), 0.1)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    metadata = CheckpointMetadata(tuple(training_inputs["entity_types"]), 64, 16, "first")
    target = tmp_path / "checkpoint"
    save_checkpoint(model, tokenizer, metadata, target)
    before = (target / "model.safetensors").read_bytes()

    class BrokenTokenizer:
        def save_pretrained(self, folder):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(model, BrokenTokenizer(), metadata, target)
    assert (target / "model.safetensors").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint"]


def test_label_smoothing_reaches_the_training_loss(tmp_path, training_inputs):
    losses = {}
    for smoothing in (0.0, 0.2):
        run_dir = tmp_path / f"smoothing-{smoothing}"
        config = run_config(training_inputs, run_dir, optimization={"label_smoothing": smoothing})
        result = run_program(write_config(config, run_dir / "config.json"))
        assert result.returncode == 0, result.stderr
        losses[smoothing] = json.loads((run_dir / METRICS_FILE).read_text())["history"][0]["train_loss"]
    # The same seed and batches: only the loss differs, and a smoothed target costs more than a one-hot one.
    assert losses[0.2] > losses[0.0] + 0.05


def test_attention_dropout_reaches_the_trained_model_apart_from_dropout(tmp_path, training_inputs):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"dropout": 0.2, "attention_dropout": 0.0})
    result = run_program(write_config(config, run_dir / "config.json"))
    assert result.returncode == 0, result.stderr
    saved = json.loads((run_dir / "checkpoint" / "config.json").read_text())
    assert (saved["hidden_dropout_prob"], saved["attention_probs_dropout_prob"]) == (0.2, 0.0)


def test_a_warm_start_continues_from_the_checkpoints_weights_head_included(tmp_path, training_inputs):
    from safetensors.torch import load_file

    first = tmp_path / "refit"
    config = run_config(training_inputs, first, optimization={"epochs": 2})
    assert run_program(write_config(config, tmp_path / "refit.json"), "--fold", "all").returncode == 0
    checkpoint = first / "checkpoint"

    def weights(run_dir):
        return load_file(run_dir / "checkpoint" / "model.safetensors")

    # A learning rate too small to move anything: the warm run's model is the checkpoint it started from.
    warm = tmp_path / "warm"
    tiny_steps = {"epochs": 1, "learning_rate": 1e-12}
    config = run_config(training_inputs, warm, optimization=tiny_steps, init_checkpoint=str(checkpoint))
    result = run_program(write_config(config, tmp_path / "warm.json"), "--fold", "all_with_holdout")
    assert result.returncode == 0, result.stderr
    assert next(e for e in events(warm) if e["event"] == Event.DATA_READY)["backbone"] == str(checkpoint)
    started_from, warm_weights = weights(first), weights(warm)
    assert set(warm_weights) == set(started_from)
    for name, tensor in started_from.items():
        assert torch.allclose(warm_weights[name], tensor, atol=1e-6), name
    texts = [doc.text for doc in training_inputs["corpus_object"].documents[:5]]
    assert Predictor.load(warm / "checkpoint").predict(texts) == Predictor.load(checkpoint).predict(texts)
    # The same run from the backbone starts with a fresh head: nothing like the trained one.
    scratch = tmp_path / "scratch"
    config = run_config(training_inputs, scratch, optimization=tiny_steps)
    assert run_program(write_config(config, tmp_path / "scratch.json"), "--fold", "all_with_holdout").returncode == 0
    head = next(name for name in started_from if name.startswith("classifier.weight"))
    assert not torch.allclose(weights(scratch)[head], started_from[head], atol=1e-3)


def test_a_warm_start_from_a_checkpoint_of_other_labels_exits_2_naming_both_label_sets(tmp_path, training_inputs):
    first = tmp_path / "refit"
    assert run_program(write_config(run_config(training_inputs, first), tmp_path / "a.json")).returncode == 0
    more = training_inputs["entity_types"] + ["CERTIFICATE"]  # a label set the checkpoint was not trained on
    config = run_config(training_inputs, tmp_path / "warm", init_checkpoint=str(first / "x"))
    result = run_program(write_config(config, tmp_path / "b.json"))
    assert result.returncode == ExitStatus.BAD_INPUT
    assert f"init_checkpoint: {first / 'x'} is not a resume-ner checkpoint" in result.stderr
    config = run_config(
        training_inputs, tmp_path / "warm", entity_types=more, init_checkpoint=str(first / "checkpoint")
    )
    result = run_program(write_config(config, tmp_path / "c.json"))
    assert result.returncode == ExitStatus.BAD_INPUT
    assert "was trained on the entity types" in result.stderr and "'CERTIFICATE']; train from scratch" in result.stderr
