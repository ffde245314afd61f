"""The statistics a run takes of its training images: one function for every source.

Per-channel mean and std (the model's ``Normalize`` layer holds them) and the RGB
covariance's eigenvalues and eigenvectors (the paper's PCA lighting, section 4.1), all
on the 0..1 scale, from running float64 sums (:func:`pixel_moments`), so no float copy
of a training set is ever held, and so the processes of a data-parallel run can each sum
their share and add the sums up before :func:`statistics_from_moments`.
"""

from __future__ import annotations

import torch

MOMENTS = 13  # count, the three channel sums, the nine products of two channels


def pixel_moments(images: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """float64 ``[count, sum r, sum g, sum b, the 9 sums r*r, r*g, ...]`` over the pixels
    of ``images`` (uint8 ``(N, 3, H, W)``, or a ``(3, pixels)`` uint8 table; floats are
    taken as already on the 0..1 scale), ``chunk`` images at a time."""
    moments = torch.zeros(MOMENTS, dtype=torch.float64)
    parts = [images] if images.dim() == 2 else images.split(chunk)
    for part in parts:
        p = part if part.dim() == 2 else part.transpose(0, 1).reshape(3, -1)
        p = p.to(torch.float64)
        if images.dtype == torch.uint8:
            p = p.div_(255)
        moments[0] += p.shape[1]
        moments[1:4] += p.sum(1)
        moments[4:] += (p @ p.T).flatten()
    return moments


def statistics_from_moments(moments: torch.Tensor) -> dict:
    """``{"mean", "std", "eigvals", "eigvecs"}`` (float32) from :func:`pixel_moments`:
    the unbiased variance and covariance (as ``torch.std`` and ``torch.cov``), the
    eigenvalues in descending order and the eigenvectors as columns."""
    count = moments[0]
    mean = moments[1:4] / count
    cov = (moments[4:].view(3, 3) / count - torch.outer(mean, mean)) * count / (count - 1)
    eigvals, eigvecs = torch.linalg.eigh(cov)
    order = eigvals.argsort(descending=True)
    return {"mean": mean.float(), "std": cov.diagonal().clamp_min(0).sqrt().float(),
            "eigvals": eigvals[order].float(), "eigvecs": eigvecs[:, order].float()}


def channel_stats(images: torch.Tensor, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of uint8 images ``(N, 3, H, W)`` on the 0..1 scale."""
    stats = statistics_from_moments(pixel_moments(images, chunk))
    return stats["mean"], stats["std"]


def rgb_pca(images: torch.Tensor, max_pixels: int = 2_000_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (descending) and eigenvectors (columns) of the RGB covariance of uint8
    images ``(N, 3, H, W)``, on the 0..1 scale, as common re-implementations
    (fb.resnet.torch) take it, which makes the paper's alpha (standard deviation 0.1) a
    shift of a few percent of the pixel range. Past ``max_pixels`` pixels, an even
    subsample: the covariance of three numbers converges fast."""
    x = images.transpose(0, 1).reshape(3, -1)  # a uint8 copy (150 MB at most): no floats yet
    if x.shape[1] > max_pixels:
        x = x[:, :: x.shape[1] // max_pixels + 1]
    stats = statistics_from_moments(pixel_moments(x))
    return stats["eigvals"], stats["eigvecs"]
