from dataclasses import asdict

import pytest
import torch
from torch import nn

from alexnet_lib.config import ModelConfig, get_profile
from alexnet_lib.errors import ConfigError
from alexnet_lib.layers import ConstantGain, LocalResponseNorm
from alexnet_lib.models import AlexNet, AlexNetCIFAR, build_model, count_parameters


def test_alexnet_has_the_papers_parameter_count_and_shapes():
    model = AlexNet().eval()
    assert count_parameters(model) == 60_965_224
    x = torch.rand(1, 3, 227, 227)
    sizes = []
    h = model.normalize(x)
    with torch.no_grad():
        for layer in model.features:
            h = layer(h)
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                sizes.append(h.shape[-1])
        assert sizes == [55, 27, 27, 13, 13, 13, 13, 6]
        assert model(x).shape == (1, 1000)


def test_alexnet_groups_are_the_two_gpu_split():
    convs = [m for m in AlexNet().modules() if isinstance(m, nn.Conv2d)]
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
    assert count_parameters(AlexNet(groups=1)) > 60_965_224  # one tower: more weights


def test_alexnet_paper_init():
    model = AlexNet()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [c.bias.mean().item() for c in convs] == [0.0, 1.0, 0.0, 1.0, 1.0]
    assert [lin.bias.mean().item() for lin in linears] == [1.0, 1.0, 0.0]
    assert linears[0].weight.std().item() == pytest.approx(0.01, rel=0.02)


@pytest.mark.parametrize("kwargs", [
    {}, {"activation": "tanh"}, {"lrn": False}, {"lrn": "constant"}, {"overlap_pool": False},
    {"dropout": 0.0}, {"dropout_placement": "torchvision"}, {"input_scale": "paper"},
    {"middle_convs": 2},
    {"width": 0.5}, {"groups": 2}, {"init": "paper"},
])
def test_cifar_model_switches_all_run(kwargs):
    model = AlexNetCIFAR(width=kwargs.pop("width", 0.25), **kwargs)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    assert model(torch.rand(2, 3, 28, 28)).shape == (2, 10)  # paper-style crops too


def test_cifar_switches_change_what_they_say():
    def kinds(model):
        return {type(m) for m in model.modules()}

    assert LocalResponseNorm in kinds(AlexNetCIFAR())
    assert LocalResponseNorm not in kinds(AlexNetCIFAR(lrn=False))
    assert AlexNetCIFAR(lrn=False).config == AlexNetCIFAR(lrn="none").config
    assert ConstantGain in kinds(AlexNetCIFAR(lrn="constant"))
    assert LocalResponseNorm not in kinds(AlexNetCIFAR(lrn="constant"))
    assert nn.Tanh in kinds(AlexNetCIFAR(activation="tanh"))
    assert nn.ReLU not in kinds(AlexNetCIFAR(activation="tanh"))
    pools = [m for m in AlexNetCIFAR(overlap_pool=False).modules() if isinstance(m, nn.MaxPool2d)]
    assert all(p.kernel_size == 2 and p.stride == 2 for p in pools) and len(pools) == 3
    pools = [m for m in AlexNetCIFAR().modules() if isinstance(m, nn.MaxPool2d)]
    assert all(p.kernel_size == 3 and p.stride == 2 for p in pools)
    drops = [m for m in AlexNetCIFAR(dropout=0.3).modules() if isinstance(m, nn.Dropout)]
    assert [d.p for d in drops] == [0.3, 0.3]
    assert count_parameters(AlexNetCIFAR(overlap_pool=False)) == count_parameters(AlexNetCIFAR())
    convs = [m for m in AlexNetCIFAR().modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 256, 384, 384, 256]
    convs = [m for m in AlexNetCIFAR(width=0.5).modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [48, 128, 192, 192, 128]


def test_cifar_model_rejects_unknown_choices():
    with pytest.raises(ValueError, match="activation"):
        AlexNetCIFAR(activation="swish")
    with pytest.raises(ValueError, match="init"):
        AlexNetCIFAR(init="xavier")
    with pytest.raises(ValueError, match="lrn"):
        AlexNetCIFAR(lrn="caffe")
    with pytest.raises(ValueError, match="dropout_placement"):
        AlexNetCIFAR(dropout_placement="before")
    with pytest.raises(ValueError, match="input_scale"):
        AlexNetCIFAR(input_scale="0..1")
    with pytest.raises(ValueError, match="middle_convs"):
        AlexNetCIFAR(middle_convs=1)


@pytest.mark.parametrize("model", [AlexNet(), AlexNetCIFAR(width=0.25)], ids=["AlexNet", "CIFAR"])
def test_dropout_is_on_the_outputs_of_fc6_and_fc7_as_in_the_paper(model):
    # section 4.2 and Caffe's bvlc_alexnet: fc6 -> ReLU -> dropout -> fc7 -> ReLU -> dropout
    # -> fc8; the pooled conv5 features going into fc6 are never dropped
    kinds = [type(m) for m in model.classifier]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]


def test_torchvision_dropout_placement_drops_the_inputs_of_fc6_and_fc7():
    import torchvision

    ours = [type(m) for m in AlexNet(dropout_placement="torchvision").classifier]
    theirs = [type(m) for m in torchvision.models.alexnet().classifier]
    assert ours == theirs == [nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU,
                              nn.Linear]
    # the placement moves no weights: same parameters, same count
    assert count_parameters(AlexNetCIFAR(dropout_placement="torchvision")) == \
        count_parameters(AlexNetCIFAR())


def test_paper_input_scale_is_0_to_255_minus_the_mean():
    model = AlexNetCIFAR(width=0.25, input_scale="paper")
    model.normalize.set_stats((0.5, 0.4, 0.3), (0.2, 0.2, 0.2))  # the std is not used
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)
    assert torch.allclose(model.normalize(x), (x - mean) * 255, atol=1e-4)
    standard = AlexNetCIFAR(width=0.25)
    standard.normalize.set_stats((0.5, 0.4, 0.3), (0.2, 0.2, 0.2))
    assert torch.allclose(standard.normalize(x), (x - mean) / 0.2, atol=1e-5)


def test_paper_scale_init_gives_conv1_the_outputs_of_standardized_inputs():
    # He's rule expects unit-variance inputs; at 0..255 the first layer's weights are
    # divided by the input's std (about 63), so both scales start at the same conv1 scale
    torch.manual_seed(0)
    x = torch.rand(64, 3, 32, 32)
    outs = {}
    for scale in ("standardized", "paper"):
        model = AlexNetCIFAR(width=0.25, input_scale=scale)
        h = model.normalize(x)
        outs[scale] = (h.std().item(), model.features[0](h).std().item())
    assert outs["paper"][0] > 50 * outs["standardized"][0]  # the inputs differ ~255/4 fold
    assert outs["paper"][1] == pytest.approx(outs["standardized"][1], rel=0.3)


def test_shallower_model_drops_conv4():
    convs = [m for m in AlexNetCIFAR(middle_convs=2).modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 256, 384, 256]
    assert count_parameters(AlexNetCIFAR(middle_convs=2)) < count_parameters(AlexNetCIFAR())


@pytest.mark.parametrize("activation, gain", [("relu", 2**0.5), ("tanh", 5 / 3),
                                              ("sigmoid", 1.0)])
def test_kaiming_init_uses_each_activations_own_gain(activation, gain):
    # issue 10, defect 3: sigmoid was given tanh's gain
    model = AlexNetCIFAR(width=1.0, activation=activation)
    conv3 = [m for m in model.modules() if isinstance(m, nn.Conv2d)][2]
    fan_in = conv3.weight[0].numel()
    assert conv3.weight.std().item() == pytest.approx(gain / fan_in**0.5, rel=0.02)


def test_build_model_takes_a_config_or_a_stored_dict():
    config = ModelConfig(width=0.125, lrn="none")
    assert build_model(config).config == AlexNetCIFAR(width=0.125, lrn=False).config
    old = {"name": "AlexNetCIFAR", "num_classes": 10, "activation": "relu", "lrn": True,
           "overlap_pool": True, "dropout": 0.5, "width": 0.125, "groups": 1, "init": "kaiming"}
    assert build_model(old).config["lrn"] == "paper"  # a checkpoint from before RunConfig
    # and from before dropout_placement: the dropout was torchvision's then
    assert build_model(old).config["dropout_placement"] == "torchvision"
    assert isinstance(build_model(old).classifier[0], nn.Dropout)
    assert build_model(ModelConfig(arch="AlexNet", num_classes=1000, groups=2,
                                   init="paper")).config == AlexNet().config


def test_build_model_rejects_unknown_names_and_fields():
    with pytest.raises(ConfigError, match="model.arch='VGG'"):
        build_model({"name": "VGG"})
    with pytest.raises(ConfigError, match="not a model configuration"):
        build_model({"arch": "AlexNetCIFAR", "colour": "blue"})
    # the paper's AlexNet has fewer switches than AlexNetCIFAR: no silent ignoring
    with pytest.raises(ConfigError, match="AlexNet has only"):
        build_model(ModelConfig(arch="AlexNet", num_classes=10, width=0.5))


def same_weights(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in
               zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_a_run_configs_model_is_drawn_from_its_seed_alone():
    config = get_profile("smoke")
    torch.manual_seed(1)
    a = build_model(config)
    torch.manual_seed(2)  # the global generator plays no part...
    b = build_model(config)
    assert a.config == asdict(config.model) and same_weights(a, b)
    assert not same_weights(a, build_model(config.replace(seed=1)))
    # ...and is left as it was
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    build_model(config)
    assert torch.equal(torch.rand(3), expected)
    # a ModelConfig with a seed is the same model as the RunConfig with that seed
    assert same_weights(build_model(config.model, seed=0), a)


def test_a_model_config_without_a_seed_draws_from_torchs_generator():
    config = ModelConfig(width=0.125)
    torch.manual_seed(5)
    a = build_model(config)
    torch.manual_seed(5)
    assert same_weights(a, build_model(config))
    assert not same_weights(a, build_model(config))  # the generator moved on


def test_the_paper_profile_builds_the_papers_network():
    model = build_model(get_profile("paper").replace(**{"model.num_classes": 3}))
    assert isinstance(model, AlexNet) and model.config["groups"] == 2
    assert model.classifier[-1].out_features == 3
    assert count_parameters(model) == 60_965_224 - 4096 * 997 - 997  # fc8 has 3 outputs
