"""The paper's own parallelism: AlexNet split across two GPUs by layer (section 3.2).

"The parallelization scheme that we employ essentially puts half of the kernels (or
neurons) on each GPU, with one additional trick: the GPUs communicate only in certain
layers." Each tower (one GPU) holds half the kernels of every layer: 48 of conv1, 128 of
conv2, 192 of conv3 and conv4, 128 of conv5, 2048 of fc6 and fc7, and here half of fc8's
outputs. Tensors cross between the towers only where the paper says: into conv3 ("the
kernels of layer 3 take input from all kernel maps in layer 2") and into every fully
connected layer. ``models.AlexNet(groups=2)`` computes the same network on one device:
grouped convolutions keep the towers apart in conv2, conv4 and conv5.

One difference, and a switch for it. Each GPU normalized its own kernel maps (section
3.3, done per GPU by cuda-convnet); ``AlexNet(groups=2)``'s LRN runs over all 96 (256)
maps at once, so the two maps at each side of the towers' boundary borrow their
neighbours from the other tower. ``lrn_scope="tower"`` (the default) is the paper's;
``lrn_scope="all"`` passes those two maps across as well and equals ``AlexNet(groups=2)``
exactly (:meth:`TwoTowerAlexNet.from_grouped`).
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import PAPER_LRN, LocalResponseNorm
from ..models import IMAGENET_MEAN, IMAGENET_STD, AlexNet, Normalize

LRN_SCOPES = ("tower", "all")
HALF = PAPER_LRN["size"] // 2  # neighbours on each side that one LRN output sums over


class Tower(nn.Module):
    """One GPU's half of every layer."""

    def __init__(self, num_outputs: int, dropout: float):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 48, kernel_size=11, stride=4)
        self.conv2 = nn.Conv2d(48, 128, kernel_size=5, padding=2)
        self.conv3 = nn.Conv2d(256, 192, kernel_size=3, padding=1)  # sees both towers
        self.conv4 = nn.Conv2d(192, 192, kernel_size=3, padding=1)
        self.conv5 = nn.Conv2d(192, 128, kernel_size=3, padding=1)
        self.fc6 = nn.Linear(256 * 6 * 6, 2048)  # each fully connected layer sees both
        self.fc7 = nn.Linear(4096, 2048)
        self.fc8 = nn.Linear(4096, num_outputs)
        self.lrn = LocalResponseNorm(**PAPER_LRN)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)


class TwoTowerAlexNet(nn.Module):
    """AlexNet as two towers on two devices (``devices``, e.g. ``("cuda:0", "cuda:1")``;
    both ``"cpu"`` works too). Takes float images in 0..1 on any device and returns the
    logits on the first device. ``exchanges`` lists where the last forward pass moved
    tensors between the towers."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5,
                 devices=("cpu", "cpu"), lrn_scope: str = "tower",
                 input_scale: str = "standardized"):
        super().__init__()
        if lrn_scope not in LRN_SCOPES:
            raise ValueError(f"lrn_scope must be one of {LRN_SCOPES}, got {lrn_scope!r}")
        self.devices = tuple(torch.device(d) for d in devices)
        self.lrn_scope = lrn_scope
        self.num_classes = num_classes
        halves = (num_classes - num_classes // 2, num_classes // 2)
        self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD, input_scale).to(self.devices[0])
        self.towers = nn.ModuleList(Tower(n, dropout) for n in halves)
        for tower, device in zip(self.towers, self.devices, strict=True):
            tower.to(device)
        self.exchanges: list[str] = []

    def _to(self, x: torch.Tensor, tower: int, where: str) -> torch.Tensor:
        """Send ``x`` to ``tower``'s device, noting the crossing."""
        self.exchanges.append(where)
        return x.to(self.devices[tower])

    def _both(self, xs, where: str) -> list[torch.Tensor]:
        """Each tower gets both towers' outputs, tower 0's first (the grouped order)."""
        return [torch.cat([xs[0] if t == 0 else self._to(xs[0], t, where),
                           xs[1] if t == 1 else self._to(xs[1], t, where)], dim=1)
                for t in range(2)]

    def _lrn(self, xs, where: str) -> list[torch.Tensor]:
        t0, t1 = self.towers
        if self.lrn_scope == "tower":  # each GPU normalizes its own kernel maps
            return [t0.lrn(xs[0]), t1.lrn(xs[1])]
        # the maps at the boundary also see their neighbours across it
        left = t0.lrn(torch.cat([xs[0], self._to(xs[1][:, :HALF], 0, where)], 1))
        right = t1.lrn(torch.cat([self._to(xs[0][:, -HALF:], 1, where), xs[1]], 1))
        return [left[:, : xs[0].shape[1]], right[:, HALF:]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.exchanges = []
        t = self.towers
        x = self.normalize(x.to(self.normalize.mean.device))
        xs = [x.to(d) for d in self.devices]  # each GPU gets the whole image
        xs = [t[i].relu(t[i].conv1(xs[i])) for i in range(2)]
        xs = [t[i].pool(y) for i, y in enumerate(self._lrn(xs, "lrn1"))]
        xs = [t[i].relu(t[i].conv2(xs[i])) for i in range(2)]
        xs = [t[i].pool(y) for i, y in enumerate(self._lrn(xs, "lrn2"))]
        xs = self._both(xs, "conv3")
        xs = [t[i].relu(t[i].conv3(xs[i])) for i in range(2)]
        xs = [t[i].relu(t[i].conv4(xs[i])) for i in range(2)]
        xs = [t[i].pool(t[i].relu(t[i].conv5(xs[i]))).flatten(1) for i in range(2)]
        xs = self._both(xs, "fc6")
        xs = [t[i].dropout(t[i].relu(t[i].fc6(xs[i]))) for i in range(2)]
        xs = self._both(xs, "fc7")
        xs = [t[i].dropout(t[i].relu(t[i].fc7(xs[i]))) for i in range(2)]
        xs = self._both(xs, "fc8")
        logits = [t[i].fc8(xs[i]) for i in range(2)]
        return torch.cat([logits[0], self._to(logits[1], 0, "logits")], dim=1)

    @classmethod
    def from_grouped(cls, model: AlexNet, devices=("cpu", "cpu"),
                     lrn_scope: str = "tower") -> TwoTowerAlexNet:
        """The two towers of ``AlexNet(groups=2)``, its weights split between them."""
        if model.config["groups"] != 2 or model.config["dropout_placement"] != "paper":
            raise ValueError("from_grouped takes AlexNet(groups=2) with the paper's dropout "
                             f"placement, got {model.config}")
        net = cls(model.config["num_classes"], model.config["dropout"], devices, lrn_scope,
                  model.config["input_scale"])
        convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
        linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
        names = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")
        with torch.no_grad():
            net.normalize.load_state_dict(model.normalize.state_dict())
            for name, layer in zip(names, convs + linears, strict=True):
                # output units split in two: the first part is tower 0's
                sizes = [getattr(tower, name).out_features if name.startswith("fc")
                         else getattr(tower, name).out_channels for tower in net.towers]
                weights = layer.weight.split(sizes)
                biases = layer.bias.split(sizes)
                for tower, w, b in zip(net.towers, weights, biases, strict=True):
                    getattr(tower, name).weight.copy_(w)
                    getattr(tower, name).bias.copy_(b)
        return net
