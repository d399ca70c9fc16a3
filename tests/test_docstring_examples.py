"""The ``Examples`` section of every public docstring, run as a doctest; and every public class and top-level
function required to have one.

The public objects are the names in ``__all__`` of the public modules, as docs/_ext/api_reference.py reads
them for the API reference, each object once (at the module whose page documents it), plus the public
methods of public classes whose docstrings hold examples.  Each runs with the standard :mod:`doctest` module
(ELLIPSIS and NORMALIZE_WHITESPACE) in an empty namespace (an example imports what it uses, as a user copying
it needs), in a temporary working directory so that nothing is written in the repository, with the
environment restored after it.  Examples that train a Keras network are marked ``keras``, those that load
FFmpeg, TensorFlow, librosa, skops or matplotlib ``slow`` (read from their code: :func:`cost_marks`), so that
``-m "not slow"`` runs the others in seconds.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import os
import re
import tempfile
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _api_reference():
    """docs/_ext/api_reference.py, the one home of the public modules and their names (the API reference's)."""
    spec = importlib.util.spec_from_file_location("_docs_ext_api_reference", DOCS / "_ext" / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_reference = _api_reference()

# What an example costs is read from the code it runs (skipped examples left out), so that a new example
# is marked without a list to keep: training a Keras network (seconds on CPU) is ``keras``; filming or
# transcoding a movie, building or running embedders (a weight-free image backbone is a Keras model), saving or
# loading a model file (skops), plotting or asking for the device Keras sees (FFmpeg, TensorFlow, librosa or
# matplotlib loaded, a few seconds each) is ``slow``.  Building a specification (a dict) costs nothing.
_TRAINS_NETWORK = re.compile(r"\b(GRUMoERegressor|TCNRegressor|make_paper_pipeline|make_tcn_pipeline)\(")
_LOADS_LIBRARIES = re.compile(
    r"\bmake_movie_files\(|\bmake_proxy\(|\bshow_versions\(|\bplot_\w+\("
    r"|\b(ImageEmbedder|AudioEmbedder|FaceEmbedder)\(.*\.fit_transform\(|\bcolour_layout_model\("
    r"|\b(build_embedders|feature_union|extract_features|extract_to_folder)\(|\b(load_model|save_model)\(",
    re.DOTALL,
)

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_EXAMPLES_HEADING = re.compile(r"^\s*Examples\n\s*-{8,}\s*$", re.MULTILINE)


def public_objects() -> dict[str, object]:
    """Qualified name (``module.Name``) -> object, each function or class once, at the public module whose
    API reference page documents it (:func:`api_reference.public_names`)."""
    return {f"{n.module}.{n.name}": getattr(importlib.import_module(n.module), n.name)
            for n in api_reference.public_names() if n.home == n.module and n.kind != "data"}  # constants: no examples


def has_examples(obj: object) -> bool:
    return bool(_EXAMPLES_HEADING.search(inspect.getdoc(obj) or ""))


def documented_objects() -> dict[str, object]:
    """The public objects and public methods (defined in this package) whose docstrings hold examples."""
    found = {}
    for qualname, obj in public_objects().items():
        if has_examples(obj):
            found[qualname] = obj
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                function = getattr(member, "__func__", member)
                if not name.startswith("_") and inspect.isfunction(function) and has_examples(function):
                    found[f"{qualname}.{name}"] = function
    return found


def missing_examples(objects: dict[str, object]) -> list[str]:
    """Those of ``objects`` that must have an Examples section and have none, or only skipped ones."""
    missing = []
    for qualname, obj in objects.items():
        module = qualname.rpartition(".")[0]
        if not (inspect.isclass(obj) or module == "sklearn_emotion"):
            continue  # required: every public class, every top-level function
        examples = [e for test in doctest.DocTestFinder(recurse=False).find(obj, qualname) for e in test.examples]
        if not has_examples(obj) or all(e.options.get(doctest.SKIP) for e in examples):
            missing.append(qualname)
    return missing


def run_examples(qualname: str, obj: object) -> doctest.TestResults:
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    # empty globals: each example imports what it uses, as a user copying it would
    for test in doctest.DocTestFinder(recurse=False).find(obj, qualname, globs={}):
        runner.run(test)
    return runner.summarize(verbose=False)


def cost_marks(qualname: str, obj: object) -> list[str]:
    """``["keras"]``, ``["slow"]`` or ``[]``: what running the examples of ``obj`` costs (see above)."""
    source = "".join(e.source for test in doctest.DocTestFinder(recurse=False).find(obj, qualname)
                     for e in test.examples if not e.options.get(doctest.SKIP))
    if _TRAINS_NETWORK.search(source) and ".fit(" in source:
        return ["keras"]
    return ["slow"] if _LOADS_LIBRARIES.search(source) else []


def _params():
    for qualname, obj in documented_objects().items():
        marks = [getattr(pytest.mark, name) for name in cost_marks(qualname, obj)]
        yield pytest.param(qualname, obj, id=qualname, marks=marks)


@pytest.mark.parametrize(("qualname", "obj"), list(_params()))
def test_examples_run(qualname, obj, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here, never in the repository
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # their tempfile.mkdtemp() folders too (pytest cleans)
    environ = dict(os.environ)  # set_native_logs's example sets an environment variable
    try:
        result = run_examples(qualname, obj)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    assert result.attempted > 0, f"{qualname}: its Examples section has no example that runs"
    assert result.failed == 0, f"{qualname}: {result.failed} of {result.attempted} examples failed (see above)"


def test_every_public_class_and_top_level_function_has_examples():
    missing = missing_examples(public_objects())
    assert not missing, f"no Examples section (or only skipped examples) in: {', '.join(missing)}"


def undescribed_parameters(objects: dict[str, object]) -> list[str]:
    """``qualname(parameter)`` for each parameter listed in a docstring of ``objects`` without a description."""
    from numpydoc.docscrape import ClassDoc, FunctionDoc

    found = []
    for qualname, obj in objects.items():
        doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
        found += [f"{qualname}({parameter.name})" for section in ("Parameters", "Other Parameters")
                  for parameter in doc[section] if not "".join(parameter.desc).strip()]
    return found


def test_every_documented_parameter_is_described():
    pytest.importorskip("numpydoc", reason="numpydoc (the docs extra) parses the docstrings")
    missing = undescribed_parameters(public_objects())
    assert not missing, f"parameters listed without a description: {', '.join(missing)}"

    def terse(show: bool, level: int) -> None:
        """A function whose first parameter has no description.

        Parameters
        ----------
        show : bool
        level : int
            How much.
        """

    assert undescribed_parameters({"sklearn_emotion.terse": terse}) == ["sklearn_emotion.terse(show)"]


def test_the_requirement_can_fail():
    def undocumented():
        """A function without examples."""

    class Skipped:
        """A class whose only example is skipped.

        Examples
        --------
        >>> Skipped()  # doctest: +SKIP
        """

    def documented():
        """A function with an example.

        Examples
        --------
        >>> 1 + 1
        2
        """

    objects = {"sklearn_emotion.undocumented": undocumented, "sklearn_emotion.metrics.Skipped": Skipped,
               "sklearn_emotion.documented": documented, "sklearn_emotion.metrics.private": undocumented}
    assert missing_examples(objects) == ["sklearn_emotion.undocumented", "sklearn_emotion.metrics.Skipped"]


def test_a_failing_example_is_reported():
    def wrong():
        """Examples
        --------
        >>> 1 + 1
        3
        """

    wrong.__module__ = __name__
    assert run_examples("wrong", wrong) == doctest.TestResults(failed=1, attempted=1)


def test_costly_examples_are_marked():
    objects = public_objects()
    marks = {name: cost_marks(name, objects[name]) for name in (
        "sklearn_emotion.GRUMoERegressor", "sklearn_emotion.make_paper_pipeline", "sklearn_emotion.ModalityUnion",
        "sklearn_emotion.AudioEmbedder", "sklearn_emotion.extraction.colour_layout_model", "sklearn_emotion.Windower",
        "sklearn_emotion.workflows.download_models", "sklearn_emotion.extraction.with_frame_selection",
        "sklearn_emotion.extraction.recorded_feature_spec", "sklearn_emotion.extraction.extract_features",
        "sklearn_emotion.persistence.SavedModel")}
    assert marks == {"sklearn_emotion.GRUMoERegressor": ["keras"], "sklearn_emotion.make_paper_pipeline": ["keras"],
                     "sklearn_emotion.ModalityUnion": ["slow"], "sklearn_emotion.AudioEmbedder": ["slow"],
                     "sklearn_emotion.extraction.colour_layout_model": ["slow"], "sklearn_emotion.Windower": [],
                     "sklearn_emotion.workflows.download_models": [],  # its download is skipped
                     # dicts of a "colour-layout" specification, no model built; a model built, or a file saved
                     "sklearn_emotion.extraction.with_frame_selection": [],
                     "sklearn_emotion.extraction.recorded_feature_spec": [],
                     "sklearn_emotion.extraction.extract_features": ["slow"],
                     "sklearn_emotion.persistence.SavedModel": ["slow"]}
