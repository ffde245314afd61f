"""The ablation tables: one seed per row (the first sweeps), and the multi-seed scorecard.

Both take records in today's format (``records.normalize`` maps older ones) and return
markdown. The scorecard pairs each row's seed-``s`` run with the baseline's seed-``s`` run
(same initial weights where the architecture allows, same data order and augmentation), so
seed-to-seed noise that both runs share cancels in the difference.
"""

from __future__ import annotations

import statistics

from alexnet_lib.book.ablations import ROWS, reference
from alexnet_lib.book.evidence import family_verdicts, points
from alexnet_lib.book.scorecard import epochs_to, gap, late_change, paired_difference, verdict


def ordered(names) -> list[str]:
    """Row names in the order of ``ROWS``, then rows ``ROWS`` no longer has, by name."""
    names = set(names)
    return [n for n in ROWS if n in names] + sorted(names - set(ROWS))


def claim(name: str) -> str:
    return ROWS[name][0] if name in ROWS else ""


def table(records: dict[str, dict]) -> str:
    """One seed per row: ``{row: record}`` as a markdown table.

    "vs baseline" is the row's single-view test top-1 minus the baseline's: the paper's
    claim holds for a row where switching the ingredient off costs accuracy. "last train
    acc" is the last epoch's accuracy on the training batches as trained (augmented,
    dropout on); the gap is :func:`gap`, "n/a" in records that predate it.
    """
    base = records.get("baseline", {}).get("test", {}).get("single_top1")
    lines = ["| row | paper | test top-1 | vs baseline | ten-crop top-1 | last train acc "
             "| train - test gap | epochs to 25% train error | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in ordered(records):
        r = records[name]
        top1, ten = r["test"]["single_top1"], r["test"]["ten_crop_top1"]
        delta = "" if base is None or name == "baseline" else f"{top1 - base:+.2%}"
        g = gap(r)
        reached = epochs_to(r["history"], 0.25)
        reached = str(reached) if reached else f"not in {len(r['history']['epoch'])}"
        lines.append(f"| {name} | {claim(name)} | {top1:.2%} | {delta} | {ten:.2%} | "
                     f"{r['history']['train_acc'][-1]:.2%} | "
                     f"{'n/a' if g is None else f'{g:+.2%}'} | {reached} | "
                     f"{r['train_seconds']:.0f} |")
    return "\n".join(lines)


def _mean_sd(values: list[float]) -> str:
    """Accuracies as percent: mean and, from two values on, sample standard deviation."""
    if len(values) < 2:
        return f"{100 * values[0]:.2f}"
    return f"{100 * statistics.fmean(values):.2f} ± {100 * statistics.stdev(values):.2f}"


def _epochs(runs: list[dict]) -> str:
    reached = [epochs_to(r["history"], 0.25) for r in runs]
    done = [e for e in reached if e is not None]
    epochs = max(len(r["history"]["epoch"]) for r in runs)
    if not done:
        return f"not in {epochs}"
    text = f"{statistics.fmean(done):.1f}"
    if len(done) < len(runs):
        text += f" ({len(runs) - len(done)} of {len(runs)} seeds: not in {epochs})"
    return text


def scorecard(runs: dict[str, dict[int, dict]]) -> str:
    """Several seeds per row: ``{row: {seed: record}}`` as a markdown table.

    Per row: the seeds, mean ± standard deviation over the seeds of single-view and
    ten-crop test top-1 (percent), the paired difference from the row's reference in points
    with its 95% interval, the verdict, the verdict after Holm's correction over the
    scorecard's family of comparisons, epochs to 25% training error (mean over the seeds
    that reach it) and the train - test gap (:func:`gap`, mean over seeds; "n/a" if a
    record lacks it).
    """
    lines = ["| row | paper | seeds | test top-1 %, mean ± sd over seeds | ten-crop top-1 %, "
             "mean ± sd | vs reference, paired (95% CI), points | verdict | after Holm | "
             "epochs to 25% train error | train - test gap |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    adjusted = family_verdicts(runs)
    for name in ordered(runs):
        seeds = sorted(runs[name])
        records = [runs[name][s] for s in seeds]
        single = [r["test"]["single_top1"] for r in records]
        ten = [r["test"]["ten_crop_top1"] for r in records]
        if name == "baseline":
            delta, said, holm_said = "", "", ""
        else:
            ref = reference(name)  # the baseline, or the row this one is paired with
            d = paired_difference(runs[name], runs.get(ref, {}))
            said = verdict(d, ref)
            holm_said = adjusted.get((name, "single_top1"), "")
            delta = points(d)
            if ref != "baseline":
                delta += f" vs {ref}"
        gaps = [gap(r) for r in records]
        g = "n/a" if None in gaps else f"{100 * statistics.fmean(gaps):+.2f} points"
        lines.append(f"| {name} | {claim(name)} | {', '.join(map(str, seeds))} | "
                     f"{_mean_sd(single)} | {_mean_sd(ten)} | {delta} | {said} | {holm_said} | "
                     f"{_epochs(records)} | {g} |")
    return "\n".join(lines)


def gap_table(runs: dict[str, dict[int, dict]], last: int | None = None) -> str:
    """The measures of overfitting, per row: eval-mode training top-1 and the train - test
    gap (:func:`gap`; means over the seeds, percent), the gap's paired difference from the
    row's reference with its 95% interval, its verdict plain and after Holm's correction
    (the gap is in the family only for the rows whose claim is about it), and how much the
    validation top-1 still moved in the last ``last`` epochs (:func:`late_change`; by
    default the last tenth of the row's epochs, at least one)."""
    lines = ["| row | seeds | train top-1 % (eval mode), mean | train - test gap, mean, "
             "points | gap vs reference, paired (95% CI), points | verdict | after Holm | "
             "validation top-1, change over the last "
             f"{'tenth of the' if last is None else last} epochs, points |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    adjusted = family_verdicts(runs)
    for name in ordered(runs):
        records = [runs[name][s] for s in sorted(runs[name])]
        if any(gap(r) is None for r in records):
            continue  # made before the gap was measured
        train = statistics.fmean(r["test"]["train_top1"] for r in records)
        mean_gap = statistics.fmean(gap(r) for r in records)
        if name == "baseline":
            delta, said, holm_said = "", "", ""
        else:
            ref = reference(name)
            d = paired_difference(runs[name], runs.get(ref, {}), "gap")
            delta, said = points(d), verdict(d, ref)
            holm_said = adjusted.get((name, "gap"), "")
        epochs = len(records[0]["history"]["val_acc"])
        change = late_change(runs[name], last or max(1, round(epochs / 10)))
        late = "" if change is None else f"{100 * change:+.2f}"
        lines.append(f"| {name} | {', '.join(map(str, sorted(runs[name])))} | "
                     f"{100 * train:.2f} | {100 * mean_gap:+.2f} | {delta} | {said} | "
                     f"{holm_said} | {late} |")
    return "\n".join(lines)
