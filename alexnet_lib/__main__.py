"""Command line: ``python -m alexnet_lib train`` and ``python -m alexnet_lib evaluate``.

    python -m alexnet_lib train --profile smoke --out runs/smoke
    python -m alexnet_lib train --profile quick --set model.lrn=none --seed 1 --out runs/x
    python -m alexnet_lib evaluate --checkpoint runs/smoke/checkpoint.pt

The paper's network on photographs (``folder_train``), on one GPU or, data-parallel, many:

    python -m alexnet_lib train --model alexnet --data imagenette:data/imagenette --out runs/x
    torchrun --nproc-per-node 8 -m alexnet_lib train --model alexnet \
        --data imagefolder:/data/ILSVRC2012 --out runs/imagenet

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
from .folder_data import parse_data_spec
from .folder_train import MODELS, folder_config, run_folder_training
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
    tr = sub.add_parser("train", help="train AlexNetCIFAR with a profile, or the paper's "
                                      "AlexNet on photographs, and test it")
    tr.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help=f"run size (default: {default_profile_name()}, from ALEXNET_PROFILE "
                         "or the hardware)")
    tr.add_argument("--set", dest="overrides", type=parse_override, action="append",
                    default=[], metavar="KEY=VALUE",
                    help="change one field of the run config, e.g. model.lrn=none, "
                         "recipe.epochs=2 (repeatable)")
    tr.add_argument("--out", type=Path, required=True,
                    help="folder for checkpoint.pt and history.json")
    tr.add_argument("--data", default="data",
                    help="folder holding cifar-10-batches-py/, or imagefolder:DIR (DIR/train/"
                         "<class>/*.JPEG and DIR/val/<class>/*.JPEG) or imagenette:DIR")
    tr.add_argument("--model", choices=sorted(MODELS), default=None,
                    help="alexnet: the paper's 227x227 network (photographs only); "
                         "alexnet-cifar: AlexNetCIFAR (default for CIFAR-10)")
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
        folder = parse_data_spec(args.data) if args.command == "train" else None
        if folder is not None:
            if args.profile:
                parser.error("--profile sizes CIFAR-10 runs; a run on photographs follows "
                             "the paper's recipe: change it with --set")
            return train_on_folder(args, *folder)
        if args.command == "train":
            if args.model == "alexnet":
                parser.error("--model alexnet takes 227x227 photographs: "
                             "--data imagefolder:DIR or --data imagenette:DIR")
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


def train_on_folder(args, source: str, root: Path) -> int:
    """``train --data imagefolder:DIR`` (or ``imagenette:DIR``): one process of a run,
    alone or one of many under ``torchrun``; rank 0 prints."""
    config = folder_config(args.model or "alexnet", seed=args.seed, **dict(args.overrides))
    record = run_folder_training(config, args.out, source, root, device=args.device,
                                 download=not args.no_download,
                                 progress=not args.no_progress)
    if record is not None:
        t = record["test"]
        print(f"{record['config']['model']['arch']} on {record['source']}, "
              f"{record['plan']['world_size']} process(es) on {record['device']} "
              f"({record['precision']}), {record['wall_seconds']:.0f} s")
        print(f"val top-1 {t['single_top1']:.2%}  top-5 {t['single_top5']:.2%}  "
              f"(ten views top-1 {t['ten_crop_top1']:.2%}  top-5 {t['ten_crop_top5']:.2%})")
        print(f"wrote {args.out / 'checkpoint.pt'} and {args.out / 'history.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
