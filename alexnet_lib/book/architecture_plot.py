"""The paper's Figure 2 drawn from a model: every layer's output shape read by one forward
pass with hooks (:func:`architecture_layers`), drawn as one or two towers with the layers
a chapter is about highlighted (:func:`plot_architectures`)."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import torch

from ..layers import LocalResponseNorm
from ..models import ACTIVATIONS


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
