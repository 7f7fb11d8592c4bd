"""``WorkspaceDataset``: the folder where training runs write their run folders and backbone caches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class WorkspaceDataset(AbstractDataset[None, Path]):
    """A folder handed to nodes as an absolute path (Kedro resolves a relative ``path`` against the project).

    Run folders go under ``<path>/runs`` and backbone caches under ``<path>/backbones``. It is read-only: the
    training runs write inside it, no node saves it.
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> Path:
        self._path.mkdir(parents=True, exist_ok=True)
        return self._path.resolve()

    def save(self, data: None) -> None:
        raise DatasetError(f"WorkspaceDataset {self._path} is a folder for training runs; nodes do not save it")

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
