"""Saving and loading trained models together with what they need to predict new movies.

A saved model is one joblib file holding a dictionary: the fitted estimator (e.g. the paper's
pipeline ``Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)``), the modalities and
feature widths it was trained on, and optionally the *feature specification* used to extract those
features from video files (see :mod:`sklearn_emotion.extraction`), so that ``sklearn-emotion predict``
can take a video directly.  :class:`~sklearn_emotion.GRUMoERegressor` pickles its network weights, so
the file loads in a fresh process and predicts identically.

Only load model files you trust: like every pickle, a joblib file can run code when loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import atomic_write_bytes

__all__ = ["MODEL_FORMAT", "SavedModel", "save_model", "load_model"]

#: Marker stored in every model file, checked by :func:`load_model`.
MODEL_FORMAT = "sklearn-emotion-model"
_FORMAT_VERSION = 1


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
    import joblib

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
    return atomic_write_bytes(path, lambda out: joblib.dump(payload, out))


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
        When the file is not a model saved by this package (or by a newer format version).
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # joblib/pickle raise many kinds on a foreign or damaged file
        raise ValueError(f"{path} is not a readable sklearn-emotion model file ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a model saved by sklearn-emotion (save it with `sklearn-emotion fit`).")
    if payload.get("format_version", 0) > _FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved by a newer sklearn-emotion ({payload.get('package_version')}); upgrade to load it."
        )
    return SavedModel(
        estimator=payload["estimator"],
        modalities=dict(payload["modalities"]),
        feature_spec=payload.get("feature_spec"),
        info=dict(payload.get("info", {})),
    )
