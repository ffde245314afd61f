"""The ipywidgets explorers the chapters show."""

from __future__ import annotations

import html
import io
import math

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from PIL import Image
from torch import nn

from .augment import TrainAugment
from .data import CLASSES
from .layers import LocalResponseNorm
from .models import ACTIVATIONS
from .viz import to_hwc

# --- Feature maps (chapter 10): what each layer of the network sees ------------------------

# The layers the feature-map explorer shows by default: every convolution's activation
# output and every pooled output of AlexNetCIFAR (names from `named_layers`).
FEATURE_MAP_LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5")


def named_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The layers of an AlexNet-style model (``features`` then ``classifier``) by name.

    Names follow the paper's numbering: ``convK`` is the activation (ReLU) output of the
    K-th convolution, ``normK`` its local response normalization (when the model has
    one), ``poolK`` the max-pooling after it; ``fc6`` and ``fc7`` are the activation
    outputs of the hidden fully connected layers (fc7 is the "last hidden layer" of the
    paper's Figure 4) and ``fc8`` the logits. Works for ``AlexNet`` and ``AlexNetCIFAR``.
    """
    activations = tuple(ACTIVATIONS.values())
    names: dict[str, nn.Module] = {}
    convs = 0
    for module in model.features:
        if isinstance(module, nn.Conv2d):
            convs += 1
        elif isinstance(module, activations):
            names[f"conv{convs}"] = module
        elif isinstance(module, LocalResponseNorm):
            names[f"norm{convs}"] = module
        elif isinstance(module, nn.MaxPool2d):
            names[f"pool{convs}"] = module
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    fcs = convs
    for module in model.classifier:
        if isinstance(module, nn.Linear):
            fcs += 1
            if module is linears[-1]:
                names[f"fc{fcs}"] = module  # the logits: no activation after the last layer
        elif isinstance(module, activations):
            names[f"fc{fcs}"] = module
    return names


def layer_activations(model: nn.Module, images: torch.Tensor, layers=None,
                      batch_size: int = 500) -> dict[str, torch.Tensor]:
    """What the named layers output for a batch of images, recorded with forward hooks.

    ``images`` are ``(N, 3, H, W)``, uint8 or floats in 0..1 (the model normalizes them
    itself). ``layers`` are names from :func:`named_layers` (default: all of them).
    Returns ``{name: (N, ...) float tensor on the CPU}`` in the order asked for. The model
    runs in eval mode (no dropout) without gradients, ``batch_size`` images at a time,
    and is put back in the mode it was in.
    """
    available = named_layers(model)
    layers = list(available) if layers is None else list(layers)
    unknown = [name for name in layers if name not in available]
    if unknown:
        raise ValueError(f"unknown layers {unknown}: choose from {list(available)}")
    device = next(model.parameters()).device
    recorded: dict[str, list[torch.Tensor]] = {name: [] for name in layers}

    def recorder(name):
        def hook(module, inputs, output):
            # clone: an in-place layer later in the network must not change what we keep
            recorded[name].append(output.detach().float().cpu().clone())
        return hook

    handles = [available[name].register_forward_hook(recorder(name)) for name in layers]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                x = images[start : start + batch_size].to(device)
                model(x.float().div(255) if x.dtype == torch.uint8 else x.float())
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return {name: torch.cat(recorded[name]) for name in layers}


def feature_map_mosaic(maps: torch.Tensor, ncols: int = 12, tile: int = 64, gap: int = 2,
                       cmap: str = "viridis") -> np.ndarray:
    """Every channel of one image's feature maps ``(C, H, W)`` tiled into one RGB array.

    The same picture as :func:`alexnet_lib.viz.plot_feature_maps` (each map scaled to its
    own range, a colour map, nearest-neighbour pixels), drawn as one array instead of one
    matplotlib axes per channel: milliseconds instead of seconds, so a widget can hold
    dozens of them. Each map is enlarged by a whole factor to about ``tile`` pixels.
    Returns an ``(rows, cols, 3)`` uint8 array, white between the maps.
    """
    m = maps.detach().float().cpu()
    if m.dim() != 3:
        raise ValueError(f"expected (C, H, W) feature maps, got shape {tuple(m.shape)}")
    channels, h, w = m.shape
    lo = m.flatten(1).min(1).values[:, None, None]
    hi = m.flatten(1).max(1).values[:, None, None]
    m = (m - lo) / (hi - lo).clamp_min(1e-8)  # a dead (constant) map shows as all low
    colors = (matplotlib.colormaps[cmap](m.numpy())[..., :3] * 255).round().astype(np.uint8)
    scale = max(1, tile // max(h, w))
    colors = colors.repeat(scale, 1).repeat(scale, 2)
    th, tw = h * scale, w * scale
    ncols = min(ncols, channels)
    nrows = math.ceil(channels / ncols)
    canvas = np.full((nrows * (th + gap) - gap, ncols * (tw + gap) - gap, 3), 255, np.uint8)
    for i in range(channels):
        top, left = (i // ncols) * (th + gap), (i % ncols) * (tw + gap)
        canvas[top : top + th, left : left + tw] = colors[i]
    return canvas


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
        image = (to_hwc(image) * 255).round().astype(np.uint8)
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="png")
    return buffer.getvalue()


def _enlarged(image: torch.Tensor, scale: int = 4) -> np.ndarray:
    """A ``(3, H, W)`` image as an ``(H*scale, W*scale, 3)`` uint8 array, square pixels."""
    x = (to_hwc(image) * 255).round().astype(np.uint8)
    return x.repeat(scale, 0).repeat(scale, 1)


def feature_map_explorer(model: nn.Module, images: torch.Tensor, labels=None,
                         layers=FEATURE_MAP_LAYERS, classes=CLASSES, ncols: int = 12,
                         tile: int = 64) -> widgets.VBox:
    """Pick an image and a layer, see every channel's feature map; works without a kernel.

    Every (image, layer) picture is computed now, as a small PNG: an outer
    ``ipywidgets.Stack`` holds one inner ``Stack`` per image, each with one
    ``ipywidgets.Image`` per layer. The image dropdown's ``index`` is ``jslink``-ed to the
    outer stack's ``selected_index`` (and to a stack of the input images), the layer
    dropdown's ``index`` to every inner stack's. Links run in the browser, so the
    explorer also works in a built HTML page, where no Python callback can run. Keep
    ``len(images) * len(layers)`` modest: every picture is stored in the notebook.

    Returns ``VBox([HBox([inputs, VBox([image_dropdown, layer_dropdown])]), maps])``
    (the chosen input image beside the menus, the maps below at full width), with the
    links in its ``links`` attribute.
    """
    layers = list(layers)
    activations = layer_activations(model, images, layers)
    if labels is None:
        image_names = [f"image {i}" for i in range(len(images))]
    else:
        image_names = [f"image {i}: {classes[int(label)]}" for i, label in enumerate(labels)]
    layer_names = []
    for name in layers:
        shape = activations[name].shape[1:]
        layer_names.append(f"{name}: {shape[0]} maps of {shape[1]}x{shape[2]}"
                           if len(shape) == 3 else f"{name}: {shape[0]} values")
    image_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(image_names)],
                                    value=0, description="image")
    layer_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(layer_names)],
                                    value=0, description="layer",
                                    layout=widgets.Layout(width="max-content"))
    inputs = widgets.Stack(
        [widgets.Image(value=png_bytes(_enlarged(image)), format="png") for image in images],
        selected_index=0)
    maps = widgets.Stack([
        widgets.Stack([
            widgets.Image(
                value=png_bytes(feature_map_mosaic(_as_maps(activations[name][i]),
                                                   ncols=ncols, tile=tile)),
                format="png", layout=widgets.Layout(max_width="100%"))
            for name in layers], selected_index=0)
        for i in range(len(images))], selected_index=0)
    links = [widgets.jslink((image_select, "index"), (inputs, "selected_index")),
             widgets.jslink((image_select, "index"), (maps, "selected_index"))]
    links += [widgets.jslink((layer_select, "index"), (inner, "selected_index"))
              for inner in maps.children]
    box = widgets.VBox([widgets.HBox([inputs, widgets.VBox([image_select, layer_select])]),
                        maps])
    box.links = links
    return box


def _as_maps(x: torch.Tensor) -> torch.Tensor:
    """A fully connected layer's vector ``(C,)`` as ``C`` one-pixel maps; maps unchanged."""
    return x[:, None, None] if x.dim() == 1 else x


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


def live_feature_maps(model: nn.Module, images: torch.Tensor, labels=None,
                      layers=FEATURE_MAP_LAYERS, classes=CLASSES, ncols: int = 12,
                      tile: int = 64) -> widgets.VBox:
    """The feature maps of any image, computed in the kernel when a control changes.

    Type the index of any of ``images``, pick a layer, or upload a photo of your own
    (resized to 32x32): the Python callbacks run the model and redraw. This needs a live
    kernel (Jupyter, Colab); in a static HTML page nothing happens, so the book shows
    :func:`feature_map_explorer` there. A file that is not an image gives a message,
    not a traceback.

    Returns ``VBox([HBox([input, VBox([index, layer, upload])]), message, maps])``.
    """
    layers = list(layers)
    index = widgets.BoundedIntText(value=0, min=0, max=len(images) - 1, description="image")
    layer = widgets.Dropdown(options=layers, value=layers[0], description="layer")
    upload = widgets.FileUpload(accept="image/*", multiple=False, description="your image")
    message = widgets.HTML()
    shown_input = widgets.Image(format="png")
    shown_maps = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
    current = {"image": images[0], "source": ""}

    def redraw(change=None):
        logits = list(named_layers(model))[-1]
        wanted = list(dict.fromkeys([layer.value, logits]))  # the logits layer may be asked
        output = layer_activations(model, current["image"][None], wanted)
        probabilities = output[logits][0].softmax(0)
        best = int(probabilities.argmax())
        maps = _as_maps(output[layer.value][0])
        message.value = (f"{current['source']}: the network says <b>{classes[best]}</b> "
                         f"({float(probabilities[best]):.0%}); {layer.value} has "
                         f"{maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}")
        shown_input.value = png_bytes(_enlarged(current["image"]))
        shown_maps.value = png_bytes(feature_map_mosaic(maps, ncols=ncols, tile=tile))

    def pick_index(change=None):
        i = index.value
        truth = f" ({classes[int(labels[i])]})" if labels is not None else ""
        current.update(image=images[i], source=f"image {i}{truth}")
        redraw()

    def pick_upload(change):
        files = upload.value
        if not files:
            return
        file = files[-1]
        name = html.escape(str(file.get("name", "the file")))
        try:
            current.update(image=image_from_bytes(bytes(file["content"])), source=name)
        except ValueError as err:
            message.value = f"<b>{name}</b> is {html.escape(str(err))}. Try a photo."
            return
        redraw()

    index.observe(pick_index, names="value")
    layer.observe(redraw, names="value")
    upload.observe(pick_upload, names="value")
    pick_index()
    return widgets.VBox([widgets.HBox([shown_input, widgets.VBox([index, layer, upload])]),
                         message, shown_maps])



# --- Local response normalization (chapter 04): a unit's output against its input ---------

# The paper's constants (section 3.3); the explorer starts at them.
LRN_PAPER = {"k": 2.0, "n": 5, "alpha": 1e-4, "beta": 0.75}


def lrn_response(a, neighbour: float = 0.0, k: float = 2.0, n: int = 5, alpha: float = 1e-4,
                 beta: float = 0.75) -> torch.Tensor:
    """What :class:`~alexnet_lib.layers.LocalResponseNorm` outputs for a unit whose input
    activation is each value of ``a``, when each of the other ``n - 1`` channels in its
    window has activation ``neighbour``: ``a / (k + alpha * (a**2 + (n-1) * neighbour**2))
    ** beta``. Computed by the layer itself, on ``n`` channels with the unit in the middle,
    so the curve the explorer draws is the library's layer, not a second formula.
    """
    a = torch.as_tensor(a, dtype=torch.float32).flatten()
    x = torch.full((1, n, a.numel(), 1), float(neighbour))
    x[0, n // 2, :, 0] = a  # the window of the middle channel is exactly the n channels
    with torch.no_grad():
        b = LocalResponseNorm(size=n, alpha=alpha, beta=beta, k=k)(x)
    return b[0, n // 2, :, 0]


def lrn_curve_figure(k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                     neighbour: float = 0.0, max_input: float = 500.0, points: int = 201):
    """A figure of output ``b`` against input ``a`` (0 to ``max_input``) for these
    parameters (blue), with the paper's parameters at the same neighbour activity (grey,
    dashed) and the largest output marked. A plain ``matplotlib.figure.Figure``, not a
    pyplot one, so drawing it in a widget callback leaves pyplot's state alone."""
    from matplotlib.figure import Figure

    a = torch.linspace(0.0, max_input, points)
    b = lrn_response(a, neighbour, k, n, alpha, beta)
    paper = lrn_response(a, neighbour, **LRN_PAPER)
    energy = (n - 1) * neighbour**2
    fig = Figure(figsize=(5.2, 3.4), dpi=80)
    ax = fig.subplots()
    ax.plot(a.numpy(), paper.numpy(), "--", color="tab:gray", label="paper: k=2, n=5, "
            "alpha=1e-4, beta=0.75")
    ax.plot(a.numpy(), b.numpy(), color="tab:blue", lw=2,
            label=f"k={k:g}, n={n}, alpha={alpha:.1e}, beta={beta:g}")
    top = int(b.argmax())
    ax.plot([a[top].item()], [b[top].item()], "o", color="tab:blue")
    ax.annotate(f"max {b[top].item():.3g} at a={a[top].item():.0f}",
                (a[top].item(), b[top].item()), xytext=(4, -12), textcoords="offset points",
                fontsize=8)
    ax.set(xlabel="input activation a", ylabel="output b", xlim=(0, max_input),
           title=f"each of the {n - 1} neighbours at {neighbour:g}: "
                 f"neighbour energy {energy:.3g}")
    ax.title.set_fontsize(9)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def lrn_explorer(max_input: float = 500.0) -> widgets.HBox:
    """Sliders for LRN's k, n, alpha and beta and for the neighbours' activation, beside
    the curve of output against input activation (:func:`lrn_curve_figure`).

    Built with ``ipywidgets.interactive``: in a live kernel every change of a slider
    redraws the curve (on release). The curve is an ``ipywidgets.Image`` holding a PNG,
    so a saved notebook or a built HTML page shows the sliders and the first curve
    without a kernel (where moving a slider changes nothing). Returns
    ``HBox([controls, image])``; ``controls`` (the ``interactive``) and ``image`` are
    also attributes of the box.
    """
    image = widgets.Image(format="png", layout=widgets.Layout(width="416px"))

    def draw(k, n, alpha, beta, neighbour):
        fig = lrn_curve_figure(k, n, alpha, beta, neighbour, max_input=max_input)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        image.value = buffer.getvalue()

    def slider(kind, **kwargs):
        return kind(continuous_update=False, style={"description_width": "80px"}, **kwargs)

    controls = widgets.interactive(
        draw,
        k=slider(widgets.FloatSlider, value=LRN_PAPER["k"], min=0.5, max=10.0, step=0.25,
                 description="k"),
        n=slider(widgets.IntSlider, value=LRN_PAPER["n"], min=1, max=15, description="n"),
        alpha=slider(widgets.FloatLogSlider, value=LRN_PAPER["alpha"], base=10, min=-6,
                     max=-2, step=0.25, readout_format=".1e", description="alpha"),
        beta=slider(widgets.FloatSlider, value=LRN_PAPER["beta"], min=0.0, max=1.5,
                    step=0.05, description="beta"),
        neighbour=slider(widgets.FloatSlider, value=0.0, min=0.0, max=max_input, step=10.0,
                         description="neighbours"),
    )
    box = widgets.HBox([controls, image])
    box.controls, box.image = controls, image
    return box


# --- Data augmentation (chapter 7): what the training pipeline does to one image ----------


def augmentation_grid(image: torch.Tensor, augment=None, n_views: int = 8,
                      generator: torch.Generator | None = None, ncols: int = 3,
                      scale: int = 3, gap: int = 2) -> np.ndarray:
    """One image and ``n_views`` random augmentations of it, tiled into one RGB array.

    ``image`` is ``(3, H, W)``, uint8 or floats in 0..1; ``augment(x, generator)`` is a
    batch augmentation such as :class:`alexnet_lib.augment.TrainAugment` (default: random
    32x32 crops of the image padded by 4, and flips). The first tile is the original,
    the others are the views, each drawn independently from ``generator``; smaller views
    (e.g. 28x28 crops) sit centred in their tile. Each pixel is enlarged ``scale`` times.
    Returns an ``(rows, cols, 3)`` uint8 array, white between the tiles.
    """
    if augment is None:
        augment = TrainAugment(size=32, padding=4, flip=True, lighting=0.0)
    x = image.float() / 255 if image.dtype == torch.uint8 else image.float()
    views = augment(x[None].repeat(n_views, 1, 1, 1), generator)
    tiles = [x] + list(views)
    th, tw = x.shape[-2] * scale, x.shape[-1] * scale
    ncols = min(ncols, len(tiles))
    nrows = math.ceil(len(tiles) / ncols)
    canvas = np.full((nrows * (th + gap) - gap, ncols * (tw + gap) - gap, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        pixels = _enlarged(tile, scale)
        top = (i // ncols) * (th + gap) + (th - pixels.shape[0]) // 2
        left = (i % ncols) * (tw + gap) + (tw - pixels.shape[1]) // 2
        canvas[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    return canvas


def augmentation_preview(images: torch.Tensor, labels=None, augment=None, n_views: int = 8,
                         seed: int = 0, classes=CLASSES, ncols: int = 3,
                         scale: int = 3) -> widgets.VBox:
    """Pick an image, see it next to ``n_views`` random augmentations; works without a kernel.

    Every image's grid (:func:`augmentation_grid`, the original first) is drawn now, as a
    small PNG in an ``ipywidgets.Image``; an ``ipywidgets.Stack`` holds one per image, and
    the dropdown's ``index`` is ``jslink``-ed to the stack's ``selected_index``, so
    choosing an image works in a built HTML page, where no Python runs. Image ``i``'s
    views come from a generator seeded with ``seed + i``, so the grids repeat. The
    "new draws" button redraws the chosen image's grid with fresh random numbers: that is
    a Python callback, so it needs a live kernel (Jupyter, Colab).

    Returns ``VBox([HBox([dropdown, button, label]), stack])``, with the link in its ``link``
    attribute. Keep ``len(images)`` small: every grid is stored in the notebook.
    """
    if labels is None:
        names = [f"image {i}" for i in range(len(images))]
    else:
        names = [f"image {i}: {classes[int(label)]}" for i, label in enumerate(labels)]

    def grid_png(i: int, draw: int) -> bytes:
        generator = torch.Generator().manual_seed(seed + i + 1_000_003 * draw)
        return png_bytes(augmentation_grid(images[i].cpu(), augment, n_views, generator,
                                           ncols=ncols, scale=scale))

    select = widgets.Dropdown(options=[(name, i) for i, name in enumerate(names)], value=0,
                              description="image")
    button = widgets.Button(description="new draws", icon="refresh",
                            tooltip="redraw the augmentations (needs a running kernel)")
    stack = widgets.Stack([widgets.Image(value=grid_png(i, 0), format="png")
                           for i in range(len(images))], selected_index=0)
    draws = [0] * len(images)

    def redraw(_button=None):
        i = select.index
        draws[i] += 1
        stack.children[i].value = grid_png(i, draws[i])
        stack.selected_index = i  # the jslink is browser-side: keep the kernel's view in step

    button.on_click(redraw)
    note = widgets.Label("top left: the image; the others: random augmentations of it")
    box = widgets.VBox([widgets.HBox([select, button, note]), stack])
    box.link = widgets.jslink((select, "index"), (stack, "selected_index"))
    return box
