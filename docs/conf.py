"""Sphinx configuration of the sklearn-emotion documentation.

Build (offline, as CI does):  python -m sphinx -W --keep-going -b html docs docs/_build/html
Everything generated goes to ignored folders: docs/_build, docs/api/ (but api/index.rst),
docs/commands/, docs/auto_examples/, docs/sg_execution_times.rst.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))  # the checkout's package, also when it is not installed
sys.path.insert(0, str(DOCS / "_ext"))

from gallery_support import EXECUTED, SCRATCH  # noqa: E402

# The gallery trains Keras networks in this process: keep Keras's config and cache out of ~/.keras.
os.environ.setdefault("KERAS_HOME", str(SCRATCH / "keras"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sklearn_emotion  # noqa: E402  (after sys.path and KERAS_HOME)

project = "sklearn-emotion"
author = "the sklearn-emotion developers"
copyright = "the sklearn-emotion developers, BSD-3-Clause"
release = sklearn_emotion.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "api_reference",  # docs/_ext: api/<module>.rst from the public modules' __all__
    "cli_pages",  # docs/_ext: commands/<name>.rst from the argument parser
    "gallery_support",  # docs/_ext: removes the build's scratch folder at the end
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**/*.rst.inc"]  # *.rst.inc: included by a page, not pages themselves

# MyST: the guides link to each other's headings as file.md#heading-slug.
myst_heading_anchors = 4
# The guides are kept as written for GitHub, where a section may start at ### (media.md does):
# not an error on the site either.
suppress_warnings = ["myst.header"]

# autodoc / autosummary / numpydoc
autosummary_generate = True
autosummary_imported_members = True  # the public names live in private submodules
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections already give the types
add_module_names = False
numpydoc_show_class_members = True  # a Methods table; the class template documents each method below it
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# HTML
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-emotion {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
}
html_show_sourcelink = False

# The gallery: examples/*.py.  quickstart.py runs at build time with small settings (its figure and
# printed table are that run's); the others need data that is not shipped and train many networks:
# shown, not run (the reasons: docs/_ext/gallery_support.py, EXECUTED; and the gallery's header).
sphinx_gallery_conf = {
    "examples_dirs": str(REPO / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/(" + "|".join(re.escape(name) for name in EXECUTED) + ")$",
    "ignore_pattern": r"mediaeval_common\.py",  # a helper module of two examples, not an example
    "reset_argv": "gallery_support.reset_argv",
    "image_scrapers": ("gallery_support.scrape_pngs",),
    "doc_module": ("sklearn_emotion",),
    "backreferences_dir": "api/backreferences",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "min_reported_time": 5,
}
