"""The scorecard's records and statistics (alexnet_lib.scorecard) and its plot."""

from __future__ import annotations

import json

import matplotlib
import pytest

from alexnet_lib import scorecard
from alexnet_lib.viz import plot_scorecard

matplotlib.use("Agg")


def record(top1: float, ten: float | None = None, train: float = 0.9) -> dict:
    return {"test": {"single_top1": top1, "ten_crop_top1": ten or top1 + 0.01,
                     "train_top1": train},
            "history": {"epoch": [1, 2], "train_acc": [0.5, 0.8]}}


@pytest.fixture
def folder(tmp_path):
    values = {"baseline": [0.80, 0.79, 0.81], "no_lrn": [0.78, 0.77, 0.79],
              "no_overlap": [0.81, 0.78, 0.80], "tanh": [0.70]}
    for row, accs in values.items():
        for seed, acc in enumerate(accs):
            path = tmp_path / "scorecard" / row / f"seed{seed}" / "history.json"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(record(acc)))
    # an unfinished run has a checkpoint and no record: not read
    (tmp_path / "scorecard" / "tanh" / "seed1").mkdir()
    return tmp_path / "scorecard"


def test_load_runs_reads_finished_runs_by_row_and_seed(folder):
    runs = scorecard.load_runs(folder)
    assert sorted(runs) == ["baseline", "no_lrn", "no_overlap", "tanh"]
    assert sorted(runs["baseline"]) == [0, 1, 2] and sorted(runs["tanh"]) == [0]
    assert runs["no_lrn"][1]["test"]["single_top1"] == 0.77


def test_paired_difference_resolves_a_consistent_row_and_not_a_noisy_one(folder):
    runs = scorecard.load_runs(folder)
    d = scorecard.paired_difference(runs["no_lrn"], runs["baseline"])
    assert d["n"] == 3 and d["mean"] == pytest.approx(-0.02)
    assert scorecard.verdict(d) == "lower than baseline"  # every seed exactly -2 points
    noisy = scorecard.paired_difference(runs["no_overlap"], runs["baseline"])
    assert scorecard.verdict(noisy) == scorecard.UNRESOLVED
    one = scorecard.paired_difference(runs["tanh"], runs["baseline"])
    assert one["n"] == 1 and one["low"] is None
    assert scorecard.verdict(one) == "one paired seed: no interval"
    gap = scorecard.paired_difference(runs["no_lrn"], runs["baseline"], "gap")
    assert gap["mean"] == pytest.approx(0.02)  # same train accuracy, 2 points lower test


def test_find_scorecard_looks_upwards(tmp_path, monkeypatch):
    target = tmp_path / scorecard.SCORECARD_CPU
    target.mkdir(parents=True)
    (tmp_path / "book").mkdir()
    assert scorecard.find_scorecard(tmp_path / "book") == target
    assert scorecard.find_scorecard(tmp_path) == target


def test_plot_scorecard_draws_an_interval_per_resolved_measure(folder):
    runs = scorecard.load_runs(folder)
    fig = plot_scorecard(runs, ["no_lrn", "no_overlap", "tanh", "missing_row"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 6  # three rows present, two measures each
    assert any("tanh" in t for t in labels) and not any("missing" in t for t in labels)
    verdicts = [t.get_text() for t in ax.texts]
    assert "n=3: lower than baseline" in verdicts
    assert "n=1: one paired seed: no interval" in verdicts
