"""One description of a run: the model, the data and the recipe, and the named run sizes.

A :class:`RunConfig` is frozen, complete and checked when it is built: every field has a
type and a range, and a value outside them is one :class:`~alexnet_lib.errors.ConfigError`
naming the field, before any data loads. It is written whole into every record and
checkpoint, and an ablation row is a set of named overrides of it
(``config.replace(**{"model.lrn": "none"})``). ``models.build_model(config)`` builds its
model; this module imports neither torch nor the models, so anything may import it.

One knob picks the size of every experiment, ``ALEXNET_PROFILE=smoke|quick|full``:

- ``smoke``: seconds to a minute per chapter on two CPU cores; CI and nbval use it.
- ``quick``: a CPU without a GPU; results that mean something, in minutes.
- ``full``: the real run on a GPU: the whole training set and the full schedule.

and ``paper`` is the paper's own recipe for its 227x227 network on photographs (section
5). The default (``precision.default_profile_name``) is ``full`` where CUDA is available,
else ``quick``.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field

from .errors import ConfigError
from .fields import check, check_fields, parse_value

CIFAR10_TRAIN, CIFAR10_TEST, CIFAR10_CLASSES = 50_000, 10_000, 10

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
    init: str = "kaiming"  # or "paper": N(0, 0.01) weights, some biases init_bias (sec. 5)
    init_bias: float = 1.0  # the paper's; Caffe's bvlc_alexnet: 0.1, as 1 "gave flat loss"
    num_classes: int = 10

    def __post_init__(self):
        check_fields(self, "model")
        check("model", "width", self.width > 0 and math.isfinite(self.width), self.width,
               "a width multiplier > 0 (1.0 is the paper's size)")
        check("model", "dropout", 0 <= self.dropout < 1, self.dropout,
               "a probability of dropping a unit, 0 <= p < 1")
        check("model", "middle_convs", self.middle_convs in (2, 3), self.middle_convs, "2 or 3")
        check("model", "groups", self.groups in (1, 2), self.groups, "1 or 2")
        check("model", "num_classes", self.num_classes >= 2, self.num_classes, "at least 2")
        check("model", "init_bias", math.isfinite(self.init_bias) and self.init_bias >= 0,
               self.init_bias, "a finite bias >= 0 (1 is the paper's, 0.1 Caffe's)")


@dataclass(frozen=True)
class DataConfig:
    """Which images, and the training-time augmentation (sections 2 and 4.1).

    ``source`` is ``cifar10`` (32x32 tensors on the device) or photographs in folders
    (``imagefolder``: ``root/train/<class>/`` and ``root/val/<class>/``; ``imagenette``),
    read by DataLoader workers. Fields after ``lighting`` concern photographs only.
    """

    source: str = "cifar10"
    root: str = "data"
    # None means "all that is left"; the CIFAR-10 validation split is carved from the
    # 50,000 training images before any subset is taken, so tuning never sees the test set.
    # Photographs: even subsets of the train and val folders (val_size None: all of it).
    train_size: int | None = None
    val_size: int | None = 5000
    test_size: int | None = None
    crop_padding: int = 4  # CIFAR-10: random 32x32 crops of the image padded by this much
    flip: bool = True
    lighting: float = 0.1  # std of the PCA colour noise; 0 switches it off
    image_size: int = 256  # photographs: shorter side to this, then the central square
    crop_size: int = 227  # photographs: random crops for training; the ten test views
    stats_images: int = 1000  # photographs: evenly spaced images for mean, std and PCA
    workers: int = 4  # DataLoader worker processes (per training process)
    imagenette_size: str = "320px"
    # decode large JPEGs at a reduced size (PIL's draft); off: the paper's full decode
    draft_decode: bool = False

    def __post_init__(self):
        check_fields(self, "data")
        for name in ("train_size", "test_size"):
            value = getattr(self, name)
            check("data", name, value is None or value >= 1, value,
                   "a number of images >= 1, or null for all of them")
        check("data", "val_size", self.val_size is None or self.val_size >= 0, self.val_size,
               "a number of images >= 0")
        if self.source == "cifar10":
            self._check_cifar10()
        else:
            check("data", "crop_size", 1 <= self.crop_size <= self.image_size, self.crop_size,
                   f"1 .. data.image_size ({self.image_size})")
        for name, least in (("crop_padding", 0), ("workers", 0), ("stats_images", 1)):
            value = getattr(self, name)
            check("data", name, value >= least, value, f"an integer >= {least}")
        check("data", "lighting", self.lighting >= 0 and math.isfinite(self.lighting),
               self.lighting, "the std of the PCA colour noise, >= 0 (0 switches it off)")

    def _check_cifar10(self) -> None:
        val = self.val_size or 0
        check("data", "val_size", val < CIFAR10_TRAIN, self.val_size,
               f"fewer than CIFAR-10's {CIFAR10_TRAIN:,} training images")
        left = CIFAR10_TRAIN - val
        check("data", "train_size", self.train_size is None or self.train_size <= left,
               self.train_size, f"at most the {left:,} training images the validation split "
               f"of {val:,} leaves, or null for all of them")
        check("data", "test_size", self.test_size is None or self.test_size <= CIFAR10_TEST,
               self.test_size, f"at most CIFAR-10's {CIFAR10_TEST:,} test images, or null")


@dataclass(frozen=True)
class Recipe:
    """How to train: SGD with momentum and weight decay as the paper (section 5).

    ``batch_size`` is per process, as in torchvision's reference scripts: the global
    batch is ``batch_size`` x the number of processes, and ``lr`` is the rate for
    ``reference_batch`` images (scaled linearly above it; None: one process's batch).
    """

    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    label_smoothing: float = 0.0
    # "warmup_linear": a linear warm-up over warmup_fraction of all steps, then a linear
    # decay to 0. "plateau": the paper's "divide the learning rate by 10 when the
    # validation error rate stopped improving" (ReduceLROnPlateau), after a warm-up of
    # warmup_epochs when the global batch exceeds the reference (Goyal et al. 2017).
    schedule: str = "warmup_linear"
    warmup_fraction: float = 0.1
    reference_batch: int | None = None
    plateau_factor: float = 0.1
    plateau_patience: int = 5  # the paper gives none; 5 epochs is this library's choice
    warmup_epochs: int = 5
    # torch.compile the model for the training steps. Off until a measured run shows it
    # helps (benchmarks/cpu_speed.py, benchmarks/gpu_runs.py).
    compile: bool = False
    # "auto": what the device does fast (see ``precision``); or "bf16", "fp16", "fp32"
    precision: str = "auto"

    def __post_init__(self):
        check_fields(self, "recipe")
        checks = {
            "epochs": (self.epochs >= 1, "a number of epochs >= 1"),
            "batch_size": (self.batch_size >= 1, "a batch of at least 1 image"),
            "lr": (self.lr > 0 and math.isfinite(self.lr), "a finite learning rate > 0"),
            "momentum": (0 <= self.momentum < 1, "0 <= momentum < 1"),
            "weight_decay": (self.weight_decay >= 0 and math.isfinite(self.weight_decay),
                             "a finite weight decay >= 0"),
            "label_smoothing": (0 <= self.label_smoothing < 1, "0 <= smoothing < 1"),
            "warmup_fraction": (0 <= self.warmup_fraction <= 1, "a fraction 0 .. 1"),
            "reference_batch": (self.reference_batch is None or self.reference_batch >= 1,
                                "a batch >= 1, or null for one process's batch"),
            "plateau_factor": (0 < self.plateau_factor < 1, "a factor 0 < f < 1"),
            "plateau_patience": (self.plateau_patience >= 0, "a number of epochs >= 0"),
            "warmup_epochs": (self.warmup_epochs >= 0, "a number of epochs >= 0"),
        }
        for name, (ok, allowed) in checks.items():
            check("recipe", name, ok, getattr(self, name), allowed)


# Records and checkpoints written before a field existed meant what the code did then.
LEGACY_MODEL_FIELDS = {"dropout_placement": "torchvision"}
PARTS = {"model": ModelConfig, "data": DataConfig, "recipe": Recipe}


def model_config_from_dict(d: dict) -> ModelConfig:
    """A :class:`ModelConfig` from its dict as a record or checkpoint stores it, reading
    older dicts as the code that wrote them meant them (``name`` for ``arch``; ``lrn``
    true or false for "paper" or "none"; dropout on the inputs of fc6 and fc7 before
    ``dropout_placement`` existed)."""
    kwargs = {**LEGACY_MODEL_FIELDS, **d}
    if "name" in kwargs:  # checkpoints written before the run config existed
        kwargs["arch"] = kwargs.pop("name")
    if isinstance(kwargs.get("lrn"), bool):  # before "constant" existed
        kwargs["lrn"] = "paper" if kwargs["lrn"] else "none"
    try:
        return ModelConfig(**kwargs)
    except TypeError as err:
        raise ConfigError(f"not a model configuration: {err}") from None


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; ``name`` is the profile it came from."""

    name: str
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    recipe: Recipe = field(default_factory=Recipe)
    seed: int = 0

    def __post_init__(self):
        for part, kind in PARTS.items():
            if not isinstance(getattr(self, part), kind):
                example = f"{part}.{dataclasses.fields(kind)[0].name}"
                raise ConfigError(f"{part}={getattr(self, part)!r} is not allowed: set its "
                                  f"fields one by one, e.g. {example}=...")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed={self.seed!r} is not allowed: an integer >= 0")
        if self.data.source == "cifar10" and self.model.arch == "AlexNet":
            raise ConfigError("model.arch=AlexNet takes 227x227 photographs, not CIFAR-10's "
                              "32x32 images: use data.source=imagefolder or imagenette "
                              "(--data imagefolder:DIR), or model.arch=AlexNetCIFAR")
        if self.data.source == "cifar10" and self.model.num_classes != CIFAR10_CLASSES:
            raise ConfigError(f"model.num_classes={self.model.num_classes} is not allowed with "
                              f"data.source=cifar10: CIFAR-10 has {CIFAR10_CLASSES} classes")

    def replace(self, **changes) -> RunConfig:
        """A copy with fields changed by name: ``seed=1``, ``**{"model.dropout": 0.0}``.

        An unknown name raises, so a typo in an ablation row cannot pass unnoticed; a
        string value (from the command line) is parsed as the field's type, strictly.
        """
        return replace_dotted(self, changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """The config a record or checkpoint stores, older ones included (fields they
        lack take today's defaults, which is what their code did)."""
        try:
            data = DataConfig(**d.get("data", {}))
            recipe = Recipe(**d.get("recipe", {}))
        except TypeError as err:
            raise ConfigError(f"not a run configuration: {err}") from None
        return cls(name=d.get("name", "unnamed"), seed=d.get("seed", 0),
                   model=model_config_from_dict(d["model"]), data=data, recipe=recipe)

    def __str__(self) -> str:
        # each source's own fields: a CIFAR-10 run has no image folders to cut, and so on
        skip = (PHOTOGRAPH_FIELDS if self.data.source == "cifar10" else CIFAR10_FIELDS) | (
            set() if self.recipe.schedule == "plateau" else PLATEAU_FIELDS) | (
            set() if self.model.init == "paper" else {"init_bias"})

        def line(part) -> str:
            return ", ".join(f"{f.name}={getattr(part, f.name)}" for f in dataclasses.fields(part)
                             if f.name not in skip)

        return (f"RunConfig {self.name!r}, seed {self.seed}\n"
                f"  model:  {line(self.model)}\n"
                f"  data:   {line(self.data)}\n"
                f"  recipe: {line(self.recipe)}")


PHOTOGRAPH_FIELDS = {"image_size", "crop_size", "stats_images", "workers", "imagenette_size",
                     "draft_decode"}
CIFAR10_FIELDS = {"crop_padding", "test_size"}
PLATEAU_FIELDS = {"plateau_factor", "plateau_patience", "warmup_epochs"}

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
    # Section 5 on photographs: the 227x227 network in two towers, N(0, 0.01) weights on
    # the paper's input scale (0..255 minus the mean), batch 128, lr 0.01 divided by 10
    # when validation error stops improving, ~90 epochs. Biases 0.1, not the paper's 1, as
    # Caffe's bvlc_alexnet: with 1 the loss stays flat (chapter 11; model.init_bias=1 for
    # the paper's). model.num_classes is set from the data's class folders at the start.
    "paper": RunConfig(
        "paper", ModelConfig(arch="AlexNet", groups=2, init="paper", init_bias=0.1,
                             input_scale="paper", num_classes=1000),
        DataConfig(source="imagefolder", root="data/imagenet", val_size=None,
                   crop_padding=0),
        Recipe(epochs=90, batch_size=128, lr=0.01, reference_batch=128, schedule="plateau"),
    ),
}


def get_profile(name: str | RunConfig) -> RunConfig:
    """The run config of the profile called ``name`` (a RunConfig is returned as it is)."""
    if isinstance(name, RunConfig):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            f"(set with ALEXNET_PROFILE or --profile)"
        ) from None


def replace_dotted(config: RunConfig, changes: dict) -> RunConfig:
    """A copy of ``config`` with fields changed by name.

    ``"seed"`` names a top-level field, ``"model.dropout"`` a field of the part ``model``.
    An unknown name raises ``ConfigError``, so a typo in an ablation row or a CLI override
    cannot pass unnoticed; so does a value outside the field's type or range.
    """
    top, by_part = {}, {}
    for key, value in changes.items():
        part, _, name = key.partition(".")
        if not name:
            if key not in ("seed", "name"):
                raise ConfigError(f"unknown config field {key!r}: one of seed, name, or "
                                  f"a field of {', '.join(PARTS)} such as model.width")
            top[key] = parse_value(key, value, int) if key == "seed" and isinstance(
                value, str) else value
            continue
        if part not in PARTS:
            raise ConfigError(f"unknown config part {part!r} in {key!r}: "
                              f"one of {', '.join(PARTS)}")
        hints = typing.get_type_hints(PARTS[part])
        if name not in hints:
            raise ConfigError(f"unknown field {key}: one of "
                              f"{', '.join(sorted(f'{part}.{n}' for n in hints))}")
        if isinstance(value, str) and hints[name] is not str:
            value = parse_value(key, value, hints[name])
        by_part.setdefault(part, {})[name] = value
    for part, values in by_part.items():
        top[part] = dataclasses.replace(getattr(config, part), **values)
    return dataclasses.replace(config, **top)
