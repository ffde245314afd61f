"""Command line: ``python -m alexnet_lib train`` and ``python -m alexnet_lib evaluate``.

    python -m alexnet_lib train --profile smoke --out runs/smoke
    python -m alexnet_lib train --profile quick --set model.lrn=none --seed 1 --out runs/x
    python -m alexnet_lib evaluate --checkpoint runs/smoke/checkpoint.pt

The paper's network on photographs, on one GPU or, data-parallel, many; the same command
for CIFAR-10 under torchrun:

    python -m alexnet_lib train --profile paper --data imagenette:data/imagenette --out runs/x
    torchrun --nproc-per-node 8 -m alexnet_lib train --profile paper \\
        --data imagefolder:/data/ILSVRC2012 --out runs/imagenet
    torchrun --standalone --nproc-per-node 2 -m alexnet_lib train --profile smoke --out runs/ddp

``train`` resumes from ``OUT/checkpoint.pt`` when one from the same run is there, so an
interrupted run (Ctrl-C, a lost Colab session) loses at most one epoch.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

from .config import PROFILES, get_profile
from .errors import ConfigError, UserError
from .precision import choose_precision, default_profile_name

DATA_HELP = ("cifar10 (from data/), a folder holding cifar-10-batches-py/, imagefolder:DIR "
             "(DIR/train/<class>/*.JPEG and DIR/val/<class>/*.JPEG) or imagenette:DIR")


def parse_override(text: str) -> tuple[str, str]:
    """``model.dropout=0`` -> ``("model.dropout", "0")``; the config parses the value as
    its field's type, strictly."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m alexnet_lib",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train a profile's run (CIFAR-10 or photographs) "
                                      "and test it")
    tr.add_argument("--profile", choices=list(PROFILES), default=None,
                    help=f"run size (default: {default_profile_name()}, from ALEXNET_PROFILE "
                         "or the hardware; paper: the paper's recipe on photographs)")
    tr.add_argument("--set", dest="overrides", type=parse_override, action="append",
                    default=[], metavar="KEY=VALUE",
                    help="change one field of the run config, e.g. model.lrn=none, "
                         "recipe.epochs=2 (repeatable)")
    tr.add_argument("--out", type=Path, required=True,
                    help="folder for checkpoint.pt and history.json")
    tr.add_argument("--data", default=None, help=DATA_HELP)
    tr.add_argument("--seed", type=int, default=None, help="the same as --set seed=N")
    tr.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda if present)")
    tr.add_argument("--no-download", action="store_true", help="never download data")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev = sub.add_parser("evaluate", help="test a checkpoint on the data it was trained on")
    ev.add_argument("--checkpoint", type=Path, required=True)
    ev.add_argument("--data", default=None, help=f"default: the run's own; {DATA_HELP}")
    ev.add_argument("--device", default=None)
    ev.add_argument("--ten-crop", action="store_true", help="average over the paper's ten views")
    ev.add_argument("--no-download", action="store_true")
    return parser


def main(argv=None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        device = _device(args.device)
        if args.command == "train":
            return train(args, device)
        return evaluate(args, device)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume from the last epoch",
              file=sys.stderr)
        return 130


def _device(name: str | None):
    if not name:
        return None
    try:
        torch.empty(0, device=name)
    except (RuntimeError, AssertionError) as err:
        raise ConfigError(f"--device {name} is not available here ({err})") from None
    return torch.device(name)


def run_config(args) -> object:
    """The run config a ``train`` command line describes, checked before anything loads."""
    from .data.folders import parse_data_spec

    overrides = dict(args.overrides)
    if args.seed is not None:
        if "seed" in overrides and str(args.seed) != str(overrides["seed"]).strip():
            raise ConfigError(f"--seed {args.seed} and --set seed={overrides['seed']} "
                              f"disagree: give one of them")
        overrides["seed"] = str(args.seed)
    if args.data is not None:
        overrides = {**parse_data_spec(args.data), **overrides}
    config = get_profile(args.profile or default_profile_name()).replace(**overrides)
    from .precision import default_device

    try:  # the precision asked for must exist on this device, before any data loads
        choose_precision(args.device or default_device(), config.recipe.precision)
    except ValueError as err:
        raise ConfigError(f"recipe.precision={config.recipe.precision}: {err}") from None
    return config


def train(args, device) -> int:
    from .run import run_training

    config = run_config(args)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 alone prints
        print(config)
    record = run_training(config, args.out, download=not args.no_download, device=device,
                          progress=not args.no_progress)
    if record is None:  # not rank 0 of a data-parallel run: rank 0 reports
        return 0
    t = record["test"]
    print(f"profile {record['name']} on {record['device']} ({record['precision']}), "
          f"{record['world_size']} process(es), {record['wall_seconds']:.0f} s")
    print(f"test {_accuracies(t['single_top1'], t['single_top5'], record)}  (ten views "
          f"{_accuracies(t['ten_crop_top1'], t['ten_crop_top5'], record)})")
    written = [p for p in (args.out / "checkpoint.pt", args.out / "history.json") if p.is_file()]
    print(f"wrote {' and '.join(map(str, written))}")
    return 0


def _accuracies(top1: float, top5: float, record: dict) -> str:
    """Top-1, and top-5 where there are more than five classes to choose from."""
    classes = record["config"]["model"]["num_classes"]
    return f"top-1 {top1:.2%}" + (f"  top-5 {top5:.2%}" if classes > 5 else "")


def evaluate(args, device) -> int:
    from .evaluate import evaluate_checkpoint

    if not args.checkpoint.is_file():
        raise UserError(f"--checkpoint {args.checkpoint}: no such file")
    result = evaluate_checkpoint(args.checkpoint, data=args.data, device=device,
                                 ten_crop=args.ten_crop, download=not args.no_download)
    views = "ten views" if args.ten_crop else "centre view"
    top5 = f"  top-5 {result['top5']:.2%}" if result["classes"] > 5 else ""
    print(f"{result['split']} top-1 {result['top1']:.2%}{top5}  ({views}, "
          f"{result['images']} images of {result['source']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
