"""The feature-map explorers of chapter 10 (alexnet_lib.book.widgets): the kernel-free
explorer's structure and links, and the live explorer's callbacks, under the installed
ipywidgets (8 here, 7.7.1 in .ci/colab-like.sh)."""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import pytest
import test_inspection
import torch
from ipywidgets.widgets.widget_link import Link
from PIL import Image
from test_widgets_compat import shown, simulate_upload

from alexnet_lib.book import widgets as lib_widgets
from alexnet_lib.book.inspection import FEATURE_MAP_LAYERS
from alexnet_lib.book.widgets import feature_map_explorer, live_feature_maps

model, images = test_inspection.model, test_inspection.images  # the same fixtures


@pytest.fixture(scope="module")
def explorer(model, images):
    return feature_map_explorer(model, images, torch.tensor([3, 5, 8]),
                                layers=("conv1", "pool1", "conv5"))


def test_explorer_structure_and_links(explorer):
    top, maps = explorer.children
    inputs, selectors = top.children
    image_select, layer_select = selectors.children
    assert explorer.controls == (image_select, layer_select)
    assert explorer.views == (inputs, maps)
    assert isinstance(image_select, widgets.Dropdown) and len(image_select.options) == 3
    assert image_select.options[1] == ("image 1: dog", 1)
    assert [label.split(":")[0] for label, _ in layer_select.options] == [
        "conv1", "pool1", "conv5"]
    assert layer_select.options[0][0] == "conv1: 24 maps of 32x32"
    assert len(maps.children) == 3
    assert len(inputs.children) == 3
    for inner in maps.children:
        assert len(inner.children) == 3
        assert all(isinstance(im, widgets.Image) and im.format == "png" for im in inner.children)
    assert maps.selected_index == 0 and inputs.selected_index == 0
    assert all(inner.selected_index == 0 for inner in maps.children)

    links = {(link.source[0].model_id, link.source[1], link.target[0].model_id, link.target[1])
             for link in explorer.links}
    expected = {(image_select.model_id, "index", maps.model_id, "selected_index"),
                (image_select.model_id, "index", inputs.model_id, "selected_index")}
    expected |= {(layer_select.model_id, "index", inner.model_id, "selected_index")
                 for inner in maps.children}
    assert links == expected and len(explorer.links) == 2 + 3
    assert shown(maps) == [0] and shown(inputs) == [0]
    if lib_widgets.STACK_IN_BROWSER:  # ipywidgets 8: what the built HTML page needs
        assert isinstance(maps, widgets.Stack) and isinstance(inputs, widgets.Stack)
        assert all(isinstance(link, Link) for link in explorer.links)


def test_explorer_switches_in_the_kernel_without_stack(model, images, monkeypatch):
    # what ipywidgets 7 (Colab) gets: kernel-side links and a box that hides all but one
    monkeypatch.setattr(lib_widgets, "STACK_IN_BROWSER", False)
    box = feature_map_explorer(model, images[:2], layers=("conv1", "pool1"), ncols=4, tile=8)
    image_select, layer_select = box.controls
    inputs, maps = box.views
    image_select.value, layer_select.value = 1, 1
    assert shown(inputs) == [1] and shown(maps) == [1]
    assert shown(maps.children[1]) == [1] and shown(maps.children[0]) == [1]


def test_explorer_images_differ_between_layers_and_images(explorer):
    maps = explorer.children[1]
    pngs = [[bytes(im.value) for im in inner.children] for inner in maps.children]
    assert all(p.startswith(b"\x89PNG") for row in pngs for p in row)
    assert pngs[0][0] != pngs[0][1]  # same image, two layers
    assert pngs[0][0] != pngs[1][0]  # same layer, two images
    assert len({p for row in pngs for p in row}) == 9
    # one mosaic tile per channel: conv1 has 24 maps of 32x32, enlarged to 64 pixels
    conv1 = Image.open(io.BytesIO(pngs[0][0]))
    assert conv1.size == (12 * 64 + 11 * 2, 2 * 64 + 2)


def test_explorer_default_layers(model, images):
    box = feature_map_explorer(model, images[:1])
    assert len(box.children[1].children[0].children) == len(FEATURE_MAP_LAYERS)
    assert box.children[0].children[1].children[0].options == (("image 0", 0),)


def png_of(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="png")
    return buffer.getvalue()


def test_live_explorer_redraws_on_every_control(model, images):
    box = live_feature_maps(model, images, torch.tensor([3, 5, 8]))
    top, message, shown_maps = box.children
    shown_input, controls = top.children
    index, layer, uploader = controls.children
    assert box.controls == (index, layer, uploader)
    assert box.views == (shown_input, message, shown_maps) and box.links == []
    assert isinstance(uploader, widgets.FileUpload) and index.max == 2
    assert message.value.startswith("image 0 (cat): the network says")
    first = shown_maps.value
    layer.value = "pool1"
    assert shown_maps.value != first and "pool1 has 24 maps of 16x16" in message.value
    before = shown_input.value
    index.value = 1
    assert shown_input.value != before and message.value.startswith("image 1 (dog)")

    photo = np.zeros((50, 50, 3), np.uint8)
    photo[10:40, 10:40] = 255
    simulate_upload(uploader, "square.png", png_of(photo))
    assert message.value.startswith("square.png: the network says")
    last = shown_maps.value
    simulate_upload(uploader, "notes<1>.txt", b"just text")
    assert "is not an image" in message.value and "notes&lt;1&gt;.txt" in message.value
    assert shown_maps.value == last  # the last good picture stays


def test_maps_shrink_to_the_column_without_sticking_out(model, images, explorer):
    # ipywidgets gives every widget a 2 px margin; a full-width picture with it sticks
    # out of its box by 4 px and the box scrolls (found by tests_book's overflow test)
    live = live_feature_maps(model, images[:1])
    pictures = [im for inner in explorer.children[1].children for im in inner.children]
    pictures.append(live.children[2])
    for picture in pictures:
        assert picture.layout.max_width == "100%" and picture.layout.margin == "0"
