"""Project hooks."""

import mlflow
from kedro.framework.hooks import hook_impl


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
