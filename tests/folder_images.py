"""A tiny ImageNet-style folder of real JPEG files, written with PIL for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("cat", "dog", "fox")


def write_image_folder(root: Path, per_class: dict[str, int] | None = None,
                       size: tuple[int, int] = (48, 40), seed: int = 0) -> Path:
    """``root/train/<class>/*.jpg`` and ``root/val/<class>/*.jpg``: small noisy images whose
    mean colour depends on the class (so a network can learn them), width x height
    ``size``, not square (the shorter side is what gets resized)."""
    per_class = per_class or {"train": 8, "val": 4}
    rng = np.random.default_rng(seed)
    for split, n in per_class.items():
        for c, name in enumerate(CLASSES):
            folder = Path(root) / split / name
            folder.mkdir(parents=True, exist_ok=True)
            base = np.zeros(3)
            base[c % 3] = 160
            for i in range(n):
                pixels = base + rng.normal(48, 40, size=(size[1], size[0], 3))
                image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
                image.save(folder / f"{name}_{i:03d}.jpg", quality=90)
    return Path(root)
