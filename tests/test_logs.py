"""Library notices a user cannot act on are dropped where they arise; Optuna's records go through logging and
only the ones the study's own lines do not already say get through."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import optuna
import pytest
from conftest import copy_project

from resume_ner.execution import TrainingFailed
from resume_ner.execution.execute import TrainingResult
from resume_ner.logs import route_optuna_logs
from resume_ner.notices import silence_library_notices


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@pytest.fixture
def collect():
    """A handler on the root logger."""
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def test_a_listed_notice_sent_to_stderr_is_ignored_and_others_are_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_library_notices()
        warnings.warn("register_new_resolver() is deprecated and will be removed", UserWarning, stacklevel=1)
        warnings.warn("a warning the user can act on", UserWarning, stacklevel=1)
    assert [str(warning.message) for warning in caught] == ["a warning the user can act on"]


def test_mlflows_type_hint_notice_is_dropped_even_under_its_own_once_filter(collect):
    """mlflow shows this notice under ``simplefilter("once")`` of its own when a PythonModel subclass without type
    hints is defined, as kedro-mlflow's pipeline model is on import; filters of ours cannot override that."""
    import mlflow.pyfunc

    silence_library_notices()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # As Kedro's rich handler sets it; off first, because an earlier Kedro session in this process may have
        # turned it on with pytest's recorder of that test as the hook to restore.
        logging.captureWarnings(False)
        logging.captureWarnings(True)
        try:

            class NoHints(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
                def predict(self, context, model_input):
                    return model_input

            warnings.warn("a warning the user can act on", UserWarning, stacklevel=1)
        finally:
            logging.captureWarnings(False)
    messages = "\n".join(collect.messages())
    assert "a warning the user can act on" in messages
    assert "Add type hints" not in messages


def training_failed() -> TrainingFailed:
    return TrainingFailed(
        TrainingResult(
            status="failed", exit_status=1, run_dir=Path("/runs/trial-0/fold-0"), wall_seconds=0.1, stderr_tail=["boom"]
        )
    )


def test_optuna_records_go_through_logging_without_the_info_lines(collect, capfd):
    route_optuna_logs()
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
    assert not [message for message in collect.messages() if "finished with value" in message]
    assert "finished with value" not in capfd.readouterr().err  # Optuna's own stderr handler is gone


def test_a_failed_training_run_is_not_reported_twice_but_any_other_error_is(collect):
    route_optuna_logs()
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        if trial.number == 0:
            raise training_failed()
        raise ValueError("a bug in the objective")

    study.optimize(objective, n_trials=2, catch=(TrainingFailed, ValueError))
    failures = [record for record in collect.records if "failed with" in record.getMessage()]
    assert [record.getMessage().split(" failed with ")[0] for record in failures] == ["Trial 1", "Trial 1"]
    assert failures[0].exc_info is not None and isinstance(failures[0].exc_info[1], ValueError)


def test_a_trial_with_bad_settings_or_stopped_by_a_signal_is_not_reported_twice(collect):
    """The objective says why on one line (the user error; 'stopped by SIGTERM'), and the CLI says it once."""
    from resume_ner.errors import UserInputError
    from resume_ner.execution.stop_signals import StopRequested

    route_optuna_logs()
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        if trial.number == 0:
            raise UserInputError("tokenization.stride (48) must be less than half of max_length (80)")
        raise StopRequested()

    with pytest.raises(StopRequested):
        study.optimize(objective, n_trials=2, catch=(UserInputError,))
    assert not [record for record in collect.records if "failed with" in record.getMessage()]


def test_kedro_mlflows_repeated_line_is_shown_once(collect):
    silence_library_notices()
    hook_logger = logging.getLogger("kedro_mlflow.framework.hooks.mlflow_hook")
    hook_logger.setLevel(logging.INFO)
    try:
        for _ in range(10):
            hook_logger.info("The run 'abc' was closed because of an error in the pipeline.")
        hook_logger.info("The parent run 'abc' was closed because of an error in the pipeline.")
        hook_logger.info("The run 'abc' was closed because of an error in the pipeline.")
    finally:
        hook_logger.setLevel(logging.NOTSET)
    assert collect.messages() == [
        "The run 'abc' was closed because of an error in the pipeline.",
        "The parent run 'abc' was closed because of an error in the pipeline.",
        "The run 'abc' was closed because of an error in the pipeline.",
    ]


KEDRO = str(Path(sys.executable).parent / "kedro")
# The start of a plain record: time, level, logger.
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def _piped_env(project: Path) -> dict[str, str]:
    """The environment of a scheduler or CI job: no terminal size, nothing forcing colour."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
    }
    env.update(KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    return env


def _piped(project: Path, *command: str) -> subprocess.CompletedProcess:
    """``command`` in ``project`` with its output to pipes, as under CI, nohup or a scheduler."""
    return subprocess.run(
        command, cwd=project, env=_piped_env(project), capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
def test_kedro_run_into_a_pipe_writes_one_plain_line_per_record(tmp_path):
    project = copy_project(tmp_path)
    result = _piped(project, KEDRO, "run", "--pipelines=data_processing")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines and [line for line in lines if not RECORD.match(line)] == []  # no record was wrapped
    # Longer than 80 columns with its time, level and logger, each arrives whole on one line.
    holdout = [
        line
        for line in lines
        if re.search(r" INFO resume_ner\.[\w.]+: Hold-out split: \d+ training and \d+ hold-out documents$", line)
    ]
    assert len(holdout) == 1 and len(holdout[0]) > 80
    assert any(
        line.endswith(
            " INFO kedro.pipeline.node: Running node: make_folds: "
            "make_folds([corpus;document_groups;holdout_split;params:splits]) -> [folds]"
        )
        for line in lines
    )
    assert "\x1b[" not in result.stdout  # no colour codes in a file


# A notebook, an Airflow task: a session in the caller's own process, then a warning of the caller's.
SESSION_THEN_WARNING = """
import sys, warnings
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
project = Path(sys.argv[1])
bootstrap_project(project)
with KedroSession.create(project_path=project) as session:
    session.run(pipeline_names=["data_processing"])
warnings.warn("a warning the user can act on, " + "long enough to be wrapped at eighty columns", UserWarning)
"""


@pytest.mark.slow
def test_a_warning_goes_through_logging_as_a_plain_record_off_a_terminal(tmp_path):
    project = copy_project(tmp_path)
    result = _piped(project, sys.executable, "-c", SESSION_THEN_WARNING, str(project))
    assert result.returncode == 0, result.stderr[-3000:]
    warning = [line for line in result.stdout.splitlines() if "a warning the user can act on" in line]
    assert len(warning) == 1 and RECORD.match(warning[0]), result.stdout[-2000:]
    assert " WARNING py.warnings: " in warning[0]
    assert warning[0].endswith(
        "UserWarning: a warning the user can act on, long enough to be wrapped at eighty columns"
    )


@pytest.mark.slow
def test_an_unexpected_error_in_a_pipe_is_pythons_plain_traceback(tmp_path):
    project = copy_project(tmp_path)
    blocker = project / "data" / "03_primary"
    blocker.rmdir()
    blocker.touch()  # a file where the corpus's folder belongs: saving fails with an error no one reports for us
    result = _piped(project, KEDRO, "run", "--pipelines=data_processing")
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n"), result.stderr[:2000]
    assert f"FileExistsError: [Errno 17] File exists: '{blocker}'" in result.stderr.splitlines()
    assert "╭" not in result.stderr  # not rich's panel, which is cut at 80 columns outside a terminal


@pytest.mark.slow
def test_on_a_terminal_the_log_stays_rich(tmp_path):
    """A real pseudo-terminal as the output: Kedro's rich handler keeps its colours (and the bars their place)."""
    import pty

    project = copy_project(tmp_path)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [KEDRO, "run", "--pipelines=data_processing"],
            cwd=project,
            env=_piped_env(project),
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
        )
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=300) == 0
    finally:
        os.close(controller)
    text = output.decode("utf-8", "replace")
    assert "\x1b[" in text and "Running node: map_labels" in text
    assert not [line for line in text.splitlines() if RECORD.match(line)]
