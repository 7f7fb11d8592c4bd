"""Lineage of a trained model: where its hyperparameters, data and code came from, as MLflow tags."""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import resume_ner

TAG_PREFIX = "resume_ner."
PACKAGES = ("resume_ner", "torch", "transformers", "tokenizers", "kedro", "kedro-mlflow", "mlflow", "optuna", "seqeval")


def hyperparameters_hash(params: dict[str, Any]) -> str:
    """A short hash of the hyperparameters (canonical JSON), to find every run trained with the same ones."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def git_state(folder: Path | None = None) -> dict[str, Any]:
    """The commit of the checkout holding ``folder`` (default: this package) and whether its tree was dirty.

    Outside a git checkout (an installed wheel) both are ``"unknown"``.
    """
    folder = Path(folder or Path(resume_ner.__file__).parent)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    return {"git_commit": commit, "git_dirty": dirty}


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def lineage_tags(lineage: dict[str, Any]) -> dict[str, str]:
    """MLflow tags from a lineage record: ``resume_ner.<key>`` (nested keys dotted), ``None`` values left out."""
    from resume_ner.tracking import flatten_params

    return {f"{TAG_PREFIX}{key}": str(value) for key, value in flatten_params(lineage).items() if value is not None}
