"""Readable logs of the Kedro side: Optuna's log lines go through the project's logging configuration
(``conf/logging.yml``), and a log written to a file or a pipe has one plain line per record. (Library notices a
user cannot act on are dropped by ``resume_ner.notices``, in every process of the package.)"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from resume_ner.notices import add_filter_once

if TYPE_CHECKING:
    from rich.console import Console


class _DropReportedTrialFailures(logging.Filter):
    """Optuna logs a trial failure twice at WARNING, the first time with its traceback. A failed training run, a
    trial's invalid settings and a stop signal are already reported on one line (by the objective, or by the
    CLI for a stop), so Optuna's pair of records is dropped for those failures only: any other error keeps
    Optuna's record and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._dropped: set[str] = set()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        from resume_ner.errors import UserInputError
        from resume_ner.execution import TrainingFailed

        message = record.getMessage()
        trial = re.match(r"Trial (\d+) failed with ", message)
        if trial is None:
            return True
        with self._lock:
            if record.exc_info and isinstance(record.exc_info[1], (TrainingFailed, UserInputError, KeyboardInterrupt)):
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
    add_filter_once("optuna.study._optimize", _DropReportedTrialFailures)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """No "Loading weights" progress bars or load reports from transformers while models load in this process:
    they are noise in `kedro run`'s log and in the predict command's output (a fresh tagging head is expected)."""
    from transformers.utils import logging as transformers_logging

    bars, verbosity = transformers_logging.is_progress_bar_enabled(), transformers_logging.get_verbosity()
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        if bars:
            transformers_logging.enable_progress_bar()


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PLAIN_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class PlainFormatter(logging.Formatter):
    """``2026-12-02 17:25:11 INFO resume_ner.corpus.splits: Hold-out split: ...``; a traceback follows on its own
    lines, as the standard formatter writes it."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT, datefmt=PLAIN_DATE_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's line, without the newline a captured warning's text ends with (an empty line in a file)."""
        record.message = record.message.rstrip()
        return super().formatMessage(record)


class PlainLineHandler(logging.StreamHandler):
    """Writes ``PlainFormatter`` lines to the stream a rich console writes to, looked up at each record as rich
    does, so that output redirected later (pytest's capture, ``contextlib.redirect_stdout``) gets the lines."""

    def __init__(self, console: Console) -> None:
        super().__init__(console.file)
        self._console = console
        self.setFormatter(PlainFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record to the console's current stream (``Handler.handle`` holds the lock around this)."""
        self.stream = self._console.file
        super().emit(record)


def _writes_to_a_file(console: Console) -> bool:
    # Jupyter is not a terminal to rich, but it renders rich's output itself, without wrapping it at 80 columns.
    return not console.is_terminal and not console.is_jupyter


def plain_lines_off_terminal() -> None:
    """Where the console is not a terminal (a file, a pipe: CI, nohup, a scheduler), put a ``PlainLineHandler`` in
    place of each rich handler on the root logger, with the same level and filters, and give uncaught exceptions
    Python's own traceback back. Rich lays a record out in columns as wide as the terminal, which outside one is 80
    (or ``COLUMNS``), so a longer record would be cut across lines. On a terminal or in Jupyter nothing changes.
    Loggers' levels and filters are left as they are, and so is the capture of warnings Kedro's handler turned
    on: captured warnings reach the new handler through the root logger. Idempotent.

    ``conf/logging.yml`` cannot name a handler of this project: Kedro accepts only classes from ``logging`` and
    ``kedro.logging`` there, unless ``KEDRO_LOGGING_MODULE_ALLOWLIST`` says otherwise, which ``kedro run`` users
    would have to export. So the project's settings call this once Kedro has applied the file.
    """
    from rich.logging import RichHandler

    root = logging.getLogger()
    replaced = False
    for handler in list(root.handlers):
        if isinstance(handler, RichHandler) and _writes_to_a_file(handler.console):
            plain = PlainLineHandler(handler.console)
            plain.setLevel(handler.level)
            for kept in handler.filters:
                plain.addFilter(kept)
            root.removeHandler(handler)
            root.addHandler(plain)
            handler.close()
            replaced = True
    # Kedro's handler installs rich's traceback hook, which draws an uncaught error in an 80-column panel too.
    if replaced and getattr(sys.excepthook, "__module__", None) == "rich.traceback":
        sys.excepthook = sys.__excepthook__
