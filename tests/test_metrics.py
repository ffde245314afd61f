import pytest
import torch
from torch import nn

from alexnet_lib.metrics import (
    accuracy,
    confusion_matrix,
    count_hits,
    evaluate,
    per_class_accuracy,
    predict,
    rates,
)


def test_topk_accuracy_by_hand():
    logits = torch.tensor([
        [0.9, 0.05, 0.03, 0.01, 0.005, 0.005],  # label 0: top-1 hit
        [0.1, 0.5, 0.2, 0.1, 0.06, 0.04],       # label 2: second -> top-5 only
        [0.3, 0.25, 0.2, 0.1, 0.1, 0.05],       # label 5: last -> miss
        [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],         # label 3: hit
    ])
    labels = torch.tensor([0, 2, 5, 3])
    assert accuracy(logits, labels, topk=(1, 5)) == (0.5, 0.75)
    assert accuracy(logits, labels, topk=1) == 0.5
    assert accuracy(logits, labels, topk=(6,)) == (1.0,)


def test_confusion_matrix_and_per_class():
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    preds = torch.tensor([0, 1, 1, 1, 0, 2])
    cm = confusion_matrix(preds, labels, num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert per_class_accuracy(cm).tolist() == pytest.approx([0.5, 2 / 3, 1.0])


class MeanColour(nn.Module):
    """Predicts class 0 for dark images and 1 for bright ones; ignores position."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        m = x.mean((1, 2, 3)) - 0.5
        return torch.stack([-m, m], 1) * self.scale


def test_evaluate_single_and_ten_crop():
    dark, bright = torch.full((5, 3, 32, 32), 40), torch.full((5, 3, 32, 32), 220)
    images = torch.cat([dark, bright]).to(torch.uint8)
    labels = torch.tensor([0] * 5 + [1] * 5)
    assert evaluate(MeanColour(), images, labels) == {"top1": 1.0, "top5": 1.0, "images": 10}
    flipped = labels.flip(0)
    assert evaluate(MeanColour(), images, flipped, ten_crop=True)["top1"] == 0.0
    probs = predict(MeanColour(), images, ten_crop=True, batch_size=3)
    assert probs.shape == (10, 2) and torch.allclose(probs.sum(1), torch.ones(10))


def test_predict_restores_training_mode_and_centre_crops():
    model = MeanColour().train()
    images = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    images[:, :, 2:30, 2:30] = 255  # bright centre, dark border
    probs = predict(model, images, crop_size=28)
    assert model.training and torch.all(probs[:, 1] > 0.99)


def test_top1_breaks_ties_as_argmax_does():
    # bf16 logits tie now and then; accuracy and argmax-based confusion must agree
    # (topk, used before, picked the later of two tied classes in about half of these rows)
    logits = torch.randn(1000, 10, generator=torch.Generator().manual_seed(0))
    logits[:, 3] = logits.max(1).values  # class 3 ties with the top class of every row
    assert accuracy(logits, logits.argmax(1), 1) == 1.0


class Fixed(nn.Module):
    """Scores each image's classes by its top-left pixel: the image decides the ranking."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, 0, 0, :6] * 255  # six classes: the first six pixels of the first row


def scored(rows):
    """uint8 images (3, 4, 8) whose first row holds the class scores ``rows``."""
    images = torch.zeros(len(rows), 3, 4, 8, dtype=torch.uint8)
    images[:, 0, 0, :6] = torch.tensor(rows, dtype=torch.uint8)
    return images


def test_count_hits_counts_top1_top5_and_images_over_batches():
    images = scored([[9, 1, 1, 1, 1, 1],   # label 0: top-1
                     [1, 9, 8, 1, 1, 1],   # label 2: second: top-5 only
                     [9, 8, 7, 6, 5, 1],   # label 5: last of six: a miss
                     [1, 1, 1, 9, 1, 1]])  # label 3: top-1
    labels = torch.tensor([0, 2, 5, 3])
    batches = [(images[:3], labels[:3]), (images[3:], labels[3:])]
    counts = count_hits(Fixed(), batches, device="cpu")
    assert counts.dtype == torch.float64 and counts.tolist() == [2.0, 3.0, 4.0]
    assert rates(counts) == {"top1": 0.5, "top5": 0.75, "images": 4}
    # one process is the whole world: reducing changes nothing
    assert torch.equal(count_hits(Fixed(), batches, device="cpu", reduce=False), counts)


def test_rates_divide_in_float32_as_the_mean_of_the_hits_did():
    counts = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    hits = torch.tensor([1.0, 0.0, 0.0])  # what the mean of per-image hits gave before
    assert rates(counts)["top1"] == hits.mean().item() != 1 / 3
    assert rates(torch.zeros(3, dtype=torch.float64)) == {"top1": 0.0, "top5": 0.0,
                                                           "images": 0}


def test_count_hits_of_the_centre_view_of_larger_images():
    # a folder run's batches are 256 squares cut to the model's crop on the device
    model = MeanColour()
    images = torch.zeros(4, 3, 36, 36, dtype=torch.uint8)
    images[:, :, 2:34, 2:34] = 255  # bright centre 32x32, dark border
    labels = torch.ones(4, dtype=torch.long)
    assert count_hits(model, [(images, labels)], crop_size=32).tolist() == [4.0, 4.0, 4.0]
    assert count_hits(model, [(images, labels)]).tolist()[0] == 4.0  # the whole: still bright
    ten = count_hits(model, [(images, labels)], crop_size=32, ten_crop=True)
    assert ten.tolist()[2] == 4.0  # ten views, still one image each
