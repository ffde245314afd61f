"""The diagram of dropout's thinned networks (alexnet_lib.book.dropout_diagram)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from alexnet_lib.book.dropout_diagram import (  # noqa: E402
    DROPPED,
    KEPT,
    plot_dropout_networks,
    sample_thinned_masks,
)


def teardown_function():
    plt.close("all")


def units(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def edges(ax) -> int:
    [collection] = [c for c in ax.collections
                    if isinstance(c, LineCollection) and c.get_gid() == "edges"]
    return len(collection.get_segments())


def test_masks_keep_each_unit_with_probability_one_minus_p():
    masks = sample_thinned_masks([1000, 1000], n_networks=4, p=0.25, seed=3)
    assert len(masks) == 4 and all(len(m) == 2 for m in masks)
    kept = torch.stack([layer for network in masks for layer in network]).float().mean()
    assert abs(kept.item() - 0.75) < 0.02
    # the same rule as the chapter's dropout: kept where a uniform draw is >= p
    first = torch.rand(1000, generator=torch.Generator().manual_seed(3)) >= 0.25
    assert torch.equal(masks[0][0], first)
    assert all(torch.equal(a, b) for a, b in zip(masks[1], sample_thinned_masks(
        [1000, 1000], 4, 0.25, seed=3)[1], strict=True))


def test_every_thinned_layer_keeps_a_unit():
    masks = sample_thinned_masks([1, 2], n_networks=50, p=0.9, seed=0)
    assert all(layer.any() for network in masks for layer in network)
    assert all(torch.equal(layer, torch.ones(1, dtype=torch.bool))
               for layer in (network[0] for network in masks))


@pytest.mark.parametrize("p", [0.5, 0.25])
def test_the_panels_show_the_full_the_thinned_and_the_test_time_network(p):
    sizes = (3, 5, 4, 2)
    fig = plot_dropout_networks(sizes, n_thinned=2, p=p, seed=1,
                                layer_names=("in", "h1", "h2", "out"))
    full, *thinned, test = fig.axes
    assert len(thinned) == 2 and fig.dropout["p"] == p
    all_edges = 3 * 5 + 5 * 4 + 4 * 2
    for ax in (full, test):
        assert len(units(ax, "kept")) == sum(sizes) and not units(ax, "dropped")
        assert edges(ax) == all_edges
    for ax, (h1, h2) in zip(thinned, fig.dropout["masks"], strict=True):
        a, b = int(h1.sum()), int(h2.sum())
        # dropped units are greyed out, and no connection reaches them
        assert len(units(ax, "dropped")) == sum(sizes) - (3 + a + b + 2)
        assert all(u.get_facecolor() == matplotlib.colors.to_rgba(DROPPED)
                   for u in units(ax, "dropped"))
        assert all(u.get_facecolor() == matplotlib.colors.to_rgba(KEPT)
                   for u in units(ax, "kept"))
        assert edges(ax) == 3 * a + a * b + b * 2
    assert any(units(ax, "dropped") for ax in thinned)  # seed 1 drops some
    # at test time every hidden unit's outputs are scaled by 1 - p; nowhere else
    scales = [t.get_text() for t in test.texts if t.get_gid() == "scale"]
    assert scales == [f"×{1 - p:g}"] * (5 + 4)
    assert not [t for ax in (full, *thinned) for t in ax.texts if t.get_gid() == "scale"]
    assert f"outputs × {1 - p:g}" in test.get_title()
    assert {"in", "h1", "h2", "out"} <= {t.get_text() for t in full.texts}


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="dropout probability"):
        plot_dropout_networks(p=1.0)
    with pytest.raises(ValueError, match="at least one thinned"):
        plot_dropout_networks(n_thinned=0)
    with pytest.raises(ValueError, match="hidden layer"):
        plot_dropout_networks((4, 2))
    with pytest.raises(ValueError, match="3 layer names for 4 layers"):
        plot_dropout_networks(layer_names=("a", "b", "c"))
