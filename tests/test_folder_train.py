"""``python -m alexnet_lib train`` on a folder of photographs, in one process."""

from __future__ import annotations

import json

import pytest
import torch
from folder_images import write_image_folder

from alexnet_lib.__main__ import main
from alexnet_lib.distributed import lr_at, scaled_lr, setup, warmup_epochs
from alexnet_lib.errors import ConfigError
from alexnet_lib.folder_train import (
    PaperRecipe,
    folder_config,
    make_plan,
    run_folder_training,
)

# a small network on small images, so a run takes a second
SMALL = ["--model", "alexnet-cifar", "--no-progress", "--set", "model.width=0.125",
         "--set", "data.image_size=36", "--set", "data.crop_size=32",
         "--set", "data.workers=0", "--set", "recipe.batch_size=8"]


@pytest.fixture
def folder(tmp_path):
    return write_image_folder(tmp_path / "photos")


def test_the_paper_recipe_is_the_default():
    config = folder_config()
    assert config.model.arch == "AlexNet" and config.model.groups == 2
    assert config.model.init == "paper"
    assert (config.data.image_size, config.data.crop_size) == (256, 227)
    r = config.recipe
    assert (r.epochs, r.batch_size, r.lr, r.momentum, r.weight_decay) == (90, 128, 0.01, 0.9, 5e-4)
    assert (r.plateau_factor, r.precision) == (0.1, "auto")
    with pytest.raises(ConfigError, match="unknown field recipe.epoch"):
        folder_config(**{"recipe.epoch": 3})


def test_global_batch_and_learning_rate():
    assert scaled_lr(0.01, 128) == 0.01 and scaled_lr(0.01, 64) == 0.01
    assert scaled_lr(0.01, 1024) == pytest.approx(0.08)
    assert warmup_epochs(128) == 0 and warmup_epochs(256) == 5
    one = make_plan(PaperRecipe(), world_size=1, train_images=1_281_167)
    assert (one.global_batch, one.lr, one.warmup_epochs) == (128, 0.01, 0)
    eight = make_plan(PaperRecipe(), world_size=8, train_images=1_281_167)
    assert (eight.global_batch, eight.lr, eight.warmup_epochs) == (1024, pytest.approx(0.08), 5)
    assert eight.steps_per_epoch == 1252  # 160,146 images per process: 1,251 x 128 + 18
    assert "8 processes x batch 128 = global batch 1024" in eight.describe()
    assert "warmed up from 0.01 over 5 epochs" in eight.describe()
    # the warm-up climbs in equal steps from the paper's rate to the scaled one
    rates = [lr_at(s, 4, 0.01, 0.05) for s in range(6)]
    assert rates == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05, 0.05])


def test_one_process_without_torchrun(monkeypatch):
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    world = setup("cpu")
    assert (world.rank, world.size, world.is_main, world.distributed) == (0, 1, True, False)


def test_train_the_paper_network_at_227(tmp_path, capsys):
    """--model alexnet with the defaults: 256 squares, 227 crops, ten views, two towers."""
    folder = write_image_folder(tmp_path / "big", {"train": 3, "val": 1}, size=(300, 260))
    out = tmp_path / "run"
    code = main(["train", "--model", "alexnet", "--data", f"imagefolder:{folder}",
                 "--out", str(out), "--no-progress", "--set", "data.workers=0",
                 "--set", "recipe.epochs=1", "--set", "recipe.batch_size=3"])
    assert code == 0
    record = json.loads((out / "history.json").read_text())
    assert record["config"]["model"]["arch"] == "AlexNet"
    assert record["config"]["model"]["num_classes"] == 3  # taken from the data
    assert record["parameters"] == 60_965_224 - 4096 * 997 - 997  # fc8 has 3 outputs
    assert record["plan"]["global_batch"] == 3 and record["plan"]["steps_per_epoch"] == 3
    assert record["test"]["images"] == 3
    assert set(record["test"]) >= {"single_top1", "single_top5", "ten_crop_top1",
                                   "ten_crop_top5"}
    assert all(torch.isfinite(torch.tensor(record["history"]["train_loss"])))
    assert str(tmp_path) not in json.dumps(record)  # no machine paths in a record
    printed = capsys.readouterr().out
    assert "crop_size=227" in printed and "ten views top-1" in printed


def test_resume_and_refuse_another_run(folder, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--data", f"imagefolder:{folder}", "--out", str(out), *SMALL]
    assert main([*argv, "--set", "recipe.epochs=2"]) == 0
    first = json.loads((out / "history.json").read_text())
    assert main([*argv, "--set", "recipe.epochs=2"]) == 0  # finished: resumes, trains nothing
    again = json.loads((out / "history.json").read_text())
    assert again["resumed"] and again["history"]["val_top1"] == first["history"]["val_top1"]
    assert "resuming from" in capsys.readouterr().out
    assert main([*argv, "--set", "recipe.epochs=3", "--set", "recipe.lr=0.02"]) == 1
    assert "belongs to another run" in capsys.readouterr().err


def test_resumed_with_dataloader_workers_ends_where_an_uninterrupted_run_ends(folder, tmp_path):
    class Interrupt(Exception):
        pass

    def stop_after_one(history):
        if len(history["epoch"]) == 1:
            raise Interrupt

    config = folder_config("alexnet-cifar", **{
        "model.width": 0.125, "data.image_size": 36, "data.crop_size": 32,
        "data.workers": 1, "recipe.batch_size": 8, "recipe.epochs": 2})
    whole = run_folder_training(config, tmp_path / "whole", "imagefolder", folder,
                                device="cpu", progress=False, log=lambda _: None)
    with pytest.raises(Interrupt):
        run_folder_training(config, tmp_path / "parts", "imagefolder", folder, device="cpu",
                            progress=False, callback=stop_after_one, log=lambda _: None)
    assert [p.name for p in (tmp_path / "parts").iterdir()] == ["checkpoint.pt"]
    parts = run_folder_training(config, tmp_path / "parts", "imagefolder", folder,
                                device="cpu", progress=False, log=lambda _: None)
    assert parts["resumed"] and not whole["resumed"]
    for key in ("train_loss", "train_top1", "val_top1", "lr"):
        assert parts["history"][key] == whole["history"][key], key
    assert parts["test"] == whole["test"]


def test_option_errors(folder, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--model", "alexnet", "--out", str(tmp_path / "o")])
    assert info.value.code == 2 and "takes 227x227 photographs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--profile", "smoke", "--data", f"imagefolder:{folder}",
              "--out", str(tmp_path / "o")])
    assert "--profile sizes CIFAR-10 runs" in capsys.readouterr().err


def test_missing_folder_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--data", f"imagefolder:{tmp_path / 'nowhere'}", "--out", str(out),
                 *SMALL])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {tmp_path / 'nowhere'} does not exist")
    assert "Traceback" not in err and not out.exists()


def test_unreadable_image_stops_the_run_cleanly(folder, tmp_path, capsys):
    bad = folder / "train" / "fox" / "fox_002.jpg"
    bad.write_bytes(bad.read_bytes()[:200])  # a truncated JPEG
    out = tmp_path / "run"
    code = main(["train", "--data", f"imagefolder:{folder}", "--out", str(out), *SMALL,
                 "--set", "data.workers=1"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {bad} cannot be read as an image")
    assert "Traceback" not in err
    # nothing half-written: no record, no temporary files
    assert not (out / "history.json").exists() and not list(out.glob("*.tmp"))
