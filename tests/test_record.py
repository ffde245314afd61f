"""The provenance every run record carries, the atomic write and the run's folder."""

import json
import os
import stat
import time
from pathlib import Path

import pytest

from alexnet_lib import record
from alexnet_lib.atomic import write_atomically
from alexnet_lib.checkpoint import save_checkpoint
from alexnet_lib.errors import UserError
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.run import prepare_out


def test_environment_sums_epochs_and_names_the_device():
    started = time.perf_counter() - 2.0
    env = record.environment("cpu", "bf16", resumed=True, epoch_seconds=[1.5, 2.5],
                             started=started)
    assert env["train_seconds"] == 4.0
    assert env["wall_seconds"] >= 2.0
    assert env["device"].startswith("cpu (") and env["precision"] == "bf16"
    assert env["resumed"] is True
    assert env["cpu"] and env["cpu"] == record.cpu_model()
    assert set(env) == {"device", "cpu", "precision", "torch", "alexnet_lib", "python", "resumed",
                        "train_seconds", "wall_seconds"}


def test_write_json_atomically_leaves_only_the_record(tmp_path):
    path = tmp_path / "history.json"
    record.write_json_atomically(path, {"a": 1})
    record.write_json_atomically(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


def test_write_json_atomically_keeps_the_old_record_when_the_new_one_fails(tmp_path):
    path = tmp_path / "history.json"
    record.write_json_atomically(path, {"a": 1})
    with pytest.raises(TypeError):
        record.write_json_atomically(path, {"a": object()})  # not JSON
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


@pytest.fixture
def umask():
    """Set the process's umask for one test, and put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_records_and_checkpoints_get_the_mode_the_umask_gives(tmp_path, umask, mask, mode):
    # tempfile.mkstemp makes 0o600 files: a group sharing a run folder could not read them
    umask(mask)
    record.write_json_atomically(tmp_path / "history.json", {"a": 1})
    save_checkpoint(tmp_path / "checkpoint.pt", AlexNetCIFAR(width=0.125), epoch=1)
    assert stat.S_IMODE((tmp_path / "history.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "checkpoint.pt").stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "history.json"]


def test_write_atomically_removes_its_temporary_file_when_the_write_fails(tmp_path):
    def half_then_fail(tmp):
        Path(tmp).write_text("half a rec")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "history.json", half_then_fail)
    assert list(tmp_path.iterdir()) == []


def test_prepare_out_makes_the_folder_and_removes_stale_temporary_files(tmp_path):
    out = tmp_path / "runs" / "a"
    assert prepare_out(out) == out and out.is_dir()
    # what a save interrupted mid-write leaves (atomic.write_atomically's names)
    stale = [out / "checkpoint.ptab12cd.tmp", out / "checkpoint.pt_x.tmp",
             out / "history.jsonzz9.tmp"]
    for path in stale:
        path.write_bytes(b"half")
    (out / "checkpoint.pt").write_bytes(b"kept")
    (out / "notes.tmp").write_text("not ours: kept")
    prepare_out(out)
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "notes.tmp"]
    assert (out / "checkpoint.pt").read_bytes() == b"kept"


def test_prepare_out_refuses_a_file_and_an_unwritable_folder(tmp_path):
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(UserError, match="--out .*taken is a file"):
        prepare_out(tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "a file"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        try:
            with pytest.raises(UserError, match="cannot be written"):
                prepare_out(locked / "run")
        finally:
            locked.chmod(0o700)
