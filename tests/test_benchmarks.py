"""The benchmark scripts run end to end on the tiny dataset (their numbers are not tested)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import ablations  # noqa: E402
import lrn  # noqa: E402
import pipeline  # noqa: E402

from alexnet_lib.profiles import PROFILES  # noqa: E402


def test_pipeline_benchmark_prints_a_ratio(cifar_root, capsys):
    ratio = pipeline.main(["--data", str(cifar_root), "--steps", "2", "--batch-size", "16",
                           "--workers", "0", "--rounds", "1", "--width", "0.125"])
    out = capsys.readouterr().out.strip().splitlines()
    assert ratio > 0 and out[-1] == f"ratio {ratio:.2f}"


def test_lrn_benchmark_times_each_implementation_and_both_models(capsys):
    results = lrn.main(["--width", "0.125", "--batch-size", "4", "--steps", "1", "--rounds", "1",
                        "--no-compile", "--device", "cpu"])
    assert set(results) == {"alexnet_lib LocalResponseNorm", "torch.nn.LocalResponseNorm",
                            "training step, with LRN", "training step, without LRN", "lrn share"}
    assert all(v > 0 for k, v in results.items() if k != "lrn share")
    out = capsys.readouterr().out
    assert "LRN inputs [(4, " in out and out.strip().endswith(f"{results['lrn share']:.0%}")


def test_ablations_record_each_row_and_resume(cifar_root, tmp_path, tiny_profile, monkeypatch):
    monkeypatch.setitem(PROFILES, "smoke", tiny_profile.replace(name="smoke", epochs=2))
    argv = ["--profile", "smoke", "--rows", "baseline", "no_lrn", "--data", str(cifar_root),
            "--out", str(tmp_path)]
    text = ablations.main(argv)
    assert [line.split(" | ")[0] for line in text.splitlines()[2:]] == ["| baseline", "| no_lrn"]
    record = json.loads((tmp_path / "no_lrn" / "history.json").read_text())
    assert record["model"]["lrn"] is False and len(record["history"]["epoch"]) == 2
    assert not (tmp_path / "no_lrn" / "checkpoint.pt").exists()

    def must_not_train(*args, **kwargs):
        raise AssertionError("a recorded row was trained again")

    monkeypatch.setattr(ablations, "run_training", must_not_train)
    assert ablations.main(argv) == text


def test_epochs_to_train_error():
    history = {"epoch": [1, 2, 3], "train_acc": [0.5, 0.74, 0.8]}
    assert ablations.epochs_to(history, 0.25) == 3
    assert ablations.epochs_to(history, 0.1) is None


def test_ablation_rows_change_one_thing_each():
    assert ablations.ROWS["baseline"][1:] == ({}, {})
    for name, (_, model, profile) in ablations.ROWS.items():
        assert name == "baseline" or model or profile
    with pytest.raises(SystemExit):
        ablations.main(["--rows", "nonsense"])
