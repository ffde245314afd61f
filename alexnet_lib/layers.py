"""The two layers the paper introduced or popularised, written out (sections 3.3 and 4.2),
and the constant-gain control for the first.

Hand-written on purpose: the book derives each from the paper's formula, and PyTorch's
``nn.LocalResponseNorm`` reads alpha differently (see below); the models use ``nn.Dropout``,
which this module's ``Dropout`` equals.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# The paper's LRN settings (section 3.3: k = 2, n = 5, alpha = 1e-4, beta = 0.75), named
# as LocalResponseNorm's arguments: ``LocalResponseNorm(**PAPER_LRN)``.
PAPER_LRN = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)


class LocalResponseNorm(nn.Module):
    """Local Response Normalization exactly as the paper writes it (section 3.3)::

        b[i] = a[i] / (k + alpha * sum_{j = i - n/2}^{i + n/2} a[j]^2) ** beta

    with the sum over ``size`` (n) neighbouring channels at the same position, clipped at
    the first and last channel, and the paper's k=2, n=5, alpha=1e-4, beta=0.75.

    ``torch.nn.LocalResponseNorm`` divides alpha by n (it averages the squares instead of
    summing them), so ``LocalResponseNorm(n, alpha)`` here equals
    ``torch.nn.LocalResponseNorm(n, alpha * n)``.

    The backward pass is written out (:class:`LocalResponseNormFunction`), as cuda-convnet
    had it, instead of left to autograd: fewer passes over memory, and on the CPU the
    layer's forward + backward 2.5-3.5x as fast (``benchmarks/lrn.py``). The squares, their
    sums and the scale stay in float32 under bf16/fp16 autocast (squaring large activations
    overflows half precision); the output has the input's dtype and memory layout.
    ``closed_form=False`` gives the same function through autograd
    (:func:`local_response_norm_reference`), the path the speed benchmarks compare against.
    """

    def __init__(self, size: int = PAPER_LRN["size"], alpha: float = PAPER_LRN["alpha"],
                 beta: float = PAPER_LRN["beta"], k: float = PAPER_LRN["k"],
                 closed_form: bool = True):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k
        self.closed_form = closed_form

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lrn = local_response_norm if self.closed_form else local_response_norm_reference
        return lrn(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        text = f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
        return text if self.closed_form else text + ", closed_form=False"


def _channel_slices(c: int, offsets: range):
    """For each shift d in ``offsets``, the channel slices ``(dst, src)`` with
    ``src = dst + d``, both inside 0..c-1 (shifts of c or more channels have none)."""
    for d in offsets:
        if abs(d) < c:
            lo, hi = max(0, -d), c - max(0, d)
            yield slice(lo, hi), slice(lo + d, hi + d)


def _scale(s: torch.Tensor, beta: float) -> torch.Tensor:
    """``s ** -beta``; for the paper's 0.75 as rsqrt(s) * s^-0.25, three times cheaper on
    the CPU than ``pow`` (which goes through exp and log)."""
    if beta == 0.75:
        r = s.rsqrt()
        return r.sqrt().mul_(r)
    return s.pow(-beta)


class LocalResponseNormFunction(torch.autograd.Function):
    """LRN with its backward in closed form. With ``s[i] = k + alpha * S[i]`` (``S`` the
    window sum of squares) and ``b = a * s**-beta``::

        dL/da[j] = g[j] * s[j]**-beta
                   - 2 * alpha * beta * a[j] * sum_{i: j in window(i)} g[i] a[i] s[i]**(-beta-1)

    The second sum runs over the windows that contain channel j: the forward window,
    mirrored (the same one for odd n). Saved for backward: the input, ``s`` and
    ``s**-beta``, all float32.
    """

    @staticmethod
    def forward(ctx, x, size: int, alpha: float, beta: float, k: float):
        # float32 throughout (float64 for float64 input): one cast of a bf16/fp16 input is
        # cheaper than mixed-dtype operations, which the CPU runs element by element
        x32 = x if x.dtype in (torch.float32, torch.float64) else x.float()
        window = range(-(size // 2), (size - 1) // 2 + 1)
        s = torch.full_like(x32, k)  # keeps x's memory layout (channels_last)
        for dst, src in _channel_slices(x.shape[1], window):
            s[:, dst].addcmul_(x32[:, src], x32[:, src], value=alpha)
        scale = _scale(s, beta)
        ctx.save_for_backward(x32, s, scale)
        ctx.window, ctx.alpha, ctx.beta = window, alpha, beta
        return (x32 * scale).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, s, scale = ctx.saved_tensors
        grad_x = grad.to(x.dtype) * scale  # the direct term g * s^-beta
        u = torch.mul(grad_x, x).div_(s)  # g * a * s^(-beta-1)
        mirrored = range(-ctx.window.stop + 1, -ctx.window.start + 1)
        for dst, src in _channel_slices(x.shape[1], mirrored):
            grad_x[:, dst].addcmul_(x[:, dst], u[:, src], value=-2.0 * ctx.alpha * ctx.beta)
        return grad_x.to(grad.dtype), None, None, None, None


def local_response_norm(x: torch.Tensor, size: int = 5, alpha: float = 1e-4,
                        beta: float = 0.75, k: float = 2.0) -> torch.Tensor:
    """The paper's LRN over dim 1 of ``x`` (N, C, ...), closed-form backward."""
    return LocalResponseNormFunction.apply(x, size, alpha, beta, k)


def local_response_norm_reference(x: torch.Tensor, size: int = 5, alpha: float = 1e-4,
                                  beta: float = 0.75, k: float = 2.0) -> torch.Tensor:
    """The same function in plain tensor operations, differentiated by autograd: the
    formula as written, and the baseline the closed-form backward is tested and timed
    against. Casts the whole input to float32."""
    x32 = x.float() if x.dtype != torch.float64 else x
    c = x32.shape[1]
    # pad the channel axis, then add the n shifted windows
    squares = F.pad(x32.square(), [0, 0] * (x.dim() - 2) + [size // 2, (size - 1) // 2])
    sums = squares[:, :c].clone()
    for i in range(1, size):
        sums += squares[:, i : i + c]
    return (x32 / (k + alpha * sums).pow(beta)).to(x.dtype)


class ConstantGain(nn.Module):
    """LRN's gain at zero input alone, ``x * k**-beta`` (0.59 for the paper's k=2,
    beta=0.75): the control that rescales as LRN does on quiet units and never
    normalizes, so an ablation can tell normalization from a change of scale."""

    def __init__(self, beta: float = PAPER_LRN["beta"], k: float = PAPER_LRN["k"]):
        super().__init__()
        self.beta, self.k = beta, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.k**-self.beta

    def extra_repr(self) -> str:
        return f"beta={self.beta}, k={self.k}"


class Dropout(nn.Module):
    """Inverted dropout from scratch (section 4.2).

    The paper zeroes each hidden unit with probability 0.5 while training and multiplies
    the outputs by 0.5 at test time. "Inverted" dropout, as here and in ``nn.Dropout``,
    scales the kept units by 1 / (1 - p) while training instead, so that the expected
    activation is the same and the test-time network is the plain one.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return torch.zeros_like(x)
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"
