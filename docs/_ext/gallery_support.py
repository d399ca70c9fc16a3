"""The gallery's run settings: which examples run at build time, with which arguments, and their figures.

Referred to by name from ``sphinx_gallery_conf`` (conf.py), so that the configuration stays
picklable (Sphinx caches it; an unpicklable value would be a warning, an error under -W).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

#: A scratch folder for this build (Keras's home, the examples' outputs), removed when it ends.
SCRATCH = Path(tempfile.mkdtemp(prefix="sklearn-emotion-docs-"))

#: The examples run at build time -> their arguments there: the small settings of tests/test_examples.py.
#: The others are shown, not run: reproduce_table1.py and ablations.py need the MediaEval 2018 release
#: (not redistributable) and train 4-6 networks on it; compare_models.py needs the LIRIS-ACCEDE
#: continuous annotations (downloaded separately, see docs/datasets.md) and trains a dozen networks.
EXECUTED = {
    "quickstart.py": ["--quick", "--output-dir", str(SCRATCH / "quickstart")],
}


def reset_argv(gallery_conf, script_vars) -> list[str]:
    """``sys.argv[1:]`` of an example run by the gallery."""
    return EXECUTED.get(Path(script_vars["src_file"]).name, [])


_seen: set[Path] = set()


def scrape_pngs(block, block_vars, gallery_conf) -> str:
    """The PNG files an example wrote since the last code block, as the block's figures.

    The package draws with matplotlib's ``Figure`` and writes files (``plot_curves``), so the default
    scraper, which reads pyplot's open figures, finds none.
    """
    from sphinx_gallery.scrapers import figure_rst

    new = sorted(p for p in SCRATCH.rglob("*.png") if p not in _seen)
    _seen.update(new)
    paths = []
    for png, target in zip(new, block_vars["image_path_iterator"]):
        shutil.copyfile(png, target)
        paths.append(target)
    return figure_rst(paths, gallery_conf["src_dir"])


def remove_scratch(app, exception) -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)


def setup(app):
    app.connect("build-finished", remove_scratch)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
