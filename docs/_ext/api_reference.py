"""The API reference, generated from ``__all__`` of the public modules at every build.

Each public module gets a page (``api/<module>.rst``) listing every name of its ``__all__``
in autosummary tables, grouped by kind; autosummary then writes one page per name
(``api/generated/<module>.<name>.rst``) from the templates of ``docs/_templates/autosummary``.
A name exported by several public modules (e.g. ``Windower`` by ``sklearn_emotion`` and
``sklearn_emotion.windowing``) gets its page at the first module of :data:`PUBLIC_MODULES` that
exports it; the other modules' pages link to it.  Nothing here lists names by hand, so a name
added to an ``__all__`` gets a page at the next build, and one removed loses its page (its stale
files are deleted, or Sphinx would warn about a page in no toctree).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

#: The public modules, in the order that decides where a re-exported name is documented.
PUBLIC_MODULES = (
    "sklearn_emotion",
    "sklearn_emotion.annotation",
    "sklearn_emotion.data",
    "sklearn_emotion.datasets",
    "sklearn_emotion.ensemble",
    "sklearn_emotion.extraction",
    "sklearn_emotion.files",
    "sklearn_emotion.inspection",
    "sklearn_emotion.media",
    "sklearn_emotion.media.decoding",
    "sklearn_emotion.metrics",
    "sklearn_emotion.persistence",
    "sklearn_emotion.pipelines",
    "sklearn_emotion.plotting",
    "sklearn_emotion.preprocessing",
    "sklearn_emotion.report",
    "sklearn_emotion.reporting",
    "sklearn_emotion.scoring",
    "sklearn_emotion.smoothing",
    "sklearn_emotion.windowing",
    "sklearn_emotion.workflows",
)

#: Kinds of public names: the section title on a module page and the autosummary template of its pages.
KINDS = {
    "class": ("Estimators and classes", "class.rst"),
    "exception": ("Exceptions and warnings", "exception.rst"),
    "function": ("Functions", "function.rst"),
    "data": ("Constants", "data.rst"),
}

#: Where the generated reStructuredText goes, relative to the documentation's source folder.
API_FOLDER = "api"
STUB_FOLDER = "generated"  # inside API_FOLDER, written by autosummary
MODULE_TOCTREE = "_modules.rst.inc"  # the module pages' toctree, included by api/index.rst


class PublicName(NamedTuple):
    """One name of one public module's ``__all__``."""

    module: str
    name: str
    kind: str  # a key of KINDS
    home: str  # the module whose page documents it (``module`` unless it is re-exported)

    @property
    def full_name(self) -> str:
        return f"{self.home}.{self.name}"


def _kind(value: object) -> str:
    if inspect.isclass(value):
        return "exception" if issubclass(value, BaseException) else "class"
    if callable(value):
        return "function"
    return "data"


def public_names(modules: Iterable[str] = PUBLIC_MODULES) -> list[PublicName]:
    """Every name of every public module's ``__all__``, with where its page is.

    A name is documented at the first module exporting the same object under the same name; a
    module exporting a different object under a name already documented gets its own page.
    """
    homes: dict[str, list[tuple[object, str]]] = {}
    names = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            raise RuntimeError(f"public module {module_name} has no __all__: the API reference is built from it.")
        for name in exported:
            value = getattr(module, name)
            seen = homes.setdefault(name, [])
            # ``is`` for objects; equality for constants (the same tuple re-exported may be rebuilt).
            home = next((where for other, where in seen if other is value or (_kind(value) == "data" and
                         type(other) is type(value) and _equal(other, value))), None)
            if home is None:
                home = module_name
                seen.append((value, module_name))
            names.append(PublicName(module_name, name, _kind(value), home))
    return names


def _equal(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. arrays: ambiguous truth value
        return False


def _title(text: str, line: str = "=") -> str:
    return f"{text}\n{line * len(text)}\n"


def module_page(module_name: str, names: list[PublicName]) -> str:
    """The reStructuredText of one public module's page."""
    own = [n for n in names if n.module == module_name]
    parts = [
        f".. _api-{module_name}:\n\n",
        _title(module_name),
        f"\n.. automodule:: {module_name}\n   :no-members:\n\n",
        f".. currentmodule:: {module_name}\n",
    ]
    for kind, (section, template) in KINDS.items():
        here = [n for n in own if n.kind == kind and n.home == module_name]
        if here:
            parts.append("\n" + _title(section, "-"))
            parts.append(f"\n.. autosummary::\n   :toctree: {STUB_FOLDER}\n   :template: autosummary/{template}\n"
                         "   :nosignatures:\n\n")
            parts.extend(f"   {n.name}\n" for n in here)
    elsewhere = [n for n in own if n.home != module_name]
    if elsewhere:
        parts.append("\n" + _title("Also exported here", "-"))
        parts.append("\nThese names are the same objects as those documented on the pages linked.\n")
        parts.append("\n.. autosummary::\n   :nosignatures:\n\n")
        parts.extend(f"   ~{n.full_name}\n" for n in elsewhere)
    return "".join(parts)


def stub_names(names: list[PublicName]) -> list[str]:
    """The full names that get a page of their own (one each), in reference order."""
    return list(dict.fromkeys(n.full_name for n in names if n.home == n.module))


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files keep their mtime, so an incremental build does not re-read every page.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_reference(srcdir: str | Path, modules: Iterable[str] = PUBLIC_MODULES) -> list[PublicName]:
    """Write the module pages and their toctree under ``srcdir/api``; delete pages of names now gone."""
    modules = tuple(modules)
    names = public_names(modules)
    folder = Path(srcdir) / API_FOLDER
    stubs = folder / STUB_FOLDER
    stubs.mkdir(parents=True, exist_ok=True)
    for module_name in modules:
        _write_if_changed(folder / f"{module_name}.rst", module_page(module_name, names))
    # A table of the modules with their summary lines, and the (hidden) toctree of their pages.
    listing = "".join(f"   {m}\n" for m in modules)
    toctree = f".. autosummary::\n\n{listing}\n.. toctree::\n   :hidden:\n   :maxdepth: 1\n\n{listing}"
    _write_if_changed(folder / MODULE_TOCTREE, toctree)
    keep = {f"{name}.rst" for name in stub_names(names)} | {f"{m}.rst" for m in modules}
    for path in [*folder.glob("sklearn_emotion*.rst"), *stubs.glob("*.rst")]:
        if path.name not in keep:
            path.unlink()
    return names


def _generate(app) -> None:
    write_reference(app.srcdir)


_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _plain_sklearn_references(app, what, name, obj, options, lines) -> None:
    """Methods inherited from scikit-learn (``get_params``, ``set_output``...) keep their docstrings, whose
    ``:ref:`` and ``:term:`` name labels of scikit-learn's own site: read as plain text here."""
    if getattr(obj, "__module__", None) and obj.__module__.split(".")[0] == "sklearn":
        lines[:] = [_SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line) for line in lines]


def _constant_comments(app, what, name, obj, options, lines) -> None:
    """A constant's ``#:`` comment, read where it is defined (autodoc looks only in the module it documents,
    which re-exports it), instead of the docstring of its type (``tuple``, ``str``...)."""
    if what != "data":
        return
    type_doc = inspect.getdoc(type(obj)) or ""
    text = [line.strip() for line in lines if line.strip()]
    if text and not (type_doc and text[0] == type_doc.splitlines()[0].strip()):
        return  # autodoc found the constant's own comment
    from sphinx.pycode import ModuleAnalyzer, PycodeError

    package, short = name.split(".")[0], name.rpartition(".")[2]
    comment: list[str] = []
    for module_name, module in sorted(sys.modules.items()):
        if module_name.split(".")[0] != package or getattr(module, short, None) is not obj:
            continue
        try:
            comment = ModuleAnalyzer.for_module(module_name).find_attr_docs().get(("", short), [])
        except PycodeError:
            continue
        if comment:
            break
    lines[:] = list(comment)
    # The value, which autodoc shows after the name, is the rest of the documentation.


def setup(app):
    # config-inited runs before autosummary reads the pages (builder-inited) to write its stubs.
    app.connect("config-inited", lambda app, config: _generate(app))
    # Before numpydoc (priority 500) reformats the docstrings.
    app.connect("autodoc-process-docstring", _plain_sklearn_references, priority=400)
    app.connect("autodoc-process-docstring", _constant_comments, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
