"""Named run sizes: one knob, ``ALEXNET_PROFILE=smoke|quick|full``, sizes every experiment.

- ``smoke``: seconds to a minute per chapter on two CPU cores; CI and nbval use it.
- ``quick``: a CPU without a GPU; results that mean something, in minutes.
- ``full``: the real run on a GPU: the whole training set and the full schedule.

The default is ``full`` where CUDA is available, else ``quick``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

ENV_VAR = "ALEXNET_PROFILE"


@dataclass(frozen=True)
class Profile:
    """Everything that sets the size and recipe of one training run."""

    name: str
    # data: None means "all that is left"; the validation split is carved from the
    # 50,000 training images before any subset is taken, so tuning never sees the test set.
    train_size: int | None
    val_size: int
    test_size: int | None
    # model
    width: float
    dropout: float = 0.5
    # optimisation: SGD with momentum and weight decay as the paper (section 5)
    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    label_smoothing: float = 0.0
    warmup_fraction: float = 0.1  # of all steps: linear warm-up, then linear decay to 0
    # augmentation (paper section 4.1), applied on the training device
    crop_padding: int = 4  # random 32x32 crops of the image padded by this many pixels
    flip: bool = True
    lighting: float = 0.1  # std of the PCA colour noise; 0 switches it off
    # torch.compile the model for the training steps (fuses LRN's elementwise work on a
    # GPU; costs a compilation at the start). Off until a measured run shows it helps.
    compile: bool = False
    # how long a chapter that uses this profile should take, for the banner
    expected_minutes: float = 1.0

    def replace(self, **changes) -> Profile:
        """A copy with some fields changed (for ablations and tests)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


PROFILES: dict[str, Profile] = {
    # Without BatchNorm an AlexNet needs many steps to leave its initial plateau, so the
    # small profiles take small batches: more steps for the same compute.
    "smoke": Profile(
        name="smoke", train_size=4000, val_size=1000, test_size=1000, width=0.25,
        epochs=4, batch_size=32, lr=0.01, expected_minutes=1.5,
    ),
    # quick: batch 128 at lr 0.04 was picked on validation accuracy among recipes of the
    # same compute (benchmarks/gpu_runs.py; records in data/records/gpu-h200/)
    "quick": Profile(
        name="quick", train_size=None, val_size=5000, test_size=None, width=0.25,
        epochs=15, batch_size=128, lr=0.04, expected_minutes=30.0,
    ),
    "full": Profile(
        name="full", train_size=None, val_size=5000, test_size=None, width=1.0,
        epochs=40, batch_size=256, lr=0.04, expected_minutes=5.0,
    ),
}


def default_profile_name() -> str:
    """``ALEXNET_PROFILE`` if set, else ``full`` on a CUDA machine and ``quick`` elsewhere."""
    name = os.environ.get(ENV_VAR, "").strip()
    if name:
        return name
    return "full" if torch.cuda.is_available() else "quick"


def get_profile(name: str | Profile | None = None) -> Profile:
    """The profile called ``name`` (default: see :func:`default_profile_name`)."""
    if isinstance(name, Profile):
        return name
    name = name or default_profile_name()
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            f"(set with {ENV_VAR} or --profile)"
        ) from None
