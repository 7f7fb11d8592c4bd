"""The progress stream: one JSON object per line, flushed as it happens, so a parent can follow a run live.

The events and their fields are the contract's (``resume_ner.training.protocol``)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import IO, Any

from resume_ner.training.protocol import Event, event_record


class ProgressStream:
    """Writes events to the run folder's ``progress.jsonl`` and, optionally, to a file, FIFO or inherited pipe.

    Every event carries ``event`` (its kind) and ``elapsed`` (seconds since the stream was opened), and the fields
    its type in ``protocol`` declares; an event that does not match its type raises ``protocol.ProtocolError``.
    """

    def __init__(self, run_file: Path, extra: str | None = None) -> None:
        self._start = time.monotonic()
        run_file.parent.mkdir(parents=True, exist_ok=True)
        # Open for the stream's life, closed by close(): no context manager fits.
        self._streams: list[IO[str]] = [open(run_file, "a", encoding="utf-8")]  # noqa: SIM115
        if extra is not None:
            if extra.startswith("fd:"):
                self._streams.append(os.fdopen(int(extra[3:]), "w", encoding="utf-8", closefd=True))
            elif Path(extra).resolve() != run_file.resolve():
                self._streams.append(open(extra, "a", encoding="utf-8"))  # noqa: SIM115

    def emit(self, event: Event | str, **fields: Any) -> None:
        record = event_record(event, round(time.monotonic() - self._start, 3), fields)
        line = json.dumps(record, default=_plain) + "\n"
        for stream in self._streams:
            try:
                stream.write(line)
                stream.flush()
            except (BrokenPipeError, ValueError):
                pass  # a parent that stopped listening must not crash the run

    def close(self) -> None:
        for stream in self._streams:
            with contextlib.suppress(BrokenPipeError, OSError):
                stream.close()
        self._streams = []


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


class SilentProgress:
    """The progress stream of a rank other than 0 under torchrun: rank 0 alone reports the run, so events here
    go nowhere (a parent reading progress.jsonl or its pipe sees one run, not one per process)."""

    def emit(self, event: Event | str, **fields: Any) -> None:
        event_record(event, 0.0, fields)  # rank 0 writes the same event; a slip shows on every rank alike

    def close(self) -> None:
        pass
