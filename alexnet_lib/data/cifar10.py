"""CIFAR-10: download or read a local copy, check it, and split it.

torchvision's ``CIFAR10`` downloads the archive and knows the original files' md5 sums;
this module adds the other copy it accepts (the offline build machines' JPEG re-encoding),
checks every batch file against the known copies *before* reading it, and reads the
batches with an unpickler that builds only what CIFAR-10's files hold (a dict, lists,
strings, numbers and one uint8 array), so no file can run code, checked or not
(torchvision's reader uses plain ``pickle.load``). The splits are uint8 tensors: the
whole training set is 150 MB, and ``loader.DeviceLoader`` keeps it on the device.
"""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import calculate_md5

from ..errors import UserError
from .stats import channel_stats

CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
URL = CIFAR10.url
FOLDER = CIFAR10.base_folder
TRAIN_FILES = tuple(name for name, _ in CIFAR10.train_list)
TEST_FILES = tuple(name for name, _ in CIFAR10.test_list)
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
    KnownCopy("original", "the original CIFAR-10 archive",
              dict(CIFAR10.train_list + CIFAR10.test_list)),
    # What this project's offline build machines write (byte-identical run to run, with
    # numpy 2 and Pillow 13): the real images after a public mirror's JPEG re-encoding,
    # so accuracies run about a point lower than on the original.
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


def _remedies(root: str | Path) -> str:
    """How a user gets CIFAR-10 into ``root``: download it, or unpack an archive."""
    folder = Path(root) / FOLDER
    lines = [
        f"  - online: load_cifar10({str(root)!r}, download=True) or "
        f"`python -m alexnet_lib train --data {root}` downloads {URL} (md5-checked);",
        f"  - offline: unpack a cifar-10-python.tar.gz you brought "
        f"(`tar -xzf cifar-10-python.tar.gz -C {root}`) so that {folder} holds the batch files",
    ]
    return "\n".join(lines)


def _missing_message(root: str | Path, missing: list[str], reason: str) -> str:
    return (
        f"CIFAR-10 not found: {Path(root) / FOLDER} lacks {', '.join(missing)} ({reason}).\n"
        f"Get it in one of these ways:\n{_remedies(root)}"
    )


def download_cifar10(root: str | Path = "data") -> Path:
    """Download and unpack the original archive into ``root`` (torchvision's CIFAR10 does
    it, md5-checked)."""
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root)
    download_and_extract_archive(CIFAR10.url, download_root=str(root),
                                 filename=CIFAR10.filename, md5=CIFAR10.tgz_md5)
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
                f"  - or, if these files are your own conversion, read them unchecked with "
                f"verify=False or {VERIFY_ENV}=0: that gives up knowing which images you "
                f"train on (no copy is recorded); the files are still read without running "
                f"any code they carry."
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


class BatchUnpickler(pickle.Unpickler):
    """Python's "Restricting Globals" recipe: CIFAR-10's batches are a dict of lists,
    strings and one numpy uint8 array, and those are the only things built. Any other
    global (``os.system``, a class of some module) is refused before it is called, so
    a file carrying a payload fails as corrupt and runs nothing."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        # a protocol-2 pickle written by Python 3 (a conversion of one's own, the tests'
        # fake batches) stores the array's bytes as text to encode back, and protocol 5
        # (pickle.HIGHEST_PROTOCOL) as a buffer: data, not code
        ("_codecs", "encode"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to build {module}.{name}: a CIFAR-10 batch "
                                     f"holds only lists, strings and a uint8 array")


def _read_batch(root: str | Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as (uint8 (n, 3, 32, 32), int64 (n,)); DataError if it is damaged."""
    path = Path(root) / FOLDER / name
    try:
        with open(path, "rb") as f:
            entry = BatchUnpickler(io.BufferedReader(f), encoding="bytes").load()
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
    if Path(root).is_file():
        raise DataError(f"{root} is a file: CIFAR-10's root is the folder that holds (or will "
                        f"hold) {FOLDER}/, such as data")
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
