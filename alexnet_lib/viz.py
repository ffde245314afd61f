"""Every figure the book shows: image grids, training curves, filters, feature maps,
confusion heatmaps, the LRN curve. Each ``plot_``/``show_`` function draws on a new (or
given) matplotlib figure and returns it, so a chapter can save, close or embed it; the
two pictures the widgets hold many of (:func:`feature_map_mosaic`,
:func:`augmentation_grid`) are drawn as arrays instead, milliseconds each."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from .ablations import reference
from .augment import TrainAugment
from .data import CLASSES
from .images import enlarge, tile_images, to_hwc, to_uint8
from .inspection import lrn_response
from .layers import PAPER_LRN
from .models import ACTIVATIONS
from .scorecard import measure, paired_difference, verdict


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
    (:func:`alexnet_lib.inspection.lrn_response`). A plain ``matplotlib.figure.Figure``,
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


def architecture_layers(model: torch.nn.Module, input_size: int | None = None) -> list[dict]:
    """The layers of an AlexNet-style model as :func:`plot_architectures` draws them, read
    from the model by one forward pass of a zero image with forward hooks, not typed in.

    One dict per drawn layer, in order: ``name`` (``input``, ``convK``, ``poolK``,
    ``fcK``), ``kind`` ("input", "conv", "pool", "fc"), ``shape`` (the output shape of one
    image: ``(C, H, W)`` or ``(units,)``), ``groups`` (the layer's own groups), ``lrn``
    (a local response normalization follows it), ``detail`` (kernel and stride) and
    ``exchange``: the layer reads the outputs of both towers, which in a model split into
    towers (``groups`` > 1 somewhere) is every convolution or fully connected layer after
    the first with ``groups=1``: conv3 and fc6-fc8 in the paper. ``towers`` is the model's
    split, the largest ``groups`` of its layers. ``dropout``: a dropout follows the layer,
    so its outputs are dropped in training (the paper: fc6 and fc7; torchvision's
    placement: pool5 and fc6, the inputs of fc6 and fc7); ``activation``: the
    nonlinearity that follows the layer ("relu", "tanh", ...) or None. ``tags``: what
    :func:`plot_architectures`' ``highlight`` matches: the name, the kind, "lrn" and
    ``normK`` (the K-th LRN), "dropout", the activation.
    ``input_size`` defaults to 227 for ``AlexNet`` and 32 otherwise."""
    from .layers import LocalResponseNorm

    if input_size is None:
        input_size = 227 if getattr(model, "config", {}).get("arch") == "AlexNet" else 32
    modules = list(model.features) + list(model.classifier)
    shapes: dict[int, tuple] = {}
    hooks = [m.register_forward_hook(
        lambda mod, inp, out, i=i: shapes.__setitem__(i, tuple(out.shape[1:])))
        for i, m in enumerate(modules)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    towers = max(getattr(m, "groups", 1) for m in modules)
    rows: list[dict] = [dict(name="input", kind="input", shape=(3, input_size, input_size),
                             groups=1, lrn=False, detail="", exchange=False)]
    activations = {cls: name for name, cls in ACTIVATIONS.items()}
    convs = 0
    norms = 0
    for i, m in enumerate(modules):
        if isinstance(m, torch.nn.Conv2d):
            convs += 1
            rows.append(dict(name=f"conv{convs}", kind="conv", shape=shapes[i], groups=m.groups,
                             lrn=False, detail=f"{m.kernel_size[0]}x{m.kernel_size[1]}"
                             + (f"/{m.stride[0]}" if m.stride[0] > 1 else "")))
        elif isinstance(m, torch.nn.Linear):
            convs += 1
            rows.append(dict(name=f"fc{convs}", kind="fc", shape=shapes[i], groups=1,
                             lrn=False, detail=""))
        elif isinstance(m, torch.nn.MaxPool2d):
            k, s = m.kernel_size, m.stride
            rows.append(dict(name=f"pool{convs}", kind="pool", shape=shapes[i], groups=1,
                             lrn=False, detail=f"max {k}x{k}/{s}"))
        elif isinstance(m, LocalResponseNorm):
            norms += 1
            rows[-1]["lrn"] = True
            rows[-1]["norm"] = f"norm{norms}"
        elif isinstance(m, torch.nn.Dropout):
            rows[-1]["dropout"] = m.p > 0  # what the last drawn layer passes on is dropped
        elif rows[-1]["kind"] in ("conv", "fc"):
            rows[-1]["shape"] = shapes[i]  # the activation's output (same shape)
            if type(m) in activations:
                rows[-1]["activation"] = activations[type(m)]
    for r in rows:
        r["towers"] = towers
        r["exchange"] = (towers > 1 and r["kind"] in ("conv", "fc") and r["name"] != "conv1"
                         and r["groups"] == 1)
        r.setdefault("dropout", False)
        r.setdefault("activation", None)
        tags = {r["name"], r["kind"]}
        if r["lrn"]:
            tags |= {"lrn", r.pop("norm")}
        if r["dropout"]:
            tags.add("dropout")
        if r["activation"]:
            tags.add(r["activation"])
        r["tags"] = tags
    return rows


def shape_label(shape: tuple) -> str:
    """``(96, 55, 55)`` -> ``"55x55x96"`` (height x width x channels, the paper's way);
    ``(4096,)`` -> ``"4096"``."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return str(shape[0])


_ARCH_COLOURS = {"input": "#dddddd", "conv": "#9ecae1", "pool": "#c7e9c0", "fc": "#fdd0a2"}
_HIGHLIGHT = "#ffe680"  # the band behind the layers a chapter is about


def _draw_architecture(ax, rows: list[dict], title: str, highlight=frozenset()) -> None:
    towers = rows[0]["towers"]
    n = len(rows)
    ys = [0.5] if towers == 1 else [1.0, 0.0]
    box_w, box_h = 0.78, 0.62
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(-1.25 if towers > 1 else -0.45, 1.95 if towers > 1 else 1.45)
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11)
    for x, r in enumerate(rows):
        lit = r["name"] in highlight
        faded = bool(highlight) and not lit
        if lit:  # a band from the shapes below to the labels above the column
            bottom = min(ys) - box_h / 2 - 0.3
            ax.add_patch(matplotlib.patches.Rectangle(
                (x - 0.5, bottom), 1.0, max(ys) + box_h / 2 + 0.58 - bottom,
                facecolor=_HIGHLIGHT, edgecolor="none", zorder=0))
        split = towers > 1 and 0 < x < n - 1  # the image and the logits: one each
        for y in (ys if split else [sum(ys) / len(ys)]):
            ax.add_patch(matplotlib.patches.FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02",
                facecolor=_ARCH_COLOURS[r["kind"]], edgecolor="black" if lit else "#444444",
                linewidth=2.0 if lit else 0.8, alpha=0.35 if faded else 1.0))
            part = list(r["shape"])
            if split:
                part[0] //= towers
            ax.text(x, y, shape_label(tuple(part)), ha="center", va="center", fontsize=7,
                    alpha=0.5 if faded else 1.0)
        head = r["name"] + (" + LRN" if r["lrn"] else "")
        ax.text(x, max(ys) + box_h / 2 + 0.08, head, ha="center", va="bottom", fontsize=8,
                fontweight="bold", color="tab:red" if r["exchange"] else "black")
        if r["detail"]:
            ax.text(x, max(ys) + box_h / 2 + 0.32, r["detail"], ha="center", va="bottom",
                    fontsize=7, color="#555555")
        ax.text(x, min(ys) - box_h / 2 - 0.1, shape_label(r["shape"]), ha="center", va="top",
                fontsize=7, color="#333333")
        if r["dropout"]:  # its outputs are dropped in training
            ax.text(x, min(ys) - box_h / 2 - 0.3, "then dropout", ha="center", va="top",
                    fontsize=7, color="tab:purple", fontstyle="italic")
        if x == 0:
            continue
        prev_split = towers > 1 and x - 1 > 0
        srcs = ys if prev_split else [sum(ys) / len(ys)]
        dsts = ys if split else [sum(ys) / len(ys)]
        for i, y0 in enumerate(srcs):
            for j, y1 in enumerate(dsts):
                crossing = len(srcs) > 1 and len(dsts) > 1 and i != j
                if crossing and not r["exchange"]:
                    continue
                ax.annotate("", xy=(x - box_w / 2, y1), xytext=(x - 1 + box_w / 2, y0),
                            arrowprops=dict(arrowstyle="->", lw=1.1 if crossing else 0.8,
                                            color="tab:red" if crossing else "#444444"))
    if towers > 1:
        ax.text(-0.55, -1.2, "below each column: the whole layer's output (height x width x "
                "channels, or units); inside: each tower's half; red: the towers exchange data",
                fontsize=7, color="#555555", va="bottom")


def plot_architectures(alexnet: torch.nn.Module | None, cifar: torch.nn.Module | None = None,
                       alexnet_size: int | None = None, cifar_size: int | None = None,
                       highlight=()):
    """The paper's network drawn as the paper's Figure 2 has it, two towers (one per GPU)
    when the model has ``groups=2``, with every layer's output shape read from the model
    (:func:`architecture_layers`) and the layers where the towers exchange data (conv3
    and the fully connected layers) in red; below it, if given, the CIFAR-10 network with
    its own shapes (``alexnet=None`` draws the CIFAR-10 network alone).

    ``highlight`` names the layers a chapter is about: a band marks them and the other
    layers fade. Each entry matches the rows whose ``tags`` hold it: a layer's name
    ("conv1", "pool2", "fc6"), a kind ("conv", "pool", "fc", "input"), "lrn" or
    "norm1", "norm2" (the layers an LRN follows), "dropout", or an activation ("relu").
    An entry that matches no layer of any drawn model raises ``ValueError``.

    Returns the figure; ``fig.architecture`` holds the drawn rows, one list per model, and
    ``fig.highlighted`` the names of the highlighted layers, one list per model."""
    models = ([(alexnet, alexnet_size)] if alexnet is not None else []) + (
        [(cifar, cifar_size)] if cifar is not None else [])
    if not models:
        raise ValueError("plot_architectures needs a model to draw")
    if isinstance(highlight, str):
        highlight = (highlight,)
    layers = [architecture_layers(m, s) for m, s in models]
    unknown = [h for h in highlight if not any(h in r["tags"] for rows in layers for r in rows)]
    if unknown:
        raise ValueError(f"highlight {unknown} matches no drawn layer: use a layer name "
                         f"(conv1, pool1, fc6), a kind (conv, pool, fc, input), lrn, normK, "
                         f"dropout or an activation")
    lit = [[r["name"] for r in rows if r["tags"] & set(highlight)] for rows in layers]
    heights = [3.2 if rows[0]["towers"] > 1 else 1.9 for rows in layers]
    width = max(len(rows) for rows in layers) * 1.05
    fig, axes = plt.subplots(len(models), 1, figsize=(width, sum(heights)),
                             gridspec_kw=dict(height_ratios=heights), squeeze=False)
    for ax, (model, _), rows, names in zip(axes[:, 0], models, layers, lit, strict=True):
        arch = getattr(model, "config", {}).get("arch", type(model).__name__)
        size = rows[0]["shape"][1]
        extra = ""
        if arch == "AlexNetCIFAR":
            extra = f", width {model.config['width']:g}"
        towers = rows[0]["towers"]
        tower_text = f"two towers (groups={towers})" if towers > 1 else "one tower"
        ax.set_title("")
        _draw_architecture(ax, rows, f"{arch}{extra}: {size}x{size} input, {tower_text}",
                           frozenset(names))
    fig.architecture = layers
    fig.highlighted = lit
    fig.tight_layout()
    return fig


def plot_scorecard(runs: dict[str, dict[int, dict]], rows, keys=("single_top1", "ten_crop_top1"),
                   title: str | None = None):
    """The scorecard rows ``rows`` (``{row: {seed: record}}`` from
    :func:`alexnet_lib.scorecard.load_runs`) against the baseline (or the row
    :func:`alexnet_lib.ablations.reference` pairs them with): for each row and each
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
