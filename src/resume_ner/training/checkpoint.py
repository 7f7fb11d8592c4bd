"""Checkpoint folders: a transformers model folder (safetensors weights, config with id2label/label2id,
tokenizer) plus ``resume_ner.json`` with what prediction needs to cut texts the way training did.

A checkpoint is written into a temporary folder beside its target and renamed into place, so an interrupted
run never leaves half a checkpoint. Loading reads safetensors only (no pickle).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from resume_ner.corpus.labels import LabelSchema
from resume_ner.errors import UserInputError
from resume_ner.files import staged_folder
from resume_ner.tagging import SUBTOKEN_POLICIES, BoundaryTrim
from resume_ner.tagging.decoding import DECODINGS, Decoding


class CheckpointError(UserInputError, ValueError):
    """A folder that is not a usable resume-ner checkpoint."""


METADATA_FILE = "resume_ner.json"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"


@dataclass(frozen=True)
class CheckpointMetadata:
    """How the model's inputs were made: the label set and the windowing of texts."""

    entity_types: tuple[str, ...]
    max_length: int
    stride: int
    subtoken_policy: str
    # Checkpoints written before decoding was a setting were scored with argmax; they keep it.
    decoding: Decoding = "argmax"
    # The punctuation entities lose at their edges (``tagging.boundaries``); None (older checkpoints): none.
    boundary_trim: BoundaryTrim | None = None
    format_version: int = FORMAT_VERSION

    @property
    def schema(self) -> LabelSchema:
        return LabelSchema(tuple(self.entity_types))

    def to_json(self) -> str:
        data = asdict(self)
        data["entity_types"] = list(self.entity_types)
        return json.dumps(data, indent=2)

    @classmethod
    def read(cls, folder: Path) -> CheckpointMetadata:
        path = Path(folder) / METADATA_FILE
        if not path.is_file():
            raise CheckpointError(f"{folder} is not a resume-ner checkpoint: {METADATA_FILE} is missing")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format_version {data.get('format_version')!r}, this version reads {FORMAT_VERSION}")
            metadata = cls(
                tuple(data["entity_types"]),
                int(data["max_length"]),
                int(data["stride"]),
                data["subtoken_policy"],
                cast(Decoding, data.get("decoding", "argmax")),  # checked below
                None if data.get("boundary_trim") is None else BoundaryTrim.from_dict(data["boundary_trim"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CheckpointError(f"{path} is not valid checkpoint metadata: {error!r}") from None
        if metadata.subtoken_policy not in SUBTOKEN_POLICIES or not 0 <= metadata.stride < metadata.max_length:
            raise CheckpointError(f"{path}: unusable subtoken_policy, max_length or stride")
        if metadata.decoding not in DECODINGS:
            raise CheckpointError(f"{path}: decoding must be one of {DECODINGS}, got {metadata.decoding!r}")
        return metadata


def save_checkpoint(model, tokenizer, metadata: CheckpointMetadata, target: Path) -> Path:
    """Write model, tokenizer and metadata to ``target`` atomically (replacing an older checkpoint there)."""
    with staged_folder(target) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
        if not (staging / WEIGHTS_FILE).is_file():
            raise RuntimeError(f"save_pretrained wrote no {WEIGHTS_FILE} into {staging}")
    return Path(target)


def load_checkpoint(folder: Path, device: str = "cpu"):
    """(model in eval mode, tokenizer, metadata) from a checkpoint folder; weights from safetensors only."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    folder = Path(folder)
    metadata = CheckpointMetadata.read(folder)
    if not (folder / WEIGHTS_FILE).is_file():
        raise CheckpointError(f"{folder} has no {WEIGHTS_FILE}; only safetensors checkpoints are loaded")
    model = AutoModelForTokenClassification.from_pretrained(folder, use_safetensors=True).to(device).eval()
    model_tags = [model.config.id2label[index] for index in range(len(model.config.id2label))]
    if model_tags != metadata.schema.tags:
        raise CheckpointError(
            f"{folder}: the model's labels {model_tags} do not match {METADATA_FILE}'s entity "
            f"types (tags {metadata.schema.tags})"
        )
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if not getattr(tokenizer, "is_fast", False):
        raise CheckpointError(f"{folder}: the tokenizer is not a fast (tokenizers-backed) one; offsets need it")
    return model, tokenizer, metadata
