"""setup_chapter / chapter_footer: the banner every chapter prints first and last.

(These test ``alexnet_lib/book/__init__.py``.)
"""

from __future__ import annotations

import time
import warnings

import pytest
import torch

from alexnet_lib import __version__, precision
from alexnet_lib.book import chapter_footer, setup_chapter
from alexnet_lib.precision import describe

MINUTES = {"smoke": 0.5, "quick": 4, "full": 2}


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_banner_and_returned_info(monkeypatch, capsys, no_gpu):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for smoke on a CPU
        info = setup_chapter(MINUTES)
    out = capsys.readouterr().out
    assert set(info) == {"profile", "device", "precision", "started"}
    assert info["profile"].name == "smoke"
    assert info["device"] == torch.device("cpu")
    assert abs(info["started"] - time.time()) < 60
    assert "profile   smoke (set by ALEXNET_PROFILE)" in out
    assert f"device    cpu ({torch.get_num_threads()} threads)" in out
    assert f"torch {torch.__version__}, alexnet_lib {__version__}" in out
    assert "about 0.5 min for this chapter with the smoke profile" in out
    assert "not results" in out
    assert f"precision {describe(info['precision'])}" in out


@pytest.mark.parametrize("bf16, shown", [(True, "precision bf16 autocast"),
                                         (False, "precision fp32")])
def test_banner_names_the_precision_that_runs(monkeypatch, capsys, no_gpu, bf16, shown):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: (bf16, "test"))
    info = setup_chapter(MINUTES)
    assert info["precision"].name == ("bf16" if bf16 else "fp32")
    assert shown in capsys.readouterr().out


def test_default_profile_is_explained(monkeypatch, capsys, no_gpu):
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    info = setup_chapter(MINUTES)
    out = capsys.readouterr().out
    assert info["profile"].name == "quick"
    assert "default for this machine" in out and "about 4 min" in out


def test_full_without_gpu_warns(monkeypatch, capsys, no_gpu):
    monkeypatch.setenv("ALEXNET_PROFILE", "full")
    with pytest.warns(RuntimeWarning, match="no GPU"):
        info = setup_chapter(MINUTES)
    assert info["profile"].name == "full"
    out = capsys.readouterr().out
    assert "WARNING" in out
    assert "about 2 min for this chapter with the full profile on an H200" in out
    assert "on a Colab T4 about 20 min (estimated, not measured)" in out


def test_missing_estimate(monkeypatch, capsys, no_gpu):
    monkeypatch.setenv("ALEXNET_PROFILE", "quick")
    setup_chapter({"smoke": 1})
    assert "no estimate for the quick profile" in capsys.readouterr().out


def test_footer_prints_wall_time(monkeypatch, capsys, no_gpu):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    info = setup_chapter(MINUTES)
    info["started"] -= 3.0
    assert chapter_footer(info) is None
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("wall time 3.") and last.endswith("(profile smoke, device cpu)")
