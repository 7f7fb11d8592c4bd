"""Project hooks."""

import threading
from collections.abc import Generator
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from pydantic import BaseModel

from resume_ner.tracking import flatten_params


class EndMlflowRunsHook:
    """End the MLflow runs a pipeline opened, once it finishes (FINISHED) or fails (FAILED), and never a run its
    caller opened (``with mlflow.start_run(): session.run(...)`` in a notebook, an Airflow task, a test).

    kedro-mlflow 2.0.3 leaves runs on MLflow's run stack after an in-process ``KedroSession.run()``: it reopens its
    pipeline run before each node (one more stack entry per node) and ends it once, so the next session in the
    same process (tests, ``kedro server``) would silently log into it. Where a run is already active when the
    session starts, kedro-mlflow logs into that run instead of starting one, and its re-entries pile up on it;
    where a run opens later (another hook's), kedro-mlflow starts its own run nested under it, and on an error it
    ends every run on the stack, that one too. With tracking disabled for the pipeline (mlflow.yml
    ``disable_tracking.pipelines``) it opens nothing. So the hook notes the runs active just before the pipeline
    starts (the caller's), and afterwards:

    - ends every run above them on the stack: kedro-mlflow's own and any run nested above it, or a nested run a
      node left open, all opened by the pipeline;
    - takes kedro-mlflow's re-entries of a caller's run off the stack without ending that run;
    - on an error, keeps the caller's runs off the stack while kedro-mlflow ends its own, then puts them back.

    The hooks are pluggy wrappers, so they run around kedro-mlflow's hooks whatever order the two were registered
    in. MLflow's run stack is per thread, and so is what this hook records.
    """

    def __init__(self) -> None:
        self._pipeline = threading.local()

    @hook_impl(wrapper=True)
    def before_pipeline_run(self) -> Generator[None, Any, Any]:
        """Note the runs active before kedro-mlflow's ``before_pipeline_run``, and whether it started one."""
        callers = list(_run_stack())
        result = yield
        self._pipeline.callers = callers
        self._pipeline.own_run = len(_run_stack()) > len(callers)
        return result

    @hook_impl(wrapper=True)
    def after_pipeline_run(self) -> Generator[None, Any, Any]:
        """After kedro-mlflow's ``after_pipeline_run`` (which ends its run once), end what the pipeline left open:
        FINISHED, or FAILED if an ``after_pipeline_run`` hook raised."""
        callers, _ = self._take()
        status = "FAILED"
        try:
            result = yield
            status = "FINISHED"
            return result
        finally:
            if callers is not None:
                _end_runs_above(_run_stack(), callers, status)

    @hook_impl(wrapper=True)
    def on_pipeline_error(self) -> Generator[None, Any, Any]:
        """Around kedro-mlflow's ``on_pipeline_error``, with the caller's runs off the stack while it ends runs; then
        end with FAILED what is left."""
        callers, own_run = self._take()
        if callers is None:
            return (yield)
        stack = _run_stack()
        hidden: list = []
        # Only with a run of its own does kedro-mlflow end every run on the stack; when it logged into the caller's
        # run it reads that run off the stack for its message, so the caller's runs stay there then.
        if own_run and len(stack) > len(callers) and all(a is b for a, b in zip(stack, callers, strict=False)):
            hidden = stack[: len(callers)]
            del stack[: len(callers)]
        try:
            return (yield)
        finally:
            if hidden:
                _end_runs_above(stack, [], "FAILED")
                stack[:0] = hidden
            else:
                _end_runs_above(stack, callers, "FAILED")

    def _take(self) -> tuple[list | None, bool]:
        """What ``before_pipeline_run`` noted in this thread, forgotten once taken: ``(None, False)`` if nothing."""
        taken = getattr(self._pipeline, "callers", None), getattr(self._pipeline, "own_run", False)
        self._pipeline.callers, self._pipeline.own_run = None, False
        return taken


def _run_stack() -> list:
    """This thread's stack of active MLflow runs, the list ``mlflow.start_run``/``end_run`` push on and pop off.

    Private to MLflow (3.17): there is no public way to take an entry off without ending its run, which kedro-mlflow's
    re-entries of a caller's run need.
    """
    from mlflow.tracking.fluent import _active_run_stack

    return _active_run_stack.get()


def _end_runs_above(stack: list, callers: list, status: str) -> None:
    """End with ``status`` each run on ``stack`` above the ``callers``' entries, which are at its bottom; an entry
    that reopened one of the callers' runs is taken off without ending that run."""
    caller_ids = {entry.info.run_id for entry in callers}
    while len(stack) > len(callers):
        if stack[-1].info.run_id in caller_ids:
            stack.pop()
        else:
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


class RegisterChampionHook:
    """After a run that logged the pyfunc model (``final_training`` or the main job: kedro-mlflow's
    ``PipelineML``), register it in the Model Registry under ``serving.registered_model_name`` and move the alias
    ``champion`` to it when refit's hold-out score is at least the current champion's
    (``resume_ner.serving.registry``).

    A wrapper, so it runs around kedro-mlflow's ``after_pipeline_run``, which logs the model and ends the run: the
    run is read before and the model registered after."""

    @hook_impl(wrapper=True)
    def after_pipeline_run(self, pipeline, catalog) -> Generator[None, Any, Any]:
        from kedro_mlflow.pipeline.pipeline_ml import PipelineML

        active = mlflow.active_run()
        result = yield
        if isinstance(pipeline, PipelineML) and active is not None:
            from resume_ner.serving.registry import register_logged_model

            serving = catalog.load("params:serving")
            name = serving["registered_model_name"] if isinstance(serving, dict) else serving.registered_model_name
            score = catalog.load("holdout_metrics")["char_strict_micro_f1"]
            register_logged_model(active.info.run_id, pipeline.log_model_kwargs["name"], name, float(score))
        return result


class StartTrainingServerHook:
    """Start the preloaded fork server as the pipeline starts, when the pipeline will launch training children
    (a node tagged ``launches_training``) in ``training.launch.mode: preloaded``.

    The server's imports (torch, transformers, mlflow: 5 to 10 s of one core here) then run beside the parent's
    own work before the first fold (reading and splitting the corpus, preparing the study, the calibration's
    tokenising and warm-up) instead of in front of the first fold. The calibration waits for what is left of them
    before it times anything (``pipelines.hpo.nodes.plan_study``), so its figures are not slowed by them.
    """

    @hook_impl
    def before_pipeline_run(self, pipeline, catalog) -> None:
        from resume_ner.execution.launchers import LAUNCHES_TRAINING

        if not any(LAUNCHES_TRAINING in node.tags for node in pipeline.nodes):
            return
        launch = _launch_settings(catalog)
        # Several GPUs run each training under torchrun, a fresh process the server cannot fork.
        if launch is None or launch.mode != "preloaded" or launch.gpus > 1:
            return
        from resume_ner.execution import PreloadedLauncher

        PreloadedLauncher().start_server()


def _launch_settings(catalog):
    """``training.launch`` as the nodes will read it; None where the parameters are missing or invalid (the nodes'
    own validation reports that)."""
    from kedro.io.core import DatasetNotFoundError
    from pydantic import ValidationError

    from resume_ner.execution.command import LaunchSettings

    try:
        training = catalog.load("params:training")
    except DatasetNotFoundError:
        return None
    launch = training.get("launch", {}) if isinstance(training, dict) else getattr(training, "launch", None)
    try:
        return LaunchSettings.model_validate(launch if launch is not None else {})
    except ValidationError:
        return None
