"""Dropout's thinned networks drawn by code: one fully connected network, a few of the
"thinned" networks that dropout samples from it while training (dropped units greyed
out, with no connections), and the network used at test time, all units present and
their outputs scaled by ``1 - p`` (Srivastava et al., 2014, Figures 1 and 2; Krizhevsky
et al., 2012, section 4.2)."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib.collections import LineCollection

__all__ = ["plot_dropout_networks", "sample_thinned_masks"]

KEPT, DROPPED = "#9ecae1", "#e6e6e6"  # the units' fill: kept, and dropped (greyed out)
_EDGE = "#555555"
_DX = 1.5  # the distance between layers, in units of the distance between units


def sample_thinned_masks(hidden_sizes, n_networks: int, p: float, seed: int = 0):
    """``n_networks`` dropout masks over the hidden layers: one list per network, one bool
    tensor per hidden layer, True where the unit is kept. Each unit is kept when a uniform
    draw is at least ``p``, as ``torch.rand_like(x) >= p`` in the chapter's ``dropout``.
    A layer whose units were all dropped is drawn again (a picture of a network with no
    path through it teaches nothing), so every thinned network keeps a unit per layer."""
    if not 0 <= p < 1:
        raise ValueError(f"p = {p}: a dropout probability is in [0, 1)")
    if n_networks < 1:
        raise ValueError(f"n_networks = {n_networks}: draw at least one thinned network")
    generator = torch.Generator().manual_seed(seed)
    masks = []
    for _ in range(n_networks):
        network = []
        for size in hidden_sizes:
            keep = torch.rand(size, generator=generator) >= p
            while not keep.any():
                keep = torch.rand(size, generator=generator) >= p
            network.append(keep)
        masks.append(network)
    return masks


def _positions(layer_sizes) -> list[list[tuple[float, float]]]:
    """The centre of every unit: layer ``i`` at x = i * _DX, its units centred around 0."""
    return [[(i * _DX, (size - 1) / 2 - k) for k in range(size)]
            for i, size in enumerate(layer_sizes)]


def _draw_network(ax, layer_sizes, kept, title: str, scale: float | None = None) -> None:
    """One network on ``ax``: ``kept[i][k]`` says whether unit ``k`` of layer ``i`` is
    present. Units are circles (gid "kept" or "dropped"); the connections between present
    units are one LineCollection (gid "edges"); with ``scale``, every hidden unit is
    labelled with the factor its outputs are multiplied by (the test-time network)."""
    positions = _positions(layer_sizes)
    segments = [(a, b)
                for i in range(len(layer_sizes) - 1)
                for a, ka in zip(positions[i], kept[i], strict=True) if ka
                for b, kb in zip(positions[i + 1], kept[i + 1], strict=True) if kb]
    ax.add_collection(LineCollection(segments, colors=_EDGE, linewidths=0.6, zorder=1,
                                     gid="edges"))
    radius = 0.17
    for i, layer in enumerate(positions):
        hidden = 0 < i < len(layer_sizes) - 1
        for (x, y), present in zip(layer, kept[i], strict=True):
            ax.add_patch(matplotlib.patches.Circle(
                (x, y), radius, facecolor=KEPT if present else DROPPED,
                edgecolor="black" if present else "#b0b0b0", linewidth=0.8, zorder=2,
                gid="kept" if present else "dropped"))
            if not present:  # a cross over the dropped unit
                ax.plot([x - 0.1, x + 0.1], [y - 0.1, y + 0.1], color="#b0b0b0", lw=0.8,
                        zorder=3)
                ax.plot([x - 0.1, x + 0.1], [y + 0.1, y - 0.1], color="#b0b0b0", lw=0.8,
                        zorder=3)
            if scale is not None and hidden:
                ax.text(x + radius + 0.05, y, f"×{scale:g}", fontsize=7, zorder=4,
                        color="tab:purple", ha="left", va="center", gid="scale",
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
    tallest = max(layer_sizes)
    ax.set_xlim(-0.5, (len(layer_sizes) - 1) * _DX + 0.6)
    ax.set_ylim(-tallest / 2 - 0.3, tallest / 2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def plot_dropout_networks(layer_sizes=(4, 6, 6, 3), n_thinned: int = 3, p: float = 0.5,
                          seed: int = 0, layer_names=None):
    """A row of panels: the fully connected network; ``n_thinned`` thinned networks, each
    what one training step sees when every hidden unit is dropped with probability ``p``
    (dropped units greyed out and crossed, without connections); and the test-time
    network, every unit present and each hidden unit's outputs multiplied by ``1 - p``
    (the paper's scaling; inverted dropout divides by ``1 - p`` in training instead).

    ``layer_sizes`` counts the units of the input, the hidden layers and the output; only
    hidden units are dropped (AlexNet drops the outputs of fc6 and fc7). ``layer_names``,
    if given, labels the layers under the first panel. Returns the figure;
    ``fig.dropout`` holds ``masks`` (:func:`sample_thinned_masks`), ``p`` and
    ``layer_sizes``."""
    layer_sizes = tuple(int(s) for s in layer_sizes)
    if len(layer_sizes) < 3 or min(layer_sizes) < 1:
        raise ValueError(f"layer_sizes {layer_sizes}: an input, at least one hidden layer "
                         f"and an output, each with at least one unit")
    if layer_names is not None and len(layer_names) != len(layer_sizes):
        raise ValueError(f"{len(layer_names)} layer names for {len(layer_sizes)} layers")
    masks = sample_thinned_masks(layer_sizes[1:-1], n_thinned, p, seed)
    everyone = [torch.ones(s, dtype=torch.bool) for s in layer_sizes]
    panels = [(everyone, "the full network", None)]
    for k, network in enumerate(masks, start=1):
        kept = [everyone[0], *network, everyone[-1]]
        panels.append((kept, f"thinned network {k}\n(one training step)", None))
    panels.append((everyone, f"test time: all units,\noutputs × {1 - p:g}", 1 - p))
    width = 0.4 * _DX * len(layer_sizes)
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels),
                                                      0.42 * max(layer_sizes) + 1.1))
    for ax, (kept, title, scale) in zip(axes, panels, strict=True):
        _draw_network(ax, layer_sizes, kept, title, scale)
    if layer_names is not None:
        bottom = -max(layer_sizes) / 2 - 0.05
        for i, name in enumerate(layer_names):
            axes[0].text(i * _DX, bottom, name, ha="center", va="top", fontsize=7, color="#333333")
    fig.dropout = {"masks": masks, "p": p, "layer_sizes": layer_sizes}
    fig.tight_layout()
    return fig
