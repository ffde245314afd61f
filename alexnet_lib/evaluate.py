"""``python -m alexnet_lib evaluate``: test any run's checkpoint on the data it needs.

A checkpoint holds its run's whole config, so it knows its source (CIFAR-10 or a folder
of photographs), its input size and its classes. The images it is tested on are the
CIFAR-10 test set, or a folder run's validation split (as the paper reports ILSVRC-2012);
``data`` points elsewhere (the same kind of images), and is checked against the model
first: the class count and the input size, each one sentence when they do not fit.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import CheckpointError, load_checkpoint
from .config import RunConfig
from .distributed import World
from .errors import ConfigError
from .metrics import count_hits, rates
from .precision import default_device


def checkpoint_config(state: dict, path) -> RunConfig:
    """The run config a checkpoint stores; checkpoints written before the config existed
    hold only the model's, read as a CIFAR-10 run."""
    stored = state.get("config") or {"model": state["model_config"]}
    try:
        return RunConfig.from_dict({**stored, "model": state["model_config"]})
    except ConfigError as err:
        raise CheckpointError(f"{path} holds a run config this library cannot read "
                              f"({err})") from None


def _data_for(config: RunConfig, data: str | None) -> RunConfig:
    from .data.folders import parse_data_spec

    if data is None:
        return config
    changes = parse_data_spec(data)
    arch = config.model.arch
    if changes["data.source"] == "cifar10" and arch == "AlexNet":
        raise ConfigError(f"--data {data}: this checkpoint is the paper's AlexNet, which takes "
                          f"227x227 photographs, not CIFAR-10's 32x32 images; test it on "
                          f"--data imagefolder:DIR or imagenette:DIR")
    # a folder run keeps its crop size on other folders; a CIFAR-10 run has none to keep
    if changes["data.source"] != "cifar10" and config.data.source == "cifar10":
        raise ConfigError(f"--data {data}: this checkpoint is {arch} trained on CIFAR-10's "
                          f"32x32 images: test it on CIFAR-10 (--data cifar10 or the folder "
                          f"holding cifar-10-batches-py/)")
    return config.replace(**changes)


def evaluate_checkpoint(path: str | Path, data: str | None = None, device=None,
                        ten_crop: bool = False, download: bool = True) -> dict:
    """Top-1 and top-5 of the checkpoint at ``path``: ``{"top1", "top5", "images",
    "classes", "source", "split"}``."""
    device = torch.device(device) if device is not None else default_device()
    model, state = load_checkpoint(path, map_location=device)
    config = _data_for(checkpoint_config(state, path), data)
    world = World(device=device)
    classes = config.model.num_classes
    if config.data.source == "cifar10":
        from .data import CLASSES, load_cifar10, tensor_batches

        if classes != len(CLASSES):
            raise ConfigError(f"{path} is a model of {classes} classes; CIFAR-10 has "
                              f"{len(CLASSES)}: test it on the data it was trained on")
        images, labels = load_cifar10(config.data.root, train=False, download=download)
        batches = tensor_batches(images, labels, 50 if ten_crop else 500)
        crop, split = None, "test"
    else:
        from .data.folders import load_folder_splits
        from .data.loader import eval_loader

        splits = load_folder_splits(config.data, download=download)
        if len(splits.classes) != classes:
            raise ConfigError(f"{path} is a model of {classes} classes; {config.data.root} "
                              f"holds {len(splits.classes)}: test it on the data it was "
                              f"trained on")
        batches = eval_loader(splits.val, 50 if ten_crop else 128, config.data.workers, world)
        crop, split = config.data.crop_size, "validation"
    result = rates(count_hits(model, batches, crop_size=crop, ten_crop=ten_crop,
                              device=device))
    return {**result, "classes": classes, "source": config.data.source, "split": split}
