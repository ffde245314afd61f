"""One training loop for every chapter, every data source and every process count: ``fit``.

``fit`` takes a model, the batches of a run (``data.TrainingData``: its ``train`` source
has ``__iter__``, ``__len__`` and ``set_epoch``: the device-resident CIFAR-10 loader or
a DataLoader over folders of photographs) and the run's config. It trains with SGD as the
paper (``sgd``), in the precision the device does fast (``precision``), with a progress
bar and a per-epoch history, and writes a checkpoint after every epoch from which a run
resumes exactly: each epoch's shuffling, augmentation and dropout draw from the run's
seed and the epoch number alone (``rng``), so an interrupted run ends where an
uninterrupted one would. Under ``torchrun`` it is one process of a data-parallel run
(``distributed``): every process trains on its share, rank 0 alone writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from . import distributed
from .checkpoint import read_checkpoint, save_checkpoint
from .config import RunConfig, get_profile
from .data import CIFAR10Splits, TrainingData, cifar10_data
from .errors import ConfigError, UserError
from .metrics import count_hits, rates
from .precision import Precision, channels_last_helps, choose_precision, default_device
from .rng import stream_seed
from .schedule import warmup_linear_schedule  # noqa: F401  (chapters 7 and 9 import it here)
from .sgd import LearningRate, make_optimizer, train_step

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_acc", "lr", "seconds")


class NonFiniteLossError(UserError, FloatingPointError):
    """The loss became NaN or infinite; the message says what was kept and what to do."""


@dataclass
class Trainer:
    """What one run trains with, set up once: the model as it trains (compiled, wrapped
    for data parallelism), its optimizer, learning rate and gradient scaler."""

    config: RunConfig
    model: nn.Module
    train_model: nn.Module
    optimizer: torch.optim.Optimizer
    lr: LearningRate
    scaler: torch.amp.GradScaler | None
    precision: Precision
    channels_last: bool
    world: distributed.World
    checkpoint: Path | None

    @property
    def device(self) -> torch.device:
        return self.world.device


def fit(
    model: nn.Module,
    data: TrainingData | CIFAR10Splits,
    config: RunConfig | str,
    *,
    device: str | torch.device | None = None,
    world: distributed.World | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = True,
    callback: Callable[[dict], None] | None = None,
    progress: bool = True,
    log_every: int = 20,
) -> dict:
    """Train ``model`` on ``data`` as the run ``config`` says; return the history.

    ``model`` must be the model ``config.model`` describes (``models.build_model(config)``).
    ``data`` is a run's ``TrainingData`` or, for the chapters, CIFAR-10 splits. The
    history is a dict of per-epoch lists (``HISTORY_KEYS``): training loss and accuracy
    (on the augmented batches, dropout on), validation top-1, the learning rate of the
    epoch's last step, seconds. ``callback`` gets the history after every epoch (for a
    live plot). With ``checkpoint``, the state is written there after every epoch and, if
    ``resume``, a run picks up from it.
    """
    config = get_profile(config)
    if model.config != asdict(config.model):
        raise ConfigError(
            f"the model is not the one the run config describes: model {model.config}, "
            f"config.model {asdict(config.model)}; build it with build_model(config)")
    if world is None:
        world = distributed.World(device=torch.device(device) if device else default_device())
    if isinstance(data, CIFAR10Splits):
        data = cifar10_data(data, config, world)
    run = _setup(model, data, config, world, checkpoint)
    history, start = _resume(run, resume)

    from tqdm.auto import tqdm

    # dynamic_ncols: in a notebook the bar's widget takes the column's width, not more
    bar = tqdm(total=len(data.train) * (config.recipe.epochs - start), dynamic_ncols=True,
               disable=not (progress and world.is_main), unit="step",
               desc=f"{config.name} x{world.size} on {run.device.type} ({run.precision.name})"
               if world.size > 1 else f"{config.name} on {run.device.type} ({run.precision.name})")
    try:
        for epoch in range(start, config.recipe.epochs):
            row = _train_epoch(run, data, epoch, bar, log_every)
            row["val_acc"] = (_rate(run, data.val, data.crop_size)
                              if data.sizes["val"] else float("nan"))
            run.lr.epoch_end(1 - row["val_acc"])
            for k in HISTORY_KEYS:
                history[k].append(row[k])
            bar.set_postfix(epoch=f"{epoch + 1}/{config.recipe.epochs}",
                            loss=f"{row['train_loss']:.3f}", val_acc=f"{row['val_acc']:.3f}")
            _save(run, epoch + 1, history)
            if callback is not None:
                callback(history)
    finally:
        bar.close()
    return history


def _setup(model, data: TrainingData, config: RunConfig, world, checkpoint) -> Trainer:
    device, recipe = world.device, config.recipe
    precision = choose_precision(device, recipe.precision)
    model.normalize.set_stats(data.stats["mean"], data.stats["std"])
    model.to(device)
    channels_last = channels_last_helps(device, precision)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if device.type == "cuda":  # cuDNN picks the fastest kernels for these shapes
        torch.backends.cudnn.benchmark = True
    # the compiled module shares the model's parameters: the optimizer, the checkpoints and
    # evaluation (which switches to eval mode, a second graph) use the plain model
    train_model = distributed.wrap(torch.compile(model) if recipe.compile else model, world)
    optimizer = make_optimizer(model, recipe)
    lr = LearningRate(optimizer, recipe, len(data.train), world.size)
    return Trainer(config, model, train_model, optimizer, lr, precision.grad_scaler(device),
                   precision, channels_last, world,
                   Path(checkpoint) if checkpoint is not None else None)


def _resume(run: Trainer, resume: bool) -> tuple[dict, int]:
    """The history so far and the epoch to start from: a checkpoint's, or a new run's."""
    history = {k: [] for k in HISTORY_KEYS}
    path = run.checkpoint
    # every process must see the checkpoint rank 0 wrote (one folder on every node)
    found = float(path is not None and resume and path.is_file())
    seen = distributed.all_reduce_sum(torch.tensor([found])).item()
    if 0 < seen < run.world.size:
        raise ConfigError(f"{path} is visible to {int(seen)} of {run.world.size} processes: "
                          f"put --out on a filesystem that every process shares")
    if not found:
        return history, 0
    state = read_checkpoint(path, run.device)
    stored = state["config"]
    if state["model_config"] != run.model.config or stored != run.config.to_dict():
        raise ConfigError(f"{path} belongs to another run ({_differences(stored, run.config)}): "
                          f"train into another --out folder, or delete {path.parent} to "
                          f"start this run afresh")
    if state.get("world_size", 1) != run.world.size:
        raise ConfigError(
            f"{path} was written by a run of {state.get('world_size', 1)} processes, this one "
            f"has {run.world.size}: the global batch and learning rate depend on it, so "
            f"resume with the same number of processes or use another --out")
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.lr.load_state_dict(state["lr"])
    if run.scaler is not None and state.get("scaler"):
        run.scaler.load_state_dict(state["scaler"])
    return state["history"], state["epoch"]


def _differences(stored: dict, config: RunConfig) -> str:
    """Which fields differ between a checkpoint's config and this run's, by name."""
    now = config.to_dict()
    names = [f"{part}.{k}: {stored.get(part, {}).get(k)!r} there, {v!r} here"
             for part in ("model", "data", "recipe") for k, v in now[part].items()
             if stored.get(part, {}).get(k) != v]
    names += [f"{k}: {stored.get(k)!r} there, {now[k]!r} here" for k in ("name", "seed")
              if stored.get(k) != now[k]]
    return "; ".join(names) or "its model differs"


def _train_epoch(run: Trainer, data: TrainingData, epoch: int, bar, log_every: int) -> dict:
    """One pass over this process's share of the training set; its history row."""
    started = time.perf_counter()
    loader, recipe, world = data.train, run.config.recipe, run.world
    steps, cuda = len(loader), run.device.type == "cuda"
    loader.set_epoch(epoch)
    index = (epoch, world.rank) if world.size > 1 else (epoch,)
    torch.manual_seed(stream_seed(run.config.seed, "dropout", *index))
    run.model.train()
    losses = torch.zeros(steps, device=run.device)
    correct = torch.zeros(steps, device=run.device)
    seen = loader.samples_per_epoch  # the last batch may be partial
    checked = 0
    for step, (x, y) in enumerate(loader):
        if run.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        lr = run.optimizer.param_groups[0]["lr"]  # the rate this step trains with
        loss, logits = train_step(run.train_model, run.optimizer, x, y,
                                  precision=run.precision, scaler=run.scaler,
                                  label_smoothing=recipe.label_smoothing)
        run.lr.step()
        losses[step] = loss
        correct[step] = (logits.argmax(1) == y).sum()
        # on the GPU every .item() waits for the device: look only now and then
        if not cuda or (step + 1) % log_every == 0 or step + 1 == steps:
            _check_finite(losses[checked : step + 1], checked, epoch, run)
            checked = step + 1
            acc = correct[: step + 1].sum().item() / min(seen, (step + 1) * recipe.batch_size)
            bar.set_postfix(epoch=f"{epoch + 1}/{recipe.epochs}",
                            loss=f"{losses[step].item():.3f}", acc=f"{acc:.3f}", refresh=False)
        bar.update(1)
    loss, hits = losses.mean(), correct.sum()
    if world.size > 1:  # the mean of the processes' means; hits and images summed
        sums = distributed.all_reduce_sum(torch.stack([loss, hits, torch.tensor(
            float(seen), device=run.device)]).double().cpu())
        loss, hits, seen = sums[0] / world.size, sums[1], sums[2].item()
    return {"epoch": epoch + 1, "train_loss": loss.item(), "train_acc": hits.item() / seen,
            "lr": lr, "seconds": time.perf_counter() - started}


def _rate(run: Trainer, batches, crop_size) -> float:
    return rates(count_hits(run.model, batches, crop_size=crop_size, device=run.device,
                            precision=run.precision))["top1"]


def _save(run: Trainer, epoch: int, history: dict) -> None:
    if run.checkpoint is not None and run.world.is_main:
        try:
            save_checkpoint(run.checkpoint, run.model, run.optimizer, epoch, history,
                            run.config.to_dict(), lr=run.lr.state_dict(),
                            world_size=run.world.size, precision=run.precision.name,
                            scaler=run.scaler.state_dict() if run.scaler is not None else None)
        except OSError as err:  # a full disk, a folder made read-only during the run
            raise UserError(f"could not write {run.checkpoint} after epoch {epoch} "
                            f"({err.strerror or err}); the previous checkpoint is as it was: "
                            f"free space or fix the folder, then run the same command to "
                            f"resume") from err
    distributed.barrier()  # no process runs ahead of the checkpoint


def _check_finite(losses: torch.Tensor, offset: int, epoch: int, run: Trainer) -> None:
    bad = ~torch.isfinite(losses)
    if bad.any():
        step = offset + int(bad.nonzero()[0])
        path = run.checkpoint
        kept = (f"the checkpoint of epoch {epoch}, {path}, is kept as it was"
                if path is not None and path.is_file() else "no checkpoint was written")
        raise NonFiniteLossError(
            f"the loss became {losses[bad][0].item()} at epoch {epoch + 1}, step {step + 1} "
            f"(recipe.lr={run.config.recipe.lr:g}); {kept}. Lower the learning rate "
            f"(--set recipe.lr=...) or check the input data.")
