"""Run a project pipeline as Kedro's starters test theirs: a ``SequentialRunner`` on a ``DataCatalog`` of
``MemoryDataset``s, with the parameters of ``conf/base`` (plus overrides) checked by Kedro's own parameter validator.

Tests name datasets only (``corpus``, ``best_params``, ``final_training.model``), never node functions, so they
hold while the nodes behind the names change. Training children are the fake trainer
(``tests/pipelines/hpo/fake_trainer.py``) started through a fake ``python``: no model is trained.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO_ROOT
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from kedro.validation import ParameterValidator

FAKE_TRAINER = Path(__file__).parent / "hpo" / "fake_trainer.py"
# The tiny backbone everywhere, so that whatever checks a backbone needs no download.
TINY_TRAINING = {
    "training": {
        "base": {
            "backbone": {"name": "tiny-bert", "num_layers": None},
            "tokenization": {"max_length": 64, "stride": 16},
            "precision": "fp32",
        },
    },
}


class KeptDataset(MemoryDataset):
    """A ``MemoryDataset`` the runner cannot empty: after a run, a test reads the hand-offs between nodes too."""

    def _release(self) -> None:
        pass


def merged(base: dict, overrides: dict) -> dict:
    """``base`` with ``overrides`` laid over it, nested dictionaries merged key by key."""
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def project_parameters(*overrides: dict) -> dict:
    """The parameters of ``conf/base``, each of ``overrides`` merged over them in turn."""
    loader = OmegaConfigLoader(str(REPO_ROOT / "conf"), base_env="base", default_run_env="base")
    parameters = dict(loader["parameters"])
    for override in overrides:
        parameters = merged(parameters, override)
    return parameters


def fake_training(folder: Path, epoch_seconds: float = 0.0, checkpoint: Path | None = None) -> dict:
    """Parameters that make every training child the fake trainer (a fresh process each, no model trained).

    With ``checkpoint`` (a real checkpoint folder), the fake trainer saves a copy of it as the run's checkpoint,
    so nodes that load the model (hold-out evaluation) have one.
    """
    python = folder / "fake-python"
    variables = f"FAKE_EPOCH_SECONDS={epoch_seconds} "
    if checkpoint is not None:
        variables += f"FAKE_CHECKPOINT={checkpoint} "
    python.write_text(f'#!/bin/sh\nexec env {variables}{sys.executable} {FAKE_TRAINER} "$@"\n')
    python.chmod(0o755)
    return {"training": {"launch": {"mode": "process", "python": str(python), "stop_grace_seconds": 5}}}


def run_in_memory(pipeline: Pipeline, inputs: dict[str, Any], parameters: dict) -> dict[str, Any]:
    """Run ``pipeline`` on an in-memory catalog holding ``inputs`` (by dataset name) and the ``params:`` entries it
    reads from ``parameters`` (raw, as in conf; Kedro builds the typed models the nodes ask for). Returns every
    dataset of the pipeline, by name, as the run left it: its outputs and the hand-offs between its nodes."""
    validated = ParameterValidator({"pipeline": pipeline}).validate_raw_params(parameters)
    datasets: dict[str, Any] = {name: KeptDataset(value, copy_mode="assign") for name, value in inputs.items()}
    for name in pipeline.inputs():
        if name.startswith("params:"):
            value: Any = validated
            for key in name.removeprefix("params:").split("."):
                value = value[key]
            datasets[name] = KeptDataset(value, copy_mode="assign")
    missing = sorted(name for name in pipeline.inputs() if name not in datasets)
    if missing:
        raise KeyError(f"the pipeline needs inputs that were not given: {missing}")
    for name in pipeline.datasets() - datasets.keys():
        datasets[name] = KeptDataset(copy_mode="assign")  # assign: objects (a Study, a Corpus) pass as they are
    catalog = DataCatalog(datasets)
    SequentialRunner().run(pipeline, catalog)
    return {
        name: dataset.load()
        for name, dataset in datasets.items()
        if name in pipeline.datasets() and not name.startswith("params:") and dataset.exists()
    }


def through_catalog(name: str, data: Any, folder: Path) -> Any:
    """``data`` saved and loaded again by the dataset ``name`` is in ``conf/base/catalog.yml`` (its file in
    ``folder``): what the next pipeline of a ``kedro run`` gets from what this one wrote."""
    entry = dict(yaml.safe_load((REPO_ROOT / "conf" / "base" / "catalog.yml").read_text(encoding="utf-8"))[name])
    entry["filepath"] = str(folder / Path(entry["filepath"]).name)
    catalog = DataCatalog.from_config({name: entry})
    catalog.save(name, data)
    return catalog.load(name)
