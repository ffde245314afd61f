"""The paper's update rule (alexnet_lib.optim.PaperSGD) against torch.optim.SGD."""

import pytest
import torch
from torch import nn

from alexnet_lib.optim import PaperSGD


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
