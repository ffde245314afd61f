"""What Local Response Normalization costs, and which implementation of it is fastest.

    python benchmarks/lrn.py                                  # CPU: the quick profile's sizes
    python benchmarks/lrn.py --width 1.0 --batch-size 256     # a GPU: the full profile's

(1) Forward + backward of the LRN layers alone, on the exact shapes ``AlexNetCIFAR`` feeds
them, for (a) ``alexnet_lib.layers.LocalResponseNorm`` (sums five shifted channel windows),
(b) ``torch.nn.LocalResponseNorm`` with alpha * n, the same function (it pools squares over
channels with ``avg_pool3d``), (c) (a) through ``torch.compile``. (2) One whole training step
of the model with and without its LRN layers, with the training loop's settings for the
device (bf16 autocast and channels_last on CUDA), so the LRN's share of a step is measured
rather than inferred. Medians of ``--rounds`` rounds; milliseconds per call.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import torch
from pipeline import train_steps  # the training step the pipeline benchmark times

from alexnet_lib.layers import LocalResponseNorm
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.train import default_device, device_name


def timed(fn, device: torch.device, steps: int, rounds: int) -> float:
    """Median milliseconds per call of ``fn`` over ``rounds`` rounds of ``steps`` calls."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(2):  # warm-up: allocator, cuDNN autotuning, compilation
        fn()
    per_call = []
    for _ in range(rounds):
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        sync()
        per_call.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(per_call)


def lrn_input_shapes(model: torch.nn.Module, batch_size: int) -> list[tuple[int, ...]]:
    shapes = []
    hooks = [m.register_forward_hook(lambda m, args, out: shapes.append(tuple(args[0].shape)))
             for m in model.modules() if isinstance(m, LocalResponseNorm)]
    with torch.no_grad():
        model.eval()(torch.zeros(batch_size, 3, 32, 32))
    for h in hooks:
        h.remove()
    return shapes


def main(argv=None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()
    cuda = device.type == "cuda"
    torch.manual_seed(0)
    shapes = lrn_input_shapes(AlexNetCIFAR(width=args.width), args.batch_size)
    print(f"device {device_name(device)}, torch {torch.__version__}, width {args.width}, "
          f"batch {args.batch_size}, LRN inputs {shapes}")

    ours = LocalResponseNorm()
    implementations = {
        "alexnet_lib LocalResponseNorm": ours,
        "torch.nn.LocalResponseNorm": torch.nn.LocalResponseNorm(
            ours.size, alpha=ours.alpha * ours.size, beta=ours.beta, k=ours.k),
    }
    if not args.no_compile:
        implementations["alexnet_lib, torch.compile"] = torch.compile(LocalResponseNorm())
    inputs = [torch.randn(s, device=device).mul(4).requires_grad_() for s in shapes]
    grads = [torch.randn(s, device=device) for s in shapes]
    results = {}
    for name, layer in implementations.items():
        for x in inputs:  # the same function: a benchmark of a wrong layer is worthless
            torch.testing.assert_close(layer(x), ours(x), rtol=1e-5, atol=1e-6)

        def forward_backward(layer=layer):
            for x, g in zip(inputs, grads, strict=True):
                layer(x).backward(g)

        results[name] = timed(forward_backward, device, args.steps, args.rounds)
        print(f"LRN layers forward + backward, {name}: {results[name]:.2f} ms")

    # one fixed batch already on the device, so only the model's work is timed (train_steps
    # applies the training loop's settings: channels_last, bf16 autocast on CUDA)
    batch = (torch.randn(args.batch_size, 3, 32, 32, device=device),
             torch.randint(0, 10, (args.batch_size,), device=device))
    for lrn in (True, False):
        torch.manual_seed(0)
        model = AlexNetCIFAR(width=args.width, lrn=lrn).to(device)
        if cuda:
            model = model.to(memory_format=torch.channels_last)
        speeds = [train_steps(model, itertools.repeat(batch), args.steps, device, warmup=2)
                  for _ in range(args.rounds)]
        name = f"training step, {'with' if lrn else 'without'} LRN"
        results[name] = args.batch_size / statistics.median(speeds) * 1e3
        print(f"{name}: {results[name]:.2f} ms")
    share = 1 - results["training step, without LRN"] / results["training step, with LRN"]
    results["lrn share"] = share
    print(f"LRN share of a training step: {share:.0%}")
    return results


if __name__ == "__main__":
    main()
