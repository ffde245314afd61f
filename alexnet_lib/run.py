"""One whole training run, from a :class:`~alexnet_lib.config.RunConfig` to a record.

``run_training`` loads the data the config asks for, builds its model, trains it with
``fit`` (checkpointing to ``OUT/checkpoint.pt`` and resuming from it), tests it on single
and ten views, and writes ``OUT/history.json``: the config whole, the history, the test
results and where it ran. ``python -m alexnet_lib train`` and ``benchmarks/`` call it.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from .config import RunConfig, get_profile
from .data import load_splits
from .inspection import lrn_damping
from .metrics import evaluate
from .models import count_parameters
from .precision import choose_precision
from .record import environment, write_json_atomically
from .train import default_device, fit


def run_training(config: RunConfig | str, out: str | Path, data_root: str | Path = "data", *,
                 download: bool = True, device=None, progress: bool = True,
                 extra: dict | None = None) -> dict:
    """Train and test the run ``config`` describes; write ``out/history.json``; return it.

    ``extra`` is added to the record as it is (benchmarks add the commit there).
    """
    config = get_profile(config)
    device = torch.device(device) if device else default_device()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = load_splits(config.data, root=data_root, download=download)
    model = config.build_model()
    checkpoint = out / "checkpoint.pt"
    resumed = checkpoint.is_file()
    if resumed:
        print(f"resuming from {checkpoint}")
    history = fit(model, data, config, device=device, checkpoint=checkpoint, progress=progress)
    precision = choose_precision(device, config.recipe.precision)
    test = {}
    for name, ten in (("single", False), ("ten_crop", True)):
        result = evaluate(model, data.test_images, data.test_labels, ten_crop=ten,
                          device=device, precision=precision)
        test.update({f"{name}_top1": result["top1"], f"{name}_top5": result["top5"]})
    # the train - test gap as chapter 6 measures it: eval mode (no dropout) on the
    # training images as they are (no augmentation), against the test images
    test["train_top1"] = evaluate(model, data.train_images, data.train_labels, device=device,
                                  precision=precision)["top1"]
    # how much each LRN layer normalizes rather than rescales (chapter 4), on the first
    # 1,000 test images: the share of active units damped more than 5% below k^-beta
    damping = lrn_damping(model, data.test_images[:1000])
    record = {
        "name": config.name,
        "config": config.to_dict(),
        "parameters": count_parameters(model),
        "data": {"train": len(data.train_labels), "val": len(data.val_labels),
                 "test": len(data.test_labels)},
        "history": history,
        "test": test,
        "lrn_damping": damping,
        **environment(device, precision.name, resumed=resumed,
                      epoch_seconds=history["seconds"], started=started),
        **(extra or {}),
    }
    write_json_atomically(out / "history.json", record)
    return record
