"""Helpers for the training tests: a small corpus with splits, run configs, and the training program in a real
child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resume_ner.corpus.formats import write_json
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.near_duplicates import near_duplicate_groups
from resume_ner.corpus.splits import make_folds, split_holdout
from resume_ner.synthetic import generate_corpus
from resume_ner.training.protocol import PROGRESS_FILE


@pytest.fixture(scope="session")
def training_inputs(tmp_path_factory) -> dict:
    """40 synthetic resumes, a hold-out split and 2 folds, on disk as data_processing would write them."""
    folder = tmp_path_factory.mktemp("training_inputs")
    corpus = generate_corpus(40, seed=3)
    write_json(corpus, folder / "corpus.json")
    groups = {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus)}
    holdout = split_holdout(corpus, groups, 0.2, seed=1)
    folds = make_folds(corpus, groups, holdout, 2, seed=1)
    (folder / "folds.json").write_text(json.dumps(folds), encoding="utf-8")
    return {
        "corpus": folder / "corpus.json",
        "splits": folder / "folds.json",
        "entity_types": list(LabelSchema.from_corpus(corpus).entity_types),
        "backbone_cache_dir": folder / "backbones",
        "corpus_object": corpus,
        "folds": folds,
    }


def run_config(training_inputs: dict, output_dir: Path, **overrides) -> dict:
    """A quick run config: tiny-bert, short windows, one epoch; ``overrides`` replace top-level sections."""
    config = {
        "backbone": {"name": "tiny-bert", "tiny": {"hidden_size": 64, "intermediate_size": 128}},
        "backbone_cache_dir": str(training_inputs["backbone_cache_dir"]),
        "entity_types": training_inputs["entity_types"],
        "data": {"corpus": str(training_inputs["corpus"]), "splits": str(training_inputs["splits"]), "fold": 0},
        "tokenization": {"max_length": 64, "stride": 16},
        "optimization": {"learning_rate": 0.003, "batch_size": 16, "epochs": 1, "warmup_ratio": 0.0},
        "precision": "fp32",
        "output_dir": str(output_dir),
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def write_config(config: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def child_env(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.update(extra)
    return env


def run_program(config_path: Path, *args: str, env: dict | None = None, timeout: int = 300):
    """``python -m resume_ner.training --config ...`` in a real child process."""
    return subprocess.run(
        [sys.executable, "-m", "resume_ner.training", "--config", str(config_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or child_env(),
    )


def events(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / PROGRESS_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
