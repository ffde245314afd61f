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
from alexnet_lib.ablations import ROWS, epochs_to, table  # noqa: F401 (epochs_to: re-export)
from alexnet_lib.profiles import PROFILES, default_profile_name


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
