"""The bookkeeping of benchmarks/gpu_runs.py: a run cut off by its budget keeps its history."""

import json
import tarfile
from types import SimpleNamespace

import gpu_runs
import pytest

from alexnet_lib.checkpoint import save_checkpoint
from alexnet_lib.config import PROFILES
from alexnet_lib.models import AlexNetCIFAR


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


def test_the_default_call_runs_the_full_profile_stages_in_order(tmp_path, monkeypatch):
    """Which runs a call starts, in which order and of which profile: the stages' processes
    and the pipeline benchmark are replaced by notes of what would have started."""
    started = []

    class Stage:
        def __init__(self, name, budget, common, threads=None):
            self.name = name

        def start(self, out, profile, overrides=None):
            started.append((self.name, out.relative_to(tmp_path).as_posix(), profile,
                            overrides))

        def wait(self):
            return {}

    def pipeline(command, **kwargs):
        started.append(("pipeline", command[1].rpartition("/")[2], None, None))
        return SimpleNamespace(stdout="", stderr="")

    monkeypatch.setattr(gpu_runs, "Stage", Stage)
    monkeypatch.setattr(gpu_runs.subprocess, "run", pipeline)
    gpu_runs.main(["--out", str(tmp_path), "--rehearse"])
    stages = list(dict.fromkeys(name for name, *_ in started))
    assert stages == list(gpu_runs.DEFAULT_STAGES)
    assert ("pipeline", "pipeline.py", None, None) in started
    # rehearsed: every run is the smoke profile, one epoch of a few images
    runs = [run for run in started if run[0] != "pipeline"]
    assert {profile for _, _, profile, _ in runs} == {"smoke"}
    assert all(over["recipe.epochs"] == 1 and over["data.train_size"] == 500
               for *_, over in runs)
    assert runs[0][:2] == ("full", "ablations-full/baseline")
    assert runs[1][:2] == ("compile", "speed/full-compiled")
    assert runs[1][3]["recipe.compile"] is True
    # tune-full runs each full candidate alone; the baseline row is not run twice
    tuned = [out for name, out, *_ in runs if name == "tune-full"]
    assert tuned == [f"candidates-full/{c}" for c in gpu_runs.FULL_CANDIDATES]
    rows = [out for name, out, *_ in runs if name == "ablations-full"]
    assert "ablations-full/baseline" not in rows and len(rows) == len(gpu_runs.ROWS) - 1


def test_a_child_run_is_the_profile_with_dotted_overrides_and_the_commit(tmp_path, monkeypatch):
    import alexnet_lib.run

    seen = {}

    def fake_run_training(config, out, **kwargs):
        seen.update(config=config, out=out, **kwargs)
        return {"history": {"val_acc": [0.5]}, "wall_seconds": 1.0,
                "test": {"single_top1": 0.5, "ten_crop_top1": 0.5}}

    monkeypatch.setattr(alexnet_lib.run, "run_training", fake_run_training)
    overrides = {"model.lrn": "none", "recipe.epochs": 1, "seed": 2}
    gpu_runs.main(["one", "--profile", "quick", "--out", str(tmp_path / "r"),
                   "--data", "/cifar", "--overrides", json.dumps(overrides)])
    assert seen["config"] == PROFILES["quick"].replace(**overrides, **{"data.root": "/cifar"})
    assert seen["download"] is False and set(seen["extra"]) == {"commit"}


def test_every_override_names_a_config_field():
    for overrides in (*gpu_runs.QUICK_CANDIDATES.values(), *gpu_runs.FULL_CANDIDATES.values()):
        PROFILES["quick"].replace(**overrides)  # raises on an unknown field
