"""The book's configuration and the chapters' common first cell, checked without running anything.

- ``_config.yml`` has the Colab launch button and the repository it must point at;
- ``book/_toc.yml`` is the symlink jupyter-book needs, and every chapter is in the toc;
- every chapter's first code cell is the bootstrap: in Colab it installs alexnet_lib
  from the repository named in ``_config.yml``, and it never mounts Google Drive;
- every chapter is stored executed, top to bottom, without errors (the book shows
  stored outputs: ``execute_notebooks: off``), with the profile the book's outputs
  come from (``alexnet_lib.book.STORED_PROFILE``);
- the profile table of the intro matches ``alexnet_lib.config.PROFILES``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from alexnet_lib.book import STORED_PROFILE
from alexnet_lib.config import PROFILES

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
REPO_URL = CONFIG["repository"]["url"]


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def toc_files(entry) -> list[str]:
    """Every ``file:`` (and the ``root``) in the toc, however deeply nested."""
    found = []
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("file", "root"):
                found.append(value)
            else:
                found.extend(toc_files(value))
    elif isinstance(entry, list):
        for item in entry:
            found.extend(toc_files(item))
    return found


def test_config_basics():
    assert CONFIG["title"] == "AlexNet, from scratch"
    assert CONFIG.get("author")
    # the book shows the stored outputs; nothing is executed at build time
    assert CONFIG["execute"]["execute_notebooks"] == "off"


def test_launch_buttons_point_at_this_repository():
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    repo = CONFIG["repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo["url"]), repo["url"]
    assert repo["path_to_book"] == "book"
    assert repo["branch"] == "main"


def test_toc_symlink_and_entries():
    link = BOOK / "_toc.yml"
    assert link.is_symlink(), "jupyter-book reads the toc only from book/_toc.yml"
    assert os.readlink(link) == "../_toc.yml", "keep the symlink relative"
    assert link.resolve() == (ROOT / "_toc.yml").resolve()
    assert TOC["format"] == "jb-book"
    assert TOC["root"] == "intro"
    for name in toc_files(TOC):
        matches = [p for p in (BOOK / f"{name}.md", BOOK / f"{name}.ipynb") if p.is_file()]
        assert matches, f"toc entry {name!r} has no book/{name}.md or .ipynb"


def test_there_are_chapters():
    assert NOTEBOOKS, "no book/*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_in_the_toc(path):
    assert path.stem in toc_files(TOC), f"add {path.stem} to _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_bootstrap(path):
    first = source(code_cells(read_notebook(path))[0])
    assert f'REPO_URL = "{REPO_URL}"' in first, (
        f"the first code cell must install from the repository of _config.yml: {REPO_URL}")
    assert '"google.colab" in sys.modules' in first
    assert '"pip", "install", "-q", "--report", "pip.json",' in first
    assert 'f"git+{REPO_URL}"' in first and 'print("installed:"' in first
    assert "import alexnet_lib" in first and "alexnet_lib.__version__" in first
    assert "from alexnet_lib.book import" in first and "setup_chapter(" in first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_never_mounts_drive(path):
    text = "\n".join(source(c) for c in code_cells(read_notebook(path)))
    assert "drive.mount" not in text and "from google.colab import drive" not in text


def test_bootstrap_is_the_same_in_every_chapter():
    """Only the expected minutes passed to setup_chapter may differ between chapters."""
    def normalized(path):
        first = source(code_cells(read_notebook(path))[0])
        return re.sub(r"setup_chapter\(\{[^}]*\}\)", "setup_chapter({...})", first)

    bootstraps = {p.name: normalized(p) for p in NOTEBOOKS}
    assert len(set(bootstraps.values())) == 1, "the first code cells differ: " + ", ".join(
        bootstraps)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_stored_executed_top_to_bottom(path):
    cells = code_cells(read_notebook(path))
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"execution counts {counts}: re-run the chapter top to bottom "
        f"(cd book && ALEXNET_PROFILE={STORED_PROFILE} jupyter execute --inplace {path.name})")
    for i, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"code cell {i} stored an error: {errors[0].get('ename')}"
    assert "chapter_footer(" in source(cells[-1]), "the last code cell prints the wall time"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_come_from_the_stored_profile(path):
    cells = code_cells(read_notebook(path))
    banner, footer = ("".join("".join(o.get("text", "")) for o in cell["outputs"])
                      for cell in (cells[0], cells[-1]))
    assert f"profile   {STORED_PROFILE} " in banner, (
        f"the stored outputs must come from the {STORED_PROFILE} profile: "
        f"make outputs PROFILE={STORED_PROFILE} (or the one chapter, see the README)")
    assert f"(profile {STORED_PROFILE}," in footer


def test_intro_profile_table_is_generated_from_the_library():
    # the table itself is written by `python tools/records.py` and checked against
    # PROFILES by tests/test_records.py; here: the intro holds that generated block
    text = (BOOK / "intro.md").read_text()
    assert "<!-- generated: profiles -->" in text and "<!-- end: profiles -->" in text
    for name in PROFILES:
        assert f"| `{name}` |" in text, name



@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bootstrap_is_collapsed_in_the_html(path):
    """The bootstrap is plumbing: the page shows its banner and a "show code" toggle."""
    first = code_cells(read_notebook(path))[0]
    assert "hide-input" in first["metadata"].get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_banner_matches_the_expected_minutes_in_the_source(path):
    """Changing a chapter's expected minutes without re-executing it would leave a banner
    that the code no longer prints."""
    first = code_cells(read_notebook(path))[0]
    match = re.search(rf'"{STORED_PROFILE}":\s*([0-9.]+)', source(first))
    assert match, "setup_chapter names the stored profile's minutes"
    banner = "".join("".join(o.get("text", "")) for o in first["outputs"])
    assert f"about {float(match.group(1)):g} min for this chapter" in banner, (
        "re-execute the chapter (make outputs, or the one chapter, see the README)")
