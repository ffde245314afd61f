"""One description of a run: the model, the data and the recipe, and the named run sizes.

A :class:`RunConfig` is frozen and complete: it builds the model (:meth:`RunConfig.build_model`),
says which data to load, and carries the recipe ``fit`` follows. It is written whole into
every record and checkpoint, so a record never contradicts itself, and an ablation row is
a set of named overrides of it (``config.replace(**{"model.lrn": "none"})``).

One knob picks the size of every experiment, ``ALEXNET_PROFILE=smoke|quick|full``:

- ``smoke``: seconds to a minute per chapter on two CPU cores; CI and nbval use it.
- ``quick``: a CPU without a GPU; results that mean something, in minutes.
- ``full``: the real run on a GPU: the whole training set and the full schedule.

The default is ``full`` where CUDA is available, else ``quick``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import torch

from .errors import ConfigError

ENV_VAR = "ALEXNET_PROFILE"


@dataclass(frozen=True)
class ModelConfig:
    """Which network, and which of the paper's ingredients it has (see ``models``)."""

    arch: str = "AlexNetCIFAR"
    width: float = 1.0
    activation: str = "relu"  # section 3.1; "tanh" / "sigmoid" for comparison
    lrn: str = "paper"  # section 3.3: "paper", "constant" (gain k^-beta only) or "none"
    overlap_pool: bool = True  # section 3.4
    dropout: float = 0.5  # section 4.2
    # "paper": drop the outputs of fc6 and fc7 (section 4.2, Caffe's bvlc_alexnet);
    # "torchvision": drop the inputs of fc6 and fc7 (torchvision's AlexNet)
    dropout_placement: str = "paper"
    # "standardized": (x - mean) / std per channel; "paper": x in 0..255 minus the mean,
    # not divided by the std, the scale the paper trained on (section 2)
    input_scale: str = "standardized"
    middle_convs: int = 3  # conv3-conv5; 2 drops conv4 (section 7's "remove a middle layer")
    groups: int = 1  # 2: the paper's two-GPU split of conv2, conv4, conv5
    init: str = "kaiming"  # or "paper": N(0, 0.01) weights, biases of 1 (section 5)
    num_classes: int = 10


@dataclass(frozen=True)
class DataConfig:
    """Which images, and the training-time augmentation (section 4.1)."""

    # None means "all that is left"; the validation split is carved from the 50,000
    # training images before any subset is taken, so tuning never sees the test set.
    train_size: int | None = None
    val_size: int = 5000
    test_size: int | None = None
    crop_padding: int = 4  # random 32x32 crops of the image padded by this many pixels
    flip: bool = True
    lighting: float = 0.1  # std of the PCA colour noise; 0 switches it off


@dataclass(frozen=True)
class Recipe:
    """How to train: SGD with momentum and weight decay as the paper (section 5)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    label_smoothing: float = 0.0
    warmup_fraction: float = 0.1  # of all steps: linear warm-up, then linear decay to 0
    # torch.compile the model for the training steps. Off until a measured run shows it
    # helps (benchmarks/cpu_speed.py, benchmarks/gpu_runs.py).
    compile: bool = False
    # "auto": what the device does fast (see ``precision``); or "bf16", "fp16", "fp32"
    precision: str = "auto"


# Records and checkpoints written before a field existed meant what the code did then.
LEGACY_MODEL_FIELDS = {"dropout_placement": "torchvision"}


def model_config_from_dict(d: dict) -> ModelConfig:
    """A :class:`ModelConfig` from its dict as a record or checkpoint stores it, reading
    older dicts as the code that wrote them meant them (``name`` for ``arch``; dropout on
    the inputs of fc6 and fc7 before ``dropout_placement`` existed)."""
    kwargs = {**LEGACY_MODEL_FIELDS, **d}
    if "name" in kwargs:  # checkpoints written before the run config existed
        kwargs["arch"] = kwargs.pop("name")
    try:
        return ModelConfig(**kwargs)
    except TypeError as err:
        raise ConfigError(f"not a model configuration: {err}") from None


_PARTS = {"model": ModelConfig, "data": DataConfig, "recipe": Recipe}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; ``name`` is the profile it came from."""

    name: str
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    recipe: Recipe = field(default_factory=Recipe)
    seed: int = 0

    def replace(self, **changes) -> RunConfig:
        """A copy with fields changed by name: ``seed=1``, ``**{"model.dropout": 0.0}``.

        An unknown name raises, so a typo in an ablation row cannot pass unnoticed.
        """
        return replace_dotted(self, _PARTS, changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        parts = {part: kind(**d[part]) for part, kind in _PARTS.items() if part != "model"}
        return cls(name=d["name"], seed=d.get("seed", 0),
                   model=model_config_from_dict(d["model"]), **parts)

    def build_model(self) -> torch.nn.Module:
        """The untrained model this run trains, its weights drawn from the run's seed."""
        from .models import build_model
        from .rng import stream_seed

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(self.seed, "init"))
            return build_model(self.model)

    def __str__(self) -> str:
        def line(part) -> str:
            return ", ".join(f"{f.name}={getattr(part, f.name)}" for f in dataclasses.fields(part))

        return (f"RunConfig {self.name!r}, seed {self.seed}\n"
                f"  model:  {line(self.model)}\n"
                f"  data:   {line(self.data)}\n"
                f"  recipe: {line(self.recipe)}")


PROFILES: dict[str, RunConfig] = {
    # Without BatchNorm an AlexNet needs many steps to leave its initial plateau, so the
    # small profiles take small batches: more steps for the same compute.
    "smoke": RunConfig(
        "smoke", ModelConfig(width=0.25),
        DataConfig(train_size=4000, val_size=1000, test_size=1000),
        Recipe(epochs=4, batch_size=32, lr=0.01),
    ),
    # quick: batch 128 at lr 0.04 was picked on validation accuracy among recipes of the
    # same compute (benchmarks/gpu_runs.py; records in data/records/gpu-h200/). 18 epochs,
    # not 15: bf16 and the closed-form LRN made a step 2.2x faster on these CPUs, and in
    # the 15-epoch run validation accuracy was still rising (77.7% -> 77.8% in the last
    # epoch), so three more epochs still fit in half the old 15-epoch time.
    "quick": RunConfig(
        "quick", ModelConfig(width=0.25), DataConfig(),
        Recipe(epochs=18, batch_size=128, lr=0.04),
    ),
    "full": RunConfig(
        "full", ModelConfig(width=1.0), DataConfig(),
        Recipe(epochs=40, batch_size=256, lr=0.04),
    ),
}


def default_profile_name() -> str:
    """``ALEXNET_PROFILE`` if set, else ``full`` on a CUDA machine and ``quick`` elsewhere."""
    name = os.environ.get(ENV_VAR, "").strip()
    if name:
        return name
    return "full" if torch.cuda.is_available() else "quick"


def get_profile(name: str | RunConfig | None = None) -> RunConfig:
    """The run config of the profile called ``name`` (default: :func:`default_profile_name`)."""
    if isinstance(name, RunConfig):
        return name
    name = name or default_profile_name()
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            f"(set with {ENV_VAR} or --profile)"
        ) from None


def replace_dotted(config, parts: dict[str, type], changes: dict):
    """A copy of the dataclass ``config`` with fields changed by name.

    ``"seed"`` names a top-level field, ``"model.dropout"`` a field of the part ``model``
    (``parts`` maps each part's name to its dataclass). An unknown name raises
    ``ConfigError``, so a typo in an ablation row or a CLI override cannot pass unnoticed.
    Shared by ``RunConfig`` and ``folder_train.FolderRunConfig``.
    """
    top, by_part = {}, {}
    for key, value in changes.items():
        part, _, name = key.partition(".")
        if not name:
            top[key] = value
            continue
        if part not in parts:
            raise ConfigError(f"unknown config part {part!r} in {key!r}: "
                              f"one of {', '.join(parts)}")
        by_part.setdefault(part, {})[name] = value
    known = {f.name for f in dataclasses.fields(config)}
    for key in top:
        if key not in known:
            raise ConfigError(f"unknown config field {key!r}: one of {', '.join(known)}")
    for part, values in by_part.items():
        fields = {f.name for f in dataclasses.fields(parts[part])}
        for name in values:
            if name not in fields:
                raise ConfigError(f"unknown field {part}.{name}: one of "
                                  f"{', '.join(sorted(fields))}")
        top[part] = dataclasses.replace(top.get(part, getattr(config, part)), **values)
    return dataclasses.replace(config, **top)
