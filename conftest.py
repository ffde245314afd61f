"""Test configuration for the book's notebooks: plain ``pytest --nbval book/`` just works.

When nbval is on (``--nbval`` or ``--nbval-lax``), this:

- sets ``ALEXNET_PROFILE=smoke`` in this process, so every kernel nbval starts inherits
  it. The stored outputs come from the ``quick`` profile (``make outputs``): what the two
  share is compared, the banner's profile lines are masked by the sanitizer, and cells
  whose output depends on the profile's sizes are tagged ``nbval-ignore-output``;
- uses ``book/nbval_sanitize.cfg`` unless ``--nbval-sanitize-with`` names another file;
- runs the kernels with this interpreter (``--nbval-current-env``) unless a kernel is
  named with ``--nbval-kernel-name``, so the notebooks import this checkout's
  ``alexnet_lib`` whatever kernels the machine has registered;
- builds matplotlib's font cache before any kernel starts, so a fresh machine's first
  chapter does not print "Matplotlib is building the font cache" into a compared output.

Without nbval it does nothing, so the unit tests see the environment unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SANITIZE_FILE = ROOT / "book" / "nbval_sanitize.cfg"
NOTEBOOK_PROFILE = "smoke"


def pytest_configure(config):
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    os.environ["ALEXNET_PROFILE"] = NOTEBOOK_PROFILE
    if not getattr(option, "nbval_sanitize_with", None) and not getattr(
        option, "sanitize_with", None
    ):
        option.nbval_sanitize_with = str(SANITIZE_FILE)
    if not getattr(option, "nbval_kernel_name", None) and not getattr(option, "current_env", False):
        option.nbval_current_env = True
    import matplotlib.font_manager  # noqa: F401  (builds the font cache once, here)
