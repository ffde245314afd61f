r"""Which learning rate and initialization train AlexNetCIFAR on the paper's input scale.

    python benchmarks/input_scale.py --out data/records/quick-cpu/input-scale   # ~20 CPU min

The paper fed its network "the (centered) raw RGB values of the pixels" (section 2): 0..255
minus the mean, about 63 times the scale of standardized inputs. That scale changes
training, not only LRN: the gradient of conv1's weights grows with its inputs while the
weights a unit-variance initialization gives them shrink with them, so at one learning rate
conv1 learns about 63^2 = 4,000 times faster, relative to its weights, than on standardized
inputs. This pilot trains short runs of each candidate on 15,000 training images for
3 epochs (the `quick` profile otherwise) and keeps, for each, the validation accuracy after
every epoch (the choice is made on it, never on the test set), test top-1 and the share of
active units each LRN layer damps more than 5% below k^-beta (``probes.lrn_damping``).
Each candidate is recorded as ``OUT/<candidate>/history.json``; a finished one is not run
again, and ``OUT/summary.json`` gathers them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from provenance import provenance, write_record
from train_record import record_run

from alexnet_lib.config import get_profile

PILOT = {"data.train_size": 15000, "data.test_size": 2000, "recipe.epochs": 3}
PAPER = {"model.input_scale": "paper"}
# candidate -> overrides of the quick profile: the standardized baseline at its own
# learning rate, then the paper's scale at three learning rates (He initialization with
# conv1 divided by the input's std, models.init_kaiming), and the paper's own
# initialization (N(0, 0.01), biases of 1) at the paper's learning rate
CANDIDATES = {
    "standardized_lr0.04": {},
    "paper_lr0.04": {**PAPER},
    "paper_lr0.01": {**PAPER, "recipe.lr": 0.01},
    "paper_lr0.004": {**PAPER, "recipe.lr": 0.004},
    "paper_lr0.002": {**PAPER, "recipe.lr": 0.002},
    "paper_init_paper_lr0.01": {**PAPER, "model.init": "paper", "recipe.lr": 0.01},
}


def summarize(record: dict) -> dict:
    return {"val_acc": record["history"]["val_acc"],
            "test_top1": record["test"]["single_top1"],
            "lrn_damped": {k: v["damped"] for k, v in record["lrn_damping"].items()},
            "lrn_median_a": {k: v["median_a"] for k, v in record["lrn_damping"].items()},
            "overrides": record["overrides"]}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--candidates", nargs="+", choices=list(CANDIDATES),
                        default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=None, help="override the pilot's 3")
    parser.add_argument("--data", default="data")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    extra = provenance(__file__, argv)
    pilot = {**PILOT, **({"recipe.epochs": args.epochs} if args.epochs else {})}
    results = {}
    for name in args.candidates:
        overrides = {**pilot, **CANDIDATES[name]}
        config = get_profile("quick").replace(**{"data.root": args.data, **overrides})
        print(f"== {name}: {CANDIDATES[name] or 'the quick profile'}", flush=True)
        try:
            record = record_run(config, args.out / name, skip_finished=True,
                                extra={**extra, "overrides": overrides}, progress=False,
                                download=False)
        except FloatingPointError as err:  # train.NonFiniteLossError: it diverged
            results[name] = {"diverged": str(err).split(";")[0], "overrides": overrides}
            (args.out / name / "checkpoint.pt").unlink(missing_ok=True)
            print(f"   diverged: {results[name]['diverged']}", flush=True)
            continue
        results[name] = summarize(record)
        print(f"   val {[round(v, 3) for v in results[name]['val_acc']]}, damped "
              f"{ {k: round(v, 3) for k, v in results[name]['lrn_damped'].items()} }",
              flush=True)
    summary = {**extra, "pilot": pilot, "results": results}
    write_record(args.out / "summary.json", summary)
    return summary


if __name__ == "__main__":
    main()
