"""Data parallelism with PyTorch's own engine: ``torchrun`` and ``DistributedDataParallel``.

Nothing here launches a process or averages a gradient. ``torchrun`` starts one process
per GPU (or per CPU share) and tells each its ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``
through the environment; :func:`setup` reads them and joins the process group (NCCL on
GPUs, gloo on CPUs); ``DistributedDataParallel`` averages the gradients during the
backward pass; ``DistributedSampler`` gives each process its own share of every epoch.
Run without ``torchrun``, the same code is one process of a world of one.

The global batch is the per-process batch times the number of processes; the learning
rate follows it (``schedule``, ``sgd.LearningRate``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

# the variables torchrun sets in every process it starts
TORCHRUN_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE")


@dataclass(frozen=True)
class World:
    """Where this process stands: its rank among ``size`` processes, its rank on this
    machine (which GPU it drives), and the device it trains on."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """Rank 0 alone prints, writes records and saves checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1 or (dist.is_available() and dist.is_initialized())


def launched_by_torchrun() -> bool:
    return all(v in os.environ for v in TORCHRUN_VARS)


def setup(device: str | torch.device | None = None, timeout_s: float = 1800) -> World:
    """Join the process group ``torchrun`` describes in the environment, or stand alone.

    Under ``torchrun`` each process drives ``cuda:LOCAL_RANK`` with NCCL where there are
    GPUs and the CPU with gloo where there are none; ``device`` overrides the choice for
    a single process only.
    """
    if not launched_by_torchrun():
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        return World(device=torch.device(device))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    size = int(os.environ["WORLD_SIZE"])
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    return World(rank=rank, size=size, local_rank=local_rank, device=device)


def cleanup() -> None:
    """Leave the process group (a no-op for a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: nn.Module, world: World) -> nn.Module:
    """``DistributedDataParallel(model)`` in a world of several processes, else the model.

    DDP broadcasts rank 0's weights to every process when it wraps the model, and averages
    the gradients over the processes during every backward pass.
    """
    if not world.distributed:
        return model
    device_ids = [world.device.index] if world.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over the processes, in place (a no-op for a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier() -> None:
    """Wait for every process (after rank 0 writes a file the others will read)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
