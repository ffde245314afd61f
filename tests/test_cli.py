"""``python -m alexnet_lib``: train, resume and evaluate; every mistake one line, no traceback."""

import json

import pytest

from alexnet_lib.__main__ import main, make_parser, run_config
from alexnet_lib.config import PROFILES
from alexnet_lib.errors import ConfigError


@pytest.fixture
def tiny_smoke(monkeypatch, tiny_profile):
    monkeypatch.setitem(PROFILES, "smoke", tiny_profile.replace(name="smoke",
                                                                **{"recipe.epochs": 2}))


def one_error_line(capsys, lines: int = 1) -> str:
    """What the command printed on stderr: "error: ...", one line (or ``lines``: missing
    data lists the ways to get it), no traceback."""
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == lines and "Traceback" not in err
    return err


@pytest.mark.slow
def test_train_then_evaluate(cifar_root, tmp_path, tiny_smoke, capsys):
    out = tmp_path / "runs" / "smoke"
    code = main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress"])
    assert code == 0
    record = json.loads((out / "history.json").read_text())
    assert record["name"] == "smoke" and len(record["history"]["epoch"]) == 2
    # the whole run, once: the profile with the data's folder from --data
    assert record["config"] == PROFILES["smoke"].replace(**{
        "data.root": str(cifar_root)}).to_dict()
    assert set(record["test"]) == {"single_top1", "single_top5", "ten_crop_top1",
                                   "ten_crop_top5", "train_top1"}
    assert all(0.0 <= v <= 1.0 for v in record["test"].values())
    assert record["torch"] and record["device"].startswith("cpu") and record["wall_seconds"] > 0
    assert record["world_size"] == 1
    printed = capsys.readouterr().out
    assert f"test top-1 {record['test']['single_top1']:.2%}" in printed
    assert "1 process x batch 20 = global batch 20" in printed

    assert main(["evaluate", "--checkpoint", str(out / "checkpoint.pt"), "--no-download"]) == 0
    printed = capsys.readouterr().out
    assert f"test top-1 {record['test']['single_top1']:.2%}" in printed
    assert "60 images of cifar10" in printed  # the run's own test set, from its config
    assert main(["evaluate", "--checkpoint", str(out / "checkpoint.pt"), "--ten-crop",
                 "--data", str(cifar_root), "--no-download"]) == 0
    assert f"test top-1 {record['test']['ten_crop_top1']:.2%}" in capsys.readouterr().out

    # a second run with the same --out resumes the finished run instead of starting over
    assert main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress"]) == 0
    assert "resuming" in capsys.readouterr().out
    again = json.loads((out / "history.json").read_text())
    assert again["history"]["val_acc"] == record["history"]["val_acc"] and again["resumed"]


def test_missing_data_is_one_line_and_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["train", "--profile", "smoke", "--out", str(out),
                 "--data", str(tmp_path / "nothing"), "--no-download"])
    assert code == 1
    assert one_error_line(capsys, lines=4).startswith("error: CIFAR-10 not found")
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    [], ["train"], ["train", "--profile", "huge", "--out", "x"], ["evaluate"],
    ["train", "--out", "x", "--seed", "one"],
    ["train", "--model", "alexnet", "--out", "x"],  # gone: --profile paper, --set model.arch
    ["train", "--out", "x", "--set", "no-equals-sign"],
])
def test_bad_arguments_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


BAD_SETTINGS = [
    "recipe.epochs=0", "recipe.epochs=2.5", "recipe.epochs=abc", "model.width=0",
    "recipe.lr=-1", "recipe.lr=nan", "model.dropout=1.5", "recipe.batch_size=0",
    "data.val_size=50000", "data.train_size=999999999", "data.test_size=0",
    "data.crop_padding=-20", "model.num_classes=5", "seed=x", "model=1", "model.lrm=none",
    "data.flip=maybe",
]


@pytest.mark.parametrize("setting", BAD_SETTINGS)
def test_a_bad_setting_exits_2_with_one_line_before_any_data_loads(setting, tmp_path, capsys):
    # --data names a folder without CIFAR-10: had the data been read first, the error
    # would be "CIFAR-10 not found" and the exit code 1
    out = tmp_path / "o"
    code = main(["train", "--profile", "smoke", "--out", str(out), "--no-download",
                 "--data", str(tmp_path / "nothing"), "--set", setting])
    assert code == 2
    key = setting.partition("=")[0]
    err = one_error_line(capsys)
    assert key in err and "CIFAR-10 not found" not in err
    assert not out.exists()


def test_seed_twice_must_agree(tmp_path, capsys):
    argv = ["train", "--profile", "smoke", "--out", str(tmp_path / "o"), "--seed", "1"]
    assert main([*argv, "--set", "seed=2"]) == 2
    assert "--seed 1 and --set seed=2 disagree" in one_error_line(capsys)
    config = run_config(make_parser().parse_args([*argv, "--set", "seed=1"]))
    assert config.seed == 1


@pytest.mark.parametrize("text", ["false", "False", "0", "no"])
def test_false_on_the_command_line_is_false(text, tmp_path):
    args = make_parser().parse_args(["train", "--profile", "smoke", "--out", str(tmp_path),
                                     "--set", f"data.flip={text}",
                                     "--set", f"recipe.nesterov={text}"])
    config = run_config(args)
    assert config.data.flip is False and config.recipe.nesterov is False


def test_data_option_and_set_make_the_config(tmp_path):
    def config(*extra):
        return run_config(make_parser().parse_args(
            ["train", "--out", str(tmp_path), *extra]))

    c = config("--profile", "paper", "--data", "imagenette:/photos", "--set", "recipe.epochs=3")
    assert (c.data.source, c.data.root, c.recipe.epochs) == ("imagenette", "/photos", 3)
    c = config("--profile", "quick", "--data", "/elsewhere", "--seed", "4")
    assert (c.data.source, c.data.root, c.seed, c.name) == ("cifar10", "/elsewhere", 4, "quick")
    # --set after --data wins: the overrides are applied in the order they mean
    c = config("--profile", "paper", "--data", "imagefolder:/a", "--set", "data.root=/b")
    assert c.data.root == "/b"


def test_the_default_profile_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    assert run_config(make_parser().parse_args(["train", "--out", str(tmp_path)])).name == "smoke"
    monkeypatch.setenv("ALEXNET_PROFILE", "huge")
    with pytest.raises(ConfigError, match="unknown profile 'huge'"):
        run_config(make_parser().parse_args(["train", "--out", str(tmp_path)]))


def test_out_naming_a_file_is_one_line_and_trains_nothing(cifar_root, tmp_path, tiny_smoke,
                                                          capsys, monkeypatch):
    import alexnet_lib.run as run_module

    monkeypatch.setattr(run_module, "fit", lambda *a, **k: pytest.fail("it trained"))
    taken = tmp_path / "results.txt"
    taken.write_text("keep me")
    code = main(["train", "--profile", "smoke", "--out", str(taken), "--data", str(cifar_root),
                 "--no-download", "--no-progress"])
    assert code == 1
    assert f"--out {taken} is a file" in one_error_line(capsys)
    assert taken.read_text() == "keep me"


def test_set_overrides_a_config_field_and_the_record_says_so(cifar_root, tmp_path, tiny_smoke):
    out = tmp_path / "o"
    assert main(["train", "--profile", "smoke", "--out", str(out), "--data", str(cifar_root),
                 "--no-download", "--no-progress", "--set", "model.lrn=none",
                 "--set", "recipe.epochs=1", "--set", "data.flip=false", "--seed", "2"]) == 0
    record = json.loads((out / "history.json").read_text())
    assert record["config"]["model"]["lrn"] == "none" and record["config"]["seed"] == 2
    assert record["config"]["data"]["flip"] is False
    assert len(record["history"]["epoch"]) == 1


def test_evaluate_errors_are_one_line(tmp_path, capsys):
    assert main(["evaluate", "--checkpoint", str(tmp_path / "does-not-exist.pt")]) == 1
    assert "no such file" in one_error_line(capsys)
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    assert main(["evaluate", "--checkpoint", str(tmp_path / "notes.pt")]) == 1
    assert "not a readable PyTorch file" in one_error_line(capsys)


def test_an_unavailable_device_is_a_config_error(tmp_path, capsys):
    assert main(["train", "--profile", "smoke", "--out", str(tmp_path / "o"),
                 "--device", "cuda:99"]) == 2
    assert "--device cuda:99 is not available" in one_error_line(capsys)


def test_a_bug_is_not_swallowed(cifar_root, tmp_path, tiny_smoke, monkeypatch):
    # issue 10, defect 11: only the library's user-facing errors become one line
    import alexnet_lib.run as run_module

    def buggy(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(run_module, "fit", buggy)
    with pytest.raises(ValueError, match="a bug"):
        main(["train", "--profile", "smoke", "--out", str(tmp_path / "o"),
              "--data", str(cifar_root), "--no-download"])
