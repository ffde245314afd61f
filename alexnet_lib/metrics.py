"""Top-k accuracy, confusion matrix, per-class accuracy, and whole-split evaluation.

One evaluation serves every source and every process count: :func:`count_hits` runs a
model over batches of uint8 images (CIFAR-10 tensors, or the 256x256 squares of a
folder run), on the centre view or the paper's ten views, and returns counts, summed
over the processes of a data-parallel run. Accuracies are those counts divided in
float32, exactly what the mean of the hits gave before, so records stay comparable.
"""

from __future__ import annotations

import torch
from torch import nn

from .augment import ten_crop as ten_crop_views
from .distributed import all_reduce_sum
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


def _probabilities(model: nn.Module, x: torch.Tensor, size: int, ten_crop: bool,
                   device: torch.device, precision: Precision, layout) -> torch.Tensor:
    """Softmax of one batch (uint8 or 0..1 floats) on the centre ``size`` view, or averaged
    over the ten views. Views of the whole image (``size`` its side) are cut from it
    padded by 2: corners shifted by 2 pixels, the fraction of the paper's 224-of-256."""
    x = x.to(device)
    x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
    if ten_crop:
        views = ten_crop_views(x, size, padding=2 if size == x.shape[-1] else 0)
        with precision.autocast(device):
            logits = model(views.flatten(0, 1).contiguous(memory_format=layout)).float()
        return logits.softmax(1).view(10, len(x), -1).mean(0)
    if size != x.shape[-1]:  # the centre: the margin floored where it is odd
        top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
        x = x[..., top : top + size, left : left + size]
    with precision.autocast(device):
        return model(x.contiguous(memory_format=layout)).float().softmax(1)


def _setting(model, device, precision):
    device = torch.device(device) if device is not None else next(model.parameters()).device
    precision = precision or choose_precision(device)
    layout = (torch.channels_last if channels_last_helps(device, precision)
              else torch.contiguous_format)
    return device, precision, layout


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
    device, precision, layout = _setting(model, device, precision)
    was_training = model.training
    model.eval()
    step = max(1, batch_size // 10) if ten_crop else batch_size  # ten views per image
    out = [_probabilities(model, images[i : i + step], crop_size or images.shape[-1],
                          ten_crop, device, precision, layout).cpu()
           for i in range(0, len(images), step)]
    model.train(was_training)
    return torch.cat(out)


@torch.no_grad()
def count_hits(model: nn.Module, batches, *, crop_size: int | None = None,
               ten_crop: bool = False, device=None, precision: Precision | None = None,
               reduce: bool = True) -> torch.Tensor:
    """float64 ``[top-1 hits, top-5 hits, images]`` of ``model`` over ``batches`` of
    ``(images, labels)``; with ``reduce``, summed over the processes of a data-parallel
    run (each passes its own share). Top-5 counts the top ``min(5, classes)``."""
    device, precision, layout = _setting(model, device, precision)
    was_training = model.training
    model.eval()
    counts = torch.zeros(3, dtype=torch.float64)
    for x, y in batches:
        probs = _probabilities(model, x, crop_size or x.shape[-1], ten_crop, device,
                               precision, layout).cpu()
        top = probs.argsort(dim=1, descending=True, stable=True)[:, :5]
        hits = top == y.cpu().view(-1, 1)
        counts += torch.tensor([hits[:, :1].any(1).sum().item(), hits.any(1).sum().item(),
                                len(y)], dtype=torch.float64)
    model.train(was_training)
    return all_reduce_sum(counts) if reduce else counts


def rates(counts: torch.Tensor) -> dict:
    """``{"top1", "top5", "images"}`` from :func:`count_hits`' counts: each count over the
    images in float32, as the mean of the hits was (so old and new records agree)."""
    images = int(counts[2])
    top1, top5 = (torch.tensor(float(c), dtype=torch.float32) / max(images, 1)
                  for c in counts[:2])
    return {"top1": top1.item(), "top5": top5.item(), "images": images}


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
    """Top-1 and top-5 accuracy of ``model`` on a split held in memory:
    ``{"top1": .., "top5": .., "images": ..}`` (of this process's images alone)."""
    step = max(1, batch_size // 10) if ten_crop else batch_size  # ten views per image
    batches = zip(images.split(step), labels.split(step), strict=True)
    return rates(count_hits(model, batches, crop_size=crop_size, ten_crop=ten_crop,
                            device=device, precision=precision, reduce=False))
