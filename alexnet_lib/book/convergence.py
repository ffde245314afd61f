"""How long each network needs: the overfitting regime at three schedule lengths.

The paper says dropout "roughly doubles the number of iterations required to converge"
(section 4.2). The overfitting regime (:data:`alexnet_lib.book.ablations.REGIMES`) scores
every row after the same 80 epochs, so its verdicts are fair to dropout only if 80 epochs
are enough for the dropout network. ``benchmarks/ablations.py --epochs`` trains the
baseline and ``no_dropout`` in that regime at 40 and 160 epochs as well (the learning
rate's warm-up and decay stretch with the schedule), with the 80-epoch runs' seeds, so
each seed's three lengths can be paired.

A row has *converged by* the shortest length that no longer schedule of the grid beats
by a resolved margin in final validation top-1 (paired over seeds, 95% t-interval; the
test set is not used to decide). The grid moves in factors of two, so "converged by 80"
means somewhere above 40 and at most 80 epochs, at the resolution of the seeds run. A
row that still gains at the longest length has not converged within the grid.
"""

from __future__ import annotations

import statistics
from itertools import pairwise
from pathlib import Path

from ..errors import UserError
from .ablations import REGIMES
from .evidence import MEASURES, points
from .scorecard import (
    REGIME_FOLDERS,
    UNRESOLVED,
    load_runs,
    paired_difference,
    records_folder,
)
from .scorecard import verdict as paired_verdict

# schedule length in epochs -> its records inside the records folder (<row>/seed<s>/):
# the regime's own scorecard at its length, and half and twice that length beside it
REGIME_EPOCHS = REGIMES["overfit"]["recipe.epochs"]
SCHEDULE_FOLDERS = {REGIME_EPOCHS // 2: Path("quick-cpu") / f"overfit-{REGIME_EPOCHS // 2}ep",
                    REGIME_EPOCHS: REGIME_FOLDERS["overfit"],
                    2 * REGIME_EPOCHS: Path("quick-cpu") / f"overfit-{2 * REGIME_EPOCHS}ep"}
# the folders that are only this check, not scorecards of their own (two rows each):
# alexnet_lib.book.verdicts.find_scorecards leaves them out
SCHEDULE_CHECKS = frozenset(f for e, f in SCHEDULE_FOLDERS.items() if e != REGIME_EPOCHS)
ROWS = ("baseline", "no_dropout")
LABELS = {"baseline": "dropout 0.5 (baseline)", "no_dropout": "no dropout"}
COMMAND = ("python benchmarks/ablations.py --profile quick --regime overfit --epochs {epochs} "
           "--seeds 0 1 2 --rows baseline no_dropout --out data/records/{folder}")
HELD, NOT_SEEN, OTHER_WAY, NOT_SETTLED, TOO_FEW = (
    "held", "not seen", "the other way", "not settled", "too few records")


def load(records: str | Path | None = None) -> dict[int, dict[str, dict[int, dict]]]:
    """``{epochs: {row: {seed: record}}}`` for the lengths of :data:`SCHEDULE_FOLDERS` that
    have records (in ``records``, ``ALEXNET_RECORDS`` or the repository's records); empty
    when no records folder is found and none was given."""
    try:
        root = records_folder(records)
    except UserError:
        if records is not None:
            raise
        return {}  # an installed package without the repository: no records yet
    found = {}
    for epochs, folder in SCHEDULE_FOLDERS.items():
        runs = load_runs(root / folder) if (root / folder).is_dir() else {}
        if runs:
            found[epochs] = runs
    return found


def final_val(record: dict) -> float:
    """A run's validation top-1 after its last epoch."""
    return record["history"]["val_acc"][-1]


def as_measure(runs: dict[str, dict[int, dict]]) -> dict[str, dict[int, dict]]:
    """``runs`` with each record's final validation top-1 added to its ``test`` fields as
    ``"final_val"``, so the scorecard's paired statistics read it like any other measure."""
    return {row: {seed: {**r, "test": {**r["test"], "final_val": final_val(r)}}
                  for seed, r in seeds.items()} for row, seeds in runs.items()}


def gain(schedules: dict, row: str, short: int, long: int, key: str = "final_val") -> dict:
    """``row`` at ``long`` epochs minus ``row`` at ``short``, paired over the seeds both
    lengths have (:func:`~alexnet_lib.book.scorecard.paired_difference`): ``n``, ``mean``,
    ``low``, ``high``, ``p``. ``key``: "final_val" or a field of the records' ``test``."""
    return paired_difference(as_measure(schedules.get(long, {})).get(row, {}),
                             as_measure(schedules.get(short, {})).get(row, {}), key)


def converged_by(schedules: dict, row: str) -> tuple[int | None, str]:
    """The shortest length of the grid that no longer one beats by a resolved margin in
    final validation top-1, and a reason when there is none: ``(epochs, "")``;
    ``(None, NOT_SETTLED)`` when only the longest length qualifies, so the row may still be
    gaining; ``(None, TOO_FEW)`` when a comparison lacks two paired seeds or a length
    lacks the row."""
    lengths = sorted(schedules)
    if len(lengths) < 2 or any(not schedules[e].get(row) for e in lengths):
        return None, TOO_FEW
    for i, short in enumerate(lengths[:-1]):
        beaten = False
        for long in lengths[i + 1:]:
            d = gain(schedules, row, short, long)
            if d["low"] is None:
                return None, TOO_FEW
            beaten = beaten or d["low"] > 0
        if not beaten:
            return short, ""
    return None, NOT_SETTLED


def verdict(schedules: dict) -> str:
    """The paper's "roughly doubles the number of iterations required to converge", read
    from :func:`converged_by` for the baseline (dropout) and ``no_dropout``: HELD when the
    dropout network needs twice the epochs or more, NOT_SEEN when both converge by the
    same length (or dropout's is longer by less than twice), OTHER_WAY when the network
    without dropout needs longer, with the lengths in words. A row still gaining at the
    longest length needs more than it, which can still decide: NOT_SETTLED only when it
    cannot, TOO_FEW without the records."""
    with_dropout, why = converged_by(schedules, "baseline")
    without, why_not = converged_by(schedules, "no_dropout")
    longest = max(schedules, default=None)
    if TOO_FEW in (why, why_not):
        return (f"{TOO_FEW}: each length needs both rows with at least two paired seeds "
                f"(lengths recorded: {', '.join(map(str, sorted(schedules))) or 'none'})")
    how = "(final validation top-1, 95% intervals over paired seeds)"
    if why and why_not:
        return (f"{NOT_SETTLED}: with and without dropout, both still gained at {longest} "
                f"epochs, the longest schedule run")
    if why_not:  # dropout converged, the network without it still gaining at the end
        return (f"{OTHER_WAY}: with dropout converged by {with_dropout} epochs, without it "
                f"still gained at {longest}, the longest schedule run {how}")
    if why:  # the network without dropout converged, dropout still gaining at the end
        said = (f"with dropout still gained at {longest} epochs, the longest schedule "
                f"run, without it converged by {without} {how}")
        return f"{HELD}: {said}" if longest >= 2 * without else f"{NOT_SETTLED}: {said}"
    said = f"with dropout converged by {with_dropout} epochs, without it by {without} {how}"
    if with_dropout >= 2 * without:
        return f"{HELD}: {said}"
    if with_dropout == without:
        return f"{NOT_SEEN}: {said}; the grid's step is a factor of two"
    if with_dropout < without:
        return f"{OTHER_WAY}: {said}"
    return f"{NOT_SEEN}: {said}, longer but by less than twice"


def _mean_sd(values: list[float]) -> str:
    if len(values) < 2:
        return f"{100 * values[0]:.2f}"
    return f"{100 * statistics.fmean(values):.2f} ± {100 * statistics.stdev(values):.2f}"


def gains(schedules: dict) -> str:
    """What a chapter prints under the figure: per row, each length's final validation
    top-1 against the length before, paired over seeds, in points."""
    lines = [f"{row:<11} {long:>3} vs {short:>3} epochs: "
             f"{_gain_text(gain(schedules, row, short, long))}"
             for row in ROWS for short, long in pairwise(sorted(schedules))]
    if missing_command(schedules):
        lines.append(f"still to run, from the repository's root: "
                     f"{missing_command(schedules)}")
    return "\n".join(lines)


def dropout_difference(schedules: dict, epochs: int, key: str = "gap") -> dict:
    """No dropout minus dropout at one length, paired over seeds
    (:func:`~alexnet_lib.book.scorecard.paired_difference`): ``key`` "gap" or a field of
    the records' ``test``."""
    runs = schedules.get(epochs, {})
    return paired_difference(runs.get("no_dropout", {}), runs.get("baseline", {}), key)


def dropout_said(schedules: dict, epochs: int, key: str = "gap") -> str:
    """:func:`dropout_difference` in words: "+3.65 (+3.35 to +3.96; n = 3) points: higher
    than baseline"."""
    d = dropout_difference(schedules, epochs, key)
    return f"{points(d)} points: {paired_verdict(d)}"


def dropout_at_each_length(schedules: dict) -> str:
    """No dropout minus dropout at each length, on the train - test gap and on test top-1
    (:func:`dropout_said`): whether the regime's verdicts depend on the length its rows
    are scored at."""
    return "\n".join(
        f"{epochs:>3} epochs, no dropout minus dropout: " + "; ".join(
            f"{MEASURES[key]} {dropout_said(schedules, epochs, key)}"
            for key in ("gap", "single_top1"))
        for epochs in sorted(schedules))


def gain_said(schedules: dict, row: str, short: int, long: int) -> str:
    """One gain in words, for prose: "+0.42 (-0.31 to +1.15; n = 3) points: not resolved
    at this scale"."""
    text = _gain_text(gain(schedules, row, short, long))
    return text.replace("):", ") points:", 1) if "):" in text else text


def _gain_text(d: dict) -> str:
    if d["n"] == 0:
        return "no paired seed"
    if d["low"] is None:
        return f"{100 * d['mean']:+.2f} (n = 1)"
    word = UNRESOLVED if d["low"] <= 0 <= d["high"] else (
        "higher" if d["low"] > 0 else "lower")
    return (f"{100 * d['mean']:+.2f} ({100 * d['low']:+.2f} to {100 * d['high']:+.2f}; "
            f"n = {d['n']}): {word}")


def summary(schedules: dict) -> str:
    """A markdown table per row and length: final validation top-1 and test top-1 (mean ±
    standard deviation over seeds, %), the eval-mode train - test gap, and each length's
    gain in final validation top-1 over the length before it (paired, points)."""
    lines = ["| row | epochs | seeds | final validation top-1 %, mean ± sd over seeds | "
             "test top-1 %, mean ± sd | train - test gap, points, mean ± sd | final "
             "validation top-1 vs the length before, paired (95% CI), points |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lengths = sorted(schedules)
    for row in ROWS:
        for i, epochs in enumerate(lengths):
            seeds = schedules[epochs].get(row, {})
            if not seeds:
                lines.append(f"| {row} | {epochs} | none | | | | |")
                continue
            records = list(seeds.values())
            before = (_gain_text(gain(schedules, row, lengths[i - 1], epochs))
                      if i else "")
            gaps = [r["test"]["train_top1"] - r["test"]["single_top1"] for r in records]
            lines.append(
                f"| {row} | {epochs} | {', '.join(map(str, sorted(seeds)))} | "
                f"{_mean_sd([final_val(r) for r in records])} | "
                f"{_mean_sd([r['test']['single_top1'] for r in records])} | "
                f"{_mean_sd(gaps)} | {before} |")
    return "\n".join(lines)


def missing_command(schedules: dict) -> str:
    """The commands that make the lengths with no records yet ("" when none is missing)."""
    return "; ".join(COMMAND.format(epochs=e, folder=f.as_posix())
                     for e, f in SCHEDULE_FOLDERS.items() if e not in schedules)


def plot_convergence(schedules: dict, axes=None):
    """Two panels over the schedule length (log scale): final validation top-1 and the
    train - test gap, each seed a dot and the mean a line, one colour per row. Returns the
    axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    lengths = sorted(schedules)
    panels = (("final validation top-1 (%)", final_val),
              ("train - test gap (points)",
               lambda r: r["test"]["train_top1"] - r["test"]["single_top1"]))
    for ax, (ylabel, value) in zip(axes, panels, strict=True):
        for i, row in enumerate(ROWS):
            xs = [e for e in lengths if schedules[e].get(row)]
            if not xs:
                continue
            per_length = [[100 * value(r) for r in schedules[e][row].values()] for e in xs]
            for x, ys in zip(xs, per_length, strict=True):
                ax.plot([x] * len(ys), ys, "o", color=f"C{i}", alpha=0.45, ms=4)
            ax.plot(xs, [statistics.fmean(ys) for ys in per_length], "-", color=f"C{i}",
                    lw=1.8, label=LABELS[row])
        ax.set_xscale("log", base=2)
        ax.set_xticks(lengths, [str(e) for e in lengths])
        ax.minorticks_off()
        ax.set(xlabel="epochs (the whole schedule)", ylabel=ylabel)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[0].figure.suptitle("10,000 images: each dot one seed's run, the line their mean",
                            fontsize=10)
    axes[0].figure.tight_layout()
    return axes
