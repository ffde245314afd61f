"""Looking inside a network: its layers by the paper's names, what they output for a batch
of images, and what one LRN unit outputs for a given input. Tensors in, tensors out: the
pictures are drawn in ``viz``, the explorers built in ``widgets``. The layer names, the
hooked evaluation pass and :func:`lrn_damping` live in the training core
(:mod:`alexnet_lib.probes`, which ``run`` uses) and are re-exported here."""

from __future__ import annotations

import torch
from torch import nn

from ..layers import PAPER_LRN, LocalResponseNorm
from ..probes import hooked_pass, lrn_damping, named_layers

__all__ = ["FEATURE_MAP_LAYERS", "as_maps", "layer_activations", "lrn_damping", "lrn_response",
           "named_layers"]

# The layers the feature-map explorer shows by default: every convolution's activation
# output and every pooled output of AlexNetCIFAR (names from `named_layers`).
FEATURE_MAP_LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5")


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
    hooked_pass(model, images, handles, batch_size)
    return {name: torch.cat(recorded[name]) for name in layers}


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
