"""On-disk formats of the command line: per-movie feature files and per-second curve tables.

Feature files
    One ``<movie>.npz`` per movie (NumPy ``savez``), one ``(T, d_m)`` float32 array per modality, the
    array names being the modality names (e.g. ``image``, ``audio``, ``face``).  Row ``t`` describes
    second ``[t, t+1)``.  ``sklearn-emotion extract`` writes them; any program can.

Curve tables (annotations and predictions)
    One text table per movie with the header ``Time Valence Arousal`` (case-insensitive), separated
    by tabs, spaces or commas, one row per second from ``Time = 0``.  MediaEval 2018 annotation files
    (``<movie>_Valence-Arousal.txt``) are such tables.  A LIRIS-ACCEDE pair ``<movie>_Valence.txt`` /
    ``<movie>_Arousal.txt`` is read with :func:`sklearn_emotion.datasets.load_liris_accede`.
    ``sklearn-emotion predict`` writes ``<movie>.csv`` (comma separated).

Every file is written atomically (temporary file in the same folder, then :func:`os.replace`).
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from .data import TARGET_NAMES

__all__ = [
    "FEATURE_SUFFIX",
    "atomic_write_bytes",
    "save_features",
    "load_features",
    "find_feature_files",
    "find_annotation_file",
    "read_annotations",
    "read_curves",
    "write_curves",
    "align_lengths",
    "LengthMismatchWarning",
]

FEATURE_SUFFIX = ".npz"
_CURVE_HEADER = ("time", "valence", "arousal")
#: Names tried, in order, for the annotations of movie ``<id>`` in an annotation folder.
ANNOTATION_PATTERNS = ("{id}_Valence-Arousal.txt", "{id}.csv", "{id}.tsv", "{id}.txt")


class LengthMismatchWarning(UserWarning):
    """A movie's features and annotations had different numbers of seconds and were truncated."""


def _atomic_target(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def atomic_write_bytes(path: str | os.PathLike, write) -> Path:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    handle, temporary = _atomic_target(path)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def save_features(path: str | os.PathLike, movie: Mapping[str, np.ndarray]) -> Path:
    """Write one movie's ``{modality: (T, d_m)}`` features as an ``.npz`` file, atomically."""
    arrays = {str(name): np.ascontiguousarray(value, dtype=np.float32) for name, value in movie.items()}
    lengths = {name: array.shape for name, array in arrays.items()}
    if not arrays or any(a.ndim != 2 for a in arrays.values()) or len({a.shape[0] for a in arrays.values()}) != 1:
        raise ValueError(f"{path}: features must be 2-D arrays with the same number of seconds, got {lengths}.")
    return atomic_write_bytes(path, lambda out: np.savez(out, **arrays))


def load_features(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a feature file written by :func:`save_features`, checking its arrays."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Feature file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            movie = {name: np.asarray(archive[name], dtype=np.float32) for name in archive.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable .npz feature file ({exc}).") from exc
    if not movie:
        raise ValueError(f"{path}: the feature file holds no array.")
    shapes = {name: array.shape for name, array in movie.items()}
    if any(array.ndim != 2 for array in movie.values()) or len({s[0] for s in shapes.values()}) != 1:
        raise ValueError(
            f"{path}: every array must be (seconds, features) with the same number of seconds, got {shapes}."
        )
    if any(not np.isfinite(array).all() for array in movie.values()):
        raise ValueError(f"{path}: features contain NaN or infinity.")
    return movie


def find_files(paths: Iterable[str | os.PathLike], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Files named by ``paths``: files as given, folders expanded to their sorted files with ``suffixes``.

    Raises ``FileNotFoundError`` for a missing path or a folder without such files, and ``ValueError``
    when two inputs have the same movie name (outputs are named after the file's stem).
    """
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files = sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not files:
                raise FileNotFoundError(f"No {what} ({', '.join(suffixes)}) in the folder {entry}.")
            found.extend(files)
        elif entry.is_file():
            found.append(entry)
        else:
            raise FileNotFoundError(f"{what[0].upper()}{what[1:]} not found: {entry}")
    stems = [path.stem for path in found]
    duplicates = sorted({stem for stem in stems if stems.count(stem) > 1})
    if duplicates:
        raise ValueError(f"Several inputs share the movie name(s) {duplicates}; outputs are named after the file.")
    return found


def find_feature_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Feature files named by ``paths``: files as given, folders expanded to their sorted ``*.npz``."""
    return find_files(paths, (FEATURE_SUFFIX,), "feature file")


def find_annotation_file(folder: str | os.PathLike, movie: str) -> Path | None:
    """The curve table of ``movie`` in ``folder`` (see :data:`ANNOTATION_PATTERNS`), or None."""
    folder = Path(folder)
    for pattern in ANNOTATION_PATTERNS:
        candidate = folder / pattern.format(id=movie)
        if candidate.is_file():
            return candidate
    return None


def read_annotations(folder: str | os.PathLike, movie: str) -> np.ndarray:
    """Valence and arousal ``(T, 2)`` of ``movie`` from an annotation folder.

    MediaEval-style tables (:data:`ANNOTATION_PATTERNS`) come first; otherwise a LIRIS-ACCEDE pair
    ``<movie>_Valence.txt`` / ``<movie>_Arousal.txt`` (mean columns) is read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Annotation folder not found: {folder}")
    path = find_annotation_file(folder, movie)
    if path is not None:
        return read_curves(path)
    if (folder / f"{movie}_Valence.txt").is_file() and (folder / f"{movie}_Arousal.txt").is_file():
        from .datasets import load_liris_accede

        return load_liris_accede(folder, movies=[movie]).y[0]
    tried = [pattern.format(id=movie) for pattern in ANNOTATION_PATTERNS]
    raise FileNotFoundError(
        f"No annotations for movie {movie!r} in {folder}: looked for {', '.join(tried)} and "
        f"{movie}_Valence.txt + {movie}_Arousal.txt."
    )


def read_curves(path: str | os.PathLike) -> np.ndarray:
    """Read a ``Time Valence Arousal`` table (tab, space or comma separated) as a ``(T, 2)`` array.

    Times must be 0, 1, 2, ...; values must be numbers (``nan`` marks an unannotated second).
    Errors name the file and the line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"Curve file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc}).") from None
    split = lambda line: [token for token in re.split(r"[,;\s]+", line.strip()) if token]  # noqa: E731
    if not lines or [token.lower() for token in split(lines[0])] != list(_CURVE_HEADER):
        found = lines[0].strip() if lines else "an empty file"
        raise ValueError(f"{path}, line 1: expected the header 'Time Valence Arousal', got {found!r}.")
    rows = []
    for line_no, line in enumerate(lines[1:], start=2):
        tokens = split(line)
        if not tokens:
            continue
        if len(tokens) != 3:
            raise ValueError(f"{path}, line {line_no}: expected 3 values (Time, Valence, Arousal), got {line.strip()!r}.")
        try:
            values = [float(token) for token in tokens]
        except ValueError:
            raise ValueError(f"{path}, line {line_no}: {line.strip()!r} holds a value that is not a number.") from None
        if abs(values[0] - len(rows)) > 1e-6:
            raise ValueError(
                f"{path}, line {line_no}: Time is {tokens[0]} but rows must be one per second from 0, "
                f"so {len(rows)} was expected."
            )
        if np.isinf(values[1:]).any():
            raise ValueError(f"{path}, line {line_no}: infinite value; use nan for an unannotated second.")
        rows.append(values[1:])
    if not rows:
        raise ValueError(f"{path}: the table has a header but no row.")
    return np.asarray(rows, dtype=np.float64)


def write_curves(path: str | os.PathLike, curves: np.ndarray, *, digits: int = 6) -> Path:
    """Write ``(T, 2)`` valence/arousal curves as a ``Time,Valence,Arousal`` CSV, atomically."""
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 2 or curves.shape[1] != len(TARGET_NAMES):
        raise ValueError(f"{path}: curves must have shape (T, 2), got {curves.shape}.")
    lines = ["Time,Valence,Arousal"]
    lines += [f"{t},{v:.{digits}f},{a:.{digits}f}" for t, (v, a) in enumerate(curves)]
    text = "\n".join(lines) + "\n"
    return atomic_write_bytes(path, lambda out: out.write(text.encode()))


def align_lengths(
    names: list[str], movies: list[dict[str, np.ndarray]], targets: list[np.ndarray]
) -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
    """Truncate each movie's features and annotations to the shorter of the two, warning once.

    Feature extraction counts whole seconds of the video while annotations may have one row more or
    fewer; the trailing seconds of the longer one are dropped, and a :class:`LengthMismatchWarning`
    names every such movie with both lengths.
    """
    notes, out_movies, out_targets = [], [], []
    for name, movie, target in zip(names, movies, targets):
        n_features = next(iter(movie.values())).shape[0]
        n = min(n_features, len(target))
        if n_features != len(target):
            notes.append(f"{name} ({n_features} s of features, {len(target)} annotated rows)")
        out_movies.append({key: value[:n] for key, value in movie.items()})
        out_targets.append(target[:n])
    if notes:
        warnings.warn(
            f"{len(notes)} movie(s) have features and annotations of different lengths, truncated to the "
            "shorter: " + "; ".join(notes) + ".",
            LengthMismatchWarning,
            stacklevel=2,
        )
    return out_movies, out_targets
