"""AlexNet as the paper describes it, and the same design sized for 32x32 CIFAR-10 images.

Both follow torchvision's layout: ``features`` (the convolutions) then ``classifier``
(the fully connected layers), each a plain ``nn.Sequential``; the classifier drops out
where the paper does (the outputs of fc6 and fc7), not where torchvision does (the inputs
of fc6 and fc7), unless asked. Both models take float images in 0..1; their first layer
normalizes them with the training set's statistics, so a checkpoint carries its own
preprocessing.
"""

from __future__ import annotations

from dataclasses import asdict

import torch
from torch import nn

from .config import ModelConfig, RunConfig, model_config_from_dict
from .errors import ConfigError
from .layers import PAPER_LRN, ConstantGain, LocalResponseNorm

# The usual CIFAR-10 statistics; fit() replaces them with the training split's own.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


INPUT_SCALES = ("standardized", "paper")
# The paper's inputs are pixel values 0..255 minus the mean: one 0..1 step is 255 units.
PIXEL_STEP = 1 / 255


class Normalize(nn.Module):
    """Subtract the per-channel mean and divide by the std (buffers, saved with the model).

    ``scale="paper"`` keeps the paper's scale instead (section 2): the mean is subtracted
    and the 0..1 input multiplied by 255, as if the std were 1/255 whatever the data's.
    """

    def __init__(self, mean, std, scale: str = "standardized"):
        super().__init__()
        if scale not in INPUT_SCALES:
            raise ConfigError(f"input_scale must be one of {INPUT_SCALES}, got {scale!r}")
        self.scale = scale
        if scale == "paper":
            std = (PIXEL_STEP,) * 3
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def set_stats(self, mean, std) -> None:
        """The training set's statistics; at the paper's scale only its mean is used."""
        self.mean.copy_(torch.as_tensor(mean).view(1, 3, 1, 1))
        if self.scale == "standardized":
            self.std.copy_(torch.as_tensor(std).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class AlexNet(nn.Module):
    """The network of Krizhevsky, Sutskever and Hinton (2012), section 3.5 and Figure 2.

    Input 227x227, not the 224 the paper states: with an 11x11 kernel at stride 4 and no
    padding, (224 - 11) / 4 + 1 is not a whole number, while (227 - 11) / 4 + 1 = 55, the
    paper's first feature map. Then 55 -> 27 (pool 3/2) -> 27 (conv2) -> 13 (pool) ->
    13 (conv3-5) -> 6 (pool): 256 * 6 * 6 = 9216 inputs to the first fully connected layer.

    ``groups=2`` is the two-GPU split: conv2, conv4 and conv5 see only the kernel maps on
    their own GPU; conv3 and the fully connected layers see both. With ``groups=2`` the
    model has exactly 60,965,224 parameters. Its weights start as section 5's (see
    :func:`init_paper`); ``init_bias`` is the biases' value where they are not 0.
    """

    def __init__(self, num_classes: int = 1000, groups: int = 2, dropout: float = 0.5,
                 dropout_placement: str = "paper", input_scale: str = "standardized",
                 init_bias: float = 1.0):
        super().__init__()
        self.config = asdict(ModelConfig(arch="AlexNet", num_classes=num_classes, groups=groups,
                                         dropout=dropout, dropout_placement=dropout_placement,
                                         input_scale=input_scale, init="paper",
                                         init_bias=init_bias))
        self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD, input_scale)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4),  # conv1: 227 -> 55
            nn.ReLU(inplace=True),
            LocalResponseNorm(**PAPER_LRN),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 55 -> 27
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=groups),  # conv2
            nn.ReLU(inplace=True),
            LocalResponseNorm(**PAPER_LRN),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 27 -> 13
            nn.Conv2d(256, 384, kernel_size=3, padding=1),  # conv3: across both GPUs
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=groups),  # conv4
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=groups),  # conv5
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 13 -> 6
        )
        self.classifier = classifier(256 * 6 * 6, 4096, num_classes, nn.ReLU, dropout,
                                     dropout_placement)
        init_paper(self, init_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.normalize(x))
        return self.classifier(torch.flatten(x, 1))


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
LRN_LAYERS = {"paper": LocalResponseNorm, "constant": ConstantGain, "none": nn.Identity}
LRN_MODES = {True: "paper", False: "none"}
# The std of the inputs each scale gives the first layer (CIFAR-10's pixel std is about
# 0.25 of the 0..1 range, 63 of 0..255), for an initialization that expects unit variance.
INPUT_STD = {"standardized": 1.0, "paper": sum(CIFAR10_STD) / 3 / PIXEL_STEP}


class AlexNetCIFAR(nn.Module):
    """The same eight learned layers (5 conv + 3 fc) sized for 32x32 CIFAR-10 images.

    Every switch turns off or swaps one of the paper's ingredients, so one model serves
    the chapters and the ablations:

    - ``activation``: "relu" (section 3.1), or "tanh" / "sigmoid" for comparison;
    - ``lrn``: after conv1 and conv2, "paper" for Local Response Normalization (section
      3.3), "constant" for its gain at zero input alone (k^-beta: a control that rescales
      and never normalizes), "none" for nothing;
    - ``overlap_pool``: 3x3 pooling at stride 2 (section 3.4) or, if false, 2x2 at stride 2.
      The overlapping pools pad by one so both kinds give 32 -> 16 -> 8 -> 4, and the two
      variants have the same number of parameters;
    - ``dropout``: probability in the first two fully connected layers (section 4.2),
      on their outputs (``dropout_placement="paper"``) or, as torchvision, on their
      inputs (``"torchvision"``); see :func:`classifier`;
    - ``input_scale``: "standardized" inputs ((x - mean) / std) or the paper's "paper"
      scale, 0..255 pixels minus the mean (section 2), where LRN's constants, chosen for
      that scale, can bite;
    - ``middle_convs``: 3 (conv3-conv5) or 2, without conv4: section 7's claim that
      removing any middle convolution costs about 2% top-1;
    - ``width``: scales every layer's channels (1.0 = the paper's 96-256-384-384-256
      convolutions with 2048-unit fully connected layers, half the paper's 4096, since
      there are 4x4 instead of 6x6 positions and 10 classes instead of 1000).

    conv1 is 5x5 at stride 1: the paper's 11x11 stride-4 kernel would shrink a 32x32
    image to 6x6 at once. ``init="kaiming"`` (He et al. 2015, zero biases) is the default:
    the paper's N(0, 0.01) weights with biases of 1 (``init="paper"``; ``init_bias``
    sets the 1) are kept for fidelity. How they compare in a short run is not measured
    in this project; it is the first exercise of the training chapter.
    """

    def __init__(
        self,
        num_classes: int = 10,
        activation: str = "relu",
        lrn: str | bool = "paper",
        overlap_pool: bool = True,
        dropout: float = 0.5,
        width: float = 1.0,
        groups: int = 1,
        init: str = "kaiming",
        dropout_placement: str = "paper",
        input_scale: str = "standardized",
        middle_convs: int = 3,
        init_bias: float = 1.0,
    ):
        super().__init__()
        lrn = LRN_MODES.get(lrn, lrn)  # True / False: the paper's LRN, or none
        # ModelConfig checks every value (activation, lrn, init, middle_convs...) first
        self.config = asdict(ModelConfig(
            arch="AlexNetCIFAR", width=width, activation=activation, lrn=lrn,
            overlap_pool=overlap_pool, dropout=dropout, dropout_placement=dropout_placement,
            input_scale=input_scale, middle_convs=middle_convs, groups=groups, init=init,
            init_bias=init_bias, num_classes=num_classes))
        c1, c2, c3, c4, c5 = (_channels(c * width, groups) for c in (96, 256, 384, 384, 256))
        hidden = max(8, round(2048 * width))
        act = ACTIVATIONS[activation]

        def pool():
            if overlap_pool:
                return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            return nn.MaxPool2d(kernel_size=2, stride=2)

        def norm():
            return LRN_LAYERS[lrn]()

        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD, input_scale)
        conv4 = [nn.Conv2d(c3, c4, kernel_size=3, padding=1, groups=groups), act()]
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, kernel_size=5, padding=2), act(), norm(), pool(),  # 32 -> 16
            nn.Conv2d(c1, c2, kernel_size=5, padding=2, groups=groups), act(), norm(), pool(),
            nn.Conv2d(c2, c3, kernel_size=3, padding=1), act(),  # 8x8
            *(conv4 if middle_convs == 3 else []),
            nn.Conv2d(c4 if middle_convs == 3 else c3, c5, kernel_size=3, padding=1,
                      groups=groups), act(), pool(),  # 4x4
        )
        # identity at 32x32 input; lets the model also take the paper-style 28x28 crops
        self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
        self.classifier = classifier(c5 * 4 * 4, hidden, num_classes, act, dropout,
                                     dropout_placement)
        if init == "paper":
            init_paper(self, init_bias)
        else:
            init_kaiming(self, nonlinearity=activation, input_std=INPUT_STD[input_scale])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(self.normalize(x)))
        return self.classifier(torch.flatten(x, 1))


DROPOUT_PLACEMENTS = ("paper", "torchvision")


def classifier(features: int, hidden: int, num_classes: int, act, dropout: float,
               placement: str = "paper") -> nn.Sequential:
    """fc6, fc7 (``hidden`` units each, activation ``act``) and fc8, with dropout where
    ``placement`` says: "paper" drops the outputs of fc6 and fc7 (section 4.2: "we use
    dropout in the first two fully-connected layers"; Caffe's bvlc_alexnet puts its
    dropout layers after relu6 and relu7), "torchvision" the inputs of fc6 and fc7, as
    torchvision's AlexNet does; the paper never drops the pooled conv5 features."""
    if placement == "paper":
        return nn.Sequential(
            nn.Linear(features, hidden), act(), nn.Dropout(dropout),  # fc6
            nn.Linear(hidden, hidden), act(), nn.Dropout(dropout),  # fc7
            nn.Linear(hidden, num_classes),  # fc8
        )
    if placement == "torchvision":
        return nn.Sequential(
            nn.Dropout(dropout), nn.Linear(features, hidden), act(),  # fc6
            nn.Dropout(dropout), nn.Linear(hidden, hidden), act(),  # fc7
            nn.Linear(hidden, num_classes),  # fc8
        )
    raise ConfigError(f"dropout_placement must be one of {DROPOUT_PLACEMENTS}, got {placement!r}")


def _channels(c: float, groups: int) -> int:
    """Round a scaled channel count to a positive multiple of ``groups``."""
    return max(groups, round(c / groups) * groups)


def init_paper(model: nn.Module, bias: float = 1.0) -> None:
    """Section 5: weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and the hidden fully
    connected layers (to give ReLUs positive inputs early), 0 in the others. ``bias``
    replaces the 1: Caffe's bvlc_alexnet used 0.1, since 1 "gave flat loss"."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    ones = {convs[1], convs[3], convs[4], *linears[:-1]} if len(convs) == 5 else set(linears[:-1])
    for m in convs + linears:
        nn.init.normal_(m.weight, 0.0, 0.01)
        nn.init.constant_(m.bias, bias if m in ones else 0.0)


def init_kaiming(model: nn.Module, nonlinearity: str = "relu", input_std: float = 1.0) -> None:
    """He initialization (fan-in) with zero biases, with the gain of ``nonlinearity``
    ("relu", "tanh" or "sigmoid"); the last layer small, so the first predictions are
    near uniform.

    He's rule assumes inputs of unit variance. ``input_std`` is the input's actual std:
    the first layer's weights are divided by it, so conv1's outputs start at the scale
    they would have on standardized inputs (at the paper's input scale, 0..255 pixels,
    ``input_std`` is about 64). Training is then free to grow them, as the paper's did."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for m in layers:
        nn.init.kaiming_normal_(m.weight, nonlinearity=nonlinearity)
        nn.init.zeros_(m.bias)
    with torch.no_grad():
        layers[0].weight.div_(input_std)
    nn.init.normal_(layers[-1].weight, 0.0, 0.01)


def build_model(config: RunConfig | ModelConfig | dict, seed: int | None = None) -> nn.Module:
    """The untrained model a :class:`~alexnet_lib.config.RunConfig` trains, its weights
    drawn from the run's seed (``stream_seed(seed, "init")``), so two runs with one seed
    start from the same weights; or the model a ``ModelConfig`` (or its dict, as a
    checkpoint stores it) describes, drawn from ``seed`` likewise when one is given and
    from torch's global generator otherwise."""
    if isinstance(config, RunConfig):
        config, seed = config.model, config.seed
    if seed is not None:
        from .rng import stream_seed

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(seed, "init"))
            return build_model(config)
    if isinstance(config, dict):
        config = model_config_from_dict(config)
    kwargs = asdict(config)
    arch = kwargs.pop("arch")
    if arch == "AlexNet":
        model = AlexNet(config.num_classes, config.groups, config.dropout,
                        config.dropout_placement, config.input_scale, config.init_bias)
        if model.config != asdict(config):
            raise ConfigError(f"AlexNet has only num_classes, groups, dropout, "
                              f"dropout_placement, input_scale and init_bias to choose; "
                              f"got {asdict(config)}")
        return model
    if arch != "AlexNetCIFAR":
        raise ConfigError(f"unknown model {arch!r}: AlexNet or AlexNetCIFAR")
    return AlexNetCIFAR(**kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
