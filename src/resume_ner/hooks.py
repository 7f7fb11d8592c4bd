"""Project hooks."""

from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from pydantic import BaseModel

from resume_ner.tracking import flatten_params


class EndMlflowRunsHook:
    """End every MLflow run still active when a pipeline finishes or fails.

    kedro-mlflow 2.0.3 leaves its pipeline run active after an in-process ``KedroSession.run()``; the next
    session in the same process (tests, ``kedro server``) would then silently log into it. Project hooks run
    after plugin hooks, so this closes whatever kedro-mlflow left open.
    """

    @hook_impl
    def after_pipeline_run(self) -> None:
        _end_active_runs("FINISHED")

    @hook_impl
    def on_pipeline_error(self) -> None:
        _end_active_runs("FAILED")


def _end_active_runs(status: str) -> None:
    while mlflow.active_run() is not None:
        mlflow.end_run(status=status)


class LogTypedParametersHook:
    """Log pydantic-typed node parameters to MLflow key by key (``splits.n_folds``).

    kedro-mlflow flattens dict parameters but logs a pydantic model, which Kedro hands to nodes with typed
    parameters, as one string; this adds the searchable keys beside it.
    """

    @hook_impl
    def before_node_run(self, inputs: dict[str, Any]) -> None:
        if mlflow.active_run() is None:
            return
        params = {}
        for name, value in inputs.items():
            if name.startswith("params:") and isinstance(value, BaseModel):
                params.update(flatten_params(value.model_dump(mode="json"), name.removeprefix("params:") + "."))
        if params:
            mlflow.log_params(params)

