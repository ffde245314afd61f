"""Checkpoints: write one atomically, read one back without trusting it.

A checkpoint is a ``torch.save`` dict: the model's ``config`` (enough to rebuild it),
its weights, the optimizer state, the epoch, the history and the run's config. Reading
one is reading untrusted input: ``weights_only=True`` refuses pickles that would run
code, and anything that is not one of ours gets one sentence naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from .atomic import write_atomically
from .errors import UserError
from .models import build_model

EXPECTED = "a checkpoint written by alexnet_lib (python -m alexnet_lib train saves one)"


class CheckpointError(UserError):
    """A file that is not a readable alexnet_lib checkpoint: missing, truncated, foreign,
    or a pickle that would run code. The message names the file and what was expected."""


def save_checkpoint(path, model, optimizer=None, epoch: int = 0, history=None, config=None,
                    **extra) -> Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then a rename,
    so an interrupted write never leaves a half checkpoint where a good one was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model_config": dict(model.config),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "epoch": epoch,
        "history": history or {},
        "config": config or {},
        **extra,
    }
    return write_atomically(path, lambda tmp: torch.save(state, tmp))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def read_checkpoint(path, map_location="cpu") -> dict:
    """The dict a checkpoint holds, checked to be one of ours (``fit`` resumes from it).

    Loads with ``weights_only=True``: a checkpoint is untrusted input, and a pickle could
    run any code. Raises :class:`CheckpointError`, naming ``path`` as given, for anything
    that is not one of our checkpoints.
    """
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist; expected {EXPECTED}.") from None
    except OSError as err:  # a folder, no permission...
        raise CheckpointError(
            f"{path} cannot be read ({err.strerror}); expected {EXPECTED}."
        ) from err
    except Exception as err:  # torch raises many types for a file it cannot read
        blocked = re.search(r"unsupported GLOBAL (\S+)|Unsupported global: GLOBAL (\S+)",
                            str(err), re.IGNORECASE)
        if blocked:  # weights_only met a pickled object: loading it would run its code
            name = blocked.group(1) or blocked.group(2)
            raise CheckpointError(
                f"{path} was refused: it holds Python objects (such as {name}) that loading "
                f"would have to run, not plain tensors, so it is not {EXPECTED}."
            ) from err
        raise CheckpointError(
            f"{path} is not a readable PyTorch file (truncated, damaged, or not a "
            f"checkpoint at all); expected {EXPECTED}."
        ) from err
    if not (isinstance(state, dict) and isinstance(state.get("model_config"), dict)
            and isinstance(state.get("model"), dict)):
        what = (f"a dict with keys {', '.join(map(repr, list(state)[:4]))}"
                f"{', ...' if len(state) > 4 else ''}" if isinstance(state, dict)
                else f"a {type(state).__name__}")
        raise CheckpointError(
            f"{path} is a PyTorch file but not {EXPECTED}: it holds {what}, not the "
            f"'model_config' and 'model' entries (a bare state_dict has no model config)."
        )
    return state


def load_checkpoint(path, map_location="cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model a checkpoint describes, load its weights, and put it where
    ``map_location`` puts the weights (a device, its name, or a mapping torch.load takes).

    Returns ``(model, checkpoint_dict)``; raises :class:`CheckpointError`, naming ``path``
    as given, for anything that is not one of our checkpoints.
    """
    state = read_checkpoint(path, map_location)
    tensors = [t for t in state["model"].values() if isinstance(t, torch.Tensor)]
    try:
        model = build_model(state["model_config"])
        if tensors:  # the model goes where map_location put the weights
            model.to(tensors[0].device)
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{path} describes a model this library cannot rebuild "
            f"({_first_line(err)}); expected {EXPECTED}."
        ) from err
    return model, state
