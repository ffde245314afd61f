import dataclasses

import pytest

from alexnet_lib import config as config_module
from alexnet_lib.config import PROFILES, RunConfig, default_profile_name, get_profile
from alexnet_lib.errors import ConfigError, UserError
from alexnet_lib.rng import stream_seed


def test_named_profiles_exist_and_grow():
    assert set(PROFILES) == {"smoke", "quick", "full"}
    smoke, quick, full = (PROFILES[n] for n in ("smoke", "quick", "full"))
    assert smoke.data.train_size < 10_000 and quick.data.train_size is None
    assert smoke.recipe.epochs <= quick.recipe.epochs <= full.recipe.epochs
    assert full.model.width == 1.0


def test_env_var_picks_profile(monkeypatch):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    assert get_profile().name == "smoke"
    assert default_profile_name() == "smoke"


def test_default_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    monkeypatch.setattr(config_module.torch.cuda, "is_available", lambda: False)
    assert get_profile().name == "quick"
    monkeypatch.setattr(config_module.torch.cuda, "is_available", lambda: True)
    assert get_profile().name == "full"


def test_unknown_profile_says_what_exists():
    with pytest.raises(UserError, match="smoke, quick, full"):
        get_profile("huge")


def test_replace_by_dotted_name_makes_a_changed_copy():
    base = get_profile("smoke")
    c = base.replace(seed=3, **{"model.dropout": 0.0, "recipe.epochs": 1})
    assert (c.seed, c.model.dropout, c.recipe.epochs) == (3, 0.0, 1)
    assert base.model.dropout == 0.5 and base.recipe.epochs != 1 and base.seed == 0
    assert c.model.width == base.model.width and c.data == base.data


@pytest.mark.parametrize("change", [{"model.dropuot": 0.0}, {"modle.dropout": 0.0},
                                    {"epochs": 3}])
def test_a_typo_in_an_override_raises(change):
    with pytest.raises(ConfigError):
        get_profile("smoke").replace(**change)


def test_round_trip_through_a_dict_and_the_printed_form():
    c = get_profile("quick").replace(seed=2, **{"model.lrn": "none"})
    assert RunConfig.from_dict(c.to_dict()) == c
    text = str(c)
    assert "lrn=none" in text and "lr=0.04" in text and "seed 2" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 1


def test_build_model_matches_the_config_and_depends_only_on_the_seed():
    c = get_profile("smoke")
    a, b = c.build_model(), c.build_model()
    assert a.config == dataclasses.asdict(c.model)
    assert all((p == q).all() for p, q in zip(a.parameters(), b.parameters(), strict=True))
    other = c.replace(seed=1).build_model()
    assert not (next(other.parameters()) == next(a.parameters())).all()


def test_random_streams_are_independent_and_repeatable():
    seeds = {stream_seed(s, name, e) for s in range(3) for name in ("data", "dropout")
             for e in range(50)}
    assert len(seeds) == 3 * 2 * 50  # no two (seed, stream, epoch) share a seed
    assert stream_seed(0, "data", 1) == stream_seed(0, "data", 1)
    with pytest.raises(ValueError):
        stream_seed(0, "typo")
