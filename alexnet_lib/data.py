"""CIFAR-10: download or read a local copy, split it, and serve batches from the device.

The standard ``cifar-10-batches-py/`` files are read straight into one uint8 array per
split (no per-image PIL). The whole training set is 150 MB as uint8, so it lives on the
training device and every batch is cut, augmented and normalized there.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
# Where an offline machine of this project finds its copy (see ../shared/cifar10/README.md).
OFFLINE_HINT = "python ../shared/cifar10/prepare.py --out data/"


class DataError(RuntimeError):
    """CIFAR-10 is missing or damaged; the message says what to do."""


def _missing_message(folder: Path, missing: list[str], reason: str) -> str:
    return (
        f"CIFAR-10 not found: {folder} lacks {', '.join(missing)} ({reason}).\n"
        f"Get it in one of these ways:\n"
        f"  - online: load_cifar10(root=..., download=True) or "
        f"`python -m alexnet_lib train` downloads {URL} (md5-checked);\n"
        f"  - by hand: unpack cifar-10-python.tar.gz so that {folder} holds the batch files;\n"
        f"  - offline machines of this project: {OFFLINE_HINT}"
    )


def download_cifar10(root: str | Path = "data") -> Path:
    """Download and unpack the original archive into ``root`` (md5-checked by torchvision)."""
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root)
    download_and_extract_archive(URL, download_root=str(root), md5=ARCHIVE_MD5)
    return root / FOLDER


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as (uint8 (n, 3, 32, 32), int64 (n,)); DataError if it is damaged."""
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="bytes")
        data = np.asarray(entry[b"data"], dtype=np.uint8)
        labels = np.asarray(entry.get(b"labels", entry.get(b"fine_labels")), dtype=np.int64)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
            raise ValueError(f"data {data.shape}, {len(labels)} labels")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(CLASSES)):
            raise ValueError("labels outside 0..9")
    except Exception as err:  # a truncated pickle raises any of several types
        raise DataError(
            f"{path} is truncated or corrupt ({type(err).__name__}: {err}). "
            f"Delete {path.parent} and load again to re-download, or on an offline "
            f"machine re-run: {OFFLINE_HINT}"
        ) from err
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(
    root: str | Path = "data", train: bool = True, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as ``(images, labels)``: uint8 ``(N, 3, 32, 32)`` and int64 ``(N,)``.

    Reads ``root/cifar-10-batches-py/``. When files are missing and ``download`` is true,
    downloads the original archive; when that fails (offline) or ``download`` is false,
    raises :class:`DataError` naming the folder and the ways to get the data.
    """
    folder = Path(root) / FOLDER
    names = TRAIN_FILES if train else TEST_FILES
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        if not download:
            raise DataError(_missing_message(folder, missing, "download=False"))
        try:
            download_cifar10(root)
        except Exception as err:  # no network, a proxy, a refused host...
            raise DataError(
                _missing_message(folder, missing, f"download failed: {err}")
            ) from err
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise DataError(_missing_message(folder, missing, "not in the downloaded archive"))
    parts = [_read_batch(folder / n) for n in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return torch.from_numpy(images), torch.from_numpy(labels)


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of uint8 images, on the 0..1 scale (float32, shape (3,))."""
    x = images.to(torch.float64).div_(255).transpose(0, 1).reshape(3, -1)
    return x.mean(1).float(), x.std(1).float()


def train_val_split(
    images: torch.Tensor, labels: torch.Tensor, val_size: int, seed: int = 0
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Carve a class-balanced validation split from the training set, the same every time.

    Tuning looks at this split, never at the test set. Returns ``(train, val)`` pairs.
    """
    if val_size <= 0:
        return (images, labels), (images[:0], labels[:0])
    if val_size >= len(labels):
        raise ValueError(f"val_size {val_size} leaves no training images of {len(labels)}")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=g)
    # take images class by class in the shuffled order, so every class gets its share
    num_classes = int(labels.max()) + 1
    per_class = val_size // num_classes
    val_idx = []
    for c in range(num_classes):
        members = order[labels[order] == c]
        val_idx.append(members[:per_class])
    val_idx = torch.cat(val_idx)
    if len(val_idx) < val_size:  # remainder when val_size is not a multiple of the classes
        taken = torch.zeros(len(labels), dtype=torch.bool)
        taken[val_idx] = True
        rest = order[~taken[order]]
        val_idx = torch.cat([val_idx, rest[: val_size - len(val_idx)]])
    is_val = torch.zeros(len(labels), dtype=torch.bool)
    is_val[val_idx] = True
    val_idx = order[is_val[order]]  # keep a shuffled order, not sorted by class
    train_idx = order[~is_val[order]]
    return (images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx])


@dataclass
class CIFAR10Splits:
    """Train / validation / test splits as uint8 tensors, plus the training-set statistics."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def __repr__(self) -> str:
        return (
            f"CIFAR10Splits(train={len(self.train_labels)}, val={len(self.val_labels)}, "
            f"test={len(self.test_labels)})"
        )


def load_splits(
    profile, root: str | Path = "data", download: bool = True, seed: int = 0
) -> CIFAR10Splits:
    """The splits a profile asks for: validation carved first, then the subsets taken.

    Subsets are the first images of the (already shuffled) files, so every profile sees
    the same test images in the same order.
    """
    images, labels = load_cifar10(root, train=True, download=download)
    (tr_x, tr_y), (va_x, va_y) = train_val_split(images, labels, profile.val_size, seed)
    if profile.train_size is not None:
        tr_x, tr_y = tr_x[: profile.train_size], tr_y[: profile.train_size]
    te_x, te_y = load_cifar10(root, train=False, download=download)
    if profile.test_size is not None:
        te_x, te_y = te_x[: profile.test_size], te_y[: profile.test_size]
    mean, std = channel_stats(tr_x)
    return CIFAR10Splits(tr_x, tr_y, va_x, va_y, te_x, te_y, mean, std)


class DeviceLoader:
    """Batches from a split that lives on the device, as uint8, the whole time.

    Each epoch draws its order from ``seed`` and the epoch number alone (call
    :meth:`set_epoch`), so a resumed run sees exactly the batches it would have seen.
    Yields ``(float images in 0..1, labels)``; ``augment(x, generator)`` runs on the
    whole batch on the device. Normalization belongs to the model (its first layer).
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        device: str | torch.device = "cpu",
        shuffle: bool = True,
        drop_last: bool = True,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        seed: int = 0,
    ):
        if images.dtype != torch.uint8:
            raise TypeError(f"DeviceLoader keeps uint8 images, got {images.dtype}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last and len(labels) >= batch_size
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def generator(self) -> torch.Generator:
        """The random stream of the current epoch, on the loader's device."""
        g = torch.Generator(device=self.device)
        g.manual_seed(self.seed * 1_000_003 + self.epoch)
        return g

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = self.generator()
        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, generator=g, device=self.device)
        else:
            order = torch.arange(n, device=self.device)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            x = self.images[idx].float().div_(255)
            if self.augment is not None:
                x = self.augment(x, g)
            yield x, self.labels[idx]
