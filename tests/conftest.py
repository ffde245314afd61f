"""Fixtures shared by the unit tests: the tiny dataset on disk and a profile sized for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fake_cifar import write_cifar

from alexnet_lib.config import DataConfig, ModelConfig, Recipe, RunConfig
from alexnet_lib.data import VERIFY_ENV


@pytest.fixture
def cifar_root(tmp_path, monkeypatch) -> Path:
    """A folder holding a tiny ``cifar-10-batches-py/``; pass it as ``root``.

    Its files match no known copy of CIFAR-10, so the test opts out of the loader's md5
    check explicitly (``ALEXNET_CIFAR10_VERIFY=0``, for the library and the CLI alike).
    """
    write_cifar(tmp_path / "data")
    monkeypatch.setenv(VERIFY_ENV, "0")
    return tmp_path / "data"


@pytest.fixture
def tiny_profile() -> RunConfig:
    return RunConfig("tiny", ModelConfig(width=0.125),
                     DataConfig(train_size=None, val_size=40, test_size=None),
                     Recipe(epochs=3, batch_size=20, lr=0.01, warmup_fraction=0.2))


@pytest.fixture(autouse=True)
def _fast_and_seeded():
    torch.manual_seed(0)
    yield
