"""Probing a trained network with forward hooks: its layers by the paper's names, one hooked
evaluation pass, and how much its Local Response Normalization layers actually normalize.

Part of the training core (``run`` records :func:`lrn_damping` with every run); the book's
``alexnet_lib.book.inspection`` builds its activations and explorers on the same pass.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import LocalResponseNorm
from .models import ACTIVATIONS


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


def hooked_pass(model: nn.Module, images: torch.Tensor, handles, batch_size: int) -> None:
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
    hooked_pass(model, images, handles, batch_size)
    return {name: {"active": c["active"],
                   "damped": c["damped"] / max(1, c["active"]),
                   "median_gain": float(torch.cat(c["gains"]).median()) if c["gains"] else None,
                   "median_a": float(torch.cat(c["a"]).median()) if c["a"] else None}
            for name, c in counts.items()}
