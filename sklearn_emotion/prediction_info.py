"""What made a folder of predictions: ``predictions.json`` beside the per-movie CSV files.

``sklearn-emotion predict`` writes ``<movie>.csv`` files into a folder and, beside them,
:data:`PREDICTION_INFO_FILE` (``predictions.json``)::

    {"format": "sklearn-emotion predictions", "version": 2,
     "model": "model.skops (baseline)", "model_file": "/abs/path/model.skops",
     "model_sha256": "9f2c...", "training_movies": ["movie_00", "movie_01"],
     "movies": {"movie_07": {"input": "/abs/path/movie_07.npz", "sha256": "41d0...",
                             "trained_on": false, "training_name": false}}}

``model`` is the name shown for these predictions (e.g. in the titles of ``evaluate --plots``);
``model_file`` is the model file they came from, or ``null``; ``model_sha256`` the SHA-256 of its
bytes (the folder belongs to that model: :class:`PredictionFolder`); ``training_movies`` the names of
the movies the model was trained on (``null``: not recorded).  ``movies`` has a record per predicted
movie: its input file (features or video) and the SHA-256 of its bytes, ``trained_on`` (``true``: the
input is byte for byte one the model was trained on, by the SHA-256 that ``fit`` records; ``false``:
it is none of them; ``null``: the model records no digests, so it cannot be told) and
``training_name`` (a training movie had this name).  Other keys may be added; readers ignore what
they do not know.  Version 1 files (sklearn-emotion 0.2: ``model`` and ``model_file`` only) are read
with ``model_sha256``, ``training_movies`` null and no movie records.  A folder without the file
(predictions from another program) is named after the folder (:func:`prediction_model_name`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .files import atomic_write_bytes, locked

__all__ = [
    "PREDICTION_INFO_FILE",
    "PredictionFolder",
    "movie_record",
    "prediction_model_name",
    "read_prediction_info",
    "write_prediction_info",
]

#: Name of the file describing a folder of predictions.
PREDICTION_INFO_FILE = "predictions.json"
_FORMAT = "sklearn-emotion predictions"
_VERSION = 2
#: Serialises the check of a folder's model and every update of its predictions.json between processes.
_LOCK = ".predictions.lock"
#: What `predict` writes per movie (a CSV, and a PNG unless --no-plot); removed by ``claim(overwrite=True)``.
_PREDICTION_SUFFIX, _PLOT_SUFFIX = ".csv", ".png"


def _info(model_name: str, model_file: str | os.PathLike | None, model_sha256: str | None,
          training_movies: Sequence[str] | None, movies: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    model_name = str(model_name).strip()
    if not model_name:
        raise ValueError("model_name must not be empty.")
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "model": model_name,
        "model_file": None if model_file is None else os.fspath(Path(model_file).resolve()),
        "model_sha256": model_sha256,
        "training_movies": None if training_movies is None else [str(name) for name in training_movies],
        "movies": {str(name): dict(record) for name, record in (movies or {}).items()},
    }


def _write(folder: Path, info: Mapping[str, Any]) -> Path:
    text = json.dumps(info, indent=1) + "\n"
    return atomic_write_bytes(folder / PREDICTION_INFO_FILE, lambda out: out.write(text.encode()))


def write_prediction_info(
    folder: str | os.PathLike,
    model_name: str,
    model_file: str | os.PathLike | None = None,
    *,
    model_sha256: str | None = None,
    training_movies: Sequence[str] | None = None,
    movies: Mapping[str, Mapping[str, Any]] | None = None,
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
    model_sha256 : str, optional
        SHA-256 (hex) of the model file's bytes.
    training_movies : sequence of str, optional
        Names of the movies the model was trained on.
    movies : mapping of str to dict, optional
        A record per predicted movie (:func:`movie_record`).

    Returns
    -------
    Path
        The written file.
    """
    return _write(Path(folder), _info(model_name, model_file, model_sha256, training_movies, movies))


def read_prediction_info(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The content of ``folder/predictions.json``, or None when the folder has no such file.

    Parameters
    ----------
    folder : str or path-like
        A folder of predictions (a prediction file is taken as its folder).

    Returns
    -------
    dict or None
        At least ``"model"`` (a non-empty str), ``"model_file"`` (str or None), ``"model_sha256"``
        (str or None), ``"training_movies"`` (list of str or None) and ``"movies"`` (dict of movie
        name to record, empty for a version 1 file).

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
    model_file, digest = info.get("model_file"), info.get("model_sha256")
    for key, value in (("model_file", model_file), ("model_sha256", digest)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f'{path}: "{key}" must be a string or null.')
    training = info.get("training_movies")
    if training is not None and not (isinstance(training, list) and all(isinstance(n, str) for n in training)):
        raise ValueError(f'{path}: "training_movies" must be a list of movie names or null.')
    movies = info.get("movies", {})
    if not (isinstance(movies, dict) and all(isinstance(r, dict) for r in movies.values())):
        raise ValueError(f'{path}: "movies" must map each movie name to its record.')
    return {**info, "model": model.strip(), "model_file": model_file, "model_sha256": digest,
            "training_movies": training, "movies": movies}


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


def movie_record(name: str, source: str | os.PathLike, sha256: str, model_info: Mapping[str, Any]) -> dict[str, Any]:
    """The ``predictions.json`` record of one predicted movie: its input and whether the model was trained on it.

    Parameters
    ----------
    name : str
        The movie's name.
    source : str or path-like
        Its input file (features or video).
    sha256 : str
        SHA-256 (hex) of that file's bytes (:func:`sklearn_emotion.media.cache.content_digest`).
    model_info : mapping
        The model's ``info`` (:class:`sklearn_emotion.persistence.SavedModel`): ``"movies"`` (training
        names) and ``"training_digests"`` (``{name: {"features": hex, "source": hex or None}}``), when
        recorded.

    Returns
    -------
    dict
        ``{"input", "sha256", "trained_on", "training_name"}``; ``trained_on`` is None when the model
        records no training digests.
    """
    digests = model_info.get("training_digests")
    trained_on = None
    if isinstance(digests, Mapping):
        known = {value for entry in digests.values() if isinstance(entry, Mapping)
                 for value in entry.values() if isinstance(value, str)}
        trained_on = sha256 in known
    names = model_info.get("movies")
    return {"input": os.fspath(Path(source).resolve()), "sha256": sha256, "trained_on": trained_on,
            "training_name": isinstance(names, (list, tuple)) and name in names}


class PredictionFolder:
    """A folder of predictions that belongs to one model, identified by the SHA-256 of the model file.

    :meth:`claim` checks, before the first movie and under the folder's lock, that the folder holds no
    predictions of another model, and records this one in ``predictions.json``; :meth:`record` adds each
    movie's record once its CSV is written.  So ``evaluate`` never scores two models' predictions as one
    row, and the same model may add movies to its own folder (a movie predicted again is replaced).

    Parameters
    ----------
    path : str or path-like
        The folder (created by :meth:`claim` if needed).
    model_name, model_file, model_sha256, training_movies
        As for :func:`write_prediction_info`; ``model_sha256`` is required.
    """

    def __init__(self, path: str | os.PathLike, *, model_name: str, model_file: str | os.PathLike | None,
                 model_sha256: str, training_movies: Sequence[str] | None = None):
        self.path = Path(path)
        self._info = _info(model_name, model_file, model_sha256, training_movies, None)

    def _previous(self) -> tuple[dict[str, Any] | None, list[Path]]:
        """The folder's predictions.json (None when absent or unreadable) and its prediction files."""
        try:
            info = read_prediction_info(self.path)
        except ValueError:
            info = None
        files = sorted(p for p in self.path.glob(f"*{_PREDICTION_SUFFIX}") if p.is_file())
        return info, files

    def claim(self, *, overwrite: bool = False) -> list[Path]:
        """Make the folder this model's, or raise ``ValueError`` when it holds another model's predictions.

        Parameters
        ----------
        overwrite : bool, default=False
            Replace another model's predictions: its ``<movie>.csv`` files (and the ``<movie>.png`` beside
            each) are removed first.

        Returns
        -------
        list of Path
            The prediction files removed (empty unless ``overwrite``).

        Raises
        ------
        ValueError
            When ``-o`` names a file, or the folder holds ``predictions.json`` of another model (another
            SHA-256, or none recorded) or CSV files without ``predictions.json``, and ``overwrite`` is
            False.  The message names the folder, the other model and the number of files.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"{self.path} is a file; predictions go into a folder (-o DIR).")
        with locked(self.path / _LOCK):
            info, files = self._previous()
            own = info is not None and info.get("model_sha256") == self._info["model_sha256"]
            if own:
                movies = {n: r for n, r in info["movies"].items() if (self.path / f"{n}{_PREDICTION_SUFFIX}").is_file()}
                _write(self.path, {**self._info, "movies": movies})
                return []
            if (info is not None or files) and not overwrite:
                raise ValueError(self._refusal(info, files))
            removed = []
            for path in files:
                path.with_suffix(_PLOT_SUFFIX).unlink(missing_ok=True)
                path.unlink(missing_ok=True)
                removed.append(path)
            _write(self.path, self._info)
            return removed

    def _refusal(self, info: dict[str, Any] | None, files: list[Path]) -> str:
        if info is None:
            whose = "predictions of an unknown model (no readable predictions.json)"
        elif info.get("model_sha256") is None:
            whose = (f"predictions of {info['model']}, whose predictions.json (sklearn-emotion 0.2 or another "
                     "program) records no SHA-256 of the model, so they cannot be told from this one's")
        else:
            whose = f"predictions of another model, {info['model']} (another SHA-256)"
        return (f"{self.path} holds {whose}: {len(files)} CSV file(s). Predictions of two models in one folder "
                "would be scored as one; use another -o folder, or --overwrite to replace them (their CSV "
                "and PNG files are removed).")

    def record(self, movie: str, record: Mapping[str, Any]) -> None:
        """Add (or replace) ``movie``'s record in ``predictions.json``, under the folder's lock."""
        with locked(self.path / _LOCK):
            try:
                info = read_prediction_info(self.path)
            except ValueError:
                info = None
            movies = dict(info["movies"]) if info is not None and info.get("model_sha256") == self._info[
                "model_sha256"] else {}
            movies[str(movie)] = dict(record)
            _write(self.path, {**self._info, "movies": movies})
