"""The scorecard's records and statistics (alexnet_lib.book.scorecard) and its plot
(alexnet_lib.book.scorecard_plot)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

from alexnet_lib.book import evidence, scorecard
from alexnet_lib.book.scorecard_plot import plot_scorecard
from alexnet_lib.errors import UserError

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


def test_find_scorecard_takes_the_records_folder_given_then_the_environment(tmp_path,
                                                                              monkeypatch):
    given, from_env = tmp_path / "given", tmp_path / "env"
    given.mkdir()
    from_env.mkdir()
    monkeypatch.setenv(scorecard.RECORDS_ENV_VAR, str(from_env))
    monkeypatch.chdir(tmp_path)  # the working folder plays no part
    assert scorecard.find_scorecard(given) == given / "quick-cpu" / "scorecard"
    assert scorecard.find_scorecard(str(given)) == given / "quick-cpu" / "scorecard"
    assert scorecard.find_scorecard() == from_env / "quick-cpu" / "scorecard"
    assert scorecard.records_folder() == from_env


def test_find_scorecard_defaults_to_the_repository_next_to_the_package(tmp_path,
                                                                       monkeypatch):
    # this checkout's data/records, whatever the working folder (the editable install)
    root = Path(scorecard.__file__).resolve().parents[2]
    assert (root / "pyproject.toml").is_file()
    assert scorecard.REPOSITORY_RECORDS == root / "data" / "records"
    monkeypatch.delenv(scorecard.RECORDS_ENV_VAR, raising=False)
    records = tmp_path / "repository" / "data" / "records"
    records.mkdir(parents=True)
    monkeypatch.setattr(scorecard, "REPOSITORY_RECORDS", records)
    monkeypatch.chdir(tmp_path)
    assert scorecard.find_scorecard() == tmp_path / "repository" / scorecard.SCORECARD_CPU


@pytest.mark.parametrize("how", ["given", "environment", "default"])
def test_no_records_folder_is_a_user_error_saying_how_to_point_at_one(tmp_path, monkeypatch,
                                                                      how):
    missing = tmp_path / "nowhere"
    monkeypatch.delenv(scorecard.RECORDS_ENV_VAR, raising=False)
    monkeypatch.setattr(scorecard, "REPOSITORY_RECORDS", missing)
    if how == "environment":
        monkeypatch.setenv(scorecard.RECORDS_ENV_VAR, str(missing))
    with pytest.raises(UserError, match=scorecard.RECORDS_ENV_VAR) as error:
        scorecard.find_scorecard(missing if how == "given" else None)
    assert str(missing) in str(error.value) and "\n" not in str(error.value)
    # the chapters' default load shows "no records yet" rather than failing
    assert evidence.load() == {}


def test_evidence_load_reads_the_scorecard_of_the_records_folder(tmp_path, monkeypatch, folder):
    records = tmp_path / "records"
    (records / scorecard.SCORECARD_IN_RECORDS).parent.mkdir(parents=True)
    folder.rename(records / scorecard.SCORECARD_IN_RECORDS)
    monkeypatch.setenv(scorecard.RECORDS_ENV_VAR, str(records))
    assert sorted(evidence.load()) == ["baseline", "no_lrn", "no_overlap", "tanh"]


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
