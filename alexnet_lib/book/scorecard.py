"""The scorecard: what each of the paper's ingredients is worth, from several seeds per row.

``benchmarks/ablations.py`` trains every row of :data:`alexnet_lib.book.ablations.ROWS` with
several seeds and records each run as ``<folder>/<row>/seed<s>/history.json``. This module
reads those records and does the statistics the chapters, the README and the closing
chapter share: a row's seed-``s`` run is paired with the baseline's seed-``s`` run (same
initial weights where the architecture allows, same data order and augmentation), so the
noise both runs share cancels in their difference, and the mean difference gets a 95%
confidence interval from the t-distribution with n - 1 degrees of freedom. A row whose
interval contains 0 is "not resolved at this scale": the evidence does not say which way
the ingredient goes.

The scorecard makes many such comparisons at once, and at 95% each, about one in twenty
"resolved" differences is expected from noise alone. :func:`holm` adjusts the comparisons'
p-values as a family (Holm 1979: controls the chance of any false "resolved" at 5%), and
:func:`holm_verdict` is the verdict read from the adjusted value, shown beside the plain one.

Where the records are does not depend on the working folder (:func:`records_folder`): an
explicit folder, else ``$ALEXNET_RECORDS``, else the repository's ``data/records`` next to
this package (right for the editable install the book uses).
"""

from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path

from ..errors import UserError

RECORDS_ENV_VAR = "ALEXNET_RECORDS"
# the repository's records, for an editable install (`pip install -e .`, `make install`)
REPOSITORY_RECORDS = Path(__file__).resolve().parents[2] / "data" / "records"
# the CPU scorecard inside the records folder, and where that is in the repository
SCORECARD_IN_RECORDS = Path("quick-cpu") / "scorecard"
SCORECARD_CPU = Path("data") / "records" / SCORECARD_IN_RECORDS
# each regime's scorecard inside the records folder (alexnet_lib.book.ablations.REGIMES):
# the overfitting regime trains the regularization rows on a 10,000-image subset for longer
REGIME_FOLDERS = {"standard": SCORECARD_IN_RECORDS, "overfit": Path("quick-cpu") / "overfit"}
UNRESOLVED = "not resolved at this scale"
# 97.5% quantiles of Student's t for 1..9 degrees of freedom (2 to 10 seeds), for when
# scipy is not installed
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262}


def records_folder(records: str | Path | None = None) -> Path:
    """The folder of the run records (the repository's ``data/records``): ``records`` if
    given, else ``$ALEXNET_RECORDS`` if set, else :data:`REPOSITORY_RECORDS`. Raises
    :class:`~alexnet_lib.errors.UserError` when that folder does not exist."""
    if records is not None:
        folder, source = Path(records), "the folder given"
    elif os.environ.get(RECORDS_ENV_VAR, "").strip():
        folder, source = Path(os.environ[RECORDS_ENV_VAR].strip()), f"${RECORDS_ENV_VAR}"
    else:
        folder, source = REPOSITORY_RECORDS, "the repository next to alexnet_lib"
    if not folder.is_dir():
        raise UserError(f"no records folder at {folder} ({source}): pass the records folder "
                        f"(data/records of a clone of the repository) or set "
                        f"{RECORDS_ENV_VAR} to it")
    return folder


def find_scorecard(records: str | Path | None = None, regime: str = "standard") -> Path:
    """The CPU scorecard's folder for ``regime`` (:data:`REGIME_FOLDERS`: ``quick-cpu/
    scorecard``, or ``quick-cpu/overfit`` for the overfitting regime) in the records folder
    (:func:`records_folder`, which raises when there is none); the scorecard folder itself
    may not exist yet."""
    if regime not in REGIME_FOLDERS:
        raise UserError(f"unknown regime {regime!r}: one of {', '.join(REGIME_FOLDERS)}")
    return records_folder(records) / REGIME_FOLDERS[regime]


def load_runs(folder: str | Path, normalize=None) -> dict[str, dict[int, dict]]:
    """``{row: {seed: record}}`` for every finished run ``folder/<row>/seed<s>/history.json``
    (``normalize`` maps a record of an older format to today's, if given)."""
    runs: dict[str, dict[int, dict]] = {}
    for path in sorted(Path(folder).glob("*/seed*/history.json")):
        seed = path.parent.name.removeprefix("seed")
        if seed.isdigit():
            record = json.loads(path.read_text())
            runs.setdefault(path.parent.parent.name, {})[int(seed)] = (
                normalize(record) if normalize else record)
    return runs


def t975(dof: int) -> float:
    """The 97.5% quantile of the t-distribution: a two-sided 95% interval's half-width factor."""
    try:
        from scipy.stats import t
    except ImportError:
        if dof not in T975:
            raise ValueError(f"no t quantile for {dof} degrees of freedom without scipy "
                             f"(the table covers 2 to 10 seeds)") from None
        return T975[dof]
    return float(t.ppf(0.975, dof))


def epochs_to(history: dict, train_error: float) -> int | None:
    """The first epoch whose training error (on the training batches as trained: augmented,
    dropout on, as Figure 1 of the paper counts it) is at most ``train_error``."""
    for epoch, acc in zip(history["epoch"], history["train_acc"], strict=True):
        if 1 - acc <= train_error:
            return epoch
    return None


def gap(record: dict) -> float | None:
    """Chapter 6's train - test gap: eval-mode accuracy on the un-augmented training images
    minus test accuracy; None for a record made before that was measured."""
    test = record["test"]
    return test["train_top1"] - test["single_top1"] if "train_top1" in test else None


def late_change(seeds: dict[int, dict], epochs: int = 10, key: str = "val_acc"
                ) -> float | None:
    """How much curve ``key`` of the history (validation accuracy by default) still moved in
    a row's last ``epochs`` epochs: the mean over the seeds of its last value minus its
    value ``epochs`` epochs before; None when no run is that long. Near 0: the curve is flat
    at the end (the learning rate decays to 0 there, which flattens it too)."""
    changes = [r["history"][key][-1] - r["history"][key][-1 - epochs]
               for r in seeds.values() if len(r["history"][key]) > epochs]
    return statistics.fmean(changes) if changes else None


def measure(record: dict, key: str) -> float | None:
    """A record's value of ``key``: a field of its ``test`` ("single_top1",
    "ten_crop_top1", ...) or "gap" for :func:`gap`."""
    return gap(record) if key == "gap" else record["test"][key]


def paired_difference(row: dict[int, dict], base: dict[int, dict],
                      key: str = "single_top1") -> dict:
    """Row minus baseline over the seeds both have: ``n``, ``mean`` and the 95% interval
    ``low``, ``high`` (t-distribution, n - 1 degrees of freedom; None for one seed).
    ``key`` is a field of the records' ``test`` ("single_top1", "ten_crop_top1", ...) or
    "gap" for :func:`gap`."""
    seeds = sorted(set(row) & set(base))
    diffs = [measure(row[s], key) - measure(base[s], key) for s in seeds]
    if not diffs:
        return {"n": 0, "mean": None, "low": None, "high": None, "p": None}
    mean = statistics.fmean(diffs)
    if len(diffs) < 2:
        return {"n": 1, "mean": mean, "low": None, "high": None, "p": None}
    se = statistics.stdev(diffs) / math.sqrt(len(diffs))
    half = t975(len(diffs) - 1) * se
    return {"n": len(diffs), "mean": mean, "low": mean - half, "high": mean + half,
            "p": t_test_p(mean, se, len(diffs) - 1)}


def t_test_p(mean: float, se: float, dof: int) -> float:
    """Two-sided p-value of a paired t-test: the chance of a mean difference at least this
    far from 0 if the row made no difference (0 < p <= 1; the interval excludes 0 exactly
    when p < 0.05)."""
    if se == 0:
        return 1.0 if mean == 0 else 0.0
    try:
        from scipy.stats import t
    except ImportError:  # an environment without scipy: integrate the t density
        return _t_two_sided(abs(mean / se), dof)
    return float(2 * t.sf(abs(mean / se), dof))


def _t_two_sided(x: float, dof: int, steps: int = 4000) -> float:
    """2 * P(T > x) for Student's t with ``dof`` degrees of freedom (Simpson's rule)."""
    c = math.exp(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2)) / math.sqrt(dof * math.pi)
    h = x / steps
    f = [c * (1 + (i * h) ** 2 / dof) ** (-(dof + 1) / 2) for i in range(steps + 1)]
    inner = f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2])
    return max(0.0, min(1.0, 1 - 2 * inner * h / 3))


def holm(pvalues: dict) -> dict:
    """Holm's step-down adjustment of a family of p-values, ``{name: p}`` -> ``{name:
    adjusted p}`` (None stays None and is not counted): the smallest p is multiplied by the
    family's size m, the next by m - 1, and so on, each kept at least as large as the one
    before and at most 1."""
    named = sorted(((p, k) for k, p in pvalues.items() if p is not None), key=lambda x: x[0])
    m, running, out = len(named), 0.0, {k: None for k in pvalues}
    for i, (p, k) in enumerate(named):
        running = max(running, min(1.0, (m - i) * p))
        out[k] = running
    return out


def holm_verdict(diff: dict, adjusted_p: float | None, reference: str = "baseline") -> str:
    """:func:`verdict`, read from the Holm-adjusted p-value instead of the plain interval."""
    if adjusted_p is None:
        return verdict(diff, reference)
    if adjusted_p >= 0.05:
        return UNRESOLVED
    return f"higher than {reference}" if diff["mean"] > 0 else f"lower than {reference}"


def verdict(diff: dict, reference: str = "baseline") -> str:
    """What the interval says: resolved (higher / lower than ``reference``, the row the
    difference was taken against) or not."""
    if diff["low"] is None:
        return "one paired seed: no interval" if diff["n"] else "no paired seed"
    if diff["low"] <= 0 <= diff["high"]:
        return UNRESOLVED
    return f"higher than {reference}" if diff["low"] > 0 else f"lower than {reference}"
