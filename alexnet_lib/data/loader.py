"""The batch sources of a run: what ``train.fit`` iterates, for every source.

- :class:`DeviceLoader`: CIFAR-10. The whole training set is 150 MB as uint8, so it lives
  on the training device and every batch is cut, augmented and normalized there, with no
  per-image Python; :func:`tensor_batches` cuts a split in memory into test batches.
- :class:`FolderLoader`: photographs, decoded and cut by DataLoader workers;
  :func:`eval_loader` their test batches.

Each shares an epoch out among the processes of a data-parallel run by rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Subset
from torch.utils.data.distributed import DistributedSampler

from ..rng import stream_seed
from .folders import CleanErrors


class DeviceLoader:
    """Batches from a split that lives on the device, as uint8, the whole time.

    Each epoch draws its order from the run's ``seed`` and the epoch number alone (call
    :meth:`set_epoch`), on the run's ``"data"`` stream (:func:`rng.stream_seed`), so a
    resumed run sees exactly the batches it would have seen and dropout draws other
    numbers. Yields ``(float images in 0..1, labels)``; ``augment(x, generator)`` runs on
    the whole batch on the device. Normalization belongs to the model (its first layer).

    Data-parallel: with ``world_size`` processes every process draws the same order, a
    global batch is ``batch_size x world_size`` images, and process ``rank`` takes its
    ``batch_size`` of each, augmented from a stream of its own (``stream_seed(seed,
    "data", epoch, rank)``). One process is the world of one: its numbers are those of
    the loader before it could shard.
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
        rank: int = 0,
        world_size: int = 1,
    ):
        if images.dtype != torch.uint8:
            raise TypeError(f"DeviceLoader keeps uint8 images, got {images.dtype}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        self.rank, self.world_size = rank, world_size
        self.global_batch = batch_size * world_size
        self.shuffle = shuffle
        self.drop_last = drop_last and len(labels) >= self.global_batch
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        """Batches per epoch."""
        n = len(self.labels)
        return n // self.global_batch if self.drop_last else -(-n // self.global_batch)

    @property
    def samples_per_epoch(self) -> int:
        """Images this process is served per epoch: its share of the full batches with
        drop_last, else of every image (the last batch may be partial)."""
        if self.drop_last:
            return len(self) * self.batch_size
        n = len(self.labels)
        return sum(len(range(self.rank, min(self.global_batch, n - start), self.world_size))
                   for start in range(0, n, self.global_batch))

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
        if self.world_size > 1:  # the order is shared; each process augments its own way
            g = torch.Generator(device=self.device)
            g.manual_seed(stream_seed(self.seed, "data", self.epoch, self.rank))
        for i in range(len(self)):
            idx = order[i * self.global_batch : (i + 1) * self.global_batch]
            idx = idx[self.rank :: self.world_size] if self.world_size > 1 else idx
            x = self.images[idx].float().div_(255)
            if self.augment is not None:
                x = self.augment(x, g)
            yield x, self.labels[idx]


def tensor_batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500, *,
                   rank: int = 0, world_size: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A split held in memory as evaluation batches: every ``world_size``-th image from
    ``rank`` (the processes share the split exactly), ``batch_size`` at a time."""
    if world_size > 1:
        images, labels = images[rank::world_size], labels[rank::world_size]
    return list(zip(images.split(batch_size), labels.split(batch_size), strict=True))


class FolderLoader:
    """The training batches of a folder run, as a batch source for ``train.fit``.

    DataLoader workers decode, cut and mirror each image (``train_transform``); a
    ``DistributedSampler`` gives each process its share of every epoch's order; the PCA
    lighting is added on the device to whole batches (``augment``). Yields ``(float
    images in 0..1, labels)`` on ``world.device``.
    """

    def __init__(self, dataset: Dataset, batch_size: int, world, augment, *, seed: int = 0,
                 workers: int = 4):
        self.dataset, self.batch_size, self.world = dataset, batch_size, world
        self.augment, self.seed, self.workers = augment, seed, workers
        self.sampler = DistributedSampler(dataset, num_replicas=world.size, rank=world.rank,
                                          shuffle=True, seed=stream_seed(seed, "data") % 2**31)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return -(-len(self.sampler) // self.batch_size)

    @property
    def samples_per_epoch(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        device = self.world.device
        seed = stream_seed(self.seed, "data", self.epoch, self.world.rank)
        loader = DataLoader(self.dataset, batch_size=self.batch_size, sampler=self.sampler,
                            num_workers=self.workers, pin_memory=device.type == "cuda",
                            generator=torch.Generator().manual_seed(seed))
        generator = torch.Generator(device).manual_seed(seed ^ 1)  # the lighting noise
        for x, y in CleanErrors(loader):
            x = x.to(device, non_blocking=True).float().div_(255)
            yield self.augment(x, generator), y.to(device, non_blocking=True)


def eval_loader(dataset: Dataset, batch_size: int, workers: int, world) -> CleanErrors:
    """Evaluation batches of the 256 squares: every ``world.size``-th image from this
    process's rank, so the processes share the split exactly."""
    if world.size > 1:
        dataset = Subset(dataset, range(world.rank, len(dataset), world.size))
    return CleanErrors(DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                                  pin_memory=world.device.type == "cuda"))
