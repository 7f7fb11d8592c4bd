"""``OptunaStorageDataset``: where the hpo study lives; an embedded SQLite file unless credentials name a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class OptunaStorageDataset(AbstractDataset[None, str]):
    """The storage URL of the Optuna study, for the hpo nodes.

    By default an SQLite file at ``filepath`` (nothing to install, one machine). With ``credentials`` holding a
    ``url`` (kept in ``conf/local/credentials.yml``, never in parameters, so it is never logged), every worker
    that points at it shares one study, e.g. ``postgresql+psycopg2://user:password@db-host:5432/optuna``.

    Example::

        optuna_storage:
          type: resume_ner.datasets.OptunaStorageDataset
          filepath: data/07_model_output/hpo/optuna.db
          credentials: optuna_storage   # optional
    """

    def __init__(
        self, filepath: str, credentials: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self._filepath = Path(filepath)
        self._url = (credentials or {}).get("url")
        if credentials and not self._url:
            raise DatasetError(
                "OptunaStorageDataset credentials need a 'url' key (an SQLAlchemy URL such as "
                "postgresql+psycopg2://user:password@host:5432/optuna)"
            )
        self.metadata = metadata

    def load(self) -> str:
        if self._url:
            return self._url
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self._filepath.resolve()}"

    def save(self, data: None) -> None:
        raise DatasetError("OptunaStorageDataset is where the study lives; the hpo node writes to it via Optuna")

    def _exists(self) -> bool:
        return bool(self._url) or self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        # Never the URL itself: it may hold a password.
        return {"filepath": str(self._filepath), "server": bool(self._url)}
