import os
import pickle

import pytest
import torch
from torch import nn

from alexnet_lib.layers import LocalResponseNorm
from alexnet_lib.models import (
    AlexNet,
    AlexNetCIFAR,
    build_model,
    count_parameters,
    load_checkpoint,
    save_checkpoint,
)


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
    {}, {"activation": "tanh"}, {"lrn": False}, {"overlap_pool": False}, {"dropout": 0.0},
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


def test_checkpoint_round_trip(tmp_path):
    model = AlexNetCIFAR(width=0.125, lrn=False)
    model.normalize.set_stats([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    path = save_checkpoint(tmp_path / "ck.pt", model, opt, epoch=3,
                           history={"val_acc": [0.1, 0.2]}, config={"seed": 1})
    loaded, state = load_checkpoint(path)
    assert isinstance(loaded, AlexNetCIFAR) and loaded.config == model.config
    assert state["epoch"] == 3 and state["history"] == {"val_acc": [0.1, 0.2]}
    x = torch.rand(3, 3, 32, 32)
    assert torch.equal(loaded.eval()(x), model.eval()(x))
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]  # no temp file left


def test_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    model = AlexNetCIFAR(width=0.125)
    path = save_checkpoint(tmp_path / "ck.pt", model, epoch=1)
    before = path.read_bytes()

    def broken_save(obj, f):
        with open(f, "wb") as fh:
            fh.write(b"half a checkpo")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, model, epoch=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_untrusted_checkpoint_is_not_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"model_config": {"name": "AlexNetCIFAR"}, "x": Exploit()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_build_model_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown model"):
        build_model({"name": "VGG"})
