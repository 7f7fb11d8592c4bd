"""Tie a child's life to its parent's: when the parent dies, even by SIGKILL, the child is asked to stop.

On Linux the kernel sends SIGTERM to the child when its parent exits (``PR_SET_PDEATHSIG``); elsewhere a
daemon thread notices that the parent changed. The child's SIGTERM handler then stops the run cleanly.
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
