"""alexnet_lib.book.figure1: reading Figure 1's records (made up here, no training)."""

import json
import math

import pytest

from alexnet_lib.book import figure1 as f1


def _record(name, lr, seed, errors, val=0.5, diverged=False):
    n = len(errors)
    return {"nonlinearity": name, "lr": lr, "seed": seed, "diverged": diverged,
            "finished": True, "select_epochs": 1,
            "history": {"epoch": [(i + 1) / 2 for i in range(n)], "train_error": errors,
                        "seconds": [10.0 * (i + 1) for i in range(n)],
                        "val_error": [val], "val_epoch": [1]}}


def _write(out, *records):
    for r in records:
        path = f1.run_path(out, r["nonlinearity"], r["lr"], r["seed"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def test_reached_is_the_first_point_at_or_below_the_target():
    h = {"epoch": [0.5, 1.0, 1.5], "train_error": [0.6, 0.25, 0.2], "seconds": [1, 2, 3]}
    assert f1.reached(h) == 1.0
    assert f1.reached(h, key="seconds") == 2
    assert f1.reached(h, target=0.1) is None


def test_each_nonlinearity_gets_the_rate_with_the_lowest_validation_error(tmp_path):
    _write(tmp_path, _record("relu", 0.01, 0, [0.5], val=0.4),
           _record("relu", 0.1, 0, [0.5], val=0.3),
           _record("tanh", 0.01, 0, [0.5], val=0.35),
           _record("tanh", 0.1, 0, [0.5], val=0.1, diverged=True))  # diverged: never chosen
    assert f1.choose_rates(tmp_path) == {"relu": 0.1, "tanh": 0.01}


def test_ratio_is_the_geometric_mean_over_seeds_with_an_interval(tmp_path):
    relu = [0.5, 0.2]  # 25% at epoch 1.0
    for seed, tanh_at in enumerate([4, 6, 8]):  # 25% at epoch tanh_at / 2
        tanh = [0.5] * (tanh_at - 1) + [0.2]
        _write(tmp_path, _record("relu", 0.1, seed, relu), _record("tanh", 0.1, seed, tanh))
    q = f1.ratio(tmp_path)
    assert q["n"] == 3 and q["censored"] == 0
    assert q["ratio"] == pytest.approx(math.exp((math.log(2) + math.log(3) + math.log(4)) / 3))
    assert q["low"] < q["ratio"] < q["high"]
    assert f1.verdict(tmp_path).startswith("held in direction: tanh needs 2.9x")


@pytest.mark.parametrize("tanh_at, said", [
    ((4, 4, 4), "held in direction: tanh needs 2.0x the epochs of ReLU to reach 25% "
                "training error (95% interval 2.0 to 2.0, 3 seeds); ReLU is faster, but "
                "by less than the paper's 6x, which lies above the interval"),
    ((12, 12, 12), "the paper's 6x lies inside the interval"),
    ((16, 16, 16), "ReLU is faster by more than the paper's 6x"),
    ((1, 2, 4), "not resolved: tanh needs 1.0x"),  # ratios 0.5, 1 and 2
    ((1, 1, 1), "contradicted: tanh needs 0.5x"),
])
def test_the_verdict_reads_the_direction_and_the_papers_size(tmp_path, tanh_at, said):
    relu = [0.5, 0.2]  # 25% at epoch 1.0
    for seed, at in enumerate(tanh_at):  # tanh: 25% at epoch at / 2
        _write(tmp_path, _record("relu", 0.1, seed, relu),
               _record("tanh", 0.1, seed, [0.5] * (at - 1) + [0.2]))
    assert said in f1.verdict(tmp_path)


def test_a_tanh_run_that_never_reaches_25_percent_makes_a_lower_bound(tmp_path):
    _write(tmp_path, _record("relu", 0.1, 0, [0.5, 0.2]), _record("tanh", 0.1, 0, [0.5] * 6))
    q = f1.ratio(tmp_path)
    assert q["censored"] == 1 and q["ratio"] == pytest.approx(3.0)  # 3.0 epochs / 1.0
    assert "a lower bound" in f1.summary(tmp_path)


def test_the_figure_draws_one_line_per_seed(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    _write(tmp_path, *[_record(n, 0.1, s, [0.5, 0.2]) for n in ("relu", "tanh") for s in (0, 1)])
    ax = f1.plot_figure1(tmp_path)
    assert len(ax.lines) == 4 + 1  # four runs and the 25% line


def test_a_run_still_in_progress_gives_no_ratio_and_says_so(tmp_path):
    tanh = _record("tanh", 0.1, 0, [0.5] * 6)
    tanh["finished"] = False  # stopped after the rate selection, or still training
    _write(tmp_path, _record("relu", 0.1, 0, [0.5, 0.2]), tanh)
    assert f1.ratio(tmp_path)["n"] == 0
    assert "in progress" in f1.summary(tmp_path)


def test_no_window_is_shorter_than_the_others():
    # 45,000 images in batches of 128: 351 steps; the remainder goes with the last tenth
    ends = f1.window_ends(351)
    sizes = [b - a for a, b in zip([0, *ends], ends, strict=False)]
    assert sizes == [35] * 9 + [36]
    assert f1.window_ends(350) == list(range(35, 351, 35))
    assert f1.window_ends(5) == [1, 2, 3, 4, 5]  # fewer steps than checks: every step


def test_records_of_the_old_logging_read_as_the_new():
    # the old logging: windows after steps 35, 70, ..., 350 and a last one of 1 batch
    old_ends = list(range(35, 351, 35)) + [351]
    errors = [0.3] * 10 + [0.0]  # the one-batch window alone would read 0% error
    record = {"train_size": 351 * 128, "batch": 128, "history": {
        "epoch": [s / 351 for s in old_ends], "train_error": errors,
        "seconds": [float(s) for s in old_ends]}}
    h = f1.merge_short_windows(record)["history"]
    assert h["epoch"] == pytest.approx([s / 351 for s in f1.window_ends(351)])
    assert h["train_error"][:9] == [0.3] * 9
    assert h["train_error"][9] == pytest.approx(0.3 * 35 / 36)  # 35 batches at 0.3, 1 at 0
    assert h["seconds"][-1] == 351.0
    assert f1.reached(h) is None  # the single batch no longer reads as 25%
    new = {**record, "history": h}
    assert f1.merge_short_windows(new)["history"] == h  # the new logging: nothing to merge
