"""The closing chapter's verdicts (alexnet_lib.book.verdicts), on made-up records."""

from __future__ import annotations

import json

import pytest

from alexnet_lib.book import verdicts


def record(top1: float, train: float = 0.9, train_images: int = 45000) -> dict:
    return {"name": "quick", "data": {"train": train_images, "val": 5000},
            "config": {"model": {"width": 0.25}, "recipe": {"epochs": 2}},
            "test": {"single_top1": top1, "ten_crop_top1": top1 + 0.01, "train_top1": train},
            "history": {"epoch": [1, 2], "train_acc": [0.5, 0.8]}}


# row -> [(test top-1, train top-1)] per seed
VALUES = {
    "baseline": [(0.80, 0.90), (0.79, 0.90), (0.81, 0.90), (0.80, 0.90)],
    "tanh": [(0.70, 0.80), (0.69, 0.79), (0.715, 0.81), (0.70, 0.80)],  # -10 pt: held
    "no_lrn": [(0.795, 0.89), (0.786, 0.88), (0.804, 0.9), (0.796, 0.89)],  # small
    "no_overlap": [(0.81, 0.90), (0.80, 0.90), (0.82, 0.90), (0.81, 0.90)],  # +1: contra
    # the gap up by 1 to 2.5 points: resolved alone (p about 0.03), not after Holm
    "no_dropout": [(0.80, 0.91), (0.79, 0.925), (0.81, 0.908), (0.80, 0.92)],
    "paper_scale": [(0.70, 0.8), (0.69, 0.8), (0.71, 0.8), (0.70, 0.8)],
    "paper_scale_lrn_constant": [(0.68, 0.8), (0.67, 0.8), (0.69, 0.8), (0.68, 0.8)],
    "lrn_constant": [(0.80, 0.9), (0.795, 0.9), (0.81, 0.9), (0.80, 0.9)],
    "shallower": [(0.78, 0.9)],  # one seed
}


def write(folder, values=VALUES, train_images=45000):
    for row, seeds in values.items():
        for seed, (top1, train) in enumerate(seeds):
            path = folder / row / f"seed{seed}" / "history.json"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(record(top1, train, train_images)))


@pytest.fixture
def records(tmp_path):
    write(tmp_path / "quick-cpu" / "scorecard")
    return tmp_path


def by_row(rows):
    return {(r["row"], r["key"]): r for r in rows}


def test_find_scorecards_lists_every_folder_with_baseline_seeds(records):
    write(records / "small-cpu" / "scorecard", {"baseline": [(0.6, 0.99)]}, 5000)
    write(records / "aa-cpu" / "other", {"tanh": [(0.5, 0.9)]})  # no baseline: not one
    found = verdicts.find_scorecards(records)
    assert list(found) == ["quick-cpu/scorecard", "small-cpu/scorecard"]  # CPU first
    assert found["small-cpu/scorecard"] == records / "small-cpu" / "scorecard"
    loaded = verdicts.load_scorecards(records)
    assert sorted(loaded["small-cpu/scorecard"]) == ["baseline"]
    assert verdicts.find_scorecards(records / "missing") == {}


def test_the_schedule_length_checks_are_not_scorecards(records):
    from alexnet_lib.book.convergence import SCHEDULE_FOLDERS

    for folder in SCHEDULE_FOLDERS.values():
        write(records / folder, {"baseline": [(0.7, 0.9)], "no_dropout": [(0.7, 0.95)]})
    assert list(verdicts.find_scorecards(records)) == ["quick-cpu/scorecard",
                                                       "quick-cpu/overfit"]


def test_describe_regime_reads_the_baselines_record(records):
    runs = verdicts.load_scorecards(records)["quick-cpu/scorecard"]
    assert verdicts.describe_regime(runs) == (
        "the quick profile: 45,000 training images, 2 epochs, width 0.25")
    assert verdicts.describe_regime({}) == "no baseline records"


def test_reading_names_each_case():
    one = {"n": 1, "mean": -0.1, "low": None, "high": None}
    lower = {"n": 3, "mean": -0.1, "low": -0.2, "high": -0.05}
    assert verdicts.reading({"n": 0}, False, -1) == verdicts.NONE_YET
    assert verdicts.reading(one, True, -1) == verdicts.ONE_SEED
    assert verdicts.reading(lower, False, -1) == verdicts.OPEN
    assert verdicts.reading(lower, True, -1) == verdicts.HELD
    assert verdicts.reading(lower, True, 1) == verdicts.CONTRADICTED
    assert verdicts.reading(lower, True, None) == "lower"


def test_verdict_rows_read_each_comparison_alone_and_after_holm(records):
    runs = verdicts.load_scorecards(records)["quick-cpu/scorecard"]
    rows = by_row(verdicts.verdict_rows(runs))
    assert ("no_augment", "gap") not in rows  # no records: left out
    tanh = rows[("tanh", "single_top1")]
    assert tanh["plain"] == tanh["holm"] == verdicts.HELD and tanh["paper"] == "lower"
    assert tanh["difference"].startswith("-9.88 [") and tanh["n"] == 4
    assert rows[("no_overlap", "single_top1")]["plain"] == verdicts.CONTRADICTED
    assert rows[("shallower", "single_top1")]["plain"] == verdicts.ONE_SEED
    assert rows[("shallower", "single_top1")]["difference"] == "-2.00"
    # dropout's claim is about the gap: its top-1 line points there
    assert rows[("no_dropout", "single_top1")]["paper"] == "see gap"
    assert rows[("no_dropout", "gap")]["paper"] == "higher"
    assert rows[("paper_scale", "single_top1")]["paper"] == "no claim"
    assert rows[("paper_scale", "single_top1")]["plain"] == "lower"
    assert rows[("paper_scale_lrn_constant", "single_top1")]["reference"] == "paper_scale"
    # Holm never resolves what the interval alone does not
    for r in rows.values():
        if r["plain"] == verdicts.OPEN:
            assert r["holm"] == verdicts.OPEN
        if r["adjusted"] is not None:
            assert r["adjusted"] >= r["p"]


def test_holm_can_take_back_what_a_comparison_resolves_alone(records):
    runs = verdicts.load_scorecards(records)["quick-cpu/scorecard"]
    rows = by_row(verdicts.verdict_rows(runs))
    gap = rows[("no_dropout", "gap")]
    assert gap["p"] < 0.05 and gap["plain"] == verdicts.HELD
    assert gap["adjusted"] >= 0.05 and gap["holm"] == verdicts.OPEN
    counts = verdicts.tally(list(rows.values()))
    assert counts["resolved_alone"] > counts["resolved_holm"]
    assert counts["comparisons"] == len(rows) - 1  # shallower's one seed: no p-value
    assert counts["held_alone"] >= counts["held_holm"] >= 1


def test_markdown_table_sets_names_as_code_and_escapes_pipes():
    table = verdicts.markdown_table(
        [{"row": "paper_scale_no_lrn", "reference": "paper_scale", "measure": "a|b"},
         {"row": "tanh"}], {"row": "row", "measure": "measure"})
    assert table.splitlines() == ["| row | measure |", "| --- | --- |",
                                  "| `paper_scale_no_lrn` vs `paper_scale` | a\\|b |",
                                  "| `tanh` |  |"]


def test_the_verdict_table_names_the_measure_beside_the_row(records):
    runs = verdicts.load_scorecards(records)["quick-cpu/scorecard"]
    lines = verdicts.markdown_table(verdicts.verdict_rows(runs)).splitlines()
    assert lines[0] == "| row | n | points [95% CI] | paper | alone | after Holm |"
    assert lines[2].startswith("| `tanh` | 4 | -9.88 [")
    assert any(line.startswith("| `no_dropout` (gap) | 4 |") for line in lines)


def test_ending_says_what_held_and_that_one_regime_cannot_show_the_regimes_part(records):
    scorecards = verdicts.load_scorecards(records)
    text = verdicts.ending(scorecards)
    assert text.startswith("**`quick-cpu/scorecard`** (the quick profile: 45,000")
    held = next(line for line in text.splitlines() if line.startswith("- Held, also"))
    assert "`tanh`" in held and "`no_overlap`" not in held
    contradicted = next(line for line in text.splitlines() if "Contradicted" in line)
    assert "`no_overlap`" in contradicted
    assert "Only one regime of training has records so far" in text
    # the LRN control is read at both input scales; here they differ
    assert "Depended on the input scale" in text and "`paper_scale_lrn_constant`" in text
    assert verdicts.ending({}).startswith("No scorecard has records yet")


def test_ending_lists_the_verdicts_that_change_between_regimes(records):
    # a second regime where tanh costs nothing: its verdict differs
    flat = {"baseline": VALUES["baseline"], "tanh": VALUES["baseline"]}
    write(records / "small-cpu" / "scorecard", flat, 5000)
    scorecards = verdicts.load_scorecards(records)
    changed = verdicts.regime_differences(scorecards)
    assert changed == ["`tanh` (top-1): held in `quick-cpu/scorecard`; not resolved in "
                       "`small-cpu/scorecard`"]
    text = verdicts.ending(scorecards)
    assert "Verdicts (after Holm) that differ between the regimes" in text
    assert "5,000 training images" in text
    assert verdicts.regime_differences({"one": scorecards["small-cpu/scorecard"]}) == []


def test_row_means_gives_mean_and_spread_and_the_epochs_to_the_threshold(records):
    runs = verdicts.load_scorecards(records)["quick-cpu/scorecard"]
    means = {m["row"]: m for m in verdicts.row_means(runs, ["baseline", "tanh", "no_lrn",
                                                            "no_augment"])}
    assert "no_augment" not in means  # no records
    assert means["baseline"]["n"] == 4
    assert means["baseline"]["top1"] == "80.00 ± 0.82"
    assert means["baseline"]["gap"] == "10.00 ± 0.82"
    # every made-up history reaches 80% training accuracy at epoch 2
    assert means["tanh"]["epochs"] == "2.0"
    table = verdicts.markdown_table(list(means.values()), verdicts.MEANS_COLUMNS)
    assert table.splitlines()[0] == (
        "| row | seeds | test top-1 % | ten-crop % | gap, points | epochs to 25% |")
    slow = {0: {"test": {"single_top1": 0.7, "ten_crop_top1": 0.7},
                "history": {"epoch": [1, 2], "train_acc": [0.5, 0.6]}},
            1: {"test": {"single_top1": 0.7, "ten_crop_top1": 0.7},
                "history": {"epoch": [1, 2], "train_acc": [0.5, 0.8]}}}
    [row] = verdicts.row_means({"tanh": slow}, ["tanh"])
    assert row["epochs"] == "2.0 (1 of 2)" and row["gap"] == ""  # no train_top1
    [row] = verdicts.row_means({"tanh": {0: slow[0]}}, ["tanh"])
    assert row["epochs"] == "not reached" and row["top1"] == "70.00"
