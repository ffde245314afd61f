"""Build the book exactly as `make book` does, with warnings as errors, and look at the result.

The build (``conftest.built_book``, shared with the browser test) goes to a temporary
folder, so it is always a full build: an incremental build into ``_build/`` would skip
unchanged pages and their warnings. With the stored outputs (``execute_notebooks: off``)
it takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alexnet_lib.book import STORED_PROFILE

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHAPTER = "02_imagenet_challenge"


@pytest.fixture(scope="module")
def html(built_book) -> Path:
    return built_book  # one build for the session (conftest.py)


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
