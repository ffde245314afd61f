import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from alexnet_lib import viz  # noqa: E402


def teardown_function():
    plt.close("all")


def test_to_hwc_scales_and_orders_channels():
    image = torch.zeros(3, 2, 2, dtype=torch.uint8)
    image[0] = 255
    out = viz.to_hwc(image)
    assert out.shape == (2, 2, 3) and np.allclose(out[..., 0], 1) and np.allclose(out[..., 1:], 0)


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


def test_filters_feature_maps_and_confusion():
    fig = viz.plot_filters(torch.randn(20, 3, 5, 5), ncols=8)
    assert len(fig.axes) == 24 and sum(bool(ax.images) for ax in fig.axes) == 20
    fig = viz.plot_feature_maps(torch.rand(6, 4, 4), ncols=4)
    assert sum(bool(ax.images) for ax in fig.axes) == 6
    cm = torch.tensor([[3, 1], [0, 4]])
    fig = viz.plot_confusion(cm, classes=["a", "b"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0.00", "0.25", "0.75", "1.00"]
