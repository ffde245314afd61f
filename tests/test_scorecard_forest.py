"""The closing chapter's and the measuring page's scorecard plots
(alexnet_lib.book.scorecard_plot: zoom_groups, plot_forest, plot_epochs_to, plot_pairing,
plot_holm), on made-up records."""

from __future__ import annotations

import matplotlib
import pytest

from alexnet_lib.book.scorecard_plot import (
    plot_epochs_to,
    plot_forest,
    plot_holm,
    plot_pairing,
    zoom_groups,
)

matplotlib.use("Agg")


def record(top1: float, train: float = 0.9, train_acc=(0.5, 0.7, 0.8)) -> dict:
    return {"test": {"single_top1": top1, "ten_crop_top1": top1 + 0.01, "train_top1": train},
            "history": {"epoch": list(range(1, len(train_acc) + 1)),
                        "train_acc": list(train_acc)}}


def runs_of(values: dict[str, list[float]], **extra) -> dict:
    return {row: {seed: record(v, **extra.get(row, {})) for seed, v in enumerate(accs)}
            for row, accs in values.items()}


@pytest.fixture
def runs():
    # tanh: about -10 points; no_lrn: -2 points exactly; no_overlap: small and noisy
    return runs_of({"baseline": [0.80, 0.79, 0.81],
                    "tanh": [0.70, 0.69, 0.715],
                    "no_lrn": [0.78, 0.77, 0.79],
                    "no_overlap": [0.801, 0.789, 0.812],
                    "no_lighting": [0.80]})


def test_zoom_groups_keeps_similar_rows_together_and_splits_off_large_ones():
    assert zoom_groups({"a": 1.0, "b": 2.0, "c": 3.0}) == [["a", "b", "c"]]
    groups = zoom_groups({"small": 0.3, "mid": 0.5, "large": 10.0, "larger": 11.0})
    assert groups == [["large", "larger"], ["small", "mid"]]  # largest effects first
    assert zoom_groups({}) == []


def test_zoom_groups_uses_the_fewest_panels_and_no_more_than_allowed():
    extents = {"a": 0.3, "b": 1.0, "c": 3.0, "d": 9.0, "e": 27.0}
    assert len(zoom_groups(extents, max_ratio=4.0)) == 3
    assert len(zoom_groups(extents, max_ratio=4.0, max_panels=2)) == 2
    assert len(zoom_groups(extents, max_ratio=100.0)) == 1
    # every extent counts as at least the floor: tiny effects do not get a panel alone
    assert zoom_groups({"tiny": 0.01, "small": 0.2}, floor=0.25) == [["tiny", "small"]]


def test_plot_forest_gives_large_and_small_effects_their_own_x_range(runs):
    fig = plot_forest(runs, ["tanh", "no_lrn", "no_overlap", "no_lighting", "shallower"],
                      paper={"no_overlap": -0.004, "shallower": -0.02})
    axes = fig.axes
    assert len(axes) == 3  # about 10 points, 2 points, under half a point
    labels = [[t.get_text() for t in ax.get_yticklabels()] for ax in axes]
    # rows keep their given order top to bottom (tick labels run bottom to top);
    # shallower has no records: not drawn
    assert labels == [["tanh (n=3)"], ["no_lrn (n=3)"],
                      ["no_lighting (n=1)", "no_overlap (n=3)"]]
    large, small = axes[0].get_xlim(), axes[2].get_xlim()
    assert large[0] < -9 and -1 < small[0] < -0.4 and 0.4 < small[1] < 1
    # the paper's effect is drawn where it was given, as a diamond
    diamonds = [line for ax in axes for line in ax.lines if line.get_marker() == "D"]
    assert [line.get_xdata()[0] for line in diamonds] == pytest.approx([-0.4])
    assert "test top-1" in axes[0].get_title()


def test_plot_forest_fills_resolved_markers_and_labels_other_references():
    runs = runs_of({"paper_scale": [0.70, 0.69, 0.71],
                    "paper_scale_no_lrn": [0.67, 0.66, 0.68]})
    fig = plot_forest(runs, ["paper_scale_no_lrn"])
    [ax] = fig.axes
    assert ax.get_yticklabels()[0].get_text() == "paper_scale_no_lrn (n=3)\nvs paper_scale"
    means = [line for line in ax.lines if line.get_marker() == "o"]
    assert means and means[0].get_markerfacecolor() == "black"  # -3 points every seed


def test_plot_forest_refuses_a_measure_without_paired_records(runs):
    with pytest.raises(ValueError, match="no row has paired records"):
        plot_forest(runs, ["shallower"])


def test_plot_epochs_to_marks_seeds_that_never_reach_the_threshold():
    runs = {"baseline": {0: record(0.8, train_acc=(0.5, 0.8, 0.9))},
            "tanh": {0: record(0.7, train_acc=(0.4, 0.5, 0.6)),
                     1: record(0.7, train_acc=(0.4, 0.5, 0.8))}}
    fig = plot_epochs_to(runs, ["tanh", "no_lrn"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tanh (n=2)", "baseline (n=1)"]
    missed = [line for line in ax.lines if line.get_marker() == ">"]
    assert len(missed) == 1 and [t.get_text() for t in ax.texts] == ["1"]
    assert "not\nreached" in [t.get_text() for t in ax.get_xticklabels()]
    # the baseline reaches 25% training error (80% accuracy) at epoch 2: the dotted line
    assert ax.lines[-1].get_xdata()[0] == 2


def test_plot_pairing_draws_both_panels_on_the_same_span(runs):
    fig = plot_pairing(runs, "no_overlap")
    left, right = fig.axes
    assert len([line for line in left.lines if line.get_marker() == "o"]) == 3  # seeds
    spans = [ax.get_ylim()[1] - ax.get_ylim()[0] for ax in (left, right)]
    assert spans[0] == pytest.approx(spans[1])
    low, high = right.get_ylim()
    assert low < 0 < high  # the zero line is in view
    with pytest.raises(ValueError, match="two or more"):
        plot_pairing(runs, "no_lighting")


def test_plot_holm_colours_what_survives_the_correction():
    fig = plot_holm({"a": 0.001, "b": 0.02, "c": 0.3, "d": None})
    ax = fig.axes[0]
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert [line.get_ydata()[0] for line in points] == [0.001, 0.02, 0.3]
    # a: 3 x 0.001 < 0.05 (after Holm); b: 0.02 < 0.05 alone, 2 x 0.02 = 0.04 < 0.05 too
    assert [line.get_markerfacecolor() for line in points] == ["black", "black", "white"]
    fig = plot_holm({"a": 0.001, "b": 0.03, "c": 0.04})
    colours = [line.get_markerfacecolor() for line in fig.axes[0].lines
               if line.get_marker() == "o"]
    assert colours == ["black", "tab:orange", "tab:orange"]  # 2 x 0.03 = 0.06
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError):
        plot_holm({"a": None})
