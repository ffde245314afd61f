"""The book, built once for the whole session: ``test_build`` and ``test_browser`` both
read this build.

It is built as ``make book`` builds it (``jupyter-book build book/``), into a temporary
folder so it is always a full build, with warnings as errors (``-W -n --keep-going``: a
broken toc entry or reference fails it). Where the local copy of the widget scripts is
there (``_build/widget-js/``, from ``.ci/install-browser.sh``), a temporary config adds
it to ``html_static_path`` and points myst-nb's ``nb_ipywidgets_js`` at it, so the pages
render their widgets offline; that changes where two scripts are loaded from, nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
WIDGET_JS = ROOT / "_build" / "widget-js"


def jupyter_book() -> str:
    beside_python = Path(sys.executable).with_name("jupyter-book")
    found = str(beside_python) if beside_python.exists() else shutil.which("jupyter-book")
    assert found, "jupyter-book is not installed: pip install -e '.[dev]' (or make install)"
    return found


def local_widget_scripts() -> bool:
    return (WIDGET_JS / "embed-amd.js").is_file() and (WIDGET_JS / "require.js").is_file()


def _config_with_local_widget_scripts(out: Path) -> Path:
    config = dict(CONFIG)
    sphinx = dict(config.get("sphinx") or {})
    sphinx_config = dict(sphinx.get("config") or {})
    sphinx_config["html_static_path"] = [*sphinx_config.get("html_static_path", []),
                                         str(WIDGET_JS)]
    sphinx_config["nb_ipywidgets_js"] = {"require.js": {}, "embed-amd.js": {}}
    sphinx["config"] = sphinx_config
    config["sphinx"] = sphinx
    path = out / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The built HTML book's folder (``.../_build/html``)."""
    out = tmp_path_factory.mktemp("book")
    cmd = [jupyter_book(), "build", "book/", "-W", "-n", "--keep-going",
           "--path-output", str(out)]
    if local_widget_scripts():
        cmd += ["--config", str(_config_with_local_widget_scripts(out))]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{log}"
    return out / "_build" / "html"
