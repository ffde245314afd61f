"""Chapter 04's drawings of LRN (alexnet_lib.book.lrn_views): the window diagram, whose
numbers must be the library layer's, and the family of response curves the explorer
flips through."""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from alexnet_lib.book import lrn_views  # noqa: E402
from alexnet_lib.book.inspection import lrn_response  # noqa: E402
from alexnet_lib.layers import LocalResponseNorm  # noqa: E402


def teardown_function():
    plt.close("all")


def test_lrn_window_is_the_chapters_hand_calculation():
    w = lrn_views.lrn_window()  # map 4 of the example column, the paper's constants
    assert w["channel"] == 4 and w["window"] == (2, 6)
    assert w["squares"] == [0.0, 2500.0, 10000.0, 40000.0, 22500.0]
    assert w["energy"] == 75000.0
    by_hand = 100.0 / (2.0 + 1e-4 * 75000.0) ** 0.75
    assert w["divisor"] == pytest.approx(9.5**0.75)
    assert w["output"] == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("channel, size, window", [
    (0, 5, (0, 2)), (1, 5, (0, 3)), (8, 5, (6, 8)), (4, 3, (3, 5)), (4, 4, (2, 5)),
    (4, 1, (4, 4)), (4, 15, (0, 8)),
])
def test_lrn_window_follows_the_layer_at_the_edges(channel, size, window):
    column = torch.rand(9, generator=torch.Generator().manual_seed(channel)) * 300
    w = lrn_views.lrn_window(column, channel, size=size)
    assert w["window"] == window and len(w["squares"]) == window[1] - window[0] + 1
    a = column.double()
    # the layer's own window: what the diagram draws must be what the layer sums
    energy = (a[window[0]:window[1] + 1] ** 2).sum().item()
    assert w["energy"] == pytest.approx(energy)
    layer = LocalResponseNorm(size=size)(a.view(1, -1, 1, 1))[0, channel, 0, 0].item()
    assert w["output"] == pytest.approx(layer, rel=1e-12)
    assert w["output"] == pytest.approx(a[channel].item() / w["divisor"], rel=1e-12)


def test_lrn_window_refuses_a_channel_outside_the_column():
    with pytest.raises(ValueError, match="channel 9"):
        lrn_views.lrn_window(channel=9)


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_plot_lrn_window_draws_the_layers_numbers():
    fig = lrn_views.plot_lrn_window()
    assert fig.lrn_window == lrn_views.lrn_window()
    drawn = texts(fig)
    assert [t for t in drawn if t.startswith("map ")] == [f"map {j}" for j in range(9)]
    assert "a = 120" in drawn and "a = 200" in drawn
    # squares only under the maps in the window (2..6), each with its value
    assert [t for t in drawn if t.startswith("a²")] == [
        "a² = 0", "a² = 2,500", "a² = 10,000", "a² = 40,000", "a² = 22,500"]
    assert "sum of squares in the window (n = 5): 75,000" in drawn
    equation = next(t for t in drawn if t.startswith("$b = "))
    assert "100 / (2 + 0.0001" in equation and "75,000" in equation
    assert equation.endswith("= 100 / 5.41 = 18.48")  # 9.5 ** 0.75 = 5.41
    # the window's band spans maps 2..6, and map 4's frame is the red one
    ax = fig.axes[0]
    band = matplotlib.colors.to_rgba(lrn_views._WINDOW_BAND)
    bands = [p for p in ax.patches if p.get_facecolor() == band]
    assert len(bands) == 1
    assert bands[0].get_x() < 2 - 0.4 and bands[0].get_x() + bands[0].get_width() > 6 + 0.4
    assert bands[0].get_x() > 1 + 0.4 and bands[0].get_x() + bands[0].get_width() < 7 - 0.4
    red = [p for p in ax.patches if p.get_edgecolor() == matplotlib.colors.to_rgba("tab:red")]
    assert len(red) == 1 and 3.5 < red[0].get_x() + red[0].get_width() / 2 < 4.5


def test_plot_lrn_window_with_other_constants_and_a_clipped_window():
    fig = lrn_views.plot_lrn_window(channel=0, k=1.0, alpha=2e-4, beta=0.5)
    w = fig.lrn_window
    assert w["window"] == (0, 2) and (w["k"], w["alpha"], w["beta"]) == (1.0, 2e-4, 0.5)
    drawn = texts(fig)
    assert "sum of squares in the window (n = 5, clipped at the edge): 16,000" in drawn
    equation = next(t for t in drawn if t.startswith("$b = "))
    assert "120 / (1 + 0.0002" in equation
    assert equation.endswith(f"= {w['output']:.4g}")
    assert w["output"] == pytest.approx(120 / (1 + 2e-4 * 16000) ** 0.5)


@pytest.mark.parametrize("name, value, label", [
    ("k", 2.0, "2 (paper)"), ("k", 0.5, "0.5"), ("n", 5, "5 (paper)"), ("n", 15, "15"),
    ("alpha", 1e-4, "1e-4 (paper)"), ("alpha", 3e-5, "3e-5"), ("alpha", 1e-3, "1e-3"),
    ("beta", 0.75, "0.75 (paper)"), ("neighbour", 50.0, "50 (default)"),
    ("neighbour", 0.0, "0"),
])
def test_value_label_marks_the_paper_and_the_default(name, value, label):
    assert lrn_views.value_label(name, value) == label


def curve(name, value, neighbour=50.0):
    constants = {**lrn_views.PAPER, name: value}
    if name == "neighbour":
        neighbour = constants.pop("neighbour")
    return lrn_response(torch.linspace(0.0, 500.0, 201), neighbour, **constants)


@pytest.mark.parametrize("name", lrn_views.CONSTANTS)
def test_family_figure_draws_every_value_on_one_scale(name):
    values = lrn_views.CURVE_VALUES[name]
    tops = set()
    for chosen in (0, len(values) - 1):
        ax = lrn_views.lrn_family_figure(name, values, chosen).axes[0]
        grey = [line for line in ax.lines if line.get_color() == "#cccccc"]
        blue = [line for line in ax.lines if line.get_color() == "tab:blue"]
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert len(grey) == len(values) - 1 and len(dashed) == 1 and len(blue) == 2
        assert blue[0].get_ydata() == pytest.approx(curve(name, values[chosen]).numpy())
        paper = curve("neighbour", 50.0)  # the paper's constants, neighbours at 50
        assert dashed[0].get_ydata() == pytest.approx(paper.numpy())
        # the marker sits on the chosen curve's largest output
        assert blue[1].get_ydata()[0] == pytest.approx(float(blue[0].get_ydata().max()))
        assert ax.get_legend().get_texts()[1].get_text() == (
            f"{name} = {lrn_views.value_label(name, values[chosen])}")
        tops.add(ax.get_ylim())
    assert len(tops) == 1  # one y range for every picture of a constant


def test_family_figure_refuses_an_unknown_constant():
    with pytest.raises(ValueError, match="name must be one of"):
        lrn_views.lrn_family_figure("gamma", (1.0,), 0)


def test_small_png_is_a_small_palette_png():
    fig = lrn_views.lrn_family_figure("k", lrn_views.CURVE_VALUES["k"], 2)
    plain = io.BytesIO()
    fig.savefig(plain, format="png")
    data = lrn_views.small_png(fig)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < len(plain.getvalue()) / 2
    with Image.open(io.BytesIO(data)) as png:
        assert png.mode == "P" and png.size == (560, 280)
        assert len(png.getcolors()) <= 64
    assert not plt.get_fignums()
