r"""The paper's claims, checked on CIFAR-10: each ingredient switched off, with several seeds.

    python benchmarks/ablations.py --profile quick --seeds 0 1 2 \
        --out data/records/quick-cpu/scorecard           # the CPU scorecard: hours
    python benchmarks/ablations.py --profile smoke --epochs 2 --rows baseline no_lrn  # does it run?
    python benchmarks/ablations.py --profile quick --regime overfit --seeds 0 1 2 \
        --rows baseline no_dropout dropout_torchvision no_augment no_lighting no_overlap \
        --out data/records/quick-cpu/overfit                   # the overfitting regime

On two cores, two workers at once, one thread each, share the sweep without overlap
(``--shard 0/2`` and ``--shard 1/2`` take every other run of the same list).

Every row of ``alexnet_lib.book.ablations.ROWS`` changes one thing of the profile's run config;
with seed ``s`` a row starts from the same initial weights (where the architecture allows)
and sees the same data order and augmentation as the baseline's seed-``s`` run, so the two
can be compared pair by pair. Each run is recorded as ``OUT/<row>/seed<s>/history.json``
(``run_training``'s record, plus commit and command). A finished record is not trained
again and an unfinished run resumes from its checkpoint, so an interrupted sweep goes on
where it stopped; checkpoints are deleted when a run ends. Seeds run in the outer loop, so
every row has a first seed before any has a second.

This prints each run's numbers; ``python tools/records.py`` makes the scorecard (means,
spread, paired differences with confidence intervals) from the records.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from provenance import provenance
from train_record import record_run

from alexnet_lib.book.ablations import REGIMES, ROWS, regime_config, row_config
from alexnet_lib.config import PROFILES, get_profile
from alexnet_lib.precision import default_profile_name


def summary(records: dict[str, dict]) -> str:
    """A markdown table of runs, one line per ``{label: record}``: what each run measured.

    The train - test gap is chapter 6's: eval-mode accuracy on the un-augmented training
    images minus test accuracy.
    """
    lines = ["| run | val top-1 | test top-1 | ten-crop top-1 | train - test gap | seconds |",
             "| --- | --- | --- | --- | --- | --- |"]
    for label, r in records.items():
        t = r["test"]
        gap = f"{t['train_top1'] - t['single_top1']:+.2%}" if "train_top1" in t else "n/a"
        lines.append(f"| {label} | {r['history']['val_acc'][-1]:.2%} | {t['single_top1']:.2%} | "
                     f"{t['ten_crop_top1']:.2%} | {gap} | {r['train_seconds']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=list(PROFILES), default=default_profile_name())
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the records (default: runs/ablations-PROFILE[-REGIME])")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--regime", choices=list(REGIMES), default="standard",
                        help="overfit: 10,000 training images for 80 epochs, where the "
                             "regularization rows have something to regularize")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the profile's epochs")
    parser.add_argument("--data", default="data",
                        help="the folder holding cifar-10-batches-py/ (data.root)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading CIFAR-10 when data/ lacks it")
    parser.add_argument("--shard", default="0/1", metavar="I/N",
                        help="train only runs I, I+N, I+2N, ... of the sweep (workers in parallel)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 per worker when two run at once)")
    args = parser.parse_args(argv)
    try:
        index, count = (int(v) for v in args.shard.split("/"))
        assert 0 <= index < count
    except (ValueError, AssertionError):
        parser.error(f"--shard takes I/N with 0 <= I < N, got {args.shard!r}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    suffix = "" if args.regime == "standard" else f"-{args.regime}"
    out = args.out or Path("runs") / f"ablations-{args.profile}{suffix}"
    base = regime_config(get_profile(args.profile), args.regime).replace(
        **{"data.root": args.data})
    if args.epochs:
        base = base.replace(**{"recipe.epochs": args.epochs})
    extra = provenance(__file__, argv)
    records = {}
    runs = [(seed, name) for seed in args.seeds for name in args.rows]
    for seed, name in runs[index::count]:
        target = out / name / f"seed{seed}"
        if not (target / "history.json").is_file():
            print(f"== {name}, seed {seed}: {ROWS[name][0]}", flush=True)
        records[f"{name}, seed {seed}"] = record_run(
            row_config(base, name).replace(seed=seed), target,
            extra={**extra, "row": name}, skip_finished=True, device=args.device,
            download=not args.no_download)
    text = summary(records)
    print(text)
    return text


if __name__ == "__main__":
    main()
