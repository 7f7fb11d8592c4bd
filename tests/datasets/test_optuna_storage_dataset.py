"""OptunaStorageDataset: an SQLite file by default, a server URL from credentials, never shown in logs."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, DatasetError

from resume_ner.datasets import OptunaStorageDataset

SERVER_URL = "postgresql+psycopg2://hpo:s3cr3t-pw@db-host:5432/optuna"


def test_default_load_is_an_absolute_sqlite_url_and_creates_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = OptunaStorageDataset(filepath="data/hpo/optuna.db")
    assert not (tmp_path / "data" / "hpo").exists()
    assert not dataset.exists()

    url = dataset.load()
    assert url == f"sqlite:///{tmp_path / 'data' / 'hpo' / 'optuna.db'}"
    assert url.startswith("sqlite:////")  # three slashes, then the absolute path's own
    assert (tmp_path / "data" / "hpo").is_dir()
    assert not (tmp_path / "data" / "hpo" / "optuna.db").exists()  # Optuna creates the file itself


def test_credentials_url_is_returned_as_is(tmp_path):
    dataset = OptunaStorageDataset(filepath=str(tmp_path / "hpo" / "optuna.db"), credentials={"url": SERVER_URL})
    assert dataset.load() == SERVER_URL
    assert dataset.exists()
    assert not (tmp_path / "hpo").exists()


@pytest.mark.parametrize("credentials", [{"username": "hpo", "password": "s3cr3t-pw"}, {"url": ""}])
def test_credentials_without_a_url_are_rejected_at_construction(tmp_path, credentials):
    with pytest.raises(DatasetError, match="credentials need a 'url' key"):
        OptunaStorageDataset(filepath=str(tmp_path / "optuna.db"), credentials=credentials)


def test_the_url_never_shows_in_the_description(tmp_path):
    dataset = OptunaStorageDataset(filepath=str(tmp_path / "optuna.db"), credentials={"url": SERVER_URL})
    described = dataset._describe()
    assert described == {"filepath": str(tmp_path / "optuna.db"), "server": True}
    for shown in (str(described), str(dataset), repr(dataset)):
        assert "s3cr3t-pw" not in shown
        assert "db-host" not in shown


def test_catalog_credentials_reach_the_dataset_without_being_shown(tmp_path):
    catalog = DataCatalog.from_config(
        {
            "optuna_storage": {
                "type": "resume_ner.datasets.OptunaStorageDataset",
                "filepath": str(tmp_path / "optuna.db"),
                "credentials": "optuna_storage",
            }
        },
        credentials={"optuna_storage": {"url": SERVER_URL}},
    )
    assert catalog.load("optuna_storage") == SERVER_URL
    assert "s3cr3t-pw" not in repr(catalog)


def test_save_is_refused(tmp_path):
    dataset = OptunaStorageDataset(filepath=str(tmp_path / "optuna.db"))
    with pytest.raises(DatasetError, match="hpo node writes to it via Optuna"):
        dataset.save("sqlite:///elsewhere.db")  # type: ignore[arg-type]
    with pytest.raises(DatasetError):  # Kedro refuses None before the dataset sees it
        dataset.save(None)
    assert not (tmp_path / "optuna.db").exists()
