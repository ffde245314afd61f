"""The image helpers (alexnet_lib.book.images): tensor to array, enlarging, the one tiling
helper, PNG bytes out and uploaded bytes in."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.utils import make_grid

from alexnet_lib.book.images import (
    enlarge,
    image_from_bytes,
    png_bytes,
    tile_images,
    to_hwc,
    to_uint8,
)


def png_of(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="png")
    return buffer.getvalue()


def test_to_hwc_scales_and_orders_channels():
    image = torch.zeros(3, 2, 2, dtype=torch.uint8)
    image[0] = 255
    out = to_hwc(image)
    assert out.shape == (2, 2, 3) and np.allclose(out[..., 0], 1) and np.allclose(out[..., 1:], 0)
    assert np.array_equal(to_hwc(torch.full((3, 1, 1), 2.0)), np.ones((1, 1, 3)))  # clamped
    g = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8, generator=g)
    assert np.array_equal(to_uint8(pixels), pixels.permute(1, 2, 0).numpy())  # exact


def test_enlarge_repeats_each_pixel():
    x = torch.arange(6).view(1, 2, 3)
    big = enlarge(x, 2)
    assert big.shape == (1, 4, 6)
    assert big[0, :2, :2].eq(0).all() and big[0, 2:, 4:].eq(5).all()
    assert enlarge(torch.zeros(5, 3, 2, 2), 3).shape == (5, 3, 6, 6)


def test_tile_images_is_make_grid_without_its_border():
    images = torch.rand(5, 3, 4, 6)
    grid = tile_images(images, ncols=2, gap=1)
    # 3 rows x 2 columns of 4x6 tiles, 1-pixel gaps between them and none outside
    assert grid.shape == (3, 3 * 4 + 2, 2 * 6 + 1)
    full = make_grid(images, nrow=2, padding=1, pad_value=1.0)
    assert torch.equal(grid, full[:, 1:-1, 1:-1])
    assert torch.equal(grid[:, 5:9, 7:13], images[3])  # row 1, column 1
    assert (grid[:, 4, :] == 1).all() and (grid[:, 10:, 7:] == 1).all()  # gap, empty place


def test_tile_images_edge_cases():
    one = torch.rand(1, 3, 4, 4)
    assert torch.equal(tile_images(one, ncols=4), one[0])
    pixels = torch.randint(0, 255, (3, 1, 2, 2), dtype=torch.uint8)
    grid = tile_images(pixels, ncols=3, gap=2, fill=255)
    assert grid.shape == (1, 2, 3 * 2 + 2 * 2) and grid.dtype == torch.uint8  # one channel
    assert torch.equal(grid[:, :, 4:6], pixels[1]) and (grid[:, :, 2:4] == 255).all()
    assert tile_images(torch.rand(3, 3, 2, 2), ncols=3, gap=0).shape == (3, 2, 6)
    with pytest.raises(ValueError, match="expected"):
        tile_images(torch.rand(3, 2, 2))


def test_png_bytes_of_arrays_tensors_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)  # closed
    data = png_bytes(torch.zeros(3, 2, 5, dtype=torch.uint8))
    assert data.startswith(b"\x89PNG") and Image.open(io.BytesIO(data)).size == (5, 2)
    array = np.full((3, 4, 3), 7, np.uint8)
    assert np.array_equal(np.array(Image.open(io.BytesIO(png_bytes(array)))), array)


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
