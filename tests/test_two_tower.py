"""The paper's two-GPU split equals the grouped AlexNet with the same weights."""

from __future__ import annotations

import pytest
import torch

from alexnet_lib.book.two_tower import TwoTowerAlexNet
from alexnet_lib.models import AlexNet, count_parameters


@pytest.fixture(scope="module")
def grouped():
    torch.manual_seed(0)
    model = AlexNet(num_classes=11, groups=2)
    # the paper's init (biases of 1) leaves tiny logits; spread the weights so that a
    # mistake in the split would show far above float rounding, and make conv1's outputs
    # large enough for the LRN to bite (as on the paper's 0..255 inputs)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
        model.features[0].weight.normal_(0, 1.0)
    return model


@pytest.fixture(scope="module")
def images():
    return torch.rand(2, 3, 227, 227, generator=torch.Generator().manual_seed(1))


def test_two_towers_equal_the_grouped_model(grouped, images):
    towers = TwoTowerAlexNet.from_grouped(grouped, devices=("cpu", "cpu"), lrn_scope="all")
    assert count_parameters(towers) == count_parameters(grouped)
    grouped.eval()
    towers.eval()
    with torch.no_grad():
        expected, got = grouped(images), towers(images)
    assert got.shape == (2, 11)
    assert expected.abs().max() > 1e-2  # logits large enough for the comparison to mean something
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    # the towers exchanged data at conv3 and the fully connected layers, and, to match the
    # grouped model's LRN over all maps, the two boundary maps at each LRN
    assert towers.exchanges == ["lrn1", "lrn1", "lrn2", "lrn2", "conv3", "conv3",
                                "fc6", "fc6", "fc7", "fc7", "fc8", "fc8", "logits"]


def test_gradients_equal_too(grouped, images):
    towers = TwoTowerAlexNet.from_grouped(grouped, lrn_scope="all")
    for module in (grouped, towers):  # no dropout, so both draw nothing at random
        for m in module.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
    labels = torch.tensor([3, 7])
    for module in (grouped, towers):
        module.train()
        module.zero_grad()
        torch.nn.functional.cross_entropy(module(images), labels).backward()
    fc6 = torch.cat([t.fc6.weight.grad for t in towers.towers])
    torch.testing.assert_close(fc6, grouped.classifier[0].weight.grad, rtol=1e-3, atol=1e-6)
    conv1 = torch.cat([t.conv1.weight.grad for t in towers.towers])
    torch.testing.assert_close(conv1, grouped.features[0].weight.grad, rtol=1e-3, atol=1e-6)
    for m in grouped.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.5


def test_the_papers_towers_normalize_their_own_maps(grouped, images):
    towers = TwoTowerAlexNet.from_grouped(grouped)  # lrn_scope="tower", the paper's
    grouped.eval()
    towers.eval()
    with torch.no_grad():
        expected, got = grouped(images), towers(images)
    # the same weights; only the two maps each side of the boundary are normalized
    # differently, so the outputs are close but not equal
    difference = (got - expected).abs().max()
    assert 1e-3 * expected.abs().max() < difference < 0.2 * expected.abs().max()
    assert towers.exchanges == ["conv3", "conv3", "fc6", "fc6", "fc7", "fc7", "fc8", "fc8",
                                "logits"]


def test_only_the_grouped_model_splits():
    with pytest.raises(ValueError, match="groups=2"):
        TwoTowerAlexNet.from_grouped(AlexNet(num_classes=10, groups=1))
