"""The benchmark scripts run end to end on the tiny dataset (their numbers are not tested)."""

import json
from pathlib import Path

import ablations
import input_scale
import lrn
import pipeline
import provenance
import pytest
import train_record

from alexnet_lib.book.ablations import reference
from alexnet_lib.config import PROFILES


@pytest.mark.slow
def test_pipeline_benchmark_writes_a_json_record(cifar_root, tmp_path, capsys):
    out = tmp_path / "records" / "pipeline.json"
    argv = ["--data", str(cifar_root), "--steps", "2", "--batch-size", "16", "--workers", "0",
            "--rounds", "1", "--width", "0.125", "--out", str(out)]
    record = pipeline.main(argv)
    assert json.loads(out.read_text()) == record
    rates = record["images_per_second"]
    assert rates["library"] > 0 and rates["alternative"] > 0
    assert record["ratio"] == pytest.approx(rates["library"] / rates["alternative"])
    assert record["rounds"]["library"] == [rates["library"]] and record["workers"] == 0
    assert record["command"] == "python benchmarks/pipeline.py " + " ".join(argv)
    assert capsys.readouterr().out.strip().endswith(f"ratio {record['ratio']:.2f}")


def test_provenance_names_the_commit_and_the_command(monkeypatch):
    assert provenance.command("benchmarks/x.py", ["--out", "a b"]) == (
        "python benchmarks/x.py --out 'a b'")
    monkeypatch.setattr(provenance, "ROOT", Path("/nonexistent"))  # a tree without .git
    monkeypatch.setenv("ALEXNET_COMMIT", "abc123")
    assert provenance.git_commit() == "abc123"


def test_lrn_benchmark_writes_a_json_record(tmp_path, capsys):
    out = tmp_path / "lrn.json"
    argv = ["--width", "0.125", "--batch-size", "4", "--steps", "1", "--rounds", "1",
            "--no-compile", "--device", "cpu", "--out", str(out)]
    record = lrn.main(argv)
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert record["lrn_input_shapes"][0][0] == 4 and record["command"].endswith(" ".join(argv))
    assert "fp32, contiguous" in record["layers"]
    for rows in record["layers"].values():
        assert set(rows) == {"library", "library, autograd backward",
                             "torch.nn.LocalResponseNorm"}
        # torch's layer has no bf16 kernel on the CPU: such a row records its error
        assert all(row["median_ms"] > 0 for row in rows.values() if "error" not in row)
        assert rows["library"]["median_ms"] > 0
        assert rows["library, autograd backward"]["speedup_vs_autograd"] == 1.0
    assert all("error" not in row for row in record["layers"]["fp32, contiguous"].values())
    steps = record["training_step_ms"]
    assert steps["with_lrn"] > 0 and steps["without_lrn"] > 0
    assert record["lrn_share"] == pytest.approx(1 - steps["without_lrn"] / steps["with_lrn"])
    assert capsys.readouterr().out.strip().endswith(f"{record['lrn_share']:.0%}")


@pytest.mark.slow
def test_ablations_record_each_row_and_seed_and_resume(cifar_root, tmp_path, tiny_profile,
                                                     monkeypatch):
    tiny = tiny_profile.replace(name="smoke", **{"recipe.epochs": 2})
    monkeypatch.setitem(PROFILES, "smoke", tiny)
    argv = ["--profile", "smoke", "--rows", "baseline", "no_lrn", "--seeds", "0", "1",
            "--data", str(cifar_root), "--out", str(tmp_path)]
    text = ablations.main(argv)
    assert [line.split(" | ")[0] for line in text.splitlines()[2:]] == [
        "| baseline, seed 0", "| no_lrn, seed 0", "| baseline, seed 1", "| no_lrn, seed 1"]
    for row in ("baseline", "no_lrn"):
        for seed in (0, 1):
            folder = tmp_path / row / f"seed{seed}"
            record = json.loads((folder / "history.json").read_text())
            # the run's whole config, the data's folder (--data) included
            here = tiny.replace(**{"data.root": str(cifar_root)})
            assert record["config"] == ablations.row_config(here, row).replace(
                seed=seed).to_dict()
            assert record["row"] == row and "commit" in record
            assert record["command"].startswith("python benchmarks/ablations.py --profile smoke")
            assert len(record["history"]["epoch"]) == 2
            assert not (folder / "checkpoint.pt").exists()
    assert record["config"]["model"]["lrn"] == "none"

    import alexnet_lib.run

    def must_not_train(*args, **kwargs):
        raise AssertionError("a recorded run was trained again")

    monkeypatch.setattr(alexnet_lib.run, "run_training", must_not_train)
    assert ablations.main(argv) == text


@pytest.mark.slow
def test_train_record_keeps_only_a_record_with_provenance(cifar_root, tmp_path, tiny_profile,
                                                          monkeypatch):
    monkeypatch.setitem(PROFILES, "smoke", tiny_profile.replace(
        name="smoke", **{"recipe.epochs": 1}))
    record = train_record.main(["--profile", "smoke", "--data", str(cifar_root),
                                "--out", str(tmp_path / "smoke-cpu")])
    assert json.loads((tmp_path / "smoke-cpu" / "history.json").read_text()) == record
    assert record["command"].startswith("python benchmarks/train_record.py --profile smoke")
    assert "commit" in record and "train_top1" in record["test"]
    assert [p.name for p in (tmp_path / "smoke-cpu").iterdir()] == ["history.json"]


def test_ablation_rows_change_one_thing_each():
    base = PROFILES["quick"]
    assert ablations.ROWS["baseline"][1] == {}
    assert ablations.row_config(base, "baseline") == base
    for name, (claim, overrides) in ablations.ROWS.items():
        assert claim and (name == "baseline" or overrides), name
        assert ablations.row_config(base, name) != base or name == "baseline"
    assert ablations.row_config(base, "no_lrn").model.lrn == "none"
    assert ablations.row_config(base, "lrn_constant").model.lrn == "constant"
    assert ablations.row_config(base, "no_dropout").model.dropout == 0.0
    no_augment = ablations.row_config(base, "no_augment").data
    assert (no_augment.crop_padding, no_augment.flip, no_augment.lighting) == (0, False, 0.0)
    assert ablations.row_config(base, "dropout_torchvision").model.dropout_placement == \
        "torchvision"
    assert ablations.row_config(base, "shallower").model.middle_convs == 2
    # the paper-scale rows: LRN switched off or to its constant gain at the paper's scale,
    # each paired with the paper-scale row, not with the standardized baseline
    paper = ablations.row_config(base, "paper_scale")
    assert paper.model.input_scale == "paper" and paper.recipe.lr < base.recipe.lr
    for row, mode in (("paper_scale_no_lrn", "none"), ("paper_scale_lrn_constant", "constant")):
        assert ablations.row_config(base, row) == paper.replace(**{"model.lrn": mode})
        assert reference(row) == "paper_scale"
    assert reference("no_lrn") == reference("baseline") == "baseline"
    with pytest.raises(SystemExit):
        ablations.main(["--rows", "nonsense"])


@pytest.mark.slow
def test_load_memory_benchmark_writes_a_json_record(cifar_root, tmp_path, capsys):
    import load_memory

    out = tmp_path / "memory.json"
    record = load_memory.main(["--data", str(cifar_root), "--val-size", "40", "--out", str(out)])
    assert json.loads(out.read_text()) == record
    assert set(record["peak_mib"]) == {"imports", "library", "float64 copies"}
    assert all(mib > 0 for mib in record["peak_mib"].values())
    assert "library" in capsys.readouterr().out


@pytest.mark.slow
def test_input_scale_pilot_records_each_candidate_and_its_lrn_damping(cifar_root, tmp_path,
                                                                      tiny_profile, monkeypatch):
    monkeypatch.setitem(PROFILES, "quick", tiny_profile.replace(name="quick"))
    monkeypatch.setattr(input_scale, "PILOT", {"recipe.epochs": 1})
    out = tmp_path / "pilot"
    summary = input_scale.main(["--out", str(out), "--data", str(cifar_root), "--candidates",
                                "standardized_lr0.04", "paper_lr0.004"])
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary["command"].startswith("python benchmarks/input_scale.py")
    paper = summary["results"]["paper_lr0.004"]
    assert paper["overrides"]["model.input_scale"] == "paper"
    assert paper["overrides"]["recipe.lr"] == 0.004
    assert set(paper["lrn_damped"]) == {"norm1", "norm2"} and len(paper["val_acc"]) == 1
    record = json.loads((out / "paper_lr0.004" / "history.json").read_text())
    assert record["config"]["model"]["input_scale"] == "paper"
    assert not (out / "paper_lr0.004" / "checkpoint.pt").exists()
