"""The book's figures and pictures (alexnet_lib.book.viz) and the architecture diagram
(alexnet_lib.book.architecture_plot)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib.augment import TrainAugment  # noqa: E402
from alexnet_lib.book import architecture_plot, viz  # noqa: E402


def teardown_function():
    plt.close("all")


def test_show_images_colours_right_and_wrong():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    fig = viz.show_images(images, labels=[0, 1, 2, 3], predictions=[0, 1, 5, 3],
                          confidences=[0.9, 0.8, 0.7, 0.6], ncols=2)
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    expected = ["airplane 90%", "automobile 80%", "dog 70%", "cat 60%"]
    assert [t.get_text() for t in titles] == expected
    assert titles[2].get_color() == "tab:red" and titles[0].get_color() == "tab:green"


def test_plot_history_draws_both_panels():
    history = {"epoch": [1, 2], "train_loss": [2.0, 1.5], "train_acc": [0.2, 0.4],
               "val_acc": [0.25, 0.35]}
    fig = viz.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert list(loss_ax.lines[0].get_ydata()) == [2.0, 1.5]
    assert list(acc_ax.lines[1].get_ydata()) == [0.25, 0.35]


def test_live_plot_outside_a_notebook_keeps_its_figure():
    plot = viz.LivePlot("t")
    plot({"epoch": [1], "train_loss": [2.0], "train_acc": [0.2], "val_acc": [0.25]})
    assert len(plot.fig.axes) == 2 and plot.handle is None
    plot.close()


def test_plot_filters_tiles_each_filter_scaled_to_its_range():
    weight = torch.randn(20, 3, 5, 5)
    fig = viz.plot_filters(weight, ncols=8)
    assert len(fig.axes) == 1 and len(fig.axes[0].images) == 1
    drawn = np.asarray(fig.axes[0].images[0].get_array())
    # 3 rows of 8 filters of 5x5, 1-pixel white gaps; filter i at (i // 8, i % 8)
    assert drawn.shape == (3 * 5 + 2, 8 * 5 + 7, 3)
    low = weight.amin(dim=(1, 2, 3), keepdim=True)
    high = weight.amax(dim=(1, 2, 3), keepdim=True)
    scaled = ((weight - low) / (high - low)).permute(0, 2, 3, 1).numpy()
    assert np.allclose(drawn[:5, :5], scaled[0], atol=1e-5)
    assert np.allclose(drawn[6:11, 18:23], scaled[11], atol=1e-5)
    assert (drawn[5] == 1).all() and (drawn[12:, 24:] == 1).all()  # gap, empty places


def test_feature_map_mosaic_tiles_every_channel():
    maps = torch.zeros(5, 4, 4)
    maps[1, 0, 0] = 1.0
    mosaic = viz.feature_map_mosaic(maps, ncols=2, tile=8, gap=1)
    # 3 rows x 2 columns of 8x8 tiles (4x4 maps enlarged twice), 1-pixel gaps
    assert mosaic.shape == (3 * 8 + 2, 2 * 8 + 1, 3) and mosaic.dtype == np.uint8
    bright = mosaic[0:2, 9:11]  # the top-left 2x2 pixels of channel 1
    assert (bright == bright[0, 0]).all() and not (bright[0, 0] == mosaic[0, 0]).all()
    assert (mosaic[8, :] == 255).all()  # a white gap between rows
    with pytest.raises(ValueError, match="feature maps"):
        viz.feature_map_mosaic(torch.zeros(4, 4))


def test_plot_feature_maps_is_the_mosaic():
    maps = torch.rand(6, 4, 4)
    fig = viz.plot_feature_maps(maps, ncols=4, title="t")
    drawn = np.asarray(fig.axes[0].images[0].get_array())
    assert len(fig.axes) == 1 and fig._suptitle.get_text() == "t"
    assert np.array_equal(drawn, viz.feature_map_mosaic(maps, ncols=4, tile=1, gap=1))
    assert drawn.shape == (2 * 4 + 1, 4 * 4 + 3, 3)


@pytest.fixture(scope="module")
def image():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=g)


def test_augmentation_grid_shows_the_original_first_then_the_views(image):
    grid = viz.augmentation_grid(image, n_views=5, generator=torch.Generator().manual_seed(0),
                                 ncols=3, scale=2, gap=1)
    # 6 tiles (original + 5) in 2 rows of 3; 32x32 images enlarged twice; 1-pixel gaps
    assert grid.shape == (2 * 64 + 1, 3 * 64 + 2, 3) and grid.dtype == np.uint8
    original = image.permute(1, 2, 0).numpy().repeat(2, 0).repeat(2, 1)
    assert np.array_equal(grid[:64, :64], original)
    assert (grid[64, :] == 255).all() and (grid[:, 64] == 255).all()
    tiles = [grid[r * 65 : r * 65 + 64, c * 65 : c * 65 + 64] for r in range(2) for c in range(3)]
    assert any(not np.array_equal(tile, original) for tile in tiles[1:])


def test_augmentation_grid_follows_the_augmentation_and_the_generator(image):
    def grid(seed, augment=None):
        return viz.augmentation_grid(image, augment, n_views=4,
                                     generator=torch.Generator().manual_seed(seed))

    assert np.array_equal(grid(3), grid(3))
    assert not np.array_equal(grid(3), grid(4))
    # no augmentation at all: every tile is the original
    same = grid(3, TrainAugment(size=32, padding=0, flip=False, lighting=0.0))
    assert np.array_equal(same[:, :96], same[:, 98:194])
    # smaller crops sit centred in a white tile
    crops = viz.augmentation_grid(image, TrainAugment(size=28, padding=0, flip=False,
                                                      lighting=0.0), n_views=2, scale=1, gap=0)
    assert crops.shape == (32, 96, 3)
    assert (crops[:2, 32:64] == 255).all() and not (crops[2:30, 34:62] == 255).all()


def test_lrn_curve_figure_draws_both_curves():
    fig = viz.lrn_curve_figure(k=4.0, neighbour=100.0)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    paper, mine = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
    assert len(paper) == len(mine) == 201
    assert (mine[1:] < paper[1:]).all()  # a larger k divides by more
    assert "energy 4e+04" in ax.get_title()
    assert ax.get_legend().get_texts()[0].get_text() == (
        "paper: k=2, n=5, alpha=1e-04, beta=0.75")


def test_plot_confusion_normalized():
    fig = viz.plot_confusion(torch.tensor([[3, 1], [0, 4]]), classes=["a", "b"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0.00", "0.25", "0.75", "1.00"]


def test_plot_confusion_counts():
    # raised "Unknown format code 'd' for object of type 'float'" before the fix
    fig = viz.plot_confusion(torch.tensor([[3, 1], [0, 12]]), classes=["a", "b"],
                             normalize=False)
    assert [t.get_text() for t in fig.axes[0].texts] == ["3", "1", "0", "12"]


@pytest.mark.parametrize("width", [0.25, 1.0])
def test_plot_architectures_draws_the_models_real_shapes(width):
    from alexnet_lib.models import AlexNet, AlexNetCIFAR

    cifar = AlexNetCIFAR(width=width)
    fig = architecture_plot.plot_architectures(AlexNet(), cifar)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    paper, small = fig.architecture
    by_name = {r["name"]: r for r in paper}
    assert by_name["conv1"]["shape"] == (96, 55, 55) and "55x55x96" in texts
    assert "6x6x256" in texts and "55x55x48" in texts  # pool5 whole; conv1 per tower
    assert [r["name"] for r in paper if r["exchange"]] == ["conv3", "fc6", "fc7", "fc8"]
    assert not any(r["exchange"] for r in small)
    # the CIFAR model's shapes, read from the model itself by a forward pass
    x = cifar.features(cifar.normalize(torch.zeros(1, 3, 32, 32)))
    c5 = x.shape[1]
    pool5 = {r["name"]: r for r in small}["pool5"]
    assert pool5["shape"] == tuple(x.shape[1:])
    assert f"4x4x{c5}" in texts
    conv1 = cifar.features[0].out_channels
    assert f"32x32x{conv1}" in texts
    assert str(cifar.classifier[0].out_features) in texts


def highlight_bands(ax) -> list[float]:
    """The x centres of the highlight bands drawn on ``ax`` (one per highlighted column)."""
    band = matplotlib.colors.to_rgba(architecture_plot._HIGHLIGHT)
    return sorted(p.get_x() + p.get_width() / 2 for p in ax.patches
                  if isinstance(p, matplotlib.patches.Rectangle)
                  and not isinstance(p, matplotlib.patches.FancyBboxPatch)
                  and p.get_facecolor() == band)


def test_plot_architectures_highlights_the_named_layers():
    from alexnet_lib.models import AlexNet, AlexNetCIFAR

    fig = architecture_plot.plot_architectures(AlexNet(), AlexNetCIFAR(width=0.25),
                                 highlight=("norm1", "norm2"))
    # the LRN follows conv1 and conv2 in both networks, found in the models, not typed
    assert fig.highlighted == [["conv1", "conv2"], ["conv1", "conv2"]]
    for ax, rows in zip(fig.axes, fig.architecture, strict=True):
        names = [r["name"] for r in rows]
        assert highlight_bands(ax) == [names.index("conv1"), names.index("conv2")]
    # no highlight: no band, nothing faded
    plain = architecture_plot.plot_architectures(None, AlexNetCIFAR(width=0.25))
    assert plain.highlighted == [[]] and highlight_bands(plain.axes[0]) == []
    assert all(p.get_alpha() in (None, 1.0) for p in plain.axes[0].patches)


def test_plot_architectures_highlight_follows_the_models_switches():
    from alexnet_lib.models import AlexNetCIFAR

    def lit(highlight, **kw):
        return architecture_plot.plot_architectures(None, AlexNetCIFAR(width=0.25, **kw),
                                      highlight=highlight).highlighted[0]

    # the paper drops the outputs of fc6 and fc7; torchvision the inputs of fc6 and fc7,
    # that is the outputs of pool5 and fc6
    assert lit("dropout") == ["fc6", "fc7"]
    assert lit("dropout", dropout_placement="torchvision") == ["pool5", "fc6"]
    assert lit("pool") == ["pool1", "pool2", "pool5"]
    assert lit("relu") == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7"]
    assert lit("tanh", activation="tanh") == lit("relu")
    assert lit("input") == ["input"]
    assert lit(("conv3", "fc8")) == ["conv3", "fc8"]
    with pytest.raises(ValueError, match="matches no drawn layer"):
        lit("dropout", dropout=0.0)  # no dropout left to highlight
    with pytest.raises(ValueError, match=r"\['conv9'\]"):
        lit("conv9")
