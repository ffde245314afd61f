"""The scorecard's runs over epochs: each row's mean curve and the band of its seeds.

Chapters 3-7 lead with these figures, drawn from the recorded runs
(``data/records/quick-cpu/scorecard/<row>/seed<s>/history.json``), before their small live
demonstrations. A record's history has, per epoch, ``train_acc`` (on the batches as
trained: augmented, dropout on) and ``val_acc`` (the held-out validation split, eval
mode); the test set is scored once, at the end, so the curves show validation error.
"""

from __future__ import annotations

import statistics

CURVES = {
    "train_error": ("training error (batches as trained)",
                    lambda h: [1 - a for a in h["train_acc"]]),
    "val_error": ("validation error", lambda h: [1 - a for a in h["val_acc"]]),
    "train_loss": ("training loss", lambda h: list(h["train_loss"])),
}
LINESTYLE = {"train_error": "--", "val_error": "-", "train_loss": "-"}


def seed_band(seeds: dict[int, dict], key: str) -> dict:
    """``{"epoch", "mean", "low", "high", "n"}`` of curve ``key`` over a row's seeds (low and
    high: the lowest and highest seed at each epoch), over the epochs every seed has."""
    curves = [CURVES[key][1](r["history"]) for _, r in sorted(seeds.items())]
    if not curves:
        raise ValueError(f"no runs to draw {key} from")
    length = min(len(c) for c in curves)
    columns = [[c[i] for c in curves] for i in range(length)]
    epochs = list(next(iter(seeds.values()))["history"]["epoch"])[:length]
    return {"epoch": epochs, "mean": [statistics.fmean(c) for c in columns],
            "low": [min(c) for c in columns], "high": [max(c) for c in columns],
            "n": len(curves)}


def plot_record_curves(runs: dict[str, dict[int, dict]], rows, keys=("train_error", "val_error"),
                       ax=None, labels: dict[str, str] | None = None, title: str | None = None):
    """One colour per row, one line style per curve: the mean over the row's seeds and, shaded,
    the band between its lowest and highest seed. Rows without records are left out and
    named in the title. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    labels = labels or {}
    missing = [row for row in rows if not runs.get(row)]
    for i, row in enumerate(r for r in rows if runs.get(r)):
        for key in keys:
            band = seed_band(runs[row], key)
            name = f"{labels.get(row, row)}: {CURVES[key][0]} ({band['n']} seeds)"
            ax.plot(band["epoch"], band["mean"], LINESTYLE[key], color=f"C{i}", lw=1.6,
                    label=name)
            ax.fill_between(band["epoch"], band["low"], band["high"], color=f"C{i}",
                            alpha=0.2, lw=0)
    ax.set(xlabel="epoch", ylabel=" / ".join(CURVES[k][0].split(" (")[0] for k in keys))
    heading = title or "recorded runs: mean over seeds, band from lowest to highest seed"
    if missing:
        heading += f"\n(no records yet: {', '.join(missing)})"
    ax.set_title(heading, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
