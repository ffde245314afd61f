"""One training run recorded for the repository: the record names its commit and command.

    python benchmarks/train_record.py --profile smoke --out data/records/smoke-cpu
    python benchmarks/train_record.py --profile quick --out data/records/quick-cpu

The same run as ``python -m alexnet_lib train`` (``alexnet_lib.run.run_training``), plus the
provenance a committed record needs (``provenance.py``). It writes ``OUT/history.json``,
resumes from ``OUT/checkpoint.pt`` after an interruption, and deletes the checkpoint when
the run has ended: only the record is kept (and committed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from provenance import provenance

from alexnet_lib.config import PROFILES, RunConfig, get_profile
from alexnet_lib.precision import default_profile_name


def record_run(config: RunConfig, out: Path, *, extra: dict | None = None,
               skip_finished: bool = False, **kwargs) -> dict:
    """Train ``config`` into ``out`` and keep only its record (the data is the config's:
    ``data.source`` and ``data.root``).

    With ``skip_finished`` a folder that already holds a record is not trained again (a
    sweep resumes); an unfinished run resumes from its checkpoint either way.
    ``kwargs`` go to ``run_training`` (``device``, ``download``, ``progress``).
    """
    from alexnet_lib.run import run_training

    out = Path(out)
    path = out / "history.json"
    if skip_finished and path.is_file():
        return json.loads(path.read_text())
    record = run_training(config, out, extra=extra, **kwargs)
    (out / "checkpoint.pt").unlink(missing_ok=True)  # records only
    return record


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=list(PROFILES), default=default_profile_name())
    parser.add_argument("--out", type=Path, required=True, help="folder of the record")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="data",
                        help="the folder holding cifar-10-batches-py/ (data.root)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading CIFAR-10 when data/ lacks it")
    args = parser.parse_args(argv)
    config = get_profile(args.profile).replace(seed=args.seed, **{"data.root": args.data})
    record = record_run(config, args.out, extra=provenance(__file__, argv),
                        device=args.device, download=not args.no_download)
    t = record["test"]
    print(f"{args.out}: test top-1 {t['single_top1']:.2%}, ten-crop {t['ten_crop_top1']:.2%}, "
          f"{record['wall_seconds']:.0f} s on {record['device']}")
    return record


if __name__ == "__main__":
    main()
