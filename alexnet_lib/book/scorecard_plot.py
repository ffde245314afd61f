"""The scorecard's plots: each row's paired difference from the baseline, with its 95%
interval and every seed's own difference (statistics from ``scorecard``).

:func:`plot_scorecard` draws several measures in one panel (the chapters of the
ingredients); :func:`plot_forest` draws one measure, cut into panels with their own
x-ranges (:func:`zoom_groups`) so that the large effects do not squash the small ones,
with the paper's own effect marked (the closing chapter).
"""

from __future__ import annotations

import itertools
import statistics

import matplotlib.pyplot as plt

from .ablations import reference
from .scorecard import epochs_to, holm, measure, paired_difference, verdict

MEASURE_LABELS = {"single_top1": "test top-1", "ten_crop_top1": "ten-crop top-1",
                  "gap": "train - test gap"}


def plot_scorecard(runs: dict[str, dict[int, dict]], rows, keys=("single_top1", "ten_crop_top1"),
                   title: str | None = None):
    """The scorecard rows ``rows`` (``{row: {seed: record}}`` from
    :func:`alexnet_lib.book.scorecard.load_runs`) against the baseline (or the row
    :func:`alexnet_lib.book.ablations.reference` pairs them with): for each row and each
    measure in ``keys``, the paired difference in points with its 95% interval (a filled
    marker and a bar), and each seed's own difference (small dots). A row whose bar crosses
    the dashed zero line is not resolved at this scale; with one paired seed there is no
    bar and the marker is hollow. Returns the figure."""
    labels = MEASURE_LABELS
    rows = [r for r in rows if r in runs and r != "baseline"]
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.55 * len(rows) * len(keys)))
    y = 0
    ticks, names = [], []
    for row in reversed(rows):
        ref = reference(row)  # the baseline, or the row this one is paired with
        base = runs.get(ref, {})
        for j, key in enumerate(keys):
            d = paired_difference(runs[row], base, key)
            color = f"C{j}"
            if d["n"]:
                seeds = sorted(set(runs[row]) & set(base))
                each = [100 * (measure(runs[row][s], key) - measure(base[s], key))
                        for s in seeds]
                ax.plot(each, [y] * len(each), ".", color=color, alpha=0.4, ms=5)
                if d["low"] is not None:
                    ax.errorbar(100 * d["mean"], y, xerr=[[100 * (d["mean"] - d["low"])],
                                                          [100 * (d["high"] - d["mean"])]],
                                fmt="o", color=color, capsize=3)
                else:
                    ax.plot(100 * d["mean"], y, "o", mfc="white", color=color)
                ax.annotate(f"n={d['n']}: {verdict(d, ref)}", (1.01, y), xycoords=("axes fraction",
                                                                               "data"),
                            fontsize=7, va="center", color=color)
            ticks.append(y)
            name = row if ref == "baseline" else f"{row} vs {ref}"
            names.append(f"{name} ({labels.get(key, key)})" if len(keys) > 1 else name)
            y += 1
        y += 0.5
    ax.axvline(0, color="black", ls="--", lw=1)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlabel("row minus baseline, paired by seed (points of accuracy)")
    ax.set_title(title or "the scorecard: each ingredient switched off, against the baseline",
                 fontsize=10)
    fig.tight_layout()
    fig.subplots_adjust(right=0.72)  # room for the verdicts right of the axes
    return fig


def zoom_groups(extents: dict[str, float], max_ratio: float = 4.0, max_panels: int = 3,
                floor: float = 0.25) -> list[list[str]]:
    """Rows cut into panels that each get their own x-range, so that large effects do not
    squash small ones. ``extents`` maps a row to how far from zero its marks reach (points);
    each extent counts as at least ``floor``. The rows, sorted by extent, are cut into the
    fewest runs of neighbours (at most ``max_panels``) in which the largest extent is at
    most ``max_ratio`` times the smallest, choosing the cut whose worst ratio is smallest
    (with ``max_panels`` runs when no cut meets the ratio). Largest effects first."""
    names = sorted(extents, key=lambda r: (max(extents[r], floor), extents[r], r))
    values = [max(extents[r], floor) for r in names]
    best: tuple[float, tuple[int, ...]] | None = None
    for k in range(1, min(max_panels, len(names)) + 1):
        best = None
        for cuts in itertools.combinations(range(1, len(names)), k - 1):
            bounds = (0, *cuts, len(names))
            worst = max(values[b - 1] / values[a] for a, b in itertools.pairwise(bounds))
            if best is None or worst < best[0]:
                best = (worst, bounds)
        if best[0] <= max_ratio:
            break
    if best is None:
        return []
    return [names[a:b] for a, b in itertools.pairwise(best[1])][::-1]


def _paired(runs, row, key):
    """The paired difference of ``row`` against its reference, and each seed's, in points."""
    base = runs.get(reference(row), {})
    seeds = sorted(set(runs.get(row, {})) & set(base))
    each = [100 * (measure(runs[row][s], key) - measure(base[s], key)) for s in seeds]
    return paired_difference(runs.get(row, {}), base, key), each


def _forest_panel(ax, runs, rows, key, paper):
    """One panel of :func:`plot_forest`: ``rows`` top to bottom, the x-range fitted to them."""
    reach = [0.0]
    for y, row in enumerate(reversed(rows)):
        d, each = _paired(runs, row, key)
        ax.plot(each, [y] * len(each), ".", color="0.45", ms=5)
        resolved = d["low"] is not None and not d["low"] <= 0 <= d["high"]
        face = "black" if resolved else "white"
        if d["low"] is not None:
            low, high = 100 * d["low"], 100 * d["high"]
            ax.errorbar(100 * d["mean"], y, xerr=[[100 * d["mean"] - low],
                                                  [high - 100 * d["mean"]]],
                        fmt="o", color="black", mfc=face, capsize=3, zorder=3)
            reach += [low, high]
        else:
            ax.plot(100 * d["mean"], y, "o", color="black", mfc="white", zorder=3)
        if row in paper:
            ax.plot(100 * paper[row], y, "D", color="tab:red", ms=6, zorder=4)
            reach.append(100 * paper[row])
        reach += each
    labels = [f"{row} (n={_paired(runs, row, key)[0]['n']})" for row in reversed(rows)]
    labels = [label + ("" if reference(row) == "baseline" else f"\nvs {reference(row)}")
              for label, row in zip(labels, reversed(rows), strict=True)]
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    low, high = min(reach), max(reach)
    pad = 0.08 * (high - low) or 0.5
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.axvline(0, color="black", ls="--", lw=1)
    ax.grid(axis="x", alpha=0.3)


def plot_forest(runs: dict[str, dict[int, dict]], rows, key: str = "single_top1",
                paper: dict[str, float] | None = None, title: str | None = None):
    """One measure's forest plot: for each row of ``rows`` with records, the paired
    difference from its reference (:func:`~alexnet_lib.book.ablations.reference`) in points,
    with its 95% interval (filled marker: the interval excludes 0; hollow: it does not, or
    one seed and no interval) and every seed's own difference (grey dots); ``paper`` maps
    rows to the effect the paper reports (red diamonds, as fractions like the records).
    Rows whose reach differs a lot go to separate panels, each with its own x-range
    (:func:`zoom_groups`). Returns the figure."""
    from matplotlib.lines import Line2D

    paper = paper or {}
    rows = [r for r in rows if r != "baseline" and _paired(runs, r, key)[0]["n"]]
    if not rows:
        raise ValueError(f"no row has paired records for {key!r}")
    extents = {}
    for row in rows:
        d, each = _paired(runs, row, key)
        marks = [*each, 100 * d["mean"]] + ([100 * paper[row]] if row in paper else [])
        marks += [100 * d["low"], 100 * d["high"]] if d["low"] is not None else []
        extents[row] = max(abs(m) for m in marks)
    groups = [[r for r in rows if r in g] for g in zoom_groups(extents)]  # keep rows' order
    sizes = [len(g) for g in groups]
    fig, axes = plt.subplots(len(groups), 1, figsize=(7.5, 1.5 + 0.36 * sum(sizes)
                                                      + 0.45 * len(groups)),
                             gridspec_kw={"height_ratios": [s + 1 for s in sizes]},
                             squeeze=False)
    for ax, group in zip(axes[:, 0], groups, strict=True):
        _forest_panel(ax, runs, group, key, paper)
    axes[-1, 0].set_xlabel("row minus its reference, paired by seed (points)", fontsize=9)
    axes[0, 0].set_title(title or f"{MEASURE_LABELS.get(key, key)}: each panel has its own "
                         f"scale", fontsize=10)
    handles = [Line2D([], [], color="black", marker="o", mfc="black", label="mean, 95% "
                      "interval excludes 0"),
               Line2D([], [], color="black", marker="o", mfc="white", label="interval "
                      "contains 0"),
               Line2D([], [], color="0.45", marker=".", ls="", label="one seed")]
    if any(r in paper for r in rows):
        handles.append(Line2D([], [], color="tab:red", marker="D", ls="",
                              label="the paper's effect (ImageNet)"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
               frameon=False)
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    return fig


def plot_epochs_to(runs: dict[str, dict[int, dict]], rows, train_error: float = 0.25):
    """The paper's Figure 1 measure for every row of ``rows`` with records (the baseline
    first): the first epoch at which each seed's training error (on the batches as
    trained) is at most ``train_error`` (dots), their mean (a bar), and, at the right, the
    seeds that never got there within their run (triangles). The dotted line is the
    baseline's mean. Returns the figure."""
    rows = ["baseline", *(r for r in rows if r != "baseline")]
    rows = [r for r in rows if runs.get(r)]
    if not rows:
        raise ValueError("no records to draw")
    fig, ax = plt.subplots(figsize=(7.5, 1.0 + 0.3 * len(rows)))
    last = max(len(rec["history"]["epoch"]) for seeds in runs.values()
               for rec in seeds.values())
    means = {}
    for y, row in enumerate(reversed(rows)):
        reached = [epochs_to(rec["history"], train_error) for rec in runs[row].values()]
        got = [e for e in reached if e is not None]
        ax.plot(got, [y] * len(got), ".", color="0.35", ms=7)
        missed = len(reached) - len(got)
        if missed:
            ax.plot([last + 1.5], [y], ">", color="tab:red", ms=6)
            ax.annotate(f"{missed}", (last + 1.5, y), xytext=(6, -3),
                        textcoords="offset points", fontsize=7, color="tab:red")
        if got:
            means[row] = statistics.fmean(got)
            ax.plot([means[row]] * 2, [y - 0.3, y + 0.3], color="black", lw=2)
    if "baseline" in means:
        ax.axvline(means["baseline"], color="black", ls=":", lw=1)
    ax.set_yticks(range(len(rows)), [f"{r} (n={len(runs[r])})" for r in reversed(rows)],
                  fontsize=8)
    ticks = list(range(0, last + 1, 2))
    ax.set_xticks([*ticks, last + 1.5], [*map(str, ticks), "not\nreached"], fontsize=8)
    ax.set_xlim(0, last + 2.5)
    ax.set_xlabel(f"first epoch with training error at most {train_error:.0%} "
                  f"(runs of {last} epochs)", fontsize=9)
    ax.set_title(f"epochs to {train_error:.0%} training error: seeds (dots), mean (bar)",
                 fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_pairing(runs: dict[str, dict[int, dict]], row: str, key: str = "single_top1"):
    """Why the scorecard pairs seeds, for one ``row``: left, each seed's run of the
    reference and of the row (joined by a line, one colour per seed); right, each seed's
    difference with the mean and its 95% interval. Both panels span the same number of
    points, so the spread of the differences compares directly with the spread of each
    row. Returns the figure."""
    ref = reference(row)
    d, each = _paired(runs, row, key)
    if d["n"] < 2:
        raise ValueError(f"{row} has {d['n']} paired seeds: pairing needs two or more")
    seeds = sorted(set(runs[row]) & set(runs[ref]))
    pairs = [(100 * measure(runs[ref][s], key), 100 * measure(runs[row][s], key))
             for s in seeds]
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 3.6), width_ratios=[3, 2])
    for i, (seed, pair) in enumerate(zip(seeds, pairs, strict=True)):
        left.plot([0, 1], pair, "o-", color=f"C{i}", label=f"seed {seed}")
        right.plot([0], [each[i]], "o", color=f"C{i}")
    mean, low, high = (100 * d[k] for k in ("mean", "low", "high"))
    right.errorbar([0.5], [mean], yerr=[[mean - low], [high - mean]], fmt="s",
                   color="black", capsize=4, label="mean, 95% interval")
    right.axhline(0, color="black", ls="--", lw=1)
    values = [v for pair in pairs for v in pair]
    span = 1.15 * max(max(values) - min(values), max(high, 0, *each) - min(low, 0, *each))
    for ax, middle in ((left, (max(values) + min(values)) / 2),
                       (right, (max(high, 0, *each) + min(low, 0, *each)) / 2)):
        ax.set_ylim(middle - span / 2, middle + span / 2)
        ax.grid(axis="y", alpha=0.3)
    label = MEASURE_LABELS.get(key, key)
    left.set_xticks([0, 1], [ref, row])
    left.set_xlim(-0.4, 1.4)
    left.set(ylabel=f"{label} (%)", title="each seed: the two runs")
    left.legend(fontsize=7)
    right.set_xticks([0, 0.5], ["each seed", "mean"])
    right.set_xlim(-0.4, 0.9)
    right.set(ylabel=f"{row} minus {ref} (points)", title="each seed: the difference")
    right.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_holm(pvalues: dict[str, float], alpha: float = 0.05):
    """Holm's correction drawn: the family's p-values from smallest to largest (log
    scale), the plain threshold ``alpha`` (dashed) and Holm's steps alpha / m,
    alpha / (m - 1), ... (solid). A comparison is resolved after Holm when it and every
    smaller p-value lie under their steps (filled); resolved on its own only (orange);
    not resolved (hollow). Returns the figure."""
    named = sorted((p, name) for name, p in pvalues.items() if p is not None)
    if not named:
        raise ValueError("no p-values to draw")
    adjusted = holm(dict(pvalues))
    m = len(named)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ranks = range(1, m + 1)
    ax.step(ranks, [alpha / (m - i + 1) for i in ranks], where="mid", color="black",
            lw=1.2, label=f"Holm: {alpha:g} / (m - rank + 1)")
    ax.axhline(alpha, color="black", ls="--", lw=1, label=f"each alone: {alpha:g}")
    for rank, (p, name) in zip(ranks, named, strict=True):
        if adjusted[name] < alpha:
            style = {"color": "black", "mfc": "black"}
        elif p < alpha:
            style = {"color": "tab:orange", "mfc": "tab:orange"}
        else:
            style = {"color": "0.4", "mfc": "white"}
        ax.plot(rank, p, "o", ms=7, **style)
    ax.set_yscale("log")
    ax.set_xticks(list(ranks), [name for _, name in named], rotation=60, ha="right",
                  fontsize=7)
    ax.set(ylabel="p-value (paired t-test)",
           title=f"{m} comparisons, smallest p first: black resolved after Holm, "
                 f"orange only alone")
    ax.title.set_fontsize(10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
