"""Local response normalization drawn (chapter 04): the window of neighbouring channels a
unit is divided by (:func:`plot_lrn_window`), the response curve as one constant changes
(:func:`lrn_family_figure`), and an explorer holding every such curve, which switches
between them with no kernel (:func:`lrn_curve_explorer`).

Every number drawn is computed by the library's layer
(:class:`alexnet_lib.layers.LocalResponseNorm`, through
:func:`alexnet_lib.book.inspection.lrn_response` for the curves), not typed in.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
import torch
from PIL import Image

from ..layers import PAPER_LRN, LocalResponseNorm
from .inspection import lrn_response
from .widgets import _handles, link_index, make_stack

# the unit of the chapter's hand calculation (channel 4, a = 100, its window 0, 50, 100,
# 200, 150) with two channels on either side that fall outside the window
EXAMPLE_COLUMN = (120.0, 40.0, 0.0, 50.0, 100.0, 200.0, 150.0, 60.0, 10.0)
_WINDOW_BAND = "#ffe680"  # the architecture diagram's highlight colour


def _window(channel: int, size: int, channels: int) -> tuple[int, int]:
    """The first and last channel of ``channel``'s window, clipped at both ends (as
    ``layers.LocalResponseNorm`` runs it: ``i - n//2`` to ``i + (n-1)//2``)."""
    return max(0, channel - size // 2), min(channels - 1, channel + (size - 1) // 2)


def lrn_window(column=EXAMPLE_COLUMN, channel: int = 4, size: int = PAPER_LRN["size"],
               alpha: float = PAPER_LRN["alpha"], beta: float = PAPER_LRN["beta"],
               k: float = PAPER_LRN["k"]) -> dict:
    """The numbers of :func:`plot_lrn_window`: the activations ``a`` of every channel at one
    position, ``channel``'s window ``(first, last)``, the ``squares`` in it, their sum
    ``energy``, the ``divisor`` ``(k + alpha * energy) ** beta`` and the ``output``
    ``b``, read from the library's layer run on the whole column."""
    a = torch.as_tensor(column, dtype=torch.float64).flatten()
    if not 0 <= channel < len(a):
        raise ValueError(f"channel {channel} is not one of the column's {len(a)} channels")
    first, last = _window(channel, size, len(a))
    squares = a[first:last + 1] ** 2
    energy = float(squares.sum())
    with torch.no_grad():
        b = LocalResponseNorm(size=size, alpha=alpha, beta=beta, k=k)(a.view(1, -1, 1, 1))
    return dict(a=a.tolist(), channel=channel, window=(first, last), squares=squares.tolist(),
                energy=energy, divisor=(k + alpha * energy) ** beta,
                output=float(b[0, channel, 0, 0]), size=size, alpha=alpha, beta=beta, k=k)


def _map_tile(ax, x: float, value: float, top: float, lit: bool, centre: bool) -> None:
    """Kernel map ``x`` as a 4 x 4 grid with the position (x, y) coloured by ``value``."""
    cell = 0.18
    for r in range(4):
        for c in range(4):
            here = (r, c) == (1, 2)
            colour = matplotlib.colormaps["Blues"](0.1 + 0.9 * value / top) if here else "white"
            ax.add_patch(matplotlib.patches.Rectangle(
                (x - 2 * cell + c * cell, 1.0 + (3 - r) * cell), cell, cell, facecolor=colour,
                edgecolor="#999999", linewidth=0.5, alpha=1.0 if lit else 0.35))
    ax.add_patch(matplotlib.patches.Rectangle(
        (x - 2 * cell, 1.0), 4 * cell, 4 * cell, fill=False, linewidth=2.2 if centre else 0.8,
        edgecolor="tab:red" if centre else "#444444"))


def plot_lrn_window(column=EXAMPLE_COLUMN, channel: int = 4, **constants):
    """LRN at one position (x, y): the kernel maps side by side, the position marked in
    each and coloured by its activation ``a``; the window of ``n`` adjacent maps around
    ``channel`` (a band); under each map in it ``a`` and ``a**2``; their sum; and the
    division that gives ``b``. ``constants`` are :func:`lrn_window`'s ``size``, ``alpha``,
    ``beta`` and ``k`` (the paper's by default).

    Returns the figure; ``fig.lrn_window`` holds the drawn numbers (:func:`lrn_window`)."""
    w = lrn_window(column, channel, **constants)
    a, (first, last) = w["a"], w["window"]
    top = max(max(a), 1e-12)
    fig, ax = plt.subplots(figsize=(max(7.0, 0.95 * len(a)), 3.6))
    ax.set(xlim=(-0.7, len(a) - 0.3), ylim=(-1.55, 2.25))
    ax.axis("off")
    ax.add_patch(matplotlib.patches.Rectangle(
        (first - 0.48, -0.62), last - first + 0.96, 2.75, facecolor=_WINDOW_BAND,
        edgecolor="none", zorder=0))
    for j, value in enumerate(a):
        lit = first <= j <= last
        _map_tile(ax, j, value, top, lit, j == channel)
        ax.text(j, 1.85, f"map {j}", ha="center", va="bottom", fontsize=9,
                color="tab:red" if j == channel else ("black" if lit else "#999999"))
        ax.text(j, 0.85, f"a = {value:g}", ha="center", va="top", fontsize=9,
                color="black" if lit else "#999999")
        if lit:
            ax.text(j, 0.5, f"a² = {value**2:,.0f}", ha="center", va="top", fontsize=9)
    ax.plot([first - 0.4, first - 0.4, last + 0.4, last + 0.4], [-0.1, -0.2, -0.2, -0.1],
            color="black", linewidth=1)
    clipped = "" if last - first + 1 == w["size"] else ", clipped at the edge"
    ax.text((first + last) / 2, -0.28, f"sum of squares in the window (n = {w['size']}"
            f"{clipped}): {w['energy']:,.0f}", ha="center", va="top", fontsize=10)
    ax.text(-0.6, -0.95,
            rf"$b = a\,/\,(k + \alpha \sum a^2)^\beta$ = {a[channel]:g} / "
            rf"({w['k']:g} + {w['alpha']:g} $\times$ {w['energy']:,.0f})$^{{{w['beta']:g}}}$"
            f" = {a[channel]:g} / {w['divisor']:.3g} = {w['output']:.4g}",
            ha="left", va="top", fontsize=11)
    ax.set_title(f"LRN at one position (x, y) of map {channel}: divided by the activity of "
                 f"the {last - first + 1} maps in its window", loc="left", fontsize=11)
    fig.lrn_window = w
    fig.tight_layout()
    return fig


# --- The response curve, one constant at a time ------------------------------------------

CONSTANTS = ("k", "n", "alpha", "beta", "neighbour")
PAPER = {"k": PAPER_LRN["k"], "n": PAPER_LRN["size"], "alpha": PAPER_LRN["alpha"],
         "beta": PAPER_LRN["beta"]}
# what the explorer offers: five values a constant, the paper's (or the default
# neighbour activity) among them
CURVE_VALUES = {"k": (0.5, 1.0, 2.0, 4.0, 8.0), "n": (1, 3, 5, 9, 15),
                "alpha": (1e-5, 3e-5, 1e-4, 3e-4, 1e-3), "beta": (0.25, 0.5, 0.75, 1.0, 1.5),
                "neighbour": (0.0, 25.0, 50.0, 100.0, 200.0)}
MEANING = {"k": "the constant added", "n": "maps in the window",
           "alpha": "the weight of the squares", "beta": "the exponent",
           "neighbour": "each neighbour's activation"}


def value_label(name: str, value: float, neighbour: float = 50.0) -> str:
    """How the explorer names a value: ``"1e-4 (paper)"``, ``"0.5"``, ``"50 (default)"``."""
    text = f"{value:.0e}".replace("e-0", "e-") if 0 < value < 0.01 else f"{value:g}"
    if name in PAPER and value == PAPER[name]:
        return f"{text} (paper)"
    return f"{text} (default)" if name == "neighbour" and value == neighbour else text


def lrn_family_figure(name: str, values, chosen: int, neighbour: float = 50.0,
                      max_input: float = 500.0, points: int = 201):
    """LRN's output ``b`` against input ``a`` for each of ``values`` of the constant
    ``name`` (one of :data:`CONSTANTS`), the others at the paper's values and each of the
    ``n - 1`` neighbours at ``neighbour``: ``values[chosen]`` in blue with its largest
    output marked, the others in light grey, the paper's constants (at ``neighbour``) as
    a dashed line. The y range is the same for every ``chosen``, so flipping through the
    pictures of one constant shows the curve move, not the axis."""
    from matplotlib.figure import Figure

    if name not in CONSTANTS:
        raise ValueError(f"name must be one of {CONSTANTS}, not {name!r}")
    a = torch.linspace(0.0, max_input, points)

    def curve(value):
        c = {**PAPER, "neighbour": neighbour, name: value}
        return lrn_response(a, c.pop("neighbour"), **c)

    curves = [curve(v) for v in values]
    paper = curve(neighbour if name == "neighbour" else PAPER[name])
    fig = Figure(figsize=(7.0, 3.5), dpi=80)
    ax = fig.subplots()
    for i, b in enumerate(curves):
        if i != chosen:
            ax.plot(a.numpy(), b.numpy(), color="#cccccc", lw=1)
    ax.plot(a.numpy(), paper.numpy(), "--", color="#444444", lw=1.2,
            label=f"the paper's constants, neighbours at {neighbour:g}")
    b = curves[chosen]
    label = value_label(name, values[chosen], neighbour)
    ax.plot(a.numpy(), b.numpy(), color="tab:blue", lw=2.2, label=f"{name} = {label}")
    top = int(b.argmax())
    ax.plot([a[top].item()], [b[top].item()], "o", color="tab:blue")
    ax.annotate(f"max {b[top].item():.3g} at a = {a[top].item():.0f}",
                (a[top].item(), b[top].item()), xytext=(0, 9), textcoords="offset points",
                fontsize=8, ha="center")
    highest = max(float(c.max()) for c in [*curves, paper])
    ax.set(xlabel="input activation a", ylabel="output b", xlim=(0, max_input),
           ylim=(0, 1.12 * highest))
    others = ("k, n, alpha, beta as the paper's" if name == "neighbour"
              else f"the other constants as the paper's, each neighbour at {neighbour:g}")
    ax.set_title(f"{MEANING[name]}: {name} = {label}; {others}", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def small_png(fig, colours: int = 64) -> bytes:
    """The figure as a PNG of at most ``colours`` colours: line plots lose nothing visible
    and take about a third of the bytes (each is stored in the notebook)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    buffer.seek(0)
    out = io.BytesIO()
    Image.open(buffer).convert("RGB").quantize(colours).save(out, format="png", optimize=True)
    return out.getvalue()


def lrn_curve_explorer(values=None, neighbour: float = 50.0,
                       max_input: float = 500.0) -> widgets.VBox:
    """Pick a constant and one of its values, see the response curve
    (:func:`lrn_family_figure`); works without a kernel.

    ``values`` maps each of :data:`CONSTANTS` to the values offered (default
    :data:`CURVE_VALUES`; the paper's value, and ``neighbour`` for "neighbour", must be
    among them: each constant starts there). Every curve is drawn now as a small PNG
    (:func:`small_png`, about 10 KB). A menu picks the constant: its ``index`` is linked to
    a stack of value buttons (one ``ToggleButtons`` per constant) and to a stack of
    stacks of pictures; each constant's buttons are linked to its stack of pictures
    (:func:`~alexnet_lib.book.widgets.link_index`). Under ipywidgets 8 the links run in
    the browser, so the explorer works in the built HTML page; under 7 (Colab) the
    kernel switches the stacks (:func:`~alexnet_lib.book.widgets.make_stack`).

    Returns ``VBox([menu, rows, pictures])`` (``rows``: a stack of one
    ``HBox([Label, ToggleButtons])`` per constant); ``controls`` are ``(menu, *buttons)``
    (the ``ToggleButtons``), ``views`` ``(pictures,)``, ``links`` the
    ``2 + len(CONSTANTS)`` links."""
    values = {name: tuple(v) for name, v in (values or CURVE_VALUES).items()}
    if set(values) != set(CONSTANTS):
        raise ValueError(f"values must give every one of {CONSTANTS}")
    start = {}
    for name, options in values.items():
        mark = neighbour if name == "neighbour" else PAPER[name]
        if mark not in options:
            raise ValueError(f"the values of {name} must include {mark:g}, where it starts")
        start[name] = options.index(mark)
    menu = widgets.Dropdown(options=[(f"{n}: {MEANING[n]}", i) for i, n in enumerate(CONSTANTS)],
                            value=0, description="vary",
                            layout=widgets.Layout(width="420px"))
    buttons = [widgets.ToggleButtons(
        options=[(value_label(n, v, neighbour), i) for i, v in enumerate(values[n])],
        value=start[n], style={"button_width": "auto"}) for n in CONSTANTS]
    pictures = make_stack(
        make_stack((widgets.Image(
            value=small_png(lrn_family_figure(n, values[n], i, neighbour, max_input)),
            format="png", layout=widgets.Layout(max_width="100%"))
            for i in range(len(values[n]))), selected_index=start[n])
        for n in CONSTANTS)
    # each row of buttons beside its constant's name (a ToggleButtons' own description
    # is put above its buttons by the HTML page's widget manager)
    value_stack = make_stack(widgets.HBox([widgets.Label(f"{n} ="), b])
                             for n, b in zip(CONSTANTS, buttons, strict=True))
    links = [link_index(menu, value_stack), link_index(menu, pictures)]
    links += [link_index(b, inner) for b, inner in zip(buttons, pictures.children, strict=True)]
    box = widgets.VBox([menu, value_stack, pictures])
    return _handles(box, (menu, *buttons), (pictures,), links)
