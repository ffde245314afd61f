"""Is it worth pre-resizing photographs to 256 once, as the paper did, or decoding on a GPU?

    python benchmarks/jpeg_decode.py --out data/records/jpeg-decode-cpu.json

The paper "down-sampled the images to a fixed resolution of 256 x 256" once, before
training (section 2). Without that step every epoch decodes each full-size JPEG again and
shrinks it. This measures, per image, on one CPU thread (a DataLoader worker is one
process on one core), what ``data.folders``' training pipeline costs:

- ``full``: decode the full-size JPEG (Pillow), then the paper's 256 square and a random
  227 crop and mirror (``data.folders.train_transform``): every epoch without pre-resizing;
- ``draft``: the same, with libjpeg decoding straight to a power-of-two fraction of the
  size that is still at least 256 (``DataConfig.draft_decode``);
- ``pre-resized``: decode a copy whose shorter side was resized to 256 once, then the same
  transform: every epoch after pre-resizing;
- ``pre-resize once``: decode, resize and re-encode one image (JPEG quality 90): the
  one-time cost that pays for itself after ``once / (full - pre-resized)`` epochs.

Where CUDA is present it also times ``torchvision.io.decode_jpeg(..., device="cuda")`` on
batches of the same files, with the resize on the GPU (torchvision's image decoders are
deprecated from 0.29 in favour of TorchCodec; they still work). The photographs are
scikit-image's sample photographs (``skimage.data``: astronaut, coffee, chelsea, rocket;
300x451 to 512x512 and 427x640 pixels, the sizes of typical ILSVRC images), saved as JPEG
at quality 90: real photographs, not ImageNet itself.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import warnings
from pathlib import Path

import torch
from PIL import Image
from provenance import provenance, write_record

from alexnet_lib.config import DataConfig
from alexnet_lib.data.folders import load_image, train_transform

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def photographs(folder: Path, scale: float = 1.0) -> dict[str, dict[str, Path]]:
    """Each sample photograph as a full-size JPEG and a 256-short-side JPEG in ``folder``."""
    import skimage.data

    files = {}
    for name in PHOTOS:
        image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        if scale != 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)),
                                 Image.Resampling.BICUBIC)
        full = folder / f"{name}.jpg"
        image.save(full, quality=90)
        files[name] = {"full": full, "small": folder / f"{name}-256.jpg",
                       "size": image.size}
        pre_resize(full, files[name]["small"])
    return files


def pre_resize(source: Path, target: Path, size: int = 256) -> None:
    """The paper's one-time step: shorter side to ``size``, saved as JPEG quality 90."""
    with Image.open(source) as image:
        image = image.convert("RGB")
        scale = size / min(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.BILINEAR, reducing_gap=None)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
    target.write_bytes(buffer.getvalue())


def per_image_ms(work, paths, repeats: int) -> float:
    """Median over ``repeats`` rounds of the mean time per image of ``work(path)``."""
    rounds = []
    for _ in range(repeats):
        started = time.perf_counter()
        for path in paths:
            work(path)
        rounds.append((time.perf_counter() - started) / len(paths) * 1000)
    return statistics.median(rounds)


def cpu_rows(files, repeats: int) -> dict:
    transform = train_transform(DataConfig(source="imagefolder"))
    full = [f["full"] for f in files.values()] * 5
    small = [f["small"] for f in files.values()] * 5
    tmp = Path(full[0]).parent / "once.jpg"
    rows = {
        "full": per_image_ms(lambda p: transform(load_image(p)), full, repeats),
        "draft": per_image_ms(lambda p: transform(load_image(p, draft=256)), full, repeats),
        "pre-resized": per_image_ms(lambda p: transform(load_image(p)), small, repeats),
        "pre-resize once": per_image_ms(lambda p: pre_resize(p, tmp), full, repeats),
    }
    saved = rows["full"] - rows["pre-resized"]
    return {
        "ms_per_image": rows,
        "images_per_second_per_core": {k: 1000 / v for k, v in rows.items()
                                       if k != "pre-resize once"},
        "break_even_epochs": rows["pre-resize once"] / saved if saved > 0 else None,
        "full_over_pre_resized": rows["full"] / rows["pre-resized"],
    }


def gpu_rows(files, repeats: int, batch: int = 128) -> dict:
    from torchvision.io import decode_jpeg
    from torchvision.transforms import v2

    data = [f["full"].read_bytes() for f in files.values()]
    data = (data * (batch // len(data) + 1))[:batch]
    tensors = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in data]
    resize = v2.Compose([v2.Resize(256, antialias=True), v2.CenterCrop(256)])

    def run():
        images = decode_jpeg(tensors, device="cuda")
        out = torch.stack([resize(x) for x in images])
        torch.cuda.synchronize()
        return out

    run()  # warm-up: nvjpeg's first call sets itself up
    rounds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        rounds.append((time.perf_counter() - started) / batch * 1000)
    return {"device": torch.cuda.get_device_name(), "batch": batch,
            "ms_per_image": statistics.median(rounds),
            "images_per_second": 1000 / statistics.median(rounds)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="JSON record to write")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="resize the sample photographs by this factor first")
    args = parser.parse_args(argv)
    import tempfile

    torch.set_num_threads(1)  # a DataLoader worker: one process, one core
    warnings.filterwarnings("ignore", message=".*deprecated.*", category=DeprecationWarning)
    with tempfile.TemporaryDirectory() as tmp:
        files = photographs(Path(tmp), args.scale)
        record = {
            "benchmark": "jpeg_decode",
            "photographs": {name: list(f["size"]) for name, f in files.items()},
            "full_jpeg_kib": statistics.mean(f["full"].stat().st_size for f in files.values())
            / 1024,
            "pre_resized_jpeg_kib": statistics.mean(
                f["small"].stat().st_size for f in files.values()) / 1024,
            "threads": 1,
            "cpu": cpu_rows(files, args.repeats),
            "gpu": (gpu_rows(files, args.repeats) if torch.cuda.is_available()
                    else "not measured: no CUDA device on this machine"),
            "torch": torch.__version__,
            **provenance(__file__, argv),
        }
    rows = record["cpu"]["ms_per_image"]
    for name, ms in rows.items():
        print(f"{name:>16}: {ms:6.2f} ms per image")
    cpu = record["cpu"]
    if cpu["break_even_epochs"] is None:  # a busy machine or tiny photographs: no saving seen
        print(f"pre-resized decoding was not faster here ({cpu['full_over_pre_resized']:.2f}x); "
              "re-run on an idle machine with more --repeats")
    else:
        print(f"pre-resizing pays for itself after {cpu['break_even_epochs']:.2f} epochs; "
              f"then each epoch decodes {cpu['full_over_pre_resized']:.1f}x faster")
    if isinstance(record["gpu"], dict):
        print(f"GPU decode ({record['gpu']['device']}): {record['gpu']['ms_per_image']:.3f} ms "
              f"per image in batches of {record['gpu']['batch']}")
    write_record(args.out, record)
    return record


if __name__ == "__main__":
    main()
