import os
import pickle

import pytest
import torch

from alexnet_lib.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from alexnet_lib.errors import UserError
from alexnet_lib.models import AlexNetCIFAR


def small_model():
    return AlexNetCIFAR(width=0.125, lrn=False)


def test_checkpoint_round_trip(tmp_path):
    model = small_model()
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
    model = small_model()
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


def test_the_model_goes_where_map_location_says(tmp_path):
    """The weights and the model itself: "meta" is a second device on any machine."""
    path = save_checkpoint(tmp_path / "ck.pt", small_model())
    model, state = load_checkpoint(path, map_location="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert {b.device.type for b in model.buffers()} == {"meta"}
    model, _ = load_checkpoint(path, map_location=torch.device("cpu"))
    assert {p.device.type for p in model.parameters()} == {"cpu"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_the_model_goes_to_the_gpu_when_asked(tmp_path):
    path = save_checkpoint(tmp_path / "ck.pt", small_model())
    model, _ = load_checkpoint(path, map_location="cuda")
    assert {p.device.type for p in model.parameters()} == {"cuda"}


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def refused(path, *fragments):
    """Load ``path``; assert one user-facing error naming it as given, with ``fragments``."""
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert isinstance(err.value, UserError)
    assert message.startswith(f"{path} ") and "\n" not in message
    assert "a checkpoint written by alexnet_lib" in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_a_text_file_is_not_a_checkpoint(tmp_path, monkeypatch):
    """What a new user tries first: before, a bare ``KeyError: 101`` from inside torch."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.pt").write_text("not a checkpoint\n")
    message = refused("bad.pt", "not a readable PyTorch file")
    assert str(tmp_path) not in message  # the path as the user typed it


def test_a_truncated_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = save_checkpoint("runs/ck.pt", small_model())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused("runs/ck.pt", "truncated")


def test_a_missing_file_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused("nowhere.pt", "does not exist")
    (tmp_path / "runs").mkdir()
    refused("runs", "cannot be read")


def test_a_hostile_pickle_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("evil.pt", "wb") as f:
        pickle.dump({"model_config": {"name": "AlexNetCIFAR"}, "x": Exploit()}, f, protocol=2)
    torch.save({"model": Exploit()}, "evil2.pt")
    refused("evil.pt", "refused")
    refused("evil2.pt", "refused")
    assert not (tmp_path / "pwned").exists()


def test_a_torchvision_state_dict_is_foreign(tmp_path):
    from torchvision.models import squeezenet1_1

    path = tmp_path / "squeezenet.pth"
    torch.save(squeezenet1_1().state_dict(), path)  # what torchvision's weights files hold
    refused(path, "not the 'model_config' and 'model' entries", "'features.0.weight'")


def test_other_files_torch_can_read_are_foreign(tmp_path):
    torch.save({"epoch": 3}, tmp_path / "a.pt")
    refused(tmp_path / "a.pt", "a dict with keys 'epoch'")
    torch.save([torch.zeros(2)], tmp_path / "b.pt")
    refused(tmp_path / "b.pt", "a list")


def test_a_checkpoint_of_another_model_or_shape(tmp_path):
    state = {"model_config": {"name": "VGG"}, "model": {}}
    torch.save(state, tmp_path / "vgg.pt")
    refused(tmp_path / "vgg.pt", "cannot rebuild", "model.arch='VGG'")
    model = small_model()
    state = {"model_config": dict(model.config, width=0.25), "model": model.state_dict()}
    torch.save(state, tmp_path / "shape.pt")
    refused(tmp_path / "shape.pt", "cannot rebuild")
