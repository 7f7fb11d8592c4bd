"""The argument list that starts the training program in a child process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TRAINING_MODULE = "resume_ner.training"


class LaunchSettings(BaseModel):
    """How children are started (the ``training.launch`` parameters).

    ``mode``: ``process`` runs the command in a fresh interpreter; ``preloaded`` runs the same command in a child
    forked from a server that has already imported torch and transformers. ``gpus`` above 1 runs the program
    under torchrun with one process per GPU. ``timeout_seconds`` bounds one run; ``stop_grace_seconds`` is how
    long a stopped child may take to exit before it is killed. ``oom_retry`` runs a child that ran out of memory
    once more with half the batch and twice the gradient accumulation (the same effective batch).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["process", "preloaded"] = "process"
    gpus: int = Field(1, ge=0)
    python: str | None = None  # the interpreter; default: the one running Kedro
    timeout_seconds: float | None = Field(None, gt=0)
    stop_grace_seconds: float = Field(30.0, gt=0)
    oom_retry: bool = True


def build_training_command(config_path: Path, launch: LaunchSettings) -> list[str]:
    """``[python, -m, resume_ner.training, --config, PATH]``, or the torchrun form for several GPUs.

    torchrun is started as ``python -m torch.distributed.run`` so the child uses the same interpreter and
    environment as the parent, whatever ``PATH`` holds.
    """
    python = launch.python or sys.executable
    program = ["-m", TRAINING_MODULE, "--config", str(config_path)]
    if launch.gpus > 1:
        return [python, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(launch.gpus), *program]
    return [python, *program]


def is_training_command(command: list[str]) -> bool:
    """Whether ``command`` runs the training program directly (what a preloaded child can run in-process)."""
    return len(command) >= 3 and command[1:3] == ["-m", TRAINING_MODULE]
