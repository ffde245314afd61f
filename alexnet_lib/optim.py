"""The paper's update rule (section 5) as a PyTorch optimizer, beside ``torch.optim.SGD``.

The paper writes one step of stochastic gradient descent with momentum and weight decay as

    v <- 0.9 v - 0.0005 eps w - eps grad
    w <- w + v

``torch.optim.SGD(momentum=0.9, weight_decay=5e-4)`` keeps a buffer of gradients instead,
and multiplies it by the learning rate when it steps:

    b <- 0.9 b + (grad + 0.0005 w)
    w <- w - eps b

With a constant ``eps`` the two are the same sequence (``v = -eps b``). When ``eps``
changes, they part: PyTorch rescales the whole buffer, the momentum of past steps
included, by the new rate at once; the paper's velocity keeps the rates its past steps
were taken with and forgets them at the momentum's pace (a tenth per step at 0.9). Both
decay every parameter they are given, biases included, as the formula does; leave the
biases out with a parameter group of ``weight_decay=0``. The book trains with PyTorch's
rule (``alexnet_lib.train``); chapter 9 shows where the two differ.
"""

from __future__ import annotations

import torch


class PaperSGD(torch.optim.Optimizer):
    """SGD with momentum and weight decay exactly as the paper's section 5 writes it.

    ``v <- momentum * v - weight_decay * lr * w - lr * grad``, then ``w <- w + v``, with
    the velocity ``v`` starting at zero. Works with learning-rate schedulers (they set
    each group's ``lr``); the velocity is the optimizer's state, saved by ``state_dict``.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 5e-4):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"lr, momentum and weight_decay must be >= 0, got {lr}, "
                             f"{momentum}, {weight_decay}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for w in group["params"]:
                if w.grad is None:
                    continue
                state = self.state[w]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(w)
                v = state["velocity"]
                v.mul_(momentum).add_(w, alpha=-decay * lr).add_(w.grad, alpha=-lr)
                w.add_(v)
        return loss
