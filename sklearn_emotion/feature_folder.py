"""A folder of extracted features that several runs can fill, resume and share.

Layout of a feature folder (written by ``sklearn-emotion extract``)::

    DIR/<movie>.npz               features of one movie (sklearn_emotion.files.save_features)
    DIR/.records/<movie>.json     how they were made: source file, its SHA-256, settings, seconds
    DIR/features.json             the manifest: the settings and every movie made with them

Every file is written atomically, and a movie's record only after its features, so a record always
describes a complete feature file.  A movie counts as done when its record names the same feature
settings and the same **content** (SHA-256 of the video's bytes) as the video given now: a video
replaced under the same name is extracted again.

Settings are compared and recorded with each video modality's ``frame_selection`` said: one
recorded without it (by 0.2) was made with the exact rule, so a folder extracted with
``"exact"`` is never resumed or mixed with ``"fast"`` (see
:func:`sklearn_emotion.extraction.recorded_feature_spec`).

The folder has one set of feature settings.  A run records its settings in the manifest before its
first movie (:meth:`FeatureFolder.claim`), and saves each movie only after checking, under the
folder's lock (:func:`sklearn_emotion.files.locked`), that they are still the folder's: a run with
other settings is refused while the folder holds features, so nothing of another run is overwritten
(``--overwrite`` takes the folder over, and a run whose folder was taken over under it fails each
movie it has left, saving none).  Without a manifest (deleted, or a run killed before 0.3 wrote it
at the start) the folder is judged by its records.  The manifest is rebuilt from the records under
the lock, so two runs with the same settings writing into one folder at once both end up listed.
Every write into the folder happens under the lock, so the temporary files found while holding it
were left by a killed run and are removed.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .files import FEATURE_SUFFIX, atomic_write_bytes, locked, remove_temporaries, save_features

__all__ = [
    "FeatureFolder",
    "FolderSettingsError",
    "MANIFEST",
    "MISSING_AUDIO_POLICIES",
    "read_folder_settings",
    "read_folder_spec",
]

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


def _explicit(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` as recorded: each video modality's ``frame_selection`` said (absent: the exact rule of 0.2)."""
    from .extraction import recorded_feature_spec

    return recorded_feature_spec(spec)


def _read_record(path: Path) -> dict[str, Any] | None:
    """A movie's record, its ``feature_spec`` read as :func:`~sklearn_emotion.extraction.recorded_feature_spec` does."""
    record = _read_json(path)
    if record is not None and isinstance(record.get("feature_spec"), dict):
        record["feature_spec"] = _explicit(record["feature_spec"])
    return record


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
    spec = _explicit(spec)  # written by 0.2 (no frame_selection): the exact rule
    missing_audio = manifest.get("missing_audio", "error")
    if missing_audio not in MISSING_AUDIO_POLICIES:
        raise ValueError(
            f"{path} is incomplete: its missing_audio is {missing_audio!r}, expected one of "
            f"{', '.join(map(repr, MISSING_AUDIO_POLICIES))}. Extract the features again with "
            "`sklearn-emotion extract`."
        )
    return {"feature_spec": spec, "missing_audio": missing_audio}


def read_folder_spec(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The feature settings recorded in ``folder``'s manifest, or None when it has no manifest.

    The ``feature_spec`` of :func:`read_folder_settings`, which raises ``ValueError`` for an incomplete manifest.
    """
    settings = read_folder_settings(folder)
    return None if settings is None else settings["feature_spec"]


class FolderSettingsError(ValueError):
    """A feature folder holds (or now records) features made with other settings than a run's.

    Attributes
    ----------
    settings : list of dict or None
        The other feature settings found, None for feature files whose settings are unknown.
    """

    def __init__(self, message: str, settings: list[dict[str, Any] | None] = ()):
        super().__init__(message)
        self.settings = list(settings)


def _describe(spec: Mapping[str, Any] | None) -> str:
    if spec is None:
        return "unknown settings (no record)"
    from .extraction import describe_feature_spec

    return describe_feature_spec(spec).replace("\n", "; ")


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
        """How ``movie``'s features were made, or None (never extracted, or by a version before records).

        A ``feature_spec`` written by 0.2 (without ``frame_selection``) reads as the exact rule.
        """
        return _read_record(self.path / _RECORDS / f"{movie}.json")

    def spec(self) -> dict[str, Any] | None:
        """The feature settings the manifest records, or None when it has none (absent, unreadable, cut)."""
        try:
            settings = read_folder_settings(self.path)
        except ValueError:
            return None
        return None if settings is None else settings["feature_spec"]

    def other_settings(self, spec: Mapping[str, Any]) -> list[dict[str, Any] | None]:
        """The settings, other than ``spec``, of features the folder holds (None: unknown); empty when none.

        A folder whose manifest records ``spec``, or that holds no feature file, has none.  Otherwise the
        manifest's settings are the folder's; without a readable manifest, each feature file is judged
        by its record, and one without a record has unknown settings.
        """
        spec = _explicit(spec)
        features = sorted(self.path.glob(f"*{FEATURE_SUFFIX}")) if self.path.is_dir() else []
        recorded = self.spec()
        if recorded is not None:
            return [] if recorded == spec or not features else [recorded]
        others: list[dict[str, Any] | None] = []
        for path in features:
            record = self.record(path.stem)
            made = None if record is None else record.get("feature_spec")
            if made != spec and made not in others:
                others.append(made if isinstance(made, dict) else None)
        return others

    def refusal(self, spec: Mapping[str, Any]) -> FolderSettingsError | None:
        """Why a run with ``spec`` may not write into the folder (see :meth:`other_settings`), or None."""
        others = self.other_settings(spec)
        if not others:
            return None
        if self.spec() is None:
            where = (f"{self.path} has no (readable) {MANIFEST} and its feature files were made with other "
                     "settings")
        else:
            where = f"{self.path} holds features extracted with other settings"
        listed = "\n".join(f"  {_describe(other)}" for other in others)
        return FolderSettingsError(f"{where}:\n{listed}", others)

    def _remove_temporaries(self) -> None:
        # Every write of this package into the folder (features, records, manifest) holds the folder's lock,
        # so a temporary file seen while holding it belongs to no write in progress: a killed run left it.
        # (An age limit would keep a fresh leftover for a while and still guess; the lock knows.)  Without
        # advisory locks (Windows) the lock holds nothing, so nothing is removed.
        if importlib.util.find_spec("fcntl") is None:
            return
        remove_temporaries(self.path)
        remove_temporaries(self.path / _RECORDS)

    def claim(self, spec: Mapping[str, Any], missing_audio: str = "error", *, overwrite: bool = False) -> None:
        """Record ``spec`` as the folder's settings before the first movie is extracted (under the lock).

        Also removes the temporary files of killed runs (every write into the folder holds the lock, so
        any found while holding it is stale) and checks, before any movie, that the folder can be written.

        Raises
        ------
        FolderSettingsError
            When the folder holds features made with other settings and ``overwrite`` is False.
        OSError
            When the folder cannot be created or written (naming it).
        """
        spec = _explicit(spec)
        with locked(self.path / _LOCK):
            self._remove_temporaries()
            refusal = None if overwrite else self.refusal(spec)
            if refusal is not None:
                raise refusal
            self._write_manifest(spec, missing_audio)

    def is_done(self, movie: str, content: str, spec: Mapping[str, Any]) -> bool:
        """Whether ``movie`` has features made with ``spec`` from a video of SHA-256 ``content``.

        The missing-audio policy does not count: it changes nothing for a movie that has a sound track,
        and a movie without one has features only if it was extracted with ``silence``.
        """
        record = self.record(movie)
        return (
            record is not None
            and record.get("content") == content
            and record.get("feature_spec") == _explicit(spec)
            and self.features_path(movie).is_file()
        )

    def save(self, movie: str, features: Mapping[str, np.ndarray], *, source: str | os.PathLike, content: str,
             spec: Mapping[str, Any], missing_audio: str = "error") -> None:
        """Write ``movie``'s features, then its record (both atomically), if ``spec`` is still the folder's.

        Checked under the folder's lock, held while writing: a run with other settings cannot slip in
        between the check and the writes.  When the record cannot be written (e.g. the movie's name is too
        long for the file system), the new feature file is removed again, so no file lacks its record.

        Raises
        ------
        FolderSettingsError
            When the folder's settings are no longer ``spec`` (another run took it over): nothing is written.
        OSError
            When a file cannot be written (naming it).
        """
        spec = _explicit(spec)
        with locked(self.path / _LOCK):
            recorded = self.spec()
            if recorded is None:  # the manifest was deleted under the run: judge by the records, claim again
                refusal = self.refusal(spec)
                if refusal is not None:
                    raise refusal
                self._write_manifest(spec, missing_audio)
            elif recorded != spec:
                raise FolderSettingsError(
                    f"{self.path} now records other feature settings (another extract took the folder over "
                    f"while {movie} was extracted), so its features were not saved: {_describe(recorded)}.",
                    [recorded],
                )
            target = save_features(self.features_path(movie), features)
            record = {
                "source": os.fspath(Path(source).resolve()),
                "content": content,
                "feature_spec": dict(spec),
                "missing_audio": missing_audio,
                "seconds": int(next(iter(features.values())).shape[0]),
                "features": {name: int(np.shape(array)[1]) for name, array in features.items()},
            }
            try:
                _write_json(self.path / _RECORDS / f"{movie}.json", record)
            except BaseException:
                target.unlink(missing_ok=True)
                raise

    def _manifest(self, spec: Mapping[str, Any], missing_audio: str) -> dict[str, Any]:
        """The manifest of ``spec``: every movie whose record names ``spec`` and whose feature file exists."""
        spec = _explicit(spec)
        movies = {}
        for path in sorted((self.path / _RECORDS).glob("*.json")):
            record = _read_record(path)
            if record is not None and record.get("feature_spec") == spec and self.features_path(path.stem).is_file():
                movies[path.stem] = {key: value for key, value in record.items() if key != "feature_spec"}
        return {"feature_spec": dict(spec), "missing_audio": missing_audio, "movies": movies}

    def _write_manifest(self, spec: Mapping[str, Any], missing_audio: str) -> dict[str, Any]:
        """Rebuild ``features.json`` from every record made with ``spec`` (the caller holds the lock)."""
        manifest = self._manifest(spec, missing_audio)
        _write_json(self.path / MANIFEST, manifest)
        return manifest

    def write_manifest(self, spec: Mapping[str, Any], missing_audio: str = "error") -> dict[str, Any]:
        """Rebuild ``features.json`` from every record made with ``spec`` (under the folder's lock).

        When the folder has been taken over by a run with other settings, its manifest is left alone:
        the returned manifest, of ``spec``'s movies, is then not written.  The temporary files of killed
        runs are removed, as by :meth:`claim`.
        """
        with locked(self.path / _LOCK):
            self._remove_temporaries()
            if self.refusal(spec) is None:
                return self._write_manifest(spec, missing_audio)
            return self._manifest(spec, missing_audio)
