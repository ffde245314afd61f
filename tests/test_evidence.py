"""What the chapters print from the scorecard (alexnet_lib.book.evidence)."""

from __future__ import annotations

import json

import pytest

from alexnet_lib.book import evidence
from alexnet_lib.book.ablations import ROWS
from alexnet_lib.book.scorecard import UNRESOLVED


def record(top1: float, train: float = 0.9) -> dict:
    return {"test": {"single_top1": top1, "ten_crop_top1": top1 + 0.01, "train_top1": train},
            "history": {"epoch": [1, 2], "train_acc": [0.5, 0.8]}}


@pytest.fixture
def runs(tmp_path):
    values = {"baseline": [(0.80, 0.90), (0.79, 0.90), (0.81, 0.90)],
              "no_lrn": [(0.78, 0.90), (0.77, 0.90), (0.79, 0.90)],  # 2 points lower
              "no_lighting": [(0.82, 0.90), (0.81, 0.90), (0.83, 0.90)],  # 2 higher
              "no_overlap": [(0.81, 0.9), (0.78, 0.9), (0.80, 0.9)],  # noise
              # no dropout: same test accuracy, a larger train - test gap
              "no_dropout": [(0.80, 0.95), (0.79, 0.96), (0.81, 0.95)],
              "tanh": [(0.70, 0.9)]}
    for row, accs in values.items():
        for seed, (acc, train) in enumerate(accs):
            path = tmp_path / "sc" / row / f"seed{seed}" / "history.json"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(record(acc, train)))
    return evidence.load(tmp_path / "sc")


def test_every_row_has_an_idea_and_a_claim_measure():
    assert set(evidence.IDEAS) == set(ROWS) - {"baseline"}
    assert all(key in evidence.MEASURES for _, key, _ in evidence.IDEAS.values())


def test_outcome_compares_the_interval_with_the_papers_prediction(runs):
    def outcome(row):
        return evidence.row_summary(runs, row)[0]["outcome"]

    assert outcome("no_lrn") == evidence.HELD  # the paper predicts lower, and it is
    assert outcome("no_lighting") == evidence.CONTRADICTED  # resolved, the other way
    assert outcome("no_overlap") == UNRESOLVED
    assert outcome("tanh") == evidence.TOO_FEW
    assert outcome("shallower") == evidence.NO_RECORDS
    # dropout's claim is about overfitting: the gap, not the test accuracy
    top1, gap = evidence.row_summary(runs, "no_dropout", ("single_top1", "gap"))
    assert top1["outcome"] == "" and top1["verdict"] == UNRESOLVED
    assert gap["outcome"] == evidence.HELD and gap["difference"].startswith("+5.33 (")
    assert evidence.row_summary(runs, "dropout_torchvision")[0]["outcome"] == (
        evidence.NO_RECORDS)
    assert evidence.outcome({"n": 3, "mean": 0.01, "low": 0.005, "high": 0.02}, None) == (
        evidence.NO_CLAIM)


def test_report_prints_the_differences_and_what_makes_missing_records(runs):
    text = evidence.report(runs, ["no_lrn", "shallower"])
    first, last = text.splitlines()
    assert first.startswith("no_lrn") and "-2.00 (-2.00 to -2.00; n = 3)" in first
    assert "lower than baseline" in first
    assert "no paired records for shallower" in last and evidence.SWEEP_COMMAND in last


def test_no_records_at_all(tmp_path):
    runs = evidence.load(tmp_path / "nowhere")
    assert runs == {}
    text = evidence.report(runs, ["tanh"])
    assert "no paired records for baseline, tanh yet" in text
    assert evidence.points({"n": 0, "mean": None, "low": None, "high": None}) == "n/a"


def _runs_from(tmp_path, values):
    for row, accs in values.items():
        for seed, acc in enumerate(accs):
            path = tmp_path / "lrn" / row / f"seed{seed}" / "history.json"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(record(acc)))
    return evidence.load(tmp_path / "lrn")


BASE = [0.80, 0.79, 0.81]
LOWER = [0.78, 0.77, 0.79]  # two points below, every seed


@pytest.mark.parametrize("values, says", [
    ({"baseline": BASE}, "not known yet"),
    ({"baseline": BASE, "no_lrn": [0.78]}, "not known yet"),
    ({"baseline": BASE, "no_lrn": [0.81, 0.78, 0.80]}, "not resolved at this scale"),
    ({"baseline": BASE, "no_lrn": [0.82, 0.81, 0.83]}, "LRN costs accuracy here"),
    ({"baseline": BASE, "no_lrn": LOWER}, "not separated yet"),
    ({"baseline": BASE, "no_lrn": LOWER, "lrn_constant": [0.81, 0.78, 0.80]},
     "no benefit of the normalization beyond the rescaling"),
    ({"baseline": BASE, "no_lrn": LOWER, "lrn_constant": [0.785, 0.775, 0.795]},
     "adds something beyond the rescaling"),
    ({"baseline": BASE, "no_lrn": LOWER, "lrn_constant": [0.82, 0.81, 0.83]},
     "the gain carries LRN's benefit"),
])
def test_lrn_reading_follows_the_intervals(tmp_path, values, says):
    assert says in evidence.lrn_reading(_runs_from(tmp_path, values))


def test_lrn_reading_gives_the_holm_verdicts_beside_the_plain_ones(tmp_path):
    runs = _runs_from(tmp_path, {"baseline": BASE, "no_lrn": LOWER,
                                 "lrn_constant": [0.81, 0.78, 0.80]})
    text = evidence.lrn_reading(runs)
    # two comparisons in the family: no_lrn's constant -2.00 survives, lrn_constant's not
    assert text.endswith("(after Holm's correction over the scorecard's family: `no_lrn` "
                         "lower than baseline, `lrn_constant` not resolved at this scale)")
    alone = _runs_from(tmp_path / "one", {"baseline": BASE})
    assert "Holm" not in evidence.lrn_reading(alone)


def test_lrn_reading_at_the_papers_scale_pairs_with_paper_scale(tmp_path):
    # paper_scale far below the baseline must not matter: the rows pair with paper_scale
    runs = _runs_from(tmp_path, {"baseline": BASE, "paper_scale": [0.70, 0.69, 0.71],
                                 "paper_scale_no_lrn": [0.68, 0.67, 0.69],
                                 "paper_scale_lrn_constant": [0.71, 0.68, 0.70]})
    text = evidence.lrn_reading(runs, "paper")
    assert text.startswith("paper inputs:")
    assert "no benefit of the normalization beyond the rescaling" in text
    assert "-2.00 (" in text


def test_report_names_the_row_a_paper_scale_row_is_paired_with(tmp_path):
    runs = _runs_from(tmp_path, {"baseline": BASE, "paper_scale": [0.70, 0.69, 0.71],
                                 "paper_scale_no_lrn": [0.68, 0.67, 0.69]})
    line = evidence.report(runs, ["paper_scale_no_lrn"])
    assert line.endswith("lower than paper_scale"), line
    assert "lower than baseline" in evidence.report(runs, ["paper_scale"])


@pytest.mark.parametrize("values, says", [
    # paired differences -0.7, -0.3, -0.4 points: an interval around the paper's -0.4
    ({"baseline": BASE, "no_overlap": [0.793, 0.787, 0.806]}, "cannot rule out"),
    # +0.1 points on every seed: a tight interval that excludes -0.4
    ({"baseline": BASE, "no_overlap": [0.801, 0.791, 0.811]}, "did not show"),
    ({"baseline": BASE, "no_overlap": [0.801]}, "one paired seed"),
    ({"baseline": BASE}, "no paired records"),
])
def test_against_papers_size_says_whether_the_interval_holds_it(tmp_path, values, says):
    text = evidence.against_papers_size(_runs_from(tmp_path, values), "no_overlap")
    assert says in text and "-0.40 points" in text


def test_papers_sizes_are_for_rows_with_a_claim_on_top1():
    for row, size in evidence.PAPER_SIZES.items():
        assert evidence.IDEAS[row][1] == "single_top1" and size * evidence.IDEAS[row][2] > 0


def test_late_changes_says_whether_the_curves_were_still_moving():
    def run(curve):
        return {"history": {"val_acc": curve}}

    flat, rising = [0.5] * 20, [0.5 + 0.01 * i for i in range(20)]
    runs = {"baseline": {0: run(flat), 1: run(flat)}, "no_dropout": {0: run(rising)}}
    line = evidence.late_changes(runs, ["baseline", "no_dropout", "no_augment"])
    # the last tenth of 20 epochs is 2: rising moved 2 points, flat none
    assert line == ("validation top-1, change over the last 2 of 20 epochs (mean over "
                    "seeds, points): baseline +0.00, no_dropout +2.00")
    assert "no records yet" in evidence.late_changes({}, ["baseline"])


def test_said_and_overfitting_put_the_records_in_words():
    def run(test, train):
        return {"test": {"single_top1": test, "train_top1": train},
                "history": {"val_acc": [test]}}

    runs = {"baseline": {s: run(0.70 + 0.01 * s, 0.80) for s in range(3)},
            "no_dropout": {s: run(0.70 + 0.01 * s, 0.90 + 0.001 * s) for s in range(3)}}
    gap_said = evidence.said(runs, "no_dropout", "gap")
    assert gap_said.startswith("+10.10 (+9.85 to +10.35; ") and gap_said.endswith(
        "n = 3) points, higher than baseline; after Holm, higher than baseline")
    assert evidence.said(runs, "no_augment") == evidence.NO_RECORDS
    # baseline: train 80%, test 70, 71, 72: gap 10, 9, 8
    assert evidence.overfitting(runs) == ("80.0% on its own training images in evaluation "
                                          "mode, a gap of 9.0 points to test top-1 (mean "
                                          "over 3 seeds)")
    assert evidence.overfitting(runs, "no_lrn") == evidence.NO_RECORDS
    one = {"baseline": {0: run(0.70, 0.80)}}
    assert evidence.overfitting(one).endswith("test top-1 (one seed)")
