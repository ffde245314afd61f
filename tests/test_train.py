"""The training loop (``train.fit``) and whole runs (``run.run_training``, the ``train``
command) on a tiny CIFAR-10 and a tiny folder of photographs, in one process."""

import json
import shutil

import pytest
import torch
from folder_images import CLASSES as FOLDER_CLASSES
from folder_images import write_image_folder

from alexnet_lib.__main__ import main
from alexnet_lib.checkpoint import read_checkpoint
from alexnet_lib.config import get_profile
from alexnet_lib.data import DataError, DeviceLoader, load_splits
from alexnet_lib.errors import ConfigError
from alexnet_lib.evaluate import evaluate_checkpoint
from alexnet_lib.models import AlexNetCIFAR, build_model
from alexnet_lib.run import run_training
from alexnet_lib.train import HISTORY_KEYS, NonFiniteLossError, fit


def without_seconds(history):
    return {k: v for k, v in history.items() if k != "seconds"}


@pytest.fixture
def splits(cifar_root, tiny_profile):
    return load_splits(tiny_profile.data, root=cifar_root, download=False)


@pytest.fixture
def tiny_profile(tiny_profile):
    """The tiny run without dropout, so runs compare exactly (the dropout tests add it)."""
    return tiny_profile.replace(**{"model.dropout": 0.0})


@pytest.mark.slow
def test_fit_learns_and_records_history(splits, tiny_profile):
    profile = tiny_profile.replace(**{"recipe.epochs": 6})
    seen = []
    history = fit(build_model(tiny_profile), splits, profile, progress=False,
                  callback=lambda h: seen.append(len(h["epoch"])))
    assert set(history) == set(HISTORY_KEYS)
    assert history["epoch"] == list(range(1, 7)) and seen == list(range(1, 7))
    assert all(len(v) == 6 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] > 0.5  # ten easy classes: chance is 0.1
    assert history["lr"][-1] < max(history["lr"])  # the schedule decays


def test_fit_sets_the_models_normalization(splits, tiny_profile):
    model = build_model(tiny_profile)
    fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 1}), progress=False)
    assert torch.allclose(model.normalize.mean.flatten(), splits.mean)


@pytest.mark.slow
def test_compile_trains_through_torch_compile_and_keeps_the_plain_models_weights(
        splits, tiny_profile, tmp_path, monkeypatch):
    calls, real_compile = [], torch.compile

    def eager_compile(module, **kwargs):  # inductor would take minutes on a CPU runner
        calls.append(module)
        return real_compile(module, backend="eager")

    monkeypatch.setattr(torch, "compile", eager_compile)
    plain, compiled = build_model(tiny_profile), build_model(tiny_profile)
    one = tiny_profile.replace(**{"recipe.epochs": 1})
    h_plain = fit(plain, splits, one, progress=False)
    h_compiled = fit(compiled, splits, one.replace(**{"recipe.compile": True}),
                     progress=False, checkpoint=tmp_path / "c.pt")
    assert calls == [compiled]
    # the eager backend runs the same operations: the same run, to the last digit
    assert without_seconds(h_plain) == without_seconds(h_compiled)
    saved = torch.load(tmp_path / "c.pt", weights_only=True)["model"]
    assert set(saved) == set(plain.state_dict())  # no "_orig_mod." prefixes


@pytest.mark.slow
def test_cpu_run_repeats_to_the_last_digit(splits, tiny_profile):
    config = tiny_profile.replace(seed=5)
    a, b = build_model(config), build_model(config)
    ha = fit(a, splits, config, progress=False)
    hb = fit(b, splits, config, progress=False)
    assert without_seconds(ha) == without_seconds(hb)
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    assert all(torch.equal(p, q) for p, q in pairs)


@pytest.mark.slow
def test_interrupted_run_resumes_exactly(splits, tiny_profile, tmp_path):
    profile = tiny_profile.replace(seed=1, **{"model.dropout": 0.5})
    straight = build_model(profile)
    full_history = fit(straight, splits, profile, progress=False)

    def interrupt_after_two(history):
        if len(history["epoch"]) == 2:
            raise KeyboardInterrupt

    path = tmp_path / "run" / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(build_model(profile), splits, profile, progress=False,
            checkpoint=path, callback=interrupt_after_two)
    assert torch.load(path, weights_only=True)["epoch"] == 2
    torch.manual_seed(123)  # a fresh process: other weights, other global RNG state
    resumed = AlexNetCIFAR(width=0.125)  # built any way: the checkpoint overwrites it
    history = fit(resumed, splits, profile, progress=False, checkpoint=path)
    assert without_seconds(history) == without_seconds(full_history)
    assert all(torch.equal(p, q) for p, q in
               zip(resumed.state_dict().values(), straight.state_dict().values(),
                   strict=True))


def test_resume_refuses_another_runs_checkpoint(splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    fit(build_model(tiny_profile), splits, tiny_profile.replace(**{"recipe.epochs": 1}),
        progress=False, checkpoint=path)
    other = tiny_profile.replace(**{"recipe.epochs": 2, "recipe.lr": 0.01})
    with pytest.raises(ConfigError, match="another run"):
        fit(build_model(other), splits, other, progress=False, checkpoint=path)


def test_nan_loss_stops_with_epoch_and_step_and_keeps_checkpoint(splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    model = build_model(tiny_profile)
    fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 1}), progress=False,
        checkpoint=path)
    good = path.read_bytes()

    calls = {"n": 0}
    original_forward = model.forward

    def poisoned(x):
        calls["n"] += 1
        out = original_forward(x)
        return out * float("nan") if calls["n"] == 3 else out

    model = build_model(tiny_profile)
    model.forward = poisoned
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1, step 3.*checkpoint"):
        fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 2}), progress=False,
            checkpoint=tmp_path / "other.pt")
    assert not (tmp_path / "other.pt").exists()
    assert path.read_bytes() == good


def test_nan_in_a_later_epoch_keeps_the_last_good_checkpoint(splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    model = build_model(tiny_profile)
    original_forward = model.forward
    steps_per_epoch = len(splits.train_labels) // tiny_profile.recipe.batch_size
    calls = {"n": 0}

    def poisoned(x):
        if torch.is_grad_enabled():
            calls["n"] += 1
        out = original_forward(x)
        return out * float("inf") if calls["n"] == steps_per_epoch + 2 else out

    model.forward = poisoned
    with pytest.raises(NonFiniteLossError, match="epoch 2, step 2"):
        fit(model, splits, tiny_profile, progress=False, checkpoint=path)
    assert torch.load(path, weights_only=True)["epoch"] == 1


def test_fit_refuses_a_model_other_than_the_configs(splits, tiny_profile):
    # issue 10, defect 4: the model and the record must not disagree (dropout 0.5 and 0)
    model = build_model(tiny_profile.replace(**{"model.dropout": 0.5}))
    with pytest.raises(ConfigError, match=r"build_model\(config\)"):
        fit(model, splits, tiny_profile, progress=False)


def test_data_and_dropout_streams_differ(splits, tiny_profile, monkeypatch):
    # issue 10, defect 2: shuffling/augmentation and dropout once drew the same numbers
    seeds = {}
    real_manual_seed = torch.manual_seed
    model = build_model(tiny_profile)

    def spy(seed):
        seeds.setdefault("dropout", []).append(int(seed))
        return real_manual_seed(seed)

    monkeypatch.setattr(torch, "manual_seed", spy)
    loader_seeds = []
    real_generator = DeviceLoader.generator
    monkeypatch.setattr(DeviceLoader, "generator",
                        lambda self: loader_seeds.append(real_generator(self).initial_seed())
                        or real_generator(self))
    fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 2}), progress=False)
    assert len(seeds["dropout"]) == 2 and len(loader_seeds) == 2
    assert not set(seeds["dropout"]) & set(loader_seeds)


def test_partial_last_batch_counts_its_own_size_and_lr_is_the_epochs_last(
        splits, tiny_profile, monkeypatch):
    # issue 10, defect 6: accuracy assumed full batches; the logged lr was the one after
    # the schedule ended (0) in the last epoch
    monkeypatch.setattr(DeviceLoader, "__init__", _keep_last_batch(DeviceLoader.__init__))
    config = tiny_profile.replace(**{"recipe.batch_size": 7, "recipe.epochs": 2})
    history = fit(build_model(config), splits, config, progress=False)
    assert all(0.0 <= a <= 1.0 for a in history["train_acc"])
    assert history["lr"][-1] > 0.0


def _keep_last_batch(init):
    def wrapped(self, *args, **kwargs):
        kwargs["drop_last"] = False
        init(self, *args, **kwargs)
    return wrapped


@pytest.mark.slow
def test_fp16_with_a_grad_scaler_checkpoints_the_scaler_and_resumes_exactly(
        splits, tiny_profile, tmp_path, monkeypatch):
    # the branch a Colab T4 takes (fp16 autocast + GradScaler), forced on the CPU
    import alexnet_lib.train as train_module
    from alexnet_lib.precision import FP16

    monkeypatch.setattr(train_module, "choose_precision", lambda device, requested: FP16)
    config = tiny_profile.replace(seed=2)
    straight = build_model(config)
    full_history = fit(straight, splits, config, progress=False)

    def interrupt_after_two(history):
        if len(history["epoch"]) == 2:
            raise KeyboardInterrupt

    path = tmp_path / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(build_model(config), splits, config, progress=False, checkpoint=path,
            callback=interrupt_after_two)
    state = torch.load(path, weights_only=True)
    assert state["precision"] == "fp16" and state["scaler"]["scale"] > 0
    resumed = build_model(config.replace(seed=9))
    history = fit(resumed, splits, config, progress=False, checkpoint=path)
    assert without_seconds(history) == without_seconds(full_history)
    assert all(torch.equal(p, q) for p, q in
               zip(resumed.state_dict().values(), straight.state_dict().values(),
                   strict=True))


def test_checkpoints_hold_the_learning_rate_and_the_number_of_processes(
        splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    one = tiny_profile.replace(**{"recipe.epochs": 1})
    fit(build_model(one), splits, one, progress=False, checkpoint=path)
    state = torch.load(path, weights_only=True)
    assert state["world_size"] == 1 and state["epoch"] == 1
    assert state["lr"]["steps"] == len(splits.train_labels) // one.recipe.batch_size
    assert state["config"] == one.to_dict() and set(state["history"]) == set(HISTORY_KEYS)
    # a run of two processes has another global batch and rate: it may not resume here
    state["world_size"] = 2
    torch.save(state, path)
    with pytest.raises(ConfigError, match="written by a run of 2 processes, this one has 1"):
        fit(build_model(one), splits, one, progress=False, checkpoint=path)


@pytest.mark.slow
def test_the_history_of_a_finished_run_is_returned_without_training(
        splits, tiny_profile, tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    one = tiny_profile.replace(**{"recipe.epochs": 1})
    history = fit(build_model(one), splits, one, progress=False, checkpoint=path)
    import alexnet_lib.train as train_module

    with monkeypatch.context() as m:
        m.setattr(train_module, "_train_epoch", lambda *a: pytest.fail("trained again"))
        assert fit(build_model(one), splits, one, progress=False, checkpoint=path) == history
    # resume=False starts afresh over the old checkpoint
    again = fit(build_model(one), splits, one, progress=False, checkpoint=path, resume=False)
    assert again["train_loss"] == history["train_loss"]


# --- whole runs: run_training for any source ------------------------------------------------

class Interrupt(Exception):
    """Stands for a Ctrl-C or a lost machine after an epoch."""


def stop_after(epochs: int):
    """``run.fit`` with a callback that interrupts the run after ``epochs`` epochs."""
    import alexnet_lib.run as run_module

    real_fit = run_module.fit

    def fit_then_stop(*args, **kwargs):
        def callback(history):
            if len(history["epoch"]) == epochs:
                raise Interrupt
        return real_fit(*args, callback=callback, **kwargs)

    return fit_then_stop


def quiet(_text):
    pass


@pytest.fixture
def photos(tmp_path):
    return write_image_folder(tmp_path / "photos")


def small_folder_run(folder, **changes):
    """The paper profile on a folder of small images, with AlexNetCIFAR's 32x32 input."""
    return get_profile("paper").replace(**{
        "data.root": str(folder), "model.arch": "AlexNetCIFAR", "model.width": 0.125,
        "data.image_size": 36, "data.crop_size": 32, "data.workers": 0,
        "data.stats_images": 24, "recipe.batch_size": 8, "recipe.epochs": 2, **changes})


@pytest.mark.slow
def test_a_folder_run_records_what_a_cifar_run_records(photos, cifar_root, tiny_profile,
                                                       tmp_path):
    folder = run_training(small_folder_run(photos), tmp_path / "folder", device="cpu",
                          progress=False, log=quiet)
    cifar = run_training(tiny_profile.replace(**{"data.root": str(cifar_root),
                                                 "recipe.epochs": 2}),
                         tmp_path / "cifar", device="cpu", progress=False, download=False,
                         log=quiet)
    for record in (folder, cifar):
        assert set(record["history"]) == set(HISTORY_KEYS)  # val_acc, not val_top1
        assert len(record["history"]["epoch"]) == 2 and record["world_size"] == 1
        assert {"single_top1", "single_top5", "ten_crop_top1", "ten_crop_top5"} <= set(
            record["test"])
        assert {"device", "precision", "torch", "resumed", "plan", "parameters"} <= set(record)
    assert folder["config"]["model"]["num_classes"] == 3  # taken from the class folders
    assert folder["data"]["classes"] == list(FOLDER_CLASSES)
    assert folder["data"]["source"] == "imagefolder" and folder["data"]["val"] == 12
    assert folder["plan"]["global_batch"] == 8 and folder["plan"]["steps_per_epoch"] == 3
    assert "train_top1" in cifar["test"] and "lrn_damping" in cifar
    assert json.loads((tmp_path / "folder" / "history.json").read_text()) == folder


def test_the_book_plots_a_folder_runs_history(photos, tmp_path):
    viz = pytest.importorskip("alexnet_lib.book.viz")
    import matplotlib

    matplotlib.use("Agg")
    record = run_training(small_folder_run(photos, **{"recipe.epochs": 1}), tmp_path / "run",
                          device="cpu", progress=False, log=quiet)
    assert set(record["history"]) == set(HISTORY_KEYS)  # the keys of a CIFAR-10 run
    fig = viz.plot_history(record["history"], title="folder run")
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 3 and all(list(line.get_xdata()) == [1] for line in lines)
    matplotlib.pyplot.close(fig)


@pytest.mark.slow
def test_a_resumed_folder_run_with_workers_ends_where_an_uninterrupted_one_ends(
        photos, tmp_path, monkeypatch):
    import alexnet_lib.run as run_module

    # crops, mirrors, lighting and dropout all on; images decoded by a DataLoader worker
    config = small_folder_run(photos, **{"data.workers": 1})
    whole = run_training(config, tmp_path / "whole", device="cpu", progress=False, log=quiet)
    with monkeypatch.context() as m, pytest.raises(Interrupt):
        m.setattr(run_module, "fit", stop_after(1))
        run_training(config, tmp_path / "parts", device="cpu", progress=False, log=quiet)
    # interrupted after epoch 1: its checkpoint, no record, nothing half-written
    assert [p.name for p in (tmp_path / "parts").iterdir()] == ["checkpoint.pt"]
    parts = run_training(config, tmp_path / "parts", device="cpu", progress=False, log=quiet)
    assert parts["resumed"] and not whole["resumed"]
    for key in ("train_loss", "train_acc", "val_acc", "lr"):
        assert parts["history"][key] == whole["history"][key], key
    assert parts["test"] == whole["test"]
    a = read_checkpoint(tmp_path / "whole" / "checkpoint.pt")["model"]
    b = read_checkpoint(tmp_path / "parts" / "checkpoint.pt")["model"]
    assert all(torch.equal(a[name], b[name]) for name in a)


def test_a_failed_run_leaves_no_empty_folder(tmp_path, tiny_profile):
    config = tiny_profile.replace(**{"data.root": str(tmp_path / "no-data")})
    out = tmp_path / "runs" / "new"
    with pytest.raises(DataError, match="CIFAR-10 not found"):
        run_training(config, out, download=False, device="cpu", progress=False, log=quiet)
    assert not out.exists()
    # a folder the user made is theirs: it stays, empty or not
    (tmp_path / "mine").mkdir()
    with pytest.raises(DataError):
        run_training(config, tmp_path / "mine", download=False, device="cpu", log=quiet)
    assert (tmp_path / "mine").is_dir()


def test_evaluate_a_folder_runs_checkpoint_and_refuse_other_data(photos, cifar_root,
                                                                 tmp_path):
    two = write_image_folder(tmp_path / "two")  # a two-class folder
    for split in ("train", "val"):
        shutil.rmtree(two / split / FOLDER_CLASSES[-1])
    record = run_training(small_folder_run(two, **{"recipe.epochs": 1}), tmp_path / "run",
                          device="cpu", progress=False, log=quiet)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    result = evaluate_checkpoint(checkpoint, device="cpu")
    assert (result["source"], result["split"], result["classes"], result["images"]) == (
        "imagefolder", "validation", 2, 8)
    assert result["top1"] == record["test"]["single_top1"]
    ten = evaluate_checkpoint(checkpoint, device="cpu", ten_crop=True)
    assert ten["top1"] == record["test"]["ten_crop_top1"]
    # the same kind of images elsewhere: checked against the model first
    with pytest.raises(ConfigError, match="model of 2 classes.*holds 3"):
        evaluate_checkpoint(checkpoint, data=f"imagefolder:{photos}", device="cpu")
    # at the crop size it was trained at: another folder of the same classes is tested
    other = evaluate_checkpoint(checkpoint, data=f"imagefolder:{two}", device="cpu")
    assert other == result
    # a two-class model is no CIFAR-10 model, though it takes 32x32 images
    with pytest.raises(ConfigError, match="CIFAR-10 has 10"):
        evaluate_checkpoint(checkpoint, data=str(cifar_root), device="cpu", download=False)


def test_a_cifar_checkpoint_is_not_tested_on_photographs(tiny_profile, cifar_root, photos,
                                                         tmp_path):
    config = tiny_profile.replace(**{"data.root": str(cifar_root), "recipe.epochs": 1})
    run_training(config, tmp_path / "run", device="cpu", progress=False, download=False,
                 log=quiet)
    with pytest.raises(ConfigError, match="AlexNetCIFAR trained on CIFAR-10's 32x32 images"):
        evaluate_checkpoint(tmp_path / "run" / "checkpoint.pt", data=f"imagefolder:{photos}")


# --- folder runs on the command line ---------------------------------------------------------

# a small network on small images, so a run takes a second
SMALL = ["--profile", "paper", "--no-progress", "--set", "model.arch=AlexNetCIFAR",
         "--set", "model.width=0.125", "--set", "data.image_size=36",
         "--set", "data.crop_size=32", "--set", "data.workers=0",
         "--set", "recipe.batch_size=8"]


@pytest.mark.slow
def test_train_the_paper_network_at_227(tmp_path, capsys):
    """--profile paper as it is: 256 squares, 227 crops, ten views, two towers."""
    folder = write_image_folder(tmp_path / "big", {"train": 3, "val": 1}, size=(300, 260))
    out = tmp_path / "run"
    code = main(["train", "--profile", "paper", "--data", f"imagefolder:{folder}",
                 "--out", str(out), "--no-progress", "--set", "data.workers=0",
                 "--set", "recipe.epochs=1", "--set", "recipe.batch_size=3"])
    assert code == 0
    record = json.loads((out / "history.json").read_text())
    assert record["config"]["model"]["arch"] == "AlexNet"
    assert record["config"]["model"]["num_classes"] == 3  # taken from the data
    assert record["parameters"] == 60_965_224 - 4096 * 997 - 997  # fc8 has 3 outputs
    assert record["plan"]["global_batch"] == 3 and record["plan"]["steps_per_epoch"] == 3
    assert record["data"]["val"] == 3
    assert all(torch.isfinite(torch.tensor(record["history"]["train_loss"])))
    printed = capsys.readouterr().out
    assert "crop_size=227" in printed and "ten views top-1" in printed
    assert "1 process x batch 3 = global batch 3" in printed


def test_resume_and_refuse_another_run(photos, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--data", f"imagefolder:{photos}", "--out", str(out), *SMALL]
    assert main([*argv, "--set", "recipe.epochs=1"]) == 0
    first = json.loads((out / "history.json").read_text())
    assert main([*argv, "--set", "recipe.epochs=1"]) == 0  # finished: resumes, trains nothing
    again = json.loads((out / "history.json").read_text())
    assert again["resumed"] and again["history"]["val_acc"] == first["history"]["val_acc"]
    assert "resuming from" in capsys.readouterr().out
    assert main([*argv, "--set", "recipe.epochs=3", "--set", "recipe.lr=0.02"]) == 2
    err = capsys.readouterr().err
    assert "belongs to another run" in err and "recipe.lr: 0.01 there, 0.02 here" in err
    assert err.count("\n") == 1


def test_the_paper_network_on_cifar10_is_refused_before_anything_loads(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["train", "--profile", "paper", "--data", str(tmp_path / "nothing"),
                 "--no-download", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model.arch=AlexNet takes 227x227") and err.count("\n") == 1
    assert not out.exists()


def test_missing_folder_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--data", f"imagefolder:{tmp_path / 'nowhere'}", "--out", str(out),
                 *SMALL])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {tmp_path / 'nowhere'} does not exist")
    assert "Traceback" not in err and err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("split", ["train", "val"])
def test_unreadable_image_stops_the_run_cleanly(photos, tmp_path, capsys, split):
    bad = photos / split / "fox" / "fox_002.jpg"
    bad.write_bytes(bad.read_bytes()[:200])  # a truncated JPEG
    out = tmp_path / "run"
    code = main(["train", "--data", f"imagefolder:{photos}", "--out", str(out), *SMALL,
                 "--set", "data.workers=1", "--set", "recipe.epochs=1"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {bad} cannot be read as an image")
    assert "Traceback" not in err and err.count("\n") == 1
    # nothing half-written: no record, no temporary files
    assert not (out / "history.json").exists() and not list(out.glob("*.tmp"))
