"""What the scorecard says about the paper's ideas, as the chapters show it.

:mod:`alexnet_lib.book.scorecard` reads the records and does the statistics; this module puts
them the way a chapter needs them: each row's paired difference from the baseline in
points with its 95% interval, what the paper predicted for that row, and whether the
interval bears the prediction out (:func:`outcome`), with the command that makes the
records when a row has none yet. Nothing here types a number: every value comes from the
records under ``data/records/quick-cpu/scorecard/``.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ..errors import UserError
from .ablations import REGULARIZATION_ROWS, ROWS, reference
from .scorecard import (
    UNRESOLVED,
    find_scorecard,
    gap,
    holm,
    holm_verdict,
    late_change,
    load_runs,
    paired_difference,
    verdict,
)

SWEEP_COMMAND = ("python benchmarks/ablations.py --profile quick --seeds 0 1 2 "
                 "--out data/records/quick-cpu/scorecard")
# the command that makes each regime's records (alexnet_lib.book.ablations.REGIMES)
SWEEP_COMMANDS = {
    "standard": SWEEP_COMMAND,
    "overfit": ("python benchmarks/ablations.py --profile quick --regime overfit --seeds 0 1 2 "
                "--rows " + " ".join(REGULARIZATION_ROWS) +
                " --out data/records/quick-cpu/overfit"),
}
MEASURES = {"single_top1": "test top-1", "ten_crop_top1": "ten-crop top-1",
            "gap": "train - test gap"}

# row -> (the idea the row takes away, the measure the paper's claim is about, the sign
# the paper predicts for row minus baseline: -1 lower, +1 higher, None no claim). The
# ingredients' claims are about accuracy, except dropout's and augmentation's: the paper
# says that without them the network overfits, which chapter 6's gap measures.
IDEAS: dict[str, tuple[str, str, int | None]] = {
    "tanh": ("ReLU instead of tanh", "single_top1", -1),
    "no_lrn": ("local response normalization", "single_top1", -1),
    "lrn_constant": ("LRN's normalization beyond its constant gain", "single_top1", -1),
    "no_overlap": ("overlapping pooling", "single_top1", -1),
    "no_dropout": ("dropout", "gap", +1),
    "dropout_torchvision": ("dropout on fc6's and fc7's outputs, not their inputs",
                            "single_top1", None),
    "no_augment": ("data augmentation", "gap", +1),
    "no_lighting": ("PCA lighting noise", "single_top1", -1),
    "shallower": ("depth: five convolutional layers, not four", "single_top1", -1),
    # the paper states no accuracy for its input scale against standardized inputs
    "paper_scale": ("standardized inputs, not the paper's 0..255 scale", "single_top1", None),
    "paper_scale_no_lrn": ("local response normalization, at the paper's input scale",
                           "single_top1", -1),
    "paper_scale_lrn_constant": ("LRN's normalization beyond its constant gain, at the "
                                 "paper's input scale", "single_top1", -1),
}
# The family of comparisons the scorecard makes, for Holm's correction: every row's test
# top-1 against its reference, and the gap where the paper's claim is about the gap.
FAMILY = tuple((row, "single_top1") for row in IDEAS) + tuple(
    (row, key) for row, (_, key, _) in IDEAS.items() if key == "gap")
HELD, CONTRADICTED, NO_CLAIM = "held", "contradicted", "no claim to test"
TOO_FEW, NO_RECORDS = "too few seeds for an interval", "no records yet"


def load(folder: str | Path | None = None, regime: str = "standard"
         ) -> dict[str, dict[int, dict]]:
    """``{row: {seed: record}}`` from the scorecard ``folder`` (default: the CPU scorecard of
    ``regime`` in the records folder, :func:`~alexnet_lib.book.scorecard.find_scorecard`);
    empty when the folder does not exist yet, or when no records folder is found (a chapter
    run from an installed package, without the repository, shows "no records yet")."""
    if folder is None:
        try:
            folder = find_scorecard(regime=regime)
        except UserError:
            return {}
    folder = Path(folder)
    return load_runs(folder) if folder.is_dir() else {}


def outcome(diff: dict, expected: int | None) -> str:
    """Whether a paired difference bears out the paper: HELD (the interval excludes 0 on
    the side the paper predicts), CONTRADICTED (on the other side), UNRESOLVED (it
    contains 0), TOO_FEW (one paired seed), NO_RECORDS or NO_CLAIM."""
    if diff["n"] == 0:
        return NO_RECORDS
    if expected is None:
        return NO_CLAIM
    if diff["low"] is None:
        return TOO_FEW
    if diff["low"] <= 0 <= diff["high"]:
        return UNRESOLVED
    return HELD if (diff["mean"] > 0) == (expected > 0) else CONTRADICTED


def points(diff: dict) -> str:
    """A paired difference in points with its interval: "-1.23 (-2.00 to -0.46; n = 3)"."""
    if diff["mean"] is None:
        return "n/a"
    if diff["low"] is None:
        return f"{100 * diff['mean']:+.2f} (n = 1)"
    return (f"{100 * diff['mean']:+.2f} ({100 * diff['low']:+.2f} to "
            f"{100 * diff['high']:+.2f}; n = {diff['n']})")


def family_verdicts(runs: dict[str, dict[int, dict]]) -> dict[tuple[str, str], str]:
    """``{(row, measure): verdict}`` after Holm's correction over :data:`FAMILY` (the
    comparisons that have records); the plain verdicts are :func:`verdict`'s."""
    diffs = {(row, key): paired_difference(runs.get(row, {}), runs.get(reference(row), {}),
                                           key) for row, key in FAMILY}
    adjusted = holm({k: d.get("p") for k, d in diffs.items()})
    return {k: holm_verdict(d, adjusted[k], reference(k[0])) for k, d in diffs.items()}


def family_size(runs: dict[str, dict[int, dict]]) -> int:
    """How many comparisons of :data:`FAMILY` have an interval (Holm's m)."""
    return sum(paired_difference(runs.get(row, {}), runs.get(reference(row), {}),
                                 key)["p"] is not None for row, key in FAMILY)


def row_summary(runs: dict[str, dict[int, dict]], row: str,
                keys=("single_top1",)) -> list[dict]:
    """One dict per measure in ``keys`` for ``row`` against the baseline: ``row``,
    ``idea``, ``claim`` (the paper's, from :data:`alexnet_lib.book.ablations.ROWS`), ``seeds``
    (the paired ones), ``measure``, ``difference`` (:func:`points`), ``verdict``
    (:func:`alexnet_lib.book.scorecard.verdict`), ``holm`` (the verdict after Holm's
    correction over the scorecard's family, :func:`family_verdicts`; "" for a measure
    outside the family) and ``outcome`` (:func:`outcome`, for the measure the paper's
    claim is about; "" for the other measures)."""
    idea, claim_key, expected = IDEAS[row]
    base = runs.get(reference(row), {})  # the baseline, or the row this one is paired with
    adjusted = family_verdicts(runs)
    out = []
    for key in keys:
        d = paired_difference(runs.get(row, {}), base, key)
        out.append(dict(row=row, idea=idea, claim=ROWS[row][0],
                        seeds=sorted(set(runs.get(row, {})) & set(base)),
                        measure=MEASURES.get(key, key), difference=points(d),
                        verdict=verdict(d, reference(row)),
                        holm=adjusted.get((row, key), ""),
                        outcome=outcome(d, expected) if key == claim_key else ""))
    return out


def report(runs: dict[str, dict[int, dict]], rows, keys=("single_top1",),
           regime: str = "standard") -> str:
    """What a chapter prints under its scorecard plot: per row and measure the paired
    difference and the verdict, or that the scorecard has no records for the row yet and
    the command that makes them (``regime``'s, :data:`SWEEP_COMMANDS`)."""
    lines, missing = [], []
    for row in rows:
        for s in row_summary(runs, row, keys):
            if not s["seeds"]:
                missing.append(row)
                break
            holm_said = f"; after Holm: {s['holm']}" if s["holm"] else ""
            lines.append(f"{row:<20} {s['measure']:<17} {s['difference']:<32} "
                         f"{s['verdict']}{holm_said}")
    if "baseline" not in runs:
        missing = ["baseline", *missing]
    if missing:
        lines.append(f"the scorecard has no paired records for {', '.join(missing)} yet: "
                     f"from the repository's root, `{SWEEP_COMMANDS[regime]}` makes them "
                     f"(hours on a CPU; it resumes where it stopped)")
    return "\n".join(lines)


def said(runs: dict[str, dict[int, dict]], row: str, key: str = "single_top1") -> str:
    """One comparison in words, for a chapter's prose (glued): the paired difference in
    points with its interval, the verdict, and the verdict after Holm's correction over
    the scorecard's family where the comparison is in it; "no records yet" without a
    paired seed."""
    s = row_summary(runs, row, (key,))[0]
    if not s["seeds"]:
        return NO_RECORDS
    holm_said = f"; after Holm, {s['holm']}" if s["holm"] else ""
    return f"{s['difference']} points, {s['verdict']}{holm_said}"


def overfitting(runs: dict[str, dict[int, dict]], row: str = "baseline") -> str:
    """How much ``row`` overfits, for prose: its eval-mode training top-1 and its train -
    test gap, means over its seeds (chapter 6's measure)."""
    records = [r for r in runs.get(row, {}).values() if gap(r) is not None]
    if not records:
        return NO_RECORDS
    train = statistics.fmean(r["test"]["train_top1"] for r in records)
    over = "one seed" if len(records) == 1 else f"mean over {len(records)} seeds"
    return (f"{100 * train:.1f}% on its own training images in evaluation mode, a gap "
            f"of {100 * statistics.fmean(gap(r) for r in records):.1f} points to test "
            f"top-1 ({over})")


def late_changes(runs: dict[str, dict[int, dict]], rows) -> str:
    """Whether each row's validation curve was still moving when its runs ended: the
    change of validation top-1 over the last tenth of the epochs, mean over the seeds
    (:func:`~alexnet_lib.book.scorecard.late_change`), one line for ``rows``."""
    said = []
    for row in rows:
        seeds = runs.get(row, {})
        if not seeds:
            continue
        epochs = len(next(iter(seeds.values()))["history"]["val_acc"])
        last = max(1, round(epochs / 10))
        change = late_change(seeds, last)
        if change is not None:
            said.append(f"{row} {100 * change:+.2f}")
    if not said:
        return "validation top-1 at the end: no records yet"
    return (f"validation top-1, change over the last {last} of {epochs} epochs "
            f"(mean over seeds, points): " + ", ".join(said))


# The effect the paper itself reports for a row, as a difference in top-1 (row minus
# baseline), on ImageNet with one run each: overlapping pooling "reduces the top-1 and
# top-5 error rates by 0.4% and 0.3%" (section 3.4), PCA lighting "reduces the top-1 error
# rate by over 1%" (section 4.1), "removing any of the middle layers results in a loss of
# about 2% for the top-1 performance" (section 7).
PAPER_SIZES = {"no_overlap": -0.004, "no_lighting": -0.01, "shallower": -0.02}


def against_papers_size(runs: dict[str, dict[int, dict]], row: str) -> str:
    """Whether ``row``'s 95% interval in test top-1 contains the effect the paper reports
    (:data:`PAPER_SIZES`). An interval that contains 0 but excludes the paper's size says
    more than "not resolved": an effect as large as the paper's, in its direction, did not
    show at this scale (CIFAR-10 is not ImageNet, so the paper's size need not carry over).
    """
    size = PAPER_SIZES[row]
    d = paired_difference(runs.get(row, {}), runs.get(reference(row), {}), "single_top1")
    said = f"the paper's own effect, {100 * size:+.2f} points"
    if d["n"] == 0:
        return f"{row}: no paired records yet to compare with {said}"
    if d["low"] is None:
        return f"{row}: one paired seed, no interval to compare with {said}"
    if d["low"] <= size <= d["high"]:
        return (f"{row}: {said}, lies inside the interval ({points(d)}): the records "
                f"cannot rule out an effect of the paper's size")
    return (f"{row}: {said}, lies outside the interval ({points(d)}): an effect that "
            f"large, in the paper's direction, did not show at this scale")


# the LRN rows that chapter 4 reads together: (LRN off, LRN's constant gain alone)
LRN_PAIRS = {"standardized": ("no_lrn", "lrn_constant"),
             "paper": ("paper_scale_no_lrn", "paper_scale_lrn_constant")}


def lrn_reading(runs: dict[str, dict[int, dict]], scale: str = "standardized") -> str:
    """Chapter 4's question, decided by the intervals: is what LRN does at this input scale
    its normalization or only its constant rescaling by k^-beta?

    ``no_lrn`` (LRN off) says whether LRN matters at all; ``lrn_constant`` (its gain kept,
    the normalization removed) says whether the normalization adds anything to the gain.
    Each is paired with its reference (the baseline, or ``paper_scale`` at the paper's
    scale). "Not resolved" is never read as "equal": it says what the records cannot show.
    The reading uses each comparison's own interval; where ``no_lrn`` has one, the verdicts
    after Holm's correction over the scorecard's family follow in brackets.
    """
    off, gain = LRN_PAIRS[scale]
    diffs = {row: paired_difference(runs.get(row, {}), runs.get(reference(row), {}),
                                    "single_top1") for row in (off, gain)}
    text = _lrn_reading_alone(diffs, off, gain, scale)
    if diffs[off]["p"] is None:  # no interval for LRN off: nothing to correct
        return text
    holm = family_verdicts(runs)
    after = ", ".join(f"`{row}` {holm[(row, 'single_top1')]}" for row in (off, gain)
                      if diffs[row]["p"] is not None)
    return f"{text} (after Holm's correction over the scorecard's family: {after})"


def _lrn_reading_alone(diffs: dict[str, dict], off: str, gain: str, scale: str) -> str:
    """:func:`lrn_reading` from the plain intervals (``diffs``: each row's paired
    difference from its reference), without the Holm note."""
    reading = {row: (outcome(d, IDEAS[row][2]), points(d)) for row, d in diffs.items()}
    (off_outcome, off_points), (gain_outcome, gain_points) = reading[off], reading[gain]
    where = f"{scale} inputs"
    if off_outcome in (NO_RECORDS, TOO_FEW):
        return (f"{where}: `{off}` has {off_outcome} ({off_points}), so whether LRN matters "
                f"at this scale is not known yet")
    if off_outcome == UNRESOLVED:
        return (f"{where}: switching LRN off is not resolved at this scale ({off_points}); "
                f"with no effect shown, there is nothing to split into rescaling and "
                f"normalization")
    if off_outcome == CONTRADICTED:
        return (f"{where}: switching LRN off *raises* test top-1 ({off_points}); LRN costs "
                f"accuracy here")
    # LRN off costs accuracy: is it the normalization or the gain?
    if gain_outcome in (NO_RECORDS, TOO_FEW):
        return (f"{where}: switching LRN off costs accuracy ({off_points}); the control "
                f"`{gain}` has {gain_outcome} ({gain_points}), so rescaling and "
                f"normalization are not separated yet")
    if gain_outcome == UNRESOLVED:
        return (f"{where}: switching LRN off costs accuracy ({off_points}), but keeping "
                f"only its constant gain is not resolved from LRN ({gain_points}): the "
                f"records show no benefit of the normalization beyond the rescaling")
    if gain_outcome == HELD:
        return (f"{where}: switching LRN off costs accuracy ({off_points}), and its "
                f"constant gain alone costs accuracy too ({gain_points}): the "
                f"normalization adds something beyond the rescaling")
    return (f"{where}: switching LRN off costs accuracy ({off_points}), and its constant "
            f"gain alone does *better* than LRN ({gain_points}): the normalization costs "
            f"accuracy here and the gain carries LRN's benefit")
