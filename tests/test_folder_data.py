"""ImageNet-style folders: the paper's cuts, the statistics, and errors that name the file."""

from __future__ import annotations

import pytest
import torch
from folder_images import CLASSES, write_image_folder
from torch.utils.data import DataLoader

from alexnet_lib.augment import rgb_pca
from alexnet_lib.config import DataConfig, get_profile
from alexnet_lib.data import build_data
from alexnet_lib.data.folders import (
    CleanErrors,
    FolderDataError,
    image_statistics,
    load_folder_splits,
    load_image,
    paper_resize,
    parse_data_spec,
    split_folders,
    with_transform,
)
from alexnet_lib.data.stats import statistics_from_moments
from alexnet_lib.distributed import World


def small(root, source="imagefolder", **changes) -> DataConfig:
    """A folder run's data on small images, read in this process (no workers)."""
    return DataConfig(**{"source": source, "root": str(root), "image_size": 36,
                         "crop_size": 32, "workers": 0, "stats_images": 100,
                         "val_size": None, **changes})


@pytest.fixture
def folder(tmp_path):
    return write_image_folder(tmp_path / "photos")


@pytest.mark.parametrize(("text", "overrides"), [
    ("imagefolder:/x/y", {"data.source": "imagefolder", "data.root": "/x/y"}),
    ("imagenette:data/nette", {"data.source": "imagenette", "data.root": "data/nette"}),
    ("cifar10:elsewhere", {"data.source": "cifar10", "data.root": "elsewhere"}),
    ("cifar10", {"data.source": "cifar10"}),
    ("data", {"data.source": "cifar10", "data.root": "data"}),
    ("c:/data", {"data.source": "cifar10", "data.root": "c:/data"}),  # not a source name
])
def test_data_spec_is_config_overrides(text, overrides):
    assert parse_data_spec(text) == overrides
    base = get_profile("smoke" if overrides["data.source"] == "cifar10" else "paper")
    assert base.replace(**overrides).data.source == overrides["data.source"]


def test_data_spec_needs_a_folder_after_the_colon():
    with pytest.raises(FolderDataError, match="after the colon"):
        parse_data_spec("imagefolder:")


def test_paper_cuts_at_full_size(tmp_path):
    write_image_folder(tmp_path / "big", {"train": 1, "val": 1}, size=(300, 280))
    splits = load_folder_splits(DataConfig(source="imagefolder", root=str(tmp_path / "big"),
                                           workers=0))
    x, y = splits.train[0]
    assert x.shape == (3, 227, 227) and x.dtype == torch.uint8 and y == 0  # random crop
    v, _ = splits.val[0]
    assert v.shape == (3, 256, 256) and v.dtype == torch.uint8  # the 256 square
    assert splits.classes == list(CLASSES) and repr(splits).startswith("FolderSplits(train=3,")


def test_shorter_side_then_central_square():
    image = torch.zeros(3, 100, 200, dtype=torch.uint8)
    image[:, :, 50:150] = 255  # the central 100 columns are white
    out = paper_resize(64)(image)
    assert out.shape == (3, 64, 64)
    assert out.float().mean() > 250  # the central square is all that is left


def test_subsets_are_even_and_loaders_batch(folder):
    splits = load_folder_splits(small(folder, train_size=6, val_size=3))
    assert len(splits.train) == 6 and len(splits.val) == 3
    labels = [splits.train[i][1] for i in range(6)]
    assert sorted(set(labels)) == [0, 1, 2]  # every class keeps its share
    x, y = next(iter(DataLoader(splits.train, batch_size=4, num_workers=1)))
    assert x.shape == (4, 3, 32, 32) and y.shape == (4,)


def test_statistics_match_the_cifar_functions(folder):
    splits = load_folder_splits(small(folder))
    stats = image_statistics(splits.train, small(folder))
    square = with_transform(splits.train, paper_resize(36))
    images = torch.stack([square[i][0] for i in range(len(square))])
    pixels = images.double().div(255).transpose(0, 1).reshape(3, -1)
    assert torch.allclose(stats["mean"], pixels.mean(1).float(), atol=1e-5)
    assert torch.allclose(stats["std"], pixels.std(1).float(), atol=1e-5)
    eigvals, eigvecs = rgb_pca(images)
    assert torch.allclose(stats["eigvals"], eigvals, rtol=1e-3, atol=1e-6)
    # eigenvectors are defined up to sign
    assert torch.allclose((stats["eigvecs"] * eigvecs).sum(0).abs(), torch.ones(3), atol=1e-3)
    assert stats["images"] == 24


def test_statistics_add_up_over_the_processes(folder):
    """Each rank sums its share of the sample; the all-reduce adds the shares up."""
    splits = load_folder_splits(small(folder))
    data = small(folder, stats_images=10)
    whole = image_statistics(splits.train, data)
    shares = []

    def keep(moments):  # stands for all_reduce_sum: remember each rank's share
        shares.append(moments.clone())

    for rank in range(3):
        image_statistics(splits.train, data, rank, 3, reduce=keep)
    total = shares[0] + shares[1] + shares[2]
    assert total[0] == 10 * 36 * 36  # ten images of 36x36 pixels, each counted once
    summed = statistics_from_moments(total)
    assert torch.allclose(summed["mean"], whole["mean"], atol=1e-6)
    assert torch.allclose(summed["std"], whole["std"], atol=1e-6)


# --- errors that name the file ---------------------------------------------------------

def test_missing_folder(tmp_path):
    with pytest.raises(FolderDataError, match=f"{tmp_path / 'nothing'} does not exist"):
        load_folder_splits(small(tmp_path / "nothing"))


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "photos.tar").write_bytes(b"")
    with pytest.raises(FolderDataError, match="photos.tar is a file, not a folder"):
        split_folders(small(tmp_path / "photos.tar"))


def test_folder_without_train_split(tmp_path):
    (tmp_path / "photos" / "val").mkdir(parents=True)
    with pytest.raises(FolderDataError, match=r"photos/train does not exist.*DIR/train/<class>"):
        load_folder_splits(small(tmp_path / "photos"))


def test_images_without_class_folders(folder):
    train = folder / "train"
    for name in CLASSES:  # the images straight in train/, not in class folders
        for image in (train / name).iterdir():
            image.rename(train / image.name)
        (train / name).rmdir()
    with pytest.raises(FolderDataError, match="24 images directly, but no class folders"):
        load_folder_splits(small(folder))


def test_class_folder_without_images(folder):
    (folder / "train" / "emu").mkdir()
    (folder / "train" / "emu" / "notes.txt").write_text("no pictures here")
    with pytest.raises(FolderDataError, match=f"{folder / 'train' / 'emu'} holds no images"):
        load_folder_splits(small(folder))


def test_val_classes_must_match(folder):
    (folder / "val" / "dog").rename(folder / "val" / "wolf")
    with pytest.raises(FolderDataError, match=r"hold different classes.*'dog'.*'wolf'"):
        load_folder_splits(small(folder))


def test_unreadable_image_is_named(folder):
    bad = folder / "train" / "dog" / "dog_003.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    with pytest.raises(FolderDataError, match=f"{bad} cannot be read as an image"):
        load_image(bad)
    splits = load_folder_splits(small(folder))
    # through a DataLoader worker the message comes back as one sentence, no traceback:
    # the failed batch is loaded again in this process (no worker text is parsed)
    with pytest.raises(FolderDataError) as info:
        for _ in CleanErrors(DataLoader(splits.train, batch_size=24, num_workers=1)):
            pass
    message = str(info.value)
    assert message.startswith(f"{bad} cannot be read") and "Traceback" not in message


def test_imagenette_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(FolderDataError, match=r"imagenette2-320/train does not exist.*download"):
        load_folder_splits(small(tmp_path, "imagenette"), download=False)


def test_imagenette_layout_is_read_by_torchvision(tmp_path):
    # Imagenette's own layout (wnid class folders, .JPEG files), as its archive unpacks
    base = tmp_path / "imagenette2-320"
    write_image_folder(base, {"train": 2, "val": 1})
    for split in ("train", "val"):
        for name, wnid in zip(CLASSES, ("n01440764", "n02102040", "n02979186"), strict=True):
            (base / split / name).rename(base / split / wnid)
            for image in (base / split / wnid).iterdir():
                image.rename(image.with_suffix(".JPEG"))
    splits = load_folder_splits(small(tmp_path, "imagenette"), download=False)
    assert splits.classes == ["tench", "English springer", "cassette player"]
    assert len(splits.train) == 6 and splits.train[0][0].shape == (3, 32, 32)


def paper_on_small_images(folder, **changes):
    """The paper profile on the small test images, with AlexNetCIFAR's 32x32 input."""
    return get_profile("paper").replace(**{
        "data.root": str(folder), "data.image_size": 36, "data.crop_size": 32,
        "data.workers": 0, "data.stats_images": 12, "model.arch": "AlexNetCIFAR", **changes})


def test_build_data_makes_a_folder_runs_batches(folder):
    config = paper_on_small_images(folder, **{"recipe.batch_size": 5})
    data = build_data(config, download=False)
    assert data.config.model.num_classes == 3  # from the class folders, not the profile's 1000
    assert data.classes == list(CLASSES) and data.crop_size == 32
    assert data.sizes == {"train": 24, "val": 12, "test": 12, "stats_images": 12}
    assert data.test is data.val  # the paper reports its validation split
    assert len(data.train) == 5 and data.train.samples_per_epoch == 24  # 4 x 5 + 4
    data.train.set_epoch(0)
    x, y = next(iter(data.train))
    assert x.shape == (5, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (5,)
    v, _ = next(iter(data.val))
    assert v.shape == (5, 3, 36, 36) and v.dtype == torch.uint8  # cut on the device
    assert "imagefolder: 24 training and 12 validation images of 3 classes" in data.description
    # two ranks: each draws its half of every epoch, and half the validation images
    ranks = [build_data(config, World(rank=r, size=2), download=False) for r in range(2)]
    assert [r.train.samples_per_epoch for r in ranks] == [12, 12]
    for r in ranks:
        r.train.set_epoch(0)
    assert sorted(int(i) for r in ranks for i in r.train.sampler) == list(range(24))
    assert sum(len(y) for r in ranks for _, y in r.val) == 12


def test_a_training_epochs_batches_repeat_with_the_seed_and_epoch(folder):
    # crops and mirrors are drawn in a DataLoader worker, seeded from the run's data stream
    # (with no workers they would draw from the global generator, which fit seeds)
    config = paper_on_small_images(folder, **{"recipe.batch_size": 8, "data.workers": 1})

    def epoch(number):
        loader = build_data(config, download=False).train
        loader.set_epoch(number)
        return list(loader)

    a, again = epoch(1), epoch(1)
    assert all(torch.equal(x, x2) and torch.equal(y, y2)
               for (x, y), (x2, y2) in zip(a, again, strict=True))
    assert not all(torch.equal(y, y2) for (_, y), (_, y2) in zip(a, epoch(2), strict=True))
