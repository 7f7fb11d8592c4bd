"""Run one child training run: start it, follow its progress stream, stop it when asked, and report."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from resume_ner.errors import ReportedError
from resume_ner.execution.launchers import Launcher, ProcessLauncher
from resume_ner.execution.stop_signals import stop_requested
from resume_ner.training.protocol import (
    METRICS_FILE,
    PROGRESS_FILE,
    STDERR_FILE,
    STDOUT_FILE,
    Event,
    ExitStatus,
    ProgressEvent,
)

logger = logging.getLogger(__name__)

# Not the child's own status: what a child killed by SIGKILL (ours after the grace period, or the kernel's
# out-of-memory killer's) is reported with.
EXIT_KILLED = 128 + signal.SIGKILL

Status = Literal["completed", "stopped", "failed", "timeout"]


@dataclass
class TrainingResult:
    """What one child run came to. ``metrics`` and ``checkpoint`` are read from this run's own folder only."""

    status: Status
    exit_status: int | None
    run_dir: Path
    wall_seconds: float
    metrics: dict | None = None
    checkpoint: Path | None = None
    stderr_tail: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    first_event_seconds: float | None = None
    events: int = 0

    @property
    def out_of_memory(self) -> bool:
        return self.exit_status in (ExitStatus.OUT_OF_MEMORY, EXIT_KILLED)


class TrainingFailed(ReportedError, RuntimeError):
    """A child run failed (crash, bad input, out of memory, timeout); the message carries its exit status and the
    last lines of its stderr."""

    def __init__(self, result: TrainingResult) -> None:
        self.result = result
        what = {
            ExitStatus.BAD_INPUT: "rejected its input",
            ExitStatus.OUT_OF_MEMORY: "ran out of memory",
            EXIT_KILLED: "was killed (SIGKILL: often the kernel's out-of-memory killer)",
        }
        if result.status == "timeout":
            reason = f"timed out ({result.stop_reason})"
        else:
            reason = what.get(result.exit_status, "failed") if result.exit_status is not None else "failed"
        self.headline = f"Training run {result.run_dir} {reason}, exit status {result.exit_status}"
        tail = "\n".join(f"  | {line}" for line in result.stderr_tail) or "  | (no output on stderr)"
        super().__init__(f"{self.headline}; last lines of {result.run_dir / STDERR_FILE}:\n{tail}")

    @property
    def summary(self) -> str:
        """One line: what happened, then the child's last line on stderr (its own one-line error, when it gave one)."""
        last = next((line.strip() for line in reversed(self.result.stderr_tail) if line.strip()), None)
        return f"{self.headline}: {last}" if last else self.headline


class _ProgressFollower:
    """Reads the events a child appends to its ``progress.jsonl``, from where the file ended at launch."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = path.stat().st_size if path.exists() else 0
        self._partial = b""

    def read(self) -> list[ProgressEvent]:
        if not self._path.exists():
            return []
        with open(self._path, "rb") as stream:
            stream.seek(self._offset)
            chunk = stream.read()
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # a line still being written
        events = []
        for line in lines:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                logger.warning("Skipping a malformed progress line in %s: %r", self._path, line[:200])
        return events


def execute_training(
    command: list[str],
    env: dict[str, str],
    run_dir: Path,
    *,
    launcher: Launcher | None = None,
    on_event: Callable[[ProgressEvent], Any] | None = None,
    stop: threading.Event | None = None,
    timeout_seconds: float | None = None,
    stop_grace_seconds: float = 30.0,
    cwd: Path | None = None,
    poll_seconds: float = 0.02,
    stderr_lines: int = 20,
) -> TrainingResult:
    """Run ``command`` as a child with ``env`` and follow its progress events in ``run_dir``.

    ``on_event`` is called with each event as it arrives; a truthy return asks the child to stop (a pruner's
    verdict). Setting ``stop`` does the same from elsewhere. A stopped child gets SIGTERM, then SIGKILL after
    ``stop_grace_seconds``. A child that has not finished after ``timeout_seconds`` is stopped and the run fails.
    Ctrl-C (or any error) in the parent stops the child before the exception goes on, so nothing is orphaned; so
    does a stop signal received while this runs in another thread (``stop_signals.StopRequested`` is raised then).

    Returns a ``TrainingResult`` with status ``completed`` or ``stopped``; raises ``TrainingFailed`` otherwise.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    follower = _ProgressFollower(run_dir / PROGRESS_FILE)
    launcher = launcher or ProcessLauncher()
    started, launched_at = time.monotonic(), time.time()
    child = launcher.start(command, env, Path(cwd or Path.cwd()), run_dir / STDOUT_FILE, run_dir / STDERR_FILE)
    logger.debug("Started training run %s (pid %s): %s", run_dir, child.pid, " ".join(command))
    result = TrainingResult("completed", None, run_dir, 0.0)
    stop_requested_at: float | None = None
    last_event = None
    try:
        while True:
            exit_status = child.poll()
            for event in follower.read():
                result.events += 1
                last_event = event.get("event")
                if result.first_event_seconds is None:
                    result.first_event_seconds = time.monotonic() - started
                if on_event is not None and on_event(event) and stop_requested_at is None:
                    result.stop_reason = f"asked by the progress callback at {event.get('event')} event"
                    stop_requested_at = _request_stop(child)
            if exit_status is not None:
                break
            signalled = stop_requested()
            if signalled is not None:  # the main thread got SIGTERM or Ctrl-C while this run is in a worker thread
                raise signalled
            now = time.monotonic()
            if stop_requested_at is None:
                if stop is not None and stop.is_set():
                    result.stop_reason = "stop requested"
                    stop_requested_at = _request_stop(child)
                elif timeout_seconds is not None and now - started > timeout_seconds:
                    result.status = "timeout"
                    result.stop_reason = f"no result after {timeout_seconds:g} s"
                    stop_requested_at = _request_stop(child)
            elif now - stop_requested_at > stop_grace_seconds:
                logger.warning("Training run %s ignored SIGTERM for %g s; killing it", run_dir, stop_grace_seconds)
                child.kill()
                stop_requested_at = float("inf")
            time.sleep(poll_seconds)
    except BaseException:
        _stop_now(child, stop_grace_seconds)
        raise
    result.exit_status = exit_status
    result.wall_seconds = time.monotonic() - started
    result.stderr_tail = _tail(run_dir / STDERR_FILE, stderr_lines)
    if result.status == "timeout":
        raise TrainingFailed(result)
    # torchrun exits 1 when its workers stop cleanly; their "stopped" event says what happened.
    if stop_requested_at is not None and (
        exit_status in (ExitStatus.STOPPED, EXIT_KILLED, 128 + signal.SIGTERM) or last_event == Event.STOPPED
    ):
        result.status = "stopped"
        return result
    if exit_status != ExitStatus.OK:
        result.status = "failed"
        raise TrainingFailed(result)
    result.metrics = _read_metrics(run_dir, launched_at)
    checkpoint = result.metrics.get("checkpoint")
    result.checkpoint = Path(checkpoint) if checkpoint else None
    return result


def _request_stop(child) -> float:
    child.send_signal(signal.SIGTERM)
    return time.monotonic()


def _stop_now(child, grace_seconds: float) -> None:
    child.send_signal(signal.SIGTERM)
    if child.wait(grace_seconds) is None:
        child.kill()
        child.wait(5)


def _read_metrics(run_dir: Path, launched_at: float) -> dict:
    """This run's metrics.json; one left by an earlier run in the same folder is an error, never a result."""
    path = run_dir / METRICS_FILE
    try:
        if path.stat().st_mtime < launched_at - 1:
            raise ValueError(f"it predates this run (written {time.ctime(path.stat().st_mtime)})")
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        result = TrainingResult("failed", ExitStatus.OK, run_dir, 0.0, stderr_tail=[f"{path}: {error}"])
        raise TrainingFailed(result) from None


def _tail(path: Path, lines: int) -> list[str]:
    if not path.exists():
        return []
    with open(path, "rb") as stream:
        stream.seek(0, 2)
        stream.seek(max(0, stream.tell() - 64 * 1024))
        text = stream.read().decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.strip()][-lines:]
