"""SIGTERM and Ctrl-C to a ``kedro run``: stop every child, leave a consistent record, exit 143 (130 for Ctrl-C).

A scheduler, a CI runner or a user stops a run with SIGTERM or SIGINT. ``stopping_on_signals`` turns the first one
into ``StopRequested`` in the main thread (a ``KeyboardInterrupt``, so Optuna records the running trial FAIL and
re-raises it, and Kedro's runner does not swallow it) and sets an event that training runs followed from other
threads (``hpo.n_workers`` > 1) poll, so they stop their children too. Whoever catches it closes what it opened:
the training run stops its child, the trial marks itself and its MLflow runs, the CLI ends the ``kedro run``'s own
MLflow run KILLED and exits with ``128 + signal``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_stop_event = threading.Event()
_received: list[int] = []


class StopRequested(KeyboardInterrupt):
    """The run was asked to stop by ``signal_name``; ``exit_status`` is what the process should exit with."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.exit_status = 128 + signum
        super().__init__(f"stopped by {self.signal_name}")


def stop_detail(error: BaseException) -> str:
    """``stopped by SIGTERM`` (or SIGINT for a plain Ctrl-C's KeyboardInterrupt)."""
    return str(error) if isinstance(error, StopRequested) else "stopped by SIGINT"


def stop_requested() -> StopRequested | None:
    """The stop a signal asked for, once one arrived in this process; None otherwise."""
    return StopRequested(_received[0]) if _stop_event.is_set() else None


def _on_signal(signum: int, frame) -> None:
    if _stop_event.is_set():
        return  # already stopping: the first signal's clean-up is under way and bounded by stop_grace_seconds
    _received.append(signum)
    _stop_event.set()
    raise StopRequested(signum)


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Within the block, the first SIGTERM or SIGINT raises ``StopRequested`` in the main thread and makes
    ``stop_requested`` answer for every thread. Only the main thread can install handlers; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop_event.clear()
        _received.clear()
