"""Numbers for the prose: a chapter glues what its runs produced, the page pastes them.

A chapter cell calls ``glue("ch3_relu_epochs", f"{epochs}")``; the markdown says
``{glue:text}`ch3_relu_epochs` `` and jupyter-book (myst-nb) pastes the stored output
there, so a number in a sentence is the number the cell printed, re-made at every
execution. Values are glued as the exact strings the prose should show (formatting
belongs to the code that knows the precision), and never displayed in the cell.

The stored output is the one myst-nb's own ``glue`` writes, made here without importing
myst-nb, so a chapter's outputs are the same in Colab (which has no myst-nb). It
returns None, so a cell may end with a bare ``glue(...)`` and show nothing
(nbval re-runs a cell ignoring a trailing semicolon, so ``glue(...);`` would not do).

``tests_book/test_prose.py`` fails a chapter whose prose carries
a measured-looking number that is neither glued nor listed with its source in the
notebook's ``cited_numbers`` metadata.
"""

from __future__ import annotations

__all__ = ["glue"]

MIME_PREFIX = "application/papermill.record/"  # myst-nb's glue format


def glue(name: str, value: object) -> None:
    """Store ``str(value)`` under ``name`` for ``{glue:text}`name` ``."""
    if not name.isidentifier():
        raise ValueError(f"glue name {name!r}: use letters, digits and underscores")
    text = value if isinstance(value, str) else str(value)
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:  # plain Python: no page to paste into
        return
    # what myst_nb.glue(name, text, display=False) stores, without needing myst-nb, so
    # the outputs are the same in Colab (no myst-nb there) as where the book is built
    display({MIME_PREFIX + "text/plain": repr(text)}, raw=True,
            metadata={"scrapbook": {"mime_prefix": MIME_PREFIX, "name": name}})
