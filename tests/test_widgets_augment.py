"""The augmentation preview of chapter 7 (alexnet_lib.book.widgets): the kernel-free widget's
structure and link, and the live "new draws" button, under the installed ipywidgets (8
here, 7.7.1 in .ci/colab-like.sh). The grid itself is tested in test_viz.py."""

from __future__ import annotations

import io

import ipywidgets as widgets
import pytest
import torch
from ipywidgets.widgets.widget_link import Link
from PIL import Image
from test_widgets_compat import shown

from alexnet_lib.book import widgets as lib_widgets
from alexnet_lib.book.widgets import augmentation_preview


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=g)


@pytest.fixture(scope="module")
def preview(images):
    return augmentation_preview(images, torch.tensor([3, 5, 8]), n_views=5, seed=7)


def test_preview_structure_and_link(preview):
    controls, stack = preview.children
    select, button, note = controls.children
    assert preview.controls == (select, button) and preview.views == (stack,)
    assert isinstance(select, widgets.Dropdown) and isinstance(button, widgets.Button)
    assert isinstance(note, widgets.Label) and "augmentations" in note.value
    assert select.options == (("image 0: cat", 0), ("image 1: dog", 1), ("image 2: ship", 2))
    assert len(stack.children) == 3 and shown(stack) == [0]
    assert all(isinstance(im, widgets.Image) and im.format == "png" for im in stack.children)
    assert stack.selected_index == 0 and select.index == 0
    [link] = preview.links
    assert link.source == (select, "index") and link.target == (stack, "selected_index")
    if lib_widgets.STACK_IN_BROWSER:  # ipywidgets 8: the built HTML page switches it
        assert isinstance(stack, widgets.Stack) and isinstance(link, Link)
    else:  # ipywidgets 7: the kernel does
        select.value = 1
        assert shown(stack) == [1]


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
    assert stack.selected_index == 2 and shown(stack) == [2]
    button.click()
    assert bytes(stack.children[2].value) not in (before[2], after[2])
