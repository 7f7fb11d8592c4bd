"""Readable logs: notices from libraries that a user of this project cannot act on are dropped where they
arise, and Optuna's log lines go through the project's logging configuration (``conf/logging.yml``)."""

from __future__ import annotations

import logging
import re
import threading
import warnings

# Deprecation and design notices from inside kedro, kedro-mlflow and mlflow.
LIBRARY_NOTICES = (
    r"register_new_resolver\(\) is deprecated",
    # kedro-mlflow's pipeline model has no type hints; mlflow warns when the class is defined (on import).
    r"Add type hints to the `predict` method",
    r"Any type hint is inferred as AnyType",
    # Optuna marks heartbeats (how workers find trials whose worker died) experimental; we rely on them on purpose.
    r"Argument ``(heartbeat_interval|grace_period|heartbeat_stale_trial_callback)``",
    r"RetryHeartbeatStaleTrialCallback is experimental",
)
_NOTICE = re.compile("|".join(LIBRARY_NOTICES))


class _DropLibraryNotices(logging.Filter):
    """For warnings that reach logging (Kedro's handler captures them): mlflow shows its type-hint notice
    under its own ``once`` filter, which no ``warnings.filterwarnings`` entry of ours can override."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _NOTICE.search(record.getMessage())


class _DropRepeats(logging.Filter):
    """kedro-mlflow closes a failed run once per time a node re-entered it, logging "The run '<id>' was closed
    because of an error in the pipeline." each time (ten lines for ten nodes): a repeat of the previous
    record of the same logger is dropped."""

    def __init__(self) -> None:
        super().__init__()
        self._last: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        repeat, self._last = message == self._last, message
        return not repeat


def _add_once(logger_name: str, kind: type[logging.Filter]) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, kind) for existing in logger.filters):
        logger.addFilter(kind())


def silence_library_notices() -> None:
    """Ignore the notices in ``LIBRARY_NOTICES``, whether they go to stderr or through logging, and kedro-mlflow's
    repeated lines. Idempotent."""
    for pattern in LIBRARY_NOTICES:
        warnings.filterwarnings("ignore", message=f".*{pattern}")
    _add_once("py.warnings", _DropLibraryNotices)
    _add_once("kedro_mlflow.framework.hooks.mlflow_hook", _DropRepeats)


class _DropReportedTrialFailures(logging.Filter):
    """Optuna logs a caught trial failure twice at WARNING, the first time with its traceback. A failed training
    run is already reported on one line by the objective (with the child's exit status and stderr), so Optuna's
    pair of records is dropped for those failures only: any other error keeps Optuna's record and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._dropped: set[str] = set()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        from resume_ner.execution import TrainingFailed

        message = record.getMessage()
        trial = re.match(r"Trial (\d+) failed with ", message)
        if trial is None:
            return True
        with self._lock:
            if record.exc_info and isinstance(record.exc_info[1], TrainingFailed):
                self._dropped.add(trial.group(1))
                return False
            if message.startswith(f"Trial {trial.group(1)} failed with value ") and trial.group(1) in self._dropped:
                self._dropped.discard(trial.group(1))
                return False
        return True


def route_optuna_logs() -> None:
    """Send Optuna's log records through logging (not its own stderr handler) at WARNING and above: its INFO
    lines repeat what the study's own progress lines say. Idempotent."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()
    _add_once("optuna.study._optimize", _DropReportedTrialFailures)
