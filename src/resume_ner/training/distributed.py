"""Data parallelism across the processes ``torchrun`` starts: which rank this is, the process group, and the few
collectives the training loop needs.

``torchrun --nproc-per-node N -m resume_ner.training --config RUN_DIR/config.json`` starts N copies of the
program with RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set. The recipe does not change with N:
``optimization.batch_size`` stays the global batch, every rank draws the same batches and trains its
``batch_size / N`` windows of each, and DistributedDataParallel's averaged gradient equals the single process's
gradient of the whole batch (the loop normalises each slice's loss by the batch's labelled tokens). So the steps
per epoch, the schedule and the learning rate are the single process's, and every window is trained on in every
epoch. ``batch_size`` must be a multiple of N. Rank 0 alone evaluates and writes the run folder (progress,
metrics.json, checkpoint, MLflow). Without WORLD_SIZE (or with 1) nothing here touches ``torch.distributed``:
every method is the identity or a no-op, so a single-process run is unchanged.

On CUDA each rank takes ``cuda:LOCAL_RANK`` and the NCCL backend; on CPU, gloo. ``torchrun --standalone`` needs
no settings on one machine; where gloo picks an interface that does not reach the other ranks (a host whose name
resolves to an address of no local interface), set ``GLOO_SOCKET_IFNAME=lo``.

Limits: the last batch of an epoch may be short, and a rank whose slice of it is empty runs a zero-weight step
to keep DDP's all-reduce in step; evaluation runs on rank 0 only, the others wait for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from resume_ner.errors import UserInputError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Ranks other than 0 wait in a collective while rank 0 evaluates the whole validation set alone, so the
# collective timeout must outlast the longest evaluation, not just a training step.
COLLECTIVE_TIMEOUT = timedelta(hours=2)

# What rank 0 broadcasts instead of a result when it was stopped while working alone.
_STOPPED = "__resume_ner_stopped__"


def rank_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """This process's global rank (0 outside torchrun); cheap, so the program can ask before importing torch."""
    return int(environ.get("RANK", "0"))


@dataclass
class DistributedContext:
    """One process's place among the ranks, and the collectives between them.

    Build it with :meth:`from_env`, call :meth:`start` once the device is known and :meth:`close` at the end.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    _device: Any = field(default=None, repr=False)  # where collective tensors live (CUDA for NCCL)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DistributedContext:
        world_size = int(environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        return cls(rank=rank_from_env(environ), world_size=world_size, local_rank=int(environ.get("LOCAL_RANK", "0")))

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes the run folder."""
        return self.rank == 0

    # -- process group -------------------------------------------------------------------------------------------

    def start(self, device):
        """Join the process group; return the device this rank trains on (``device`` when not distributed)."""
        if not self.is_distributed:
            return device
        import torch
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)  # NCCL and broadcast_object_list use the current device
            backend = "nccl"
        elif device.type == "cpu":
            backend = "gloo"
        else:
            raise UserInputError(f"device {device}: training on several processes needs cuda or cpu")
        dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT)
        self._device = device
        logger.info(
            "Rank %d of %d (local rank %d) on %s, backend %s",
            self.rank,
            self.world_size,
            self.local_rank,
            device,
            backend,
        )
        return device

    def close(self) -> None:
        """Leave the process group (safe to call when it was never joined)."""
        if self._device is None:
            return
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
        self._device = None

    def barrier(self) -> None:
        if self._device is not None:
            import torch.distributed as dist

            dist.barrier()

    # -- the model -----------------------------------------------------------------------------------------------

    def wrap(self, model):
        """The module to train: ``model`` itself, or a DistributedDataParallel around it that averages gradients."""
        if self._device is None:
            return model
        from torch.nn.parallel import DistributedDataParallel

        # The encoder's buffers (position and token-type ids) never change, so syncing them every forward pass is
        # wasted work (they are still copied from rank 0 once, at construction).
        device_ids = [self._device] if self._device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids, forward_sync_buffers=False)

    def no_sync(self, model, sync: bool):
        """Skip the gradient all-reduce on a micro-batch that is not the last of a gradient-accumulation step."""
        if sync or self._device is None:
            return contextlib.nullcontext()
        return model.no_sync()

    # -- data ----------------------------------------------------------------------------------------------------

    def per_rank_batch_size(self, batch_size: int) -> int:
        """How many windows of each ``batch_size`` batch one rank trains; a batch that does not split evenly is
        bad input (ranks with more windows would keep the others waiting at every step)."""
        if batch_size % self.world_size:
            raise UserInputError(
                f"optimization.batch_size {batch_size} does not split evenly across {self.world_size} processes "
                f"(world size {self.world_size}): it is the global batch; use a multiple of {self.world_size}"
            )
        return batch_size // self.world_size

    def rank_slice(self, members: list[T]) -> list[T]:
        """This rank's windows of one batch: every ``world_size``-th from ``rank``. Batches are sorted by length
        inside, so striding gives each rank a similar amount of work; a short last batch may leave a rank none."""
        if not self.is_distributed:
            return members
        return members[self.rank :: self.world_size]

    # -- collectives ---------------------------------------------------------------------------------------------

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is set on any rank; every rank must call it at the same point."""
        if self._device is None:
            return flag
        return bool(self._all_reduce([float(flag)], "max")[0])

    def sum(self, *values: float) -> tuple[float, ...]:
        """Each value summed over the ranks; every rank must call it at the same point."""
        if self._device is None:
            return values
        return tuple(self._all_reduce(list(values), "sum"))

    def _all_reduce(self, values: list[float], op: str) -> list[float]:
        import torch
        import torch.distributed as dist

        # float64 holds token counts and loss sums exactly enough; NCCL needs the tensor on the rank's GPU.
        tensor = torch.tensor(values, dtype=torch.float64, device=self._device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
        return tensor.tolist()

    def from_main(self, work: Callable[[], T], stopped: type[BaseException]) -> T:
        """``work()`` on rank 0 alone, its result handed to every rank.

        When rank 0's ``work`` raises ``stopped`` (a stop request), every rank raises it, so none is left waiting.
        """
        if self._device is None:
            return work()
        import torch.distributed as dist

        box: list[Any] = [None]
        if self.is_main:
            try:
                box[0] = work()
            except stopped:
                box[0] = _STOPPED
        dist.broadcast_object_list(box, src=0)
        if isinstance(box[0], str) and box[0] == _STOPPED:
            raise stopped()
        return box[0]


SINGLE_PROCESS = DistributedContext()
