"""A folder of extracted features that several runs can fill, resume and share.

Layout of a feature folder (written by ``sklearn-emotion extract``)::

    DIR/<movie>.npz               features of one movie (sklearn_emotion.files.save_features)
    DIR/.records/<movie>.json     how they were made: source file, its SHA-256, settings, seconds
    DIR/features.json             the manifest: the settings and every movie made with them

Every file is written atomically, and a movie's record only after its features, so a record always
describes a complete feature file.  A movie counts as done when its record names the same feature
settings and the same **content** (SHA-256 of the video's bytes) as the video given now: a video
replaced under the same name is extracted again.  The manifest is rebuilt from the records under a
lock (:func:`sklearn_emotion.files.locked`), so two runs writing into one folder at once both end
up listed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .files import FEATURE_SUFFIX, atomic_write_bytes, locked, save_features

__all__ = ["FeatureFolder", "MANIFEST", "MISSING_AUDIO_POLICIES", "read_folder_settings", "read_folder_spec"]

#: The manifest file of a feature folder.
MANIFEST = "features.json"
_RECORDS = ".records"
_LOCK = ".features.lock"
#: The values of ``extract --missing-audio``, recorded as ``missing_audio`` in the manifest and each record.
MISSING_AUDIO_POLICIES = ("error", "silence")


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None when the file is absent or unreadable."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, lambda out: out.write(json.dumps(value, indent=1).encode()))


def read_folder_settings(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The settings recorded in ``folder``'s manifest, or None when it has no manifest.

    Returns
    -------
    dict or None
        ``{"feature_spec": dict, "missing_audio": "error" | "silence"}``: the feature settings and the
        ``--missing-audio`` policy of the run that last wrote the manifest (``"error"`` for a manifest
        written before the policy was recorded).

    Raises
    ------
    ValueError
        When the manifest exists but is not a manifest with its settings (unreadable, edited, cut).
    """
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    manifest = _read_json(path)
    spec = None if manifest is None else manifest.get("feature_spec")
    if not isinstance(spec, dict) or not spec:
        raise ValueError(
            f"{path} is incomplete: it does not record the feature settings (feature_spec). Extract the "
            "features again with `sklearn-emotion extract`, or delete it to train a model that predicts "
            "feature files only."
        )
    missing_audio = manifest.get("missing_audio", "error")
    if missing_audio not in MISSING_AUDIO_POLICIES:
        raise ValueError(
            f"{path} is incomplete: its missing_audio is {missing_audio!r}, expected one of "
            f"{', '.join(map(repr, MISSING_AUDIO_POLICIES))}. Extract the features again with `sklearn-emotion extract`."
        )
    return {"feature_spec": spec, "missing_audio": missing_audio}


def read_folder_spec(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The feature settings recorded in ``folder``'s manifest, or None when it has no manifest.

    The ``feature_spec`` of :func:`read_folder_settings`, which raises ``ValueError`` for an incomplete manifest.
    """
    settings = read_folder_settings(folder)
    return None if settings is None else settings["feature_spec"]


class FeatureFolder:
    """The feature files of one folder, with a record of how each was made.

    Parameters
    ----------
    path : str or path-like
        The folder (created on first write).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def features_path(self, movie: str) -> Path:
        return self.path / f"{movie}{FEATURE_SUFFIX}"

    def record(self, movie: str) -> dict[str, Any] | None:
        """How ``movie``'s features were made, or None (never extracted, or by a version before records)."""
        return _read_json(self.path / _RECORDS / f"{movie}.json")

    def spec(self) -> dict[str, Any] | None:
        """The feature settings of the folder's movies so far (from the manifest), or None when it has none."""
        manifest = _read_json(self.path / MANIFEST)
        if manifest is None or not manifest.get("movies"):
            return None
        return manifest.get("feature_spec")

    def is_done(self, movie: str, content: str, spec: Mapping[str, Any]) -> bool:
        """Whether ``movie`` has features made with ``spec`` from a video of SHA-256 ``content``."""
        record = self.record(movie)
        return (
            record is not None
            and record.get("content") == content
            and record.get("feature_spec") == spec
            and self.features_path(movie).is_file()
        )

    def save(self, movie: str, features: Mapping[str, np.ndarray], *, source: str | os.PathLike, content: str,
             spec: Mapping[str, Any], missing_audio: str = "error") -> None:
        """Write ``movie``'s features, then its record (both atomically)."""
        save_features(self.features_path(movie), features)
        record = {
            "source": os.fspath(Path(source).resolve()),
            "content": content,
            "feature_spec": dict(spec),
            "missing_audio": missing_audio,
            "seconds": int(next(iter(features.values())).shape[0]),
            "features": {name: int(np.shape(array)[1]) for name, array in features.items()},
        }
        _write_json(self.path / _RECORDS / f"{movie}.json", record)

    def write_manifest(self, spec: Mapping[str, Any], missing_audio: str = "error") -> dict[str, Any]:
        """Rebuild ``features.json`` from every record made with ``spec`` (under the folder's lock)."""
        with locked(self.path / _LOCK):
            movies = {}
            for path in sorted((self.path / _RECORDS).glob("*.json")):
                record = _read_json(path)
                if record is None or record.get("feature_spec") != spec:
                    continue
                if self.features_path(path.stem).is_file():
                    movies[path.stem] = {key: value for key, value in record.items() if key != "feature_spec"}
            manifest = {"feature_spec": dict(spec), "missing_audio": missing_audio, "movies": movies}
            if movies:  # a run that saved nothing leaves the folder (and other settings' manifest) as it was
                _write_json(self.path / MANIFEST, manifest)
        return manifest
