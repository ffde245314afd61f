"""The scorecard's forest plot: each row's paired difference from the baseline, with its 95%
interval and every seed's own difference (statistics from ``scorecard``)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from .ablations import reference
from .scorecard import measure, paired_difference, verdict


def plot_scorecard(runs: dict[str, dict[int, dict]], rows, keys=("single_top1", "ten_crop_top1"),
                   title: str | None = None):
    """The scorecard rows ``rows`` (``{row: {seed: record}}`` from
    :func:`alexnet_lib.book.scorecard.load_runs`) against the baseline (or the row
    :func:`alexnet_lib.book.ablations.reference` pairs them with): for each row and each
    measure in ``keys``, the paired difference in points with its 95% interval (a filled
    marker and a bar), and each seed's own difference (small dots). A row whose bar crosses
    the dashed zero line is not resolved at this scale; with one paired seed there is no
    bar and the marker is hollow. Returns the figure."""
    labels = {"single_top1": "test top-1", "ten_crop_top1": "ten-crop top-1",
              "gap": "train - test gap"}
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
