"""Two ways from an image to a label, drawn as boxes and arrows (:func:`plot_pipelines`):
the pipeline of the 2000s, where people designed the features and only the last stage
learned from the labels, set against AlexNet's stack of layers, all learned from the
labels together. The stages are data (:data:`TRADITIONAL`, :func:`alexnet_stages`), so a
test or a chapter can read what the figure draws.

Each stage has a ``how``: ``"data"`` (the image, the label), ``"designed"`` (a recipe
written by people: SIFT, HOG, colour statistics), ``"unsupervised"`` (fitted to the
training descriptors without their labels: the k-means codebook of a bag of visual
words, the Gaussian mixture of a Fisher vector) or ``"labels"`` (trained to predict the
labels)."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import torch

from .architecture_plot import architecture_layers, shape_label

__all__ = ["HOW", "TRADITIONAL", "alexnet_stages", "plot_pipelines"]

# how a stage came to be: what the legend says, and the colour of its box
HOW = {
    "data": ("image or label", "#dddddd"),
    "designed": ("designed by hand", "#fdd0a2"),
    "unsupervised": ("fitted to unlabelled descriptors", "#fff2ae"),
    "labels": ("trained on the labels", "#9ecae1"),
}


def _stage(name: str, examples: str, how: str, note: str = "") -> dict:
    return dict(name=name, examples=examples, how=how, note=note)


# The pipeline of the ILSVRC entries of 2010-2012 (chapter 1 tells their sources).
TRADITIONAL = (
    _stage("image", "pixels", "data"),
    _stage("local descriptors", "SIFT, HOG,\ncolour statistics", "designed",
           "per patch (SIFT: 128 numbers)"),
    _stage("encoding, pooling", "bag of visual words,\nFisher vectors", "unsupervised",
           "one long vector per image"),
    _stage("linear classifier", "support vector\nmachine (SVM)", "labels",
           "a score per class"),
    _stage("label", "the top-scoring\nclass", "data"),
)


def alexnet_stages(model: torch.nn.Module | None = None) -> tuple[dict, ...]:
    """AlexNet's stages for :func:`plot_pipelines`: the image, the convolutions, the
    hidden fully connected layers, the output layer and the label. Read from ``model``
    (an AlexNet-style model, through
    :func:`~alexnet_lib.book.architecture_plot.architecture_layers`) when one is given;
    ``None`` gives the paper's network (section 3.5) without building it."""
    if model is None:
        image, convs, conv_first, conv_last = "227x227x3", 5, "55x55x96", "6x6x256"
        hidden, units, classes = ["fc6", "fc7"], 4096, 1000
        first, last, output = "conv1", "conv5", "fc8"
    else:
        rows = architecture_layers(model)
        image = shape_label(rows[0]["shape"])
        conv_rows = [r for r in rows if r["kind"] == "conv"]
        fc_rows = [r for r in rows if r["kind"] == "fc"]
        convs, first, last = len(conv_rows), conv_rows[0]["name"], conv_rows[-1]["name"]
        conv_first = shape_label(conv_rows[0]["shape"])
        conv_last = shape_label(_before_fc(rows)["shape"])
        hidden = [r["name"] for r in fc_rows[:-1]]
        units, classes = fc_rows[0]["shape"][0], fc_rows[-1]["shape"][0]
        output = fc_rows[-1]["name"]
    return (
        _stage("image", "pixels", "data", image),
        _stage(f"{first}-{last}", f"{convs} convolutional\nlayers, with pooling",
               "labels", f"{conv_first} ... {conv_last}"),
        _stage(", ".join(hidden), f"{len(hidden)} fully connected\nlayers", "labels",
               f"{units} units each"),
        _stage(f"{output} + softmax", f"{classes} class\nprobabilities", "labels",
               "a score per class"),
        _stage("label", "the most probable\nclass", "data"),
    )


def _before_fc(rows: list[dict]) -> dict:
    """The last drawn layer before the first fully connected one (pool5 in AlexNet)."""
    first_fc = next(i for i, r in enumerate(rows) if r["kind"] == "fc")
    return rows[first_fc - 1]


_BOX_W, _BOX_H, _STEP = 1.75, 0.78, 2.15  # a stage's box, and the distance between stages


def _draw_row(ax, stages, y: float, title: str) -> list[float]:
    """One pipeline as boxes joined by arrows, ``title`` above it; the boxes' x centres."""
    xs = [i * _STEP for i in range(len(stages))]
    ax.text(xs[0] - _BOX_W / 2, y + _BOX_H / 2 + 0.32, title, ha="left", va="bottom",
            fontsize=11, fontweight="bold")
    for x, stage in zip(xs, stages, strict=True):
        ax.add_patch(matplotlib.patches.FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0.03",
            facecolor=HOW[stage["how"]][1], edgecolor="#444444", linewidth=0.8))
        ax.text(x, y + 0.2, stage["name"], ha="center", va="center", fontsize=9,
                fontweight="bold")
        ax.text(x, y - 0.1, stage["examples"], ha="center", va="center", fontsize=8)
        if stage["note"]:
            ax.text(x, y + _BOX_H / 2 + 0.08, stage["note"], ha="center", va="bottom",
                    fontsize=7, color="#555555")
    for x0, x1 in zip(xs[:-1], xs[1:], strict=True):
        ax.annotate("", xy=(x1 - _BOX_W / 2 - 0.03, y), xytext=(x0 + _BOX_W / 2 + 0.03, y),
                    arrowprops=dict(arrowstyle="->", lw=1.2, color="#444444"))
    return xs


def _bracket(ax, x0: float, x1: float, y: float, text: str) -> None:
    """A bracket under the stages from ``x0`` to ``x1``: what the labels' error trains."""
    left, right = x0 - _BOX_W / 2, x1 + _BOX_W / 2
    ax.plot([left, left, right, right], [y + 0.1, y, y, y + 0.1], color="tab:blue", lw=1.3)
    ax.text((left + right) / 2, y - 0.06, text, ha="center", va="top", fontsize=8,
            color="tab:blue")


def plot_pipelines(alexnet: torch.nn.Module | None = None):
    """The traditional pipeline (:data:`TRADITIONAL`) above AlexNet's learned stack
    (:func:`alexnet_stages` of ``alexnet``; ``None`` draws the paper's network), each stage
    coloured by how it came to be (:data:`HOW`), and under each row a bracket over the
    stages that the labels train: the classifier alone, against every layer at once.

    Returns the figure; ``fig.pipelines`` holds the drawn stages (``"traditional"`` and
    ``"alexnet"``, each a list of stage dicts with ``x``, the box's centre) and
    ``fig.trained_on_labels`` the names of the stages under each bracket."""
    rows = {"traditional": [dict(s) for s in TRADITIONAL],
            "alexnet": [dict(s) for s in alexnet_stages(alexnet)]}
    titles = {"traditional": "Before 2012: features designed by hand, a classifier learned",
              "alexnet": "AlexNet (2012): every layer learned, end to end"}
    brackets = {"traditional": "trained on the labels: the classifier alone",
                "alexnet": "trained on the labels together, by backpropagation "
                           "from the classification error"}
    fig, ax = plt.subplots(figsize=(11, 4.8))
    trained = {}
    for (key, stages), y in zip(rows.items(), (2.2, 0.0), strict=True):
        xs = _draw_row(ax, stages, y, titles[key])
        for x, stage in zip(xs, stages, strict=True):
            stage["x"] = x
        learned = [s for s in stages if s["how"] == "labels"]
        _bracket(ax, learned[0]["x"], learned[-1]["x"], y - _BOX_H / 2 - 0.12, brackets[key])
        trained[key] = [s["name"] for s in learned]
    handles = [matplotlib.patches.Patch(facecolor=colour, edgecolor="#444444", label=label)
               for label, colour in HOW.values()]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=4,
              fontsize=8, frameon=False)
    last = (len(TRADITIONAL) - 1) * _STEP
    ax.set_xlim(-_BOX_W / 2 - 0.1, last + _BOX_W / 2 + 0.1)
    ax.set_ylim(-0.95, 3.35)
    ax.axis("off")
    fig.pipelines = rows
    fig.trained_on_labels = trained
    fig.tight_layout()
    return fig
