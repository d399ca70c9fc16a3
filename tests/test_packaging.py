"""The release's metadata agree: version, licence, citation, changelog (the built wheel: .ci/smoke_wheel.sh)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import sklearn_emotion

REPO_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="tomllib (Python >= 3.11) reads pyproject.toml")
    return tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def citation() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads CITATION.cff")  # not a dependency of the package
    return yaml.safe_load((REPO_DIR / "CITATION.cff").read_text(encoding="utf-8"))


def test_package_version_is_the_projects(project):
    assert sklearn_emotion.__version__ == project["version"]


def test_license_file_is_the_declared_bsd_3_clause(project):
    assert project["license"] == "BSD-3-Clause"
    text = (REPO_DIR / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) 2026, the sklearn-emotion developers" in text
    assert "3. Neither the name of the copyright holder" in text  # the third clause


def test_citation_cites_this_release_and_the_paper(project, citation):
    for key in ["cff-version", "message", "title", "authors"]:  # required by CFF 1.2.0
        assert citation.get(key), key
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "software" and citation["title"] == project["name"]
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(citation["date-released"]))
    (paper,) = citation["references"]
    assert paper["title"] == "GLA in MediaEval 2018 Emotional Impact of Movies Task"
    assert [a["family-names"] for a in paper["authors"]] == ["Sun", "Liu", "Prasad"]
    assert paper["year"] == 2018 and paper["conference"]["name"] == "MediaEval 2018 Workshop"


def test_changelog_has_every_release_newest_first(project):
    text = (REPO_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## (\d+\.\d+\.\d+)", text, flags=re.MULTILINE)
    assert releases[0] == project["version"]
    assert releases[-2:] == ["0.2.0", "0.1.0"]
    assert releases == sorted(releases, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_newest_changelog_release_is_the_cited_release():
    # read without PyYAML (not a dependency): the one `date-released:` line of CITATION.cff
    citation = (REPO_DIR / "CITATION.cff").read_text(encoding="utf-8")
    (released,) = re.findall(r'^date-released: "?(\d{4}-\d{2}-\d{2})"?\s*$', citation, flags=re.MULTILINE)
    changelog = (REPO_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.search(r"^## .*$", changelog, flags=re.MULTILINE)[0]  # the newest release comes first
    newest = re.match(r"## (\S+) \(([^,)]*)", heading)
    assert newest is not None and (newest[1], newest[2]) == (sklearn_emotion.__version__, released), (
        f"CHANGELOG.md's newest heading is {heading!r}: expected '## {sklearn_emotion.__version__} ({released})' "
        "(the package's version, dated as CITATION.cff's date-released)")


def test_sdist_manifest_ships_the_release_files():
    manifest = (REPO_DIR / "MANIFEST.in").read_text(encoding="utf-8")
    included = manifest.split("include ", 1)[1].split("\n", 1)[0].split()
    for name in ["LICENSE", "CHANGELOG.md", "CITATION.cff"]:
        assert name in included and (REPO_DIR / name).is_file(), name


#: What the documentation build and Python generate in a checkout (the folders .gitignore names): never shipped.
GENERATED = ["docs/_build/html/index.html", "docs/commands/fit.md", "docs/api/sklearn_emotion.rst",
             "docs/api/generated/sklearn_emotion.Windower.rst", "docs/api/_modules.rst.inc",
             "docs/auto_examples/plot_demo.py", "docs/sg_execution_times.rst", "tests/__pycache__/conftest.pyc"]


def test_manifest_ships_exactly_the_tracked_files(tmp_path, monkeypatch):
    # MANIFEST.in applied to a tree of the tracked files plus generated ones, as setuptools applies it when
    # building the sdist (.ci/smoke_wheel.sh compares a real sdist with `git ls-files`); the package's own
    # files (pyproject.toml finds them), README.md, pyproject.toml and MANIFEST.in are added by setuptools
    file_list = pytest.importorskip("setuptools.command.egg_info", reason="setuptools applies MANIFEST.in").FileList
    try:
        tracked = subprocess.run(["git", "-C", str(REPO_DIR), "ls-files", "-z"], capture_output=True, text=True,
                                 check=True).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no tracked files to compare MANIFEST.in with")
    tracked = {name for name in tracked if name}
    for name in [*tracked, *GENERATED]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    monkeypatch.chdir(tmp_path)
    files = file_list()
    for line in (REPO_DIR / "MANIFEST.in").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            files.process_template_line(line)
    shipped = set(files.files)
    by_setuptools = {name for name in tracked if name.startswith("sklearn_emotion/")} | {
        "README.md", "pyproject.toml", "MANIFEST.in"}
    assert not shipped & set(GENERATED), sorted(shipped & set(GENERATED))
    assert sorted(tracked - shipped - by_setuptools) == []  # tracked, but MANIFEST.in leaves it out
    assert sorted(shipped - tracked) == []


@pytest.mark.parametrize("page", ["README.md", "docs/getting_started.md"])
def test_install_instructions_name_this_versions_wheel(project, page):
    text = (REPO_DIR / page).read_text(encoding="utf-8")
    wheels = re.findall(r"dist/(sklearn_emotion-[^\s\"]+\.whl)", text)
    assert wheels == [f"sklearn_emotion-{project['version']}-py3-none-any.whl"]
    # the wheel built from the sdist (as CI checks), never by `--wheel` from the checkout's stale ./build/lib
    assert "pip install build && python -m build && pip install" in text
    assert "build --wheel &&" not in text
    assert 'pip install "sklearn-emotion[cpu]"' in text  # the index install, once published
