import pickle
import urllib.error

import numpy as np
import pytest
import torch
from fake_cifar import PER_BATCH, TEST_SIZE, make_images, write_cifar

from alexnet_lib import data as data_module
from alexnet_lib.data import (
    CLASSES,
    DataError,
    DeviceLoader,
    channel_stats,
    load_cifar10,
    load_splits,
    train_val_split,
)
from alexnet_lib.config import DataConfig


def test_load_reads_the_batches_exactly(cifar_root):
    images, labels = load_cifar10(cifar_root, train=True, download=False)
    assert images.shape == (5 * PER_BATCH, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.shape == (5 * PER_BATCH,) and labels.dtype == torch.int64
    first, first_labels = make_images(PER_BATCH, seed=1)
    assert np.array_equal(images[:PER_BATCH].numpy().reshape(PER_BATCH, -1), first)
    assert labels[:PER_BATCH].tolist() == first_labels
    test_images, test_labels = load_cifar10(cifar_root, train=False, download=False)
    assert test_images.shape == (TEST_SIZE, 3, 32, 32) and len(test_labels) == TEST_SIZE


def test_classes_are_the_ten_names():
    assert CLASSES[0] == "airplane" and CLASSES[-1] == "truck" and len(CLASSES) == 10


def test_missing_offline_names_folder_and_remedies(tmp_path):
    with pytest.raises(DataError) as err:
        load_cifar10(tmp_path, download=False)
    message = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "prepare.py" in message and "download=True" in message


def test_failed_download_is_a_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", offline)
    with pytest.raises(DataError, match="download failed.*no network"):
        load_cifar10(tmp_path, download=True)


def test_download_uses_the_md5_checked_original(tmp_path, monkeypatch):
    calls = []

    def fake_download(url, download_root, md5):
        calls.append((url, md5))
        write_cifar(tmp_path)  # what unpacking the archive leaves behind

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", fake_download)
    images, _ = load_cifar10(tmp_path, download=True)
    assert calls == [(data_module.URL, "c58f30108f718f92721af3b95e74349a")]
    assert len(images) == 5 * PER_BATCH
    load_cifar10(tmp_path, download=True)  # present now: no second download
    assert len(calls) == 1


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
    mean, std = channel_stats(images)
    x = images.numpy().astype(np.float64) / 255
    assert np.allclose(mean.numpy(), x.mean(axis=(0, 2, 3)), atol=1e-6)
    assert np.allclose(std.numpy(), x.std(axis=(0, 2, 3), ddof=1), atol=1e-6)


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
    assert torch.equal(torch.cat([y for _, y in batches]), torch.arange(10))
    assert all(torch.all(x == 1) for x, _ in batches) and len(seen) == 3


def test_device_loader_wants_uint8():
    with pytest.raises(TypeError):
        DeviceLoader(torch.zeros(4, 3, 2, 2), torch.zeros(4), 2)
