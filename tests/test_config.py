"""The run config: the named profiles, checked values, dotted overrides parsed strictly."""

import dataclasses
import math
import subprocess
import sys

import pytest

from alexnet_lib.config import (
    PROFILES,
    DataConfig,
    ModelConfig,
    Recipe,
    RunConfig,
    get_profile,
    replace_dotted,
)
from alexnet_lib.errors import ConfigError, UserError
from alexnet_lib.rng import stream_seed


def test_the_cifar_profiles_grow_from_smoke_to_full():
    smoke, quick, full = (PROFILES[n] for n in ("smoke", "quick", "full"))
    assert smoke.data.train_size < 10_000 and quick.data.train_size is None
    assert smoke.recipe.epochs <= quick.recipe.epochs <= full.recipe.epochs
    assert smoke.model.width <= quick.model.width <= full.model.width == 1.0
    assert all(PROFILES[n].data.source == "cifar10" for n in ("smoke", "quick", "full"))
    assert all(PROFILES[n].name == n for n in PROFILES)


def test_the_paper_profile_is_section_5_on_photographs():
    paper = get_profile("paper")
    m, d, r = paper.model, paper.data, paper.recipe
    assert (m.arch, m.groups, m.init) == ("AlexNet", 2, "paper")
    assert (d.source, d.image_size, d.crop_size) == ("imagefolder", 256, 227)
    assert (r.epochs, r.batch_size, r.lr, r.momentum, r.weight_decay) == (90, 128, 0.01, 0.9,
                                                                          5e-4)
    assert (r.schedule, r.plateau_factor, r.reference_batch) == ("plateau", 0.1, 128)


def test_get_profile_needs_a_name_and_says_what_exists():
    with pytest.raises(TypeError):
        get_profile()  # the default depends on the hardware: precision.default_profile_name
    with pytest.raises(UserError, match="smoke, quick, full, paper"):
        get_profile("huge")
    config = get_profile("smoke").replace(seed=4)
    assert get_profile(config) is config  # a RunConfig passes through


def test_config_imports_no_torch():
    code = "import sys, alexnet_lib.config; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_replace_by_dotted_name_makes_a_changed_copy():
    base = get_profile("smoke")
    c = base.replace(seed=3, **{"model.dropout": 0.0, "recipe.epochs": 1})
    assert (c.seed, c.model.dropout, c.recipe.epochs) == (3, 0.0, 1)
    assert base.model.dropout == 0.5 and base.recipe.epochs != 1 and base.seed == 0
    assert c.model.width == base.model.width and c.data == base.data


@pytest.mark.parametrize(("change", "message"), [
    ({"model.dropuot": 0.0}, "unknown field model.dropuot"),
    ({"modle.dropout": 0.0}, "unknown config part 'modle'"),
    ({"epochs": 3}, "unknown config field 'epochs'"),
])
def test_a_typo_in_an_override_raises(change, message):
    with pytest.raises(ConfigError, match=message):
        get_profile("smoke").replace(**change)


# every one of these, as --set KEY=VALUE gives it (a string), names its field
BAD_OVERRIDES = [
    ("recipe.epochs", "0", "recipe.epochs"),
    ("recipe.epochs", "2.5", "recipe.epochs"),
    ("recipe.epochs", "abc", "recipe.epochs"),
    ("model.width", "0", "model.width"),
    ("recipe.lr", "-1", "recipe.lr"),
    ("recipe.lr", "nan", "recipe.lr"),
    ("recipe.lr", "inf", "recipe.lr"),
    ("model.dropout", "1.5", "model.dropout"),
    ("recipe.batch_size", "0", "recipe.batch_size"),
    ("data.val_size", "50000", "data.val_size"),
    ("data.train_size", "999999999", "data.train_size"),
    ("data.test_size", "0", "data.test_size"),
    ("data.crop_padding", "-20", "data.crop_padding"),
    ("model.num_classes", "5", "model.num_classes"),
    ("data.flip", "maybe", "data.flip"),
    ("seed", "x", "seed"),
    ("seed", "-1", "seed"),
    ("model", "1", "model"),
]


@pytest.mark.parametrize(("key", "value", "field"), BAD_OVERRIDES,
                         ids=[f"{k}={v}" for k, v, _ in BAD_OVERRIDES])
def test_a_bad_value_is_one_config_error_naming_its_field(key, value, field):
    with pytest.raises(ConfigError) as err:
        get_profile("smoke").replace(**{key: value})
    message = str(err.value)
    assert field in message and "\n" not in message


@pytest.mark.parametrize("bad", [{"recipe.epochs": 2.5}, {"recipe.epochs": True},
                                 {"recipe.lr": math.nan}, {"model.dropout": 1.0},
                                 {"data.flip": 0}])
def test_values_given_as_python_objects_are_checked_too(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        get_profile("smoke").replace(**bad)


@pytest.mark.parametrize(("text", "value"), [("false", False), ("False", False), ("0", False),
                                             ("no", False), ("true", True), ("1", True),
                                             ("yes", True)])
def test_booleans_from_the_command_line_mean_what_they_say(text, value):
    c = get_profile("smoke").replace(**{"data.flip": text, "recipe.nesterov": text})
    assert c.data.flip is value and c.recipe.nesterov is value


def test_strings_are_parsed_as_each_fields_type():
    c = get_profile("smoke").replace(seed="7", **{
        "model.width": "0.5", "recipe.epochs": "3", "data.train_size": "null",
        "recipe.reference_batch": "None", "model.lrn": "none", "recipe.lr": "1e-3"})
    assert (c.seed, c.model.width, c.recipe.epochs) == (7, 0.5, 3)
    assert c.data.train_size is None and c.recipe.reference_batch is None
    assert c.model.lrn == "none" and c.recipe.lr == 0.001
    assert isinstance(c.model.width, float) and isinstance(c.recipe.epochs, int)
    # an int where a float is wanted becomes a float; a field that takes no None refuses it
    assert get_profile("smoke").replace(**{"recipe.lr": 1}).recipe.lr == 1.0
    with pytest.raises(ConfigError, match="recipe.epochs"):
        get_profile("smoke").replace(**{"recipe.epochs": "null"})


def test_the_parts_check_their_fields_when_built():
    with pytest.raises(ConfigError, match="model.lrn='caffe'.*paper, constant, none"):
        ModelConfig(lrn="caffe")
    with pytest.raises(ConfigError, match="data.source='imagenet'"):
        DataConfig(source="imagenet")
    with pytest.raises(ConfigError, match="recipe.schedule='cosine'"):
        Recipe(schedule="cosine")
    with pytest.raises(ConfigError, match="model=.*model.arch="):
        RunConfig("x", model={"width": 1.0})
    # a photograph's crop must fit its image; CIFAR-10's sizes are bounded by the set
    with pytest.raises(ConfigError, match="data.crop_size=300"):
        DataConfig(source="imagefolder", image_size=256, crop_size=300)
    assert DataConfig(source="imagefolder", val_size=None, train_size=10**9).train_size == 10**9


def test_the_paper_network_does_not_take_cifar10():
    with pytest.raises(ConfigError, match="model.arch=AlexNet takes 227x227"):
        get_profile("smoke").replace(**{"model.arch": "AlexNet"})
    # on photographs it does, and any number of classes
    folders = get_profile("paper").replace(**{"model.num_classes": 5})
    assert folders.model.num_classes == 5


def test_round_trip_through_a_dict_and_the_printed_form():
    c = get_profile("quick").replace(seed=2, **{"model.lrn": "none"})
    assert RunConfig.from_dict(c.to_dict()) == c
    paper = get_profile("paper")
    assert RunConfig.from_dict(paper.to_dict()) == paper
    text = str(c)
    assert "lrn=none" in text and "lr=0.04" in text and "seed 2" in text
    # each source prints its own fields: no photograph sizes for CIFAR-10, and back
    assert "crop_size" not in text and "crop_padding=4" in text
    assert "plateau_patience" not in text and "plateau_patience=5" in str(paper)
    assert "crop_size=227" in str(paper) and "crop_padding" not in str(paper)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 1


def test_from_dict_reads_older_records_and_refuses_foreign_ones():
    old = {"name": "quick", "seed": 1,
           "model": {"name": "AlexNetCIFAR", "width": 0.25, "lrn": "paper"}}
    c = RunConfig.from_dict(old)
    assert c.model.arch == "AlexNetCIFAR" and c.model.width == 0.25 and c.seed == 1
    # written before dropout_placement existed: the dropout was torchvision's then
    assert c.model.dropout_placement == "torchvision"
    assert c.data == DataConfig() and c.recipe == Recipe()  # today's defaults
    with pytest.raises(ConfigError, match="not a run configuration"):
        RunConfig.from_dict({"model": {}, "recipe": {"epoch": 3}})
    with pytest.raises(ConfigError, match="recipe.epochs=0"):
        RunConfig.from_dict({"model": {}, "recipe": {"epochs": 0}})


def test_replace_dotted_changes_nothing_it_is_not_asked_to():
    config = get_profile("paper")
    assert replace_dotted(config, {}) == config
    changed = replace_dotted(config, {"data.root": "/photos", "recipe.epochs": "2"})
    assert changed.data.root == "/photos" and changed.recipe.epochs == 2
    assert changed.data.source == "imagefolder" and changed.model == config.model
    assert config.data.root == "data/imagenet"  # the original is untouched


def test_random_streams_are_independent_and_repeatable():
    seeds = {stream_seed(s, name, e) for s in range(3) for name in ("data", "dropout")
             for e in range(50)}
    assert len(seeds) == 3 * 2 * 50  # no two (seed, stream, epoch) share a seed
    assert stream_seed(0, "data", 1) == stream_seed(0, "data", 1)
    with pytest.raises(ValueError):
        stream_seed(0, "typo")
