"""ImageNet-style photographs for the paper's 227x227 network: folders of JPEGs on disk.

Two sources, both read with torchvision's own datasets:

- ``imagefolder:DIR``: an ILSVRC-2012-style folder, ``DIR/train/<class>/<image>`` and
  ``DIR/val/<class>/<image>`` (the layout torchvision's reference scripts read; ILSVRC's
  validation images must first be sorted into class folders);
- ``imagenette:DIR``: Imagenette, ten easy ImageNet classes (fast.ai), through
  ``torchvision.datasets.Imagenette`` (downloaded into ``DIR`` where there is internet).

The paper's preprocessing (section 2): rescale each image so its shorter side is 256,
cut out the central 256x256 patch, subtract the mean. Training (section 4.1) sees random
227x227 crops of that patch and their horizontal mirrors, with PCA lighting noise; testing
averages the ten views (four corners, centre, and their mirrors). Here:

- decoding (Pillow; torchvision's own decoders are deprecated from 0.29 in favour of
  TorchCodec), resizing, cropping and mirroring run per image in DataLoader workers
  (``torchvision.transforms.v2``), which hand over uint8 tensors;
- the PCA lighting runs on the training device on whole batches (``augment.pca_lighting``,
  as the CIFAR-10 path does), and the ten views are cut there too (``augment.ten_crop``);
- the mean is the **per-channel** mean of the training images (and, with the default
  ``input_scale="standardized"``, the per-channel std), held by the model's ``Normalize``
  layer; the paper subtracted a mean *image*. Both are measured on an evenly spaced sample
  of the training set (``stats_images``), with the RGB covariance whose eigenvectors the
  lighting noise follows (:func:`image_statistics`).

Every problem a user can fix (a missing or malformed folder, a class folder without
images, an image that cannot be decoded) raises :class:`FolderDataError` naming the path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import v2

from ..config import DataConfig
from ..errors import UserError
from .stats import pixel_moments, statistics_from_moments

SOURCES = ("imagefolder", "imagenette")
IMAGE_EXTENSIONS = IMG_EXTENSIONS  # what ImageFolder accepts
LAYOUT = "DIR/train/<class>/<image>.JPEG and DIR/val/<class>/<image>.JPEG"


class FolderDataError(UserError, RuntimeError):
    """A data folder or image the user must fix; the message names the path."""


class CleanErrors:
    """A DataLoader whose workers' image errors arrive as one sentence.

    A :class:`FolderDataError` raised in a worker reaches this process re-made from text
    that holds the worker's whole traceback. Rather than parse that text, the failed
    batch's images are loaded again here, in order (its indices are known from the
    loader's batch sampler, which is deterministic), so the bad image raises its own
    one-sentence error in this process.
    """

    def __init__(self, loader: DataLoader):
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        order = list(self.loader.batch_sampler)
        batches = iter(self.loader)
        for indices in order:
            try:
                batch = next(batches)
            except FolderDataError:
                for index in indices:
                    self.loader.dataset[index]
                raise
            yield batch


def parse_data_spec(text: str) -> dict:
    """``--data`` as config overrides: ``imagefolder:DIR`` or ``imagenette:DIR`` (and
    ``cifar10:DIR``) -> ``{"data.source": ..., "data.root": DIR}``; ``cifar10`` or a plain
    folder (the one holding ``cifar-10-batches-py/``) -> CIFAR-10 from there."""
    source, sep, path = text.partition(":")
    if source in (*SOURCES, "cifar10") and sep:
        if not path:
            raise FolderDataError(f"--data {text}: give the folder after the colon, "
                                  f"e.g. {source}:data/{source}")
        return {"data.source": source, "data.root": path}
    if text == "cifar10":
        return {"data.source": "cifar10"}
    return {"data.source": "cifar10", "data.root": text}


# ---------------------------------------------------------------------------- images

def load_image(path: str | os.PathLike, draft: int | None = None):
    """A file's pixels as an RGB PIL image, decoded in full now, or
    :class:`FolderDataError` naming the file.

    ``draft``: let libjpeg decode a large JPEG straight to a smaller size (a power-of-two
    fraction, never below ``draft`` pixels on either side), so that a full-size photograph
    costs less to decode before it is resized to ``draft`` anyway
    (``benchmarks/jpeg_decode.py`` measures what it saves).
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            if draft:
                image.draft("RGB", (draft, draft))
            return image.convert("RGB")  # decodes every pixel here, inside the try
    except (OSError, ValueError, SyntaxError) as err:
        raise FolderDataError(
            f"{path} cannot be read as an image ({type(err).__name__}: {err}); "
            f"replace or remove the file") from None


def image_loader(data: DataConfig):
    """The loader the datasets use: :func:`load_image`, with ``draft`` when asked."""
    from functools import partial

    return partial(load_image, draft=data.image_size) if data.draft_decode else load_image


def paper_resize(image_size: int = 256) -> v2.Compose:
    """Section 2: shorter side to ``image_size``, then the central square, as a uint8
    ``(3, image_size, image_size)`` tensor (from a PIL image or a tensor)."""
    return v2.Compose([v2.Resize(image_size, antialias=True), v2.CenterCrop(image_size),
                       v2.ToImage()])


def train_transform(data: DataConfig) -> v2.Compose:
    """Per image, in a worker: the paper's 256 square, a random 227 crop, a random mirror.

    The PCA lighting comes later, on the device, on whole batches (``TrainAugment``).
    """
    steps = [paper_resize(data.image_size), v2.RandomCrop(data.crop_size)]
    if data.flip:
        steps.append(v2.RandomHorizontalFlip())
    return v2.Compose(steps)  # a uint8 tensor: paper_resize ends with ToImage


def test_transform(data: DataConfig) -> v2.Compose:
    """The 256 square alone: the centre view and the ten views are cut on the device."""
    return paper_resize(data.image_size)


# ---------------------------------------------------------------------------- folders

def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def check_split_folder(folder: Path, what: str) -> list[str]:
    """The class names in ``folder`` (sorted), after checking that it is one: it exists,
    holds class folders, and every class folder holds at least one image."""
    if not folder.exists():
        raise FolderDataError(f"{folder} does not exist; {what}")
    if not folder.is_dir():
        raise FolderDataError(f"{folder} is a file, not a folder; {what}")
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    classes = [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
    if not classes:
        loose = [e.name for e in entries if e.is_file() and _is_image(e.name)]
        found = (f"it holds {len(loose)} images directly, but no class folders"
                 if loose else "it holds no class folders")
        raise FolderDataError(f"{folder} is not a folder of classes: {found}; {what}")
    for name in classes:
        has_image = False
        for _root, _dirs, files in os.walk(folder / name, followlinks=True):
            if any(_is_image(f) for f in files):
                has_image = True
                break
        if not has_image:
            raise FolderDataError(
                f"{folder / name} holds no images ({', '.join(IMAGE_EXTENSIONS)}); "
                f"every class folder needs at least one, or remove it")
    return classes


def imagenette_folder(root: Path, size: str = "320px") -> Path:
    """Where ``torchvision.datasets.Imagenette`` keeps (or will put) a download."""
    return Path(root) / {"full": "imagenette2", "320px": "imagenette2-320",
                         "160px": "imagenette2-160"}[size]


def split_folders(data: DataConfig, download: bool = False) -> dict[str, Path]:
    """``{"train": folder, "val": folder}`` after checking both; downloads Imagenette first
    when asked and it is not there."""
    root, source = Path(data.root), data.source
    if root.is_file():
        raise FolderDataError(f"{root} is a file, not a folder; --data {source}:DIR takes "
                              f"the folder that holds train/ and val/")
    if source == "imagefolder":
        base, what = root, f"expected an ImageNet-style folder: {LAYOUT}"
    elif source == "imagenette":
        base = imagenette_folder(root, data.imagenette_size)
        if download and not (base / "train").is_dir():
            from torchvision.datasets import Imagenette

            Imagenette(root, split="train", size=data.imagenette_size, download=True)
        what = (f"expected Imagenette ({data.imagenette_size}) under {root}: let torchvision "
                f"download it (run without --no-download) or unpack "
                f"{base.name}.tgz from github.com/fastai/imagenette there")
    else:
        raise FolderDataError(f"unknown data source {source!r}: one of {', '.join(SOURCES)}")
    if not root.is_dir():
        raise FolderDataError(f"{root} does not exist or is not a folder; {what}")
    folders = {split: base / split for split in ("train", "val")}
    train_classes = check_split_folder(folders["train"], what)
    val_classes = check_split_folder(folders["val"], what)
    if train_classes != val_classes:
        missing = sorted(set(train_classes) - set(val_classes))
        extra = sorted(set(val_classes) - set(train_classes))
        raise FolderDataError(
            f"{folders['val']} and {folders['train']} hold different classes "
            f"(missing from val: {missing[:5]}, not in train: {extra[:5]}); both need the "
            f"same class folders")
    return folders


def even_subset(dataset: Dataset, size: int | None) -> Dataset:
    """``size`` images spread evenly over the dataset (ImageFolder sorts by class, so every
    class keeps its share), or the dataset itself."""
    n = len(dataset)
    if size is None or size >= n:
        return dataset
    if size < 1:
        raise FolderDataError(f"a subset needs at least one image, got size {size}")
    return Subset(dataset, [i * n // size for i in range(size)])


@dataclass
class FolderSplits:
    """The training and validation images of a folder run, with their class names."""

    train: Dataset
    val: Dataset
    classes: list[str]
    folders: dict[str, Path]

    def __repr__(self) -> str:
        return (f"FolderSplits(train={len(self.train)}, val={len(self.val)}, "
                f"classes={len(self.classes)})")


def load_folder_splits(data: DataConfig, download: bool = False) -> FolderSplits:
    """The two splits as torchvision datasets (``ImageFolder``, or ``Imagenette``), decoded
    with :func:`load_image`, training images through :func:`train_transform` and validation
    images through :func:`test_transform`."""
    from torchvision.datasets import ImageFolder, Imagenette

    folders = split_folders(data, download=download)
    if data.source == "imagenette":
        def make(split, transform):
            return Imagenette(data.root, split=split, size=data.imagenette_size,
                              transform=transform, loader=image_loader(data))
    else:
        def make(split, transform):
            return ImageFolder(folders[split], transform=transform, loader=image_loader(data))
    train = make("train", train_transform(data))
    val = make("val", test_transform(data))
    classes = [c if isinstance(c, str) else c[0] for c in train.classes]
    return FolderSplits(even_subset(train, data.train_size), even_subset(val, data.val_size),
                        classes, folders)


def with_transform(dataset: Dataset, transform) -> Dataset:
    """The same images through another transform (a shallow copy; Subsets followed)."""
    import copy

    if isinstance(dataset, Subset):
        return Subset(with_transform(dataset.dataset, transform), dataset.indices)
    clone = copy.copy(dataset)
    clone.transform = transform
    if hasattr(clone, "transforms") and clone.transforms is not None:
        from torchvision.datasets.vision import StandardTransform

        clone.transforms = StandardTransform(transform, getattr(clone, "target_transform", None))
    return clone


# ---------------------------------------------------------------------------- statistics

def image_statistics(dataset: Dataset, data: DataConfig, rank: int = 0, world_size: int = 1,
                     reduce=None) -> dict:
    """The statistics of ``data.stats_images`` training images spread evenly over
    ``dataset``, each cut to the paper's 256 square (``stats.statistics_from_moments``,
    as for CIFAR-10). Under data parallelism each process sums its share of the images
    and ``reduce`` (an all-reduce of a tensor, in place) adds the shares up."""
    base = with_transform(dataset, paper_resize(data.image_size))
    n = len(base)
    k = max(1, min(n, data.stats_images))
    indices = [i * n // k for i in range(k)][rank::world_size]
    moments = torch.zeros(13, dtype=torch.float64)
    if indices:
        loader = DataLoader(Subset(base, indices), batch_size=16, num_workers=data.workers)
        for x, _ in CleanErrors(loader):
            moments += pixel_moments(x)
    if reduce is not None:
        reduce(moments)
    return {"images": k, **statistics_from_moments(moments)}
