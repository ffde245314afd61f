"""Top-k accuracy, confusion matrix, per-class accuracy, and whole-split evaluation."""

from __future__ import annotations

import torch
from torch import nn

from .augment import ten_crop as ten_crop_views
from .precision import Precision, channels_last_helps, choose_precision


def accuracy(logits: torch.Tensor, labels: torch.Tensor, topk=(1, 5)):
    """Fraction of rows whose label is among the ``k`` highest scores, for each ``k``.

    ``topk`` a tuple gives a tuple of floats; a single int gives one float.
    Top-5 error, the ILSVRC measure, is ``1 - accuracy(logits, labels, 5)``.
    """
    ks = (topk,) if isinstance(topk, int) else tuple(topk)
    maxk = min(max(ks), logits.shape[1])
    # a stable sort breaks ties by class index, as argmax does, so top-1 here agrees with
    # logits.argmax(1) even where (in bf16) two classes score exactly the same
    top = logits.argsort(dim=1, descending=True, stable=True)[:, :maxk]
    hits = top == labels.view(-1, 1)
    results = tuple(hits[:, : min(k, maxk)].any(1).float().mean().item() for k in ks)
    return results[0] if isinstance(topk, int) else results


def confusion_matrix(predictions: torch.Tensor, labels: torch.Tensor, num_classes: int = 10):
    """``cm[true, predicted]`` counts, int64 ``(num_classes, num_classes)``."""
    index = labels.long() * num_classes + predictions.long()
    return torch.bincount(index.cpu(), minlength=num_classes**2).view(num_classes, num_classes)


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """Recall of each class: the diagonal over the row sums (NaN for an absent class)."""
    cm = cm.double()
    return cm.diag() / cm.sum(1)


@torch.no_grad()
def predict(
    model: nn.Module,
    images: torch.Tensor,
    ten_crop: bool = False,
    batch_size: int = 500,
    device: str | torch.device | None = None,
    crop_size: int | None = None,
    precision: Precision | None = None,
) -> torch.Tensor:
    """Softmax probabilities ``(N, classes)`` on the CPU for uint8 (or 0..1 float) images.

    ``ten_crop`` averages the softmax over the paper's ten views (section 4.1). For full
    32x32 training (``crop_size`` None) the views are 32x32 crops of the image padded by 2;
    for models trained on smaller crops, single view is the centre crop of that size.
    ``precision`` (default: what the device does fast, as in training) sets the autocast.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    precision = precision or choose_precision(device)
    layout = (torch.channels_last if channels_last_helps(device, precision)
              else torch.contiguous_format)
    step = max(1, batch_size // 10) if ten_crop else batch_size  # ten views per image
    for start in range(0, len(images), step):
        x = images[start : start + step].to(device)
        x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
        size = crop_size or x.shape[-1]
        if ten_crop:
            views = ten_crop_views(x, size, padding=2 if size == x.shape[-1] else 0)
            with precision.autocast(device):
                logits = model(views.flatten(0, 1).contiguous(memory_format=layout)).float()
            probs = logits.softmax(1).view(10, len(x), -1).mean(0)
        else:
            if size != x.shape[-1]:
                top = (x.shape[-1] - size) // 2
                x = x[..., top : top + size, top : top + size]
            with precision.autocast(device):
                probs = model(x.contiguous(memory_format=layout)).float().softmax(1)
        out.append(probs.cpu())
    model.train(was_training)
    return torch.cat(out)


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    ten_crop: bool = False,
    batch_size: int = 500,
    device=None,
    crop_size: int | None = None,
    precision: Precision | None = None,
) -> dict:
    """Top-1 and top-5 accuracy of ``model`` on a split: ``{"top1": .., "top5": ..}``."""
    probs = predict(model, images, ten_crop, batch_size, device, crop_size, precision)
    top1, top5 = accuracy(probs, labels.cpu(), topk=(1, 5))
    return {"top1": top1, "top5": top5}

