"""MLflow runs of a study: each trial a child of the study's run (the ``kedro run``), each fold a child of its
trial. Parents are set explicitly (``mlflow.parentRunId``): trials run in worker threads or other machines."""

from __future__ import annotations

import time
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunStatus
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME

from resume_ner.tracking import flatten_params


class StudyTracker:
    """Creates and closes the trial and fold runs of one study under ``study_run_id``."""

    def __init__(self, tracking_uri: str, experiment_id: str, study_run_id: str, study_name: str) -> None:
        self.tracking_uri = tracking_uri
        self.experiment_id = experiment_id
        self.study_run_id = study_run_id
        self.study_name = study_name
        self._client = MlflowClient(tracking_uri)

    def start_trial(self, number: int, params: dict[str, Any]) -> str:
        run = self._client.create_run(
            self.experiment_id,
            run_name=f"trial-{number}",
            tags={
                MLFLOW_PARENT_RUN_ID: self.study_run_id,
                MLFLOW_RUN_NAME: f"trial-{number}",
                "resume_ner.study_name": self.study_name,
                "resume_ner.trial_number": str(number),
            },
        )
        self._client.log_batch(
            run.info.run_id, params=[Param(key, str(value)) for key, value in flatten_params(params).items()]
        )
        return run.info.run_id

    def start_fold(self, trial_run_id: str, number: int, fold: int) -> str:
        name = f"trial-{number}-fold-{fold}"
        run = self._client.create_run(
            self.experiment_id,
            run_name=name,
            tags={
                MLFLOW_PARENT_RUN_ID: trial_run_id,
                MLFLOW_RUN_NAME: name,
                "resume_ner.study_name": self.study_name,
                "resume_ner.trial_number": str(number),
                "resume_ner.fold": str(fold),
            },
        )
        return run.info.run_id

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int = 0) -> None:
        stamp = int(time.time() * 1000)
        self._client.log_batch(
            run_id, metrics=[Metric(key, float(value), stamp, step) for key, value in metrics.items()]
        )

    def set_tags(self, run_id: str, tags: dict[str, Any]) -> None:
        for key, value in tags.items():
            self._client.set_tag(run_id, key, str(value)[:5000])

    def finish(self, run_id: str, status: str) -> None:
        """End a run as FINISHED, KILLED (pruned) or FAILED."""
        self._client.set_terminated(run_id, status=status)

    def fail_run_tree(self, run_id: str) -> None:
        """End a dead worker's trial run FAILED, with its still running fold runs and the ``kedro run`` whose
        child it was (that run died with the worker). A run this tracking store does not hold (another worker's
        MLflow server) is left alone."""
        from mlflow.exceptions import MlflowException

        try:
            run = self._client.get_run(run_id)
        except MlflowException:
            return
        children = self._client.search_runs(
            [run.info.experiment_id], filter_string=f"tags.`{MLFLOW_PARENT_RUN_ID}` = '{run_id}'"
        )
        parent = run.data.tags.get(MLFLOW_PARENT_RUN_ID)
        for candidate in [*children, run, *([self._client.get_run(parent)] if parent else [])]:
            if (
                candidate.info.status == RunStatus.to_string(RunStatus.RUNNING)
                and candidate.info.run_id != self.study_run_id
            ):
                self.finish(candidate.info.run_id, "FAILED")
