"""Files written whole or not at all: a temporary file in the same folder, then a rename.

An interrupted write (Ctrl-C, a full disk, a killed process) never leaves half a
checkpoint or half a record where a good one was; the next run removes any temporary
file such an interruption left (``run.prepare_out``). ``tempfile.mkstemp`` makes files
readable by their owner alone; these get the mode the user's umask gives any new file,
so a group sharing a run folder can read them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the file to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
