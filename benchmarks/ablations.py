"""The paper's claims, checked on CIFAR-10: one run per ingredient switched off.

    python benchmarks/ablations.py --profile quick            # CPU
    python benchmarks/ablations.py --profile full             # a GPU
    python benchmarks/ablations.py --profile smoke --epochs 2 # a minute: does it all run?

Every row trains ``AlexNetCIFAR`` with the same profile (same data, epochs, schedule and
seed) and changes one thing. Each run is recorded as ``OUT/<row>/history.json`` (the same
record as ``python -m alexnet_lib train``) and the table is printed from those records;
a row whose record already exists is not trained again, so an interrupted sweep resumes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alexnet_lib.__main__ import run_training
from alexnet_lib.profiles import PROFILES, default_profile_name

# row name -> (what the paper says, model overrides, profile overrides)
ROWS = {
    "baseline": ("all of the paper's ingredients on", {}, {}),
    "tanh": ("ReLU trains ~6x faster than tanh (Figure 1)", {"activation": "tanh"}, {}),
    "no_lrn": ("LRN cuts error 13% -> 11% (section 3.3)", {"lrn": False}, {}),
    "no_overlap": ("overlapping pools: -0.4% top-1 error (section 3.4)",
                   {"overlap_pool": False}, {}),
    "no_dropout": ("without dropout, substantial overfitting (section 4.2)",
                   {"dropout": 0.0}, {}),
    "no_augment": ("without augmentation, substantial overfitting (section 4.1)", {},
                   {"crop_padding": 0, "flip": False, "lighting": 0.0}),
    "no_lighting": ("PCA lighting: -1% top-1 error (section 4.1)", {}, {"lighting": 0.0}),
}


def epochs_to(history: dict, train_error: float) -> int | None:
    """The first epoch whose training error (on augmented batches) is at most ``train_error``."""
    for epoch, acc in zip(history["epoch"], history["train_acc"], strict=True):
        if 1 - acc <= train_error:
            return epoch
    return None


def table(records: dict[str, dict]) -> str:
    """Markdown table of the recorded rows, in the order of ``ROWS``."""
    lines = ["| row | paper | test top-1 | ten-crop top-1 | last train acc | train - test gap "
             "| epochs to 25% train error | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, (claim, _, _) in ROWS.items():
        if name not in records:
            continue
        r = records[name]
        top1, ten = r["test"]["single_top1"], r["test"]["ten_crop_top1"]
        train_acc = r["history"]["train_acc"][-1]
        reached = epochs_to(r["history"], 0.25)
        reached = str(reached) if reached else f"not in {len(r['history']['epoch'])}"
        lines.append(f"| {name} | {claim} | {top1:.2%} | {ten:.2%} | {train_acc:.2%} | "
                     f"{train_acc - top1:+.2%} | {reached} | {r['train_seconds']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default=default_profile_name())
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the records (default: runs/ablations-PROFILE)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--epochs", type=int, default=None, help="override the profile's epochs")
    parser.add_argument("--data", default="data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    out = args.out or Path("runs") / f"ablations-{args.profile}"
    records = {}
    for name in args.rows:
        _, model_overrides, profile_overrides = ROWS[name]
        if args.epochs:
            profile_overrides = {**profile_overrides, "epochs": args.epochs}
        path = out / name / "history.json"
        if not path.is_file():
            print(f"== {name}: {ROWS[name][0]}")
            run_training(args.profile, out / name, args.data, args.seed, device=args.device,
                         model_overrides=model_overrides, profile_overrides=profile_overrides)
            (out / name / "checkpoint.pt").unlink(missing_ok=True)  # records only
        records[name] = json.loads(path.read_text())
    text = table(records)
    print(text)
    return text


if __name__ == "__main__":
    main()
