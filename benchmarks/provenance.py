"""Where a recorded run came from: the commit its code ran at and the command that made it.

Benchmarks that write committed records pass :func:`provenance` to ``run_training`` as
``extra``, so every record in ``data/records/`` names its code and its command.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the code a record depends on: uncommitted changes here mark the commit "-dirty"
CODE = ("alexnet_lib", "benchmarks")


def git_commit() -> str | None:
    """The commit the code ran at (with "-dirty" for uncommitted changes to the code), if in a
    git tree, else ``ALEXNET_COMMIT`` from the environment, else None."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *CODE], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        # a copy of the tree without .git (a lent GPU machine): the caller may say it
        return os.environ.get("ALEXNET_COMMIT") or None


def command(script: str, args: list[str] | None = None) -> str:
    """The command line running ``script`` with ``args`` (default: this process's), as a
    reader would retype it from the repository root."""
    args = sys.argv[1:] if args is None else args
    path = Path(script).resolve()
    try:
        path = path.relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(path), *args])


def provenance(script: str, args: list[str] | None = None) -> dict:
    """``{"commit": ..., "command": ...}``: what a committed record says about where it came
    from (``script`` is the benchmark's ``__file__``, ``args`` its arguments)."""
    return {"commit": git_commit(), "command": command(script, args)}


def write_record(path: Path | None, record: dict) -> None:
    """Write a benchmark's JSON record to ``path`` (nothing when None), folders and all."""
    if path is None:
        return
    import json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
