"""The child's environment: only what the training program needs, never the parent's whole environment."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import resume_ner

# Needed by any Python program to run and find its caches and locale; none of them is a secret.
SYSTEM_VARIABLES = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")
# Model caches and offline switches: a hub id must resolve in the child exactly as it would in the parent.
MODEL_CACHE_VARIABLES = ("HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TORCH_HOME")
PARENT_PID_VARIABLE = "RESUME_NER_PARENT_PID"


def package_source_root() -> Path:
    """The folder holding the ``resume_ner`` package the parent imported (``src/`` in a checkout)."""
    return Path(resume_ner.__file__).resolve().parent.parent


def build_training_env(
    *,
    tracking_uri: str | None = None,
    experiment_id: str | None = None,
    run_id: str | None = None,
    threads: int | None = None,
    pass_through: Iterable[str] = (),
    parent_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one child run.

    It holds the system basics, ``PYTHONPATH`` (so the child imports the parent's copy of ``resume_ner``), the
    MLflow tracking URI, experiment and run ids the child logs into, thread counts, ``CUDA_VISIBLE_DEVICES`` when
    the parent has it, and the variables named in ``pass_through`` (credentials such as
    ``MLFLOW_TRACKING_PASSWORD``). Nothing else crosses, so a secret in the parent's environment reaches a child
    only when it is listed.
    """
    parent = os.environ if parent_env is None else parent_env
    env = {name: parent[name] for name in (*SYSTEM_VARIABLES, *MODEL_CACHE_VARIABLES) if name in parent}
    python_path = [str(package_source_root())]
    if parent.get("PYTHONPATH"):
        python_path.append(parent["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(python_path)
    env["PYTHONUNBUFFERED"] = "1"
    # Tokenizers' own thread pool would compete with torch's threads and warns after a fork.
    env["TOKENIZERS_PARALLELISM"] = "false"
    if "CUDA_VISIBLE_DEVICES" in parent:
        env["CUDA_VISIBLE_DEVICES"] = parent["CUDA_VISIBLE_DEVICES"]
    if threads is not None:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    for name, value in (("MLFLOW_TRACKING_URI", tracking_uri), ("MLFLOW_EXPERIMENT_ID", experiment_id),
                        ("MLFLOW_RUN_ID", run_id)):
        if value is not None:
            env[name] = str(value)
    for name in pass_through:
        if name in parent:
            env[name] = parent[name]
    return env
