"""The LRN explorer of chapter 04 (alexnet_lib.widgets.lrn_explorer): the curve it draws is
the paper's formula computed by the library's layer, and every slider redraws it."""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib
import pytest
import torch
from PIL import Image

from alexnet_lib.widgets import LRN_PAPER, lrn_curve_figure, lrn_explorer, lrn_response

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def formula(a, neighbour, k, n, alpha, beta):
    return a / (k + alpha * (a**2 + (n - 1) * neighbour**2)) ** beta


@pytest.fixture(scope="module")
def explorer():
    return lrn_explorer()


@pytest.mark.parametrize("params", [
    dict(neighbour=0.0, **LRN_PAPER),
    dict(neighbour=120.0, **LRN_PAPER),
    dict(neighbour=30.0, k=1.0, n=3, alpha=1e-3, beta=0.5),
    dict(neighbour=50.0, k=2.0, n=1, alpha=1e-4, beta=1.0),
])
def test_lrn_response_is_the_formula(params):
    a = torch.linspace(0, 500, 51)
    expected = formula(a, **params)
    assert torch.allclose(lrn_response(a, **params), expected, rtol=1e-5, atol=1e-6)


def test_paper_constants_peak_at_200():
    # d/da a (k + alpha a^2)^-beta = 0 where alpha a^2 (2 beta - 1) = k: a = 200 for the paper
    a = torch.arange(0.0, 501.0)
    b = lrn_response(a, **LRN_PAPER)
    assert a[b.argmax()].item() == 200.0
    # small activations are only divided by k ** beta
    assert torch.allclose(lrn_response(torch.tensor([1.0]), **LRN_PAPER),
                          torch.tensor([2.0**-0.75]), rtol=1e-4)


def test_curve_figure_draws_both_curves():
    fig = lrn_curve_figure(k=4.0, neighbour=100.0)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    paper, mine = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
    assert len(paper) == len(mine) == 201
    assert (mine[1:] < paper[1:]).all()  # a larger k divides by more
    assert "energy 4e+04" in ax.get_title()


def test_explorer_structure(explorer):
    assert isinstance(explorer, widgets.HBox)
    controls, image = explorer.children
    assert controls is explorer.controls and image is explorer.image
    assert isinstance(controls, widgets.interactive) and isinstance(image, widgets.Image)
    sliders = controls.children[:-1]  # interactive's last child is its (unused) Output
    assert [s.description for s in sliders] == ["k", "n", "alpha", "beta", "neighbours"]
    assert [s.value for s in sliders[:4]] == pytest.approx(
        [LRN_PAPER[name] for name in ("k", "n", "alpha", "beta")])
    assert all(not s.continuous_update for s in sliders)


def test_explorer_starts_with_a_curve(explorer):
    data = bytes(explorer.image.value)
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as png:
        assert png.size == (416, 272)


@pytest.mark.parametrize("index, name, value", [
    (0, "k", 4.0), (1, "n", 9), (2, "alpha", 1e-3), (3, "beta", 0.5), (4, "neighbour", 200.0),
])
def test_every_slider_redraws(index, name, value):
    box = lrn_explorer()
    before = bytes(box.image.value)
    box.controls.children[index].value = value
    after = bytes(box.image.value)
    assert after.startswith(PNG_MAGIC) and after != before
    assert box.controls.kwargs[name] == pytest.approx(value)
