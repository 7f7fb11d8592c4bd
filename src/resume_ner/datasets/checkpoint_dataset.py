"""``CheckpointDataset``: a trained model's checkpoint folder, checked on load and replaced atomically on save."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from resume_ner.export.onnx import ONNX_FILE, ONNX_INT8_FILE
from resume_ner.files import replace_folder
from resume_ner.training.checkpoint import (
    METADATA_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    CheckpointMetadata,
)

# What a checkpoint folder needs to be loaded by ``resume_ner.predict`` (see ``training.checkpoint``).
REQUIRED_FILES = ("config.json", WEIGHTS_FILE, METADATA_FILE, "tokenizer_config.json")


def check_checkpoint_folder(folder: Path, required: tuple[str, ...] = REQUIRED_FILES, kind: str = "checkpoint") -> None:
    """Fail with one line naming the folder and every missing file, or the metadata's problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(
            f"{kind.capitalize()} folder {folder} does not exist; run the pipeline that trains it first"
        )
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise CheckpointError(
            f"{kind.capitalize()} folder {folder} is missing {', '.join(missing)}; it is not a complete "
            f"resume-ner {kind} (retrain it, or restore the folder)"
        )
    CheckpointMetadata.read(folder)


class CheckpointDataset(AbstractDataset[Path, Path]):
    """A model checkpoint folder (safetensors weights, config, tokenizer, ``resume_ner.json``).

    ``save`` takes the path of a checkpoint folder (a training run's ``checkpoint/``), checks it and copies it
    to ``filepath`` through a temporary folder, so ``filepath`` always holds a complete checkpoint: the old one
    until the new one is fully written. ``load`` checks the folder and returns its path, for
    ``resume_ner.predict.Predictor.load``.

    Example ``conf/base/catalog.yml`` entry::

        final_training.model:
          type: resume_ner.datasets.CheckpointDataset
          filepath: data/06_models/final_training/model
    """

    # The files a folder of this dataset must hold, and what to call it in errors.
    required_files: tuple[str, ...] = REQUIRED_FILES
    kind = "checkpoint"

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> Path:
        check_checkpoint_folder(self._filepath, self.required_files, self.kind)
        return self._filepath

    def save(self, data: Path | str) -> None:
        source = Path(data)
        check_checkpoint_folder(source, self.required_files, self.kind)
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        staging = self._filepath.with_name(f".{self._filepath.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copytree(source, staging)
            replace_folder(staging, self._filepath)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _exists(self) -> bool:
        return self._filepath.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class ExportedModelDataset(CheckpointDataset):
    """A model exported for serving (``resume_ner.export``): ``model.onnx``, ``model.int8.onnx``, config,
    tokenizer and ``resume_ner.json``; loaded as its folder's path for ``Predictor.load(path, runtime="onnx")``,
    checked and replaced atomically as ``CheckpointDataset`` does."""

    required_files = ("config.json", ONNX_FILE, ONNX_INT8_FILE, METADATA_FILE, "tokenizer_config.json")
    kind = "exported model"


class ServingModelDataset(CheckpointDataset):
    """The served model's folder (``resume_ner.serving.model``): loaded as a ready ``Predictor`` with the runtime
    its ``serving.json`` names (loaded once, then reused for every request); saved from a folder's path,
    checked and replaced atomically as ``CheckpointDataset`` does."""

    required_files = ("config.json", METADATA_FILE, "tokenizer_config.json", "serving.json")
    kind = "serving model"

    def load(self):  # a Predictor, not the folder's path
        from resume_ner.serving.model import load_serving_model

        check_checkpoint_folder(self._filepath, self.required_files, self.kind)
        return load_serving_model(self._filepath)
