r"""The paper's Figure 1, as the paper ran it: ReLU against tanh to 25% training error.

    python benchmarks/figure1.py --out data/records/quick-cpu/figure1      # hours on one core
    python benchmarks/figure1.py --out /tmp/f1 --train-size 2000 --max-epochs 2   # does it run?

Section 3.1: "A four-layer convolutional neural network with ReLUs (solid line) reaches a
25% training error rate on CIFAR-10 six times faster than an equivalent network with tanh
neurons (dashed line). The learning rates for each network were chosen independently to
make training as fast as possible. No regularization of any kind was employed."

The network is cuda-convnet's ``layers-18pct`` (Krizhevsky's own CIFAR-10 network of the
time, and four layers with weights): three 5x5 convolutions with 32, 32 and 64 filters,
each followed by 3x3 pooling with stride 2, then one fully-connected layer to the 10
classes. Its response normalization is left out: it is not part of the comparison, and
"no regularization of any kind". Both nets start from the same weights (PyTorch's default
initialization, which does not depend on the nonlinearity). Whole training set (45,000
images after the 5,000-image validation split), batch 128, SGD with momentum 0.9 at a
constant rate, no weight decay, no dropout, no augmentation.

The measure is the running training error (the mistakes on each batch as it is trained,
as cuda-convnet printed it), logged every tenth of an epoch: epochs to 25% is the first
such point at or below 25%. Stage 1 trains seed 0 at every rate of the grid and picks,
for each nonlinearity, the rate with the lowest *validation* error after
``--select-epochs`` epochs; stage 2 trains seeds 1 and 2 at the chosen rates. A run stops
once it has reached 25% and done ``--select-epochs`` epochs, or at ``--max-epochs``.
Each run is a record ``OUT/<nonlinearity>/lr<rate>/seed<s>.json``; an interrupted run
resumes from its checkpoint, a finished one is not trained again.
``alexnet_lib.book.figure1`` reads the records (chapter 3's figure and verdict).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from provenance import provenance
from torch import nn

from alexnet_lib.atomic import write_atomically
from alexnet_lib.book.figure1 import (
    CHECKS_PER_EPOCH,
    LEARNING_RATES,
    choose_rates,
    run_path,
    summary,
    window_ends,
)
from alexnet_lib.data.cifar10 import load_splits
from alexnet_lib.precision import choose_precision

BATCH = 128
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def four_layer_net(nonlinearity: str) -> nn.Sequential:
    """cuda-convnet's layers-18pct without response normalization (see the docstring)."""
    act = ACTIVATIONS[nonlinearity]
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(3, 2, padding=1), act(),
        nn.Conv2d(32, 32, 5, padding=2), act(), nn.AvgPool2d(3, 2, padding=1),
        nn.Conv2d(32, 64, 5, padding=2), act(), nn.AvgPool2d(3, 2, padding=1),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 10),
    )


class Profile:  # what load_splits reads from a profile
    def __init__(self, train_size):
        self.val_size, self.train_size, self.test_size = 5000, train_size, 0


def _error(model, images, labels, precision) -> float:
    model.eval()
    wrong = 0
    with torch.no_grad(), precision.autocast("cpu"):
        for i in range(0, len(images), 1000):
            wrong += (model(images[i:i + 1000]).argmax(1) != labels[i:i + 1000]).sum().item()
    model.train()
    return wrong / len(images)


def train_one(data, nonlinearity: str, lr: float, seed: int, args, path: Path,
              selection_only: bool) -> dict:
    """Train until 25% (and ``select_epochs``) or ``max_epochs``, or only ``select_epochs``
    for a rate of the grid that may not be chosen (its checkpoint stays, to go on from
    there if it is); return the record."""
    torch.manual_seed(1000 + seed)  # the same initial weights for relu and tanh
    model = four_layer_net(nonlinearity)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    precision = choose_precision("cpu")
    hist = {"epoch": [], "train_error": [], "seconds": [], "val_error": [], "val_epoch": []}
    order = torch.Generator().manual_seed(seed)
    ckpt, start = path.with_suffix(".ckpt.pt"), 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        hist, start = state["history"], state["epoch"]
        order.set_state(state["order"])
    x, y = data
    n = len(x)
    steps = n // BATCH
    log_after = set(window_ends(steps, CHECKS_PER_EPOCH))
    for epoch in range(start, args.max_epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=order)
        wrong = seen = 0
        for step in range(steps):
            idx = perm[step * BATCH:(step + 1) * BATCH]
            with precision.autocast("cpu"):
                out = model(x[idx])
                loss = nn.functional.cross_entropy(out.float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            wrong += (out.argmax(1) != y[idx]).sum().item()
            seen += len(idx)
            if step + 1 in log_after:  # every tenth of an epoch (window_ends)
                base = hist["seconds"][-1] if hist["seconds"] else 0.0
                hist["epoch"].append(epoch + (step + 1) / steps)
                hist["train_error"].append(wrong / seen if torch.isfinite(loss) else 1.0)
                hist["seconds"].append(base + time.perf_counter() - t0)
                t0, wrong, seen = time.perf_counter(), 0, 0
        hist["val_error"].append(_error(model, *args.val, precision))
        hist["val_epoch"].append(epoch + 1)
        print(f"{nonlinearity} lr {lr} seed {seed} epoch {epoch + 1}: train error "
              f"{hist['train_error'][-1]:.3f}, val error {hist['val_error'][-1]:.3f}", flush=True)
        reached = min(hist["train_error"]) <= 0.25
        diverged = not torch.isfinite(loss)
        finished = diverged or (reached and epoch + 1 >= args.select_epochs)
        if finished:
            break
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "history": hist,
                 "epoch": epoch + 1, "order": order.get_state()}
        write_atomically(ckpt, lambda tmp, s=state: torch.save(s, tmp))
        if selection_only and epoch + 1 >= args.select_epochs:
            break
    else:
        finished = True  # max_epochs without reaching 25%: a censored run
    return {"nonlinearity": nonlinearity, "lr": lr, "seed": seed, "history": hist,
            "finished": finished, "diverged": bool(diverged), "batch": BATCH, "momentum": 0.9,
            "train_size": n, "max_epochs": args.max_epochs,
            "select_epochs": args.select_epochs, "precision": precision.name,
            "threads": torch.get_num_threads(), **provenance(__file__)}


def run(data, nonlinearity, lr, seed, args, selection_only=False) -> dict:
    """One run's record: read if it is done (or, for ``selection_only``, selected on),
    else trained, resuming from its checkpoint."""
    path = run_path(args.out, nonlinearity, lr, seed)
    if path.exists():
        record = json.loads(path.read_text())
        if record["finished"] or selection_only:
            return record
    path.parent.mkdir(parents=True, exist_ok=True)
    record = train_one(data, nonlinearity, lr, seed, args, path, selection_only)
    write_atomically(path, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1)))
    if record["finished"]:
        path.with_suffix(".ckpt.pt").unlink(missing_ok=True)
    return record


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", default="data")
    p.add_argument("--train-size", type=int, default=None, help="default: all 45,000")
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--select-epochs", type=int, default=3)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--only", choices=list(ACTIVATIONS), default=None,
                   help="one nonlinearity (two processes can share the work)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-download", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    s = load_splits(Profile(args.train_size), args.data, download=not args.no_download)

    def prepare(images):  # standardized with the training set's channel statistics
        return ((images.float() / 255 - s.mean.view(1, 3, 1, 1)) / s.std.view(1, 3, 1, 1))

    data = (prepare(s.train_images), s.train_labels)
    args.val = (prepare(s.val_images), s.val_labels)
    names = [args.only] if args.only else list(ACTIVATIONS)
    for name in names:  # stage 1: the grid at the first seed, select_epochs each
        for lr in LEARNING_RATES[name]:
            run(data, name, lr, args.seeds[0], args, selection_only=True)
    chosen = choose_rates(args.out)
    for seed in args.seeds:  # stage 2: the chosen rates to 25%, every seed
        for name in names:
            run(data, name, chosen[name], seed, args)
    text = summary(args.out)
    print(text)
    return text


if __name__ == "__main__":
    main()
