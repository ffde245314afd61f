"""The book's side of alexnet_lib: what the chapters show, read and explore, kept out of the
training core (which never imports this package; ``tests/test_packaging.py`` checks it).

Its modules: ``images`` (image helpers), ``inspection`` (named layers, activations, LRN's
response), ``viz`` (pictures, curves, filters, feature maps, confusion, the LRN curve),
``architecture_plot`` (the paper's Figure 2 drawn from a model), ``pipeline_diagram``,
``dropout_diagram`` and ``lrn_views`` (chapters 1, 6 and 4's diagrams; LRN's explorer),
``ablations`` (the scorecard's rows), ``scorecard`` (its records and statistics),
``scorecard_plot`` (forest plots), ``evidence`` (what the chapters print from it),
``verdicts`` (chapter 12's tables and ending), ``record_curves`` (recorded runs over
epochs), ``demo_reading`` (a live run read against the records), ``figure1`` (Figure 1's
records), ``convergence`` (the overfitting regime at three schedule lengths), ``glue``
(numbers for the prose), ``widgets`` (the explorers), ``two_tower``
(the paper's two-GPU split) and ``parallel_plot`` (model against data parallelism).

This file holds what every chapter calls first and last: say how it runs, then how long it
took. Imported as ``from alexnet_lib.book import setup_chapter, chapter_footer``. Each
chapter's first code cell calls :func:`setup_chapter` with the minutes it expects under
each profile; the banner it prints (profile, device, versions, expected time) is stored
with the chapter's outputs, so no reader mistakes a smoke-profile figure for a result. The
last cell calls :func:`chapter_footer` with what :func:`setup_chapter` returned.
"""

from __future__ import annotations

import os
import time
import warnings

import torch

from .. import __version__
from ..config import get_profile
from ..precision import (
    PROFILE_ENV_VAR,
    choose_precision,
    default_device,
    default_profile_name,
    describe,
    device_name,
)

# The profile the chapters' stored outputs come from (what the HTML book shows): `quick`
# until a `full` GPU run of every chapter exists. `make outputs` uses the same default;
# nbval re-runs the chapters with `smoke` (see book/nbval_sanitize.cfg).
STORED_PROFILE = "quick"

# A chapter's `full` minutes are for the GPU the full profile was recorded on, an NVIDIA
# H200 (data/records/gpu-h200/). Colab's free GPU is a T4. No T4 was at hand to measure,
# so its time is an estimate: 10x, from the two cards' memory bandwidth (320 GB/s against
# 4.8 TB/s; LRN, pooling and the optimizer step are bandwidth-bound) and fp16 tensor
# throughput (65 against ~990 dense TFLOPS, which this small network does not saturate).
REFERENCE_GPU = "H200"
T4_FACTOR_ESTIMATED = 10

_LABEL = 10  # width of the banner's labels, so the lines line up (nbval's sanitizer relies on it)


def _line(label: str, text: str) -> str:
    return f"{label:<{_LABEL}}{text}"


def setup_chapter(expected_minutes: dict[str, float]) -> dict:
    """Print the profile, device, precision, versions and expected time; return them.

    ``expected_minutes`` maps profile names to how long the whole chapter should take
    under that profile, e.g. ``{"smoke": 0.5, "quick": 5, "full": 3}``. Warns when the
    profile is ``full`` but no GPU is present (the chapter will then take far longer
    than it says). Returns ``{"profile": RunConfig, "device": torch.device, "precision":
    Precision, "started": float}`` where ``started`` is ``time.time()``; pass it to
    :func:`chapter_footer`.
    """
    started = time.time()
    name = default_profile_name()
    profile = get_profile(name)
    device = default_device()
    if os.environ.get(PROFILE_ENV_VAR, "").strip():
        source = f"set by {PROFILE_ENV_VAR}"
    else:
        source = f"default for this machine; set {PROFILE_ENV_VAR}=smoke|quick|full to change"
    minutes = expected_minutes.get(profile.name)
    expected = (f"about {minutes:g} min for this chapter with the {profile.name} profile"
                if minutes is not None else f"no estimate for the {profile.name} profile")
    if profile.name == "full" and minutes is not None:
        expected += (f" on an {REFERENCE_GPU}; on a Colab T4 about "
                     f"{minutes * T4_FACTOR_ESTIMATED:g} min (estimated, not measured)")
    no_gpu_for_full = profile.name == "full" and device.type != "cuda"

    precision = choose_precision(device, profile.recipe.precision)
    lines = [
        _line("profile", f"{profile.name} ({source})"),
        _line("device", device_name(device)),
        _line("precision", describe(precision)),
        _line("versions", f"torch {torch.__version__}, alexnet_lib {__version__}"),
        _line("expected", expected),
    ]
    if profile.name == "smoke":
        lines.append(_line("note", "smoke runs only check that the code works; "
                                   "their numbers are not results"))
    if no_gpu_for_full:
        lines.append(_line("WARNING", "profile full but no GPU: this will be very slow"))
    print("\n".join(lines))
    if no_gpu_for_full:
        warnings.warn(
            f"profile 'full' but no GPU: this chapter will take far longer than "
            f"{minutes if minutes is not None else '?'} min. In Colab choose Runtime > "
            f"Change runtime type > GPU; on a CPU set {PROFILE_ENV_VAR}=quick (or smoke).",
            RuntimeWarning,
            stacklevel=2,
        )
    return {"profile": profile, "device": device, "precision": precision, "started": started}


def chapter_footer(info: dict) -> None:
    """Print the wall time since :func:`setup_chapter`, with its profile and device.

    Returns nothing, so a notebook's last line ``chapter_footer(info)`` shows no value.
    """
    seconds = time.time() - info["started"]
    shown = f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    print(f"wall time {shown} (profile {info['profile'].name}, device {info['device'].type})")
