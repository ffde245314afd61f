"""Command line: ``python -m alexnet_lib train`` and ``python -m alexnet_lib evaluate``.

    python -m alexnet_lib train --profile smoke --out runs/smoke
    python -m alexnet_lib evaluate --checkpoint runs/smoke/checkpoint.pt

``train`` resumes from ``OUT/checkpoint.pt`` when one from the same run is there, so an
interrupted run (Ctrl-C, a lost Colab session) loses at most one epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

from . import __version__
from .data import DataError, load_cifar10, load_splits
from .metrics import evaluate
from .models import AlexNetCIFAR, count_parameters, load_checkpoint
from .profiles import PROFILES, default_profile_name, get_profile
from .train import NonFiniteLossError, default_device, device_name, fit


def git_commit() -> str | None:
    """The commit the code ran at (with "-dirty" for uncommitted changes), if in a git tree,
    else ``ALEXNET_COMMIT`` from the environment, else None."""
    try:
        here = Path(__file__).resolve().parent
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        # a copy of the tree without .git (a lent GPU machine): the caller may say it
        return os.environ.get("ALEXNET_COMMIT") or None


def run_training(profile_name: str, out: Path, data_root: str = "data", seed: int = 0,
                 download: bool = True, device=None, progress: bool = True,
                 model_overrides: dict | None = None,
                 profile_overrides: dict | None = None) -> dict:
    """Train ``AlexNetCIFAR`` with a profile, test it, write ``out/history.json``; return it."""
    profile = get_profile(profile_name)
    if profile_overrides:
        profile = profile.replace(**profile_overrides)
    device = torch.device(device) if device else default_device()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = load_splits(profile, root=data_root, download=download, seed=seed)
    torch.manual_seed(seed)
    model_kwargs = {"width": profile.width, "dropout": profile.dropout, **(model_overrides or {})}
    model = AlexNetCIFAR(**model_kwargs)
    checkpoint = out / "checkpoint.pt"
    resumed = checkpoint.is_file()
    if resumed:
        print(f"resuming from {checkpoint}")
    history = fit(model, data, profile, device=device, checkpoint=checkpoint, seed=seed,
                  progress=progress)
    test = {}
    for name, ten in (("single", False), ("ten_crop", True)):
        result = evaluate(model, data.test_images, data.test_labels, ten_crop=ten, device=device)
        test.update({f"{name}_top1": result["top1"], f"{name}_top5": result["top5"]})
    record = {
        "profile": profile.name,
        "profile_config": profile.to_dict(),
        "model": model.config,
        "parameters": count_parameters(model),
        "data": {"train": len(data.train_labels), "val": len(data.val_labels),
                 "test": len(data.test_labels)},
        "seed": seed,
        "history": history,
        "test": test,
        "device": device_name(device),
        "torch": torch.__version__,
        "alexnet_lib": __version__,
        "python": platform.python_version(),
        "commit": git_commit(),
        "resumed": resumed,
        "train_seconds": sum(history["seconds"]),
        "wall_seconds": time.perf_counter() - started,
    }
    (out / "history.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet_lib",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train AlexNetCIFAR with a profile and test it")
    tr.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help=f"run size (default: {default_profile_name()}, from ALEXNET_PROFILE "
                         "or the hardware)")
    tr.add_argument("--out", type=Path, required=True,
                    help="folder for checkpoint.pt and history.json")
    tr.add_argument("--data", default="data", help="folder holding cifar-10-batches-py/")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda if present)")
    tr.add_argument("--no-download", action="store_true", help="never download CIFAR-10")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev = sub.add_parser("evaluate", help="test a checkpoint on the CIFAR-10 test set")
    ev.add_argument("--checkpoint", type=Path, required=True)
    ev.add_argument("--data", default="data", help="folder holding cifar-10-batches-py/")
    ev.add_argument("--device", default=None)
    ev.add_argument("--ten-crop", action="store_true", help="average over the paper's ten views")
    ev.add_argument("--no-download", action="store_true")
    args = parser.parse_args(argv)
    if args.device:
        try:
            torch.empty(0, device=args.device)
        except (RuntimeError, AssertionError) as err:
            parser.error(f"--device {args.device}: {err}")

    try:
        if args.command == "train":
            record = run_training(args.profile or default_profile_name(), args.out, args.data,
                                  args.seed, not args.no_download, args.device,
                                  not args.no_progress)
            t = record["test"]
            print(f"profile {record['profile']} on {record['device']}, "
                  f"{record['wall_seconds']:.0f} s")
            print(f"test top-1 {t['single_top1']:.2%}  top-5 {t['single_top5']:.2%}  "
                  f"(ten-crop top-1 {t['ten_crop_top1']:.2%}  top-5 {t['ten_crop_top5']:.2%})")
            print(f"wrote {args.out / 'checkpoint.pt'} and {args.out / 'history.json'}")
        else:
            if not args.checkpoint.is_file():
                parser.error(f"--checkpoint {args.checkpoint}: no such file")
            device = torch.device(args.device) if args.device else default_device()
            model, _ = load_checkpoint(args.checkpoint, map_location=device)
            model.to(device)
            images, labels = load_cifar10(args.data, train=False, download=not args.no_download)
            result = evaluate(model, images, labels, ten_crop=args.ten_crop, device=device)
            views = "ten-crop" if args.ten_crop else "single view"
            print(f"test top-1 {result['top1']:.2%}  top-5 {result['top5']:.2%}  "
                  f"({views}, {len(labels)} images)")
    except (DataError, NonFiniteLossError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume from the last epoch",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
