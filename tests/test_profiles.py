import pytest

from alexnet_lib import profiles
from alexnet_lib.profiles import PROFILES, default_profile_name, get_profile


def test_named_profiles_exist_and_grow():
    assert set(PROFILES) == {"smoke", "quick", "full"}
    smoke, quick, full = (PROFILES[n] for n in ("smoke", "quick", "full"))
    assert smoke.train_size < 10_000 and quick.train_size is None and full.train_size is None
    assert smoke.epochs <= quick.epochs <= full.epochs
    assert full.width == 1.0


def test_env_var_picks_profile(monkeypatch):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    assert get_profile().name == "smoke"
    assert default_profile_name() == "smoke"


def test_default_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    monkeypatch.setattr(profiles.torch.cuda, "is_available", lambda: False)
    assert get_profile().name == "quick"
    monkeypatch.setattr(profiles.torch.cuda, "is_available", lambda: True)
    assert get_profile().name == "full"


def test_unknown_profile_says_what_exists():
    with pytest.raises(ValueError, match="smoke, quick, full"):
        get_profile("huge")


def test_replace_makes_a_changed_copy():
    p = get_profile("smoke").replace(epochs=1)
    assert p.epochs == 1 and PROFILES["smoke"].epochs != 1
