"""A tiny CIFAR-10 written in the real ``cifar-10-batches-py`` format, for the tests.

Images of class c are a noisy flat colour plus a class-specific stripe, so a small
network learns them in a few steps and the tests can check that training works.
Their md5 sums match no known copy of CIFAR-10: a test reading them opts out of the
loader's check (``verify=False``, or the ``cifar_root`` fixture's ``ALEXNET_CIFAR10_VERIFY=0``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

PER_BATCH = 40  # 5 training batches -> 200 training images
TEST_SIZE = 60


def make_images(n: int, seed: int) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    colours = np.random.default_rng(123).integers(30, 226, size=(10, 3))
    x = np.empty((n, 3, 32, 32), dtype=np.float64)
    for i, c in enumerate(labels):
        x[i] = colours[c][:, None, None]
        x[i, :, 3 * c : 3 * c + 3, :] = 255 - colours[c][:, None, None]  # a stripe per class
    x += rng.normal(0, 12, size=x.shape)
    return np.clip(x, 0, 255).astype(np.uint8).reshape(n, -1), [int(c) for c in labels]


def write_cifar(root: Path) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i in range(1, 6):
        data, labels = make_images(PER_BATCH, seed=i)
        with open(folder / f"data_batch_{i}", "wb") as f:
            pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"b"}, f, protocol=2)
    data, labels = make_images(TEST_SIZE, seed=99)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"t"}, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [b"airplane"] * 10}, f, protocol=2)
    return folder
