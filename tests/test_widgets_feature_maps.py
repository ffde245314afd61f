"""The feature-map explorers of chapter 10 (alexnet_lib.widgets): layer names, activations,
the kernel-free explorer's structure and links, and the live explorer's callbacks."""

from __future__ import annotations

import datetime
import io

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from ipywidgets.widgets.widget_link import Link
from PIL import Image
from torch import nn

from alexnet_lib.models import AlexNet, AlexNetCIFAR
from alexnet_lib.widgets import (
    FEATURE_MAP_LAYERS,
    feature_map_explorer,
    feature_map_mosaic,
    image_from_bytes,
    layer_activations,
    live_feature_maps,
    named_layers,
    png_bytes,
)

NAMES = ["conv1", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5",
         "pool5", "fc6", "fc7", "fc8"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return AlexNetCIFAR(width=0.25).eval()


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=g)


@pytest.fixture(scope="module")
def explorer(model, images):
    return feature_map_explorer(model, images, torch.tensor([3, 5, 8]),
                                layers=("conv1", "pool1", "conv5"))


def test_named_layers_follow_the_paper(model):
    layers = named_layers(model)
    assert list(layers) == NAMES
    assert isinstance(layers["conv1"], nn.ReLU) and isinstance(layers["pool5"], nn.MaxPool2d)
    assert isinstance(layers["fc8"], nn.Linear) and layers["fc8"].out_features == 10
    assert list(named_layers(AlexNet())) == NAMES
    no_lrn = named_layers(AlexNetCIFAR(width=0.25, lrn=False))
    assert "norm1" not in no_lrn and "conv1" in no_lrn


def test_layer_activations_shapes(model, images):
    acts = layer_activations(model, images)
    shapes = {name: tuple(a.shape) for name, a in acts.items()}
    assert shapes == {
        "conv1": (3, 24, 32, 32), "norm1": (3, 24, 32, 32), "pool1": (3, 24, 16, 16),
        "conv2": (3, 64, 16, 16), "norm2": (3, 64, 16, 16), "pool2": (3, 64, 8, 8),
        "conv3": (3, 96, 8, 8), "conv4": (3, 96, 8, 8), "conv5": (3, 64, 8, 8),
        "pool5": (3, 64, 4, 4), "fc6": (3, 512), "fc7": (3, 512), "fc8": (3, 10)}
    assert (acts["conv1"] >= 0).all() and (acts["fc7"] >= 0).all()  # ReLU outputs


def test_layer_activations_match_the_model(model, images):
    x = images.float() / 255
    acts = layer_activations(model, images, ["conv1", "fc8"], batch_size=2)
    assert list(acts) == ["conv1", "fc8"]
    with torch.no_grad():
        conv1 = model.features[1](model.features[0](model.normalize(x)))
        logits = model(x)
    assert torch.allclose(acts["conv1"], conv1, atol=1e-6)
    assert torch.allclose(acts["fc8"], logits, atol=1e-5)
    assert not any(m._forward_hooks for m in model.modules())  # hooks removed


def test_layer_activations_restores_training_mode_and_rejects_unknown_names(images):
    model = AlexNetCIFAR(width=0.25).train()
    layer_activations(model, images[:1], ["fc7"])
    assert model.training
    with pytest.raises(ValueError, match="unknown layers"):
        layer_activations(model, images, ["conv9"])


def test_mosaic_tiles_every_channel():
    maps = torch.zeros(5, 4, 4)
    maps[1, 0, 0] = 1.0
    mosaic = feature_map_mosaic(maps, ncols=2, tile=8, gap=1)
    # 3 rows x 2 columns of 8x8 tiles (4x4 maps enlarged twice), 1-pixel gaps
    assert mosaic.shape == (3 * 8 + 2, 2 * 8 + 1, 3) and mosaic.dtype == np.uint8
    bright = mosaic[0:2, 9:11]  # the top-left 2x2 pixels of channel 1
    assert (bright == bright[0, 0]).all() and not (bright[0, 0] == mosaic[0, 0]).all()
    assert (mosaic[8, :] == 255).all()  # a white gap between rows


def test_explorer_structure_and_links(explorer):
    top, maps = explorer.children
    inputs, selectors = top.children
    image_select, layer_select = selectors.children
    assert isinstance(image_select, widgets.Dropdown) and len(image_select.options) == 3
    assert image_select.options[1] == ("image 1: dog", 1)
    assert [label.split(":")[0] for label, _ in layer_select.options] == [
        "conv1", "pool1", "conv5"]
    assert layer_select.options[0][0] == "conv1: 24 maps of 32x32"
    assert isinstance(maps, widgets.Stack) and len(maps.children) == 3
    assert len(inputs.children) == 3
    for inner in maps.children:
        assert isinstance(inner, widgets.Stack) and len(inner.children) == 3
        assert all(isinstance(im, widgets.Image) and im.format == "png" for im in inner.children)
    assert maps.selected_index == 0 and inputs.selected_index == 0
    assert all(inner.selected_index == 0 for inner in maps.children)

    links = {(link.source[0].model_id, link.source[1], link.target[0].model_id, link.target[1])
             for link in explorer.links}
    assert all(isinstance(link, Link) for link in explorer.links)
    expected = {(image_select.model_id, "index", maps.model_id, "selected_index"),
                (image_select.model_id, "index", inputs.model_id, "selected_index")}
    expected |= {(layer_select.model_id, "index", inner.model_id, "selected_index")
                 for inner in maps.children}
    assert links == expected and len(explorer.links) == 2 + 3


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


def test_image_from_bytes_crops_and_resizes():
    picture = np.zeros((40, 80, 3), np.uint8)
    picture[:, 20:60] = (200, 10, 10)  # the centred square is all red
    image = image_from_bytes(png_of(picture))
    assert image.shape == (3, 32, 32) and image.dtype == torch.uint8
    assert (image[0] > 190).all() and (image[1] < 20).all()
    gray = image_from_bytes(png_of(np.full((10, 10), 7, np.uint8)), size=8)
    assert gray.shape == (3, 8, 8)


@pytest.mark.parametrize("data", [b"hello, not an image", b"", png_of(np.zeros((4, 4, 3),
                                                                              np.uint8))[:30]])
def test_image_from_bytes_rejects_what_is_not_an_image(data):
    with pytest.raises(ValueError, match="not an image"):
        image_from_bytes(data)


def test_png_bytes_closes_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
    assert png_bytes(torch.zeros(3, 2, 2, dtype=torch.uint8)).startswith(b"\x89PNG")


def upload(name: str, content: bytes) -> tuple[dict, ...]:
    return ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)},)


def test_live_explorer_redraws_on_every_control(model, images):
    box = live_feature_maps(model, images, torch.tensor([3, 5, 8]))
    top, message, shown_maps = box.children
    shown_input, controls = top.children
    index, layer, uploader = controls.children
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
    uploader.value = upload("square.png", png_of(photo))
    assert message.value.startswith("square.png: the network says")
    shown = shown_maps.value
    uploader.value = upload("notes<1>.txt", b"just text")
    assert "is not an image" in message.value and "notes&lt;1&gt;.txt" in message.value
    assert shown_maps.value == shown  # the last good picture stays
