"""Looking inside a network (alexnet_lib.book.inspection): layer names, activations recorded
with hooks, and what one LRN unit outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alexnet_lib.book.inspection import (
    FEATURE_MAP_LAYERS,
    as_maps,
    layer_activations,
    lrn_damping,
    lrn_response,
    named_layers,
)
from alexnet_lib.layers import PAPER_LRN, LocalResponseNorm
from alexnet_lib.models import AlexNet, AlexNetCIFAR

NAMES = ["conv1", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5",
         "pool5", "fc6", "fc7", "fc8"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return AlexNetCIFAR(width=0.25).eval()


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=g)


def test_named_layers_follow_the_paper(model):
    layers = named_layers(model)
    assert list(layers) == NAMES
    assert isinstance(layers["conv1"], nn.ReLU) and isinstance(layers["pool5"], nn.MaxPool2d)
    assert isinstance(layers["fc8"], nn.Linear) and layers["fc8"].out_features == 10
    assert list(named_layers(AlexNet())) == NAMES
    no_lrn = named_layers(AlexNetCIFAR(width=0.25, lrn=False))
    assert "norm1" not in no_lrn and "conv1" in no_lrn
    assert set(FEATURE_MAP_LAYERS) <= set(layers)


def test_layer_activations_shapes(model, images):
    acts = layer_activations(model, images)
    shapes = {name: tuple(a.shape) for name, a in acts.items()}
    assert shapes == {
        "conv1": (3, 24, 32, 32), "norm1": (3, 24, 32, 32), "pool1": (3, 24, 16, 16),
        "conv2": (3, 64, 16, 16), "norm2": (3, 64, 16, 16), "pool2": (3, 64, 8, 8),
        "conv3": (3, 96, 8, 8), "conv4": (3, 96, 8, 8), "conv5": (3, 64, 8, 8),
        "pool5": (3, 64, 4, 4), "fc6": (3, 512), "fc7": (3, 512), "fc8": (3, 10)}
    assert (acts["conv1"] >= 0).all() and (acts["fc7"] >= 0).all()  # ReLU outputs


def test_layer_activations_match_the_model(model, images):
    x = images.float() / 255
    acts = layer_activations(model, images, ["conv1", "fc8"], batch_size=2)
    assert list(acts) == ["conv1", "fc8"]
    with torch.no_grad():
        conv1 = model.features[1](model.features[0](model.normalize(x)))
        logits = model(x)
    assert torch.allclose(acts["conv1"], conv1, atol=1e-6)
    assert torch.allclose(acts["fc8"], logits, atol=1e-5)
    assert not any(m._forward_hooks for m in model.modules())  # hooks removed


def test_layer_activations_restores_training_mode_and_rejects_unknown_names(images):
    model = AlexNetCIFAR(width=0.25).train()
    layer_activations(model, images[:1], ["fc7"])
    assert model.training
    with pytest.raises(ValueError, match="unknown layers"):
        layer_activations(model, images, ["conv9"])


def test_as_maps():
    assert as_maps(torch.zeros(7)).shape == (7, 1, 1)
    maps = torch.zeros(2, 3, 3)
    assert as_maps(maps) is maps


def formula(a, neighbour, k, n, alpha, beta):
    return a / (k + alpha * (a**2 + (n - 1) * neighbour**2)) ** beta


PAPER = dict(k=PAPER_LRN["k"], n=PAPER_LRN["size"], alpha=PAPER_LRN["alpha"],
             beta=PAPER_LRN["beta"])


def test_paper_constants_are_the_papers():
    assert PAPER == dict(k=2.0, n=5, alpha=1e-4, beta=0.75)  # section 3.3
    layer = LocalResponseNorm(**PAPER_LRN)
    assert (layer.size, layer.alpha, layer.beta, layer.k) == (5, 1e-4, 0.75, 2.0)


@pytest.mark.parametrize("params", [
    dict(neighbour=0.0, **PAPER),
    dict(neighbour=120.0, **PAPER),
    dict(neighbour=30.0, k=1.0, n=3, alpha=1e-3, beta=0.5),
    dict(neighbour=50.0, k=2.0, n=1, alpha=1e-4, beta=1.0),
])
def test_lrn_response_is_the_formula(params):
    a = torch.linspace(0, 500, 51)
    expected = formula(a, **params)
    assert torch.allclose(lrn_response(a, **params), expected, rtol=1e-5, atol=1e-6)


def test_lrn_response_defaults_to_the_paper_and_peaks_at_200():
    # d/da a (k + alpha a^2)^-beta = 0 where alpha a^2 (2 beta - 1) = k: a = 200 for the paper
    a = torch.arange(0.0, 501.0)
    b = lrn_response(a)
    assert torch.equal(b, lrn_response(a, 0.0, **PAPER))
    assert a[b.argmax()].item() == 200.0
    # small activations are only divided by k ** beta
    assert torch.allclose(lrn_response(torch.tensor([1.0])), torch.tensor([2.0**-0.75]),
                          rtol=1e-4)


def test_lrn_damping_counts_units_below_the_constant_gain(images):
    # activations of order one: the window's energy is far below k / alpha, so LRN only
    # rescales by k^-beta and damps nothing
    model = AlexNetCIFAR(width=0.25).eval()
    quiet = lrn_damping(model, images)
    assert set(quiet) == {"norm1", "norm2"}
    assert quiet["norm1"]["active"] > 0 and quiet["norm1"]["damped"] == 0.0
    assert quiet["norm1"]["median_gain"] == pytest.approx(PAPER_LRN["k"] ** -PAPER_LRN["beta"],
                                                          rel=1e-3)
    # conv1 outputs 1000 times larger: alpha * energy is ~1e2 >> k, every active unit damped
    with torch.no_grad():
        model.features[0].weight.mul_(1000)
        model.features[0].bias.fill_(1.0)
    loud = lrn_damping(model, images)
    assert loud["norm1"]["damped"] > 0.9
    assert loud["norm1"]["median_a"] > 1000 * quiet["norm1"]["median_a"] / 10
    assert lrn_damping(AlexNetCIFAR(width=0.25, lrn="none"), images) == {}
