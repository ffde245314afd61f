"""One SGD step, and the learning rate that drives it (section 5).

SGD with momentum 0.9 and weight decay 5e-4 as the paper. The rate follows the recipe's
schedule (``schedule`` holds the arithmetic): :class:`LearningRate` drives it with
``torch.optim.lr_scheduler`` (``LambdaLR`` per step for the warm-up and the linear decay,
``ReduceLROnPlateau`` per epoch for the paper's division by 10) and says, in one line,
what a run does with the processes it has.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import Recipe
from .precision import Precision
from .schedule import lr_at, scaled_lr, warmup_epochs, warmup_linear_schedule


def make_optimizer(model: nn.Module, recipe: Recipe, lr: float | None = None
                   ) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        model.parameters(), lr=recipe.lr if lr is None else lr, momentum=recipe.momentum,
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


def plan(recipe: Recipe, world_size: int, steps_per_epoch: int) -> dict:
    """What a run does with the processes it has: the global batch, the learning rate
    (scaled linearly past the reference batch) and the warm-up it gets, in numbers."""
    global_batch = recipe.batch_size * world_size
    reference = recipe.reference_batch or recipe.batch_size
    warm = (warmup_epochs(global_batch, reference, recipe.warmup_epochs)
            if recipe.schedule == "plateau" else 0)
    return {"world_size": world_size, "batch_per_process": recipe.batch_size,
            "global_batch": global_batch, "reference_batch": reference, "base_lr": recipe.lr,
            "lr": scaled_lr(recipe.lr, global_batch, reference), "warmup_epochs": warm,
            "steps_per_epoch": steps_per_epoch, "schedule": recipe.schedule}


class LearningRate:
    """The rate of every step: ``recipe.lr`` scaled to the global batch (linear scaling;
    ``reference_batch`` None means one process's batch, so one process never scales),
    then the recipe's schedule. Call :meth:`step` after every training step and
    :meth:`epoch_end` after every epoch with the validation error."""

    def __init__(self, optimizer: torch.optim.Optimizer, recipe: Recipe, steps_per_epoch: int,
                 world_size: int = 1):
        self.plan = plan(recipe, world_size, steps_per_epoch)
        self.lr = self.plan["lr"]
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] = self.lr
        if recipe.schedule == "warmup_linear":
            self.warmup_steps = 0
            factor = warmup_linear_schedule(steps_per_epoch * recipe.epochs,
                                            recipe.warmup_fraction)
        else:
            self.warmup_steps = steps_per_epoch * self.plan["warmup_epochs"]

            def factor(step: int) -> float:  # Goyal et al.: from recipe.lr up to self.lr
                return lr_at(step, self.warmup_steps, recipe.lr, self.lr) / self.lr
        self.per_step = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        self.plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=recipe.plateau_factor,
            patience=recipe.plateau_patience) if recipe.schedule == "plateau" else None)
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.plateau is None or self.steps <= self.warmup_steps:
            self.per_step.step()

    def epoch_end(self, val_error: float) -> None:
        """The paper's plateau rule, from the end of the warm-up on."""
        if self.plateau is not None and self.steps >= self.warmup_steps:
            self.plateau.step(val_error)

    def state_dict(self) -> dict:
        return {"steps": self.steps, "per_step": self.per_step.state_dict(),
                "plateau": self.plateau.state_dict() if self.plateau else None}

    def load_state_dict(self, state: dict) -> None:
        self.steps = state["steps"]
        self.per_step.load_state_dict(state["per_step"])
        if self.plateau is not None:
            self.plateau.load_state_dict(state["plateau"])


def describe_plan(p: dict) -> str:
    """A :func:`plan` in one line, as a run prints it when it starts."""
    n = p["world_size"]
    scale = (f"{p['base_lr']:g} x {p['global_batch']}/{p['reference_batch']}, the linear "
             f"scaling rule" if p["lr"] != p["base_lr"]
             else f"not scaled: the global batch is at most {p['reference_batch']}")
    warm = (f", warmed up from {p['base_lr']:g} over {p['warmup_epochs']} epochs "
            f"(Goyal et al. 2017)" if p["warmup_epochs"] else "")
    return (f"{n} process{'es' if n > 1 else ''} x batch {p['batch_per_process']} = global "
            f"batch {p['global_batch']}; learning rate {p['lr']:g} ({scale}){warm}, schedule "
            f"{p['schedule']}; {p['steps_per_epoch']} steps per epoch")
