"""Chapter 11's figures (alexnet_lib.book.parallel_plot)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from alexnet_lib.book import parallel_plot  # noqa: E402


def teardown_function():
    plt.close("all")


def red_arrows(ax) -> int:
    red = matplotlib.colors.to_rgba("tab:red")
    return sum(1 for t in ax.texts if getattr(t, "arrow_patch", None) is not None
               and t.arrow_patch.get_edgecolor() == red)


def test_towers_cross_where_the_model_exchanged():
    # a TwoTowerAlexNet's exchanges also name the LRN and the logits: not layers, not drawn
    exchanges = ["lrn1", "lrn1", "conv3", "conv3", "fc6", "fc7", "fc8", "logits"]
    fig = parallel_plot.plot_parallelism(exchanges, copies=3)
    towers, copies = fig.axes
    assert fig.crossings == ["conv3", "fc6", "fc7", "fc8"] and fig.copies == 3
    assert fig.crossing_arrows == 8 == red_arrows(towers)  # two per crossing layer
    red = matplotlib.colors.to_rgba("tab:red")
    titles = {t.get_text(): t.get_color() for t in towers.texts if t.get_text()}
    assert {n for n, c in titles.items() if matplotlib.colors.to_rgba(c) == red} == {
        "conv3", "fc6", "fc7", "fc8"}
    texts = [t.get_text() for t in towers.texts]
    assert texts.count("48") == 2 and texts.count("2048") == 4  # each GPU's half
    # one copy per GPU, each with its share of the batch and an arrow to the all-reduce
    shares = [t.get_text() for t in copies.texts if t.get_text().startswith("1/3")]
    assert len(shares) == 3 and red_arrows(copies) == 3


def test_fewer_crossings_draw_fewer_arrows():
    fig = parallel_plot.plot_parallelism(("conv3",), copies=1)
    assert fig.crossings == ["conv3"] and red_arrows(fig.axes[0]) == 2


def test_plot_parallelism_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="name none of"):
        parallel_plot.plot_parallelism(["logits"])
    with pytest.raises(ValueError, match="copies"):
        parallel_plot.plot_parallelism(copies=0)


def test_plot_runs_draws_each_history_and_chance():
    runs = {"biases 1": {"epoch": [1, 2], "train_loss": [5.4, 2.3], "val_acc": [0.1, 0.1]},
            "biases 0.1": {"epoch": [1, 2], "train_loss": [2.3, 2.0], "val_acc": [0.2, 0.3]}}
    fig = parallel_plot.plot_runs(runs, classes=10)
    loss_ax, acc_ax = fig.axes
    lines = {line.get_label(): list(line.get_ydata()) for line in loss_ax.lines}
    assert lines["biases 1"] == [5.4, 2.3] and lines["biases 0.1"] == [2.3, 2.0]
    assert lines["chance: ln 10"][0] == pytest.approx(math.log(10))
    accs = {line.get_label(): list(line.get_ydata()) for line in acc_ax.lines}
    assert accs["biases 0.1"] == [0.2, 0.3] and accs["chance"][0] == pytest.approx(0.1)
    assert acc_ax.get_ylim() == (0, 0.5)  # room above the best run, not always 0..1
    assert len(parallel_plot.plot_runs(runs).axes[0].lines) == 2  # no chance lines
    with pytest.raises(ValueError, match="at least one run"):
        parallel_plot.plot_runs({})
