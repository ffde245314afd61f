"""Training throughput: the library's device-resident pipeline vs a per-image DataLoader.

    python benchmarks/pipeline.py                 # CPU or GPU, whichever is here
    python benchmarks/pipeline.py --width 1.0 --steps 100 --batch-size 256   # a GPU

Both pipelines train the same AlexNetCIFAR, from the same weights, for the same number
of steps with the same augmentation (random crop with 4 pixels of padding, horizontal
flip): (a) ``alexnet_lib.data.DeviceLoader``: uint8 split on the device, batched
augmentation there; (b) the obvious alternative: a ``torch.utils.data.DataLoader`` over
a torchvision-style dataset that builds a PIL image per sample and runs
``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip``, ``ToTensor`` and ``Normalize``.
Prints images per second for each and their ratio (a over b); with ``--out FILE`` it also
writes them as a JSON record (what ``tools/records.py`` tables):

    python benchmarks/pipeline.py --out data/records/pipeline-cpu.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from provenance import provenance, write_record
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from alexnet_lib.augment import TrainAugment
from alexnet_lib.data import DeviceLoader, channel_stats, load_cifar10
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.precision import (
    channels_last_helps,
    choose_precision,
    default_device,
    device_name,
)
from alexnet_lib.sgd import train_step


class PILCIFAR10(Dataset):
    """What ``torchvision.datasets.CIFAR10`` does per item: HWC array -> PIL -> transform."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform):
        self.data = images.permute(0, 2, 3, 1).numpy()  # (N, 32, 32, 3), as torchvision keeps it
        self.targets = labels.tolist()
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.data[i])), self.targets[i]


def train_steps(model, batches, steps, device, warmup=3) -> float:
    """Images per second over ``steps`` SGD steps, after ``warmup`` untimed ones.

    Each step is the library's own (``sgd.train_step``) in the precision and memory
    layout ``fit`` picks for the device, so only the pipeline differs between the two.
    """
    cuda = device.type == "cuda"
    precision = choose_precision(device)
    layout = (torch.channels_last if channels_last_helps(device, precision)
              else torch.contiguous_format)
    model.to(memory_format=layout)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    scaler = precision.grad_scaler(device)
    model.train()
    seen, started = 0, None
    for i, (x, y) in enumerate(batches):
        if i == warmup:
            if cuda:
                torch.cuda.synchronize()
            started, seen = time.perf_counter(), 0
        if i == warmup + steps:
            break
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        x = x.contiguous(memory_format=layout)
        train_step(model, opt, x, y, precision=precision, scaler=scaler)
        seen += len(y)
    if cuda:
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - started)


def forever(make_iter):
    while True:
        yield from make_iter()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data")
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2,
                        help="DataLoader workers of the alternative (Colab has 2 vCPUs)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate the two pipelines this many times; report medians")
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()

    images, labels = load_cifar10(args.data, train=True)
    mean, std = channel_stats(images)
    torch.manual_seed(0)
    reference = AlexNetCIFAR(width=args.width)
    reference.normalize.set_stats(mean, std)
    print(f"device {device_name(device)}, torch {torch.__version__}, width {args.width}, "
          f"batch {args.batch_size}, {args.steps} timed steps")

    def fresh_model():
        model = AlexNetCIFAR(width=args.width)
        model.load_state_dict(reference.state_dict())
        model.to(device)
        return model.to(memory_format=torch.channels_last) if device.type == "cuda" else model

    # (a) the library: the uint8 split on the device, augmentation on whole batches
    loader = DeviceLoader(images, labels, args.batch_size, device,
                          augment=TrainAugment(size=32, padding=4, flip=True, lighting=0.0))

    # (b) the obvious alternative. The model normalizes inside, so the alternative's
    # Normalize is paired with an identity normalization in the model: same arithmetic.
    transform = transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(mean.tolist(), std.tolist()),
    ])
    dataset = PILCIFAR10(images, labels, transform)
    dl = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, drop_last=True,
                    num_workers=args.workers, pin_memory=device.type == "cuda",
                    persistent_workers=args.workers > 0)

    def alternative_model():
        model = fresh_model()
        model.normalize.set_stats(torch.zeros(3), torch.ones(3))
        return model

    # alternate the two, so that a slow moment of a shared machine hits both alike
    speeds = {"library": [], "alternative": []}
    for _ in range(args.rounds):
        speeds["library"].append(
            train_steps(fresh_model(), forever(lambda: iter(loader)), args.steps, device))
        speeds["alternative"].append(
            train_steps(alternative_model(), forever(lambda: iter(dl)), args.steps, device))
    library = float(np.median(speeds["library"]))
    alternative = float(np.median(speeds["alternative"]))
    print(f"library DeviceLoader:          {library:8.0f} images/s  (rounds: "
          f"{', '.join(f'{v:.0f}' for v in speeds['library'])})")
    print(f"DataLoader + PIL transforms:   {alternative:8.0f} images/s  (rounds: "
          f"{', '.join(f'{v:.0f}' for v in speeds['alternative'])}; {args.workers} workers)")
    ratio = library / alternative
    print(f"ratio {ratio:.2f}")
    record = {
        "benchmark": "pipeline", "device": device_name(device), "torch": torch.__version__,
        "width": args.width, "batch_size": args.batch_size, "steps": args.steps,
        "workers": args.workers,
        # medians over the rounds, and each round, in training images per second
        "images_per_second": {"library": library, "alternative": alternative},
        "rounds": speeds, "ratio": ratio, **provenance(__file__, argv),
    }
    write_record(args.out, record)
    return record


if __name__ == "__main__":
    main()
