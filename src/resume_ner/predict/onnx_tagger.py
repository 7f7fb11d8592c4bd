"""An exported ONNX model (``resume_ner.export``) run by onnxruntime on the CPU: windows in, tag log-probabilities
out, as ``predict_window_scores`` gives them for a PyTorch model. Needs neither torch nor transformers' models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from resume_ner.tagging import Window
from resume_ner.training.checkpoint import CheckpointError, CheckpointMetadata


class OnnxTagger:
    """One onnxruntime session of an exported model file."""

    def __init__(self, session) -> None:
        self.session = session

    @classmethod
    def load(cls, path: Path, threads: int | None = None) -> OnnxTagger:
        import onnxruntime

        if not Path(path).is_file():
            raise CheckpointError(
                f"{path} does not exist: export the model first (the refit and final_training pipelines do)"
            )
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3  # errors only
        return cls(onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]))

    def log_probs(self, windows: list[Window], pad_id: int) -> np.ndarray:
        """Tag log-probabilities (batch x longest window x tags) for ``windows``, padded with ``pad_id``."""
        width = max(len(window) for window in windows)
        input_ids = np.full((len(windows), width), pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(windows), width), dtype=np.int64)
        for row, window in enumerate(windows):
            input_ids[row, : len(window)] = window.input_ids
            attention_mask[row, : len(window)] = 1
        [logits] = self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})
        logits = logits.astype(np.float32)
        top = logits.max(axis=-1, keepdims=True)
        return logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def check_labels(folder: Path, metadata: CheckpointMetadata) -> None:
    """The exported model's labels (its config.json) are the metadata's tags, in order."""
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    id2label = {int(index): label for index, label in config.get("id2label", {}).items()}
    model_tags = [id2label.get(index) for index in range(len(id2label))]
    if model_tags != metadata.schema.tags:
        raise CheckpointError(
            f"{folder}: the model's labels {model_tags} do not match the entity types of its metadata "
            f"(tags {metadata.schema.tags})"
        )
