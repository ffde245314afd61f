import os
import pickle
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from fake_cifar import PER_BATCH, TEST_SIZE, make_images, write_cifar

from alexnet_lib import augment
from alexnet_lib.config import DataConfig, ModelConfig, Recipe, RunConfig
from alexnet_lib.data import (
    CLASSES,
    KNOWN_COPIES,
    VERIFY_ENV,
    DataError,
    DeviceLoader,
    build_data,
    channel_stats,
    load_cifar10,
    load_splits,
    rgb_pca,
    tensor_batches,
    train_val_split,
    verify_cifar10,
)
from alexnet_lib.data import cifar10 as data_module
from alexnet_lib.data.cifar10 import BatchUnpickler, KnownCopy
from alexnet_lib.data.stats import pixel_moments, statistics_from_moments
from alexnet_lib.distributed import World
from alexnet_lib.rng import stream_seed

REPO = Path(__file__).resolve().parents[1]


def test_load_reads_the_batches_exactly(cifar_root):
    images, labels = load_cifar10(cifar_root, train=True, download=False)
    assert images.shape == (5 * PER_BATCH, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.shape == (5 * PER_BATCH,) and labels.dtype == torch.int64
    first, first_labels = make_images(PER_BATCH, seed=1)
    assert np.array_equal(images[:PER_BATCH].numpy().reshape(PER_BATCH, -1), first)
    assert labels[:PER_BATCH].tolist() == first_labels
    test_images, test_labels = load_cifar10(cifar_root, train=False, download=False)
    assert test_images.shape == (TEST_SIZE, 3, 32, 32) and len(test_labels) == TEST_SIZE


@pytest.mark.skipif(not (REPO / "data" / "cifar-10-batches-py" / "batches.meta").is_file(),
                    reason="no CIFAR-10 in data/")
def test_classes_are_the_archives_label_names_in_order():
    with open(REPO / "data" / "cifar-10-batches-py" / "batches.meta", "rb") as f:
        meta = BatchUnpickler(f, encoding="bytes").load()
    assert [name.decode() for name in meta[b"label_names"]] == list(CLASSES)


def test_a_label_outside_the_ten_classes_is_corrupt(cifar_root):
    path = cifar_root / "cifar-10-batches-py" / "test_batch"
    data, labels = make_images(TEST_SIZE, seed=99)
    labels[5] = len(CLASSES)
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels}, f, protocol=2)
    with pytest.raises(DataError, match="test_batch is truncated or corrupt.*labels outside"):
        load_cifar10(cifar_root, train=False, download=False)


def test_missing_offline_names_folder_and_remedies(tmp_path):
    with pytest.raises(DataError) as err:
        load_cifar10(tmp_path, download=False)
    message = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "download=True" in message and "tar -xzf cifar-10-python.tar.gz" in message
    # no build-machine hints in a reader's error (this project's own machines' scripts)
    assert "prepare.py" not in message and "shared" not in message


def test_messages_name_the_path_as_typed(tmp_path, monkeypatch):
    write_cifar(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "data" / "cifar-10-batches-py" / "data_batch_2"
    path.write_bytes(path.read_bytes()[:500])
    for verify in (True, False):
        with pytest.raises(DataError) as err:
            load_cifar10("data", download=False, verify=verify)
        message = str(err.value)
        assert message.startswith("data/cifar-10-batches-py/data_batch_")  # 1: md5, 2: pickle
        assert str(tmp_path) not in message


def test_failed_download_is_a_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", offline)
    with pytest.raises(DataError, match="download failed.*no network"):
        load_cifar10(tmp_path, download=True)


def test_download_uses_the_md5_checked_original(tmp_path, monkeypatch):
    calls = []

    def fake_download(url, download_root, filename, md5):
        calls.append((url, filename, md5))
        write_cifar(tmp_path)  # what unpacking the archive leaves behind

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", fake_download)
    images, _ = load_cifar10(tmp_path, download=True, verify=False)  # fake batches
    assert calls == [(data_module.URL, "cifar-10-python.tar.gz",
                      "c58f30108f718f92721af3b95e74349a")]
    assert len(images) == 5 * PER_BATCH
    load_cifar10(tmp_path, download=True, verify=False)  # present now: no second download
    assert len(calls) == 1


def test_unknown_files_are_refused_before_unpickling(tmp_path, monkeypatch):
    write_cifar(tmp_path / "data")  # the fake batches: md5s of no known copy
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(VERIFY_ENV, raising=False)
    path = tmp_path / "data" / "cifar-10-batches-py" / "data_batch_1"
    with open(path, "wb") as f:  # a pickle that would run a command when loaded
        pickle.dump({b"data": Exploit()}, f, protocol=2)
    with pytest.raises(DataError) as err:
        load_cifar10("data", download=False)
    message = str(err.value)
    assert message.startswith("data/cifar-10-batches-py/data_batch_1 is not a known copy")
    assert KNOWN_COPIES[0].md5["data_batch_1"] in message and "verify=False" in message
    assert not (tmp_path / "pwned").exists()


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


class OpensAFile:
    """A payload that creates a marker file when unpickled, through a plain builtin."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("payload", ["os.system", "builtins.open"])
def test_a_payload_is_refused_even_unchecked(cifar_root, tmp_path, monkeypatch, payload):
    # the md5 check is off (the fixture sets ALEXNET_CIFAR10_VERIFY=0): the unpickler alone
    # must refuse to build anything but CIFAR-10's dict, lists, strings and arrays
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    bad = Exploit() if payload == "os.system" else OpensAFile(str(marker))
    path = cifar_root / "cifar-10-batches-py" / "data_batch_4"
    data, labels = make_images(PER_BATCH, seed=4)
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels, b"batch_label": bad}, f, protocol=2)
    with pytest.raises(DataError, match=r"data_batch_4 is truncated or corrupt.*refused to build"):
        load_cifar10(cifar_root, download=False)
    assert not marker.exists()
    with pytest.raises(DataError, match="refused to build"):
        load_splits(DataConfig(val_size=40), root=cifar_root, download=False, verify=False)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_the_batches_numpy_writes_in_any_protocol_are_read(cifar_root, protocol):
    path = cifar_root / "cifar-10-batches-py" / "test_batch"
    data, labels = make_images(TEST_SIZE, seed=99)
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels}, f, protocol=protocol)
    images, read = load_cifar10(cifar_root, train=False, download=False)
    assert np.array_equal(images.numpy().reshape(TEST_SIZE, -1), data)
    assert read.tolist() == labels


def test_known_copy_is_read_and_reported(cifar_root, monkeypatch):
    monkeypatch.delenv(VERIFY_ENV)
    folder = cifar_root / "cifar-10-batches-py"
    md5 = {name: verify_md5 for name, verify_md5 in _md5s(folder).items()}
    monkeypatch.setattr(data_module, "KNOWN_COPIES", KNOWN_COPIES + (KnownCopy("fake", "x", md5),))
    assert verify_cifar10(cifar_root, train=False) == "fake"
    splits = load_splits(DataConfig(val_size=40), root=cifar_root, download=False)
    assert splits.copy == "fake" and "copy='fake'" in repr(splits)
    # explicit opt-outs: the parameter and the environment variable (the fixture sets it)
    monkeypatch.setattr(data_module, "KNOWN_COPIES", KNOWN_COPIES)
    with pytest.raises(DataError, match="not a known copy"):
        load_cifar10(cifar_root, download=False)
    load_cifar10(cifar_root, download=False, verify=False)
    monkeypatch.setenv(VERIFY_ENV, "0")
    splits = load_splits(DataConfig(val_size=40), root=cifar_root, download=False)
    assert splits.copy == "unverified"


def test_a_folder_mixing_two_copies_is_refused(cifar_root, monkeypatch):
    md5 = _md5s(cifar_root / "cifar-10-batches-py")
    one = KnownCopy("one", "x", {**md5, "data_batch_2": "0" * 32})
    two = KnownCopy("two", "y", {**md5, "data_batch_1": "0" * 32})
    monkeypatch.setattr(data_module, "KNOWN_COPIES", (one, two))
    with pytest.raises(DataError, match="mixes two copies"):
        load_cifar10(cifar_root, download=False, verify=True)


def _md5s(folder):
    import hashlib

    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest()
            for name in data_module.TRAIN_FILES + data_module.TEST_FILES}


@pytest.mark.skipif(not (REPO / "data" / "cifar-10-batches-py" / "test_batch").is_file(),
                    reason="no CIFAR-10 in data/")
def test_this_machines_copy_is_a_known_one():
    """On the build machines: prepare.py's output is the 'offline-jpeg' copy, byte for byte
    (it writes the same bytes every run); with the original archive, 'original'."""
    assert verify_cifar10(REPO / "data", train=False) in {c.name for c in KNOWN_COPIES}


def test_truncated_batch_names_the_file(cifar_root):
    path = cifar_root / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match="data_batch_3 is truncated or corrupt"):
        load_cifar10(cifar_root, download=False)


def test_wrong_shape_is_corrupt(cifar_root):
    path = cifar_root / "cifar-10-batches-py" / "test_batch"
    with open(path, "wb") as f:
        pickle.dump({b"data": np.zeros((3, 100), np.uint8), b"labels": [0, 1, 2]}, f)
    with pytest.raises(DataError, match="test_batch"):
        load_cifar10(cifar_root, train=False, download=False)


def test_channel_stats_match_numpy():
    images = torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8)
    x = images.numpy().astype(np.float64) / 255
    for chunk in (1024, 7):  # one chunk, and chunks that do not divide the images
        mean, std = channel_stats(images, chunk=chunk)
        assert np.allclose(mean.numpy(), x.mean(axis=(0, 2, 3)), atol=1e-6)
        assert np.allclose(std.numpy(), x.std(axis=(0, 2, 3), ddof=1), atol=1e-6)
    mean, std = channel_stats(torch.from_numpy(x).float())  # floats are already 0..1
    assert np.allclose(mean.numpy(), x.mean(axis=(0, 2, 3)), atol=1e-6)
    assert np.allclose(std.numpy(), x.std(axis=(0, 2, 3), ddof=1), atol=1e-6)


def test_moments_add_up_over_shares_as_the_processes_of_a_run_do():
    images = torch.randint(0, 256, (30, 3, 5, 5), dtype=torch.uint8)
    whole = pixel_moments(images)
    shares = pixel_moments(images[0::2], chunk=4) + pixel_moments(images[1::2], chunk=7)
    assert torch.allclose(whole, shares, rtol=1e-12)
    stats = statistics_from_moments(shares)
    pixels = images.transpose(0, 1).reshape(3, -1).double() / 255
    assert torch.allclose(stats["mean"], pixels.mean(1).float(), atol=1e-6)
    assert torch.allclose(stats["std"], pixels.std(1).float(), atol=1e-6)
    cov = stats["eigvecs"] @ torch.diag(stats["eigvals"]) @ stats["eigvecs"].T
    assert torch.allclose(cov.double(), torch.cov(pixels), atol=1e-6)
    assert torch.all(stats["eigvals"][:-1] >= stats["eigvals"][1:])  # descending


def test_one_pca_for_every_source():
    """data.rgb_pca (runs) and augment.rgb_pca (the chapters) agree, uint8 or floats."""
    images = torch.randint(0, 256, (40, 3, 6, 6), dtype=torch.uint8)
    for x in (images, images.float() / 255):
        ours_vals, ours_vecs = rgb_pca(x)
        their_vals, their_vecs = augment.rgb_pca(x)
        assert torch.allclose(ours_vals, their_vals, rtol=1e-4, atol=1e-7)
        assert torch.allclose((ours_vecs * their_vecs).sum(0).abs(), torch.ones(3), atol=1e-4)


@pytest.mark.slow  # a process of its own, 20,000 images
def test_channel_stats_make_no_float_copy_of_the_images():
    """20,000 CIFAR-sized images: 61 MB as uint8, 490 MB as float64."""
    code = """
import resource, torch
from alexnet_lib.data import channel_stats
images = torch.randint(0, 256, (20000, 3, 32, 32), dtype=torch.uint8)
channel_stats(images[:100])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
channel_stats(images)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    grown = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout)
    assert grown < 100, f"channel_stats grew the peak memory by {grown} MB"


def test_validation_split_is_fixed_disjoint_and_balanced():
    images = torch.arange(1000).view(1000, 1, 1, 1)
    labels = torch.arange(1000) % 10
    (tx, ty), (vx, vy) = train_val_split(images, labels, val_size=100, seed=0)
    (tx2, _), (vx2, _) = train_val_split(images, labels, val_size=100, seed=0)
    assert torch.equal(vx, vx2) and torch.equal(tx, tx2)
    assert len(vx) == 100 and len(tx) == 900
    assert set(vx.flatten().tolist()).isdisjoint(tx.flatten().tolist())
    assert torch.bincount(vy, minlength=10).tolist() == [10] * 10
    assert torch.equal(labels[vx.flatten()], vy) and torch.equal(labels[tx.flatten()], ty)
    (_, _), (vx3, _) = train_val_split(images, labels, val_size=100, seed=1)
    assert not torch.equal(vx, vx3)


def test_validation_split_odd_size_and_errors():
    labels = torch.arange(95) % 10
    (_, ty), (_, vy) = train_val_split(labels.view(-1, 1, 1, 1), labels, val_size=13)
    assert len(vy) == 13 and len(ty) == 82
    with pytest.raises(ValueError):
        train_val_split(labels, labels, val_size=95)


def test_load_splits_takes_the_profile_sizes(cifar_root):
    profile = DataConfig(train_size=100, val_size=40, test_size=30)
    splits = load_splits(profile, root=cifar_root, download=False)
    sizes = len(splits.train_labels), len(splits.val_labels), len(splits.test_labels)
    assert sizes == (100, 40, 30)
    assert splits.mean.shape == (3,) and torch.all(splits.std > 0)


def test_device_loader_shuffles_by_seed_and_epoch():
    images = torch.arange(50, dtype=torch.uint8).view(50, 1, 1, 1).expand(50, 3, 2, 2).clone()
    labels = torch.arange(50)
    loader = DeviceLoader(images, labels, batch_size=8, seed=3)
    assert len(loader) == 6  # drop_last

    def epoch_labels(epoch):
        loader.set_epoch(epoch)
        return torch.cat([y for _, y in loader])

    a, b, a_again = epoch_labels(0), epoch_labels(1), epoch_labels(0)
    assert torch.equal(a, a_again) and not torch.equal(a, b)
    # the order comes from the run's "data" stream, not from the integer dropout uses
    data_stream = torch.Generator().manual_seed(stream_seed(3, "data", 0))
    assert torch.equal(a, torch.randperm(50, generator=data_stream)[:48])
    assert len(set(a.tolist())) == 48  # no repeats within an epoch
    loader.set_epoch(0)
    x, y = next(iter(loader))
    assert x.dtype == torch.float32 and torch.allclose(x[:, 0, 0, 0] * 255, y.float())


def test_device_loader_in_order_keeps_everything_and_augments():
    images = torch.zeros(10, 3, 4, 4, dtype=torch.uint8)
    seen = []

    def augment(x, generator):
        seen.append(generator)
        return x + 1

    loader = DeviceLoader(images, torch.arange(10), 4, shuffle=False, drop_last=False,
                          augment=augment)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert loader.samples_per_epoch == 10 == sum(len(y) for _, y in batches)
    dropping = DeviceLoader(images, torch.arange(10), 4, drop_last=True)
    assert dropping.samples_per_epoch == 8 == sum(len(y) for _, y in dropping)
    assert torch.equal(torch.cat([y for _, y in batches]), torch.arange(10))
    assert all(torch.all(x == 1) for x, _ in batches) and len(seen) == 3


def test_device_loader_wants_uint8():
    with pytest.raises(TypeError):
        DeviceLoader(torch.zeros(4, 3, 2, 2), torch.zeros(4), 2)


def test_two_ranks_share_each_global_batch_and_draw_the_same_order():
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1).expand(40, 3, 2, 2).clone()
    labels = torch.arange(40)
    one = DeviceLoader(images, labels, batch_size=8, seed=5)
    ranks = [DeviceLoader(images, labels, batch_size=4, seed=5, rank=r, world_size=2)
             for r in range(2)]
    assert len(one) == len(ranks[0]) == len(ranks[1]) == 5
    assert ranks[0].global_batch == 8 and ranks[1].samples_per_epoch == 20
    for epoch in (0, 3):
        for loader in (one, *ranks):
            loader.set_epoch(epoch)
        for (_, y), (_, y0), (_, y1) in zip(one, *ranks, strict=True):
            assert torch.equal(y[0::2], y0) and torch.equal(y[1::2], y1)


def test_each_rank_augments_from_its_own_stream():
    images = torch.zeros(16, 3, 2, 2, dtype=torch.uint8)
    draws = {}

    def augment(x, generator):
        draws.setdefault(id(generator), []).append(torch.rand(1, generator=generator).item())
        return x

    for rank in range(2):
        loader = DeviceLoader(images, torch.arange(16), 4, seed=1, rank=rank, world_size=2,
                              augment=augment)
        list(loader)
    first, second = draws.values()
    assert first != second  # the crops and flips of the two shares differ


def test_tensor_batches_share_a_split_exactly():
    images, labels = torch.zeros(11, 3, 2, 2, dtype=torch.uint8), torch.arange(11)
    parts = [tensor_batches(images, labels, 3, rank=r, world_size=2) for r in range(2)]
    seen = sorted(int(v) for part in parts for _, y in part for v in y)
    assert seen == list(range(11))
    assert [len(y) for _, y in tensor_batches(images, labels, 4)] == [4, 4, 3]


def test_build_data_makes_a_cifar_runs_batches_for_each_rank(cifar_root):
    config = RunConfig("tiny", ModelConfig(width=0.125),
                       DataConfig(root=str(cifar_root), val_size=40, train_size=100,
                                  test_size=30),
                       Recipe(batch_size=10))
    data = build_data(config, download=False)
    assert data.sizes == {"train": 100, "val": 40, "test": 30}
    assert data.config == config and data.classes == list(CLASSES) and data.crop_size is None
    assert len(data.train) == 10 and data.train_eval is not None
    assert "CIFAR-10 (unverified): 100 training, 40 validation, 30 test" in data.description
    assert torch.allclose(data.stats["mean"], data.splits.mean)
    assert data.stats["eigvals"].shape == (3,) and data.stats["eigvecs"].shape == (3, 3)
    x, y = next(iter(data.train))
    assert x.shape == (10, 3, 32, 32) and x.dtype == torch.float32
    shares = [build_data(config, World(rank=r, size=2), download=False) for r in range(2)]
    assert [len(s.train) for s in shares] == [5, 5]  # batches of 10 per rank, 20 global
    val = sorted(sum((y.tolist() for s in shares for _, y in s.val), []))
    assert val == sorted(data.splits.val_labels.tolist())
    with pytest.raises(DataError, match="CIFAR-10 not found"):
        build_data(config.replace(**{"data.root": str(cifar_root / "nowhere")}),
                   download=False)
