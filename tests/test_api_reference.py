"""The documentation's API reference and command pages cover exactly the public names and the commands.

The reference is generated from ``__all__`` of the public modules by ``docs/_ext/api_reference.py``
and the command pages from the argument parser by ``docs/_ext/cli_pages.py``: the fast tests run
those generators into a temporary folder and read what they wrote; the slow one builds the site.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sklearn_emotion.cli._parser import COMMANDS

REPO_DIR = Path(__file__).resolve().parents[1]
DOCS = REPO_DIR / "docs"
AUTOSUMMARY = re.compile(r"^\.\. autosummary::\n((?:   :[\w-]+:.*\n)*)\n((?:   \S.*\n)+)", re.MULTILINE)


def _extension(name: str):
    """A module of docs/_ext, loaded from its file (no sys.path change)."""
    spec = importlib.util.spec_from_file_location(f"_docs_ext_{name}", DOCS / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def api_reference():
    return _extension("api_reference")


def _all_names(modules) -> set[tuple[str, str]]:
    """(module, name) for every name of every public module's ``__all__``."""
    return {(m, name) for m in modules for name in importlib.import_module(m).__all__}


def _listed(page: str) -> tuple[list[str], list[str]]:
    """The names a module page documents (autosummary with a toctree) and those it links to elsewhere."""
    own, linked = [], []
    for options, entries in AUTOSUMMARY.findall(page):
        names = [line.strip() for line in entries.splitlines()]
        (own if ":toctree:" in options else linked).extend(names)
    return own, linked


def test_the_reference_lists_every_public_name_and_nothing_else(api_reference, tmp_path):
    modules = api_reference.PUBLIC_MODULES
    api_reference.write_reference(tmp_path)
    listed, pages = set(), []
    for module in modules:
        own, linked = _listed((tmp_path / "api" / f"{module}.rst").read_text())
        listed |= {(module, name) for name in own}
        for full_name in linked:  # "~home.name": documented on home's page, same object
            home, _, name = full_name.lstrip("~").rpartition(".")
            assert home in modules and (home, name) != (module, name)
            assert getattr(importlib.import_module(home), name) is getattr(importlib.import_module(module), name)
            listed.add((module, name))
        pages += [f"{module}.{name}" for name in own]
    expected = _all_names(modules)
    assert listed - expected == set(), "documented but not in any __all__"
    assert expected - listed == set(), "in an __all__ but not in the reference"
    # One page per public object: no name documented twice, and the generator's stub list is the same.
    assert len(pages) == len(set(pages))
    assert set(pages) == set(api_reference.stub_names(api_reference.public_names(modules)))
    toctree = (tmp_path / "api" / api_reference.MODULE_TOCTREE).read_text()
    assert toctree.count(".. toctree::") == 1
    assert [line.strip() for line in toctree.split(".. toctree::")[1].splitlines()[4:]] == list(modules)


def test_the_top_level_names_have_their_page_there(api_reference):
    names = api_reference.public_names()
    pages = set(api_reference.stub_names(names))
    import sklearn_emotion

    for name in sklearn_emotion.__all__:
        assert f"sklearn_emotion.{name}" in pages  # e.g. sklearn_emotion.GRUMoERegressor.html
    kinds = {n.name: n.kind for n in names if n.module == "sklearn_emotion"}
    assert kinds["GRUMoERegressor"] == "class" and kinds["show_versions"] == "function"
    assert kinds["__version__"] == "data"


def test_a_name_exported_twice_is_documented_once_where_first_listed(api_reference):
    names = api_reference.public_names(["sklearn_emotion", "sklearn_emotion.windowing"])
    homes = {(n.module, n.name): n.home for n in names}
    assert homes[("sklearn_emotion.windowing", "Windower")] == "sklearn_emotion"
    assert api_reference.stub_names(names).count("sklearn_emotion.Windower") == 1
    page = api_reference.module_page("sklearn_emotion.windowing", names)
    assert _listed(page) == ([], ["~sklearn_emotion.Windower", "~sklearn_emotion.WindowedMovies"])


def test_pages_of_names_no_longer_public_are_removed(api_reference, tmp_path):
    stale = [tmp_path / "api" / "generated" / "sklearn_emotion.Gone.rst", tmp_path / "api" / "sklearn_emotion.gone.rst"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stale\n")
    api_reference.write_reference(tmp_path, ["sklearn_emotion.ensemble"])
    assert not any(path.exists() for path in stale)
    assert (tmp_path / "api" / "sklearn_emotion.ensemble.rst").is_file()


def test_every_command_has_a_page_with_its_help(tmp_path):
    cli_pages = _extension("cli_pages")
    written = cli_pages.write_command_pages(tmp_path)
    commands = [name for name, *_ in COMMANDS]
    assert written == commands
    assert {p.stem for p in (tmp_path / "commands").glob("*.rst")} == {*commands, "index"}
    index = (tmp_path / "commands" / "index.rst").read_text()
    for name in commands:
        page = (tmp_path / "commands" / f"{name}.rst").read_text()
        assert f"usage: sklearn-emotion {name}" in page
        assert f":doc:`{name}`" in index
    assert "usage: sklearn-emotion annotations merge" in (tmp_path / "commands" / "annotations.rst").read_text()


@pytest.mark.subprocess
def test_the_site_builds_without_warnings_with_one_page_per_public_name(api_reference, tmp_path):
    """The CI command on a copy of docs/ (the build writes its generated pages into its source folder)."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[docs]'")
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "generated", "auto_examples", "commands",
                                                                "sklearn_emotion*.rst", "__pycache__"))
    html = tmp_path / "html"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(DOCS),
                             str(source), str(html)], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-5000:]
    pages = {p.stem for p in (html / "api" / "generated").glob("*.html")}
    assert pages == set(api_reference.stub_names(api_reference.public_names()))
    assert {p.stem for p in (html / "commands").glob("*.html")} == {*(name for name, *_ in COMMANDS), "index"}
    gallery = (html / "auto_examples" / "quickstart.html").read_text()
    assert "GRU+MoE+Butterworth" in gallery and "sphx_glr_quickstart_001.png" in gallery  # its run's table, figure
