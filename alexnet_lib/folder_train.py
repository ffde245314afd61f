"""The paper's network on folders of photographs, on one process or many (``torchrun``).

``train.fit`` trains in-memory CIFAR-10 tensors; this loop reads JPEGs through
DataLoader workers (``folder_data``) and follows the paper's recipe (section 5): batch
128, SGD with momentum 0.9 and weight decay 0.0005, learning rate 0.01 divided by 10
whenever the validation error stops improving (``ReduceLROnPlateau``), about 90 epochs.
It reuses ``train.train_step`` and ``train.make_optimizer``, ``checkpoint`` and
``metrics``, and runs data-parallel under ``torchrun`` (``distributed``): every process
trains on its share of each epoch, rank 0 alone writes the checkpoint and the record,
each atomically (a temporary file, then a rename).

A run is deterministic for a given number of processes: every epoch's shuffling, crops,
mirrors, lighting and dropout draw from the run's seed, the epoch and the rank alone
(``rng``), so a run resumed from its checkpoint ends where an uninterrupted one ends.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler

from . import distributed as dist_
from .augment import TrainAugment, ten_crop
from .checkpoint import read_checkpoint, save_checkpoint
from .config import ModelConfig, replace_dotted
from .errors import ConfigError
from .folder_data import FolderData, image_statistics, load_folder_splits
from .metrics import accuracy
from .models import build_model, count_parameters
from .precision import Precision, channels_last_helps, choose_precision
from .record import environment, write_json_atomically
from .rng import stream_seed
from .train import NonFiniteLossError, device_name, make_optimizer, train_step

LOG_EVERY = 20
HISTORY_KEYS = ("epoch", "train_loss", "train_top1", "val_top1", "val_top5", "lr", "seconds")


@dataclass(frozen=True)
class PaperRecipe:
    """Section 5's recipe. ``batch_size`` is per process, as with torchvision's reference
    scripts: the global batch is ``batch_size`` x the number of processes, and ``lr`` is
    the rate for ``reference_batch`` images (scaled linearly above it)."""

    epochs: int = 90
    batch_size: int = 128
    lr: float = 0.01
    reference_batch: int = 128
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    label_smoothing: float = 0.0
    # "divide the learning rate by 10 when the validation error rate stopped improving":
    # the paper gives no patience; 5 epochs is this library's choice
    plateau_factor: float = 0.1
    plateau_patience: int = 5
    warmup_epochs: int = 5  # Goyal et al.; only when the global batch exceeds the reference
    precision: str = "auto"


# The paper's network as ``models.AlexNet`` builds it: two towers, N(0, 0.01) weights
PAPER_MODEL = ModelConfig(arch="AlexNet", groups=2, init="paper", num_classes=1000)
MODELS = {"alexnet": PAPER_MODEL, "alexnet-cifar": ModelConfig()}
_PARTS = {"model": ModelConfig, "data": FolderData, "recipe": PaperRecipe}


@dataclass(frozen=True)
class FolderRunConfig:
    """One run on photographs: the model, the data's cutting and the recipe.

    ``model.num_classes`` is set from the data when the run starts.
    """

    name: str = "paper"
    model: ModelConfig = PAPER_MODEL
    data: FolderData = field(default_factory=FolderData)
    recipe: PaperRecipe = field(default_factory=PaperRecipe)
    seed: int = 0

    def replace(self, **changes) -> FolderRunConfig:
        """A copy with fields changed by name (``**{"recipe.epochs": 2}``); an unknown
        name raises, as ``RunConfig.replace`` does."""
        return replace_dotted(self, _PARTS, changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def build_model(self) -> torch.nn.Module:
        """The untrained model, its weights drawn from the run's seed."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(self.seed, "init"))
            return build_model(self.model)

    def __str__(self) -> str:
        def line(part) -> str:
            return ", ".join(f"{f.name}={getattr(part, f.name)}" for f in dataclasses.fields(part))

        return (f"FolderRunConfig {self.name!r}, seed {self.seed}\n"
                f"  model:  {line(self.model)}\n"
                f"  data:   {line(self.data)}\n"
                f"  recipe: {line(self.recipe)}")


def folder_config(model: str = "alexnet", **overrides) -> FolderRunConfig:
    """The paper's run with ``--model`` (``alexnet`` or ``alexnet-cifar``) and overrides."""
    if model not in MODELS:
        raise ConfigError(f"unknown --model {model!r}: one of {', '.join(MODELS)}")
    return FolderRunConfig(model=MODELS[model]).replace(**overrides)


@dataclass(frozen=True)
class Plan:
    """What the run does with the processes it has: stated at the start, recorded."""

    world_size: int
    batch_per_process: int
    global_batch: int
    base_lr: float
    lr: float
    warmup_epochs: int
    steps_per_epoch: int
    reference_batch: int = 128

    def describe(self) -> str:
        scale = (f"{self.base_lr:g} x {self.global_batch}/{self.reference_batch}, the linear "
                 f"scaling rule" if self.lr != self.base_lr
                 else f"not scaled: the global batch is at most {self.reference_batch}")
        warm = (f", warmed up from {self.base_lr:g} over {self.warmup_epochs} epochs "
                f"(Goyal et al. 2017)" if self.warmup_epochs else ", no warm-up")
        return (f"{self.world_size} process{'es' if self.world_size > 1 else ''} x batch "
                f"{self.batch_per_process} = global batch {self.global_batch}; "
                f"learning rate {self.lr:g} ({scale}){warm}; "
                f"{self.steps_per_epoch} steps per epoch")


def make_plan(recipe: PaperRecipe, world_size: int, train_images: int) -> Plan:
    global_batch = recipe.batch_size * world_size
    lr = dist_.scaled_lr(recipe.lr, global_batch, recipe.reference_batch)
    warm = dist_.warmup_epochs(global_batch, recipe.reference_batch, recipe.warmup_epochs)
    per_process = -(-train_images // world_size)  # DistributedSampler pads to equal shares
    steps = -(-per_process // recipe.batch_size)
    return Plan(world_size, recipe.batch_size, global_batch, recipe.lr, lr, warm, steps,
                recipe.reference_batch)


# ---------------------------------------------------------------------------- evaluation

@torch.no_grad()
def evaluate_folder(model: torch.nn.Module, loader, crop_size: int, *, device,
                    precision: Precision, ten_views: bool = False) -> dict:
    """Top-1 and top-5 accuracy over every process's share of a split of 256 squares:
    the central ``crop_size`` view, or the softmax averaged over the paper's ten views."""
    from torchvision.transforms.v2.functional import center_crop

    was_training = model.training
    model.eval()
    layout = (torch.channels_last if channels_last_helps(device, precision)
              else torch.contiguous_format)
    counts = torch.zeros(3, dtype=torch.float64)  # top-1 hits, top-5 hits, images
    for x, y in loader:
        x = x.to(device, non_blocking=True).float().div_(255)
        n = len(y)
        if ten_views:
            views = ten_crop(x, crop_size).flatten(0, 1).contiguous(memory_format=layout)
            with precision.autocast(device):
                logits = model(views).float()
            probs = logits.softmax(1).view(10, n, -1).mean(0)
        else:
            x = center_crop(x, [crop_size, crop_size]).contiguous(memory_format=layout)
            with precision.autocast(device):
                probs = model(x).float().softmax(1)
        top1, top5 = accuracy(probs.cpu(), y, topk=(1, 5))
        counts += torch.tensor([round(top1 * n), round(top5 * n), n], dtype=torch.float64)
    model.train(was_training)
    dist_.all_reduce_sum(counts)
    images = int(counts[2])
    return {"top1": counts[0].item() / max(images, 1), "top5": counts[1].item() / max(images, 1),
            "images": images}


def _shard(dataset, world: dist_.World):
    """Every ``size``-th image from ``rank``: the processes share a split exactly."""
    if world.size == 1:
        return dataset
    return Subset(dataset, range(world.rank, len(dataset), world.size))


def _eval_loader(dataset, batch_size: int, workers: int, world: dist_.World) -> DataLoader:
    return DataLoader(_shard(dataset, world), batch_size=batch_size, num_workers=workers,
                      pin_memory=world.device.type == "cuda")


# ---------------------------------------------------------------------------- training

def run_folder_training(config: FolderRunConfig, out, source: str, root, *,
                        device=None, download: bool = True, progress: bool = True,
                        callback: Callable[[dict], None] | None = None,
                        log: Callable[[str], None] = print) -> dict | None:
    """Train and test the run ``config`` describes on ``source`` (``imagefolder`` or
    ``imagenette``) at ``root``; return the record (``out/history.json``), or None on
    every rank but 0.

    Under ``torchrun`` this is one process of a data-parallel run. ``out/checkpoint.pt``
    is written after every epoch and a run resumes from it; ``callback`` gets the history
    after every epoch (on every rank). ``log`` prints on rank 0 only.
    """
    started = time.perf_counter()
    out = Path(out)
    splits = load_folder_splits(source, root, config.data, download=download)
    config = config.replace(**{"model.num_classes": len(splits.classes)})
    world = dist_.setup(device)
    try:
        return _run(config, out, source, splits, world, started, progress, callback,
                    log if world.is_main else (lambda _text: None))
    finally:
        dist_.cleanup()


def _run(config, out, source, splits, world, started, progress, callback, log):
    recipe, data = config.recipe, config.data
    device = world.device
    precision = choose_precision(device, recipe.precision)
    plan = make_plan(recipe, world.size, len(splits.train))
    log(str(config))
    log(f"{source}: {len(splits.train)} training and {len(splits.val)} validation images "
        f"of {len(splits.classes)} classes, on {device_name(device)} ({precision.name})")
    log(plan.describe())
    if world.is_main:
        out.mkdir(parents=True, exist_ok=True)

    stats = image_statistics(splits.train, data, world.rank, world.size, dist_.all_reduce_sum)
    model = config.build_model()
    model.normalize.set_stats(stats["mean"], stats["std"])
    model.to(device)
    channels_last = channels_last_helps(device, precision)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    optimizer = make_optimizer(model, dataclasses.replace(recipe, lr=plan.lr))
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=recipe.plateau_factor, patience=recipe.plateau_patience)
    scaler = precision.grad_scaler(device)
    augment = TrainAugment(size=data.crop_size, padding=0, flip=False, lighting=data.lighting,
                           eigvals=stats["eigvals"], eigvecs=stats["eigvecs"])
    run_config = config.to_dict()
    history = {k: [] for k in HISTORY_KEYS}
    start_epoch = 0
    checkpoint = out / "checkpoint.pt"
    # every process must see the checkpoint rank 0 wrote (one folder on every node)
    seen = dist_.all_reduce_sum(torch.tensor([float(checkpoint.is_file())]))
    if 0 < seen.item() < world.size:
        raise ConfigError(f"{checkpoint} is visible to {int(seen.item())} of {world.size} "
                          f"processes: put --out on a filesystem that every node shares")
    resumed = checkpoint.is_file()
    if resumed:
        state = read_checkpoint(checkpoint, device)
        if state["config"] != run_config:
            raise ConfigError(f"{checkpoint} belongs to another run (config "
                              f"{state['config']}); use another --out")
        if state.get("world_size") != world.size:
            raise ConfigError(
                f"{checkpoint} was written by a run of {state.get('world_size')} processes, "
                f"this one has {world.size}: the global batch and learning rate depend on "
                f"it, so resume with the same number of processes or use another --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        plateau.load_state_dict(state["plateau"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        history, start_epoch = state["history"], state["epoch"]
        log(f"resuming from {checkpoint} after epoch {start_epoch}")

    ddp_model = dist_.wrap(model, world)
    sampler = DistributedSampler(splits.train, num_replicas=world.size, rank=world.rank,
                                 shuffle=True, seed=stream_seed(config.seed, "data") % 2**31)
    cuda = device.type == "cuda"
    val_loader = _eval_loader(splits.val, recipe.batch_size, data.workers, world)
    warmup_steps = plan.warmup_epochs * plan.steps_per_epoch

    from tqdm.auto import tqdm

    bar = tqdm(total=plan.steps_per_epoch * (recipe.epochs - start_epoch),
               disable=not (progress and world.is_main), unit="step",
               desc=f"{config.model.arch} x{world.size} on {device.type} ({precision.name})")
    try:
        for epoch in range(start_epoch, recipe.epochs):
            epoch_started = time.perf_counter()
            sampler.set_epoch(epoch)
            seed = stream_seed(config.seed, "data", epoch, world.rank)
            loader = DataLoader(splits.train, batch_size=recipe.batch_size, sampler=sampler,
                                num_workers=data.workers, pin_memory=cuda,
                                generator=torch.Generator().manual_seed(seed))
            generator = torch.Generator(device).manual_seed(seed ^ 1)  # lighting
            # dropout, and the crops and mirrors when no worker processes draw them
            torch.manual_seed(stream_seed(config.seed, "dropout", epoch, world.rank))
            ddp_model.train()
            sums = torch.zeros(3, device=device, dtype=torch.float64)  # loss, hits, images
            for step, (x, y) in enumerate(loader):
                global_step = epoch * plan.steps_per_epoch + step
                if global_step < warmup_steps:
                    for group in optimizer.param_groups:
                        group["lr"] = dist_.lr_at(global_step, warmup_steps, plan.base_lr,
                                                  plan.lr)
                lr = optimizer.param_groups[0]["lr"]
                x = x.to(device, non_blocking=True).float().div_(255)
                y = y.to(device, non_blocking=True)
                x = augment(x, generator)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                loss, logits = train_step(ddp_model, optimizer, x, y, precision=precision,
                                          scaler=scaler, label_smoothing=recipe.label_smoothing)
                sums += torch.stack([loss.double() * len(y),
                                     (logits.argmax(1) == y).sum().double(),
                                     torch.tensor(float(len(y)), device=device,
                                                  dtype=torch.float64)])
                # on the GPU every .item() waits for the device: look only now and then
                if not cuda or (step + 1) % LOG_EVERY == 0:
                    if not torch.isfinite(sums[0]):
                        raise NonFiniteLossError(
                            f"the loss became {sums[0].item()} in epoch {epoch + 1} (by step "
                            f"{step + 1}); the last good checkpoint, {checkpoint}, is kept. "
                            f"Lower the learning rate (--set recipe.lr=...) or check the data.")
                    bar.set_postfix(epoch=f"{epoch + 1}/{recipe.epochs}",
                                    loss=f"{loss.item():.3f}", refresh=False)
                bar.update(1)
            sums = dist_.all_reduce_sum(sums).cpu()
            if not torch.isfinite(sums[0]):  # on any process, in the steps not yet looked at
                raise NonFiniteLossError(
                    f"the loss became {sums[0].item()} in epoch {epoch + 1}; the last good "
                    f"checkpoint, {checkpoint}, is kept. Lower the learning rate.")
            val = evaluate_folder(model, val_loader, data.crop_size, device=device,
                                  precision=precision)
            if (epoch + 1) * plan.steps_per_epoch >= warmup_steps:  # not during warm-up
                plateau.step(1 - val["top1"])
            record = {"epoch": epoch + 1, "train_loss": (sums[0] / sums[2]).item(),
                      "train_top1": (sums[1] / sums[2]).item(), "val_top1": val["top1"],
                      "val_top5": val["top5"], "lr": lr,
                      "seconds": time.perf_counter() - epoch_started}
            for k in HISTORY_KEYS:
                history[k].append(record[k])
            log(f"epoch {epoch + 1}/{recipe.epochs}: train loss {record['train_loss']:.3f}, "
                f"val top-1 {val['top1']:.2%} top-5 {val['top5']:.2%}, lr {lr:g}")
            if world.is_main:
                save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, run_config,
                                plateau=plateau.state_dict(), world_size=world.size,
                                scaler=scaler.state_dict() if scaler is not None else None,
                                precision=precision.name)
            dist_.barrier()  # no process runs ahead of the checkpoint
            if callback is not None:
                callback(history)
    finally:
        bar.close()

    test = {}
    for name, ten in (("single", False), ("ten_crop", True)):
        result = evaluate_folder(model, val_loader, data.crop_size, device=device,
                                 precision=precision, ten_views=ten)
        test.update({f"{name}_top1": result["top1"], f"{name}_top5": result["top5"]})
    test["images"] = result["images"]
    if not world.is_main:
        return None
    record = {
        "name": config.name,
        "config": run_config,
        "source": source,
        "classes": splits.classes,
        "parameters": count_parameters(model),
        "data": {"train": len(splits.train), "val": len(splits.val),
                 "stats_images": stats["images"],
                 "mean": stats["mean"].tolist(), "std": stats["std"].tolist(),
                 "pca_eigvals": stats["eigvals"].tolist()},
        "plan": dataclasses.asdict(plan),
        "history": history,
        "test": test,  # on the validation split, as the paper reports ILSVRC-2012
        **environment(device, precision.name, resumed=resumed,
                      epoch_seconds=history["seconds"], started=started),
    }
    write_json_atomically(out / "history.json", record)
    return record
