"""The two layers the paper introduced or popularised, written out (sections 3.3 and 4.2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LocalResponseNorm(nn.Module):
    """Local Response Normalization exactly as the paper writes it (section 3.3)::

        b[i] = a[i] / (k + alpha * sum_{j = i - n/2}^{i + n/2} a[j]^2) ** beta

    with the sum over ``size`` (n) neighbouring channels at the same position, clipped at
    the first and last channel, and the paper's k=2, n=5, alpha=1e-4, beta=0.75.

    ``torch.nn.LocalResponseNorm`` divides alpha by n (it averages the squares instead of
    summing them), so ``LocalResponseNorm(n, alpha)`` here equals
    ``torch.nn.LocalResponseNorm(n, alpha * n)``. The squares are summed in float32 even
    under bf16/fp16 autocast: squaring large activations overflows half precision.
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        c = x32.shape[1]
        # pad the channel axis, then add the n shifted windows: exact, and on the CPU
        # several times faster than pooling over channels (torch's avg_pool3d route)
        squares = F.pad(x32.square(), (0, 0, 0, 0, self.size // 2, (self.size - 1) // 2))
        sums = squares[:, :c].clone()
        for i in range(1, self.size):
            sums += squares[:, i : i + c]
        return (x32 / (self.k + self.alpha * sums).pow(self.beta)).to(x.dtype)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


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
