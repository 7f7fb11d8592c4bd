"""BestParamsDataset: a YAML record written atomically and validated on load, with one-line errors."""

from __future__ import annotations

import pytest
import yaml
from kedro.io import DatasetError

from resume_ner.datasets import BestParamsDataset
from resume_ner.errors import UserInputError

RECORD = {
    "params": {"learning_rate": 0.0003, "batch_size": 16, "dropout": 0.1},
    "best_epochs": [4, 5, 4],
    "study_name": "resume-ner-1a2b3c",
    "study_run_id": "0f3c",
    "trial_number": 7,
    "trial_run_id": "9e1d",
    "value": 0.71,
    "objective": "micro_f1",
}


def cause(error: DatasetError) -> BaseException:
    """Kedro wraps a dataset's load/save errors in DatasetError; the original is the cause."""
    assert error.__cause__ is not None
    return error.__cause__


def load_error(path, text: str) -> str:
    """The one-line UserInputError that loading a best-params file holding ``text`` raises (inside Kedro's
    DatasetError)."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        BestParamsDataset(str(path)).load()
    error = cause(caught.value)
    assert isinstance(error, UserInputError)
    assert "\n" not in str(error)
    return str(error)


def test_save_then_load_round_trips_and_writes_yaml(tmp_path):
    path = tmp_path / "06_models" / "best_params.yml"
    dataset = BestParamsDataset(str(path))
    dataset.save(RECORD)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == RECORD
    assert dataset.load() == RECORD
    assert dataset.exists()


def test_save_leaves_no_temporary_file_and_replaces_an_older_record(tmp_path):
    path = tmp_path / "best_params.yml"
    dataset = BestParamsDataset(str(path))
    dataset.save({"params": {"learning_rate": 0.1}, "study_name": "old"})
    dataset.save(RECORD)
    assert sorted(child.name for child in tmp_path.iterdir()) == ["best_params.yml"]
    assert dataset.load() == RECORD


def test_save_drops_unset_fields(tmp_path):
    path = tmp_path / "best_params.yml"
    BestParamsDataset(str(path)).save({"params": {"seed": 3}, "study_name": None})
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"params": {"seed": 3}}


def test_save_rejects_an_invalid_record_and_writes_nothing(tmp_path):
    path = tmp_path / "best_params.yml"
    with pytest.raises(DatasetError) as caught:
        BestParamsDataset(str(path)).save({"params": {"not_a_setting": 1}})
    assert isinstance(cause(caught.value), UserInputError)
    assert "not_a_setting" in str(cause(caught.value))
    assert list(tmp_path.iterdir()) == []


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "best_params.yml"
    dataset = BestParamsDataset(str(path))
    assert not dataset.exists()
    with pytest.raises(DatasetError) as caught:
        dataset.load()
    error = cause(caught.value)
    assert isinstance(error, UserInputError)
    assert f"Best-params file {path} does not exist" in str(error)
    assert "\n" not in str(error)


def test_invalid_yaml_is_reported_on_one_line(tmp_path):
    path = tmp_path / "best_params.yml"
    message = load_error(path, "params:\n  learning_rate: [0.1\n  batch_size: 8\n")
    assert message.startswith(f"Best-params file {path} is not valid YAML: ")
    assert "line" in message  # the parser's position survives the flattening


def test_a_hand_written_file_with_only_params_loads(tmp_path):
    path = tmp_path / "best_params.yml"
    path.write_text("# chosen by hand\nparams:\n  learning_rate: 3.0e-4\n  epochs: 5\n", encoding="utf-8")
    assert BestParamsDataset(str(path)).load() == {"params": {"learning_rate": 3.0e-4, "epochs": 5}}


def test_a_hand_written_file_with_a_bad_key_names_file_and_key(tmp_path):
    path = tmp_path / "best_params.yml"
    message = load_error(path, "params:\n  learning_rate: 0.001\nbest_epoch: [3]\n")
    assert str(path) in message and "best_epoch: unknown key" in message


def test_an_empty_file_is_not_a_mapping(tmp_path):
    path = tmp_path / "best_params.yml"
    assert f"Best-params file {path} must be a mapping" in load_error(path, "")
