"""A features folder and an annotations folder -> ``X, y, names``: what ``fit`` and ``cross-validate`` read.

:func:`load_feature_corpus` is the one-call form; :func:`read_feature_files`, :func:`feature_settings`,
:func:`read_targets` and :func:`check_lengths` are its steps, which ``fit`` also uses one by one (it
records the files' settings and digests in the model).  Every error is a ``ValueError`` or
``FileNotFoundError`` naming the file or movie.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check_lengths", "feature_settings", "load_feature_corpus", "read_feature_files", "read_targets"]

#: Annotation file names looked for, in the errors about a movie without annotations.
_ANNOTATION_NAMES = "<movie>_Valence-Arousal.txt, <movie>.csv/.tsv/.txt, <movie>_Valence.txt + _Arousal.txt"


def read_feature_files(paths: Sequence[str | os.PathLike]) -> tuple[list[str], list[dict], list[Path]]:
    """The feature files named by ``paths`` (files, or folders of ``.npz``): names, features and files.

    Parameters
    ----------
    paths : sequence of path-like
        Feature files or folders of them.

    Returns
    -------
    names : list of str
        Movie names (the files' stems).
    movies : list of dict
        ``{modality: (T, d)}`` per movie.
    files : list of Path

    Raises
    ------
    FileNotFoundError
        When a path is missing or a folder holds no feature file.
    ValueError
        When a file is not a valid feature file, two files share a movie name, or the movies have
        different modalities or widths (naming both movies).
    """
    from ..files import FEATURE_SUFFIX, find_feature_files, load_features

    files = find_feature_files(paths)
    files = [f for f in files if f.suffix == FEATURE_SUFFIX] or files
    movies = [load_features(path) for path in files]
    names = [path.stem for path in files]
    first = {k: v.shape[1] for k, v in movies[0].items()}
    for name, movie in zip(names, movies):
        widths = {k: v.shape[1] for k, v in movie.items()}
        if widths != first:
            raise ValueError(f"movie {name} has features {widths} but {names[0]} has {first}.")
    return names, movies, files


def feature_settings(files: Sequence[Path], movies: Sequence[dict]) -> dict[str, Any]:
    """The settings the feature files were extracted with, each file checked against its folder's records.

    ``extract`` records its settings in each folder's ``features.json`` (the manifest, listing every movie
    made with them with its widths and seconds) and in a record per movie (``.records/<movie>.json``).  A
    file that contradicts them is an error naming it: a model would store settings that did not make
    its features, and ``predict`` would extract videos differently from the training movies.

    Parameters
    ----------
    files : sequence of Path
        The feature files, as :func:`read_feature_files` returns them.
    movies : sequence of dict
        Their features.

    Returns
    -------
    dict
        ``feature_spec``: the settings that made every file, or None when unknown (no folder has a
        manifest, folders record different settings, or a file is vouched for by no manifest: neither
        listed in it nor recorded with its settings); ``missing_audio``: the folders' policy for videos
        without sound ("error" when unknown); ``sources``: each movie's video SHA-256 as recorded (None
        when unrecorded); ``warnings``: why the settings are unknown though some folder records them.

    Raises
    ------
    ValueError
        When a manifest is incomplete, a file's record names other settings than its folder's manifest,
        or a file has other modalities, widths or seconds than its record, its manifest entry or the
        manifest's settings say.
    """
    from ..feature_folder import MANIFEST, read_folder_settings

    by_folder: dict[Path, list[tuple[Path, dict]]] = {}
    for path, movie in zip(files, movies):
        by_folder.setdefault(Path(path).parent, []).append((Path(path), movie))
    settings: dict[Path, dict[str, Any]] = {}
    unvouched: list[str] = []
    sources: dict[str, str | None] = {}
    for folder, entries in by_folder.items():
        folder_settings = read_folder_settings(folder)  # a damaged manifest: ValueError naming it
        if folder_settings is None:
            unvouched += [f"{path} (no {MANIFEST} in {folder})" for path, _ in entries]
            sources.update((path.stem, None) for path, _ in entries)
            continue
        settings[folder] = folder_settings
        listing = _manifest_movies(folder / MANIFEST)
        for path, movie in entries:
            record, listed = _check_file(path, movie, folder_settings["feature_spec"], listing.get(path.stem))
            if record is None and listed is None:  # made by another program or run: nothing says how
                unvouched.append(f"{path} (neither listed in {folder / MANIFEST} nor recorded)")
            content = (record or {}).get("content") or (listed or {}).get("content")
            sources[path.stem] = content if isinstance(content, str) else None
    unknown = {"feature_spec": None, "missing_audio": "error", "sources": sources}
    if not settings:
        return {**unknown, "warnings": []}
    warnings = []
    first = next(iter(settings.values()))
    if any(entry != first for entry in settings.values()):
        warnings.append(f"the folders {', '.join(map(str, settings))} record different feature settings")
    if unvouched:
        warnings.append(f"{len(unvouched)} feature file(s) are vouched for by no {MANIFEST}: "
                        + "; ".join(unvouched[:5]) + ("; ..." if len(unvouched) > 5 else ""))
    if warnings:
        return {**unknown, "warnings": warnings}
    return {**first, "sources": sources, "warnings": []}


def _check_file(path: Path, movie: dict, spec: dict, listed: dict | None) -> tuple[dict | None, dict | None]:
    """One feature file against its folder's settings, its record and its manifest entry (part of
    :func:`feature_settings`); returns the record and the entry (None when absent)."""
    from ..feature_folder import MANIFEST, FeatureFolder

    folder = path.parent
    manifest_path, record = folder / MANIFEST, FeatureFolder(folder).record(path.stem)
    found = {"features": {k: int(v.shape[1]) for k, v in movie.items()},
             "seconds": int(len(next(iter(movie.values()))))}
    again = "Extract it again with `sklearn-emotion extract`, or move it out of the folder."
    if set(found["features"]) != set(spec):
        raise ValueError(f"{path} has features of {', '.join(sorted(found['features']))} but {manifest_path} "
                         f"records settings for {', '.join(sorted(spec))}: it was not extracted with them. {again}")
    if record is not None and record.get("feature_spec") != spec:
        raise ValueError(
            f"{path} was extracted with other settings ({_settings_text(record.get('feature_spec'))}) than "
            f"{manifest_path} records ({_settings_text(spec)}). Extract it again with the folder's settings "
            "(`sklearn-emotion extract`), or move it out of the folder."
        )
    for what, where in ((record, f"its record {folder / '.records' / (path.stem + '.json')}"),
                        (listed, manifest_path)):
        expected = {key: what.get(key) for key in found if what.get(key) is not None} if what else {}
        if any(expected[key] != found[key] for key in expected):
            raise ValueError(
                f"{path} has features {found['features']} over {found['seconds']} s but {where} says "
                f"{expected.get('features', found['features'])} over {expected.get('seconds', found['seconds'])} "
                f"s: the file was replaced or edited after extraction. {again}"
            )
    return record, listed


def _manifest_movies(path: Path) -> dict[str, dict[str, Any]]:
    """The movies a manifest lists, each with what it records (widths, seconds, source digest)."""
    try:
        movies = json.loads(path.read_text()).get("movies")
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(movies, dict):
        return {}
    return {name: entry for name, entry in movies.items() if isinstance(entry, dict)}


def _settings_text(spec: Any) -> str:
    from ..extraction import describe_feature_spec

    if not isinstance(spec, dict) or not spec:
        return "none recorded"
    return "; ".join(describe_feature_spec(spec).splitlines())


def read_targets(annotations_dir: str | os.PathLike, names: Sequence[str], *,
                 with_std: bool = False) -> list[np.ndarray]:
    """Every movie's annotations, or one error listing every movie without them.

    Parameters
    ----------
    annotations_dir : path-like
        Folder of annotation files (see :func:`sklearn_emotion.files.read_annotations`).
    names : sequence of str
        Movie names.
    with_std : bool, default=False
        ``(T, 4)`` arrays, the viewers' standard deviations after the means (NaN where the files give
        none), instead of ``(T, 2)``.

    Raises
    ------
    FileNotFoundError
        When the folder is missing, or some movies have no annotation file (all of them named).
    ValueError
        When a file is malformed (naming it).
    """
    from ..files import read_annotations

    if not Path(annotations_dir).is_dir():
        raise FileNotFoundError(f"Annotation folder not found: {annotations_dir}")
    targets, missing = [], []
    for name in names:
        try:
            targets.append(read_annotations(annotations_dir, name, with_std=with_std))
        except FileNotFoundError:
            missing.append(name)
    if missing:
        raise FileNotFoundError(
            f"no annotations in {annotations_dir} for {len(missing)} of {len(names)} movie(s): "
            f"{', '.join(missing)} (looked for {_ANNOTATION_NAMES})."
        )
    return targets


def check_lengths(names: Sequence[str], movies: Sequence[dict], targets: Sequence[np.ndarray],
                  tolerance: int, *, option: str = "max_length_difference") -> None:
    """Features and annotations of each movie differ by at most ``tolerance`` seconds (else: not the same
    movie?); ``option`` names the setting in the error (e.g. ``--max-length-difference``).

    Raises
    ------
    ValueError
        Naming the first movie whose lengths differ by more, with both lengths.
    """
    for name, movie, target in zip(names, movies, targets):
        seconds = len(next(iter(movie.values())))
        if abs(seconds - len(target)) > tolerance:
            raise ValueError(
                f"movie {name}: {seconds} s of features but {len(target)} annotated seconds, more than "
                f"{option} {tolerance}; are they of the same movie (or cut differently)?"
            )


def load_feature_corpus(features_dir: str | os.PathLike | Sequence[str | os.PathLike],
                        annotations_dir: str | os.PathLike, *, with_std: bool = False,
                        max_length_difference: int = 2) -> tuple[list[dict], list[np.ndarray], list[str]]:
    """A features folder and an annotations folder as ``X, y, names``, ready for ``fit``.

    Each movie's features and annotations are cut to the shorter of the two (one
    :class:`~sklearn_emotion.files.LengthMismatchWarning` names the movies cut).

    Parameters
    ----------
    features_dir : path-like or sequence of path-like
        A folder of ``.npz`` feature files (from ``sklearn-emotion extract``), or several folders or files.
    annotations_dir : path-like
        Folder of annotation files: movie ``<name>`` (from ``<name>.npz``) reads
        ``<name>_Valence-Arousal.txt`` (MediaEval), ``<name>.csv/.tsv/.txt`` (header ``Time Valence
        Arousal``) or ``<name>_Valence.txt`` + ``<name>_Arousal.txt`` (LIRIS-ACCEDE).
    with_std : bool, default=False
        Targets ``(T, 4)`` with the viewers' standard deviations (NaN where not given) after the means.
    max_length_difference : int, default=2
        Seconds by which a movie's features and annotations may differ; more is an error.

    Returns
    -------
    X : list of dict
        ``{modality: (T, d)}`` per movie.
    y : list of ndarray
        ``(T, 2)`` valence and arousal per movie, or ``(T, 4)`` with ``with_std``.
    names : list of str
        The movies' names.

    Raises
    ------
    FileNotFoundError
        When a folder is missing, or movies have no annotation file (naming them).
    ValueError
        When a file is malformed, movies have different feature widths, or a movie's features and
        annotations differ by more than ``max_length_difference`` seconds (naming it).

    Examples
    --------
    Two movies' features (as ``sklearn-emotion extract`` writes them) and MediaEval annotations:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.files import save_features
    >>> from sklearn_emotion.workflows import load_feature_corpus
    >>> features, annotations = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> for name, seconds in [("Sintel", 5), ("Decay", 4)]:
    ...     _ = save_features(features / f"{name}.npz", {"image": rng.normal(size=(seconds, 3))})
    ...     rows = "".join(f"{t}\\t0.1\\t-0.2\\n" for t in range(seconds))
    ...     _ = (annotations / f"{name}_Valence-Arousal.txt").write_text("Time\\tValence\\tArousal\\n" + rows)
    >>> X, y, names = load_feature_corpus(features, annotations)
    >>> names, [movie["image"].shape for movie in X], [curves.shape for curves in y]
    (['Decay', 'Sintel'], [(4, 3), (5, 3)], [(4, 2), (5, 2)])

    ``make_paper_pipeline().fit(X, y)`` then trains the paper's model on them.
    """
    from ..files import align_lengths

    paths = [features_dir] if isinstance(features_dir, (str, os.PathLike)) else list(features_dir)
    names, movies, _ = read_feature_files(paths)
    targets = read_targets(annotations_dir, names, with_std=with_std)
    check_lengths(names, movies, targets, max_length_difference)
    X, y = align_lengths(names, movies, targets)
    return X, y, names
