"""What each CPU speed lever is worth on the quick model's training step, side by side.

    python benchmarks/cpu_speed.py --out data/records/cpu-speed.json

Trains the ``quick`` model (``AlexNetCIFAR(width=0.25)``, batch 128, SGD lr 0.04, momentum
0.9, weight decay 5e-4) for a fixed number of steps on fixed random batches (32x32 images in
0..1, random labels), once per variant, all from the same initial weights:

- ``today``: fp32, NCHW, LRN differentiated by autograd (the path before the levers);
- one lever at a time on top of it, and the levers accumulated (bf16 autocast, the
  closed-form LRN backward, channels_last, torch.compile);
- ``default``: what ``fit`` now chooses on this machine (``precision.choose_precision``,
  ``precision.channels_last_helps``, the closed-form LRN; no compile);
- optionally the default with other ``torch.set_num_threads`` settings (``--threads``).

The variants take turns, one block of ``--steps`` steps each per round, so that a busy
moment of a shared machine hits all of them alike; a variant's time is the median over the
rounds of its milliseconds per step. The last line is ``speedup X.XX``: today's time over
the default's.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from provenance import provenance, write_record

from alexnet_lib.layers import LocalResponseNorm
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.precision import (
    BF16,
    FP32,
    channels_last_helps,
    choose_precision,
    cpu_has_native_bf16,
    describe,
)
from alexnet_lib.sgd import train_step


@dataclass
class Variant:
    name: str
    bf16: bool = False
    closed_form_lrn: bool = False
    channels_last: bool = False
    compile: bool = False
    threads: int | None = None
    # filled in while running
    model: torch.nn.Module | None = field(default=None, repr=False)
    step: object = field(default=None, repr=False)
    ms: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    error: str | None = None

    def levers(self) -> dict:
        return {"precision": "bf16" if self.bf16 else "fp32",
                "lrn_backward": "closed form" if self.closed_form_lrn else "autograd",
                "memory_format": "channels_last" if self.channels_last else "contiguous",
                "compile": self.compile, "threads": self.threads or torch.get_num_threads()}


def variants(default_bf16: bool, default_cl: bool, compile: bool, threads: list[int]):
    rows = [
        Variant("today: fp32, autograd LRN"),
        Variant("bf16 autocast alone", bf16=True),
        Variant("closed-form LRN alone", closed_form_lrn=True),
        Variant("channels_last alone", channels_last=True),
        Variant("bf16 + closed-form LRN", bf16=True, closed_form_lrn=True),
        Variant("bf16 + closed-form LRN + channels_last", bf16=True, closed_form_lrn=True,
                channels_last=True),
    ]
    if compile:
        rows.append(Variant("bf16 + closed-form LRN + channels_last + compile", bf16=True,
                            closed_form_lrn=True, channels_last=True, compile=True))
    rows.append(Variant("default", bf16=default_bf16, closed_form_lrn=True,
                        channels_last=default_cl))
    rows += [Variant(f"default, {n} threads", bf16=default_bf16, closed_form_lrn=True,
                     channels_last=default_cl, threads=n) for n in threads]
    return rows


def machine() -> dict:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    native, feature = cpu_has_native_bf16()
    return {"cpu": model, "cores": torch.get_num_threads(), "platform": platform.platform(),
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "native_bf16": native, "bf16_feature": feature}


def prepare(v: Variant, init_state: dict, width: float, lr: float, warmup: int, batches):
    """Build the variant's model and optimizer from the shared initial weights, and run its
    warm-up steps (for compile: the compilation) outside the timing."""
    model = AlexNetCIFAR(width=width)
    model.load_state_dict(init_state)
    for m in model.modules():
        if isinstance(m, LocalResponseNorm):
            m.closed_form = v.closed_form_lrn
    if v.channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    run = torch.compile(model) if v.compile else model
    precision = BF16 if v.bf16 else FP32

    def step(x, y):
        if v.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        out = train_step(run, optimizer, x, y, precision=precision)
        return out[0] if isinstance(out, tuple) else out

    v.model, v.step = model, step
    torch.manual_seed(0)  # dropout's masks: the same for every variant
    with threads(v.threads):
        for i in range(warmup):
            step(*batches[i % len(batches)])


class threads:
    """Run a block with ``torch.set_num_threads(n)`` (None: leave it as it is)."""

    def __init__(self, n: int | None):
        self.n, self.before = n, torch.get_num_threads()

    def __enter__(self):
        if self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)


def timed_block(v: Variant, batches, start: int, steps: int) -> None:
    torch.manual_seed(start)  # dropout's masks: the same for every variant
    with threads(v.threads):
        begin = time.perf_counter()
        losses = [v.step(*batches[(start + i) % len(batches)]) for i in range(steps)]
        v.ms.append((time.perf_counter() - begin) / steps * 1e3)
    v.losses.append(torch.stack(losses).mean().item())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.04)
    parser.add_argument("--steps", type=int, default=10, help="steps per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per variant")
    parser.add_argument("--batches", type=int, default=8, help="distinct fixed batches")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    parser.add_argument("--threads", type=int, nargs="*", default=[],
                        help="also time the default with these torch.set_num_threads values")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)

    device = torch.device("cpu")
    default = choose_precision(device)
    default_cl = channels_last_helps(device, default)
    torch.manual_seed(args.seed)
    init_state = AlexNetCIFAR(width=args.width).state_dict()
    g = torch.Generator().manual_seed(args.seed + 1)
    batches = [(torch.rand(args.batch_size, 3, 32, 32, generator=g),
                torch.randint(0, 10, (args.batch_size,), generator=g))
               for _ in range(args.batches)]
    rows = variants(default.dtype is not None, default_cl, not args.no_compile, args.threads)
    print(f"cpu: {machine()['cpu']}, {torch.get_num_threads()} threads, torch "
          f"{torch.__version__}; default precision {describe(default)}, "
          f"channels_last {default_cl}; width {args.width}, batch {args.batch_size}, "
          f"{args.rounds} rounds x {args.steps} steps")

    for v in rows:
        try:
            prepare(v, init_state, args.width, args.lr, args.warmup, batches)
        except Exception as err:  # noqa: BLE001 - a lever that fails is a row with its error
            v.error = f"{type(err).__name__}: {str(err).strip().splitlines()[0][:300]}"
            print(f"{v.name}: failed: {v.error}")
    live = [v for v in rows if v.error is None]
    for r in range(args.rounds):
        # each round starts at another variant, so none is always first after a pause
        for v in live[r % len(live):] + live[: r % len(live)]:
            timed_block(v, batches, args.warmup + r * args.steps, args.steps)

    base = statistics.median(rows[0].ms)
    records = []
    for v in rows:
        ms = statistics.median(v.ms) if v.ms else None
        row = {"name": v.name, "levers": v.levers(), "median_ms_per_step": ms,
               "speedup_vs_today": base / ms if ms else None, "rounds_ms": v.ms,
               "mean_loss_per_round": v.losses, "error": v.error}
        records.append(row)
        if ms:
            print(f"{v.name:<52} {ms:8.1f} ms/step  x{base / ms:5.2f}  "
                  f"(rounds: {', '.join(f'{t:.0f}' for t in v.ms)})")
        else:
            print(f"{v.name:<52}   failed: {v.error}")
    default_ms = statistics.median(next(v for v in rows if v.name == "default").ms)
    speedup = base / default_ms
    record = {
        "benchmark": "cpu_speed", "machine": machine(), "torch": torch.__version__,
        "settings": {"model": f"AlexNetCIFAR(width={args.width})", "batch_size": args.batch_size,
                     "optimizer": f"SGD lr {args.lr} momentum 0.9 weight_decay 5e-4",
                     "steps": args.steps, "rounds": args.rounds, "warmup": args.warmup,
                     "batches": args.batches, "seed": args.seed},
        "default": {"precision": default.name, "reason": default.reason,
                    "channels_last": default_cl, "lrn_backward": "closed form"},
        "rows": records, "speedup": speedup, **provenance(__file__, argv),
    }
    write_record(args.out, record)
    print(f"speedup {speedup:.2f}")
    return record


if __name__ == "__main__":
    main()
