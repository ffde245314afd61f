"""The LRN explorer of chapter 04 (alexnet_lib.book.widgets.lrn_explorer): it starts at the
paper's constants with a curve drawn, and every slider redraws it. The curve itself
(viz.lrn_curve_figure) and the formula (inspection.lrn_response) are tested in
test_viz.py and test_inspection.py."""

from __future__ import annotations

import io

import ipywidgets as widgets
import pytest
from PIL import Image

from alexnet_lib.book.widgets import lrn_explorer
from alexnet_lib.layers import PAPER_LRN

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def explorer():
    return lrn_explorer()


def test_explorer_structure(explorer):
    assert isinstance(explorer, widgets.HBox)
    interactive, image = explorer.children
    assert isinstance(interactive, widgets.interactive) and isinstance(image, widgets.Image)
    assert explorer.views == (image,) and explorer.links == []
    sliders = explorer.controls
    assert sliders == interactive.children[:-1]  # interactive's last child: its Output
    assert [s.description for s in sliders] == ["k", "n", "alpha", "beta", "neighbours"]
    assert [s.value for s in sliders[:4]] == pytest.approx(
        [PAPER_LRN[name] for name in ("k", "size", "alpha", "beta")])
    assert all(not s.continuous_update for s in sliders)


def test_explorer_starts_with_a_curve(explorer):
    data = bytes(explorer.views[0].value)
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as png:
        assert png.size == (416, 272)


@pytest.mark.parametrize("index, name, value", [
    (0, "k", 4.0), (1, "n", 9), (2, "alpha", 1e-3), (3, "beta", 0.5), (4, "neighbour", 200.0),
])
def test_every_slider_redraws(index, name, value):
    box = lrn_explorer()
    before = bytes(box.views[0].value)
    box.controls[index].value = value
    after = bytes(box.views[0].value)
    assert after.startswith(PNG_MAGIC) and after != before
    assert box.children[0].kwargs[name] == pytest.approx(value)


def test_explorer_layout_keeps_every_readout_visible(explorer):
    # squeezed beside the 416-pixel picture the sliders' readouts were clipped ("2.(" for
    # 2.00): each slider keeps a width that holds label, track and readout, and the box
    # wraps the picture below the sliders where the two do not fit side by side
    interactive, _image = explorer.children
    assert all(s.layout.width == "360px" for s in explorer.controls)
    assert all(s.style.description_width == "80px" for s in explorer.controls)
    assert interactive.layout.flex == "0 0 auto"
    assert explorer.layout.flex_flow == "row wrap"
