"""Tie a child's life to its parent's: when the parent dies, even by SIGKILL, the child is asked to stop.

It belongs to the child's side (the training program calls ``die_with_parent``; the parent's launcher only
names this file as the exec wrapper its commands go through), so the child never imports the parent's side.

On Linux the kernel sends SIGTERM to the child when its parent exits (``PR_SET_PDEATHSIG``); elsewhere a
daemon thread notices that the parent changed. The child's SIGTERM handler then stops the run cleanly.

Run as a script, this module is the exec wrapper every launched command goes through
(``python -I lifeline.py PARENT_PID -- COMMAND...``): it asks for the death signal, then becomes COMMAND
(``execve`` keeps the setting), so a command that knows nothing of this (torchrun) dies with the parent too.
It imports only the standard library, so the wrapper costs a bare interpreter's start, not the package's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
# What a shell reports for a command it cannot run.
EXIT_CANNOT_RUN = 127


class StopRequest:
    """A signal handler that remembers the stop signal it got (truthy from then on): the run polls it between
    steps and stops cleanly, instead of being interrupted mid-write."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def __call__(self, signum, frame) -> None:
        self.signal_name = signal.Signals(signum).name

    def __bool__(self) -> bool:
        return self.signal_name is not None

    def listen(self, *signals: signal.Signals) -> StopRequest:
        """Handle ``signals`` (SIGTERM when none are named) with this request; returns it."""
        for signum in signals or (signal.SIGTERM,):
            signal.signal(signum, self)
        return self


def die_with_parent(expected_parent: int | None = None) -> None:
    """Ask for SIGTERM when the current parent process exits.

    ``expected_parent`` closes the race where the parent died before this call: if the current parent is not
    the expected one any more, SIGTERM is sent at once.
    """
    parent = os.getppid()
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGTERM)


def can_outlive_exec() -> bool:
    """Whether the death signal survives ``execve`` here (Linux), which is what the exec wrapper relies on."""
    return sys.platform.startswith("linux")


def tied_command(command: list[str], parent: int) -> list[str]:
    """``command`` run through this module's exec wrapper, tied to the process ``parent``.

    ``-I`` keeps the wrapper's interpreter from reading PYTHON* variables or putting this folder on its path
    (the command itself still gets the whole environment).
    """
    return [sys.executable, "-I", os.path.abspath(__file__), str(parent), "--", *command]


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def _exec_tied(argv: list[str]) -> int:
    """The wrapper: ``PARENT_PID -- COMMAND...``; returns only when COMMAND cannot be run."""
    if len(argv) < 3 or argv[1] != "--" or not argv[0].isdigit():
        print("usage: lifeline.py PARENT_PID -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[2:]
    die_with_parent(int(argv[0]))
    try:
        os.execvp(command[0], command)
    except OSError as error:
        print(f"Error: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
    return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(_exec_tied(sys.argv[1:]))
