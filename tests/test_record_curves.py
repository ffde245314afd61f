"""alexnet_lib.book.record_curves: curves of recorded runs (made-up histories)."""

import matplotlib
import pytest

from alexnet_lib.book.record_curves import plot_record_curves, seed_band

matplotlib.use("Agg")


def _run(train, val):
    return {"history": {"epoch": list(range(1, len(train) + 1)), "train_acc": train,
                        "val_acc": val, "train_loss": [1.0] * len(train)}}


def test_the_band_spans_the_seeds_and_the_mean_is_between():
    seeds = {0: _run([0.5, 0.7], [0.4, 0.6]), 1: _run([0.6, 0.9], [0.5, 0.8])}
    band = seed_band(seeds, "train_error")
    assert band["epoch"] == [1, 2] and band["n"] == 2
    assert band["low"] == pytest.approx([0.4, 0.1])
    assert band["high"] == pytest.approx([0.5, 0.3])
    assert band["mean"] == pytest.approx([0.45, 0.2])


def test_seeds_of_different_lengths_are_cut_to_the_common_epochs():
    band = seed_band({0: _run([0.5, 0.7, 0.8], [0.4] * 3), 1: _run([0.5, 0.6], [0.4] * 2)},
                     "val_error")
    assert band["epoch"] == [1, 2]


def test_rows_without_records_are_named_not_drawn():
    runs = {"baseline": {0: _run([0.5, 0.7], [0.4, 0.6])}}
    ax = plot_record_curves(runs, ["baseline", "tanh"])
    assert len(ax.lines) == 2  # baseline's two curves
    assert "no records yet: tanh" in ax.get_title()
    assert len(ax.collections) == 2  # one band per curve
