"""Data parallelism on the CPU: two processes (gloo), as ``torchrun`` would start them.

The ranks are started by ``torch.multiprocessing.spawn`` with the environment torchrun
gives (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, the rendezvous address), and one test
runs ``torchrun`` itself on the command line.
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
from alexnet_lib.folder_train import folder_config, run_folder_training

# a small network on small images, two processes on two CPU cores
BASE = {"model.width": 0.125, "data.image_size": 36, "data.crop_size": 32,
        "data.workers": 0, "data.stats_images": 24}
# nothing random but the order of the images: no crops, mirrors, lighting or dropout
PLAIN = {**BASE, "data.image_size": 32, "data.flip": False, "data.lighting": 0.0,
         "model.dropout": 0.0, "recipe.precision": "fp32", "recipe.epochs": 1}


class Interrupt(Exception):
    """Stands for a Ctrl-C or a lost machine after an epoch."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank, world, port, config, folder, out, writes, stop_after):
    """One process of a data-parallel run, started as torchrun would start it."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(world))
    torch.set_num_threads(1)
    import alexnet_lib.folder_train as folder_train

    def logged(write):  # note which rank writes which file, then write it
        def wrapper(path, *args, **kwargs):
            with open(Path(writes) / f"rank{rank}.txt", "a") as f:
                f.write(Path(path).name + "\n")
            return write(path, *args, **kwargs)
        return wrapper

    folder_train.save_checkpoint = logged(folder_train.save_checkpoint)
    folder_train.write_json_atomically = logged(folder_train.write_json_atomically)

    def callback(history):
        if stop_after and len(history["epoch"]) == stop_after:
            raise Interrupt

    try:
        run_folder_training(config, out, "imagefolder", folder, device="cpu",
                            progress=False, callback=callback, log=lambda _: None)
    except Interrupt:
        pass


def spawn_run(config, folder, out, writes, stop_after=0, world=2):
    Path(writes).mkdir(parents=True, exist_ok=True)
    mp.spawn(_rank, args=(world, free_port(), config, folder, out, writes, stop_after),
             nprocs=world, join=True)


def weights(path):
    return read_checkpoint(path)["model"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_image_folder(tmp_path_factory.mktemp("photos"), {"train": 8, "val": 3})


def test_two_ranks_of_batch_b_equal_one_process_of_batch_2b(folder, tmp_path):
    two = folder_config("alexnet-cifar", **PLAIN, **{"recipe.batch_size": 4})
    spawn_run(two, folder, tmp_path / "two", tmp_path / "writes")
    one = folder_config("alexnet-cifar", **PLAIN, **{"recipe.batch_size": 8})
    run_folder_training(one, tmp_path / "one", "imagefolder", folder, device="cpu",
                        progress=False, log=lambda _: None)
    a, b = weights(tmp_path / "two" / "checkpoint.pt"), weights(tmp_path / "one" / "checkpoint.pt")
    two_record = json.loads((tmp_path / "two" / "history.json").read_text())
    one_record = json.loads((tmp_path / "one" / "history.json").read_text())
    assert two_record["plan"]["global_batch"] == one_record["plan"]["global_batch"] == 8
    assert two_record["plan"]["steps_per_epoch"] == one_record["plan"]["steps_per_epoch"] == 3
    moved = 0
    for name in b:
        assert torch.allclose(a[name], b[name], rtol=1e-4, atol=1e-6), name
        moved += not torch.equal(b[name], folder_config("alexnet-cifar", **PLAIN)
                                 .build_model().state_dict()[name])
    assert moved > 0  # the three steps did change the weights
    # rank 0 alone wrote: one checkpoint, then the record
    assert sorted(p.name for p in (tmp_path / "writes").iterdir()) == ["rank0.txt"]
    assert (tmp_path / "writes" / "rank0.txt").read_text().split() == [
        "checkpoint.pt", "history.json"]


def test_an_interrupted_run_resumes_and_ends_where_an_uninterrupted_one_ends(folder, tmp_path):
    # crops, mirrors, lighting and dropout all on (no DataLoader workers: in processes
    # that mp.spawn starts they start slowly; test_folder_train resumes with workers)
    config = folder_config("alexnet-cifar", **{**BASE, "recipe.epochs": 2,
                                               "recipe.batch_size": 4})
    spawn_run(config, folder, tmp_path / "whole", tmp_path / "w1")
    spawn_run(config, folder, tmp_path / "parts", tmp_path / "w2", stop_after=1)
    # interrupted after epoch 1: its checkpoint, no record, nothing half-written
    assert read_checkpoint(tmp_path / "parts" / "checkpoint.pt")["epoch"] == 1
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["checkpoint.pt"]
    spawn_run(config, folder, tmp_path / "parts", tmp_path / "w3")
    whole = json.loads((tmp_path / "whole" / "history.json").read_text())
    parts = json.loads((tmp_path / "parts" / "history.json").read_text())
    assert parts["resumed"] and not whole["resumed"]
    for key in ("train_loss", "train_top1", "val_top1", "lr"):
        assert parts["history"][key] == whole["history"][key], key
    assert parts["test"] == whole["test"]
    a = weights(tmp_path / "whole" / "checkpoint.pt")
    b = weights(tmp_path / "parts" / "checkpoint.pt")
    assert all(torch.equal(a[name], b[name]) for name in a)
    for w in ("w1", "w2", "w3"):  # only rank 0 ever wrote
        assert [p.name for p in (tmp_path / w).iterdir()] == ["rank0.txt"]


def torchrun() -> list[str]:
    """The torchrun beside this interpreter (the venv's), else torch.distributed.run."""
    script = Path(sys.executable).parent / "torchrun"
    found = str(script) if script.is_file() else shutil.which("torchrun")
    return [found] if found else [sys.executable, "-m", "torch.distributed.run"]


def test_torchrun_two_processes_on_the_command_line(folder, tmp_path):
    out = tmp_path / "run"
    command = [*torchrun(), "--standalone", "--nproc-per-node", "2", "-m", "alexnet_lib",
               "train", "--model", "alexnet-cifar", "--data", f"imagefolder:{folder}",
               "--out", str(out), "--no-progress", "--set", "model.width=0.125",
               "--set", "data.image_size=36", "--set", "data.crop_size=32",
               "--set", "data.workers=1", "--set", "recipe.epochs=2",
               "--set", "recipe.batch_size=4"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes x batch 4 = global batch 8" in done.stdout
    assert done.stdout.count("val top-1") == 3  # two epochs and the end, from rank 0 only
    record = json.loads((out / "history.json").read_text())
    assert record["plan"]["world_size"] == 2 and len(record["history"]["epoch"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "history.json"]
