"""Peak memory of loading CIFAR-10 for training, against statistics on float64 copies.

    python benchmarks/load_memory.py --out data/records/load-memory-cpu.json

Each way runs in a fresh process and reports its peak resident memory (``ru_maxrss``):

- ``library``: ``load_splits`` with the ``quick`` profile's data (validation carved, all
  three splits loaded, per-channel statistics taken in float64 over 1,024-image chunks);
- ``float64 copies``: the same images, their statistics taken the obvious way, on the
  whole training set converted to float64 (what ``load_splits`` did before);
- ``imports``: the process after importing torch and alexnet_lib only, the floor.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from provenance import provenance, write_record

from alexnet_lib.config import get_profile

WAYS = {
    "imports": "pass",
    "library": "from alexnet_lib.config import DataConfig\n"
               "from alexnet_lib.data import load_splits\n"
               "load_splits(DataConfig(val_size=VAL), root=ROOT)",
    "float64 copies": "from alexnet_lib.data import load_cifar10, train_val_split\n"
                      "images, labels = load_cifar10(ROOT)\n"
                      "(x, _), _ = train_val_split(images, labels, VAL)\n"
                      "x = x.to(torch.float64).div_(255).transpose(0, 1).reshape(3, -1)\n"
                      "x.mean(1), x.std(1)\n"
                      "load_cifar10(ROOT, train=False)",
}
PROBE = """
import resource, sys, torch, alexnet_lib
ROOT, VAL = sys.argv[1], int(sys.argv[2])
{body}
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


def peak_mib(body: str, root: str, val_size: int) -> float:
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body), root, str(val_size)],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the measuring process failed:\n{done.stderr}")
    return int(done.stdout.split()[-1]) / 1024


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data", help="folder holding cifar-10-batches-py/")
    parser.add_argument("--val-size", type=int, default=get_profile("quick").data.val_size,
                        help="validation images carved from the training set (quick's)")
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)
    peaks = {name: peak_mib(body, args.data, args.val_size) for name, body in WAYS.items()}
    for name, mib in peaks.items():
        print(f"{name:<16}{mib:8.0f} MiB peak")
    record = {"benchmark": "load_memory", "val_size": args.val_size, "peak_mib": peaks,
              **provenance(__file__, argv)}
    write_record(args.out, record)
    return record


if __name__ == "__main__":
    main()
