"""The learning-rate arithmetic: plain numbers in, plain numbers out.

Two schedules (``Recipe.schedule``), both driven by ``torch.optim.lr_scheduler`` in the
training loop:

- ``warmup_linear``: a linear warm-up over a fraction of all steps, then a linear decay
  to 0 (:func:`warmup_linear_schedule`, a factor per step for ``LambdaLR``). The paper
  divided the rate by 10 by hand when validation error stopped improving; a fixed
  warm-up and decay needs no hand and suits short runs.
- ``plateau``: the paper's division by 10 (``ReduceLROnPlateau``), after a gradual
  warm-up when the global batch is larger than the paper's: the linear scaling rule of
  Goyal et al. 2017 ("Accurate, large minibatch SGD: training ImageNet in 1 hour"),
  :func:`scaled_lr`, :func:`warmup_epochs`, :func:`lr_at`.

Nothing here imports torch or the config, so ``config`` and the loop may both use it.
"""

from __future__ import annotations

from collections.abc import Callable


def warmup_linear_schedule(total_steps: int, warmup_fraction: float) -> Callable[[int], float]:
    """Learning-rate factor per step: linear from ~0 to 1 over the warm-up, then down to 0."""
    warmup = max(1, round(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def scaled_lr(lr: float, global_batch: int, reference_batch: int = 128) -> float:
    """The linear scaling rule: ``lr`` was right for ``reference_batch``; a global batch
    k times larger takes k times the rate. Below the reference the rate is kept."""
    return lr * max(1.0, global_batch / reference_batch)


def warmup_epochs(global_batch: int, reference_batch: int = 128, epochs: int = 5) -> int:
    """Goyal et al.'s gradual warm-up lasts 5 epochs; a batch no larger than the
    reference needs none."""
    return epochs if global_batch > reference_batch else 0


def lr_at(step: int, warmup_steps: int, base_lr: float, target_lr: float) -> float:
    """The rate of training step ``step`` (0-based) during the warm-up: from ``base_lr``
    up to ``target_lr`` in equal steps, reached when the warm-up ends."""
    if warmup_steps <= 0 or step >= warmup_steps:
        return target_lr
    return base_lr + (target_lr - base_lr) * step / warmup_steps
