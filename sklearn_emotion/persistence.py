"""Saving and loading trained models together with what they need to predict new movies.

A saved model (``*.skops``) is a `skops <https://skops.readthedocs.io>`_ file -- the scikit-learn
ecosystem's format that stores an estimator as data (parameters and structure as JSON, arrays as
``.npy``) instead of as a pickle -- with one more member, ``sklearn-emotion.json``, holding the format
marker and version, the modalities and feature widths the estimator was trained on, the *feature
specification* used to extract those features from videos (see :mod:`sklearn_emotion.extraction`;
model files named by file name and SHA-256, see :mod:`sklearn_emotion.model_files`) and free-form
information.  :class:`~sklearn_emotion.GRUMoERegressor` stores its Keras network as its weight
arrays and its (numeric) architecture settings, so the file loads in a fresh process and predicts
identically.

**Loading runs no code from the file.**  :func:`load_model` first lists every type the file names and
refuses the file, in one line naming those types, unless all of them are in a fixed allow-list:
scikit-learn's estimators and the few plain-data types of their fitted state, as skops trusts them by
default (``sklearn.utils.all_estimators()``; tree structures excepted, which skops refuses because
a crafted one can crash ``predict``), NumPy and SciPy data types, and :data:`PACKAGE_TYPES`, the
estimators of this package.  Only then are those classes imported and the estimator rebuilt.  Any
pipeline of these estimators can be saved, e.g. the paper's ``MovieStandardScaler -> Windower ->
SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)`` or a grid search's ``best_estimator_``;
:func:`save_model` refuses, in one line, an estimator holding other types (it could not be loaded).

Model files of sklearn-emotion 0.1 are joblib pickles.  Like every pickle they can run any code when
loaded, so :func:`load_model` refuses them (:class:`UnsafeModelError`) unless told they are trusted
(``trust_pickle=True``; ``sklearn-emotion predict --trust-model``).  Trusted, they load and predict as
before; names that have since moved give one ``FutureWarning`` naming the file.  Convert such a file
once: ``save_model("model.skops", load_model("model.joblib", trust_pickle=True))``.

Any file that cannot be loaded raises a one-line ``ValueError`` naming the file (and, when the file
says, the version of sklearn-emotion that saved it).
"""

from __future__ import annotations

import io
import json
import os
import pickletools
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._compat import MovedNameWarning
from .files import atomic_write_bytes

__all__ = [
    "MODEL_FORMAT",
    "MODEL_SUFFIX",
    "PACKAGE_TYPES",
    "PICKLE_SUFFIXES",
    "SavedModel",
    "UnsafeModelError",
    "allowed_types",
    "load_model",
    "save_model",
    "write_joblib",
]

#: Marker stored in every model file, checked by :func:`load_model`.
MODEL_FORMAT = "sklearn-emotion-model"
#: Conventional suffix of model files.
MODEL_SUFFIX = ".skops"
#: Suffixes of pickle-based files (sklearn-emotion 0.1 model files were ``.joblib``).
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
# 1: a joblib pickle of a dict (0.1); 2: a skops file plus _META_MEMBER.
_FORMAT_VERSION = 2
_META_MEMBER = "sklearn-emotion.json"
_SCHEMA_MEMBER = "schema.json"  # skops' tree of the estimator

#: The estimator types of this package that model files may hold (on top of scikit-learn's).
#: The media embedders are not among them: they name model files by path, which a shared model
#: file should not choose; a model for videos stores its ``feature_spec`` instead.
PACKAGE_TYPES = (
    "sklearn_emotion.ensemble.RunAveragingRegressor",
    "sklearn_emotion.gru_moe.estimator.GRUMoERegressor",
    "sklearn_emotion.per_second.PerSecondRegressor",
    "sklearn_emotion.preprocessing.MovieStandardScaler",
    "sklearn_emotion.smoothing.ButterworthSmoother",
    "sklearn_emotion.smoothing.MovingAverageSmoother",
    "sklearn_emotion.smoothing.SmoothedRegressor",
    "sklearn_emotion.tcn.estimator.TCNRegressor",
    "sklearn_emotion.windowing.Windower",
)
# Plain-data helpers of scikit-learn estimators' fitted state that skops does not trust by default:
# Bunch (a dict; named_estimators_ of ensembles and of RunAveragingRegressor) and the optimiser
# state of MLPRegressor (learning rate and arrays).
_SKLEARN_DATA_TYPES = (
    "sklearn.utils._bunch.Bunch",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)
# Tree structures hold raw node indices that scikit-learn follows without bounds checks: a crafted one
# loads as data but can crash predict (skops >= 0.16 refuses the first two too; refused here whatever
# the skops version).  Nearest neighbours still load with algorithm="brute".
_DENIED_TYPES = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
})
# Pickle opcodes that only bookkeep (framing, memo), skipped when reading the version of a file.
_BOOKKEEPING = {"PROTO", "FRAME", "MARK", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}
# First bytes of joblib's compressed files (gzip, bz2, xz, lzma, lz4; zlib is checked apart).
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"]\x00\x00", b"\x04\x22\x4d\x18")


class UnsafeModelError(ValueError):
    """A model file refused because loading it could run code from it: a pickle not marked trusted,
    or a skops file naming types outside the allow-list.  The message (one line) says which and why.

    Examples
    --------
    A pickle-based (joblib) model file, as sklearn-emotion 0.1 wrote, is refused unless trusted:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn_emotion.persistence import SavedModel, UnsafeModelError, load_model, write_joblib
    >>> estimator = PerSecondRegressor(Ridge()).fit([np.ones((5, 3))], [np.zeros((5, 2))])
    >>> path = write_joblib(Path(tempfile.mkdtemp()) / "model.joblib", SavedModel(estimator, {"features": 3}))
    >>> try:
    ...     load_model(path)
    ... except UnsafeModelError as error:
    ...     print("refused")
    refused

    ``load_model(path, trust_pickle=True)`` loads a 0.1 model file from a source you trust.
    """


@dataclass
class SavedModel:
    """A trained model and its context.

    Attributes
    ----------
    estimator : estimator
        Fitted sequence regressor: ``predict(movies)`` returns one ``(T, 2)`` array per movie.
    modalities : dict of str to int
        Modality names and feature widths, in the order the estimator expects them.
    feature_spec : dict or None
        How the features were extracted from videos (``None``: unknown, only feature files can be
        predicted).  Saved portably: each model file becomes a reference (file name and SHA-256,
        :mod:`sklearn_emotion.model_files`), which is what :func:`load_model` returns;
        :func:`sklearn_emotion.model_files.resolve_feature_spec` finds the files on this machine.
    info : dict
        Free-form, JSON-able description (command-line options, package version, training set size, ...).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn_emotion.persistence import SavedModel, load_model, save_model
    >>> rng = np.random.default_rng(0)
    >>> movies = [{"image": rng.normal(size=(20, 3))} for _ in range(2)]
    >>> estimator = PerSecondRegressor(Ridge()).fit(movies, [np.tanh(m["image"][:, :2]) for m in movies])
    >>> model = SavedModel(estimator, {"image": 3}, info={"trained on": "2 movies"})
    >>> loaded = load_model(save_model(Path(tempfile.mkdtemp()) / "model.skops", model))
    >>> loaded.modalities, loaded.info
    ({'image': 3}, {'trained on': '2 movies'})
    >>> [curves.shape for curves in loaded.estimator.predict(movies)]
    [(20, 2), (20, 2)]
    """

    estimator: Any
    modalities: dict[str, int]
    feature_spec: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)


def write_joblib(path: str | os.PathLike, obj: Any) -> Path:
    """Pickle ``obj`` with joblib into ``path``, atomically.

    Used by :meth:`sklearn_emotion.GRUMoERegressor.save`; a pickle can run code when loaded, so
    :func:`save_model` writes the skops format instead.

    Parameters
    ----------
    path : str or path-like
        Destination; parent folders are created.
    obj : object
        Anything picklable; ``joblib.load(path)`` returns an equal object.

    Returns
    -------
    Path

    Examples
    --------
    Any picklable object, e.g. a training state:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import joblib
    >>> from sklearn_emotion.persistence import write_joblib
    >>> path = write_joblib(Path(tempfile.mkdtemp()) / "state.joblib", {"epochs": 3})
    >>> joblib.load(path)
    {'epochs': 3}
    """
    import joblib

    return atomic_write_bytes(path, lambda out: joblib.dump(obj, out))


# ---------------------------------------------------------------------------------- allow-list
def allowed_types() -> frozenset[str]:
    """Every type a model file may name (for display and tests; :func:`load_model` checks the same).

    skops' default trusted types -- Python's plain types, NumPy and SciPy data types and functions,
    scikit-learn's estimators (``sklearn.utils.all_estimators()``) -- less tree structures, plus
    :data:`PACKAGE_TYPES` and a few plain-data helper types of scikit-learn's fitted state.  (skops
    also trusts, inside its own loaders, the few types those need, such as ``numpy.ndarray``.)

    Examples
    --------
    >>> from sklearn_emotion.persistence import allowed_types
    >>> types = allowed_types()
    >>> "sklearn_emotion.gru_moe.estimator.GRUMoERegressor" in types, "builtins.eval" in types
    (True, False)
    """
    # the lists skops' own loader trusts by default
    from skops.io import _trusted_types as trusted

    names: set[str] = set(PACKAGE_TYPES) | set(_SKLEARN_DATA_TYPES)
    for attribute in ("PRIMITIVE_TYPE_NAMES", "CONTAINER_TYPE_NAMES", "NUMPY_DTYPE_TYPE_NAMES",
                      "NUMPY_UFUNC_TYPE_NAMES", "SCIPY_UFUNC_TYPE_NAMES", "SKLEARN_ESTIMATOR_TYPE_NAMES",
                      "SKLEARN_INTERNAL_TYPE_NAMES", "NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES"):
        names.update(getattr(trusted, attribute, ()))
    return frozenset(names - _DENIED_TYPES)


def _schema_types(data: bytes) -> set[str]:
    """Every ``module.class`` that the tree of a skops file names, read as JSON (nothing imported)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stack: list[Any] = [json.loads(archive.read(_SCHEMA_MEMBER).decode("utf-8"))]
    found = set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            module, name = node.get("__module__"), node.get("__class__")
            if isinstance(module, str) and isinstance(name, str):
                found.add(f"{module}.{name}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _refused(data: bytes) -> tuple[list[str], list[str]]:
    """The types of skops ``data`` outside the allow-list, and all those beyond skops' defaults.

    skops' own audit (:func:`skops.io.get_untrusted_types`, which builds the tree of types without
    importing or constructing anything) lists the types beyond its defaults; tree structures are
    refused whatever the skops version.
    """
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    refused = {name for name in untrusted if name not in PACKAGE_TYPES and name not in _SKLEARN_DATA_TYPES}
    refused |= _schema_types(data) & _DENIED_TYPES
    return sorted(refused), sorted(untrusted)


def _why_refused(types: list[str]) -> str:
    """Why the types in ``types`` are refused, as a short clause."""
    reasons = []
    if any(name in _DENIED_TYPES for name in types):
        reasons.append("tree structures are refused, as skops refuses them: a crafted one can crash predict; "
                       "nearest neighbours load with algorithm='brute'")
    if any(name.startswith("sklearn_emotion.media.") for name in types):
        reasons.append("the media embedders name model files by path: store a feature_spec instead")
    return (" (" + "; ".join(reasons) + ")") if reasons else ""


# ---------------------------------------------------------------------------------- saving
def _jsonable(value: Any) -> Any:
    """``json.dumps`` default: paths as strings, NumPy values as Python values, anything else as text."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    tolist = getattr(value, "tolist", None)  # NumPy scalars and arrays
    if callable(tolist):
        return tolist()
    return str(value)


def save_model(path: str | os.PathLike, model: SavedModel) -> Path:
    """Write ``model`` to ``path`` in the skops format, atomically (temporary file, then rename).

    The file holds no code: it is safe to share and :func:`load_model` loads it without running
    anything from it.  The feature specification is stored portably (model files by name and
    SHA-256: :func:`sklearn_emotion.model_files.portable_feature_spec`).

    Parameters
    ----------
    path : str or path-like
        Destination, conventionally ``*.skops`` (the content decides, not the name); parent folders
        are created.
    model : SavedModel
        The fitted estimator with its feature specification and modalities.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        When the estimator holds types outside the allow-list (:func:`allowed_types`; such a file
        could not be loaded), or objects skops cannot store; one line naming them.

    Examples
    --------
    A fitted estimator with the names and widths of the features it reads:

    >>> from tempfile import mkdtemp
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn_emotion.persistence import SavedModel, load_model, save_model
    >>> estimator = PerSecondRegressor(Ridge()).fit([np.ones((5, 3))], [np.zeros((5, 2))])
    >>> path = save_model(Path(mkdtemp()) / "model.skops", SavedModel(estimator, {"features": 3}))
    >>> path.read_bytes()[:2]  # a zip archive of plain data, no pickle
    b'PK'
    >>> load_model(path).modalities
    {'features': 3}
    """
    import skops.io as sio

    from . import __version__
    from .model_files import portable_feature_spec

    path = Path(path)
    try:
        data = sio.dumps(model.estimator, compression=zipfile.ZIP_DEFLATED)
    except Exception as exc:  # skops raises TypeError (UnsupportedTypeException) and others on what it cannot store
        raise ValueError(f"Cannot save the model to {path}: {_one_line(exc)}") from exc
    refused, _ = _refused(data)
    if refused:
        raise ValueError(
            f"Cannot save the model to {path}: it holds {', '.join(refused)}, outside the types a model file "
            f"may hold (scikit-learn's and sklearn-emotion's estimators){_why_refused(refused)}."
        )
    meta = {
        "format": MODEL_FORMAT,
        "format_version": _FORMAT_VERSION,
        "package_version": __version__,
        "modalities": {str(name): int(width) for name, width in dict(model.modalities).items()},
        "feature_spec": portable_feature_spec(model.feature_spec),
        "info": dict(model.info),
    }
    text = json.dumps(meta, indent=1, default=_jsonable)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_META_MEMBER, text)
    return atomic_write_bytes(path, lambda out: out.write(buffer.getvalue()))


# ---------------------------------------------------------------------------------- loading
def _kind(head: bytes) -> str | None:
    """``"skops"`` (a zip archive), ``"pickle"`` (a pickle or a compressed joblib file) or None."""
    if head.startswith(b"PK\x03\x04"):
        return "skops"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # pickle protocols 2 to 5
        return "pickle"
    if head.startswith(_COMPRESSED_MAGIC) or (len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0):
        return "pickle"
    try:  # protocols 0 and 1: read (never run) the first opcodes
        for index, (opcode, _, _) in enumerate(pickletools.genops(io.BytesIO(head))):
            if opcode.name == "STOP" or index >= 8:
                return "pickle"
    except Exception:
        pass
    return None


def _saved_version(path: Path) -> str | None:
    """The ``package_version`` a pickled model file records, read without unpickling anything (None if unknown).

    :func:`save_model` of 0.1 wrote it among the first entries of the payload, ahead of the
    estimator, so the first opcodes of the pickle suffice even when its classes are gone.
    """
    key = None
    try:
        with path.open("rb") as handle:
            for index, (opcode, argument, _) in enumerate(pickletools.genops(handle)):
                if opcode.name in _BOOKKEEPING:
                    continue
                if key == "package_version":
                    return argument if isinstance(argument, str) else None
                key = argument
                if index > 100:
                    break
    except Exception:  # not a pickle, or a damaged one: the version is unknown
        pass
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def _unloadable(path: Path, exc: Exception, version: str | None) -> str:
    """One line saying why ``path`` did not load and, when the file says, which version saved it."""
    from . import __version__

    reason = _one_line(exc)
    if version is None:
        return f"{path} is not a readable sklearn-emotion model file ({reason})."
    if str(version) == __version__:  # nothing to upgrade or downgrade: the file itself is at fault
        return (f"{path} is damaged: saved by this version of sklearn-emotion ({__version__}), it cannot be "
                f"loaded ({reason}); train the model again or use an undamaged copy.")
    return (
        f"{path} was saved by sklearn-emotion {version} and cannot be loaded by sklearn-emotion "
        f"{__version__} ({reason}); load it with sklearn-emotion {version} or train the model again."
    )


def _pickle_refused(path: Path) -> str:
    version = _saved_version(path)
    saved = f"sklearn-emotion {version}'s joblib format" if version else "joblib/pickle"
    return (
        f"{path} is a pickle-based model file ({saved}): loading it can run any code it contains, so it is "
        "not loaded. If you trust where it comes from, pass --trust-model (Python: load_model(path, "
        "trust_pickle=True)), then save it again in the safe format: "
        f"sklearn_emotion.persistence.save_model('model{MODEL_SUFFIX}', load_model(path, trust_pickle=True))."
    )


def _unpickle(path: Path) -> tuple[Any, list[str]]:
    """``joblib.load(path)`` and the moved names it used (their FutureWarnings are held back)."""
    import joblib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            payload = joblib.load(path)
        except Exception as exc:  # joblib/pickle raise many kinds on a foreign, damaged or old file
            raise ValueError(_unloadable(path, exc, _saved_version(path))) from exc
    moved = []
    for warning in caught:
        if isinstance(warning.message, MovedNameWarning):
            moved.append(warning.message.old_name)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return payload, sorted(set(moved))


def _check_payload(path: Path, payload: Any, version: Any, estimator: Any) -> SavedModel:
    """The :class:`SavedModel` of a file's fields, or a one-line ``ValueError`` when one is malformed."""
    modalities, spec, info = payload.get("modalities"), payload.get("feature_spec"), payload.get("info", {})
    if estimator is None:
        raise ValueError(f"{path} has the sklearn-emotion model marker but no estimator: the file is "
                         "damaged or incomplete; save the model again.")
    if (not isinstance(modalities, Mapping) or not all(isinstance(k, str) and isinstance(v, int)
                                                       for k, v in modalities.items())
            or not isinstance(spec, (Mapping, type(None))) or not isinstance(info, Mapping)):
        raise ValueError(f"{path} (saved by sklearn-emotion {version}) has malformed modalities, feature "
                         "specification or information: the file is damaged; save the model again.")
    model = SavedModel(estimator=estimator, modalities=dict(modalities),
                       feature_spec=None if spec is None else dict(spec), info=dict(info))
    _check_predicts(path, model)
    return model


def _check_predicts(path: Path, model: SavedModel) -> None:
    """A one-line ``ValueError`` naming ``path`` as damaged unless its estimator predicts a tiny movie.

    The movie is 2 s of zeros with the recorded modalities and widths: a file whose parts contradict
    each other (a coefficient or network weight of another shape, widths that do not match the
    estimator) fails here, at loading, instead of with a raw shape error in ``predict``.  Values are
    not judged (``predict`` checks its output).
    """
    import numpy as np
    from sklearn.exceptions import NotFittedError

    movie = {name: np.zeros((2, width), dtype=np.float32) for name, width in model.modalities.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zeros may well be degenerate input: only a failure matters here
            predicted = model.estimator.predict([movie])
        shape = np.shape(predicted[0]) if len(predicted) == 1 else None
        if shape is None or len(shape) != 2 or shape[0] != 2:
            raise ValueError(f"it predicts {len(predicted)} array(s) of shape {shape} for one 2-s movie")
    except (ImportError, MemoryError, NotFittedError):  # nothing contradictory: predict says what is missing
        return
    except Exception as exc:  # whatever the estimator raises on contradictory arrays
        raise ValueError(
            f"{path} is damaged: its estimator does not predict a movie of the features it records "
            f"({model.modalities}): {_one_line(exc)}. Train the model again or use an undamaged copy."
        ) from exc


def _load_pickle(path: Path) -> SavedModel:
    payload, moved = _unpickle(path)
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a model saved by sklearn-emotion (save it with `sklearn-emotion fit`).")
    version = payload.get("package_version")
    if not isinstance(payload.get("format_version", 0), int) or payload.get("format_version", 0) > 1:
        raise ValueError(f"{path} is a pickle of an unknown sklearn-emotion model format ({version}).")
    if moved:
        warnings.warn(
            f"{path} was saved by sklearn-emotion {version} and names classes that have moved since "
            f"({', '.join(moved)}); it loads and predicts as before, but save it again "
            f"(sklearn_emotion.persistence.save_model('model{MODEL_SUFFIX}', load_model(path, trust_pickle=True))) "
            "before the old names are removed.",
            FutureWarning,
            stacklevel=3,
        )
    return _check_payload(path, payload, version, payload.get("estimator"))


def _load_skops(path: Path, data: bytes) -> SavedModel:
    import skops.io as sio

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
            meta = json.loads(archive.read(_META_MEMBER).decode("utf-8")) if _META_MEMBER in members else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise ValueError(_unloadable(path, exc, None)) from exc
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a model saved by sklearn-emotion (save it with `sklearn-emotion fit`).")
    version = meta.get("package_version")
    format_version = meta.get("format_version")
    if not isinstance(format_version, int) or format_version > _FORMAT_VERSION:
        raise ValueError(f"{path} was saved by a newer sklearn-emotion ({version}); upgrade to load it.")
    if _SCHEMA_MEMBER not in members:
        return _check_payload(path, meta, version, None)
    try:
        refused, found = _refused(data)  # reads the file's tree of types; imports and builds nothing
    except Exception as exc:  # a damaged or hand-made tree
        raise ValueError(_unloadable(path, exc, version)) from exc
    if refused:
        raise UnsafeModelError(
            f"{path} holds types that sklearn-emotion does not load from model files: {', '.join(refused)}"
            f"{_why_refused(refused)}; only scikit-learn's and sklearn-emotion's estimators are allowed, "
            "and nothing from the file was run."
        )
    try:
        estimator = sio.loads(data, trusted=found)  # beyond skops' defaults: only allow-listed types, checked above
    except Exception as exc:  # a class gone or changed since, or a damaged file
        raise ValueError(_unloadable(path, exc, version)) from exc
    return _check_payload(path, meta, version, estimator)


def load_model(path: str | os.PathLike, *, trust_pickle: bool = False) -> SavedModel:
    """Read a model written by :func:`save_model` (or, when trusted, a pickle of sklearn-emotion 0.1).

    Parameters
    ----------
    path : str or path-like
        The model file: skops (written by :func:`save_model`) or, with ``trust_pickle``, joblib.
    trust_pickle : bool, default=False
        Load a pickle-based (joblib) model file, as written by sklearn-emotion 0.1.  A pickle can run
        any code when loaded: only for files from a source you trust.  Has no effect on skops files,
        which never run code and are always checked against the allow-list.

    Returns
    -------
    SavedModel
        Its ``feature_spec`` is portable (model files by name and SHA-256); pass it through
        :func:`sklearn_emotion.model_files.resolve_feature_spec` before extracting features.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    UnsafeModelError
        A ``ValueError``: a pickle-based file without ``trust_pickle``, or a skops file naming types
        outside the allow-list (:func:`allowed_types`); nothing from the file is run.
    ValueError
        When the file is not a model saved by this package, is damaged or incomplete, was saved by a
        newer format version, or holds classes this version cannot load; one line naming the file
        and the version that saved it.

    Warns
    -----
    FutureWarning
        Once, when a trusted 0.1 pickle refers to classes by names that moved since it was saved (it
        loads and predicts as before; save it again to convert it).

    Examples
    --------
    A per-second ridge regression saved with the modalities it reads, then loaded:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor, persistence
    >>> estimator = PerSecondRegressor(Ridge()).fit([np.ones((5, 3))], [np.zeros((5, 2))])
    >>> saved = persistence.SavedModel(estimator, {"features": 3})
    >>> path = persistence.save_model(Path(tempfile.mkdtemp()) / "model.skops", saved)
    >>> model = persistence.load_model(path)
    >>> type(model.estimator).__name__, model.modalities
    ('PerSecondRegressor', {'features': 3})
    >>> persistence.load_model(path.with_name("missing.skops"))
    Traceback (most recent call last):
        ...
    FileNotFoundError: Model file not found: .../missing.skops
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    data = path.read_bytes()
    kind = _kind(data[:4096])
    if kind == "skops":
        return _load_skops(path, data)
    if not trust_pickle:
        if kind == "pickle":
            raise UnsafeModelError(_pickle_refused(path))
        raise ValueError(f"{path} is not a readable sklearn-emotion model file (neither a {MODEL_SUFFIX} "
                         "model file nor a pickle).")
    return _load_pickle(path)
