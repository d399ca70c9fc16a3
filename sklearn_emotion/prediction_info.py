"""What made a folder of predictions: ``predictions.json`` beside the per-movie CSV files.

``sklearn-emotion predict`` writes ``<movie>.csv`` files into a folder and, beside them,
:data:`PREDICTION_INFO_FILE` (``predictions.json``)::

    {"format": "sklearn-emotion predictions", "version": 1,
     "model": "baseline.joblib (baseline)", "model_file": "/abs/path/baseline.joblib"}

``model`` is the name shown for these predictions (e.g. in the titles of ``evaluate --plots``);
``model_file`` is the model file they came from, or ``null``.  Other keys may be added; readers
ignore what they do not know.  A folder without the file (predictions from another program) is
named after the folder (:func:`prediction_model_name`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .files import atomic_write_bytes

__all__ = [
    "PREDICTION_INFO_FILE",
    "prediction_model_name",
    "read_prediction_info",
    "write_prediction_info",
]

#: Name of the file describing a folder of predictions.
PREDICTION_INFO_FILE = "predictions.json"
_FORMAT = "sklearn-emotion predictions"
_VERSION = 1


def write_prediction_info(
    folder: str | os.PathLike, model_name: str, model_file: str | os.PathLike | None = None
) -> Path:
    """Write ``folder/predictions.json`` naming the model that made the predictions, atomically.

    Parameters
    ----------
    folder : str or path-like
        The folder of the ``<movie>.csv`` predictions (created if needed).
    model_name : str
        Name to show for these predictions, e.g. ``"model.skops (paper)"``; not empty.
    model_file : str or path-like, optional
        The model file; stored as an absolute path.

    Returns
    -------
    Path
        The written file.
    """
    model_name = str(model_name).strip()
    if not model_name:
        raise ValueError("model_name must not be empty.")
    info = {
        "format": _FORMAT,
        "version": _VERSION,
        "model": model_name,
        "model_file": None if model_file is None else os.fspath(Path(model_file).resolve()),
    }
    text = json.dumps(info, indent=1) + "\n"
    return atomic_write_bytes(Path(folder) / PREDICTION_INFO_FILE, lambda out: out.write(text.encode()))


def read_prediction_info(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The content of ``folder/predictions.json``, or None when the folder has no such file.

    Parameters
    ----------
    folder : str or path-like
        A folder of predictions (a prediction file is taken as its folder).

    Returns
    -------
    dict or None
        At least ``"model"`` (a non-empty str) and ``"model_file"`` (str or None).

    Raises
    ------
    ValueError
        When the file exists but is not such a JSON object; the message names the file.
    """
    folder = Path(folder)
    path = (folder.parent if folder.is_file() else folder) / PREDICTION_INFO_FILE
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc}).") from None
    model = info.get("model") if isinstance(info, dict) else None
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f'{path}: expected a JSON object with a non-empty "model" name.')
    model_file = info.get("model_file")
    if model_file is not None and not isinstance(model_file, str):
        raise ValueError(f'{path}: "model_file" must be a string or null.')
    return {**info, "model": model.strip(), "model_file": model_file}


def prediction_model_name(folder: str | os.PathLike) -> str:
    """The model named in ``folder/predictions.json``, else the folder's name.

    Raises ``ValueError`` (from :func:`read_prediction_info`) when the file is malformed.
    """
    info = read_prediction_info(folder)
    if info is not None:
        return info["model"]
    folder = Path(folder)
    folder = folder.parent if folder.is_file() else folder
    return folder.name or folder.resolve().name or os.fspath(folder)
