"""The ablation rows: the paper's claims, one ingredient of ``AlexNetCIFAR`` switched at a time.

Each row is a set of named overrides of a :class:`~alexnet_lib.config.RunConfig`, so a row's
record states exactly what it changed. ``benchmarks/ablations.py`` trains the rows (several
seeds each, paired with the baseline's); ``tools/records.py`` makes the README's and the
book's tables from their records.
"""

from __future__ import annotations

from ..config import RunConfig
from ..errors import ConfigError

PAPER_SCALE = {"model.input_scale": "paper", "recipe.lr": 0.004}

# row name -> (what the paper says, dotted overrides of the RunConfig)
ROWS: dict[str, tuple[str, dict]] = {
    "baseline": ("all of the paper's ingredients on", {}),
    "tanh": ("ReLU trains ~6x faster than tanh (Figure 1)", {"model.activation": "tanh"}),
    "no_lrn": ("LRN cuts error 13% -> 11% (section 3.3)", {"model.lrn": "none"}),
    # the control: LRN's constant gain k^-beta alone, without the normalization, so the
    # scorecard separates what normalizing does from what rescaling does
    "lrn_constant": ("control: LRN's gain k^-beta alone, no normalization",
                     {"model.lrn": "constant"}),
    "no_overlap": ("overlapping pools: -0.4% top-1 error (section 3.4)",
                   {"model.overlap_pool": False}),
    "no_dropout": ("without dropout, substantial overfitting (section 4.2)",
                   {"model.dropout": 0.0}),
    "dropout_torchvision": ("torchvision's placement: dropout on fc6's and fc7's inputs",
                            {"model.dropout_placement": "torchvision"}),
    "no_augment": ("without augmentation, substantial overfitting (section 4.1)",
                   {"data.crop_padding": 0, "data.flip": False, "data.lighting": 0.0}),
    "no_lighting": ("PCA lighting: -1% top-1 error (section 4.1)", {"data.lighting": 0.0}),
    "shallower": ("removing any middle conv layer: about -2% top-1 (section 7)",
                  {"model.middle_convs": 2}),
    # The paper's input scale, 0..255 minus the mean (section 2), where LRN's constants
    # bite (chapter 4). It needs a smaller learning rate: conv1 learns ~63^2 times faster
    # relative to its weights there; the rate is the best on validation accuracy of
    # benchmarks/input_scale.py's pilot (data/records/quick-cpu/input-scale/).
    "paper_scale": ("the paper's inputs: 0..255 minus the mean (section 2)", PAPER_SCALE),
    "paper_scale_no_lrn": ("LRN at the paper's input scale (section 3.3)",
                           {**PAPER_SCALE, "model.lrn": "none"}),
    "paper_scale_lrn_constant": ("control at the paper's input scale: k^-beta alone",
                                 {**PAPER_SCALE, "model.lrn": "constant"}),
}


# Rows compared with another row than the baseline: the row a row's seed-s run is paired
# with, where the one thing switched off is only meaningful at another setting.
REFERENCES: dict[str, str] = {"paper_scale_no_lrn": "paper_scale",
                               "paper_scale_lrn_constant": "paper_scale"}


def reference(name: str) -> str:
    """The row that row ``name`` is paired with in the scorecard: "baseline" unless
    :data:`REFERENCES` names another (the baseline itself is its own reference)."""
    return REFERENCES.get(name, "baseline")


def row_config(base: RunConfig, name: str) -> RunConfig:
    """``base`` with row ``name``'s overrides: the run that row trains (seed and all else kept)."""
    try:
        _, overrides = ROWS[name]
    except KeyError:
        raise ConfigError(f"unknown ablation row {name!r}: one of {', '.join(ROWS)}") from None
    return base.replace(**overrides)


# Regimes: the same profile with the data and schedule changed, so that the scorecard's
# regularization rows are also tested where the network overfits. The `quick` recipe
# underfits (eval-mode training accuracy about 83%), leaving little for dropout and
# augmentation to do. "overfit": a 10,000-image subset for 80 epochs, the same number of
# images seen as quick's 18 epochs over 45,000; in the one-seed pilot (quick's
# network) every regularizer on reached 95.2% training accuracy and a 20.8-point train -
# test gap, and without dropout 98.7% and 24.0 points.
REGIMES: dict[str, dict] = {
    "standard": {},
    "overfit": {"data.train_size": 10_000, "recipe.epochs": 80},
}
# the rows that test regularization, the ones a regime is for
REGULARIZATION_ROWS = ("baseline", "no_dropout", "dropout_torchvision", "no_augment",
                       "no_lighting", "no_overlap")


def regime_config(base: RunConfig, regime: str) -> RunConfig:
    """``base`` in ``regime`` (:data:`REGIMES`)."""
    try:
        return base.replace(**REGIMES[regime])
    except KeyError:
        raise ConfigError(f"unknown regime {regime!r}: one of {', '.join(REGIMES)}") from None
