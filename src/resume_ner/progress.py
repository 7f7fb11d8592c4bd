"""Live progress bars for the long steps: a study's trials and each training run's steps.

The bars share rich's console with Kedro's log handler, so log lines scroll above them. Where the output is not
a terminal (CI, a redirected log, Jupyter) there are no bars and the log lines are the record; set
``RESUME_NER_PROGRESS=0`` to turn them off on a terminal too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from resume_ner.training.protocol import Event, ProgressEvent


class ProgressTask:
    """One bar; all updates are no-ops when progress is not shown."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress, self._task = progress, task

    def update(self, **fields: Any) -> None:
        """``description``, ``completed`` and/or ``total`` (rich's ``Progress.update``)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, **fields)


class ProgressBoard:
    """The process's bars: started with the first task and stopped when the last one ends."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console
        self._progress: Progress | None = None
        self._open = 0
        self._lock = threading.Lock()

    @property
    def console(self) -> Console:
        from rich import get_console

        return self._console or get_console()

    @property
    def enabled(self) -> bool:
        console = self.console
        return (
            console.is_terminal
            and not console.is_jupyter
            and os.environ.get("RESUME_NER_PROGRESS", "1").strip().lower() not in {"0", "false", "no", "off"}
        )

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[ProgressTask]:
        if not self.enabled:
            yield ProgressTask(None, None)
            return
        with self._lock:
            if self._progress is None:
                self._progress = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=self.console,
                    transient=True,
                )
                self._progress.start()
            progress = self._progress
            task = progress.add_task(description, total=total)
            self._open += 1
        try:
            yield ProgressTask(progress, task)
        finally:
            with self._lock:
                progress.remove_task(task)
                self._open -= 1
                if self._open == 0:
                    progress.stop()
                    self._progress = None


_BOARD = ProgressBoard()


def progress_board() -> ProgressBoard:
    """The bars of this process (on rich's global console, the one Kedro's log handler writes to)."""
    return _BOARD


@contextmanager
def training_progress(
    label: str, epochs: int, board: ProgressBoard | None = None
) -> Iterator[Callable[[ProgressEvent], None]]:
    """A bar for one training run, fed by its progress events: yields the ``on_event`` callback.

    The bar counts optimiser steps; the run's total is known from its first ``step`` event (``total_steps``) or
    its first ``epoch`` event (steps so far / epochs so far x epochs).
    """
    with (board or progress_board()).task(f"{label}: loading", total=None) as bar:

        def on_event(event: ProgressEvent) -> None:
            if event["event"] == Event.DATA_READY:
                bar.update(description=f"{label}: epoch 1/{epochs}")
            elif event["event"] == Event.STEP:
                bar.update(
                    description=f"{label}: epoch {event['epoch']}/{epochs}",
                    completed=event["step"],
                    total=event["total_steps"],
                )
            elif event["event"] == Event.EPOCH:
                epoch, step = int(event["epoch"]), int(event["step"])
                bar.update(
                    description=f"{label}: epoch {min(epoch + 1, epochs)}/{epochs}",
                    completed=step,
                    total=step // max(1, epoch) * epochs,
                )

        yield on_event
