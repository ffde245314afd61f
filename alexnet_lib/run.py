"""One whole training run, from a :class:`~alexnet_lib.config.RunConfig` to a record.

``run_training``: the world (one process, or one of many under ``torchrun``) -> the data
the config names (``data.build_data``) -> its model -> ``fit`` (checkpointing to
``OUT/checkpoint.pt`` and resuming from it) -> the test on the centre view and the ten
views -> ``OUT/history.json``: the config whole, the history, the test results and where
it ran. Rank 0 alone writes. ``python -m alexnet_lib train`` and ``benchmarks/`` call it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import distributed
from .config import RunConfig, get_profile
from .data import TrainingData, build_data
from .errors import UserError
from .metrics import count_hits, rates
from .models import build_model, count_parameters
from .precision import choose_precision
from .probes import lrn_damping
from .record import environment, write_json_atomically
from .sgd import describe_plan, plan
from .train import fit


def prepare_out(out: str | Path) -> Path:
    """``out`` as a folder this process can write, made if need be, checked before any
    data loads; the temporary files of a save that was interrupted are removed."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file: name a folder for checkpoint.pt and "
                        f"history.json")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UserError(f"--out {out} cannot be written ({err.strerror}): name a folder "
                        f"you can write to") from None
    for stale in (*out.glob("checkpoint.pt*.tmp"), *out.glob("history.json*.tmp")):
        stale.unlink(missing_ok=True)
    return out


def run_training(config: RunConfig | str, out: str | Path, *, download: bool = True,
                 device=None, progress: bool = True, extra: dict | None = None,
                 log=print) -> dict | None:
    """Train and test the run ``config`` describes; write ``out/history.json``; return the
    record (None on every process but rank 0). ``extra`` is added to the record as it is
    (benchmarks add the commit there); ``log`` prints on rank 0 alone."""
    config = get_profile(config)
    started = time.perf_counter()
    world = distributed.setup(device)
    log = log if world.is_main else (lambda _text: None)
    made = not Path(out).exists()
    try:
        out = prepare_out(out) if world.is_main else Path(out)
        distributed.barrier()
        data = build_data(config, world, download=download)
        config = data.config
        checkpoint = out / "checkpoint.pt"
        resumed = checkpoint.is_file()
        log(data.description)
        log(describe_plan(plan(config.recipe, world.size, len(data.train))))
        if resumed:
            log(f"resuming from {checkpoint}")
        model = build_model(config)
        history = fit(model, data, config, world=world, checkpoint=checkpoint,
                      progress=progress)
        record = _record(model, data, config, world, history, resumed, started)
        if world.is_main:
            write_json_atomically(out / "history.json", {**record, **(extra or {})})
            return {**record, **(extra or {})}
        return None
    except BaseException:
        if world.is_main and made and Path(out).is_dir() and not any(Path(out).iterdir()):
            Path(out).rmdir()  # a failed run leaves no empty folder behind
        raise
    finally:
        distributed.cleanup()


def _record(model, data: TrainingData, config: RunConfig, world, history, resumed,
            started) -> dict:
    """The record: the test on the centre view and the ten views, the train - test gap's
    training accuracy, LRN's damping, and where the run ran."""
    precision = choose_precision(world.device, config.recipe.precision)
    test = {}
    for name, ten in (("single", False), ("ten_crop", True)):
        batches = data.test if not ten else _ten_view_batches(data)
        result = rates(count_hits(model, batches, crop_size=data.crop_size, ten_crop=ten,
                                  device=world.device, precision=precision))
        test.update({f"{name}_top1": result["top1"], f"{name}_top5": result["top5"]})
    if data.train_eval is not None:
        # the train - test gap as chapter 6 measures it: eval mode (no dropout) on the
        # training images as they are (no augmentation), against the test images
        test["train_top1"] = rates(count_hits(model, data.train_eval, device=world.device,
                                              precision=precision))["top1"]
    record = {
        "name": config.name,
        "config": config.to_dict(),
        "parameters": count_parameters(model),
        "data": {**data.sizes, "source": config.data.source, "classes": data.classes,
                 "mean": data.stats["mean"].tolist(), "std": data.stats["std"].tolist(),
                 "pca_eigvals": data.stats["eigvals"].tolist()},
        "plan": plan(config.recipe, world.size, len(data.train)),
        "history": history,
        "test": test,
    }
    if data.splits is not None:
        # how much each LRN layer normalizes rather than rescales (chapter 4), on the
        # first 1,000 test images: the share of active units damped more than 5%
        record["lrn_damping"] = lrn_damping(model, data.splits.test_images[:1000])
    return {**record, "world_size": world.size,
            **environment(world.device, precision.name, resumed=resumed,
                          epoch_seconds=history["seconds"], started=started)}


def _ten_view_batches(data: TrainingData):
    """Ten views per image: a tenth of the batch, as the memory allows (CIFAR-10's
    in-memory batches are re-cut; a folder run's loader is used as it is)."""
    if data.splits is None:
        return data.test
    return [(x[i : i + 50], y[i : i + 50]) for x, y in data.test
            for i in range(0, len(y), 50)]

