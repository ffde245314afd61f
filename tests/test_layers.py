import pytest
import torch
from torch import nn

from alexnet_lib.layers import (
    ConstantGain,
    Dropout,
    LocalResponseNorm,
    local_response_norm,
    local_response_norm_reference,
)


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


# the closed-form backward: channels fewer than, equal to and more than the window, odd
# and even windows (an even window is lopsided, so its mirror is another window)
GRADCHECK_CASES = [(3, 5), (5, 5), (11, 5), (2, 4), (4, 4), (9, 4), (6, 3), (7, 1)]


@pytest.mark.parametrize(("channels", "size"), GRADCHECK_CASES)
def test_lrn_backward_passes_gradcheck(channels, size):
    # alpha large enough that the cross-channel term of the gradient matters
    a = (torch.randn(2, channels, 3, 2, dtype=torch.float64) * 10).requires_grad_()
    for beta, k in ((0.75, 2.0), (0.6, 1.0)):  # the rsqrt shortcut and the general pow
        args = (size, 1e-2, beta, k)
        assert torch.autograd.gradcheck(lambda t, args=args: local_response_norm(t, *args), (a,))
        out = local_response_norm(a, *args)
        assert torch.allclose(out, local_response_norm_reference(a, *args))
        # torch's window for an even n: n // 2 channels before, n // 2 - 1 after
        assert torch.allclose(out, nn.LocalResponseNorm(size, 1e-2 * size, beta, k)(a))


def _grads(lrn, x, g):
    x = x.detach().clone().requires_grad_()
    out = lrn(x)
    out.backward(g)
    return out, x.grad


# the quick model's LRN inputs (width 0.25, batch 128): conv1's and conv2's outputs
@pytest.mark.parametrize("shape", [(128, 24, 32, 32), (128, 64, 16, 16)])
def test_lrn_backward_matches_autograd_on_the_quick_models_shapes(shape):
    # ReLU outputs at the scale the first layers see (a few units large), and alpha x 4000
    # as well as the paper's, so the normalization and its gradient are not negligible
    x = torch.randn(shape).mul_(4).relu_()
    g = torch.randn(shape)
    for alpha in (1e-4, 0.4):
        ours = _grads(lambda t, alpha=alpha: local_response_norm(t, 5, alpha), x, g)
        ref = _grads(lambda t, alpha=alpha: local_response_norm_reference(t, 5, alpha), x, g)
        for a, b in zip(ours, ref, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_lrn_bfloat16_input_keeps_dtype_and_sums_in_float32():
    x = (torch.randn(4, 10, 5, 5) * 300).bfloat16()  # squares overflow fp16, not bf16
    g = torch.randn(4, 10, 5, 5).bfloat16()
    out, grad = _grads(LocalResponseNorm(), x, g)
    assert out.dtype == grad.dtype == torch.bfloat16
    # the same as the float32 layer on the same (bf16-valued) input, to bf16's rounding
    out32, grad32 = _grads(LocalResponseNorm(), x.float(), g.float())
    torch.testing.assert_close(out.float(), out32, rtol=1e-2, atol=1e-2)
    torch.testing.assert_close(grad.float(), grad32, rtol=1e-2, atol=1e-2)


def test_lrn_float16_does_not_overflow():
    x = torch.full((1, 8, 2, 2), 300.0, dtype=torch.float16)  # 5 x 300^2 > fp16's 65504
    x.requires_grad_()
    out = LocalResponseNorm()(x)
    out.sum().backward()
    assert out.dtype == torch.float16 and torch.isfinite(out).all()
    assert torch.isfinite(x.grad).all()
    assert torch.allclose(out.double(), paper_lrn(x.detach().double()), rtol=2e-3)


def test_lrn_under_cpu_autocast_returns_bf16():
    conv = nn.Conv2d(3, 8, 3)
    x = torch.randn(2, 3, 6, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = LocalResponseNorm()(conv(x).relu())
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    assert conv.weight.grad is not None and torch.isfinite(conv.weight.grad).all()


def test_lrn_keeps_channels_last():
    x = torch.randn(3, 12, 5, 5).mul(20).contiguous(memory_format=torch.channels_last)
    g = torch.randn(3, 12, 5, 5).contiguous(memory_format=torch.channels_last)
    out, grad = _grads(LocalResponseNorm(alpha=1e-2), x, g)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert grad.is_contiguous(memory_format=torch.channels_last)
    ref = _grads(lambda t: local_response_norm_reference(t, alpha=1e-2), x.contiguous(),
                 g.contiguous())
    for a, b in zip((out, grad), ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_lrn_closed_form_switch_and_repr():
    layer = LocalResponseNorm()
    assert "closed_form" not in repr(layer)
    x = torch.randn(2, 7, 3, 3) * 30
    slow = LocalResponseNorm(closed_form=False)
    assert "closed_form=False" in repr(slow)
    torch.testing.assert_close(layer(x), slow(x))


def test_constant_gain_is_lrn_at_zero_input():
    gain = ConstantGain()
    x = torch.randn(2, 6, 3, 3)
    assert torch.allclose(gain(x), x * 2.0**-0.75)
    tiny = x * 1e-6  # where the squares vanish, LRN is this gain
    assert torch.allclose(gain(tiny), LocalResponseNorm()(tiny))
    assert gain(x.bfloat16()).dtype == torch.bfloat16
    assert "k=2.0" in repr(gain) and not list(gain.parameters())


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
