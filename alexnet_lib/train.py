"""One training loop for every chapter and run: ``fit``.

SGD with momentum 0.9 and weight decay 5e-4 as in the paper (section 5), a warm-up then
linear-decay learning-rate schedule, bf16 autocast and channels_last on CUDA, a progress
bar, per-epoch history, and a checkpoint after every epoch from which a run resumes
exactly: each epoch's shuffling, augmentation and dropout draw from the seed and the
epoch number alone, so an interrupted run ends where an uninterrupted one would.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .augment import TrainAugment, rgb_pca
from .data import CIFAR10Splits, DeviceLoader
from .metrics import evaluate
from .models import save_checkpoint
from .profiles import Profile, get_profile

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_acc", "lr", "seconds")


class NonFiniteLossError(FloatingPointError):
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


def make_optimizer(model: nn.Module, profile: Profile) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        model.parameters(), lr=profile.lr, momentum=profile.momentum,
        weight_decay=profile.weight_decay, nesterov=profile.nesterov,
    )


def fit(
    model: nn.Module,
    data: CIFAR10Splits,
    profile: Profile | str | None = None,
    *,
    device: str | torch.device | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = True,
    callback: Callable[[dict], None] | None = None,
    seed: int = 0,
    progress: bool = True,
    log_every: int = 20,
) -> dict:
    """Train ``model`` on ``data.train_*`` as ``profile`` says; return the history.

    The history is a dict of per-epoch lists (``HISTORY_KEYS``): train loss and accuracy
    (on the augmented batches), validation top-1, learning rate, seconds. ``callback``
    gets the history after every epoch (for a live plot). With ``checkpoint``, the state
    is written there after every epoch and, if ``resume``, a run picks up from it.
    """
    profile = get_profile(profile)
    device = torch.device(device) if device is not None else default_device()
    cuda = device.type == "cuda"

    model.normalize.set_stats(data.mean, data.std)
    model.to(device)
    if cuda:  # tensor cores want NHWC; cuDNN picks the fastest kernels for these shapes
        model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    eigvals, eigvecs = rgb_pca(data.train_images) if profile.lighting else (None, None)
    augment = TrainAugment(size=32, padding=profile.crop_padding, flip=profile.flip,
                           lighting=profile.lighting, eigvals=eigvals, eigvecs=eigvecs)
    loader = DeviceLoader(data.train_images, data.train_labels, profile.batch_size, device,
                          augment=augment, seed=seed)
    steps = len(loader)
    # the compiled module shares the model's parameters: the optimizer, the checkpoints and
    # evaluation (which switches to eval mode, a second graph) use the plain model
    train_model = torch.compile(model) if profile.compile else model
    optimizer = make_optimizer(model, profile)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_linear_schedule(steps * profile.epochs, profile.warmup_fraction))
    run_config = {"profile": profile.to_dict(), "seed": seed}
    history = {k: [] for k in HISTORY_KEYS}
    start_epoch = 0

    if checkpoint is not None and resume and Path(checkpoint).is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        if state["model_config"] != model.config or state["config"] != run_config:
            raise ValueError(
                f"{checkpoint} belongs to another run (model {state['model_config']}, "
                f"config {state['config']}); pass resume=False or another checkpoint path")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = state["history"]
        start_epoch = state["epoch"]

    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if cuda
                else contextlib.nullcontext())
    from tqdm.auto import tqdm

    bar = tqdm(total=steps * (profile.epochs - start_epoch), disable=not progress,
               desc=f"{profile.name} on {device.type}", unit="step")
    try:
        for epoch in range(start_epoch, profile.epochs):
            started = time.perf_counter()
            loader.set_epoch(epoch)
            torch.manual_seed(seed * 1_000_003 + epoch)  # dropout's stream, per epoch
            model.train()
            losses = torch.zeros(steps, device=device)
            correct = torch.zeros(steps, device=device)
            checked = 0
            for step, (x, y) in enumerate(loader):
                if cuda:
                    x = x.contiguous(memory_format=torch.channels_last)
                with autocast:
                    logits = train_model(x)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=profile.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses[step] = loss.detach()
                correct[step] = (logits.argmax(1) == y).sum()
                # on the GPU every .item() waits for the device: look only now and then
                if not cuda or (step + 1) % log_every == 0 or step + 1 == steps:
                    _check_finite(losses[checked : step + 1], checked, epoch, checkpoint)
                    checked = step + 1
                    acc = correct[: step + 1].sum().item() / ((step + 1) * profile.batch_size)
                    bar.set_postfix(epoch=f"{epoch + 1}/{profile.epochs}",
                                    loss=f"{losses[step].item():.3f}", acc=f"{acc:.3f}",
                                    refresh=False)
                bar.update(1)
            seen = steps * profile.batch_size
            val = (evaluate(model, data.val_images, data.val_labels, device=device)["top1"]
                   if len(data.val_labels) else float("nan"))
            record = {"epoch": epoch + 1, "train_loss": losses.mean().item(),
                      "train_acc": correct.sum().item() / seen, "val_acc": val,
                      "lr": optimizer.param_groups[0]["lr"],
                      "seconds": time.perf_counter() - started}
            for k in HISTORY_KEYS:
                history[k].append(record[k])
            bar.set_postfix(epoch=f"{epoch + 1}/{profile.epochs}",
                            loss=f"{record['train_loss']:.3f}", val_acc=f"{val:.3f}")
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, run_config,
                                scheduler=scheduler.state_dict())
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

