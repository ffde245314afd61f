"""alexnet_lib.book.glue: what a chapter stores for its prose."""

import pytest

from alexnet_lib.book import glue as glue_module


def test_glue_stores_what_myst_nb_stores_and_returns_nothing(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    assert glue_module.glue("ch9_top1", 0.5) is None  # a bare call as a cell's last line
    (bundle,), kwargs = shown[0]
    assert bundle == {"application/papermill.record/text/plain": "'0.5'"}
    assert kwargs["metadata"]["scrapbook"]["name"] == "ch9_top1" and kwargs["raw"]


def test_glue_outside_a_kernel_shows_nothing(capsys):
    glue_module.glue("ch9_top1", "1%")
    assert capsys.readouterr().out == ""


def test_glue_names_must_be_identifiers():
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        glue_module.glue("ch9 top-1", "1%")
