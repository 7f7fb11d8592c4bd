"""Notices from libraries that a user of this project cannot act on, dropped where they arise, in every process
of the package (``resume_ner/__init__`` calls ``silence_library_notices``): standard library only, so the
training program (the child) pays nothing for it and imports nothing of the Kedro side."""

from __future__ import annotations

import logging
import re
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
    # Kedro flags a namespaced node that reads another namespace's dataset, which is how namespaced pipelines
    # connect: final_training's warm start reads refit's ``refit.model``.
    r"One or more dataset names contain '\.' characters",
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


def add_filter_once(logger_name: str, kind: type[logging.Filter]) -> None:
    """Give the logger a ``kind`` filter unless it has one already (so a second call changes nothing)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, kind) for existing in logger.filters):
        logger.addFilter(kind())


def silence_library_notices() -> None:
    """Ignore the notices in ``LIBRARY_NOTICES``, whether they go to stderr or through logging, and kedro-mlflow's
    repeated lines. Idempotent."""
    for pattern in LIBRARY_NOTICES:
        warnings.filterwarnings("ignore", message=f".*{pattern}")
    add_filter_once("py.warnings", _DropLibraryNotices)
    add_filter_once("kedro_mlflow.framework.hooks.mlflow_hook", _DropRepeats)
