"""Image helpers the figures and widgets share: tensor to array, enlarging, tiling, PNG
bytes in and out. No figures (``viz``) and no widgets (``widgets``) here."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid


def to_hwc(image: torch.Tensor) -> np.ndarray:
    """A ``(3, H, W)`` uint8 or 0..1 float image as an ``(H, W, 3)`` float array in 0..1."""
    x = image.detach().cpu()
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    return x.clamp(0, 1).permute(1, 2, 0).numpy()


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """A ``(3, H, W)`` uint8 or 0..1 float image as an ``(H, W, 3)`` uint8 array."""
    return (to_hwc(image) * 255).round().astype(np.uint8)


def enlarge(image: torch.Tensor, scale: int = 4) -> torch.Tensor:
    """Every pixel of ``(..., H, W)`` images repeated into a ``scale x scale`` square
    (nearest neighbour): small CIFAR-10 images and feature maps stay sharp on screen."""
    return image.repeat_interleave(scale, -2).repeat_interleave(scale, -1)


def tile_images(images: torch.Tensor, ncols: int = 8, gap: int = 2,
                fill: float = 1.0) -> torch.Tensor:
    """Same-sized images ``(N, C, H, W)`` tiled in rows of ``ncols``: ``(C, rows, cols)``.

    ``torchvision.utils.make_grid`` with its outer border cut off: ``gap`` pixels of
    ``fill`` (white for 0..1 floats; pass 255 for uint8) only between the tiles and in
    the empty places of the last row. The library's one tiling: the feature-map, filter
    and augmentation pictures are all drawn with it.
    """
    if images.dim() != 4:
        raise ValueError(f"expected (N, C, H, W) images, got shape {tuple(images.shape)}")
    if len(images) == 1:
        return images[0].clone()  # make_grid returns a single image without padding
    grid = make_grid(images, nrow=min(ncols, len(images)), padding=gap, pad_value=fill)
    if images.shape[1] == 1:
        grid = grid[:1]  # make_grid turns one channel into three copies
    return grid[:, gap : grid.shape[1] - gap, gap : grid.shape[2] - gap]


def png_bytes(image) -> bytes:
    """PNG bytes of an ``(H, W, 3)`` uint8 array, a ``(3, H, W)`` image tensor or a figure.

    A matplotlib figure is saved at its own dpi and then closed, so a loop that renders
    many figures does not keep them all open.
    """
    buffer = io.BytesIO()
    if hasattr(image, "savefig"):
        import matplotlib.pyplot as plt

        image.savefig(buffer, format="png")
        plt.close(image)
        return buffer.getvalue()
    if isinstance(image, torch.Tensor):
        image = to_uint8(image)
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="png")
    return buffer.getvalue()


def image_from_bytes(data: bytes, size: int = 32) -> torch.Tensor:
    """Decode an uploaded file into a ``(3, size, size)`` uint8 image tensor.

    The largest centred square is cut out and resized with PIL (Lanczos), as CIFAR-10's
    own images are small centred photographs. Raises ``ValueError`` with a short
    message, not a PIL traceback, when the bytes are not an image PIL can read.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            picture = opened.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise ValueError(f"not an image that PIL can read (PNG, JPEG, GIF, BMP, ...): "
                         f"{type(err).__name__}") from None
    w, h = picture.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    picture = picture.crop((left, top, left + side, top + side))
    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.array(picture)).permute(2, 0, 1).contiguous()
