"""The ipywidgets explorers the chapters show, for ipywidgets 7.7 (Colab) and 8.1.

What they compute comes from ``inspection`` (layers, activations, LRN's response), what
they show from ``viz`` (the pictures, as arrays) and ``images`` (PNG bytes).

**One return convention.** Every builder returns one box to display. The parts a caller
or a test needs are attributes of that box, under the same three names everywhere:

- ``box.controls``: a tuple of the widgets a reader changes (menus, sliders, buttons),
- ``box.views``: a tuple of the widgets that show something (pictures, stacks, text),
- ``box.links``: a list of the links that switch the views (empty when none).

**Two ipywidgets.** ``ipywidgets.Stack`` exists only in 8. Under 8 the kernel-free
explorers hold every picture in ``Stack``s switched by ``jslink``: the links run in the
browser, so they work in the built HTML page too. Under 7 (what Colab ships, where
``jslink`` has also been unreliable) :func:`make_stack` gives a box that hides all but
its selected child, and :func:`link_index` a kernel-side ``link``: the explorer works
while the notebook's kernel runs, which in Colab it does. ``FileUpload.value`` has two
shapes; :func:`uploaded_files` reads both.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import torch
import traitlets
from torch import nn

from ..data import CLASSES
from ..layers import PAPER_LRN
from ..rng import stream_seed
from .images import enlarge, image_from_bytes, png_bytes
from .inspection import FEATURE_MAP_LAYERS, as_maps, layer_activations, named_layers
from .viz import augmentation_grid, feature_map_mosaic, lrn_curve_figure

# ipywidgets 8 has Stack, and its jslink-ed explorers work without a kernel (the HTML).
STACK_IN_BROWSER = hasattr(widgets, "Stack")


class _KernelStack(widgets.Box):
    """ipywidgets 7's stand-in for ``ipywidgets.Stack``: every child in a box, all but the
    selected one hidden (``layout.display = "none"``) by the kernel."""

    selected_index = traitlets.Int(0, allow_none=True)

    def __init__(self, children, selected_index: int = 0):
        super().__init__(list(children))
        self.observe(self._show, names=["selected_index", "children"])
        self.selected_index = selected_index
        self._show()

    def _show(self, change=None) -> None:
        for i, child in enumerate(self.children):
            child.layout.display = None if i == self.selected_index else "none"


def make_stack(children, selected_index: int = 0) -> widgets.Box:
    """A box showing only its child number ``selected_index``: ``ipywidgets.Stack`` under
    ipywidgets 8, the kernel-switched :class:`_KernelStack` under 7. Starts at 0 (an
    ``ipywidgets.Stack`` starts at None: nothing shown)."""
    if STACK_IN_BROWSER:
        return widgets.Stack(list(children), selected_index=selected_index)
    return _KernelStack(children, selected_index)


def link_index(select: widgets.Widget, stack: widgets.Box):
    """Make ``stack`` show the child chosen in ``select`` (its ``index``, not its value):
    a browser-side ``jslink`` under ipywidgets 8, a kernel-side ``link`` under 7. Both
    have ``source == (select, "index")`` and ``target == (stack, "selected_index")``."""
    ends = (select, "index"), (stack, "selected_index")
    return widgets.jslink(*ends) if STACK_IN_BROWSER else widgets.link(*ends)


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """``(name, content)`` of every file in a ``FileUpload``'s value, in upload order.

    ipywidgets 8: a tuple of dicts with ``name`` and ``content`` (a memoryview);
    ipywidgets 7: a dict ``{name: {"metadata": {"name": ...}, "content": bytes}}``.
    """
    if isinstance(value, dict):
        files = [(f.get("metadata", {}).get("name", name), f["content"])
                 for name, f in value.items()]
    else:
        files = [(f.get("name", "the file"), f["content"]) for f in value]
    return [(str(name), bytes(content)) for name, content in files]


def _handles(box: widgets.Box, controls, views, links=()) -> widgets.Box:
    """Attach the return convention's three attributes to ``box`` and return it."""
    box.controls, box.views, box.links = tuple(controls), tuple(views), list(links)
    return box


def _image_names(count: int, labels, classes) -> list[str]:
    if labels is None:
        return [f"image {i}" for i in range(count)]
    return [f"image {i}: {classes[int(label)]}" for i, label in enumerate(labels)]


# --- Feature maps (chapter 10): what each layer of the network sees ------------------------


def _column_wide() -> widgets.Layout:
    """A picture's layout that shrinks to the page's column and not beyond: no wider than
    its box, and without the 2 px margin ipywidgets gives every widget, which at full
    width would stick out of the box by 4 px and make it scroll."""
    return widgets.Layout(max_width="100%", margin="0")


def feature_map_explorer(model: nn.Module, images: torch.Tensor, labels=None,
                         layers=FEATURE_MAP_LAYERS, classes=CLASSES, ncols: int = 12,
                         tile: int = 64) -> widgets.VBox:
    """Pick an image and a layer, see every channel's feature map; works without a kernel.

    Every (image, layer) picture is computed now, as a small PNG: an outer stack holds
    one inner stack per image, each with one ``ipywidgets.Image`` per layer
    (:func:`make_stack`). The image menu's ``index`` is linked to the outer stack and to
    a stack of the input images, the layer menu's to every inner stack
    (:func:`link_index`). Under ipywidgets 8 the links run in the browser, so the
    explorer also works in a built HTML page, where no Python callback can run. Keep
    ``len(images) * len(layers)`` modest: every picture is stored in the notebook.

    Returns ``VBox([HBox([inputs, VBox([image_menu, layer_menu])]), maps])`` (the chosen
    input image beside the menus, the maps below at full width); ``controls`` are
    ``(image_menu, layer_menu)``, ``views`` ``(inputs, maps)``, ``links`` the
    ``2 + len(images)`` links.
    """
    layers = list(layers)
    activations = layer_activations(model, images, layers)
    layer_names = []
    for name in layers:
        shape = activations[name].shape[1:]
        layer_names.append(f"{name}: {shape[0]} maps of {shape[1]}x{shape[2]}"
                           if len(shape) == 3 else f"{name}: {shape[0]} values")
    image_names = _image_names(len(images), labels, classes)
    image_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(image_names)],
                                    value=0, description="image")
    layer_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(layer_names)],
                                    value=0, description="layer",
                                    layout=widgets.Layout(width="max-content"))
    inputs = make_stack(widgets.Image(value=png_bytes(enlarge(image)), format="png")
                        for image in images)
    maps = make_stack(
        make_stack(
            widgets.Image(
                value=png_bytes(feature_map_mosaic(as_maps(activations[name][i]),
                                                   ncols=ncols, tile=tile)),
                format="png", layout=_column_wide())
            for name in layers)
        for i in range(len(images)))
    links = [link_index(image_select, inputs), link_index(image_select, maps)]
    links += [link_index(layer_select, inner) for inner in maps.children]
    box = widgets.VBox([widgets.HBox([inputs, widgets.VBox([image_select, layer_select])]),
                        maps])
    return _handles(box, (image_select, layer_select), (inputs, maps), links)


def live_feature_maps(model: nn.Module, images: torch.Tensor, labels=None,
                      layers=FEATURE_MAP_LAYERS, classes=CLASSES, ncols: int = 12,
                      tile: int = 64) -> widgets.VBox:
    """The feature maps of any image, computed in the kernel when a control changes.

    Type the index of any of ``images``, pick a layer, or upload a photo of your own
    (resized to 32x32 by :func:`alexnet_lib.book.images.image_from_bytes`): the Python
    callbacks run the model and redraw. This needs a live kernel (Jupyter, Colab); in a
    static HTML page nothing happens, so the book shows :func:`feature_map_explorer`
    there. A file that is not an image gives a message, not a traceback.

    Returns ``VBox([HBox([input, VBox([index, layer, upload])]), message, maps])``;
    ``controls`` are ``(index, layer, upload)``, ``views`` ``(input, message, maps)``.
    """
    layers = list(layers)
    index = widgets.BoundedIntText(value=0, min=0, max=len(images) - 1, description="image")
    layer = widgets.Dropdown(options=layers, value=layers[0], description="layer")
    upload = widgets.FileUpload(accept="image/*", multiple=False, description="your image")
    message = widgets.HTML()
    shown_input = widgets.Image(format="png")
    shown_maps = widgets.Image(format="png", layout=_column_wide())
    current = {"image": images[0], "source": ""}

    def redraw(change=None):
        logits = list(named_layers(model))[-1]
        wanted = list(dict.fromkeys([layer.value, logits]))  # the logits layer may be asked
        output = layer_activations(model, current["image"][None], wanted)
        probabilities = output[logits][0].softmax(0)
        best = int(probabilities.argmax())
        maps = as_maps(output[layer.value][0])
        message.value = (f"{current['source']}: the network says <b>{classes[best]}</b> "
                         f"({float(probabilities[best]):.0%}); {layer.value} has "
                         f"{maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}")
        shown_input.value = png_bytes(enlarge(current["image"]))
        shown_maps.value = png_bytes(feature_map_mosaic(maps, ncols=ncols, tile=tile))

    def pick_index(change=None):
        i = index.value
        truth = f" ({classes[int(labels[i])]})" if labels is not None else ""
        current.update(image=images[i], source=f"image {i}{truth}")
        redraw()

    def pick_upload(change):
        files = uploaded_files(upload.value)
        if not files:
            return
        name, content = files[-1]
        name = html.escape(name)
        try:
            current.update(image=image_from_bytes(content), source=name)
        except ValueError as err:
            message.value = f"<b>{name}</b> is {html.escape(str(err))}. Try a photo."
            return
        redraw()

    index.observe(pick_index, names="value")
    layer.observe(redraw, names="value")
    upload.observe(pick_upload, names="value")
    pick_index()
    box = widgets.VBox([widgets.HBox([shown_input, widgets.VBox([index, layer, upload])]),
                        message, shown_maps])
    return _handles(box, (index, layer, upload), (shown_input, message, shown_maps))


# --- Local response normalization (chapter 04): a unit's output against its input ---------


def lrn_explorer(max_input: float = 500.0) -> widgets.HBox:
    """Sliders for LRN's k, n, alpha and beta and for the neighbours' activation, beside
    the curve of output against input activation (:func:`alexnet_lib.book.viz.lrn_curve_figure`),
    starting at the paper's constants (``layers.PAPER_LRN``).

    Built with ``ipywidgets.interactive``: in a live kernel every change of a slider
    redraws the curve (on release), under ipywidgets 7 and 8. Without a kernel (a built
    HTML page) moving a slider changes nothing: there the book shows
    :func:`alexnet_lib.book.lrn_views.lrn_curve_explorer`, which needs none. Each slider is
    wide enough for its label, track and readout, and the box wraps the picture below the
    sliders where the two do not fit side by side (squeezed, the readouts were clipped).
    Returns ``HBox([interactive, image])``; ``controls`` are the five sliders, ``views``
    ``(image,)``.
    """
    image = widgets.Image(format="png", layout=widgets.Layout(width="416px"))

    def draw(k, n, alpha, beta, neighbour):
        image.value = png_bytes(lrn_curve_figure(k, n, alpha, beta, neighbour,
                                                 max_input=max_input))

    def slider(kind, **kwargs):
        return kind(continuous_update=False, style={"description_width": "80px"},
                    layout=widgets.Layout(width="360px"), **kwargs)

    controls = widgets.interactive(
        draw,
        k=slider(widgets.FloatSlider, value=PAPER_LRN["k"], min=0.5, max=10.0, step=0.25,
                 description="k"),
        n=slider(widgets.IntSlider, value=PAPER_LRN["size"], min=1, max=15, description="n"),
        alpha=slider(widgets.FloatLogSlider, value=PAPER_LRN["alpha"], base=10, min=-6,
                     max=-2, step=0.25, readout_format=".1e", description="alpha"),
        beta=slider(widgets.FloatSlider, value=PAPER_LRN["beta"], min=0.0, max=1.5,
                    step=0.05, description="beta"),
        neighbour=slider(widgets.FloatSlider, value=0.0, min=0.0, max=max_input, step=10.0,
                         description="neighbours"),
    )
    if not image.value:  # ipywidgets 8's interactive draws once when built, 7's does not
        controls.update()
    sliders = controls.children[:-1]  # interactive's last child is its (unused) Output
    controls.layout.flex = "0 0 auto"  # keep the sliders' width; wrap the picture instead
    box = widgets.HBox([controls, image], layout=widgets.Layout(flex_flow="row wrap"))
    return _handles(box, sliders, (image,))


# --- Data augmentation (chapter 7): what the training pipeline does to one image ----------


def augmentation_preview(images: torch.Tensor, labels=None, augment=None, n_views: int = 8,
                         seed: int = 0, classes=CLASSES, ncols: int = 3,
                         scale: int = 3) -> widgets.VBox:
    """Pick an image, see it next to ``n_views`` random augmentations; works without a kernel.

    Every image's grid (:func:`alexnet_lib.book.viz.augmentation_grid`, the original first) is
    drawn now, as a small PNG in an ``ipywidgets.Image``; a stack holds one per image
    (:func:`make_stack`), and the menu's ``index`` is linked to it (:func:`link_index`),
    so under ipywidgets 8 choosing an image works in a built HTML page, where no Python
    runs. Image ``i``'s ``draw``-th views come from a generator seeded with
    ``rng.stream_seed(seed, "widgets", i, draw)``, so the grids repeat. The "new draws"
    button redraws the chosen image's grid with fresh
    random numbers: that is a Python callback, so it needs a live kernel (Jupyter, Colab).

    Returns ``VBox([HBox([menu, button, note]), stack])``; ``controls`` are ``(menu,
    button)``, ``views`` ``(stack,)``, ``links`` the one link. Keep ``len(images)`` small:
    every grid is stored in the notebook.
    """

    def grid_png(i: int, draw: int) -> bytes:
        generator = torch.Generator().manual_seed(stream_seed(seed, "widgets", i, draw))
        return png_bytes(augmentation_grid(images[i].cpu(), augment, n_views, generator,
                                           ncols=ncols, scale=scale))

    names = _image_names(len(images), labels, classes)
    select = widgets.Dropdown(options=[(name, i) for i, name in enumerate(names)], value=0,
                              description="image")
    button = widgets.Button(description="new draws", icon="refresh",
                            tooltip="redraw the augmentations (needs a running kernel)")
    stack = make_stack(widgets.Image(value=grid_png(i, 0), format="png")
                       for i in range(len(images)))
    draws = [0] * len(images)

    def redraw(_button=None):
        i = select.index
        draws[i] += 1
        stack.children[i].value = grid_png(i, draws[i])
        stack.selected_index = i  # a jslink is browser-side: keep the kernel's view in step

    button.on_click(redraw)
    note = widgets.Label("top left: the image; the others: random augmentations of it")
    box = widgets.VBox([widgets.HBox([select, button, note]), stack])
    return _handles(box, (select, button), (stack,), [link_index(select, stack)])
