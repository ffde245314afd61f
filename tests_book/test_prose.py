"""What a reader sees on a page: numbers from outputs, code that fits the column.

1. Every measured-looking number in a chapter's prose is glued from an output
   (``{glue:text}`name` ``, see ``alexnet_lib.book.glue``) or is a number the chapter
   cites, listed with its source in the notebook's metadata under ``cited_numbers``
   (``{"15.3%": "paper, section 6: the winning top-5 of ILSVRC-2012"}``). Measured-
   looking: percentages, decimals, durations, "points", and "N of M" counts. Integers
   on their own (layer counts, epochs of a profile) are not checked: a run does not
   produce them.
2. Every visible line of code is at most 80 characters, the width of the page's code
   column (cells tagged hide-input, remove-input or remove-cell are not visible).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
# chapters "03_relu" and pages between them such as "02b_measuring_claims"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]*_*.ipynb"))
HIDDEN = {"hide-input", "remove-input", "remove-cell"}
CODE_COLUMN = 80

# what is not prose (fenced code is taken out first, by _without_code): math, inline
# code, glue roles, links' targets, HTML tags, and references such as "section 3.1",
# "Figure 1", "Table 2"
NOT_PROSE = [
    r"\$\$.*?\$\$", r"\$[^$\n]+\$", r"``[^`]+``", r"`[^`\n]+`",
    r"\{glue:[a-z]+\}`[^`]+`", r"\]\([^)]*\)", r"<[^>]+>", r"https?://\S+",
    r"(?i)arxiv[: ]\s*\d+\.\d+",
    r"(?i)\b(sections?|figures?|tables?|chapters?|eq\.|equation|version|python)"
    r"\s+\d+(\.\d+)*(\s*(and|to|-|–)\s*\d+(\.\d+)*)?",
]
MEASURED = re.compile(
    r"\d[\d,]*(\.\d+)?\s?%"  # percentages
    r"|\d[\d,]*(\.\d+)?(\s(s|min)|\s?(seconds?|minutes?|hours?|points?))\b"  # times
    r"|\d[\d,]* of (the )?\d[\d,]*"  # counts: "29 of 30"
    r"|\d+\.\d+"  # decimals
)


FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\S*)")


def _without_code(markdown: str) -> str:
    """Markdown without its fenced code blocks. A MyST directive's fence (```{note},
    :::{dropdown}) is dropped but its body kept: notes and answers are prose."""
    kept, stack = [], []  # stack: (fence, is_code) of the open blocks
    for line in markdown.splitlines():
        m = FENCE.match(line)
        if m and stack and m.group(1) == stack[-1][0] and not m.group(2):
            stack.pop()  # a bare fence closes the innermost block it matches
            continue
        if m and not (stack and stack[-1][1]):
            stack.append((m.group(1), not m.group(2).startswith("{")))
            continue
        if not (stack and stack[-1][1]):
            kept.append(line)
    return "\n".join(kept)


def _prose(markdown: str) -> str:
    markdown = _without_code(markdown)
    for pattern in NOT_PROSE:
        markdown = re.sub(pattern, " ", markdown, flags=re.S)
    return markdown


def measured_numbers(markdown: str) -> list[str]:
    """The measured-looking numbers in ``markdown``'s prose, as written."""
    return [m.group(0).strip() for m in MEASURED.finditer(_prose(markdown))]


def _cells(path: Path):
    return json.loads(path.read_text())["cells"]


def test_measured_numbers_are_found_and_references_are_not():
    text = ("ReLU reached 25% in 6 epochs (3.2 s); tanh $0.5$ `1.5` and section 3.1, "
            "Figure 1; {glue:text}`ch3_ratio` times; 29 of 30 neighbours; 2.1 points")
    assert measured_numbers(text) == ["25%", "3.2 s", "29 of 30", "2.1 points"]
    fenced = ("```python\nx = 0.5\n```\n```{dropdown} Answer\nIt gained 1.5%.\n```\n"
              "Prose 2.5%.\n```\ny = 0.25\n```\n:::{note}\n3.5 s\n:::")
    assert measured_numbers(fenced) == ["1.5%", "2.5%", "3.5 s"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_prose_numbers_are_glued_or_cited(path):
    notebook = json.loads(path.read_text())
    cited = notebook["metadata"].get("cited_numbers", {})
    loose = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for number in measured_numbers("".join(cell["source"])):
            if number not in cited:
                loose.append(f"cell {index}: {number}")
    assert not loose, (
        f"{path.name}: numbers in prose that are neither glued nor cited (glue what a "
        f"run produced; list what the chapter cites, with its source, in the "
        f"notebook's cited_numbers metadata): {loose}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_visible_code_fits_the_column(path):
    wide = []
    for index, cell in enumerate(_cells(path)):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & HIDDEN:
            continue
        for line in "".join(cell["source"]).splitlines():
            if len(line) > CODE_COLUMN:
                wide.append(f"cell {index}: {len(line)} chars")
    assert not wide, f"{path.name}: code lines wider than {CODE_COLUMN}: {wide}"
