"""Saving and loading trained models together with what they need to predict new movies.

A saved model is one joblib file holding a dictionary: the fitted estimator (e.g. the paper's
pipeline ``Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)``), the modalities and
feature widths it was trained on, and optionally the *feature specification* used to extract those
features from video files (see :mod:`sklearn_emotion.extraction`), so that ``sklearn-emotion predict``
can take a video directly.  :class:`~sklearn_emotion.GRUMoERegressor` pickles its network weights, so
the file loads in a fresh process and predicts identically.

Model files written by an earlier version load when the classes they hold can still be found;
names that have since moved give one ``FutureWarning`` naming the file (save it again to silence
it).  A file that cannot be loaded raises a one-line ``ValueError`` naming the file and the
version of sklearn-emotion that saved it.

Only load model files you trust: like every pickle, a joblib file can run code when loaded.
"""

from __future__ import annotations

import os
import pickletools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._compat import MovedNameWarning
from .files import atomic_write_bytes

__all__ = ["MODEL_FORMAT", "SavedModel", "save_model", "load_model", "write_joblib"]

#: Marker stored in every model file, checked by :func:`load_model`.
MODEL_FORMAT = "sklearn-emotion-model"
_FORMAT_VERSION = 1
# Pickle opcodes that only bookkeep (framing, memo), skipped when reading the version of a file.
_BOOKKEEPING = {"PROTO", "FRAME", "MARK", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}


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
        predicted).
    info : dict
        Free-form description (command-line options, package version, training set size, ...).
    """

    estimator: Any
    modalities: dict[str, int]
    feature_spec: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)


def write_joblib(path: str | os.PathLike, obj: Any) -> Path:
    """Pickle ``obj`` with joblib into ``path``, atomically: the one way this package writes a model.

    Parameters
    ----------
    path : str or path-like
        Destination; parent folders are created.
    obj : object
        Anything picklable; ``joblib.load(path)`` returns an equal object.

    Returns
    -------
    Path
    """
    import joblib

    return atomic_write_bytes(path, lambda out: joblib.dump(obj, out))


def save_model(path: str | os.PathLike, model: SavedModel) -> Path:
    """Write ``model`` to ``path`` with joblib, atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or path-like
        Destination, conventionally ``*.joblib``; parent folders are created.
    model : SavedModel

    Returns
    -------
    Path
    """
    from . import __version__

    payload = {
        "format": MODEL_FORMAT,
        "format_version": _FORMAT_VERSION,
        "package_version": __version__,
        "estimator": model.estimator,
        "modalities": dict(model.modalities),
        "feature_spec": model.feature_spec,
        "info": dict(model.info),
    }
    return write_joblib(path, payload)


def _saved_version(path: Path) -> str | None:
    """The ``package_version`` a model file records, read without unpickling anything (None if unknown).

    :func:`save_model` (0.1 included) writes it among the first entries of the payload, ahead of
    the estimator, so the first opcodes of the pickle suffice even when its classes are gone.
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


def _unloadable(path: Path, exc: Exception) -> str:
    """One line saying why ``path`` did not load and, when the file says, which version saved it."""
    from . import __version__

    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    version = _saved_version(path)
    if version is None:
        return f"{path} is not a readable sklearn-emotion model file ({reason})."
    return (
        f"{path} was saved by sklearn-emotion {version} and cannot be loaded by sklearn-emotion "
        f"{__version__} ({reason}); load it with sklearn-emotion {version} or train the model again."
    )


def _unpickle(path: Path) -> tuple[Any, list[str]]:
    """``joblib.load(path)`` and the moved names it used (their FutureWarnings are held back)."""
    import joblib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            payload = joblib.load(path)
        except Exception as exc:  # joblib/pickle raise many kinds on a foreign, damaged or old file
            raise ValueError(_unloadable(path, exc)) from exc
    moved = []
    for warning in caught:
        if isinstance(warning.message, MovedNameWarning):
            moved.append(warning.message.old_name)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return payload, sorted(set(moved))


def load_model(path: str | os.PathLike) -> SavedModel:
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    SavedModel

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a model saved by this package, was saved by a newer format version, or
        holds classes this version cannot load; one line naming the file and the version that saved it.

    Warns
    -----
    FutureWarning
        Once, when the file refers to classes by names that moved since it was saved (it loads and
        predicts as before; ``save_model(path, load_model(path))`` rewrites it with today's names).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    payload, moved = _unpickle(path)
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a model saved by sklearn-emotion (save it with `sklearn-emotion fit`).")
    version = payload.get("package_version")
    if payload.get("format_version", 0) > _FORMAT_VERSION:
        raise ValueError(f"{path} was saved by a newer sklearn-emotion ({version}); upgrade to load it.")
    if moved:
        warnings.warn(
            f"{path} was saved by sklearn-emotion {version} and names classes that have moved since "
            f"({', '.join(moved)}); it loads and predicts as before, but save it again "
            "(sklearn_emotion.persistence.save_model(path, load_model(path))) before the old names are removed.",
            FutureWarning,
            stacklevel=2,
        )
    return SavedModel(
        estimator=payload["estimator"],
        modalities=dict(payload["modalities"]),
        feature_spec=payload.get("feature_spec"),
        info=dict(payload.get("info", {})),
    )
