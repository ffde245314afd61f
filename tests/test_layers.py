import pytest
import torch
from torch import nn

from alexnet_lib.layers import Dropout, LocalResponseNorm


def paper_lrn(a, n=5, alpha=1e-4, beta=0.75, k=2.0):
    """Section 3.3 written as the formula reads, one channel at a time."""
    channels = a.shape[1]
    out = torch.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        out[:, i] = a[:, i] / (k + alpha * (a[:, lo : hi + 1] ** 2).sum(1)) ** beta
    return out


@pytest.mark.parametrize("size", [3, 5, 7])
def test_lrn_is_the_paper_formula_and_torch_with_alpha_times_n(size):
    a = torch.randn(2, 11, 4, 4, dtype=torch.float64) * 30
    ours = LocalResponseNorm(size=size)(a)
    assert torch.allclose(ours, paper_lrn(a, n=size))
    theirs = nn.LocalResponseNorm(size, alpha=1e-4 * size, beta=0.75, k=2.0)(a)
    assert torch.allclose(ours, theirs)
    # and torch's layer with the paper's alpha as written is a different (weaker) layer
    assert not torch.allclose(ours, nn.LocalResponseNorm(size, 1e-4, 0.75, 2.0)(a))


def test_lrn_normalizes_strongly_with_big_activations():
    a = torch.full((1, 5, 1, 1), 100.0)
    out = LocalResponseNorm()(a)
    middle = 100 / (2 + 1e-4 * 5 * 100**2) ** 0.75
    assert out[0, 2, 0, 0].item() == pytest.approx(middle, rel=1e-6)


def test_lrn_is_safe_in_bfloat16():
    a = torch.full((1, 8, 2, 2), 300.0, dtype=torch.bfloat16)  # 300^2 * 5 overflows fp16
    out = LocalResponseNorm()(a)
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    ref = paper_lrn(a.double())
    assert torch.allclose(out.double(), ref, rtol=1e-2)


def test_dropout_eval_is_identity_and_train_is_inverted():
    x = torch.rand(200_000) + 0.5
    drop = Dropout(0.5)
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    y = drop(x)
    kept = y != 0
    assert 0.49 < kept.float().mean() < 0.51
    assert torch.allclose(y[kept], x[kept] * 2)
    assert y.mean().item() == pytest.approx(x.mean().item(), rel=0.01)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics_match_nn_dropout(p):
    x = torch.ones(100_000)
    ours, theirs = Dropout(p)(x), nn.Dropout(p)(x)
    for stat in (lambda t: (t == 0).float().mean(), lambda t: t.mean(), lambda t: t.max()):
        assert stat(ours).item() == pytest.approx(stat(theirs).item(), rel=0.03, abs=0.01)


def test_dropout_edges():
    x = torch.rand(10)
    assert torch.equal(Dropout(0.0)(x), x)
    assert torch.equal(Dropout(1.0)(x), torch.zeros(10))
    with pytest.raises(ValueError):
        Dropout(1.5)
