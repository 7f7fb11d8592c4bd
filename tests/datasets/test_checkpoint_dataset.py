"""CheckpointDataset (a checked checkpoint folder, replaced atomically) and WorkspaceDataset (a run folder root)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from kedro.io import DatasetError

from resume_ner.backbones import BackboneSpec, TinyBertConfig, resolve_backbone
from resume_ner.corpus.labels import LabelSchema
from resume_ner.datasets import CheckpointDataset, WorkspaceDataset, checkpoint_dataset
from resume_ner.datasets.checkpoint_dataset import REQUIRED_FILES
from resume_ner.training.checkpoint import (
    METADATA_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    CheckpointMetadata,
    save_checkpoint,
)

TEXTS = ["Ada Lovelace worked at Acme Corp.", "Skills: Python, SQL and Docker.", "Email: ada@example.com"]
TINY = TinyBertConfig(
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    vocab_size=200,
    max_position_embeddings=64,
)


def build_checkpoint(backbone: Path, entity_types: tuple[str, ...], target: Path) -> Path:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    schema = LabelSchema(entity_types)
    model = AutoModelForTokenClassification.from_pretrained(
        backbone, num_labels=len(schema.tags), id2label=schema.id2label, label2id=schema.label2id
    )
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    return save_checkpoint(model, tokenizer, CheckpointMetadata(entity_types, 32, 8, "first"), target)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> tuple[Path, Path]:
    """Two real, different checkpoints (different label sets), each as a training run would leave it."""
    tmp = tmp_path_factory.mktemp("checkpoints")
    backbone = resolve_backbone(BackboneSpec(name="tiny-bert", tiny=TINY), texts=TEXTS, cache_dir=tmp / "cache")
    first = build_checkpoint(backbone, ("COMPANY", "SKILL"), tmp / "run-a" / "checkpoint")
    second = build_checkpoint(backbone, ("NAME",), tmp / "run-b" / "checkpoint")
    return first, second


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (relative path -> bytes, mtime in ns)."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def contents(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _) in snapshot(folder).items()}


def leftovers(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir() if path.name.endswith((".tmp", ".old")))


def cause(error: DatasetError) -> BaseException:
    assert error.__cause__ is not None
    return error.__cause__


def copy_without(checkpoint: Path, name: str, target: Path) -> Path:
    shutil.copytree(checkpoint, target)
    (target / name).unlink()
    return target


def test_the_fixture_checkpoints_hold_every_required_file(checkpoints):
    for checkpoint in checkpoints:
        assert all((checkpoint / name).is_file() for name in REQUIRED_FILES)
    assert contents(checkpoints[0]) != contents(checkpoints[1])


def test_save_copies_the_checkpoint_and_load_returns_its_path(checkpoints, tmp_path):
    source = checkpoints[0]
    target = tmp_path / "06_models" / "final_training" / "model"
    dataset = CheckpointDataset(str(target))
    assert not dataset.exists()
    dataset.save(source)
    assert contents(target) == contents(source)
    assert dataset.load() == target
    assert dataset.exists()
    assert leftovers(target.parent) == []
    assert contents(source) == contents(checkpoints[0])  # the source is copied, not moved


def test_save_accepts_a_string_path(checkpoints, tmp_path):
    target = tmp_path / "model"
    CheckpointDataset(str(target)).save(str(checkpoints[1]))
    assert contents(target) == contents(checkpoints[1])


def test_saving_over_an_existing_model_replaces_it_completely(checkpoints, tmp_path):
    old, new = checkpoints
    target = tmp_path / "model"
    dataset = CheckpointDataset(str(target))
    dataset.save(old)
    (target / "only_in_the_old_model.txt").write_text("stale", encoding="utf-8")
    (target / "nested").mkdir()
    (target / "nested" / "stale.bin").write_bytes(b"\0")

    dataset.save(new)

    assert contents(target) == contents(new)
    assert not (target / "only_in_the_old_model.txt").exists() and not (target / "nested").exists()
    assert json.loads((target / METADATA_FILE).read_text(encoding="utf-8"))["entity_types"] == ["NAME"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no .tmp / .old folders


@pytest.mark.parametrize("missing", [WEIGHTS_FILE, METADATA_FILE])
def test_saving_an_incomplete_checkpoint_raises_and_leaves_the_existing_model_untouched(checkpoints, tmp_path, missing):
    target = tmp_path / "models" / "model"
    dataset = CheckpointDataset(str(target))
    dataset.save(checkpoints[0])
    before = snapshot(target)
    broken = copy_without(checkpoints[1], missing, tmp_path / "broken")

    with pytest.raises(DatasetError) as caught:
        dataset.save(broken)

    error = cause(caught.value)
    assert isinstance(error, CheckpointError)
    assert missing in str(error) and str(broken) in str(error)
    assert snapshot(target) == before
    assert leftovers(target.parent) == []


def test_a_failure_while_swapping_in_leaves_the_old_model_and_no_staging_folder(checkpoints, tmp_path, monkeypatch):
    target = tmp_path / "model"
    dataset = CheckpointDataset(str(target))
    dataset.save(checkpoints[0])
    before = snapshot(target)

    def fail(staging: Path, destination: Path) -> None:
        assert staging.is_dir() and staging.name.endswith(".tmp")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_dataset, "replace_folder", fail)
    with pytest.raises(DatasetError) as caught:
        dataset.save(checkpoints[1])
    assert isinstance(cause(caught.value), OSError)
    assert snapshot(target) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("missing", REQUIRED_FILES)
def test_load_names_each_missing_required_file(checkpoints, tmp_path, missing):
    folder = copy_without(checkpoints[0], missing, tmp_path / "model")
    with pytest.raises(DatasetError) as caught:
        CheckpointDataset(str(folder)).load()
    error = cause(caught.value)
    assert isinstance(error, CheckpointError)
    assert str(error).startswith(f"Checkpoint folder {folder} is missing {missing}; ")


def test_load_names_every_missing_file_at_once(checkpoints, tmp_path):
    folder = copy_without(checkpoints[0], WEIGHTS_FILE, tmp_path / "model")
    (folder / "config.json").unlink()
    with pytest.raises(DatasetError) as caught:
        CheckpointDataset(str(folder)).load()
    assert f"is missing config.json, {WEIGHTS_FILE};" in str(cause(caught.value))


def test_load_of_a_missing_folder_says_to_train_it_first(tmp_path):
    with pytest.raises(DatasetError) as caught:
        CheckpointDataset(str(tmp_path / "absent")).load()
    assert f"Checkpoint folder {tmp_path / 'absent'} does not exist" in str(cause(caught.value))


def test_load_rejects_unreadable_metadata(checkpoints, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(checkpoints[0], folder)
    metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    (folder / METADATA_FILE).write_text(json.dumps({**metadata, "format_version": 99}), encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        CheckpointDataset(str(folder)).load()
    assert isinstance(cause(caught.value), CheckpointError)
    assert "format_version" in str(cause(caught.value))


# --- WorkspaceDataset -------------------------------------------------------------------------------------------


def test_workspace_load_creates_the_folder_and_returns_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = WorkspaceDataset("data/05_workspace")
    assert not dataset.exists()
    path = dataset.load()
    assert path.is_absolute()
    assert path == (tmp_path / "data" / "05_workspace").resolve()
    assert path.is_dir()
    assert dataset.exists()
    assert dataset.load() == path  # loading again is fine


@pytest.mark.parametrize("data", [None, "anything"])
def test_workspace_save_raises_dataset_error(tmp_path, data):
    dataset = WorkspaceDataset(str(tmp_path / "workspace"))
    # Kedro itself refuses to save None; any other value reaches the dataset's own refusal.
    with pytest.raises(DatasetError, match="not allowed" if data is None else "nodes do not save it"):
        dataset.save(data)
    assert not (tmp_path / "workspace").exists()
