"""Looking inside a network: its layers by the paper's names, what they output for a batch
of images, and what one LRN unit outputs for a given input. Tensors in, tensors out: the
pictures are drawn in ``viz``, the explorers built in ``widgets``."""

from __future__ import annotations

import torch
from torch import nn

from .layers import PAPER_LRN, LocalResponseNorm
from .models import ACTIVATIONS

# The layers the feature-map explorer shows by default: every convolution's activation
# output and every pooled output of AlexNetCIFAR (names from `named_layers`).
FEATURE_MAP_LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5")


def named_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The layers of an AlexNet-style model (``features`` then ``classifier``) by name.

    Names follow the paper's numbering: ``convK`` is the activation (ReLU) output of the
    K-th convolution, ``normK`` its local response normalization (when the model has
    one), ``poolK`` the max-pooling after it; ``fc6`` and ``fc7`` are the activation
    outputs of the hidden fully connected layers (fc7 is the "last hidden layer" of the
    paper's Figure 4) and ``fc8`` the logits. Works for ``AlexNet`` and ``AlexNetCIFAR``.
    """
    activations = tuple(ACTIVATIONS.values())
    names: dict[str, nn.Module] = {}
    convs = 0
    for module in model.features:
        if isinstance(module, nn.Conv2d):
            convs += 1
        elif isinstance(module, activations):
            names[f"conv{convs}"] = module
        elif isinstance(module, LocalResponseNorm):
            names[f"norm{convs}"] = module
        elif isinstance(module, nn.MaxPool2d):
            names[f"pool{convs}"] = module
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    fcs = convs
    for module in model.classifier:
        if isinstance(module, nn.Linear):
            fcs += 1
            if module is linears[-1]:
                names[f"fc{fcs}"] = module  # the logits: no activation after the last layer
        elif isinstance(module, activations):
            names[f"fc{fcs}"] = module
    return names


def layer_activations(model: nn.Module, images: torch.Tensor, layers=None,
                      batch_size: int = 500) -> dict[str, torch.Tensor]:
    """What the named layers output for a batch of images, recorded with forward hooks.

    ``images`` are ``(N, 3, H, W)``, uint8 or floats in 0..1 (the model normalizes them
    itself). ``layers`` are names from :func:`named_layers` (default: all of them).
    Returns ``{name: (N, ...) float tensor on the CPU}`` in the order asked for. The model
    runs in eval mode (no dropout) without gradients, ``batch_size`` images at a time,
    and is put back in the mode it was in.
    """
    available = named_layers(model)
    layers = list(available) if layers is None else list(layers)
    unknown = [name for name in layers if name not in available]
    if unknown:
        raise ValueError(f"unknown layers {unknown}: choose from {list(available)}")
    recorded: dict[str, list[torch.Tensor]] = {name: [] for name in layers}

    def recorder(name):
        def hook(module, inputs, output):
            # clone: an in-place layer later in the network must not change what we keep
            recorded[name].append(output.detach().float().cpu().clone())
        return hook

    handles = [available[name].register_forward_hook(recorder(name)) for name in layers]
    _run_hooked(model, images, handles, batch_size)
    return {name: torch.cat(recorded[name]) for name in layers}


def _run_hooked(model: nn.Module, images: torch.Tensor, handles, batch_size: int) -> None:
    """Push ``images`` (uint8 or floats in 0..1) through ``model`` in eval mode without
    gradients, ``batch_size`` at a time, for the forward hooks in ``handles`` to record;
    then remove the hooks and put the model back in the mode it was in."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                x = images[start : start + batch_size].to(device)
                model(x.float().div(255) if x.dtype == torch.uint8 else x.float())
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)


def as_maps(x: torch.Tensor) -> torch.Tensor:
    """One image's layer output as maps: a fully connected layer's vector ``(C,)`` as
    ``C`` one-pixel maps ``(C, 1, 1)``; convolutional maps ``(C, H, W)`` unchanged."""
    return x[:, None, None] if x.dim() == 1 else x


def lrn_response(a, neighbour: float = 0.0, k: float = PAPER_LRN["k"],
                 n: int = PAPER_LRN["size"], alpha: float = PAPER_LRN["alpha"],
                 beta: float = PAPER_LRN["beta"]) -> torch.Tensor:
    """What :class:`~alexnet_lib.layers.LocalResponseNorm` outputs for a unit whose input
    activation is each value of ``a``, when each of the other ``n - 1`` channels in its
    window has activation ``neighbour``: ``a / (k + alpha * (a**2 + (n-1) * neighbour**2))
    ** beta``. Computed by the layer itself, on ``n`` channels with the unit in the middle,
    so a curve drawn from it is the library's layer, not a second formula. The defaults
    are the paper's constants (``layers.PAPER_LRN``; ``n`` is the layer's ``size``).
    """
    a = torch.as_tensor(a, dtype=torch.float32).flatten()
    x = torch.full((1, n, a.numel(), 1), float(neighbour))
    x[0, n // 2, :, 0] = a  # the window of the middle channel is exactly the n channels
    with torch.no_grad():
        b = LocalResponseNorm(size=n, alpha=alpha, beta=beta, k=k)(x)
    return b[0, n // 2, :, 0]


def lrn_damping(model: nn.Module, images: torch.Tensor, threshold: float = 0.05,
                batch_size: int = 500) -> dict[str, dict]:
    """How much each Local Response Normalization layer of ``model`` actually normalizes.

    LRN multiplies a unit's activation ``a`` by ``(k + alpha * E) ** -beta``, where ``E``
    is the energy of its window; with a quiet window that gain is ``k ** -beta`` (0.59
    with the paper's constants), a constant rescaling any layer could learn. Only a gain
    below that constant is normalization. For each LRN layer (``normK``, as
    :func:`named_layers`), over the active units (``a > 0``) of ``images``: ``active``
    (their number), ``damped`` (the share whose gain is more than ``threshold`` below
    ``k ** -beta``), ``median_gain`` and ``median_a`` (the median activation).
    """
    layers = {name: m for name, m in named_layers(model).items()
              if isinstance(m, LocalResponseNorm)}
    counts = {name: {"active": 0, "damped": 0, "gains": [], "a": []} for name in layers}

    def recorder(name, module):
        def hook(mod, inputs, output):
            a, b = inputs[0].detach().float(), output.detach().float()
            active = a > 0
            gain = b[active] / a[active]
            c = counts[name]
            c["active"] += int(active.sum())
            c["damped"] += int((gain < (1 - threshold) * module.k ** -module.beta).sum())
            # a sample of each batch for the medians, not every unit of every image
            step = max(1, gain.numel() // 20_000)
            c["gains"].append(gain[::step].cpu())
            c["a"].append(a[active][::step].cpu())
        return hook

    handles = [m.register_forward_hook(recorder(name, m)) for name, m in layers.items()]
    _run_hooked(model, images, handles, batch_size)
    return {name: {"active": c["active"],
                   "damped": c["damped"] / max(1, c["active"]),
                   "median_gain": float(torch.cat(c["gains"]).median()) if c["gains"] else None,
                   "median_a": float(torch.cat(c["a"]).median()) if c["a"] else None}
            for name, c in counts.items()}
