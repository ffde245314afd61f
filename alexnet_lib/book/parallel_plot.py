"""Chapter 11's figures: model parallelism (the paper's two towers) against data
parallelism (copies and an all-reduce), and two training runs' curves side by side."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt

LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")
# Where the paper's towers exchange data (section 3.2): into conv3 and every fc layer
PAPER_CROSSINGS = ("conv3", "fc6", "fc7", "fc8")
# Each GPU's share of every layer (Figure 2): kernels, then neurons (fc8: 1000 classes)
HALVES = dict(zip(LAYERS, (48, 128, 192, 192, 128, 2048, 2048, 500), strict=True))
_TOWER = ("#9ecae1", "#fdd0a2")  # GPU 0, GPU 1
_CROSS = "tab:red"


def _box(ax, x, y, w, h, colour, text, fontsize=7):
    ax.add_patch(matplotlib.patches.FancyBboxPatch(
        (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", facecolor=colour,
        edgecolor="#444444", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, colour="#444444", lw=0.8, style="->"):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle=style, lw=lw, color=colour))


def _draw_towers(ax, crossings: tuple[str, ...]) -> int:
    """The two towers, one row per GPU; red arrows where they exchange. Returns the
    number of crossing arrows drawn."""
    ys, w, h = (1.0, 0.0), 0.7, 0.5
    ax.set_xlim(-1.1, len(LAYERS) + 0.6)
    ax.set_ylim(-0.75, 1.75)
    ax.axis("off")
    ax.set_title("Model parallelism (2012): half of every layer on each GPU",
                 loc="left", fontsize=10)
    for gpu, y in enumerate(ys):
        ax.text(-1.05, y, f"GPU {gpu}", ha="left", va="center", fontsize=8,
                fontweight="bold")
    _box(ax, -0.2, 0.5, 0.55, 0.5, "#dddddd", "image")
    drawn = 0
    for i, name in enumerate(LAYERS):
        x = i + 1
        crossing = name in crossings
        ax.text(x, 1.42, name, ha="center", va="bottom", fontsize=8, fontweight="bold",
                color=_CROSS if crossing else "black")
        for gpu, y in enumerate(ys):
            _box(ax, x, y, w, h, _TOWER[gpu], str(HALVES[name]))
            if i == 0:
                _arrow(ax, (0.08, 0.5), (x - w / 2, y))
                continue
            _arrow(ax, (x - 1 + w / 2, y), (x - w / 2, y))
            if crossing:  # the other tower's half comes across too
                _arrow(ax, (x - 1 + w / 2, ys[1 - gpu]), (x - w / 2, y), _CROSS, 1.2)
                drawn += 1
    ax.text(-1.05, -0.7, "in each box: that GPU's kernels (neurons); red: the towers "
            "exchange their outputs (a copy between GPUs)", fontsize=7, color="#555555",
            va="bottom")
    return drawn


def _draw_copies(ax, copies: int) -> None:
    """``copies`` whole networks, each on its share of the batch, and the all-reduce."""
    ax.set_xlim(-1.1, len(LAYERS) + 0.6)
    ax.set_ylim(-0.7 * (copies - 1) - 0.6, 0.5)
    ax.axis("off")
    ax.set_title(f"Data parallelism (now): a whole copy on each of {copies} GPUs",
                 loc="left", fontsize=10)
    grads = 6.6  # the centre of the gradient boxes
    for gpu in range(copies):
        y = -0.7 * gpu
        ax.text(-1.05, y, f"GPU {gpu}", ha="left", va="center", fontsize=8,
                fontweight="bold")
        _box(ax, -0.2, y, 0.55, 0.45, "#dddddd", f"1/{copies} of\nthe batch", 6)
        _box(ax, 3.0, y, 4.6, 0.45, _TOWER[0], "the whole network: conv1 ... fc8")
        _arrow(ax, (0.08, y), (0.7, y))
        _box(ax, grads, y, 1.4, 0.45, "#c7e9c0", "its gradients", 7)
        _arrow(ax, (5.3, y), (grads - 0.7, y))
    bar_x = grads + 1.3
    bottom = -0.7 * (copies - 1)
    ax.plot([bar_x, bar_x], [bottom - 0.2, 0.2], color=_CROSS, lw=3)
    for gpu in range(copies):
        _arrow(ax, (grads + 0.7, -0.7 * gpu), (bar_x, -0.7 * gpu), _CROSS, 1.2, "<->")
    ax.text(bar_x + 0.15, -0.35 * (copies - 1), "all-reduce:\nthe mean of\nall copies'\n"
            "gradients", ha="left", va="center", fontsize=7, color=_CROSS, fontweight="bold")
    ax.text(-1.05, bottom - 0.35, "every copy takes the same step with the averaged "
            "gradients, so the copies stay identical", fontsize=7, color="#555555",
            va="top")


def plot_parallelism(crossings=PAPER_CROSSINGS, copies: int = 2):
    """Model parallelism (top: the paper's two towers, red arrows into the layers named
    in ``crossings``, e.g. a ``TwoTowerAlexNet``'s ``exchanges``) against data
    parallelism (below: ``copies`` whole networks, each on its share of the batch, their
    gradients averaged by an all-reduce). Names in ``crossings`` that are not layers
    ("lrn1", "logits") are not drawn; ``fig.crossings`` lists those drawn and
    ``fig.crossing_arrows`` counts their arrows (two per layer)."""
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    drawn = tuple(name for name in LAYERS if name in set(crossings))
    if not drawn:
        raise ValueError(f"crossings {list(crossings)} name none of {', '.join(LAYERS)}")
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9.5, 2.9 + 0.7 * copies),
        gridspec_kw=dict(height_ratios=[2.5, 0.4 + 0.7 * copies]))
    fig.crossing_arrows = _draw_towers(top, drawn)
    _draw_copies(bottom, copies)
    fig.crossings = list(drawn)
    fig.copies = copies
    fig.tight_layout()
    return fig


def plot_runs(runs: dict[str, dict], classes: int | None = None):
    """Training loss (left) and validation top-1 (right) per epoch for each run in
    ``runs`` (``{label: history}``, ``fit``'s history or a record's ``"history"``), one
    colour per run. With ``classes``, dashed lines mark chance: a loss of ln(classes)
    and a top-1 of 1 / classes. Returns the figure."""
    if not runs:
        raise ValueError("plot_runs needs at least one run")
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
    top = 0.0
    for label, history in runs.items():
        epochs = history["epoch"]
        top = max(top, *history["val_acc"])
        loss_ax.plot(epochs, history["train_loss"], "o-", label=label)
        acc_ax.plot(epochs, history["val_acc"], "s-", label=label)
    if classes:
        loss_ax.axhline(math.log(classes), color="grey", ls="--", lw=1,
                        label=f"chance: ln {classes}")
        acc_ax.axhline(1 / classes, color="grey", ls="--", lw=1, label="chance")
    loss_ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)")
    acc_ax.set(xlabel="epoch", ylabel="validation top-1",
               ylim=(0, min(1.0, max(0.5, 1.25 * top))))
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
