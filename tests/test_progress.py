"""Progress bars: drawn on a terminal from a training run's events, absent where the output is not a terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from resume_ner.progress import ProgressBoard, training_progress

# Only the fields the bars read (a real event has more), so not typed as protocol events.
EVENTS: list[Any] = [
    {"event": "started"},
    {"event": "data_ready", "train_documents": 200},
    {"event": "step", "epoch": 1, "step": 50, "total_steps": 300},
    {"event": "epoch", "epoch": 1, "step": 100, "train_loss": 0.5},
    {"event": "step", "epoch": 2, "step": 150, "total_steps": 300},
]


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    output = io.StringIO()
    return Console(file=output, force_terminal=terminal, force_jupyter=False, width=100), output


def test_a_training_run_shows_its_epoch_and_steps_on_a_terminal(monkeypatch):
    monkeypatch.delenv("RESUME_NER_PROGRESS", raising=False)
    terminal, output = console(terminal=True)
    board = ProgressBoard(terminal)
    with training_progress("final training", epochs=3, board=board) as on_event:
        for event in EVENTS:
            on_event(event)
        board._progress.refresh()
        drawn = output.getvalue()
    assert "final training: epoch 2/3" in drawn
    assert "150/300" in drawn
    assert board._progress is None  # the last bar closed the display


def test_the_total_is_known_from_the_first_epoch_without_step_events(monkeypatch):
    monkeypatch.delenv("RESUME_NER_PROGRESS", raising=False)
    terminal, output = console(terminal=True)
    board = ProgressBoard(terminal)
    with training_progress("Trial 0 fold 1/2", epochs=4, board=board) as on_event:
        first_epoch: Any = {"event": "epoch", "epoch": 1, "step": 90}
        on_event(first_epoch)
        board._progress.refresh()
        assert "Trial 0 fold 1/2: epoch 2/4" in output.getvalue() and "90/360" in output.getvalue()


def test_no_bars_where_the_output_is_not_a_terminal_or_they_are_turned_off(monkeypatch):
    plain, output = console(terminal=False)
    with training_progress("refit training", epochs=2, board=ProgressBoard(plain)) as on_event:
        for event in EVENTS:
            on_event(event)
    assert output.getvalue() == ""

    monkeypatch.setenv("RESUME_NER_PROGRESS", "0")
    terminal, output = console(terminal=True)
    board = ProgressBoard(terminal)
    assert not board.enabled
    with training_progress("refit training", epochs=2, board=board) as on_event:
        for event in EVENTS:
            on_event(event)
    assert output.getvalue() == ""
