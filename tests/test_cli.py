import json

import pytest

from alexnet_lib.__main__ import main
from alexnet_lib.config import PROFILES


@pytest.fixture
def tiny_smoke(monkeypatch, tiny_profile):
    monkeypatch.setitem(PROFILES, "smoke", tiny_profile.replace(name="smoke",
                                                                **{"recipe.epochs": 2}))


def test_train_then_evaluate(cifar_root, tmp_path, tiny_smoke, capsys):
    out = tmp_path / "runs" / "smoke"
    code = main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress"])
    assert code == 0
    record = json.loads((out / "history.json").read_text())
    assert record["name"] == "smoke" and len(record["history"]["epoch"]) == 2
    assert record["config"] == PROFILES["smoke"].to_dict()  # the whole run, once
    assert set(record["test"]) == {"single_top1", "single_top5", "ten_crop_top1",
                                   "ten_crop_top5", "train_top1"}
    assert all(0.0 <= v <= 1.0 for v in record["test"].values())
    assert record["torch"] and record["device"].startswith("cpu") and record["wall_seconds"] > 0
    assert str(tmp_path) not in json.dumps(record)  # no machine paths in a record
    printed = capsys.readouterr().out
    assert f"test top-1 {record['test']['single_top1']:.2%}" in printed

    assert main(["evaluate", "--checkpoint", str(out / "checkpoint.pt"), "--data", str(cifar_root),
                 "--no-download"]) == 0
    assert f"test top-1 {record['test']['single_top1']:.2%}" in capsys.readouterr().out

    # a second run with the same --out resumes the finished run instead of starting over
    assert main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress"]) == 0
    assert "resuming" in capsys.readouterr().out
    again = json.loads((out / "history.json").read_text())
    assert again["history"]["val_acc"] == record["history"]["val_acc"] and again["resumed"]


def test_missing_data_is_an_error_message_not_a_traceback(tmp_path, capsys):
    code = main(["train", "--profile", "smoke", "--out", str(tmp_path / "o"),
                 "--data", str(tmp_path / "nothing"), "--no-download"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: CIFAR-10 not found") and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    [], ["train"], ["train", "--profile", "huge", "--out", "x"], ["evaluate"],
    ["evaluate", "--checkpoint", "does/not/exist.pt"], ["train", "--out", "x", "--seed", "one"],
])
def test_bad_arguments_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_set_overrides_a_config_field_and_the_record_says_so(cifar_root, tmp_path, tiny_smoke):
    out = tmp_path / "o"
    assert main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress", "--set", "model.lrn=none",
                 "--set", "recipe.epochs=1", "--seed", "2"]) == 0
    record = json.loads((out / "history.json").read_text())
    assert record["config"]["model"]["lrn"] == "none" and record["config"]["seed"] == 2
    assert len(record["history"]["epoch"]) == 1


def test_a_typo_in_set_is_one_error_line(tmp_path, tiny_smoke, capsys):
    assert main(["train", "--profile", "smoke", "--out", str(tmp_path / "o"),
                 "--set", "model.lrm=none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown field model.lrm") and "Traceback" not in err


def test_a_bug_is_not_swallowed(cifar_root, tmp_path, tiny_smoke, monkeypatch):
    # issue 10, defect 11: only the library's user-facing errors become one line
    import alexnet_lib.__main__ as cli

    def buggy(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(cli, "run_training", buggy)
    with pytest.raises(ValueError, match="a bug"):
        main(["train", "--profile", "smoke", "--out", str(tmp_path / "o"),
              "--data", str(cifar_root), "--no-download"])
