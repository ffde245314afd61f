"""environment.yml must list what pyproject.toml lists, so conda/Binder users get the same."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def names_and_specs(requirements):
    return {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower(): r.replace(" ", "")
            for r in requirements}


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["book"])
    dev = project["optional-dependencies"]["dev"]
    wanted += [r for r in dev if not r.startswith("alexnet_lib")]
    listed = re.findall(r'^\s+- "([^"]+)"', (ROOT / "environment.yml").read_text(), re.M)
    listed = names_and_specs(r for r in listed if not r.startswith("-e"))
    assert listed == names_and_specs(wanted)


def test_torch_pins_admit_the_offline_builds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = names_and_specs(project["dependencies"])
    from packaging.specifiers import SpecifierSet

    assert "2.14.1" in SpecifierSet(specs["torch"][len("torch"):])
    assert "0.29.1" in SpecifierSet(specs["torchvision"][len("torchvision"):])
