"""Build the book exactly as `make book` does, with warnings as errors, and look at the result.

The build goes to a temporary folder (``--path-output``), so it is always a full build:
an incremental build into ``_build/`` would skip unchanged pages and their warnings.
With the stored outputs (``execute_notebooks: off``) it takes seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alexnet_lib.book import STORED_PROFILE

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHAPTER = "02_imagenet_challenge"


def jupyter_book() -> str:
    beside_python = Path(sys.executable).with_name("jupyter-book")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("jupyter-book")
    assert found, "jupyter-book is not installed: pip install -e '.[dev]' (or make install)"
    return found


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    # -W: warnings are errors (a broken toc entry is only a warning otherwise);
    # -n: nit-picky, warn about every missing reference; --keep-going: report them all.
    cmd = [jupyter_book(), "build", "book/", "-W", "-n", "--keep-going", "--path-output", str(out)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{log}"
    return out / "_build" / "html"


def test_every_toc_page_is_built(html):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert (html / "index.html").is_file()
    assert (html / f"{toc['root']}.html").is_file()
    assert (html / f"{CHAPTER}.html").is_file()


def test_chapter_page_has_the_colab_launch_link(html):
    repo = CONFIG["repository"]
    owner_name = repo["url"].removeprefix("https://github.com/")
    link = (f"{CONFIG['launch_buttons']['colab_url']}/github/{owner_name}/blob/"
            f"{repo['branch']}/{repo['path_to_book']}/{CHAPTER}.ipynb")
    page = (html / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert link in page


def test_chapter_page_shows_the_stored_outputs(html):
    page = (html / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert "total 60,965,224 parameters" in page  # a printed output
    assert f"profile   {STORED_PROFILE}" in page  # the banner of the first cell
    assert page.count("<img") >= 3  # the stored figures
