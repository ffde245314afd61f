"""The widgets under both ipywidgets 7.7 (Colab) and 8.1 (alexnet_lib.book.widgets): the stack
and link helpers in either mode, and both shapes of a FileUpload's value. Run here with
the installed ipywidgets, and by .ci/colab-like.sh with 7.7.1."""

from __future__ import annotations

import datetime

import ipywidgets as widgets
import pytest

from alexnet_lib.book import widgets as lib_widgets
from alexnet_lib.book.widgets import link_index, make_stack, uploaded_files

IPYWIDGETS_MAJOR = int(widgets.__version__.split(".")[0])


def test_stack_mode_follows_the_installed_ipywidgets():
    assert lib_widgets.STACK_IN_BROWSER == (IPYWIDGETS_MAJOR >= 8)
    stack = make_stack([widgets.Label("a"), widgets.Label("b")])
    assert stack.selected_index == 0 and len(stack.children) == 2
    if IPYWIDGETS_MAJOR >= 8:
        assert isinstance(stack, widgets.Stack)


@pytest.fixture(params=["browser", "kernel"])
def mode(request, monkeypatch):
    """Both modes under any ipywidgets: 'kernel' is what ipywidgets 7 gets."""
    if request.param == "browser" and IPYWIDGETS_MAJOR < 8:
        pytest.skip("ipywidgets 7 has no Stack")
    monkeypatch.setattr(lib_widgets, "STACK_IN_BROWSER", request.param == "browser")
    return request.param


def shown(stack) -> list[int]:
    """The children a reader sees: all but the selected one are hidden in kernel mode."""
    if isinstance(stack, getattr(widgets, "Stack", ())):
        return [stack.selected_index]
    return [i for i, c in enumerate(stack.children) if c.layout.display != "none"]


def test_link_index_switches_the_stack(mode):
    select = widgets.Dropdown(options=[("a", 0), ("b", 1), ("c", 2)], value=0)
    stack = make_stack([widgets.Label(x) for x in "abc"])
    link = link_index(select, stack)
    assert link.source == (select, "index") and link.target == (stack, "selected_index")
    assert shown(stack) == [0]
    if mode == "kernel":  # a jslink only runs in a browser; a kernel-side link runs here
        select.value = 2
        assert stack.selected_index == 2 and shown(stack) == [2]
        stack.selected_index = 1
        assert select.index == 1 and shown(stack) == [1]


def test_kernel_stack_hides_all_but_the_selected_child(monkeypatch):
    monkeypatch.setattr(lib_widgets, "STACK_IN_BROWSER", False)
    inner = [make_stack([widgets.Label(f"{i}{j}") for j in range(3)]) for i in range(2)]
    outer = make_stack(inner, selected_index=1)
    assert shown(outer) == [1] and all(shown(s) == [0] for s in inner)
    inner[1].selected_index = 2
    assert shown(inner[1]) == [2] and shown(outer) == [1]
    outer.children = outer.children + (widgets.Label("new"),)
    assert shown(outer) == [1]


def test_uploaded_files_reads_ipywidgets_8():
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    value = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc"),
              "last_modified": when},
             {"name": "b.jpg", "type": "image/jpeg", "size": 1, "content": memoryview(b"d"),
              "last_modified": when})
    assert uploaded_files(value) == [("a.png", b"abc"), ("b.jpg", b"d")]
    assert uploaded_files(()) == []


def test_uploaded_files_reads_ipywidgets_7():
    value = {"a.png": {"metadata": {"name": "a.png", "type": "image/png", "size": 3,
                                    "lastModified": 1704067200000}, "content": b"abc"},
             "b.jpg": {"metadata": {"name": "b.jpg"}, "content": b"d"}}
    assert uploaded_files(value) == [("a.png", b"abc"), ("b.jpg", b"d")]
    assert uploaded_files({}) == []


def simulate_upload(uploader: widgets.FileUpload, name: str, content: bytes) -> None:
    """What the browser does when a reader picks one file, in either ipywidgets."""
    if IPYWIDGETS_MAJOR >= 8:
        uploader.value = ({"name": name, "type": "", "size": len(content),
                           "content": memoryview(content),
                           "last_modified": datetime.datetime(2024, 1, 1,
                                                              tzinfo=datetime.timezone.utc)},)
    else:  # 7: the front end sets metadata and data, then bumps a counter
        uploader.metadata = [{"name": name, "type": "", "size": len(content),
                              "lastModified": 1704067200000}]
        uploader.data = [content]
        uploader._counter += 1


def test_simulated_upload_reads_back():
    uploader = widgets.FileUpload(accept="image/*", multiple=False)
    simulate_upload(uploader, "x.png", b"123")
    assert uploaded_files(uploader.value) == [("x.png", b"123")]
