"""The data sources of a run, and :func:`build_data`, which makes one run's batches.

- ``cifar10``: CIFAR-10, read (and checked) into uint8 tensors; the training set lives
  on the device and every batch is cut and augmented there (``loader.DeviceLoader``).
- ``folders``: photographs in folders (an ImageNet-style tree, Imagenette), decoded and
  cut by DataLoader workers, the lighting noise added on the device.
- ``stats``: the one statistics function both use (mean, std, the RGB PCA).

Whatever the source, a run sees a :class:`TrainingData`: a ``train`` batch source
(``__iter__``, ``__len__``, ``set_epoch``), this process's share of the validation (and
test) images as batches, the statistics, the class names.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..augment import TrainAugment
from ..config import RunConfig
from ..distributed import World, all_reduce_sum
from .cifar10 import (
    CLASSES,
    FOLDER,
    KNOWN_COPIES,
    TEST_FILES,
    TRAIN_FILES,
    URL,
    VERIFY_ENV,
    CIFAR10Splits,
    DataError,
    download_cifar10,
    load_cifar10,
    load_splits,
    train_val_split,
    verify_cifar10,
)
from .loader import DeviceLoader, tensor_batches
from .stats import channel_stats, rgb_pca

__all__ = [
    "CLASSES", "FOLDER", "KNOWN_COPIES", "TEST_FILES", "TRAIN_FILES", "URL", "VERIFY_ENV",
    "CIFAR10Splits", "DataError", "DeviceLoader", "TrainingData", "build_data",
    "channel_stats", "cifar10_data", "download_cifar10", "folder_data", "load_cifar10",
    "load_splits", "rgb_pca", "tensor_batches", "train_val_split", "verify_cifar10",
]
EVAL_BATCH = 500


@dataclass
class TrainingData:
    """One run's batches, as this process sees them.

    ``val`` and ``test`` are evaluation batches of uint8 images (this process's share);
    a folder run's ``test`` is its validation split, as the paper reports ILSVRC-2012.
    ``crop_size`` is the view the model takes (None: the whole image). ``train_eval``
    (CIFAR-10 only) is the training images as they are, for the train - test gap;
    ``splits`` the CIFAR-10 tensors themselves.
    """

    config: RunConfig  # with model.num_classes set from the data
    train: object
    val: object
    test: object
    stats: dict
    classes: list[str]
    sizes: dict
    crop_size: int | None = None
    train_eval: object = None
    splits: CIFAR10Splits | None = None
    description: str = ""


def cifar10_data(splits: CIFAR10Splits, config: RunConfig, world: World) -> TrainingData:
    """CIFAR-10 splits as a run's batches: the training set on ``world.device``, its
    batches shared out among the processes."""
    # the splits carry the mean and std already: only the PCA is taken here
    eigvals, eigvecs = rgb_pca(splits.train_images)
    stats = {"images": len(splits.train_labels), "mean": splits.mean, "std": splits.std,
             "eigvals": eigvals, "eigvecs": eigvecs}
    d = config.data
    augment = TrainAugment(size=32, padding=d.crop_padding, flip=d.flip, lighting=d.lighting,
                           eigvals=stats["eigvals"], eigvecs=stats["eigvecs"])
    train = DeviceLoader(splits.train_images, splits.train_labels, config.recipe.batch_size,
                         world.device, augment=augment, seed=config.seed, rank=world.rank,
                         world_size=world.size)
    share = {"rank": world.rank, "world_size": world.size}
    return TrainingData(
        config, train,
        val=tensor_batches(splits.val_images, splits.val_labels, EVAL_BATCH, **share),
        test=tensor_batches(splits.test_images, splits.test_labels, EVAL_BATCH, **share),
        stats=stats, classes=list(CLASSES),
        sizes={"train": len(splits.train_labels), "val": len(splits.val_labels),
               "test": len(splits.test_labels)},
        train_eval=tensor_batches(splits.train_images, splits.train_labels, EVAL_BATCH,
                                  **share),
        splits=splits,
        description=f"CIFAR-10 ({splits.copy}): {len(splits.train_labels)} training, "
                    f"{len(splits.val_labels)} validation, {len(splits.test_labels)} test images")


def folder_data(config: RunConfig, world: World, download: bool = True) -> TrainingData:
    """Photographs in folders as a run's batches (``folders``)."""
    from .folders import image_statistics, load_folder_splits
    from .loader import FolderLoader, eval_loader

    d = config.data
    splits = load_folder_splits(d, download=download)
    config = config.replace(**{"model.num_classes": len(splits.classes)})
    stats = image_statistics(splits.train, d, world.rank, world.size, all_reduce_sum)
    augment = TrainAugment(size=d.crop_size, padding=0, flip=False, lighting=d.lighting,
                           eigvals=stats["eigvals"], eigvecs=stats["eigvecs"])
    train = FolderLoader(splits.train, config.recipe.batch_size, world, augment,
                         seed=config.seed, workers=d.workers)
    val = eval_loader(splits.val, config.recipe.batch_size, d.workers, world)
    return TrainingData(
        config, train, val=val, test=val, stats=stats, classes=splits.classes,
        sizes={"train": len(splits.train), "val": len(splits.val), "test": len(splits.val),
               "stats_images": stats["images"]},
        crop_size=d.crop_size,
        description=f"{d.source}: {len(splits.train)} training and {len(splits.val)} "
                    f"validation images of {len(splits.classes)} classes")


def build_data(config: RunConfig, world: World | None = None, *, download: bool = True
               ) -> TrainingData:
    """The batches of the run ``config`` describes, for this process of ``world``."""
    world = world or World(device=torch.device("cpu"))
    if config.data.source == "cifar10":
        splits = load_splits(config.data, root=config.data.root, download=download)
        return cifar10_data(splits, config, world)
    return folder_data(config, world, download=download)

