"""The book's pictures: image grids, training curves, filters, feature maps, confusion
heatmaps, the LRN curve. Each ``plot_``/``show_`` function draws on a new (or given)
matplotlib figure and returns it, so a chapter can save, close or embed it; the two
pictures the widgets hold many of (:func:`feature_map_mosaic`, :func:`augmentation_grid`)
are drawn as arrays instead, milliseconds each. The architecture diagram is in
``architecture_plot``, the scorecard's plot in ``scorecard_plot``."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ..augment import TrainAugment
from ..data import CLASSES
from ..layers import PAPER_LRN
from .images import enlarge, tile_images, to_hwc, to_uint8
from .inspection import lrn_response


def show_images(images, labels=None, predictions=None, confidences=None, ncols: int = 10,
                classes=CLASSES, size: float = 1.2, title: str | None = None):
    """A grid of images with their class names; with ``predictions``, the predicted class
    and its confidence, green when right and red when wrong."""
    n = len(images)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.25),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(to_hwc(images[i]), interpolation="nearest")
        if predictions is None and labels is not None:
            ax.set_title(classes[int(labels[i])], fontsize=8)
        elif predictions is not None:
            text = classes[int(predictions[i])]
            if confidences is not None:
                text += f" {float(confidences[i]):.0%}"
            right = labels is None or int(predictions[i]) == int(labels[i])
            ax.set_title(text, fontsize=8, color="tab:green" if right else "tab:red")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history: dict, title: str | None = None, fig=None):
    """Loss (left) and accuracy (right) per epoch from ``fit``'s history."""
    if fig is None:
        fig = plt.figure(figsize=(10, 3.5))
    fig.clear()
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = history["epoch"]
    loss_ax.plot(epochs, history["train_loss"], "o-", label="train loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy")
    loss_ax.legend()
    acc_ax.plot(epochs, history["train_acc"], "o-", label="train (augmented)")
    acc_ax.plot(epochs, history["val_acc"], "s-", label="validation")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("top-1 accuracy")
    acc_ax.set_ylim(0, 1)
    acc_ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


class LivePlot:
    """A ``fit`` callback that redraws the training curves after every epoch in a notebook.

    In a notebook it updates one output in place (IPython's display handle); elsewhere it
    only keeps the figure. Call :meth:`close` at the end to leave one static figure.
    """

    def __init__(self, title: str | None = None):
        self.title = title
        self.fig = plt.figure(figsize=(10, 3.5))
        self.handle = None

    def __call__(self, history: dict) -> None:
        plot_history(history, self.title, fig=self.fig)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)

    def close(self) -> None:
        plt.close(self.fig)


def _mosaic_figure(picture: np.ndarray, nrows: int, ncols: int, size: float,
                   title: str | None = None):
    """One tiled picture on a figure of ``size`` inches per tile, without axes."""
    fig, ax = plt.subplots(figsize=(ncols * size, nrows * size))
    ax.imshow(picture, interpolation="nearest")
    ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.1)
    return fig


def plot_filters(weight: torch.Tensor, ncols: int = 16, size: float = 0.6):
    """First-layer filters ``(out, 3, k, k)`` as small RGB images, each scaled to its own
    range (the paper's Figure 3), tiled into one picture with 1-pixel white gaps: filter
    ``i`` is at row ``i // ncols``, column ``i % ncols``."""
    w = weight.detach().float().cpu()
    lo = w.amin(dim=(1, 2, 3), keepdim=True)
    hi = w.amax(dim=(1, 2, 3), keepdim=True)
    w = (w - lo) / (hi - lo + 1e-8)
    ncols = min(ncols, len(w))
    return _mosaic_figure(to_hwc(tile_images(w, ncols, gap=1)), math.ceil(len(w) / ncols),
                          ncols, size)


def feature_map_mosaic(maps: torch.Tensor, ncols: int = 12, tile: int = 64, gap: int = 2,
                       cmap: str = "viridis") -> np.ndarray:
    """Every channel of one image's feature maps ``(C, H, W)`` tiled into one RGB array.

    Each map is scaled to its own range (a dead, constant map shows as all low), coloured
    with ``cmap`` and enlarged by a whole factor to about ``tile`` pixels (nearest
    neighbour); ``gap`` white pixels between the maps. Returns an ``(rows, cols, 3)``
    uint8 array: milliseconds, where one matplotlib axes per channel takes seconds, so a
    widget can hold dozens of them.
    """
    m = maps.detach().float().cpu()
    if m.dim() != 3:
        raise ValueError(f"expected (C, H, W) feature maps, got shape {tuple(m.shape)}")
    lo = m.amin(dim=(1, 2), keepdim=True)
    hi = m.amax(dim=(1, 2), keepdim=True)
    m = (m - lo) / (hi - lo).clamp_min(1e-8)
    colors = torch.from_numpy(matplotlib.colormaps[cmap](m.numpy())[..., :3]).float()
    colors = enlarge(colors.permute(0, 3, 1, 2), max(1, tile // max(m.shape[1:])))
    return to_uint8(tile_images(colors, ncols, gap))


def plot_feature_maps(maps: torch.Tensor, ncols: int = 16, size: float = 0.7,
                      title: str | None = None, cmap: str = "viridis"):
    """Every channel of one image's feature maps ``(C, H, W)`` as a grid of heatmaps, each
    map scaled to its own range: :func:`feature_map_mosaic` at one pixel per value."""
    ncols = min(ncols, len(maps))
    picture = feature_map_mosaic(maps, ncols, tile=1, gap=1, cmap=cmap)
    return _mosaic_figure(picture, math.ceil(len(maps) / ncols), ncols, size, title)


def augmentation_grid(image: torch.Tensor, augment=None, n_views: int = 8,
                      generator: torch.Generator | None = None, ncols: int = 3,
                      scale: int = 3, gap: int = 2) -> np.ndarray:
    """One image and ``n_views`` random augmentations of it, tiled into one RGB array.

    ``image`` is ``(3, H, W)``, uint8 or floats in 0..1; ``augment(x, generator)`` is a
    batch augmentation such as :class:`alexnet_lib.augment.TrainAugment` (default: random
    32x32 crops of the image padded by 4, and flips). The first tile is the original,
    the others are the views, each drawn independently from ``generator``; smaller views
    (e.g. 28x28 crops) sit centred in their tile. Each pixel is enlarged ``scale`` times.
    Returns an ``(rows, cols, 3)`` uint8 array, white between the tiles.
    """
    if augment is None:
        augment = TrainAugment(size=32, padding=4, flip=True, lighting=0.0)
    x = image.float() / 255 if image.dtype == torch.uint8 else image.float()
    views = enlarge(augment(x[None].repeat(n_views, 1, 1, 1), generator).clamp(0, 1), scale)
    original = enlarge(x, scale)
    dh, dw = original.shape[-2] - views.shape[-2], original.shape[-1] - views.shape[-1]
    views = F.pad(views, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2), value=1.0)
    return to_uint8(tile_images(torch.cat([original[None], views]), ncols, gap))


def lrn_curve_figure(k: float = PAPER_LRN["k"], n: int = PAPER_LRN["size"],
                     alpha: float = PAPER_LRN["alpha"], beta: float = PAPER_LRN["beta"],
                     neighbour: float = 0.0, max_input: float = 500.0, points: int = 201):
    """A figure of LRN's output ``b`` against input ``a`` (0 to ``max_input``) for these
    parameters (blue), with the paper's parameters (``layers.PAPER_LRN``) at the same
    neighbour activity (grey, dashed) and the largest output marked
    (:func:`alexnet_lib.book.inspection.lrn_response`). A plain ``matplotlib.figure.Figure``,
    not a pyplot one, so drawing it in a widget callback leaves pyplot's state alone."""
    from matplotlib.figure import Figure

    a = torch.linspace(0.0, max_input, points)
    b = lrn_response(a, neighbour, k, n, alpha, beta)
    paper = lrn_response(a, neighbour)
    energy = (n - 1) * neighbour**2
    fig = Figure(figsize=(5.2, 3.4), dpi=80)
    ax = fig.subplots()
    ax.plot(a.numpy(), paper.numpy(), "--", color="tab:gray",
            label="paper: k={k:g}, n={size}, alpha={alpha:.0e}, beta={beta:g}".format(
                **PAPER_LRN))
    ax.plot(a.numpy(), b.numpy(), color="tab:blue", lw=2,
            label=f"k={k:g}, n={n}, alpha={alpha:.1e}, beta={beta:g}")
    top = int(b.argmax())
    ax.plot([a[top].item()], [b[top].item()], "o", color="tab:blue")
    ax.annotate(f"max {b[top].item():.3g} at a={a[top].item():.0f}",
                (a[top].item(), b[top].item()), xytext=(4, -12), textcoords="offset points",
                fontsize=8)
    ax.set(xlabel="input activation a", ylabel="output b", xlim=(0, max_input),
           title=f"each of the {n - 1} neighbours at {neighbour:g}: "
                 f"neighbour energy {energy:.3g}")
    ax.title.set_fontsize(9)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_confusion(cm: torch.Tensor, classes=CLASSES, normalize: bool = True, ax=None):
    """A seaborn heatmap of a confusion matrix (rows: true class, columns: predicted):
    each row divided by its sum (the fraction of that class given each prediction) with
    ``normalize``, the counts themselves without."""
    import seaborn as sns

    values = cm.double()
    if normalize:
        values = values / values.sum(1, keepdim=True).clamp_min(1)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    sns.heatmap(values.numpy(), annot=True, fmt=".2f" if normalize else ".0f", cmap="Blues",
                xticklabels=classes, yticklabels=classes, ax=ax, cbar=False)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.figure.tight_layout()
    return ax.figure
