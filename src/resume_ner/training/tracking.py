"""Log into an MLflow run the parent owns: params, per-epoch and final metrics; never create, rename or end it.

MLflow is imported only when a run is named (in the config or MLFLOW_RUN_ID), so an untracked run never
touches it.
"""

from __future__ import annotations

import os
import time
from typing import Any

from resume_ner.errors import UserInputError
from resume_ner.tracking import flatten_params

MAX_PARAM_LENGTH = 6000


class RunTracker:
    """MlflowClient calls bound to one existing run id (client calls need no active run, so nothing ends it)."""

    def __init__(self, tracking_uri: str | None, run_id: str, prefix: str = "") -> None:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        self.run_id = run_id
        self.prefix = prefix
        self._client = MlflowClient(tracking_uri)
        try:
            status = self._client.get_run(run_id).info.status
        except MlflowException as error:
            raise UserInputError(
                f"MLflow run {run_id} not found at {tracking_uri or 'the default URI'}: {str(error).splitlines()[0]}"
            ) from None
        if status != "RUNNING":
            raise UserInputError(f"MLflow run {run_id} is {status}; the parent must hand over a running run")

    @classmethod
    def from_config(cls, tracking) -> RunTracker | None:
        run_id = tracking.run_id or os.environ.get("MLFLOW_RUN_ID")
        if not run_id:
            return None
        return cls(tracking.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"), run_id, tracking.prefix)

    def log_params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        flat = flatten_params(params, self.prefix)
        self._client.log_batch(self.run_id, params=[Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in flat.items()])

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        flat = {
            k: float(v)
            for k, v in flatten_params(metrics, self.prefix).items()
            if isinstance(v, (int, float)) and v == v
        }
        self._client.log_batch(self.run_id, metrics=[Metric(k, v, stamp, step or 0) for k, v in flat.items()])
