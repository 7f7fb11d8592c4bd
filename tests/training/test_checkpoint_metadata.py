"""resume_ner.json: how a checkpoint's inputs were cut and how its outputs are decoded."""

from __future__ import annotations

import json

import pytest

from resume_ner.tagging import BoundaryTrim
from resume_ner.training.checkpoint import METADATA_FILE, CheckpointError, CheckpointMetadata


def _write(folder, **fields) -> None:
    data = {"entity_types": ["SKILL"], "max_length": 64, "stride": 16, "subtoken_policy": "first", "format_version": 1}
    (folder / METADATA_FILE).write_text(json.dumps({**data, **fields}), encoding="utf-8")


def test_the_decoding_round_trips(tmp_path):
    metadata = CheckpointMetadata(("SKILL",), 64, 16, "first", "viterbi")
    (tmp_path / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
    assert CheckpointMetadata.read(tmp_path) == metadata


def test_a_checkpoint_from_before_decoding_was_recorded_keeps_argmax(tmp_path):
    _write(tmp_path)
    assert CheckpointMetadata.read(tmp_path).decoding == "argmax"


def test_an_unknown_decoding_is_refused_naming_the_file(tmp_path):
    _write(tmp_path, decoding="beam")
    with pytest.raises(CheckpointError, match=r"resume_ner\.json: decoding must be one of \('argmax', 'viterbi'\)"):
        CheckpointMetadata.read(tmp_path)


def test_the_learned_boundary_trim_round_trips_and_older_checkpoints_trim_nothing(tmp_path):
    metadata = CheckpointMetadata(("SKILL",), 64, 16, "first", "viterbi", BoundaryTrim(end=",;", start="("))
    (tmp_path / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
    assert CheckpointMetadata.read(tmp_path) == metadata
    assert json.loads((tmp_path / METADATA_FILE).read_text())["boundary_trim"] == {"end": ",;", "start": "("}
    _write(tmp_path, decoding="viterbi")
    assert CheckpointMetadata.read(tmp_path).boundary_trim is None


def test_a_malformed_boundary_trim_is_refused_naming_the_file(tmp_path):
    _write(tmp_path, boundary_trim=[",", "("])
    with pytest.raises(CheckpointError, match=r"resume_ner\.json is not valid checkpoint metadata: .*boundary_trim"):
        CheckpointMetadata.read(tmp_path)
