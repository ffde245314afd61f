"""Packaging: environment.yml must list what pyproject.toml lists, so conda/Binder users get
the same; the training core never imports the book's helpers (alexnet_lib.book)."""

import ast
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


def test_the_package_list_includes_the_subpackages():
    from setuptools.discovery import PEP420PackageFinder

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = PEP420PackageFinder.find(str(ROOT), include=find["packages"]["find"]["include"])
    assert {"alexnet_lib", "alexnet_lib.book"} <= set(found)
    assert all(name.startswith("alexnet_lib") for name in found)


def _imported_modules(path: Path, package: str) -> set[str]:
    """Every module ``path`` (a module of ``package``) imports, by absolute name; ``from X
    import name`` counts as importing both ``X`` and ``X.name`` (name may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_the_training_core_never_imports_the_books_helpers():
    core = [(path, "alexnet_lib") for path in sorted((ROOT / "alexnet_lib").glob("*.py"))]
    core += [(path, "alexnet_lib.data")
             for path in sorted((ROOT / "alexnet_lib" / "data").glob("*.py"))]
    assert len(core) > 10
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported)
        for path, package in core
        if (imported := {m for m in _imported_modules(path, package)
                         if m == "alexnet_lib.book" or m.startswith("alexnet_lib.book.")})
    }
    assert offenders == {}, f"the training core imports alexnet_lib.book: {offenders}"


def test_the_import_check_sees_every_spelling_of_the_book():
    spellings = {"from .book import viz": "alexnet_lib", "from . import book": "alexnet_lib",
                 "from ..book.viz import plot_history": "alexnet_lib.data",
                 "import alexnet_lib.book.scorecard": "alexnet_lib",
                 "from alexnet_lib import book": "alexnet_lib"}
    for source, package in spellings.items():
        imported = _imported_modules(_Source(source), package)
        assert any(m.startswith("alexnet_lib.book") for m in imported), source
    assert not any(m.startswith("alexnet_lib.book") for m in _imported_modules(
        _Source("from .precision import default_device\nimport bookkeeping"), "alexnet_lib"))


class _Source:
    """Stands in for a Path in :func:`_imported_modules`: source text, no file."""

    def __init__(self, text: str):
        self.text = text

    def read_text(self) -> str:
        return self.text

    def __str__(self) -> str:
        return "<test>"


# The training core, bottom to top: each module may import only modules listed before it
# (the README lists them in this order). A new module goes in its place here.
CORE_ORDER = ["errors", "rng", "precision", "schedule", "atomic", "fields", "config",
              "layers", "models", "augment", "distributed", "data.stats", "data.cifar10",
              "data.folders", "data.loader", "data", "metrics", "probes", "checkpoint",
              "record", "sgd", "train", "run", "evaluate", "__main__"]
OUTSIDE_THE_ORDER = {"__init__", "optim"}  # the version, and chapter 9's teaching SGD


def _core_modules() -> dict[str, Path]:
    paths = {p.stem: p for p in (ROOT / "alexnet_lib").glob("*.py")}
    paths |= {f"data.{p.stem}": p for p in (ROOT / "alexnet_lib" / "data").glob("*.py")}
    paths["data"] = paths.pop("data.__init__")
    return paths


def test_every_core_module_has_its_place_in_the_order():
    assert set(_core_modules()) - OUTSIDE_THE_ORDER == set(CORE_ORDER)


def test_core_modules_import_only_what_stands_below_them():
    """No import circles, and the layering the README describes: checked from the source,
    lazy imports inside functions included."""
    paths = _core_modules()
    wrong = {}
    for position, name in enumerate(CORE_ORDER):
        package = "alexnet_lib.data" if name.startswith("data") else "alexnet_lib"
        below = {f"alexnet_lib.{n}" for n in CORE_ORDER[:position]} | {"alexnet_lib"}
        ours = {m for m in _imported_modules(paths[name], package)
                if m.startswith("alexnet_lib") and m.removeprefix("alexnet_lib.").split(".")[0]
                in {n.split(".")[0] for n in CORE_ORDER} | {"alexnet_lib"}}
        # "from .cifar10 import CLASSES" also yields "alexnet_lib.data.cifar10.CLASSES"
        modules = {m for m in ours if m.removeprefix("alexnet_lib.") in CORE_ORDER
                   or m == "alexnet_lib"}
        if modules - below:
            wrong[name] = sorted(modules - below)
    assert wrong == {}, f"imports from above (or circles): {wrong}"


def test_core_modules_stay_short():
    """Below 350 lines a module, 60 lines a function (DESIGN.md)."""
    long_modules, long_functions = {}, {}
    for name, path in _core_modules().items():
        text = path.read_text()
        if text.count("\n") > 350:
            long_modules[name] = text.count("\n")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long_functions[f"{name}.{node.name}"] = length
    assert long_modules == {} and long_functions == {}, (long_modules, long_functions)


def test_the_readme_and_the_book_package_name_every_book_module():
    """A new module of alexnet_lib.book is named where the next engineer looks first."""
    readme = (ROOT / "README.md").read_text()
    init = (ROOT / "alexnet_lib" / "book" / "__init__.py").read_text()
    modules = sorted(p.stem for p in (ROOT / "alexnet_lib" / "book").glob("*.py")
                     if p.stem != "__init__")
    assert [m for m in modules if f"`{m}`" not in readme] == [], "missing from README.md"
    assert [m for m in modules if f"``{m}``" not in init] == [], (
        "missing from alexnet_lib/book/__init__.py's docstring")
