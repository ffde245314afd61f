"""The augmentation preview of chapter 7 (alexnet_lib.widgets): the grid it draws, the
kernel-free widget's structure and link, and the live "new draws" button."""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from ipywidgets.widgets.widget_link import Link
from PIL import Image

from alexnet_lib.augment import TrainAugment
from alexnet_lib.widgets import augmentation_grid, augmentation_preview


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=g)


@pytest.fixture(scope="module")
def preview(images):
    return augmentation_preview(images, torch.tensor([3, 5, 8]), n_views=5, seed=7)


def test_grid_shows_the_original_first_then_the_views(images):
    grid = augmentation_grid(images[0], n_views=5, generator=torch.Generator().manual_seed(0),
                             ncols=3, scale=2, gap=1)
    # 6 tiles (original + 5) in 2 rows of 3; 32x32 images enlarged twice; 1-pixel gaps
    assert grid.shape == (2 * 64 + 1, 3 * 64 + 2, 3) and grid.dtype == np.uint8
    original = images[0].permute(1, 2, 0).numpy().repeat(2, 0).repeat(2, 1)
    assert np.array_equal(grid[:64, :64], original)
    assert (grid[64, :] == 255).all() and (grid[:, 64] == 255).all()
    tiles = [grid[r * 65 : r * 65 + 64, c * 65 : c * 65 + 64] for r in range(2) for c in range(3)]
    assert any(not np.array_equal(tile, original) for tile in tiles[1:])


def test_grid_follows_the_augmentation_and_the_generator(images):
    def grid(seed, augment=None):
        return augmentation_grid(images[1], augment, n_views=4,
                                 generator=torch.Generator().manual_seed(seed))

    assert np.array_equal(grid(3), grid(3))
    assert not np.array_equal(grid(3), grid(4))
    # no augmentation at all: every tile is the original
    same = grid(3, TrainAugment(size=32, padding=0, flip=False, lighting=0.0))
    assert np.array_equal(same[:, :96], same[:, 98:194])
    # smaller crops sit centred in a white tile
    crops = augmentation_grid(images[1], TrainAugment(size=28, padding=0, flip=False,
                                                      lighting=0.0), n_views=2, scale=1, gap=0)
    assert crops.shape == (32, 96, 3)
    assert (crops[:2, 32:64] == 255).all() and not (crops[2:30, 34:62] == 255).all()


def test_preview_structure_and_link(preview):
    controls, stack = preview.children
    select, button, note = controls.children
    assert isinstance(select, widgets.Dropdown) and isinstance(button, widgets.Button)
    assert isinstance(note, widgets.Label) and "augmentations" in note.value
    assert select.options == (("image 0: cat", 0), ("image 1: dog", 1), ("image 2: ship", 2))
    assert isinstance(stack, widgets.Stack) and len(stack.children) == 3
    assert all(isinstance(im, widgets.Image) and im.format == "png" for im in stack.children)
    assert stack.selected_index == 0 and select.index == 0
    link = preview.link
    assert isinstance(link, Link)
    assert link.source == (select, "index") and link.target == (stack, "selected_index")


def test_preview_images_differ_between_images(preview):
    pngs = [bytes(im.value) for im in preview.children[1].children]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    assert len(set(pngs)) == 3
    # original + 5 views in rows of 3 tiles of 96 pixels, 2-pixel gaps
    assert Image.open(io.BytesIO(pngs[0])).size == (3 * 96 + 4, 2 * 96 + 2)


def test_preview_repeats_with_its_seed(images):
    a = augmentation_preview(images[:2], n_views=3, seed=1)
    b = augmentation_preview(images[:2], n_views=3, seed=1)
    c = augmentation_preview(images[:2], n_views=3, seed=2)
    values = [[bytes(im.value) for im in box.children[1].children] for box in (a, b, c)]
    assert values[0] == values[1] and values[0] != values[2]
    assert a.children[0].children[0].options[0] == ("image 0", 0)


def test_new_draws_button_redraws_the_chosen_image(images):
    box = augmentation_preview(images, n_views=4)
    select, button, _ = box.children[0].children
    stack = box.children[1]
    before = [bytes(im.value) for im in stack.children]
    select.value = 2
    button.click()
    after = [bytes(im.value) for im in stack.children]
    assert after[2] != before[2] and after[:2] == before[:2]
    assert stack.selected_index == 2
    button.click()
    assert bytes(stack.children[2].value) not in (before[2], after[2])
