"""A live run read against the records (alexnet_lib.book.demo_reading), on made-up runs."""

from __future__ import annotations

import json

import pytest

from alexnet_lib.book import demo_reading as dr


def run(train_acc, top1=0.8):
    epochs = list(range(1, len(train_acc) + 1))
    return {"history": {"epoch": epochs, "train_acc": train_acc},
            "test": {"single_top1": top1, "train_top1": 0.9}}


FAST = [0.5, 0.7, 0.8]  # 25% training error at epoch 3
SLOW = [0.4, 0.5, 0.6]  # never


def test_first_to_names_the_one_leader_or_none():
    assert dr.first_to({"relu": 3, "tanh": None}) == "relu"
    assert dr.first_to({"relu": 9, "tanh": 7}) == "tanh"
    assert dr.first_to({"relu": 4, "tanh": 4}) is None  # a tie
    assert dr.first_to({"relu": None, "tanh": None}) is None


def test_the_records_leader_is_first_in_every_shared_seed():
    runs = {"baseline": {0: run(FAST), 1: run(FAST)}, "tanh": {0: run(SLOW), 1: run(SLOW)}}
    rows = {"relu": "baseline", "tanh": "tanh"}
    assert dr.records_leader(runs, rows) == "relu"
    runs["tanh"][1] = run([0.8, 0.8, 0.8])  # seed 1: tanh first
    assert dr.records_leader(runs, rows) is None
    assert dr.records_leader({}, rows) is None


def test_race_lines_give_the_ratio_or_its_bound():
    both = {"baseline": {0: run([0.5, 0.8, 0.8, 0.8])},
            "tanh": {0: run([0.5, 0.6, 0.7, 0.8])}}
    lines = dr.race_lines(both)
    assert lines[0] == "baseline: epochs to 25% training error, seeds [0]: 2"
    assert lines[-1] == "tanh needed 2.0x the epochs of baseline (mean over seeds)"
    bound = dr.race_lines({"baseline": {0: run(FAST), 1: run([0.8, 0.8, 0.8])},
                           "tanh": {0: run(SLOW), 1: run(SLOW)}})
    assert bound[1] == "tanh: epochs to 25% training error, seeds [0, 1]: not in 3, not in 3"
    assert bound[-1] == ("no tanh run reached 25% in its 3 epochs: baseline was more "
                         "than 1.0x faster (a bound)")
    mixed = {"baseline": {0: run(FAST), 1: run(FAST)}, "tanh": {0: run(SLOW), 1: run(FAST)}}
    assert dr.race_lines(mixed)[-1].endswith("and some did not: no ratio")
    assert dr.race_lines({"baseline": {0: run(FAST)}}) == []


def test_race_reading_says_whether_the_run_goes_the_records_way():
    opposite = dr.race_reading({"relu": 9, "tanh": 7}, "relu")
    assert opposite.startswith("tanh reached 25% training error first (epoch 7; relu: "
                               "epoch 9)")
    assert "the opposite of the records, where relu" in opposite
    assert "the same order as the records" in dr.race_reading({"relu": 3, "tanh": None},
                                                              "relu")
    assert dr.race_reading({"relu": None, "tanh": None}, "relu").startswith(
        "neither network reached 25% training error, so it does not show")
    assert dr.race_reading({"relu": 4, "tanh": 4}, "relu").startswith(
        "both networks reached 25% training error at epoch 4")
    assert "name no network" in dr.race_reading({"relu": 3, "tanh": 5}, None)


def test_difference_reading_places_the_run_against_the_interval():
    runs = {"baseline": {s: run(FAST, top1) for s, top1 in enumerate([0.80, 0.79, 0.81])},
            "no_overlap": {s: run(FAST, top1) for s, top1 in enumerate([0.81, 0.80, 0.82])}}
    inside = dr.difference_reading(0.01, runs, "no_overlap")
    assert inside["same_direction"] and inside["inside"]
    assert inside["records"] == "+1.00 (+1.00 to +1.00; n = 3)"
    far = dr.difference_reading(-0.05, runs, "no_overlap")
    assert far["same_direction"] is False and far["inside"] is False
    assert far["sentence"] == ("this run: -5.00 points; the records: +1.00 (+1.00 to "
                               "+1.00; n = 3) points; this run goes the other way from "
                               "the records' mean, outside their 95% interval, 5.0x the "
                               "size of their mean")
    none = dr.difference_reading(0.01, {}, "no_overlap")
    assert none["inside"] is None and "no no_overlap runs" in none["sentence"]


@pytest.mark.parametrize("made", [False, True])
def test_figure1_records_is_none_until_a_record_exists(tmp_path, made):
    folder = tmp_path / "quick-cpu" / "figure1" / "relu" / "lr0.1"
    folder.mkdir(parents=True)
    if made:
        (folder / "seed0.json").write_text(json.dumps({"seed": 0}))
    found = dr.figure1_records(tmp_path)
    assert (found == tmp_path / "quick-cpu" / "figure1") if made else found is None
    assert dr.figure1_records(tmp_path / "absent") is None
    assert dr.FIGURE1_COMMAND in dr.NO_FIGURE1


def test_figure1_leader_reads_the_finished_runs_at_the_chosen_rates(tmp_path):
    def write(name, seed, errors, finished=True):
        path = tmp_path / name / "lr0.1" / f"seed{seed}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        history = {"epoch": [0.5, 1.0, 1.5], "train_error": errors, "seconds": [1, 2, 3],
                   "val_error": [0.5], "val_epoch": [1]}
        path.write_text(json.dumps({"nonlinearity": name, "lr": 0.1, "seed": seed,
                                    "select_epochs": 1, "finished": finished,
                                    "history": history}))

    for seed in (0, 1):
        write("relu", seed, [0.5, 0.2, 0.1])
        write("tanh", seed, [0.6, 0.5, 0.4])
    assert dr.figure1_leader(tmp_path) == "relu"
    write("tanh", 1, [0.2, 0.1, 0.1])  # seed 1: tanh first
    assert dr.figure1_leader(tmp_path) is None
    write("tanh", 1, [0.6, 0.5, 0.4], finished=False)  # still running: left out
    assert dr.figure1_leader(tmp_path) == "relu"


def test_race_reading_names_its_records():
    said = dr.race_reading({"relu": 9, "tanh": 7}, "relu", records="Figure 1's records")
    assert said.endswith("the opposite of Figure 1's records, where relu was first in "
                         "every seed")
