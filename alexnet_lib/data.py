"""CIFAR-10: download or read a local copy, split it, and serve batches from the device.

The standard ``cifar-10-batches-py/`` files are read straight into one uint8 array per
split (no per-image PIL). The whole training set is 150 MB as uint8, so it lives on the
training device and every batch is cut, augmented and normalized there.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets.utils import calculate_md5

from .errors import UserError
from .rng import stream_seed

CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
# Set to 0 to read batch files whose md5 matches no known copy (the tests' tiny fake
# CIFAR-10 does); the loader then reports the copy as "unverified".
VERIFY_ENV = "ALEXNET_CIFAR10_VERIFY"


@dataclass(frozen=True)
class KnownCopy:
    """A copy of CIFAR-10 the loader recognizes by the md5 of each batch file."""

    name: str
    description: str
    md5: dict[str, str]


KNOWN_COPIES = (
    # The published archive: the values torchvision's CIFAR10 checks.
    KnownCopy("original", "the original CIFAR-10 archive", {
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
    }),
    # What the build machines' ../shared/cifar10/prepare.py writes (byte-identical run to
    # run, with numpy 2 and Pillow 13): the real images after a public mirror's JPEG
    # re-encoding, so accuracies run about a point lower than on the original.
    KnownCopy("offline-jpeg", "offline JPEG re-encoding, about a point harder", {
        "data_batch_1": "36aff38e7a9359ef7c56f1840e2a47b1",
        "data_batch_2": "4a6aac613c5c03f23cd90268e912f9ad",
        "data_batch_3": "0787b2041f16fc52272bd85d90d8fd2c",
        "data_batch_4": "69fea5aaa404011054324476563e03e9",
        "data_batch_5": "18b94ddeaeb5532c9b7c9e51ee4cb0e0",
        "test_batch": "41636d4abc1260192dbc6503980f506f",
    }),
)
UNVERIFIED = "unverified"


class DataError(UserError, RuntimeError):
    """CIFAR-10 is missing, damaged or not a known copy; the message says what to do."""


def offline_copy_script(root: str | Path) -> Path | None:
    """The build machines' ``prepare.py``, when this checkout sits beside one.

    On the project's build machines the checkout and ``shared/cifar10/`` are siblings and
    ``root`` (``data`` or, from ``book/``, ``../data``) is a folder of the checkout, so the
    script is ``<root>/../../shared/cifar10/prepare.py``. A reader's machine has no such
    file, so the hint about it shows only where it applies. Relative to the working
    folder, as the user typed ``root``.
    """
    script = Path(os.path.normpath(Path(root).parent / ".." / "shared" / "cifar10" / "prepare.py"))
    return script if script.is_file() else None


def _remedies(root: str | Path) -> str:
    """How to get CIFAR-10 into ``root``: download, unpack an archive, or (build machines
    only) write the offline copy."""
    folder = Path(root) / FOLDER
    lines = [
        f"  - online: load_cifar10({str(root)!r}, download=True) or "
        f"`python -m alexnet_lib train --data {root}` downloads {URL} (md5-checked);",
        f"  - offline: unpack a cifar-10-python.tar.gz you brought "
        f"(`tar -xzf cifar-10-python.tar.gz -C {root}`) so that {folder} holds the batch files",
    ]
    script = offline_copy_script(root)
    if script is not None:
        lines[-1] += ";"
        lines.append(f"  - this build machine has the project's offline copy: "
                     f"python {script} --out {root}")
    return "\n".join(lines)


def _missing_message(root: str | Path, missing: list[str], reason: str) -> str:
    return (
        f"CIFAR-10 not found: {Path(root) / FOLDER} lacks {', '.join(missing)} ({reason}).\n"
        f"Get it in one of these ways:\n{_remedies(root)}"
    )


def download_cifar10(root: str | Path = "data") -> Path:
    """Download and unpack the original archive into ``root`` (md5-checked by torchvision)."""
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root)
    download_and_extract_archive(URL, download_root=str(root), md5=ARCHIVE_MD5)
    return root / FOLDER


def verify_cifar10(root: str | Path = "data", train: bool = True) -> str:
    """The name of the known copy (``KNOWN_COPIES``) that a split's batch files are.

    Checks every file's md5 before anything unpickles it (a pickle can run code), and
    raises :class:`DataError` naming the first file that matches no known copy, or a
    folder that mixes two copies.
    """
    folder = Path(root) / FOLDER
    candidates = {copy.name for copy in KNOWN_COPIES}
    for name in TRAIN_FILES if train else TEST_FILES:
        digest = calculate_md5(folder / name)
        matches = {copy.name for copy in KNOWN_COPIES if copy.md5[name] == digest}
        if not matches:
            expected = "; ".join(f"{c.md5[name]} for {c.description}" for c in KNOWN_COPIES)
            raise DataError(
                f"{folder / name} is not a known copy of CIFAR-10 (md5 {digest}; expected "
                f"{expected}): it may be truncated, damaged or made elsewhere.\n"
                f"Delete {folder} and get CIFAR-10 again:\n{_remedies(root)}\n"
                f"  - or, if you trust these files (your own conversion), read them "
                f"unchecked with verify=False or {VERIFY_ENV}=0."
            )
        if not matches & candidates:
            raise DataError(
                f"{folder} mixes two copies of CIFAR-10 ({name} is from "
                f"{', '.join(sorted(matches))}, the files before it from "
                f"{', '.join(sorted(candidates))}). Delete {folder} and get one copy:\n"
                f"{_remedies(root)}"
            )
        candidates &= matches
    return min(candidates)


def _verify_default() -> bool:
    return os.environ.get(VERIFY_ENV, "1").strip() != "0"


def _read_batch(root: str | Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as (uint8 (n, 3, 32, 32), int64 (n,)); DataError if it is damaged."""
    path = Path(root) / FOLDER / name
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
            f"Delete {path.parent} and get CIFAR-10 again:\n{_remedies(root)}"
        ) from err
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(
    root: str | Path = "data", train: bool = True, download: bool = True,
    verify: bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as ``(images, labels)``: uint8 ``(N, 3, 32, 32)`` and int64 ``(N,)``.

    Reads ``root/cifar-10-batches-py/``. When files are missing and ``download`` is true,
    downloads the original archive; when that fails (offline) or ``download`` is false,
    raises :class:`DataError` naming the folder and the ways to get the data.
    ``verify`` (default: true unless ``ALEXNET_CIFAR10_VERIFY=0``) checks each batch
    file's md5 against the known copies before reading it; :func:`verify_cifar10` says
    which copy a folder holds, and :func:`load_splits` records it.
    """
    images, labels, _ = _load(root, train, download, verify)
    return images, labels


def _load(root, train, download, verify) -> tuple[torch.Tensor, torch.Tensor, str]:
    folder = Path(root) / FOLDER
    names = TRAIN_FILES if train else TEST_FILES
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        if not download:
            raise DataError(_missing_message(root, missing, "download=False"))
        try:
            download_cifar10(root)
        except Exception as err:  # no network, a proxy, a refused host...
            raise DataError(
                _missing_message(root, missing, f"download failed: {err}")
            ) from err
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise DataError(_missing_message(root, missing, "not in the downloaded archive"))
    verify = _verify_default() if verify is None else verify
    copy = verify_cifar10(root, train) if verify else UNVERIFIED
    parts = [_read_batch(root, n) for n in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return torch.from_numpy(images), torch.from_numpy(labels), copy


def channel_stats(images: torch.Tensor, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of images ``(N, 3, H, W)`` (float32, shape (3,)).

    uint8 images are taken on the 0..1 scale. Sums run in float64, ``chunk`` images at a
    time, so memory stays at one chunk (25 MB for 1024 CIFAR images), never a float copy
    of the whole training set.
    """
    total = torch.zeros(3, dtype=torch.float64)
    squares = torch.zeros(3, dtype=torch.float64)
    for part in images.split(chunk):
        x = part.transpose(0, 1).reshape(3, -1).to(torch.float64)
        if images.dtype == torch.uint8:
            x /= 255
        total += x.sum(1)
        squares += x.square().sum(1)
    n = images.numel() // 3
    mean = total / n
    var = (squares - n * mean.square()) / (n - 1)  # unbiased, as torch.std
    return mean.float(), var.clamp_min(0).sqrt().float()


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
    copy: str = UNVERIFIED  # which known copy of CIFAR-10 was read (KNOWN_COPIES)

    def __repr__(self) -> str:
        return (
            f"CIFAR10Splits(train={len(self.train_labels)}, val={len(self.val_labels)}, "
            f"test={len(self.test_labels)}, copy={self.copy!r})"
        )


def load_splits(
    profile, root: str | Path = "data", download: bool = True, seed: int = 0,
    verify: bool | None = None,
) -> CIFAR10Splits:
    """The splits a profile asks for: validation carved first, then the subsets taken.

    Subsets are the first images of the (already shuffled) files, so every profile sees
    the same test images in the same order. ``verify`` as in :func:`load_cifar10`; the
    result's ``copy`` names the copy of CIFAR-10 that was read.
    """
    images, labels, copy = _load(root, True, download, verify)
    (tr_x, tr_y), (va_x, va_y) = train_val_split(images, labels, profile.val_size, seed)
    if profile.train_size is not None:
        tr_x, tr_y = tr_x[: profile.train_size], tr_y[: profile.train_size]
    te_x, te_y, test_copy = _load(root, False, download, verify)
    if test_copy != copy:
        copy = f"{copy} (test: {test_copy})"
    if profile.test_size is not None:
        te_x, te_y = te_x[: profile.test_size], te_y[: profile.test_size]
    mean, std = channel_stats(tr_x)
    return CIFAR10Splits(tr_x, tr_y, va_x, va_y, te_x, te_y, mean, std, copy)


class DeviceLoader:
    """Batches from a split that lives on the device, as uint8, the whole time.

    Each epoch draws its order from the run's ``seed`` and the epoch number alone (call
    :meth:`set_epoch`), on the run's ``"data"`` stream (:func:`rng.stream_seed`), so a
    resumed run sees exactly the batches it would have seen and dropout draws other numbers.
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
        """Batches per epoch."""
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def samples_per_epoch(self) -> int:
        """Images served per epoch: all of them, or the full batches only with drop_last
        (the last batch may be partial otherwise)."""
        return len(self) * self.batch_size if self.drop_last else len(self.labels)

    def generator(self) -> torch.Generator:
        """The random stream of the current epoch, on the loader's device."""
        g = torch.Generator(device=self.device)
        g.manual_seed(stream_seed(self.seed, "data", self.epoch))
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
