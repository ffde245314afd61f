"""Batched data augmentation on the training device (paper section 4.1).

Every function takes a whole batch ``(N, C, H, W)`` of float images in 0..1 and an
optional ``torch.Generator`` on the same device, so a seeded run repeats exactly and no
per-image Python runs in the training loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop(
    x: torch.Tensor, size: int, padding: int = 0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A random ``size`` x ``size`` crop of each image, after zero ``padding`` on all sides.

    ``padding=4, size=32`` is the usual CIFAR-10 translation; ``padding=0, size=28`` is the
    paper's way (random 224 crops of 256 images), scaled to 32x32 images.
    """
    if padding:
        x = F.pad(x, (padding,) * 4)
    n, _, h, w = x.shape
    if size > h or size > w:
        raise ValueError(f"crop size {size} is larger than the (padded) image {h}x{w}")
    dy = torch.randint(0, h - size + 1, (n,), generator=generator, device=x.device)
    dx = torch.randint(0, w - size + 1, (n,), generator=generator, device=x.device)
    steps = torch.arange(size, device=x.device)
    rows = (dy[:, None] + steps)[:, None, :, None]  # (n, 1, size, 1)
    cols = (dx[:, None] + steps)[:, None, None, :]  # (n, 1, 1, size)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return x[batch, chans, rows, cols]


def random_flip(
    x: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``."""
    flip = torch.rand(x.shape[0], generator=generator, device=x.device) < p
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def rgb_pca(images: torch.Tensor, max_pixels: int = 2_000_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (descending) and eigenvectors (columns) of the RGB covariance.

    ``images`` are uint8 or 0..1 floats ``(N, 3, H, W)``; the covariance is taken on the
    0..1 scale, as common re-implementations (fb.resnet.torch) do, which makes the paper's
    alpha ~ N(0, 0.1²) (standard deviation 0.1) a shift of a few percent of the pixel range.
    """
    x = images.transpose(0, 1).reshape(3, -1)  # a uint8 copy (150 MB at most): no floats yet
    if x.shape[1] > max_pixels:  # an even subsample: the covariance of 3 numbers converges fast
        x = x[:, :: x.shape[1] // max_pixels + 1]
    x = x.to(torch.float64)  # of the subsample only: 48 MB at 2 million pixels
    if images.dtype == torch.uint8:
        x = x / 255
    eigvals, eigvecs = torch.linalg.eigh(torch.cov(x))
    order = eigvals.argsort(descending=True)
    return eigvals[order].float(), eigvecs[:, order].float()


def pca_lighting(
    x: torch.Tensor,
    eigvals: torch.Tensor,
    eigvecs: torch.Tensor,
    std: float = 0.1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The paper's "fancy PCA": add ``eigvecs @ (alpha * eigvals)`` to every pixel.

    One ``alpha ~ N(0, std)`` triple per image, shared by all its pixels (section 4.1).
    """
    alpha = torch.randn(x.shape[0], 3, generator=generator, device=x.device) * std
    shift = (alpha * eigvals.to(x.device)) @ eigvecs.to(x.device).T  # (N, 3)
    return x + shift[:, :, None, None].to(x.dtype)


def ten_crop(x: torch.Tensor, size: int, padding: int = 0) -> torch.Tensor:
    """The paper's ten test views: four corners and the centre, and their mirrors.

    Returns ``(10, N, C, size, size)``: top-left, top-right, bottom-left, bottom-right,
    centre, then view ``i + 5`` is view ``i`` mirrored left-right. Average the model's
    softmax over the first axis. For a model trained on full 32x32 images,
    ``padding=2, size=32`` gives corner views shifted by 2 pixels, the same fraction of
    the image as the paper's 224-of-256 corners.

    torchvision's ``ten_crop`` cuts the same ten views; its last five are the five crops
    of the mirrored image, so the mirrors of the left and right corners trade places:
    reordered here so each mirror sits five after its view. (Its centre rounds an odd
    margin where ``(h - size) // 2`` would floor it.)
    """
    from torchvision.transforms.v2.functional import ten_crop as tv_ten_crop

    if padding:
        x = F.pad(x, (padding,) * 4)
    h, w = x.shape[-2:]
    if size > h or size > w:
        raise ValueError(f"crop size {size} is larger than the (padded) image {h}x{w}")
    views = tv_ten_crop(x, [size, size])
    return torch.stack(views[:5] + (views[6], views[5], views[8], views[7], views[9]))


class TrainAugment:
    """The training-time pipeline of a profile: crop, flip, PCA lighting, in that order.

    Given the eigenvalues and eigenvectors, the lighting numbers are drawn even when
    ``lighting`` is 0 (and scaled by it): a run without lighting then draws every crop and
    flip that the run with lighting draws, so the two differ in the lighting alone and
    can be paired image by image (the scorecard's ``no_lighting`` row).
    """

    def __init__(self, size: int = 32, padding: int = 4, flip: bool = True,
                 lighting: float = 0.1, eigvals=None, eigvecs=None):
        if lighting and (eigvals is None or eigvecs is None):
            raise ValueError("PCA lighting needs the eigenvalues and eigenvectors (rgb_pca)")
        self.size, self.padding, self.flip, self.lighting = size, padding, flip, lighting
        self.eigvals, self.eigvecs = eigvals, eigvecs

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.padding or self.size != x.shape[-1]:
            x = random_crop(x, self.size, self.padding, generator)
        if self.flip:
            x = random_flip(x, generator=generator)
        if self.lighting:
            x = pca_lighting(x, self.eigvals, self.eigvecs, self.lighting, generator)
        elif self.eigvals is not None:  # the same draws as with lighting, scaled by 0
            torch.randn(x.shape[0], 3, generator=generator, device=x.device)
        return x
