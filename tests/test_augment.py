import pytest
import torch
import torch.nn.functional as F

from alexnet_lib.augment import (
    TrainAugment,
    pca_lighting,
    random_crop,
    random_flip,
    rgb_pca,
    ten_crop,
)


def numbered(n=6, c=3, h=8, w=8):
    """Images whose every pixel value is unique, so a crop can be located."""
    return torch.arange(n * c * h * w, dtype=torch.float32).view(n, c, h, w) + 1


def test_crop_without_padding_of_full_size_is_identity():
    x = numbered()
    assert torch.equal(random_crop(x, 8), x)


def test_padded_crops_are_windows_of_the_padded_image():
    x = numbered()
    g = torch.Generator().manual_seed(0)
    out = random_crop(x, 8, padding=2, generator=g)
    padded = F.pad(x, (2, 2, 2, 2))
    offsets = set()
    for i in range(len(x)):
        matches = [(dy, dx) for dy in range(5) for dx in range(5)
                   if torch.equal(padded[i, :, dy : dy + 8, dx : dx + 8], out[i])]
        assert len(matches) == 1
        offsets.add(matches[0])
    assert len(offsets) > 1  # different images got different crops


def test_crop_is_repeatable_with_a_seed_and_checks_size():
    x = numbered()
    a = random_crop(x, 5, generator=torch.Generator().manual_seed(7))
    b = random_crop(x, 5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and a.shape == (6, 3, 5, 5)
    with pytest.raises(ValueError):
        random_crop(x, 9)


def test_flip_mirrors_about_half():
    x = numbered(n=400, c=1, h=2, w=3)
    out = random_flip(x, generator=torch.Generator().manual_seed(0))
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(3)).flatten(1).all(1)
    assert torch.all(same ^ mirrored)
    assert 150 < mirrored.sum() < 250
    assert torch.equal(random_flip(x, p=0.0), x) and torch.equal(random_flip(x, p=1.0), x.flip(3))


def test_rgb_pca_recovers_a_known_covariance():
    g = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(3, 3, generator=g)).Q
    scales = torch.tensor([0.3, 0.1, 0.02])
    pixels = (torch.randn(200_000, 3, generator=g) * scales) @ basis.T + 0.5
    images = pixels.T.reshape(3, -1, 1, 1).transpose(0, 1)  # (N, 3, 1, 1)
    eigvals, eigvecs = rgb_pca(images)
    assert torch.allclose(eigvals, scales**2, rtol=0.03)
    assert torch.allclose((eigvecs.T @ basis).abs(), torch.eye(3), atol=0.02)


def test_rgb_pca_of_uint8_is_on_the_unit_scale():
    images = torch.randint(0, 256, (50, 3, 4, 4), dtype=torch.uint8)
    eigvals, _ = rgb_pca(images)
    pixels = images.transpose(0, 1).reshape(3, -1).double() / 255
    assert torch.allclose(eigvals.sum(), torch.cov(pixels).trace().float(), rtol=1e-4)


def test_pca_lighting_adds_one_shift_per_image_along_the_formula():
    x = torch.rand(5, 3, 4, 4)
    eigvals = torch.tensor([0.2, 0.02, 0.005])
    eigvecs = torch.linalg.qr(torch.randn(3, 3)).Q
    out = pca_lighting(x, eigvals, eigvecs, std=0.1, generator=torch.Generator().manual_seed(1))
    shift = out - x
    assert torch.allclose(shift, shift[:, :, :1, :1].expand_as(shift), atol=1e-6)
    alpha = torch.randn(5, 3, generator=torch.Generator().manual_seed(1)) * 0.1
    expected = torch.stack([eigvecs @ (alpha[i] * eigvals) for i in range(5)])
    assert torch.allclose(shift[:, :, 0, 0], expected, atol=1e-6)


def ten_crop_by_hand(x, size):
    """The paper's views, written out: corners and centre, then each one mirrored."""
    h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    corners = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size), (top, left)]
    views = [x[..., i : i + size, j : j + size] for i, j in corners]
    return torch.stack(views + [v.flip(-1) for v in views])


def test_ten_crop_is_the_paper_views_in_order():
    """torchvision's ten_crop, reordered, equals the hand-written views (even margins: all
    the library uses, 28 of 32 and 32 of 32 padded by 2)."""
    x = numbered(n=3, h=32, w=32)
    assert torch.equal(ten_crop(x, 28), ten_crop_by_hand(x, 28))
    assert torch.equal(ten_crop(x, 32, padding=2), ten_crop_by_hand(F.pad(x, (2,) * 4), 32))
    rect = numbered(n=1, h=10, w=12)
    assert torch.equal(ten_crop(rect, 6), ten_crop_by_hand(rect, 6))


def test_ten_crop_views():
    x = numbered(n=2, h=10, w=10)
    views = ten_crop(x, 6)
    assert views.shape == (10, 2, 3, 6, 6)
    assert torch.equal(views[0], x[..., :6, :6]) and torch.equal(views[3], x[..., 4:, 4:])
    assert torch.equal(views[4], x[..., 2:8, 2:8])  # centre
    assert torch.equal(views[5:], views[:5].flip(-1))
    padded = ten_crop(x, 10, padding=2)
    assert padded.shape == (10, 2, 3, 10, 10) and torch.equal(padded[4], x)


def test_train_augment_composes_and_needs_pca_for_lighting():
    x = torch.rand(4, 3, 32, 32)
    aug = TrainAugment(size=32, padding=4, flip=True, lighting=0.0)
    assert aug(x, torch.Generator().manual_seed(0)).shape == x.shape
    with pytest.raises(ValueError, match="rgb_pca"):
        TrainAugment(lighting=0.1)


def test_no_lighting_draws_the_same_crops_and_flips_as_lighting():
    """The no_lighting row pairs with the baseline image by image: without lighting the
    lighting numbers are still drawn (scaled by 0), so every later crop and flip is the
    baseline's and the two batches differ by one colour shift per image alone."""
    from alexnet_lib.augment import TrainAugment
    from alexnet_lib.data.stats import rgb_pca

    images = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    eigvals, eigvecs = rgb_pca(images)
    x = images.float() / 255
    with_light = TrainAugment(lighting=0.1, eigvals=eigvals, eigvecs=eigvecs)
    without = TrainAugment(lighting=0.0, eigvals=eigvals, eigvecs=eigvecs)
    for _ in range(3):  # later batches too: the stream stays in step
        g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        a, b = with_light(x, g1), without(x, g2)
        shift = (a - b).flatten(2)
        assert torch.allclose(shift, shift[:, :, :1].expand_as(shift), atol=1e-6)
        assert not torch.equal(a, b)
        assert torch.equal(g1.get_state(), g2.get_state())
        x = b
