"""Every figure the book shows: image grids, training curves, filters, feature maps,
confusion heatmaps. Each function draws on a new (or given) matplotlib figure and
returns it, so a chapter can save, close or embed it."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .data import CLASSES


def to_hwc(image: torch.Tensor) -> np.ndarray:
    """A ``(3, H, W)`` uint8 or 0..1 float image as an ``(H, W, 3)`` float array in 0..1."""
    x = image.detach().cpu()
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    return x.clamp(0, 1).permute(1, 2, 0).numpy()


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


def plot_filters(weight: torch.Tensor, ncols: int = 16, size: float = 0.6):
    """First-layer filters ``(out, 3, k, k)`` as small RGB images, each scaled to its own
    range (the paper's Figure 3)."""
    w = weight.detach().float().cpu()
    lo = w.flatten(1).min(1).values[:, None, None, None]
    hi = w.flatten(1).max(1).values[:, None, None, None]
    w = (w - lo) / (hi - lo + 1e-8)
    nrows = math.ceil(len(w) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(w):
            ax.imshow(w[i].permute(1, 2, 0).numpy(), interpolation="nearest")
    fig.tight_layout(pad=0.1)
    return fig


def plot_feature_maps(maps: torch.Tensor, ncols: int = 16, size: float = 0.7,
                      title: str | None = None, cmap: str = "viridis"):
    """Every channel of one image's feature maps ``(C, H, W)`` as a grid of heatmaps."""
    m = maps.detach().float().cpu()
    nrows = math.ceil(len(m) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(m):
            ax.imshow(m[i].numpy(), cmap=cmap, interpolation="nearest")
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.1)
    return fig


def plot_confusion(cm: torch.Tensor, classes=CLASSES, normalize: bool = True, ax=None):
    """A seaborn heatmap of a confusion matrix (rows: true class, columns: predicted)."""
    import seaborn as sns

    values = cm.double()
    if normalize:
        values = values / values.sum(1, keepdim=True).clamp_min(1)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    sns.heatmap(values.numpy(), annot=True, fmt=".2f" if normalize else "d", cmap="Blues",
                xticklabels=classes, yticklabels=classes, ax=ax, cbar=False)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.figure.tight_layout()
    return ax.figure
