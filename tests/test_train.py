import pytest
import torch

from alexnet_lib.data import DeviceLoader, load_splits
from alexnet_lib.errors import ConfigError
from alexnet_lib.models import AlexNetCIFAR
from alexnet_lib.train import HISTORY_KEYS, NonFiniteLossError, fit, warmup_linear_schedule


def without_seconds(history):
    return {k: v for k, v in history.items() if k != "seconds"}


@pytest.fixture
def splits(cifar_root, tiny_profile):
    return load_splits(tiny_profile.data, root=cifar_root, download=False)


@pytest.fixture
def tiny_profile(tiny_profile):
    """The tiny run without dropout, so runs compare exactly (the dropout tests add it)."""
    return tiny_profile.replace(**{"model.dropout": 0.0})




def test_fit_learns_and_records_history(splits, tiny_profile):
    profile = tiny_profile.replace(**{"recipe.epochs": 6})
    seen = []
    history = fit(tiny_profile.build_model(), splits, profile, progress=False,
                  callback=lambda h: seen.append(len(h["epoch"])))
    assert set(history) == set(HISTORY_KEYS)
    assert history["epoch"] == list(range(1, 7)) and seen == list(range(1, 7))
    assert all(len(v) == 6 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] > 0.5  # ten easy classes: chance is 0.1
    assert history["lr"][-1] < max(history["lr"])  # the schedule decays


def test_fit_sets_the_models_normalization(splits, tiny_profile):
    model = tiny_profile.build_model()
    fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 1}), progress=False)
    assert torch.allclose(model.normalize.mean.flatten(), splits.mean)


def test_compile_trains_through_torch_compile_and_keeps_the_plain_models_weights(
        splits, tiny_profile, tmp_path, monkeypatch):
    calls, real_compile = [], torch.compile

    def eager_compile(module, **kwargs):  # inductor would take minutes on a CPU runner
        calls.append(module)
        return real_compile(module, backend="eager")

    monkeypatch.setattr(torch, "compile", eager_compile)
    plain, compiled = tiny_profile.build_model(), tiny_profile.build_model()
    one = tiny_profile.replace(**{"recipe.epochs": 1})
    h_plain = fit(plain, splits, one, progress=False)
    h_compiled = fit(compiled, splits, one.replace(**{"recipe.compile": True}),
                     progress=False, checkpoint=tmp_path / "c.pt")
    assert calls == [compiled]
    # the eager backend runs the same operations: the same run, to the last digit
    assert without_seconds(h_plain) == without_seconds(h_compiled)
    saved = torch.load(tmp_path / "c.pt", weights_only=True)["model"]
    assert set(saved) == set(plain.state_dict())  # no "_orig_mod." prefixes


def test_cpu_run_repeats_to_the_last_digit(splits, tiny_profile):
    config = tiny_profile.replace(seed=5)
    a, b = config.build_model(), config.build_model()
    ha = fit(a, splits, config, progress=False)
    hb = fit(b, splits, config, progress=False)
    assert without_seconds(ha) == without_seconds(hb)
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    assert all(torch.equal(p, q) for p, q in pairs)


def test_interrupted_run_resumes_exactly(splits, tiny_profile, tmp_path):
    profile = tiny_profile.replace(seed=1, **{"model.dropout": 0.5})
    straight = profile.build_model()
    full_history = fit(straight, splits, profile, progress=False)

    def interrupt_after_two(history):
        if len(history["epoch"]) == 2:
            raise KeyboardInterrupt

    path = tmp_path / "run" / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(profile.build_model(), splits, profile, progress=False,
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
    fit(tiny_profile.build_model(), splits, tiny_profile.replace(**{"recipe.epochs": 1}),
        progress=False, checkpoint=path)
    other = tiny_profile.replace(**{"recipe.epochs": 2, "recipe.lr": 0.01})
    with pytest.raises(ConfigError, match="another run"):
        fit(other.build_model(), splits, other, progress=False, checkpoint=path)


def test_nan_loss_stops_with_epoch_and_step_and_keeps_checkpoint(splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    model = tiny_profile.build_model()
    fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 1}), progress=False,
        checkpoint=path)
    good = path.read_bytes()

    calls = {"n": 0}
    original_forward = model.forward

    def poisoned(x):
        calls["n"] += 1
        out = original_forward(x)
        return out * float("nan") if calls["n"] == 3 else out

    model = tiny_profile.build_model()
    model.forward = poisoned
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1, step 3.*checkpoint"):
        fit(model, splits, tiny_profile.replace(**{"recipe.epochs": 2}), progress=False,
            checkpoint=tmp_path / "other.pt")
    assert not (tmp_path / "other.pt").exists()
    assert path.read_bytes() == good


def test_nan_in_a_later_epoch_keeps_the_last_good_checkpoint(splits, tiny_profile, tmp_path):
    path = tmp_path / "checkpoint.pt"
    model = tiny_profile.build_model()
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


def test_warmup_linear_schedule():
    f = warmup_linear_schedule(100, 0.1)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(55) == pytest.approx(0.5) and f(100) == 0.0


def test_fit_refuses_a_model_other_than_the_configs(splits, tiny_profile):
    # issue 10, defect 4: the model and the record must not disagree (dropout 0.5 and 0)
    model = tiny_profile.replace(**{"model.dropout": 0.5}).build_model()
    with pytest.raises(ConfigError, match="config.build_model"):
        fit(model, splits, tiny_profile, progress=False)


def test_data_and_dropout_streams_differ(splits, tiny_profile, monkeypatch):
    # issue 10, defect 2: shuffling/augmentation and dropout once drew the same numbers
    seeds = {}
    real_manual_seed = torch.manual_seed
    model = tiny_profile.build_model()

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
    history = fit(config.build_model(), splits, config, progress=False)
    assert all(0.0 <= a <= 1.0 for a in history["train_acc"])
    assert history["lr"][-1] > 0.0


def _keep_last_batch(init):
    def wrapped(self, *args, **kwargs):
        kwargs["drop_last"] = False
        init(self, *args, **kwargs)
    return wrapped


def test_fp16_with_a_grad_scaler_checkpoints_the_scaler_and_resumes_exactly(
        splits, tiny_profile, tmp_path, monkeypatch):
    # the branch a Colab T4 takes (fp16 autocast + GradScaler), forced on the CPU
    import alexnet_lib.train as train_module
    from alexnet_lib.precision import FP16

    monkeypatch.setattr(train_module, "choose_precision", lambda device, requested: FP16)
    config = tiny_profile.replace(seed=2)
    straight = config.build_model()
    full_history = fit(straight, splits, config, progress=False)

    def interrupt_after_two(history):
        if len(history["epoch"]) == 2:
            raise KeyboardInterrupt

    path = tmp_path / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(config.build_model(), splits, config, progress=False, checkpoint=path,
            callback=interrupt_after_two)
    state = torch.load(path, weights_only=True)
    assert state["precision"] == "fp16" and state["scaler"]["scale"] > 0
    resumed = config.replace(seed=9).build_model()
    history = fit(resumed, splits, config, progress=False, checkpoint=path)
    assert without_seconds(history) == without_seconds(full_history)
    assert all(torch.equal(p, q) for p, q in
               zip(resumed.state_dict().values(), straight.state_dict().values(),
                   strict=True))
