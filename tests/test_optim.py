"""The paper's update rule (alexnet_lib.optim.PaperSGD) against torch.optim.SGD, and the
learning rate a run trains with (alexnet_lib.schedule, alexnet_lib.sgd)."""

import pytest
import torch
from torch import nn

from alexnet_lib.config import Recipe, get_profile
from alexnet_lib.optim import PaperSGD
from alexnet_lib.schedule import lr_at, scaled_lr, warmup_epochs, warmup_linear_schedule
from alexnet_lib.sgd import LearningRate, describe_plan, make_optimizer, plan


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).double()


def train(optimizer_class, lrs, **kwargs) -> list[torch.Tensor]:
    """The parameters after one step per learning rate in ``lrs``, each step on its own
    fixed batch, so both rules see the same gradients' sequence of inputs."""
    model = make_model()
    opt = optimizer_class(model.parameters(), lr=lrs[0], momentum=0.9, weight_decay=5e-4,
                          **kwargs)
    g = torch.Generator().manual_seed(1)
    for lr in lrs:
        for group in opt.param_groups:
            group["lr"] = lr
        x = torch.randn(16, 5, generator=g, dtype=torch.float64)
        y = torch.randint(0, 3, (16,), generator=g)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def test_equals_torch_sgd_at_a_constant_learning_rate():
    paper = train(PaperSGD, [0.1] * 30)
    torch_sgd = train(torch.optim.SGD, [0.1] * 30)
    start = [p.detach() for p in make_model().parameters()]
    for a, b, w0 in zip(paper, torch_sgd, start, strict=True):
        assert not torch.equal(a, w0)  # it trained
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_differs_from_torch_sgd_once_the_learning_rate_changes():
    lrs = [0.1] * 10 + [0.01] * 10
    paper, torch_sgd = train(PaperSGD, lrs), train(torch.optim.SGD, lrs)
    # the same up to the change...
    for a, b in zip(train(PaperSGD, lrs[:10]), train(torch.optim.SGD, lrs[:10]), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # ...then the paper's velocity still carries the old rate's momentum, PyTorch's not
    gap = max((a - b).abs().max().item() for a, b in zip(paper, torch_sgd, strict=True))
    assert gap > 1e-4


def test_how_they_differ_one_step_after_the_change():
    """After steps at rate eps0, one step at eps1: PyTorch moves by -eps1 (0.9 b + g'),
    the paper by 0.9 v + (-eps1 g') with v = -eps0 b: they differ by exactly
    0.9 (eps1 - eps0) b, the momentum rescaled by PyTorch and not by the paper."""
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    grads = [torch.tensor([0.5, 0.25], dtype=torch.float64),
             torch.tensor([-1.0, 2.0], dtype=torch.float64)]
    eps0, eps1, mu, lam = 0.1, 0.01, 0.9, 5e-4

    def run(optimizer_class):
        p = w.detach().clone().requires_grad_(True)
        opt = optimizer_class([p], lr=eps0, momentum=mu, weight_decay=lam)
        moves = []
        for grad, eps in zip(grads, (eps0, eps1), strict=True):
            opt.param_groups[0]["lr"] = eps
            before = p.detach().clone()
            p.grad = grad.clone()
            opt.step()
            moves.append(p.detach() - before)
        return moves

    paper, pt = run(PaperSGD), run(torch.optim.SGD)
    torch.testing.assert_close(paper[0], pt[0], rtol=1e-12, atol=1e-15)
    b = grads[0] + lam * w.detach()  # PyTorch's buffer after the first step
    torch.testing.assert_close(paper[1] - pt[1], mu * (eps1 - eps0) * b, rtol=1e-12,
                               atol=1e-15)


def test_decay_applies_to_what_it_is_given_and_state_round_trips():
    model = make_model()
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = PaperSGD([{"params": weights}, {"params": biases, "weight_decay": 0.0}], lr=0.1)
    assert [g["weight_decay"] for g in opt.param_groups] == [5e-4, 0.0]
    # a zero gradient: only the decay moves the weights, and not the biases
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    before = [p.detach().clone() for p in model.parameters()]
    opt.step()
    for (name, p), b in zip(model.named_parameters(), before, strict=True):
        if name.endswith("bias"):
            assert torch.equal(p, b)
        else:
            torch.testing.assert_close(p, b * (1 - 0.1 * 5e-4))
    again = PaperSGD([{"params": weights}, {"params": biases, "weight_decay": 0.0}], lr=0.1)
    again.load_state_dict(opt.state_dict())
    assert torch.equal(again.state[weights[0]]["velocity"], opt.state[weights[0]]["velocity"])


def test_rejects_negative_settings():
    with pytest.raises(ValueError, match=">= 0"):
        PaperSGD(make_model().parameters(), lr=-0.1)


# --- the learning rate of a run (schedule and sgd.LearningRate) ----------------------------

def test_warmup_linear_schedule():
    f = warmup_linear_schedule(100, 0.1)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(55) == pytest.approx(0.5) and f(100) == 0.0


def test_linear_scaling_and_goyals_warm_up():
    assert scaled_lr(0.01, 128) == 0.01 and scaled_lr(0.01, 64) == 0.01
    assert scaled_lr(0.01, 1024) == pytest.approx(0.08)
    assert warmup_epochs(128) == 0 and warmup_epochs(256) == 5 and warmup_epochs(256, 128, 2) == 2
    # the warm-up climbs in equal steps from the paper's rate to the scaled one
    rates = [lr_at(s, 4, 0.01, 0.05) for s in range(6)]
    assert rates == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05, 0.05])


def rates_of(recipe, steps_per_epoch, world_size=1, val_errors=None):
    """The rate of every step of a run (LearningRate driving a real optimizer)."""
    opt = make_optimizer(make_model(), recipe)
    lr = LearningRate(opt, recipe, steps_per_epoch, world_size)
    seen = []
    for epoch in range(recipe.epochs):
        for _ in range(steps_per_epoch):
            seen.append(opt.param_groups[0]["lr"])
            opt.step()  # no gradients, so nothing moves; the scheduler wants a step first
            lr.step()
        lr.epoch_end(val_errors[epoch] if val_errors else 0.5)
    return seen, lr


def test_the_paper_recipe_on_eight_processes():
    paper = get_profile("paper").recipe
    one = plan(paper, 1, 10_010)
    assert (one["global_batch"], one["lr"], one["warmup_epochs"]) == (128, 0.01, 0)
    eight = plan(paper, 8, 1252)  # 1,281,167 images over 8 processes of 128: 1,252 steps
    assert (eight["global_batch"], eight["lr"], eight["warmup_epochs"]) == (
        1024, pytest.approx(0.08), 5)
    text = describe_plan(eight)
    assert "8 processes x batch 128 = global batch 1024" in text
    assert "learning rate 0.08 (0.01 x 1024/128, the linear scaling rule)" in text
    assert "warmed up from 0.01 over 5 epochs" in text and "1252 steps per epoch" in text
    assert "not scaled" in describe_plan(one) and "warmed up" not in describe_plan(one)


def test_plateau_warms_up_then_divides_by_ten_when_validation_stalls():
    recipe = Recipe(epochs=6, batch_size=4, lr=0.01, reference_batch=4, schedule="plateau",
                    warmup_epochs=2, plateau_patience=1)
    # two processes: global batch 8, twice the reference: 0.02 after a two-epoch warm-up
    seen, lr = rates_of(recipe, 2, world_size=2, val_errors=[0.9, 0.8, 0.7, 0.7, 0.7, 0.7])
    assert seen[:4] == pytest.approx([0.01, 0.0125, 0.015, 0.0175])
    assert seen[4:8] == pytest.approx([0.02] * 4)  # improving: kept
    # no improvement in epochs 4 and 5: after one epoch of patience, a tenth
    assert seen[8:10] == pytest.approx([0.02] * 2) and seen[10:] == pytest.approx([0.002] * 2)
    assert lr.lr == pytest.approx(0.02)


def test_one_process_is_never_scaled_and_warmup_linear_decays_to_zero():
    recipe = Recipe(epochs=2, batch_size=8, lr=0.1, warmup_fraction=0.25)
    seen, lr = rates_of(recipe, 4)
    assert lr.lr == 0.1 and lr.warmup_steps == 0
    # 2 warm-up steps (a quarter of 8), then down by a sixth of the rate a step
    assert seen == pytest.approx([0.05, 0.1, 0.1, 0.1 * 5 / 6, 0.1 * 4 / 6, 0.1 * 3 / 6,
                                  0.1 * 2 / 6, 0.1 / 6])


def test_the_learning_rate_resumes_from_its_state():
    recipe = Recipe(epochs=4, batch_size=4, lr=0.01, reference_batch=4, schedule="plateau",
                    warmup_epochs=1, plateau_patience=0)
    errors = [0.9, 0.9, 0.9, 0.9]
    straight, _ = rates_of(recipe, 3, world_size=2, val_errors=errors)
    opt = make_optimizer(make_model(), recipe)
    first = LearningRate(opt, recipe, 3, 2)
    for epoch in range(2):
        for _ in range(3):
            opt.step()
            first.step()
        first.epoch_end(errors[epoch])
    state, opt_state = first.state_dict(), opt.state_dict()
    opt = make_optimizer(make_model(), recipe)
    again = LearningRate(opt, recipe, 3, 2)
    opt.load_state_dict(opt_state)
    again.load_state_dict(state)
    rest = []
    for epoch in range(2, 4):
        for _ in range(3):
            rest.append(opt.param_groups[0]["lr"])
            opt.step()
            again.step()
        again.epoch_end(errors[epoch])
    assert rest == pytest.approx(straight[6:])


def test_make_optimizer_follows_the_recipe():
    recipe = Recipe(lr=0.02, momentum=0.8, weight_decay=1e-3, nesterov=True)
    group = make_optimizer(make_model(), recipe).param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"], group["nesterov"]) == (
        0.02, 0.8, 1e-3, True)
    assert make_optimizer(make_model(), recipe, lr=0.5).param_groups[0]["lr"] == 0.5
