"""Data parallelism on the CPU: two processes (gloo), as ``torchrun`` would start them.

The ranks are started by ``torch.multiprocessing.spawn`` with the environment torchrun
gives (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, the rendezvous address), and one test
runs ``torchrun`` itself on the command line. Every run is ``run.run_training``, the one
engine, for CIFAR-10 and for folders of photographs alike.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from folder_images import write_image_folder

from alexnet_lib.checkpoint import read_checkpoint
from alexnet_lib.config import get_profile
from alexnet_lib.distributed import setup
from alexnet_lib.models import build_model
from alexnet_lib.run import run_training

# nothing random but the order of the images: no crops, mirrors, lighting or dropout, and
# fp32, so that 2 ranks x batch b and 1 process x batch 2b differ only in rounding
PLAIN = {"data.flip": False, "data.lighting": 0.0, "model.dropout": 0.0,
         "recipe.precision": "fp32", "recipe.epochs": 1}
# a small network on small photographs, two processes on two CPU cores
FOLDER = {"model.arch": "AlexNetCIFAR", "model.width": 0.125, "data.image_size": 36,
          "data.crop_size": 32, "data.workers": 0, "data.stats_images": 24}


class Interrupt(Exception):
    """Stands for a Ctrl-C or a lost machine after an epoch."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank, world, port, config, out, writes, stop_after):
    """One process of a data-parallel run, started as torchrun would start it."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(world))
    torch.set_num_threads(1)
    import alexnet_lib.run as run_module
    import alexnet_lib.train as train_module

    def logged(write):  # note which rank writes which file, then write it
        def wrapper(path, *args, **kwargs):
            with open(Path(writes) / f"rank{rank}.txt", "a") as f:
                f.write(Path(path).name + "\n")
            return write(path, *args, **kwargs)
        return wrapper

    train_module.save_checkpoint = logged(train_module.save_checkpoint)
    run_module.write_json_atomically = logged(run_module.write_json_atomically)
    real_fit = run_module.fit

    def fit(*args, **kwargs):
        def callback(history):
            if stop_after and len(history["epoch"]) == stop_after:
                raise Interrupt
        return real_fit(*args, callback=callback, **kwargs)

    run_module.fit = fit
    try:
        run_training(config, out, device="cpu", download=False, progress=False,
                     log=lambda _: None)
    except Interrupt:
        pass


@pytest.fixture
def spawn_run(monkeypatch):
    """``spawn_run(config, out, writes, stop_after=0)``: a run of two CPU processes."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # gloo on the CPU, even on a GPU machine

    def run(config, out, writes, stop_after=0, world=2):
        Path(writes).mkdir(parents=True, exist_ok=True)
        mp.spawn(_rank, args=(world, free_port(), config, str(out), str(writes), stop_after),
                 nprocs=world, join=True)

    return run


def weights(path):
    return read_checkpoint(path)["model"]


def writers(folder) -> dict[str, list[str]]:
    """Which files each rank wrote, in order."""
    return {p.stem: p.read_text().split() for p in sorted(Path(folder).iterdir())}


def assert_same_run(two: Path, one: Path, config) -> None:
    """The weights of two runs agree to rounding, and the steps did move them."""
    a, b = weights(two / "checkpoint.pt"), weights(one / "checkpoint.pt")
    start = build_model(config).state_dict()
    moved = 0
    for name in b:
        assert torch.allclose(a[name], b[name], rtol=1e-4, atol=1e-6), name
        moved += not torch.equal(b[name], start[name])
    assert moved > 0


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_image_folder(tmp_path_factory.mktemp("photos"), {"train": 8, "val": 3})


def test_one_process_without_torchrun(monkeypatch):
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    world = setup("cpu")
    assert (world.rank, world.size, world.is_main, world.distributed) == (0, 1, True, False)


@pytest.mark.slow  # starts processes
def test_cifar_two_ranks_of_batch_b_equal_one_process_of_batch_2b(
        cifar_root, tiny_profile, spawn_run, tmp_path):
    # the same learning rate on both sides: the rate is for a global batch of 20
    base = tiny_profile.replace(**{**PLAIN, "data.root": str(cifar_root),
                                   "data.crop_padding": 0, "recipe.reference_batch": 20})
    two = base.replace(**{"recipe.batch_size": 10})
    spawn_run(two, tmp_path / "two", tmp_path / "writes")
    one = base.replace(**{"recipe.batch_size": 20})
    run_training(one, tmp_path / "one", device="cpu", download=False, progress=False,
                 log=lambda _: None)
    two_record = json.loads((tmp_path / "two" / "history.json").read_text())
    one_record = json.loads((tmp_path / "one" / "history.json").read_text())
    assert two_record["world_size"] == 2 and one_record["world_size"] == 1
    for key in ("global_batch", "lr", "steps_per_epoch"):
        assert two_record["plan"][key] == one_record["plan"][key], key
    assert two_record["plan"]["global_batch"] == 20 and two_record["plan"]["steps_per_epoch"] == 8
    assert_same_run(tmp_path / "two", tmp_path / "one", two)
    # evaluation shares the images out and sums the counts: the same accuracies
    assert two_record["history"]["val_acc"] == pytest.approx(one_record["history"]["val_acc"])
    assert two_record["history"]["train_loss"] == pytest.approx(
        one_record["history"]["train_loss"], rel=1e-4)
    # rank 0 alone wrote: one checkpoint, then the record
    assert writers(tmp_path / "writes") == {"rank0": ["checkpoint.pt", "history.json"]}
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["checkpoint.pt",
                                                                     "history.json"]


@pytest.mark.slow  # starts processes
def test_folder_two_ranks_of_batch_b_equal_one_process_of_batch_2b(photos, spawn_run,
                                                                   tmp_path):
    base = get_profile("paper").replace(**{**FOLDER, **PLAIN, "data.root": str(photos),
                                           "data.image_size": 32})  # no crops either
    two = base.replace(**{"recipe.batch_size": 4})
    spawn_run(two, tmp_path / "two", tmp_path / "writes")
    one = base.replace(**{"recipe.batch_size": 8})
    run_training(one, tmp_path / "one", device="cpu", progress=False, log=lambda _: None)
    two_record = json.loads((tmp_path / "two" / "history.json").read_text())
    one_record = json.loads((tmp_path / "one" / "history.json").read_text())
    assert two_record["plan"]["global_batch"] == one_record["plan"]["global_batch"] == 8
    assert two_record["plan"]["steps_per_epoch"] == one_record["plan"]["steps_per_epoch"] == 3
    assert two_record["world_size"] == 2
    assert_same_run(tmp_path / "two", tmp_path / "one",
                    two.replace(**{"model.num_classes": 3}))
    assert writers(tmp_path / "writes") == {"rank0": ["checkpoint.pt", "history.json"]}


@pytest.mark.slow  # starts processes
def test_an_interrupted_run_resumes_and_ends_where_an_uninterrupted_one_ends(
        photos, spawn_run, tmp_path):
    # crops, mirrors, lighting and dropout all on (no DataLoader workers: in processes
    # that mp.spawn starts they start slowly; test_train resumes with workers)
    config = get_profile("paper").replace(**{**FOLDER, "data.root": str(photos),
                                             "recipe.epochs": 2, "recipe.batch_size": 4})
    spawn_run(config, tmp_path / "whole", tmp_path / "w1")
    spawn_run(config, tmp_path / "parts", tmp_path / "w2", stop_after=1)
    # interrupted after epoch 1: its checkpoint, no record, nothing half-written
    assert read_checkpoint(tmp_path / "parts" / "checkpoint.pt")["epoch"] == 1
    assert read_checkpoint(tmp_path / "parts" / "checkpoint.pt")["world_size"] == 2
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["checkpoint.pt"]
    spawn_run(config, tmp_path / "parts", tmp_path / "w3")
    whole = json.loads((tmp_path / "whole" / "history.json").read_text())
    parts = json.loads((tmp_path / "parts" / "history.json").read_text())
    assert parts["resumed"] and not whole["resumed"]
    for key in ("train_loss", "train_acc", "val_acc", "lr"):
        assert parts["history"][key] == whole["history"][key], key
    assert parts["test"] == whole["test"]
    a = weights(tmp_path / "whole" / "checkpoint.pt")
    b = weights(tmp_path / "parts" / "checkpoint.pt")
    assert all(torch.equal(a[name], b[name]) for name in a)
    for w in ("w1", "w2", "w3"):  # only rank 0 ever wrote
        assert list(writers(tmp_path / w)) == ["rank0"]


def torchrun() -> list[str]:
    """The torchrun beside this interpreter (the venv's), else torch.distributed.run."""
    script = Path(sys.executable).parent / "torchrun"
    found = str(script) if script.is_file() else shutil.which("torchrun")
    return [found] if found else [sys.executable, "-m", "torch.distributed.run"]


@pytest.mark.slow  # starts processes
def test_torchrun_two_processes_on_the_command_line(cifar_root, tmp_path):
    out = tmp_path / "run"
    command = [*torchrun(), "--standalone", "--nproc-per-node", "2", "-m", "alexnet_lib",
               "train", "--profile", "smoke", "--data", str(cifar_root), "--out", str(out),
               "--no-progress", "--no-download", "--set", "model.width=0.125",
               "--set", "recipe.epochs=1", "--set", "recipe.batch_size=10",
               "--set", "data.train_size=160", "--set", "data.val_size=40",
               "--set", "data.test_size=60"]
    # the cifar_root fixture set ALEXNET_CIFAR10_VERIFY=0 for the fake batches
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1",
                               "CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes x batch 10 = global batch 20" in done.stdout
    assert done.stdout.count("test top-1") == 1  # rank 0 alone reports
    record = json.loads((out / "history.json").read_text())
    assert record["world_size"] == 2 and record["plan"]["global_batch"] == 20
    assert len(record["history"]["epoch"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "history.json"]
