"""The contract between a training run's parent (``resume_ner.execution``, which starts and follows it) and the
child (``python -m resume_ner.training --config RUN_DIR/config.json``), written once: the run folder's file names,
the exit statuses, the progress events and their fields, and the environment variables the parent sets.

The child's side owns it (the child must not import the parent's side); the parent, the child and the tests'
stand-ins for the child import it. It needs only the standard library.

A run folder holds ``config.json`` (the effective run config), ``progress.jsonl`` (one event per line, flushed as
it happens), ``documents.json`` (the ids of the documents it trains and validates on), ``metrics.json`` (the
result, written last), ``checkpoint/`` (the best epoch's model), ``run.log``
(``run.rankK.log`` for rank K > 0 under torchrun), and the child's ``stdout.log`` and ``stderr.log``, which the
parent's launcher opens. Every event has ``event`` (its kind) and ``elapsed`` (seconds since the child opened its
progress stream); an event's other fields are listed by its ``...Event`` type below, and the child refuses to
write one that misses a field or carries an undeclared one (``event_record``).
"""

# No ``from __future__ import annotations``: TypedDict reads NotRequired from evaluated annotations only.
# ``event`` is typed with the Event member, so a type checker narrows ``event["event"] == Event.STEP`` to StepEvent.

import os
from collections.abc import Mapping
from enum import IntEnum, StrEnum
from typing import Any, Literal, NotRequired, TypedDict

# -- the run folder ------------------------------------------------------------------------------------------------

CONFIG_FILE = "config.json"
PROGRESS_FILE = "progress.jsonl"
METRICS_FILE = "metrics.json"
DOCUMENTS_FILE = "documents.json"
CHECKPOINT_DIR = "checkpoint"
LOG_FILE = "run.log"
STDOUT_FILE = "stdout.log"
STDERR_FILE = "stderr.log"


def log_file(rank: int) -> str:
    """The log of one process: ``run.log`` for rank 0, ``run.rankK.log`` for rank K (ranks interleaving lines in
    one file would garble it)."""
    return LOG_FILE if rank == 0 else f"run.rank{rank}.log"


# -- exit statuses -------------------------------------------------------------------------------------------------


class ExitStatus(IntEnum):
    """How the training program ends. torchrun itself exits 1 when any of its processes exits non-zero, so under
    torchrun the final progress event, not the exit status, tells the kind of ending."""

    OK = 0
    FAILED = 1  # anything unforeseen: a traceback on stderr and in run.log
    BAD_INPUT = 2  # a bad config or input: one ``Error:`` line on stderr
    OUT_OF_MEMORY = 3
    STOPPED = 143  # 128 + SIGTERM: stopped by SIGTERM or Ctrl-C, after a final "stopped" event


# -- environment variables the parent sets -------------------------------------------------------------------------

# The launcher's pid: the child asks to die with it, and stops at once when its parent is already another process.
PARENT_PID_VARIABLE = "RESUME_NER_PARENT_PID"
# "1" when the launcher's torch saw CUDA: a child that then sees none was started in a narrower environment.
PARENT_SEES_CUDA_VARIABLE = "RESUME_NER_PARENT_SEES_CUDA"


def expected_parent(environ: Mapping[str, str] = os.environ) -> int | None:
    """The launcher's pid as the parent announced it, or None when started by hand."""
    value = environ.get(PARENT_PID_VARIABLE, "")
    return int(value) if value.isdigit() else None


def parent_sees_cuda(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(PARENT_SEES_CUDA_VARIABLE) == "1"


# -- progress events -----------------------------------------------------------------------------------------------


class Event(StrEnum):
    """The kinds of progress event, in the order a run emits them; a run ends with finished, stopped or failed."""

    STARTED = "started"
    DATA_READY = "data_ready"
    STEP = "step"
    EPOCH = "epoch"
    CHECKPOINT = "checkpoint"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"


FINAL_EVENTS = frozenset({Event.FINISHED, Event.STOPPED, Event.FAILED})


class StartedEvent(TypedDict):
    """As soon as the config is parsed."""

    event: Literal[Event.STARTED]
    elapsed: float
    pid: int
    config: str  # the effective run config's path


class DataReadyEvent(TypedDict):
    """Corpus read, split and cut into windows; the model is loaded next."""

    event: Literal[Event.DATA_READY]
    elapsed: float
    train_documents: int
    validation_documents: int
    train_windows: int
    device: str
    precision: Literal["bf16", "fp32"]
    backbone: str
    windows_cached: NotRequired[bool]  # only with an encoding cache: the windows were loaded, not made
    world_size: NotRequired[int]  # only under torchrun


class StepEvent(TypedDict):
    """Every ``progress_every_steps`` optimiser steps."""

    event: Literal[Event.STEP]
    elapsed: float
    epoch: int
    step: int  # optimiser steps since the start of the run
    total_steps: int
    train_loss: float  # the epoch's mean so far


class EpochEvent(TypedDict):
    """After each epoch; ``validation`` holds the metrics of the validation fold (none when training on all)."""

    event: Literal[Event.EPOCH]
    elapsed: float
    epoch: int
    step: int
    train_loss: float
    train_windows: int
    validation: NotRequired[dict[str, Any]]


class CheckpointEvent(TypedDict):
    """The best epoch so far was saved."""

    event: Literal[Event.CHECKPOINT]
    elapsed: float
    epoch: int
    path: str


class FinishedEvent(TypedDict):
    """metrics.json is written; the child exits ``ExitStatus.OK``."""

    event: Literal[Event.FINISHED]
    elapsed: float
    status: int
    best_epoch: int | None
    best: dict[str, Any] | None
    wall_seconds: float


class StoppedEvent(TypedDict):
    """Stopped on request, with no partial checkpoint left; the child exits ``ExitStatus.STOPPED``."""

    event: Literal[Event.STOPPED]
    elapsed: float
    signal: str | None  # None on a rank stopped because another rank got the signal
    status: int


class FailedEvent(TypedDict):
    """The run failed; ``status`` is the exit status that follows, ``error`` its one-line reason."""

    event: Literal[Event.FAILED]
    elapsed: float
    status: int
    error: str


ProgressEvent = (
    StartedEvent
    | DataReadyEvent
    | StepEvent
    | EpochEvent
    | CheckpointEvent
    | FinishedEvent
    | StoppedEvent
    | FailedEvent
)

# Values are TypedDict classes; typing has no type for "a TypedDict class", hence Any.
EVENT_TYPES: dict[Event, Any] = {
    Event.STARTED: StartedEvent,
    Event.DATA_READY: DataReadyEvent,
    Event.STEP: StepEvent,
    Event.EPOCH: EpochEvent,
    Event.CHECKPOINT: CheckpointEvent,
    Event.FINISHED: FinishedEvent,
    Event.STOPPED: StoppedEvent,
    Event.FAILED: FailedEvent,
}


class ProtocolError(ValueError):
    """An event that the contract does not describe: a slip in the child's code, never a user's mistake."""


def event_record(kind: str, elapsed: float, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The line's object for event ``kind``, checked against its type: every required field present, none
    undeclared (a new field is declared in its ``...Event`` type first, so parents and fakes learn of it)."""
    try:
        declared = EVENT_TYPES[Event(kind)]
    except ValueError:
        raise ProtocolError(f"{kind!r} is not a progress event; the events are {[e.value for e in Event]}") from None
    record = {"event": Event(kind).value, "elapsed": elapsed, **fields}
    missing = sorted(declared.__required_keys__ - record.keys())
    undeclared = sorted(record.keys() - declared.__annotations__.keys())
    if missing or undeclared:
        raise ProtocolError(f"{kind} event: missing fields {missing}, undeclared fields {undeclared}")
    return record
