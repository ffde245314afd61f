"""ImageNet-style folders: the paper's cuts, the statistics, and errors that name the file."""

from __future__ import annotations

import pytest
import torch
from folder_images import CLASSES, write_image_folder
from torch.utils.data import DataLoader

from alexnet_lib.augment import rgb_pca
from alexnet_lib.folder_data import (
    FolderData,
    FolderDataError,
    image_statistics,
    load_folder_splits,
    load_image,
    paper_resize,
    parse_data_spec,
    with_transform,
)

SMALL = FolderData(image_size=36, crop_size=32, workers=0, stats_images=100)


@pytest.fixture
def folder(tmp_path):
    return write_image_folder(tmp_path / "photos")


def test_data_spec():
    assert parse_data_spec("imagefolder:/x/y")[0] == "imagefolder"
    assert str(parse_data_spec("imagenette:data/nette")[1]) == "data/nette"
    assert parse_data_spec("data") is None and parse_data_spec("c:/data") is None
    with pytest.raises(FolderDataError, match="after the colon"):
        parse_data_spec("imagefolder:")


def test_paper_cuts_at_full_size(tmp_path):
    write_image_folder(tmp_path / "big", {"train": 1, "val": 1}, size=(300, 280))
    splits = load_folder_splits("imagefolder", tmp_path / "big", FolderData(workers=0))
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
    splits = load_folder_splits("imagefolder", folder,
                                FolderData(image_size=36, crop_size=32, workers=0,
                                           train_size=6, val_size=3))
    assert len(splits.train) == 6 and len(splits.val) == 3
    labels = [splits.train[i][1] for i in range(6)]
    assert sorted(set(labels)) == [0, 1, 2]  # every class keeps its share
    x, y = next(iter(DataLoader(splits.train, batch_size=4, num_workers=1)))
    assert x.shape == (4, 3, 32, 32) and y.shape == (4,)


def test_statistics_match_the_cifar_functions(folder):
    splits = load_folder_splits("imagefolder", folder, SMALL)
    stats = image_statistics(splits.train, SMALL)
    square = with_transform(splits.train, paper_resize(36))
    images = torch.stack([square[i][0] for i in range(len(square))])
    pixels = images.double().div(255).transpose(0, 1).reshape(3, -1)
    assert torch.allclose(stats["mean"], pixels.mean(1).float(), atol=1e-5)
    assert torch.allclose(stats["std"], pixels.std(1).float(), atol=1e-5)
    eigvals, eigvecs = rgb_pca(images)
    assert torch.allclose(stats["eigvals"], eigvals, rtol=1e-3, atol=1e-6)
    # eigenvectors are defined up to sign
    assert torch.allclose((stats["eigvecs"] * eigvecs).sum(0).abs(), torch.ones(3), atol=1e-3)


# --- errors that name the file ---------------------------------------------------------

def test_missing_folder(tmp_path):
    with pytest.raises(FolderDataError, match=f"{tmp_path / 'nothing'} does not exist"):
        load_folder_splits("imagefolder", tmp_path / "nothing", SMALL)


def test_folder_without_train_split(tmp_path):
    (tmp_path / "photos" / "val").mkdir(parents=True)
    with pytest.raises(FolderDataError, match=r"photos/train does not exist.*DIR/train/<class>"):
        load_folder_splits("imagefolder", tmp_path / "photos", SMALL)


def test_images_without_class_folders(folder):
    train = folder / "train"
    for name in CLASSES:  # the images straight in train/, not in class folders
        for image in (train / name).iterdir():
            image.rename(train / image.name)
        (train / name).rmdir()
    with pytest.raises(FolderDataError, match="24 images directly, but no class folders"):
        load_folder_splits("imagefolder", folder, SMALL)


def test_class_folder_without_images(folder):
    (folder / "train" / "emu").mkdir()
    (folder / "train" / "emu" / "notes.txt").write_text("no pictures here")
    with pytest.raises(FolderDataError, match=f"{folder / 'train' / 'emu'} holds no images"):
        load_folder_splits("imagefolder", folder, SMALL)


def test_val_classes_must_match(folder):
    (folder / "val" / "dog").rename(folder / "val" / "wolf")
    with pytest.raises(FolderDataError, match=r"hold different classes.*'dog'.*'wolf'"):
        load_folder_splits("imagefolder", folder, SMALL)


def test_unreadable_image_is_named(folder):
    bad = folder / "train" / "dog" / "dog_003.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    with pytest.raises(FolderDataError, match=f"{bad} cannot be read as an image"):
        load_image(bad)
    splits = load_folder_splits("imagefolder", folder, SMALL)
    # through a DataLoader worker the message comes back as one sentence, no traceback
    with pytest.raises(FolderDataError) as info:
        for _ in DataLoader(splits.train, batch_size=24, num_workers=1):
            pass
    message = str(info.value)
    assert message.startswith(f"{bad} cannot be read") and "Traceback" not in message


def test_imagenette_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(FolderDataError, match=r"imagenette2-320/train does not exist.*download"):
        load_folder_splits("imagenette", tmp_path, SMALL, download=False)


def test_imagenette_layout_is_read_by_torchvision(tmp_path):
    # Imagenette's own layout (wnid class folders, .JPEG files), as its archive unpacks
    base = tmp_path / "imagenette2-320"
    write_image_folder(base, {"train": 2, "val": 1})
    for split in ("train", "val"):
        for name, wnid in zip(CLASSES, ("n01440764", "n02102040", "n02979186"), strict=True):
            (base / split / name).rename(base / split / wnid)
            for image in (base / split / wnid).iterdir():
                image.rename(image.with_suffix(".JPEG"))
    splits = load_folder_splits("imagenette", tmp_path, SMALL, download=False)
    assert splits.classes == ["tench", "English springer", "cassette player"]
    assert len(splits.train) == 6 and splits.train[0][0].shape == (3, 32, 32)
