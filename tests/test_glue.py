"""alexnet_lib.book.glue: what a chapter stores for its prose."""

import pytest

from alexnet_lib.book import glue as glue_module


def test_glue_stores_the_text_hidden_and_returns_nothing(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a, **k: calls.append((a, k)))
    assert glue_module.glue("ch9_top1", 0.5) is None  # a bare call as a cell's last line
    assert calls == [(("ch9_top1", "0.5"), {"display": False})]


def test_glue_names_must_be_identifiers():
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        glue_module.glue("ch9 top-1", "1%")
