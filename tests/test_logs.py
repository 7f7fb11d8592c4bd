"""Library notices a user cannot act on are dropped where they arise; Optuna's records go through logging and
only the ones the study's own lines do not already say get through."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import optuna
import pytest

from resume_ner.execution import TrainingFailed
from resume_ner.execution.execute import TrainingResult
from resume_ner.logs import route_optuna_logs, silence_library_notices


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

            class NoHints(mlflow.pyfunc.PythonModel):
                def predict(self, context, model_input):
                    return model_input

            warnings.warn("a warning the user can act on", UserWarning, stacklevel=1)
        finally:
            logging.captureWarnings(False)
    messages = "\n".join(collect.messages())
    assert "a warning the user can act on" in messages
    assert "Add type hints" not in messages


def training_failed() -> TrainingFailed:
    return TrainingFailed(TrainingResult(status="failed", exit_status=1, run_dir=Path("/runs/trial-0/fold-0"),
                                         wall_seconds=0.1, stderr_tail=["boom"]))


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
    assert collect.messages() == ["The run 'abc' was closed because of an error in the pipeline.",
                                  "The parent run 'abc' was closed because of an error in the pipeline.",
                                  "The run 'abc' was closed because of an error in the pipeline."]
