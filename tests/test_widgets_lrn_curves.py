"""The kernel-free LRN explorer of chapter 04 (alexnet_lib.book.lrn_views.lrn_curve_explorer):
one precomputed curve per value of each constant, switched by links, under the installed
ipywidgets (8 here: Stacks and jslinks, which run in the built HTML page) and in the mode
ipywidgets 7 (Colab) gets: kernel-side links and boxes that hide all but one child."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from ipywidgets.widgets.widget_link import Link
from test_widgets_compat import shown

from alexnet_lib.book import lrn_views
from alexnet_lib.book import widgets as lib_widgets
from alexnet_lib.book.lrn_views import CONSTANTS, CURVE_VALUES, lrn_curve_explorer

# a small set, fast to draw: the paper's value (or the default neighbours) and one more
FEW = {"k": (1.0, 2.0), "n": (5, 9), "alpha": (1e-4, 1e-3), "beta": (0.5, 0.75),
       "neighbour": (0.0, 50.0)}
STARTS = {"k": 1, "n": 0, "alpha": 0, "beta": 1, "neighbour": 1}  # where the marks are


@pytest.fixture(scope="module")
def explorer():
    return lrn_curve_explorer()  # the chapter's: every value of CURVE_VALUES


def parts(box):
    menu, value_stack, pictures = box.children
    return menu, value_stack, pictures


def test_explorer_structure(explorer):
    menu, value_stack, pictures = parts(explorer)
    rows = value_stack.children
    buttons = tuple(row.children[1] for row in rows)
    assert explorer.controls == (menu, *buttons) and explorer.views == (pictures,)
    assert [row.children[0].value for row in rows] == [f"{n} =" for n in CONSTANTS]
    assert isinstance(menu, widgets.Dropdown) and menu.description == "vary"
    assert [label.split(":")[0] for label, _ in menu.options] == list(CONSTANTS)
    assert menu.value == 0 and value_stack.selected_index == 0 and pictures.selected_index == 0
    for name, button, inner in zip(CONSTANTS, buttons, pictures.children, strict=True):
        values = CURVE_VALUES[name]
        assert isinstance(button, widgets.ToggleButtons)
        labels = [label for label, _ in button.options]
        assert labels == [lrn_views.value_label(name, v) for v in values]
        marked = [i for i, label in enumerate(labels) if "(paper)" in label or
                  "(default)" in label]
        assert marked == [button.value] == [inner.selected_index]  # starts at the mark
        assert len(inner.children) == len(values)
        assert all(isinstance(p, widgets.Image) and p.format == "png" for p in inner.children)
    if lib_widgets.STACK_IN_BROWSER:  # ipywidgets 8: what the built HTML page needs
        assert isinstance(pictures, widgets.Stack) and isinstance(value_stack, widgets.Stack)
        assert all(isinstance(inner, widgets.Stack) for inner in pictures.children)
        assert all(isinstance(link, Link) for link in explorer.links)


def test_explorer_links(explorer):
    menu, value_stack, pictures = parts(explorer)
    ends = {(link.source[0].model_id, link.source[1], link.target[0].model_id,
             link.target[1]) for link in explorer.links}
    expected = {(menu.model_id, "index", value_stack.model_id, "selected_index"),
                (menu.model_id, "index", pictures.model_id, "selected_index")}
    expected |= {(button.model_id, "index", inner.model_id, "selected_index")
                 for button, inner in zip(explorer.controls[1:], pictures.children,
                                          strict=True)}
    assert ends == expected and len(explorer.links) == 2 + len(CONSTANTS)


def test_explorer_pictures_are_small_distinct_pngs(explorer):
    pngs = [bytes(p.value) for inner in parts(explorer)[2].children for p in inner.children]
    assert len(pngs) == sum(len(v) for v in CURVE_VALUES.values())
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert len(set(pngs)) == len(pngs)
    assert sum(map(len, pngs)) < 400_000  # every picture is stored in the notebook (~240 KB)


@pytest.fixture(params=["browser", "kernel"])
def mode(request, monkeypatch):
    """Both modes under any ipywidgets: 'kernel' is what ipywidgets 7 gets."""
    if request.param == "browser" and not hasattr(widgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack")
    monkeypatch.setattr(lib_widgets, "STACK_IN_BROWSER", request.param == "browser")
    return request.param


def test_explorer_starts_at_the_marked_values_in_both_modes(mode):
    box = lrn_curve_explorer(FEW)
    menu, value_stack, pictures = parts(box)
    assert shown(value_stack) == [0] and shown(pictures) == [0]
    assert [shown(inner) for inner in pictures.children] == [[STARTS[n]] for n in CONSTANTS]
    assert [b.value for b in box.controls[1:]] == [STARTS[n] for n in CONSTANTS]
    if mode == "kernel":  # kernel-side links run here; a jslink only in a browser
        menu.value = 3  # beta
        assert shown(value_stack) == [3] and shown(pictures) == [3]
        box.controls[4].value = 0  # beta's buttons (the menu comes first)
        assert shown(pictures.children[3]) == [0]
        assert shown(pictures.children[0]) == [STARTS["k"]]  # the others stay


def test_explorer_refuses_values_without_the_mark_or_a_constant():
    with pytest.raises(ValueError, match="the values of k must include 2"):
        lrn_curve_explorer({**FEW, "k": (1.0, 4.0)})
    with pytest.raises(ValueError, match="the values of neighbour must include 25"):
        lrn_curve_explorer(FEW, neighbour=25.0)
    with pytest.raises(ValueError, match="every one of"):
        lrn_curve_explorer({name: v for name, v in FEW.items() if name != "beta"})
