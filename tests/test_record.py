"""The provenance every run record carries, and the atomic write."""

import json
import time

import pytest

from alexnet_lib import record
from alexnet_lib.config import RunConfig, replace_dotted
from alexnet_lib.errors import ConfigError
from alexnet_lib.folder_train import FolderRunConfig


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


@pytest.mark.parametrize("config", [RunConfig("x"), FolderRunConfig("x")])
def test_both_run_configs_share_the_dotted_replace(config):
    changed = config.replace(seed=3, **{"model.dropout": 0.25})
    assert changed.seed == 3 and changed.model.dropout == 0.25
    with pytest.raises(ConfigError, match="unknown field model.dropuot"):
        config.replace(**{"model.dropuot": 0.1})
    with pytest.raises(ConfigError, match="unknown config part"):
        config.replace(**{"modle.dropout": 0.1})
    with pytest.raises(ConfigError, match="unknown config field"):
        config.replace(sede=1)


def test_replace_dotted_is_the_function_both_call():
    config = RunConfig("x")
    assert replace_dotted(config, {"model": type(config.model)}, {"model.dropout": 0.0}) \
        == config.replace(**{"model.dropout": 0.0})
