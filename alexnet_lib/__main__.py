"""Command line: ``python -m alexnet_lib train`` and ``python -m alexnet_lib evaluate``.

    python -m alexnet_lib train --profile smoke --out runs/smoke
    python -m alexnet_lib train --profile quick --set model.lrn=none --seed 1 --out runs/x
    python -m alexnet_lib evaluate --checkpoint runs/smoke/checkpoint.pt

``train`` resumes from ``OUT/checkpoint.pt`` when one from the same run is there, so an
interrupted run (Ctrl-C, a lost Colab session) loses at most one epoch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .checkpoint import load_checkpoint
from .config import PROFILES, default_profile_name, get_profile
from .data import load_cifar10
from .errors import UserError
from .metrics import evaluate
from .run import run_training
from .train import default_device


def parse_override(text: str) -> tuple[str, object]:
    """``model.dropout=0`` -> ``("model.dropout", 0)``: the value read as JSON when it
    is JSON (numbers, true/false, null), else kept as a string (``model.lrn=none``)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet_lib",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train AlexNetCIFAR with a profile and test it")
    tr.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help=f"run size (default: {default_profile_name()}, from ALEXNET_PROFILE "
                         "or the hardware)")
    tr.add_argument("--set", dest="overrides", type=parse_override, action="append",
                    default=[], metavar="KEY=VALUE",
                    help="change one field of the run config, e.g. model.lrn=none, "
                         "recipe.epochs=2 (repeatable)")
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
            config = get_profile(args.profile).replace(seed=args.seed, **dict(args.overrides))
            print(config)
            record = run_training(config, args.out, args.data, download=not args.no_download,
                                  device=args.device, progress=not args.no_progress)
            t = record["test"]
            print(f"profile {record['name']} on {record['device']} ({record['precision']}), "
                  f"{record['wall_seconds']:.0f} s")
            print(f"test top-1 {t['single_top1']:.2%}  top-5 {t['single_top5']:.2%}  "
                  f"(ten-crop top-1 {t['ten_crop_top1']:.2%}  top-5 {t['ten_crop_top5']:.2%})")
            print(f"wrote {args.out / 'checkpoint.pt'} and {args.out / 'history.json'}")
        else:
            if not args.checkpoint.is_file():
                parser.error(f"--checkpoint {args.checkpoint}: no such file")
            device = torch.device(args.device) if args.device else default_device()
            model, _ = load_checkpoint(args.checkpoint, map_location=device)
            images, labels = load_cifar10(args.data, train=False, download=not args.no_download)
            result = evaluate(model, images, labels, ten_crop=args.ten_crop, device=device)
            views = "ten-crop" if args.ten_crop else "single view"
            print(f"test top-1 {result['top1']:.2%}  top-5 {result['top5']:.2%}  "
                  f"({views}, {len(labels)} images)")
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume from the last epoch",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
