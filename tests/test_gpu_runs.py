"""The bookkeeping of benchmarks/gpu_runs.py: a run cut off by its budget keeps its history."""

import json
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gpu_runs  # noqa: E402

from alexnet_lib.checkpoint import save_checkpoint  # noqa: E402
from alexnet_lib.config import PROFILES  # noqa: E402
from alexnet_lib.models import AlexNetCIFAR  # noqa: E402


def test_cut_off_run_leaves_partial_history_and_no_checkpoint(tmp_path):
    run = tmp_path / "stage" / "row"
    run.mkdir(parents=True)
    history = {"epoch": [1, 2], "val_acc": [0.3, 0.4]}
    config = PROFILES["quick"].to_dict()
    save_checkpoint(run / "checkpoint.pt", AlexNetCIFAR(width=0.125), epoch=2, history=history,
                    config=config)
    gpu_runs.keep_records_only(run)
    assert not (run / "checkpoint.pt").exists()
    partial = json.loads((run / "partial.json").read_text())
    assert partial["epoch"] == 2 and partial["history"] == history
    assert partial["config"] == config and partial["model"]["width"] == 0.125


def test_finished_run_keeps_only_its_record_and_packs(tmp_path):
    run = tmp_path / "stage" / "row"
    run.mkdir(parents=True)
    (run / "history.json").write_text(json.dumps({"test": {}}))
    (run / "checkpoint.pt").write_bytes(b"weights")
    gpu_runs.keep_records_only(run)
    assert not (run / "checkpoint.pt").exists() and not (run / "partial.json").exists()
    assert gpu_runs.records(tmp_path / "stage") == {"row": {"test": {}}}
    gpu_runs.pack(tmp_path, tmp_path.parent / "records.tar.gz")
    with tarfile.open(tmp_path.parent / "records.tar.gz") as tar:
        assert tar.getnames() == ["stage/row/history.json"]


def test_unknown_stage_is_refused_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit):
        gpu_runs.main(["--out", str(tmp_path / "out"), "--stages", "full,warp-drive"])
    assert "unknown stages ['warp-drive']" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_default_stages_are_the_full_profile_ones_in_order():
    assert [s for s in gpu_runs.STAGES if s in gpu_runs.DEFAULT_STAGES] == list(
        gpu_runs.DEFAULT_STAGES)
    assert not {"candidates", "ablations-quick"} & set(gpu_runs.DEFAULT_STAGES)


def test_a_child_run_is_the_profile_with_dotted_overrides_and_the_commit(tmp_path, monkeypatch):
    import alexnet_lib.run

    seen = {}

    def fake_run_training(config, out, data_root, **kwargs):
        seen.update(config=config, out=out, **kwargs)
        return {"history": {"val_acc": [0.5]}, "wall_seconds": 1.0,
                "test": {"single_top1": 0.5, "ten_crop_top1": 0.5}}

    monkeypatch.setattr(alexnet_lib.run, "run_training", fake_run_training)
    overrides = {"model.lrn": "none", "recipe.epochs": 1, "seed": 2}
    gpu_runs.main(["one", "--profile", "quick", "--out", str(tmp_path / "r"),
                   "--overrides", json.dumps(overrides)])
    assert seen["config"] == PROFILES["quick"].replace(**overrides)
    assert seen["download"] is False and set(seen["extra"]) == {"commit"}


def test_every_override_names_a_config_field():
    for overrides in (*gpu_runs.QUICK_CANDIDATES.values(), *gpu_runs.FULL_CANDIDATES.values()):
        PROFILES["quick"].replace(**overrides)  # raises on an unknown field
