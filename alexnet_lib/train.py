"""One training loop for every chapter and run: ``fit``.

SGD with momentum 0.9 and weight decay 5e-4 as in the paper (section 5), a warm-up then
linear-decay learning-rate schedule, mixed precision chosen by what the device does fast
(``precision``), a progress bar, per-epoch history, and a checkpoint after every epoch
from which a run resumes exactly: each epoch's shuffling, augmentation and dropout draw
from the run's seed and the epoch number alone (``rng``), so an interrupted run ends
where an uninterrupted one would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .augment import TrainAugment, rgb_pca
from .checkpoint import read_checkpoint, save_checkpoint
from .config import Recipe, RunConfig, get_profile
from .data import CIFAR10Splits, DeviceLoader
from .errors import ConfigError, UserError
from .metrics import evaluate
from .precision import Precision, channels_last_helps, choose_precision
from .rng import stream_seed

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_acc", "lr", "seconds")


class NonFiniteLossError(UserError, FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is left as it was."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device: torch.device | str) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


def warmup_linear_schedule(total_steps: int, warmup_fraction: float) -> Callable[[int], float]:
    """Learning-rate factor per step: linear from ~0 to 1 over the warm-up, then down to 0.

    The paper divided the rate by 10 by hand when validation error stopped improving;
    a fixed warm-up and linear decay needs no hand and suits short runs.
    """
    warmup = max(1, round(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
        weight_decay=recipe.weight_decay, nesterov=recipe.nesterov,
    )


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
               y: torch.Tensor, *, precision: Precision, scaler=None,
               label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on a batch; returns ``(loss, logits)``, both detached.

    The forward pass runs under the precision's autocast; the loss is taken in float32
    (a softmax over half-precision logits loses digits), and with fp16 a gradient scaler
    keeps small gradients from underflowing.
    """
    with precision.autocast(x.device):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return loss.detach(), logits.detach()


def fit(
    model: nn.Module,
    data: CIFAR10Splits,
    config: RunConfig | str | None = None,
    *,
    device: str | torch.device | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = True,
    callback: Callable[[dict], None] | None = None,
    progress: bool = True,
    log_every: int = 20,
) -> dict:
    """Train ``model`` on ``data.train_*`` as the run ``config`` says; return the history.

    ``model`` must be the model ``config.model`` describes (build it with
    ``config.build_model()``). The history is a dict of per-epoch lists
    (``HISTORY_KEYS``): train loss and accuracy (on the augmented batches, dropout on),
    validation top-1, the learning rate of the epoch's last step, seconds. ``callback``
    gets the history after every epoch (for a live plot). With ``checkpoint``, the state
    is written there after every epoch and, if ``resume``, a run picks up from it.
    """
    config = get_profile(config)
    recipe = config.recipe
    if model.config != asdict(config.model):
        raise ConfigError(
            f"the model is not the one the run config describes: model {model.config}, "
            f"config.model {asdict(config.model)}; build it with config.build_model()")
    device = torch.device(device) if device is not None else default_device()
    cuda = device.type == "cuda"
    precision = choose_precision(device, recipe.precision)

    model.normalize.set_stats(data.mean, data.std)
    model.to(device)
    channels_last = channels_last_helps(device, precision)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if cuda:  # cuDNN picks the fastest kernels for these shapes
        torch.backends.cudnn.benchmark = True
    eigvals, eigvecs = rgb_pca(data.train_images) if config.data.lighting else (None, None)
    augment = TrainAugment(size=32, padding=config.data.crop_padding, flip=config.data.flip,
                           lighting=config.data.lighting, eigvals=eigvals, eigvecs=eigvecs)
    loader = DeviceLoader(data.train_images, data.train_labels, recipe.batch_size, device,
                          augment=augment, seed=config.seed)
    steps = len(loader)
    # the compiled module shares the model's parameters: the optimizer, the checkpoints and
    # evaluation (which switches to eval mode, a second graph) use the plain model
    train_model = torch.compile(model) if recipe.compile else model
    optimizer = make_optimizer(model, recipe)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_linear_schedule(steps * recipe.epochs, recipe.warmup_fraction))
    scaler = precision.grad_scaler(device)
    run_config = config.to_dict()
    history = {k: [] for k in HISTORY_KEYS}
    start_epoch = 0

    if checkpoint is not None and resume and Path(checkpoint).is_file():
        state = read_checkpoint(checkpoint, device)
        if state["model_config"] != model.config or state["config"] != run_config:
            raise ConfigError(
                f"{checkpoint} belongs to another run (config {state['config']}); "
                f"pass resume=False or another checkpoint path")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        history = state["history"]
        start_epoch = state["epoch"]

    from tqdm.auto import tqdm

    bar = tqdm(total=steps * (recipe.epochs - start_epoch), disable=not progress,
               desc=f"{config.name} on {device.type} ({precision.name})", unit="step")
    try:
        for epoch in range(start_epoch, recipe.epochs):
            started = time.perf_counter()
            loader.set_epoch(epoch)
            torch.manual_seed(stream_seed(config.seed, "dropout", epoch))
            model.train()
            losses = torch.zeros(steps, device=device)
            correct = torch.zeros(steps, device=device)
            seen = loader.samples_per_epoch  # the last batch may be partial
            checked = 0
            for step, (x, y) in enumerate(loader):
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                lr = optimizer.param_groups[0]["lr"]  # the rate this step trains with
                loss, logits = train_step(train_model, optimizer, x, y, precision=precision,
                                          scaler=scaler, label_smoothing=recipe.label_smoothing)
                scheduler.step()
                losses[step] = loss
                correct[step] = (logits.argmax(1) == y).sum()
                # on the GPU every .item() waits for the device: look only now and then
                if not cuda or (step + 1) % log_every == 0 or step + 1 == steps:
                    _check_finite(losses[checked : step + 1], checked, epoch, checkpoint)
                    checked = step + 1
                    acc = (correct[: step + 1].sum().item()
                           / min(seen, (step + 1) * recipe.batch_size))
                    bar.set_postfix(epoch=f"{epoch + 1}/{recipe.epochs}",
                                    loss=f"{losses[step].item():.3f}", acc=f"{acc:.3f}",
                                    refresh=False)
                bar.update(1)
            val = (evaluate(model, data.val_images, data.val_labels, device=device,
                            precision=precision)["top1"]
                   if len(data.val_labels) else float("nan"))
            record = {"epoch": epoch + 1, "train_loss": losses.mean().item(),
                      "train_acc": correct.sum().item() / seen, "val_acc": val,
                      "lr": lr, "seconds": time.perf_counter() - started}
            for k in HISTORY_KEYS:
                history[k].append(record[k])
            bar.set_postfix(epoch=f"{epoch + 1}/{recipe.epochs}",
                            loss=f"{record['train_loss']:.3f}", val_acc=f"{val:.3f}")
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, run_config,
                                scheduler=scheduler.state_dict(),
                                scaler=scaler.state_dict() if scaler is not None else None,
                                precision=precision.name)
            if callback is not None:
                callback(history)
    finally:
        bar.close()
    return history


def _check_finite(losses: torch.Tensor, offset: int, epoch: int, checkpoint) -> None:
    bad = ~torch.isfinite(losses)
    if bad.any():
        step = offset + int(bad.nonzero()[0])
        kept = (f"the last good checkpoint, {checkpoint}, is kept" if checkpoint
                else "no checkpoint was being written")
        raise NonFiniteLossError(
            f"loss became {losses[bad][0].item()} at epoch {epoch + 1}, step {step + 1}; "
            f"{kept}. Lower the learning rate (profile.lr) or check the input data.")

