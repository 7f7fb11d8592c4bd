"""Which process a running record belongs to, and whether that process is gone.

A trial or an MLflow run left RUNNING may belong to a worker that was killed (SIGKILL, a crash, a reboot) or to
one that is alive and busy (a second ``kedro run`` on the same study). Heartbeats tell them apart after a grace
period; on the same machine the process itself tells at once. A record names its worker by boot id, PID
namespace, PID and the process's start time, so a PID the kernel gave to a new process is not mistaken for it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or None if it is gone."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name (field 2) may hold spaces and parentheses
    if fields[0] == "Z":  # a zombie has finished
        return None
    return fields[19]


def current_worker() -> dict[str, str | int | None]:
    """This process's identity, JSON-ready."""
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "boot_id": _read("/proc/sys/kernel/random/boot_id"),
        "pid_namespace": _pid_namespace(),
        "pid": pid,
        "start_time": _start_time(pid),
    }


def worker_is_gone(worker: dict | None) -> bool:
    """True only when ``worker`` certainly ran in this machine's PID namespace and that process no longer exists;
    False when it is alive or when this process cannot tell (another machine or container, no /proc)."""
    if not isinstance(worker, dict) or not isinstance(worker.get("pid"), int):
        return False
    here = current_worker()
    if (
        not here["boot_id"]
        or worker.get("boot_id") != here["boot_id"]
        or worker.get("pid_namespace") != here["pid_namespace"]
    ):
        return False
    return _start_time(worker["pid"]) != worker.get("start_time")
