"""The diagram of chapter 1 (alexnet_lib.book.pipeline_diagram): the traditional pipeline
set against AlexNet's learned stack."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib.book import pipeline_diagram  # noqa: E402
from alexnet_lib.book.pipeline_diagram import HOW, TRADITIONAL, alexnet_stages  # noqa: E402
from alexnet_lib.models import AlexNet, AlexNetCIFAR  # noqa: E402


def teardown_function():
    plt.close("all")


def box_colours(ax) -> list:
    return [p.get_facecolor() for p in ax.patches
            if isinstance(p, matplotlib.patches.FancyBboxPatch)]


def test_the_paper_default_is_what_the_model_gives():
    # the stages drawn without a model are the ones read from the library's AlexNet
    assert alexnet_stages() == alexnet_stages(AlexNet())
    names = [s["name"] for s in alexnet_stages()]
    assert names == ["image", "conv1-conv5", "fc6, fc7", "fc8 + softmax", "label"]


def test_the_stages_are_read_from_the_model():
    cifar = AlexNetCIFAR(width=0.25)
    stages = {s["name"]: s for s in alexnet_stages(cifar)}
    assert stages["image"]["note"] == "32x32x3"
    assert "10 class" in stages["fc8 + softmax"]["examples"]
    units = next(m.out_features for m in cifar.classifier
                 if isinstance(m, torch.nn.Linear))
    assert stages["fc6, fc7"]["note"] == f"{units} units each"
    conv1 = cifar.features[0].out_channels
    assert stages["conv1-conv5"]["note"].startswith(f"32x32x{conv1} ...")


def test_only_the_classifier_learns_from_labels_in_the_traditional_pipeline():
    fig = pipeline_diagram.plot_pipelines()
    assert fig.trained_on_labels == {
        "traditional": ["linear classifier"],
        "alexnet": ["conv1-conv5", "fc6, fc7", "fc8 + softmax"]}
    hows = [s["how"] for s in TRADITIONAL]
    assert hows == ["data", "designed", "unsupervised", "labels", "data"]


def test_the_figure_draws_every_stage_in_its_colour():
    fig = pipeline_diagram.plot_pipelines(AlexNet())
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    drawn = fig.pipelines["traditional"] + fig.pipelines["alexnet"]
    for stage in drawn:
        assert stage["name"] in texts and stage["examples"] in texts
    expected = [matplotlib.colors.to_rgba(HOW[s["how"]][1]) for s in drawn]
    assert box_colours(ax) == expected
    # the stages of a row go left to right, one step apart, and an arrow joins each pair
    for stages in fig.pipelines.values():
        xs = [s["x"] for s in stages]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
    arrows = [a for a in ax.texts if isinstance(a, matplotlib.text.Annotation)]
    assert len(arrows) == sum(len(stages) - 1 for stages in fig.pipelines.values())
    # the legend names every kind of stage
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [label for label, _ in HOW.values()]


@pytest.mark.parametrize("how", ["labels", "designed"])
def test_the_legend_colours_match_the_boxes(how):
    fig = pipeline_diagram.plot_pipelines()
    (ax,) = fig.axes
    legend = {t.get_text(): h.get_facecolor()
              for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles,
                              strict=True)}
    label, colour = HOW[how]
    assert legend[label] == matplotlib.colors.to_rgba(colour)
