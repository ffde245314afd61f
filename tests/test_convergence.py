"""The overfitting regime at three schedule lengths (alexnet_lib.book.convergence)."""

from __future__ import annotations

import json

import pytest

from alexnet_lib.book import convergence


def record(val: float, test: float = 0.7, train: float = 0.9) -> dict:
    return {"test": {"single_top1": test, "train_top1": train},
            "history": {"epoch": [1, 2], "val_acc": [0.3, val]}}


def write(root, values: dict) -> None:
    """``values``: {epochs: {row: [final validation top-1 per seed]}} as records."""
    for epochs, rows in values.items():
        folder = root / convergence.SCHEDULE_FOLDERS[epochs]
        for row, vals in rows.items():
            for seed, val in enumerate(vals):
                path = folder / row / f"seed{seed}" / "history.json"
                path.parent.mkdir(parents=True)
                path.write_text(json.dumps(record(val)))


# with dropout: still rising from 40 to 80, flat to 160; without: flat from 40 on
DOUBLING = {40: {"baseline": [0.70, 0.71, 0.69], "no_dropout": [0.74, 0.75, 0.73]},
            80: {"baseline": [0.74, 0.76, 0.73], "no_dropout": [0.745, 0.74, 0.74]},
            160: {"baseline": [0.745, 0.755, 0.735], "no_dropout": [0.74, 0.75, 0.735]}}


@pytest.fixture
def doubling(tmp_path):
    write(tmp_path, DOUBLING)
    return convergence.load(tmp_path)


def test_load_finds_each_length_and_leaves_out_missing_ones(tmp_path, doubling):
    assert sorted(doubling) == [40, 80, 160]
    assert sorted(doubling[80]) == ["baseline", "no_dropout"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert convergence.load(empty) == {}


def test_gain_pairs_the_seeds_of_two_lengths(doubling):
    d = convergence.gain(doubling, "baseline", 40, 80)
    assert d["n"] == 3 and d["mean"] == pytest.approx(0.0433333, abs=1e-6)
    assert d["low"] > 0  # resolved: all three seeds gained 3 to 5 points
    assert convergence.gain(doubling, "baseline", 40, 80, key="single_top1")["mean"] == 0


def test_converged_by_is_the_shortest_length_no_longer_one_beats(doubling):
    assert convergence.converged_by(doubling, "baseline") == (80, "")
    assert convergence.converged_by(doubling, "no_dropout") == (40, "")
    assert convergence.verdict(doubling).startswith(
        "held: with dropout converged by 80 epochs, without it by 40")


def test_a_row_still_gaining_at_the_longest_length_is_not_settled(tmp_path):
    rising = {e: {"baseline": [v + 0.01 * s for s in range(3)],
                  "no_dropout": [0.74, 0.75, 0.73]}
              for e, v in ((40, 0.60), (80, 0.65), (160, 0.70))}
    write(tmp_path, rising)
    schedules = convergence.load(tmp_path)
    assert convergence.converged_by(schedules, "baseline") == (None, convergence.NOT_SETTLED)
    # dropout needs more than 160 epochs, the network without it converged by 40
    assert convergence.verdict(schedules).startswith(
        "held: with dropout still gained at 160 epochs, the longest schedule run, "
        "without it converged by 40")
    # the other way round: the network without dropout needs longer
    swapped = {e: {"baseline": rows["no_dropout"], "no_dropout": rows["baseline"]}
               for e, rows in schedules.items()}
    assert convergence.verdict(swapped).startswith(
        "the other way: with dropout converged by 40 epochs, without it still gained at "
        "160")
    both = {e: {"baseline": rows["baseline"], "no_dropout": rows["baseline"]}
            for e, rows in schedules.items()}
    assert convergence.verdict(both) == (
        "not settled: with and without dropout, both still gained at 160 epochs, the "
        "longest schedule run")


def test_a_later_gain_counts_against_an_earlier_length(tmp_path):
    # 40 -> 80 is noise, but 160 beats 40 on every seed (and not 80): converged by 80
    values = {40: {"baseline": [0.70, 0.72, 0.68]},
              80: {"baseline": [0.715, 0.715, 0.70]},
              160: {"baseline": [0.73, 0.751, 0.71]}}
    write(tmp_path, values)
    schedules = convergence.load(tmp_path)
    assert convergence.gain(schedules, "baseline", 40, 80)["low"] < 0
    assert convergence.gain(schedules, "baseline", 80, 160)["low"] < 0
    assert convergence.gain(schedules, "baseline", 40, 160)["low"] > 0
    assert convergence.converged_by(schedules, "baseline") == (80, "")


def test_same_length_and_too_few_seeds(tmp_path):
    flat = {e: {"baseline": [0.74, 0.75, 0.73], "no_dropout": [0.75, 0.74, 0.745]}
            for e in (40, 80, 160)}
    write(tmp_path / "flat", flat)
    assert convergence.verdict(convergence.load(tmp_path / "flat")).startswith(
        "not seen: with dropout converged by 40 epochs, without it by 40")
    write(tmp_path / "one", {40: {"baseline": [0.7], "no_dropout": [0.7]},
                             80: {"baseline": [0.7], "no_dropout": [0.7]}})
    one = convergence.load(tmp_path / "one")
    assert convergence.converged_by(one, "baseline") == (None, convergence.TOO_FEW)
    assert convergence.verdict(one).startswith("too few records")
    assert convergence.verdict({}).endswith("(lengths recorded: none)")


def test_summary_and_the_command_for_missing_lengths(doubling):
    text = convergence.summary(doubling)
    assert "| baseline | 80 | 0, 1, 2 | 74.33 ± 1.53 | 70.00 ± 0.00 | 20.00 ± 0.00 | +4.33" in text
    assert text.count("\n") == 2 + 2 * 3 - 1
    assert convergence.missing_command(doubling) == ""
    partial = {80: doubling[80]}
    assert convergence.missing_command(partial).count("--epochs") == 2
    assert "--epochs 40" in convergence.missing_command(partial)


def test_plot_has_two_panels_with_a_line_per_row(doubling):
    import matplotlib

    matplotlib.use("Agg")
    axes = convergence.plot_convergence(doubling)
    assert len(axes) == 2
    # each panel: a mean line per row; the legend once, on the left
    assert [len(ax.get_legend_handles_labels()[0]) for ax in axes] == [2, 2]
    assert axes[0].get_legend() is not None and axes[1].get_legend() is None
    assert list(axes[0].get_xticks()) == [40, 80, 160]


def test_gains_pairs_each_length_with_the_one_before(doubling):
    lines = convergence.gains(doubling).splitlines()
    assert len(lines) == 4 and lines[0].startswith("baseline     80 vs  40 epochs: +4.33 (")
    assert lines[0].endswith("n = 3): higher")
    assert lines[1].endswith("not resolved at this scale")
    assert convergence.gain_said(doubling, "baseline", 40, 80).endswith(
        "; n = 3) points: higher")
    assert "--epochs 160" in convergence.gains({40: doubling[40], 80: doubling[80]})


def test_without_a_records_folder_a_chapter_shows_no_records(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RECORDS", str(tmp_path / "absent"))
    assert convergence.load() == {}
    with pytest.raises(Exception, match="no records folder"):
        convergence.load(tmp_path / "absent")


def test_dropout_at_each_length_pairs_the_rows_within_a_length(doubling):
    lines = convergence.dropout_at_each_length(doubling).splitlines()
    assert [line.split(" epochs")[0].strip() for line in lines] == ["40", "80", "160"]
    # the records written here differ only in validation top-1: no gap, no top-1 change
    assert lines[0] == (" 40 epochs, no dropout minus dropout: train - test gap +0.00 "
                        "(+0.00 to +0.00; n = 3) points: not resolved at this scale; test "
                        "top-1 +0.00 (+0.00 to +0.00; n = 3) points: not resolved at this "
                        "scale")
    assert convergence.dropout_difference(doubling, 80, "single_top1")["n"] == 3
    assert convergence.dropout_said({}, 80) == "n/a points: no paired seed"
