"""The scorecard's regimes: the same profile with the data and schedule changed."""

import pytest

from alexnet_lib.book.ablations import REGIMES, REGULARIZATION_ROWS, ROWS, regime_config
from alexnet_lib.config import get_profile
from alexnet_lib.errors import ConfigError


def test_the_overfit_regime_changes_only_the_subset_and_the_schedule():
    quick = get_profile("quick")
    overfit = regime_config(quick, "overfit")
    assert overfit.data.train_size == 10_000 and overfit.recipe.epochs == 80
    assert overfit.replace(**{"data.train_size": quick.data.train_size,
                              "recipe.epochs": quick.recipe.epochs}) == quick
    # the same number of training images seen as quick's whole schedule, within 2%
    seen = 10_000 * 80 / (45_000 * quick.recipe.epochs)
    assert seen == pytest.approx(1.0, abs=0.02)


def test_the_standard_regime_is_the_profile_and_unknown_ones_are_refused():
    assert regime_config(get_profile("quick"), "standard") == get_profile("quick")
    with pytest.raises(ConfigError, match="unknown regime"):
        regime_config(get_profile("quick"), "longer")
    assert set(REGULARIZATION_ROWS) <= set(ROWS) and "overfit" in REGIMES
