"""Lineage records: hyperparameter hash, git state, package versions and their MLflow tags."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO_ROOT

from resume_ner.tracking.lineage import (
    git_state,
    hyperparameters_hash,
    lineage_tags,
    package_versions,
)


def test_hyperparameters_hash_ignores_key_order():
    first = {"learning_rate": 3e-4, "batch_size": 16, "backbone": {"name": "minilm", "num_layers": 3}}
    second = {"backbone": {"num_layers": 3, "name": "minilm"}, "batch_size": 16, "learning_rate": 3e-4}
    assert hyperparameters_hash(first) == hyperparameters_hash(second)
    assert re.fullmatch(r"[0-9a-f]{16}", hyperparameters_hash(first))


@pytest.mark.parametrize(
    "other",
    [
        {"learning_rate": 3e-3, "batch_size": 16},
        {"learning_rate": 3e-4, "batch_size": 32},
        {"learning_rate": 3e-4, "batch_size": "16"},
        {"learning_rate": 3e-4},
    ],
)
def test_hyperparameters_hash_differs_for_different_values(other):
    assert hyperparameters_hash({"learning_rate": 3e-4, "batch_size": 16}) != hyperparameters_hash(other)


def test_git_state_in_this_checkout_gives_the_head_commit_and_a_dirty_flag():
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, check=False).returncode:
        pytest.skip("not running from a git checkout")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    state = git_state(REPO_ROOT / "src")
    assert re.fullmatch(r"[0-9a-f]{40}", state["git_commit"])
    assert state["git_commit"] == head
    assert isinstance(state["git_dirty"], bool)


def test_git_state_outside_a_checkout_is_unknown(tmp_path):
    if not subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, check=False).returncode:
        pytest.skip(f"{tmp_path} is inside a git checkout")
    assert git_state(tmp_path) == {"git_commit": "unknown", "git_dirty": "unknown"}


def test_git_state_of_a_missing_folder_is_unknown(tmp_path):
    assert git_state(tmp_path / "absent") == {"git_commit": "unknown", "git_dirty": "unknown"}


def test_package_versions_include_torch_and_mark_missing_ones(monkeypatch):
    import torch

    versions = package_versions()
    assert versions["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert {"resume_ner", "transformers", "kedro", "mlflow"} <= set(versions)
    monkeypatch.setattr("resume_ner.tracking.lineage.PACKAGES", ("torch", "surely-not-installed-pkg"))
    assert package_versions()["surely-not-installed-pkg"] == "not installed"


def test_lineage_tags_flatten_nested_keys_with_the_prefix_and_drop_none():
    tags = lineage_tags(
        {
            "purpose": "final",
            "epochs": 4,
            "study_name": None,
            "git_dirty": False,
            "packages": {"torch": "2.5.0", "optuna": None},
            "source": {"study": {"trial": 7}},
        }
    )
    assert tags == {
        "resume_ner.purpose": "final",
        "resume_ner.epochs": "4",
        "resume_ner.git_dirty": "False",
        "resume_ner.packages.torch": "2.5.0",
        "resume_ner.source.study.trial": "7",
    }
    assert all(isinstance(value, str) for value in tags.values())
