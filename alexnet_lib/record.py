"""What every run record says about where and how it ran, and how a record is written.

``run.run_training`` writes it for every source (CIFAR-10, folders of photographs) with
the same provenance (:func:`environment`): the device, the precision, the versions,
whether the run resumed from a checkpoint, and its time, so a reader of ``data/records/``
finds the same keys in every record.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch

from . import __version__
from .atomic import write_atomically
from .precision import device_name


def cpu_model() -> str:
    """The processor's name, so CPU timings in a record say what they were measured on
    ("AMD EPYC ..." from /proc/cpuinfo on Linux; what ``platform`` knows elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment(device, precision: str, *, resumed: bool, epoch_seconds: list[float],
                started: float) -> dict:
    """The record's provenance keys. ``started`` is the ``time.perf_counter()`` at the start
    of the run; ``epoch_seconds`` the history's per-epoch training times (all epochs,
    those of a resumed run's earlier process included)."""
    return {
        "device": device_name(device),
        "cpu": cpu_model(),  # the host's, also for GPU runs: data loading runs there
        "precision": precision,
        "torch": torch.__version__,
        "alexnet_lib": __version__,
        "python": platform.python_version(),
        "resumed": resumed,
        "train_seconds": sum(epoch_seconds),
        "wall_seconds": time.perf_counter() - started,
    }


def write_json_atomically(path: str | Path, record: dict) -> None:
    """Write ``record`` to ``path`` whole or not at all (``atomic``)."""
    text = json.dumps(record, indent=2) + "\n"
    write_atomically(path, lambda tmp: Path(tmp).write_text(text))
