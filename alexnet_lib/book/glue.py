"""Numbers for the prose: a chapter glues what its runs produced, the page pastes them.

A chapter cell calls ``glue("ch3_relu_epochs", f"{epochs}")``; the markdown says
``{glue:text}`ch3_relu_epochs` `` and jupyter-book (myst-nb) pastes the stored output
there, so a number in a sentence is the number the cell printed, re-made at every
execution. Values are glued as the exact strings the prose should show (formatting
belongs to the code that knows the precision), and never displayed in the cell.

Colab has no myst-nb and renders no prose from the kernel, so there ``glue`` does
nothing. It returns None, so a cell may end with a bare ``glue(...)`` and show nothing
(nbval re-runs a cell ignoring a trailing semicolon, so ``glue(...);`` would not do).

``tests_book/test_prose.py`` fails a chapter whose prose carries
a measured-looking number that is neither glued nor listed with its source in the
notebook's ``cited_numbers`` metadata.
"""

from __future__ import annotations

__all__ = ["glue"]


def glue(name: str, value: object) -> None:
    """Store ``str(value)`` under ``name`` for ``{glue:text}`name` ``."""
    if not name.isidentifier():
        raise ValueError(f"glue name {name!r}: use letters, digits and underscores")
    text = value if isinstance(value, str) else str(value)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab: nothing renders the prose there
        return
    myst_glue(name, text, display=False)
