"""``BestParamsDataset``: the best-params record (YAML), validated on load so a bad file is named at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kedro.io import AbstractDataset

from resume_ner.errors import UserInputError
from resume_ner.files import write_text_atomically
from resume_ner.tuning.best_params import parse_best_params


class BestParamsDataset(AbstractDataset[dict, dict]):
    """The best hyperparameters and where they came from (see ``resume_ner.tuning.best_params``).

    ``hpo`` saves it; ``refit`` and ``final_training`` load it. A hand-written file works too: only ``params``
    is required. Loading fails with one line naming the file and each bad key.
    """

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> dict:
        try:
            data = yaml.safe_load(self._filepath.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserInputError(
                f"Best-params file {self._filepath} does not exist: run `kedro run --pipelines=hpo`, or write it "
                f"by hand (see README, 'Best parameters')"
            ) from None
        except yaml.YAMLError as error:
            raise UserInputError(
                f"Best-params file {self._filepath} is not valid YAML: {' '.join(str(error).split())}"
            ) from None
        return parse_best_params(data, str(self._filepath)).model_dump(exclude_none=True)

    def save(self, data: dict) -> None:
        record = parse_best_params(data, str(self._filepath)).model_dump(exclude_none=True)
        write_text_atomically(self._filepath, yaml.safe_dump(record, sort_keys=False))

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
