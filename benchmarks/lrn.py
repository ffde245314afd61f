"""What Local Response Normalization costs, and which implementation of it is fastest.

    python benchmarks/lrn.py --out data/records/lrn-cpu.json          # CPU: the quick sizes
    python benchmarks/lrn.py --width 1.0 --batch-size 256             # a GPU: the full ones

(1) Forward + backward of the LRN layers alone, on the exact shapes ``AlexNetCIFAR`` feeds
them, in each precision and memory layout a run uses (fp32 NCHW; the device's
mixed precision in channels_last), for: the library's ``LocalResponseNorm`` (closed-form
backward), the same function differentiated by autograd (``closed_form=False``, the
library's layer before the closed form), ``torch.nn.LocalResponseNorm`` with alpha * n (the
same function; it pools squares over channels with ``avg_pool3d``), and optionally the
library's layer through ``torch.compile``. (2) The LRN's share of a training step: the
model with and without its LRN layers, on the training loop's default path for the device.
Implementations take turns within each round; medians of ``--rounds`` rounds, in
milliseconds per call. The whole-step levers (precision, layout, compile, threads) are
``benchmarks/cpu_speed.py``'s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from provenance import provenance, write_record

from alexnet_lib.layers import PAPER_LRN, LocalResponseNorm
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.precision import (
    channels_last_helps,
    choose_precision,
    default_device,
    device_name,
)
from alexnet_lib.sgd import train_step


def lrn_input_shapes(width: float, batch_size: int) -> list[tuple[int, ...]]:
    model = AlexNetCIFAR(width=width).eval()
    shapes = []
    hooks = [m.register_forward_hook(lambda m, args, out: shapes.append(tuple(args[0].shape)))
             for m in model.modules() if isinstance(m, LocalResponseNorm)]
    with torch.no_grad():
        model(torch.zeros(batch_size, 3, 32, 32))
    for h in hooks:
        h.remove()
    return shapes


def take_turns(fns: dict, device: torch.device, steps: int, rounds: int) -> dict[str, list]:
    """Milliseconds per call of each function, one block of ``steps`` calls per round, the
    functions in turn, so a busy moment of a shared machine hits all of them alike."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for fn in fns.values():  # warm-up: allocator, cuDNN autotuning, compilation
        fn()
        fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            sync()
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    return times


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()
    precision = choose_precision(device)
    channels_last = channels_last_helps(device, precision)
    torch.manual_seed(0)
    shapes = lrn_input_shapes(args.width, args.batch_size)
    print(f"device {device_name(device)}, torch {torch.__version__}, width {args.width}, "
          f"batch {args.batch_size}, LRN inputs {shapes}, default precision {precision.name}")

    paper = PAPER_LRN
    implementations = {
        "library": LocalResponseNorm(**paper),
        "library, autograd backward": LocalResponseNorm(**paper, closed_form=False),
        "torch.nn.LocalResponseNorm": torch.nn.LocalResponseNorm(
            5, alpha=paper["alpha"] * 5, beta=paper["beta"], k=paper["k"]),
    }
    if not args.no_compile:
        implementations["library, torch.compile"] = torch.compile(LocalResponseNorm(**paper))
    # the inputs a run feeds the layers: fp32 NCHW, and the device's mixed precision in its
    # layout (the activations autocast leaves in bf16/fp16)
    settings = {"fp32, contiguous": (torch.float32, torch.contiguous_format)}
    if precision.dtype is not None:
        layout = torch.channels_last if channels_last else torch.contiguous_format
        settings[f"{precision.name}, {'channels_last' if channels_last else 'contiguous'}"] = (
            precision.dtype, layout)

    layers = {}
    for setting, (dtype, layout) in settings.items():
        inputs = [torch.randn(s, device=device).mul(4).relu().to(dtype)
                  .contiguous(memory_format=layout).requires_grad_() for s in shapes]
        grads = [torch.randn(s, device=device).to(dtype).contiguous(memory_format=layout)
                 for s in shapes]
        fns, errors = {}, {}
        for name, layer in implementations.items():
            try:
                # the same function: a benchmark of a wrong layer is worthless
                tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else {}
                for x in inputs:
                    ref = implementations["library, autograd backward"](x)
                    torch.testing.assert_close(layer(x), ref, **tol)
            except Exception as err:  # noqa: BLE001 - a failing row is recorded, not fatal
                errors[name] = f"{type(err).__name__}: {str(err).strip().splitlines()[0][:300]}"
                continue

            def forward_backward(layer=layer, inputs=inputs, grads=grads):
                for x, g in zip(inputs, grads, strict=True):
                    layer(x).backward(g)

            fns[name] = forward_backward
        times = take_turns(fns, device, args.steps, args.rounds)
        base = statistics.median(times["library, autograd backward"])
        rows = {}
        for name in implementations:
            if name in errors:
                rows[name] = {"error": errors[name]}
                print(f"LRN layers forward + backward, {setting}, {name}: {errors[name]}")
                continue
            ms = statistics.median(times[name])
            rows[name] = {"median_ms": ms, "rounds_ms": times[name],
                          "speedup_vs_autograd": base / ms}
            print(f"LRN layers forward + backward, {setting}, {name}: {ms:.2f} ms "
                  f"(x{base / ms:.2f} vs autograd)")
        layers[setting] = rows

    # the LRN's share of a training step, on the training loop's default path
    batch = (torch.rand(args.batch_size, 3, 32, 32, device=device),
             torch.randint(0, 10, (args.batch_size,), device=device))
    if channels_last:
        batch = (batch[0].contiguous(memory_format=torch.channels_last), batch[1])
    steps = {}
    for lrn in (True, False):
        torch.manual_seed(0)
        model = AlexNetCIFAR(width=args.width, lrn=lrn).to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        steps["with_lrn" if lrn else "without_lrn"] = (lambda model=model, optimizer=optimizer:
                      train_step(model, optimizer, *batch, precision=precision))
    times = take_turns(steps, device, args.steps, args.rounds)
    with_lrn, without = (statistics.median(times[k]) for k in ("with_lrn", "without_lrn"))
    share = 1 - without / with_lrn
    print(f"training step ({precision.name}), with LRN: {with_lrn:.2f} ms, without: "
          f"{without:.2f} ms")
    print(f"LRN share of a training step: {share:.0%}")
    record = {
        "benchmark": "lrn", "device": device_name(device), "torch": torch.__version__,
        "width": args.width, "batch_size": args.batch_size, "steps": args.steps,
        "rounds": args.rounds, "lrn_input_shapes": shapes, "lrn": paper,
        "precision": precision.name, "channels_last": channels_last,
        # median milliseconds per forward + backward of all the model's LRN layers
        "layers": layers,
        "training_step_ms": {"with_lrn": with_lrn, "without_lrn": without,
                             "rounds": times},
        "lrn_share": share, **provenance(__file__, argv),
    }
    write_record(args.out, record)
    return record


if __name__ == "__main__":
    main()
