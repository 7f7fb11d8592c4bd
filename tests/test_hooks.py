"""EndMlflowRunsHook in real in-process Kedro sessions with kedro-mlflow and a sqlite MLflow store: it ends what the
pipeline opened, whatever the outcome, and never a run its caller opened (a notebook, an Airflow task, a test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from conftest import copy_project, run_kedro
from kedro.framework.hooks import hook_impl
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

# Every test runs a real `kedro run` session with kedro-mlflow.
pytestmark = pytest.mark.slow

# A corpus that fails validation: data_processing's first node raises.
MALFORMED = [{"id": "1", "text": "Jane Doe", "annotations": [[0, 99, "NAME"]]}]


@pytest.fixture(autouse=True)
def _no_run_left_open():
    """A failing test must not leave a run active for the tests after it."""
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()


def _uri(project: Path) -> str:
    return f"sqlite:///{project / 'mlflow.db'}"


def _runs(project: Path) -> dict[str, mlflow.entities.Run]:
    """The project's MLflow runs by name."""
    client = mlflow.MlflowClient(_uri(project))
    experiment = client.get_experiment_by_name("resume_ner")
    return {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}


def _status(project: Path, run_id: str | None) -> str:
    assert run_id is not None
    return mlflow.MlflowClient(_uri(project)).get_run(run_id).info.status


def _malformed_project(tmp_path: Path) -> Path:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(MALFORMED), encoding="utf-8")
    return copy_project(tmp_path, raw_corpus=bad)


def _open_callers_run(project: Path) -> mlflow.ActiveRun:
    """The caller's run, opened before the session as a notebook or an orchestrator would."""
    mlflow.set_tracking_uri(_uri(project))
    mlflow.set_experiment("resume_ner")
    return mlflow.start_run(run_name="caller")


def test_a_callers_run_that_kedro_mlflow_logs_into_stays_open(tmp_path):
    """With a run already active, kedro-mlflow logs into it (one re-entry per node) instead of starting its own."""
    project = copy_project(tmp_path)
    with _open_callers_run(project) as caller:
        run_kedro(project, "data_processing")
        assert mlflow.active_run() is not None and mlflow.active_run().info.run_id == caller.info.run_id
        assert _status(project, caller.info.run_id) == "RUNNING"
    # The caller's one end_run ended it: kedro-mlflow's re-entries of it are gone from the run stack too.
    assert mlflow.active_run() is None
    runs = _runs(project)
    assert list(runs) == ["caller"] and runs["caller"].info.status == "FINISHED"
    assert runs["caller"].data.params["splits.n_folds"] == "5"


def test_a_pipeline_error_leaves_a_callers_run_open_and_untouched(tmp_path):
    project = _malformed_project(tmp_path)
    with _open_callers_run(project) as caller:
        with pytest.raises(Exception, match="is not valid"):
            run_kedro(project, "data_processing")
        assert mlflow.active_run() is not None and mlflow.active_run().info.run_id == caller.info.run_id
        assert _status(project, caller.info.run_id) == "RUNNING"
    assert mlflow.active_run() is None
    assert _status(project, caller.info.run_id) == "FINISHED"


class OpenRunAfterCatalog:
    """A caller whose run opens after kedro-mlflow has read its configuration (another plugin's or a project's
    hook): kedro-mlflow then starts its own run, nested under it."""

    def __init__(self) -> None:
        self.run_id: str | None = None

    @hook_impl
    def after_catalog_created(self) -> None:
        self.run_id = mlflow.start_run(run_name="caller").info.run_id


def _session_with_caller(project: Path, caller: OpenRunAfterCatalog) -> None:
    os.environ["MLFLOW_TRACKING_URI"] = _uri(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        session._hook_manager.register(caller)  # type: ignore[attr-defined]  # no public way to add a hook to one session
        session.run(pipeline_names=["data_processing"])  # type: ignore[call-arg]


def test_kedro_mlflows_own_run_ends_finished_and_the_callers_stays_open(tmp_path):
    project = copy_project(tmp_path)
    caller = OpenRunAfterCatalog()
    _session_with_caller(project, caller)
    assert mlflow.active_run() is not None and mlflow.active_run().info.run_id == caller.run_id
    assert _status(project, caller.run_id) == "RUNNING"
    mlflow.end_run()
    assert mlflow.active_run() is None
    pipeline_run = _runs(project)["data_processing"]
    assert pipeline_run.info.status == "FINISHED"
    assert pipeline_run.data.tags["mlflow.parentRunId"] == caller.run_id


def test_on_a_pipeline_error_kedro_mlflows_own_run_fails_and_the_callers_is_untouched(tmp_path):
    project = _malformed_project(tmp_path)
    caller = OpenRunAfterCatalog()
    with pytest.raises(Exception, match="is not valid"):
        _session_with_caller(project, caller)
    # kedro-mlflow ends every run on the stack on an error; the hook keeps the caller's out of its reach.
    assert mlflow.active_run() is not None and mlflow.active_run().info.run_id == caller.run_id
    assert _status(project, caller.run_id) == "RUNNING"
    mlflow.end_run()
    assert mlflow.active_run() is None
    assert _runs(project)["data_processing"].info.status == "FAILED"


def test_two_sessions_in_a_row_in_one_process_do_not_share_a_run(tmp_path):
    """The leak the hook was made for: kedro-mlflow leaves its run active after an in-process session."""
    project = copy_project(tmp_path)
    run_kedro(project, "data_processing")
    assert mlflow.active_run() is None
    run_kedro(project, "data_processing", runtime_params={"splits": {"n_folds": 4}})
    assert mlflow.active_run() is None
    client = mlflow.MlflowClient(_uri(project))
    experiment = client.get_experiment_by_name("resume_ner")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    assert [run.info.status for run in runs] == ["FINISHED", "FINISHED"]
    assert [run.data.params["splits.n_folds"] for run in runs] == ["5", "4"]


# In a fresh interpreter: kedro-mlflow's hook is one object per process and keeps the last run id it started, which
# an untracked pipeline then tries to reopen in its own store ("Run with id=... not found"), a kedro-mlflow bug.
UNTRACKED_SESSION_IN_A_CALLERS_RUN = """
import json, sys
from pathlib import Path
import mlflow
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
project = Path(sys.argv[1])
mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
mlflow.set_experiment("resume_ner")
bootstrap_project(project)
with mlflow.start_run(run_name="caller") as caller:
    with KedroSession.create(project_path=project) as session:
        session.run(pipeline_names=["data_processing"])
    active = mlflow.active_run()
    status = mlflow.MlflowClient().get_run(caller.info.run_id).info.status
    print(json.dumps({"active": active and active.info.run_id, "caller": caller.info.run_id, "status": status}))
"""


def test_with_tracking_disabled_for_the_pipeline_the_callers_run_stays_open(tmp_path):
    project = copy_project(tmp_path)
    mlflow_yml = project / "conf" / "base" / "mlflow.yml"
    mlflow_yml.write_text(mlflow_yml.read_text().replace("pipelines: []", "pipelines: [data_processing]"))
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=_uri(project))
    result = subprocess.run(
        [sys.executable, "-c", UNTRACKED_SESSION_IN_A_CALLERS_RUN, str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["active"] == seen["caller"] and seen["status"] == "RUNNING"
    assert list(_runs(project)) == ["caller"]
