"""model.init_bias: the paper's biases of 1 or Caffe's 0.1 under init="paper"."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from alexnet_lib.config import ModelConfig, RunConfig, get_profile
from alexnet_lib.errors import ConfigError
from alexnet_lib.models import AlexNet, AlexNetCIFAR, build_model


def biases(model: nn.Module) -> list[float]:
    """Each conv and linear layer's bias, which init="paper" makes constant per layer."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert all(m.bias.min() == m.bias.max() for m in layers)
    return [round(m.bias[0].item(), 6) for m in layers]


def test_the_photograph_recipe_takes_caffes_biases_and_can_take_the_papers():
    paper = get_profile("paper").replace(**{"model.num_classes": 10})
    # Caffe's biases, on the 0..255 scale the N(0, 0.01) weights were chosen for
    assert paper.model.init_bias == 0.1 and paper.model.input_scale == "paper"
    # conv2, conv4, conv5, fc6 and fc7 (section 5), the others 0
    assert biases(build_model(paper)) == [0, 0.1, 0, 0.1, 0.1, 0.1, 0.1, 0]
    ones = paper.replace(**{"model.init_bias": "1"})  # as --set model.init_bias=1
    assert biases(build_model(ones)) == [0, 1, 0, 1, 1, 1, 1, 0]
    # the class's own default is the paper's
    assert build_model(ones).config == AlexNet(num_classes=10, input_scale="paper").config
    assert biases(AlexNetCIFAR(width=0.125, init="paper", init_bias=0.5)) == [
        0, 0.5, 0, 0.5, 0.5, 0.5, 0.5, 0]


def test_init_bias_leaves_the_cifar10_profiles_alone():
    for name in ("smoke", "quick", "full"):
        config = get_profile(name)
        assert config.model.init == "kaiming" and config.model.init_bias == 1.0
        assert "init_bias" not in str(config)  # printed only where it acts
    smoke = get_profile("smoke")
    other = smoke.replace(**{"model.init_bias": 0.1})
    a, b = build_model(smoke).state_dict(), build_model(other).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # kaiming: zero biases either way
    assert "init_bias=0.1" in str(get_profile("paper"))


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, True, "0.1"])
def test_a_bad_init_bias_is_one_config_error_naming_it(bad):
    with pytest.raises(ConfigError, match="model.init_bias"):
        ModelConfig(init="paper", init_bias=bad)
    with pytest.raises(ConfigError, match="model.init_bias"):
        get_profile("paper").replace(**{"model.init_bias": "one"})


def test_records_written_before_init_bias_meant_the_papers_biases():
    stored = get_profile("paper").to_dict()
    del stored["model"]["init_bias"]  # a record from before the field existed
    assert RunConfig.from_dict(stored).model.init_bias == 1.0
