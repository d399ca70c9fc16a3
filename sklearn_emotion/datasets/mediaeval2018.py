"""Loader for the MediaEval 2018 "Emotional Impact of Movies" valence/arousal release.

Movie ids are ``MEDIAEVAL18_00`` ... ``MEDIAEVAL18_65`` (development 00-53, test 54-65).  The
annotations are ``MEDIAEVAL18_XX_Valence-Arousal.txt`` (``Time Valence Arousal``, one row per
second from 0).  The organisers' per-second features are read in one of two layouts (see
:func:`load_mediaeval2018` and docs/datasets.md for exactly what is assumed).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..data import TARGET_NAMES
from ..files import CURVE_COLUMNS, atomic_write_bytes, read_table, truncate_to_shortest, warn_truncated
from ._common import MissingFeatureWarning, check_range, resolve_root

__all__ = ["load_mediaeval2018", "MEDIAEVAL2018_URL", "VISUAL_DESCRIPTORS"]

#: The task page; the data itself is distributed with LIRIS-ACCEDE (https://liris-accede.ec-lyon.fr/).
MEDIAEVAL2018_URL = "http://www.multimediaeval.org/mediaeval2018/emotionalimpact/"
_OBTAIN = (
    "The MediaEval 2018 Emotional Impact of Movies data (annotations and per-second features) are "
    f"described at {MEDIAEVAL2018_URL} and distributed with LIRIS-ACCEDE "
    "(https://liris-accede.ec-lyon.fr/, registration); this package downloads nothing."
)
#: The organisers' per-frame visual descriptors (one frame per second), in the order they are stacked.
VISUAL_DESCRIPTORS = ("acc", "cedd", "cl", "eh", "fcth", "gabor", "jcd", "sc", "tamura", "lbp", "fc6")
_SUBSETS = {"development": range(0, 54), "test": range(54, 66), "all": range(0, 66)}
_ANNOTATION = re.compile(r"^MEDIAEVAL18_(\d{2})_Valence-Arousal\.txt$")
# Per-second files of the official layout.  Releases differ in the separator before the second.
_VISUAL_FILE = re.compile(r"^MEDIAEVAL18_(\d{2})[-_](\d{5})_([A-Za-z0-9]+)\.txt$")
_AUDIO_FILE = re.compile(r"^MEDIAEVAL18_(\d{2})_(\d{5})\.csv$")
_FIRST_INDEX = 1  # per-second feature files are numbered from 00001 (= second [0, 1))
_ARFF_SKIPPED = {"name", "class", "frametime", "frameindex"}  # openSMILE bookkeeping, not features
_MISSING_MODES = ("error", "nan", "ffill")
_MAX_AUDIO_OFFSET = 10  # seconds; the release's windows are about 5 s long

_DESCR = """\
MediaEval 2018 Emotional Impact of Movies (valence/arousal subtask)
-------------------------------------------------------------------
66 movies from LIRIS-ACCEDE, ids MEDIAEVAL18_00 ... MEDIAEVAL18_65: development set 00-53, test
set 54-65.  Annotations: MEDIAEVAL18_XX_Valence-Arousal.txt, tab separated Time Valence Arousal,
one row per second from t = 0, values in [-1, 1].

Features (layout="official", as distributed by the organisers, found anywhere below root):
  visual: one frame per second, one file per second and descriptor,
    .../MEDIAEVAL18_XX/<descriptor>/MEDIAEVAL18_XX-<sssss>_<descriptor>.txt (a '_' instead of
    the '-' is accepted), one line of comma-separated numbers; descriptors acc, cedd, cl, eh,
    fcth, gabor, jcd, sc, tamura, lbp (LIRE) and fc6 (VGG16), stacked in that order.
  audio: openSMILE (emobase2010) functionals, one file per second,
    .../MEDIAEVAL18_XX/MEDIAEVAL18_XX_<sssss>.csv in ARFF text format with one data row; string
    and nominal attributes and the 'name'/'class' attributes are skipped.
  <sssss> is numbered from 00001; visual file k is row k - 1 of the movie (second [k-1, k)).
  Audio file k is row k - 1 + audio_offset (default 0: second [k-1, k)).  Users of the release
  describe each audio file as the functionals of a window of about 5 s centred near its second,
  the first two files being copies of the third; which second a window is centred on is not
  documented, hence audio_offset: 0 reads file k as second [k-1, k) (its window [k-3, k+2) s,
  so that exactly the first two seconds lack a whole window); 1 reads it as second [k, k+1)
  (window [k-2, k+3) s), the rows before the first file repeating the first file, as the
  release repeats its third; -1 as second [k-2, k-1), the first file being dropped.
Features (layout="csv"): root/<modality>/MEDIAEVAL18_XX.csv, one row per second from 0,
comma separated, an optional non-numeric header row giving the feature names.

Alignment rule: a movie's rows are truncated to the shortest of its annotation and feature
sequences; an AnnotationLengthWarning names the movies and their lengths.
"""


# --------------------------------------------------------------------------------------------
# Parsing single files
# --------------------------------------------------------------------------------------------
def _parse_numbers(text: str, path: Path, line_no: int) -> np.ndarray:
    tokens = [tok for tok in re.split(r"[,;\s]+", text.strip()) if tok]
    try:
        values = np.asarray(tokens, dtype=np.float64)
    except ValueError:
        bad = next(tok for tok in tokens if not _is_number(tok))
        raise ValueError(f"{path}, line {line_no}: {bad!r} is not a number.") from None
    if not np.isfinite(values).all():
        raise ValueError(f"{path}, line {line_no}: NaN or infinite feature value.")
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_vector_file(path: Path) -> np.ndarray | None:
    """One line of numbers (a visual descriptor); None when the file is empty."""
    lines = [(n, line) for n, line in enumerate(path.read_text().splitlines(), start=1) if line.strip()]
    if not lines:
        return None
    if len(lines) > 1:
        raise ValueError(f"{path}: expected one line of comma-separated numbers, got {len(lines)} lines.")
    return _parse_numbers(lines[0][1], path, lines[0][0])


def _read_arff_file(path: Path) -> tuple[np.ndarray, list[str]] | None:
    """The numeric values and attribute names of a one-instance ARFF file; None when empty."""
    lines = path.read_text().splitlines()
    if not any(line.strip() for line in lines):
        return None
    attributes: list[tuple[str, bool]] = []  # (name, kept)
    data: list[tuple[int, str]] = []
    in_data = False
    for line_no, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        lowered = stripped.lower()
        if in_data:
            data.append((line_no, stripped))
        elif lowered.startswith("@attribute"):
            match = re.match(r"@attribute\s+('[^']*'|\"[^\"]*\"|\S+)\s+(.+)$", stripped, flags=re.IGNORECASE)
            if match is None:
                raise ValueError(f"{path}, line {line_no}: malformed @attribute line {stripped!r}.")
            name = match.group(1).strip("'\"")
            numeric = match.group(2).strip().lower() in ("numeric", "real", "integer")
            attributes.append((name, numeric and name.lower() not in _ARFF_SKIPPED))
        elif lowered.startswith("@data"):
            in_data = True
        elif not lowered.startswith("@"):
            if attributes:
                raise ValueError(f"{path}, line {line_no}: data line before the @data section of an ARFF file.")
            return _parse_numbers(stripped, path, line_no), []  # not ARFF: a plain row of numbers
    if not in_data:
        raise ValueError(f"{path}: ARFF file without an @data section.")
    if len(data) != 1:
        raise ValueError(f"{path}: expected one data row (the features of one second), got {len(data)}.")
    line_no, row = data[0]
    cells = [cell.strip() for cell in row.split(",")]
    if len(cells) != len(attributes):
        raise ValueError(
            f"{path}, line {line_no}: {len(cells)} values but {len(attributes)} @attribute declarations."
        )
    kept = [(name, cell) for (name, keep), cell in zip(attributes, cells) if keep]
    values = []
    for name, cell in kept:
        try:
            values.append(float(cell))
        except ValueError:
            raise ValueError(f"{path}, line {line_no}: attribute {name!r} has non-numeric value {cell!r}.") from None
    array = np.asarray(values)
    if not np.isfinite(array).all():
        raise ValueError(f"{path}, line {line_no}: NaN or infinite feature value.")
    return array, [name for name, _ in kept]


def _read_csv_movie(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """A per-movie CSV: one row per second, optional header.  Empty rows are missing seconds (NaN)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = None
    if lines and lines[0].strip() and not all(_is_number(c) for c in lines[0].split(",") if c.strip()):
        header = [c.strip() for c in lines[0].split(",")]
        lines = lines[1:]
        first_line = 2
    else:
        first_line = 1
    rows: list[np.ndarray | None] = []
    for line_no, line in enumerate(lines, start=first_line):
        rows.append(_parse_numbers(line, path, line_no) if line.strip(", \t") else None)
    while rows and rows[-1] is None:
        rows.pop()
    if not rows:
        raise ValueError(f"{path}: no feature row.")
    width = len(header) if header is not None else next(len(r) for r in rows if r is not None)
    array = np.full((len(rows), width), np.nan)
    for t, row in enumerate(rows):
        if row is None:
            continue
        if len(row) != width:
            raise ValueError(f"{path}, line {t + first_line}: {len(row)} values, expected {width}.")
        array[t] = row
    return array, header


# --------------------------------------------------------------------------------------------
# Assembling a movie's features
# --------------------------------------------------------------------------------------------
def _stack_seconds(
    files: dict[int, Path], reader: Callable[[Path], tuple[np.ndarray, list[str]] | None], what: str
) -> tuple[np.ndarray, list[str] | None]:
    """``(T, d)`` array from ``{file index: path}``; absent and empty files give NaN rows."""
    for index, path in files.items():
        if index < _FIRST_INDEX:
            raise ValueError(f"{path}: per-second feature files are numbered from {_FIRST_INDEX:05d}.")
    n_seconds = max(files) - _FIRST_INDEX + 1
    rows: dict[int, np.ndarray] = {}
    names = None
    for index in sorted(files):
        parsed = reader(files[index])
        if parsed is None:
            continue
        values, row_names = parsed
        if rows and len(values) != len(next(iter(rows.values()))):
            first = files[next(iter(rows)) + _FIRST_INDEX]
            raise ValueError(
                f"{files[index]}: {len(values)} values, but {first} has {len(next(iter(rows.values())))} "
                f"({what})."
            )
        names = names or row_names or None
        rows[index - _FIRST_INDEX] = values
    if not rows:
        raise ValueError(f"Every {what} file is empty (e.g. {next(iter(files.values()))}).")
    array = np.full((n_seconds, len(next(iter(rows.values())))), np.nan)
    for t, values in rows.items():
        array[t] = values
    return array, names


def _fill_missing(array: np.ndarray, missing: str, describe: Callable[[int], str], where: str,
                  notes: list[str]) -> np.ndarray:
    """Apply the ``missing`` policy to the all-NaN rows of ``array``."""
    absent = np.flatnonzero(np.isnan(array).all(axis=1))
    if len(absent) == 0:
        return array
    if missing == "error":
        raise ValueError(
            f"{where}: {len(absent)} second(s) have no features, first second {absent[0]} "
            f"({describe(absent[0])}). Pass missing='nan' or missing='ffill' to load anyway."
        )
    notes.append(f"{where}: {len(absent)} second(s) (first: second {absent[0]}, {describe(absent[0])})")
    if missing == "nan":
        return array
    present = np.flatnonzero(~np.isnan(array).all(axis=1))
    # Each missing second takes the last second before it that has features (the first one if none).
    source = present[np.maximum(np.searchsorted(present, np.arange(len(array)), side="right") - 1, 0)]
    return array[source]


def _cached(cache_dir: Path | None, key: str, build: Callable[[], tuple[np.ndarray, list[str] | None]]):
    """``build()`` memoised in ``cache_dir/key.npz`` (written atomically), so long loads can resume."""
    if cache_dir is None:
        return build()
    path = cache_dir / f"{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            names = [str(n) for n in stored["names"]] if stored["has_names"] else None
            return stored["values"], names
    values, names = build()
    arrays = {"values": values, "names": np.asarray(names or [], dtype=str), "has_names": np.asarray(names is not None)}
    atomic_write_bytes(path, lambda out: np.savez(out, **arrays))
    return values, names


def _read_visual_file(path: Path) -> tuple[np.ndarray, list[str]] | None:
    values = _read_vector_file(path)
    return None if values is None else (values, [])


# --------------------------------------------------------------------------------------------
# One call of the loader: what the walk of root found, the options, what went wrong so far
# --------------------------------------------------------------------------------------------
@dataclass
class _Reading:
    root: Path
    layout: str
    descriptors: list[str]
    missing: str
    cache: Path | None
    annotations: dict[int, Path]
    visual: dict[int, dict[str, dict[int, Path]]]
    audio: dict[int, dict[int, Path]]
    audio_offset: int = 0  # audio file k is row k - 1 + audio_offset
    notes: list[str] = field(default_factory=list)  # missing seconds, for one MissingFeatureWarning
    truncated: dict[str, dict[str, int]] = field(default_factory=dict)  # for one LengthMismatchWarning
    feature_names: dict[str, list[str]] = field(default_factory=dict)


def _scan(root: Path) -> tuple[dict[int, Path], dict, dict]:
    """One walk of ``root``: annotation files, visual and audio per-second files by movie."""
    annotations: dict[int, Path] = {}
    visual: dict[int, dict[str, dict[int, Path]]] = {}
    audio: dict[int, dict[int, Path]] = {}

    def claim(table: dict, key, path: Path) -> None:
        if key in table:
            raise ValueError(f"Two files for the same data: {table[key]} and {path}.")
        table[key] = path

    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if match := _ANNOTATION.match(name):
                claim(annotations, int(match.group(1)), path)
            elif match := _VISUAL_FILE.match(name):
                movie, index, descriptor = int(match.group(1)), int(match.group(2)), match.group(3)
                claim(visual.setdefault(movie, {}).setdefault(descriptor, {}), index, path)
            elif match := _AUDIO_FILE.match(name):
                claim(audio.setdefault(int(match.group(1)), {}), int(match.group(2)), path)
    return annotations, visual, audio


def _movie_id(value: int | str) -> int:
    if isinstance(value, str):
        match = re.fullmatch(r"(?:MEDIAEVAL18_)?(\d{1,2})", value)
        if match is None:
            raise ValueError(f"{value!r} is not a MediaEval 2018 movie id (MEDIAEVAL18_00 ... MEDIAEVAL18_65).")
        value = int(match.group(1))
    if not 0 <= int(value) <= 65:
        raise ValueError(f"Movie id {value!r} is not between 0 and 65.")
    return int(value)


def _movie_name(movie: int) -> str:
    return f"MEDIAEVAL18_{movie:02d}"


def _check_options(subset: str, features: Sequence[str], visual_descriptors: Sequence[str] | None, layout: str,
                   missing: str, audio_offset: int = 0) -> tuple[list[str], list[str]]:
    """The modalities and visual descriptors asked for, once the options are checked."""
    if isinstance(audio_offset, bool) or not isinstance(audio_offset, (int, np.integer)) \
            or abs(audio_offset) > _MAX_AUDIO_OFFSET:
        raise ValueError(
            f"audio_offset must be a whole number of seconds between -{_MAX_AUDIO_OFFSET} and "
            f"{_MAX_AUDIO_OFFSET}, got {audio_offset!r}."
        )
    if audio_offset and layout != "official":
        raise ValueError("audio_offset applies to the official per-second audio files (layout='official').")
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {sorted(_SUBSETS)}, got {subset!r}.")
    if layout not in ("official", "csv"):
        raise ValueError(f"layout must be 'official' or 'csv', got {layout!r}.")
    if missing not in _MISSING_MODES:
        raise ValueError(f"missing must be one of {_MISSING_MODES}, got {missing!r}.")
    modalities = [features] if isinstance(features, str) else list(features)
    if layout == "official" and any(m not in ("visual", "audio") for m in modalities):
        raise ValueError(f"With layout='official' the features are 'visual' and/or 'audio', got {modalities}.")
    descriptors = list(VISUAL_DESCRIPTORS if visual_descriptors is None else visual_descriptors)
    if "visual" in modalities and not descriptors:
        raise ValueError("visual_descriptors is empty.")
    return modalities, descriptors


def _select_movies(reading: _Reading, subset: str, modalities: list[str], ids: Sequence[int | str] | None) -> list[int]:
    """``ids`` checked against ``subset``, or every movie of ``subset`` with a file under the root."""
    in_subset = set(_SUBSETS[subset])
    if ids is not None:
        wanted = [_movie_id(value) for value in ids]
        outside = [_movie_name(m) for m in wanted if m not in in_subset]
        if outside:
            raise ValueError(f"{outside} are not in the {subset!r} subset; pass subset='all'.")
    else:
        present = set(reading.annotations)
        if reading.layout == "official":
            present |= set(reading.visual) | set(reading.audio)
        else:
            present |= {_movie_id(p.stem) for m in modalities for p in (reading.root / m).glob("MEDIAEVAL18_??.csv")}
        wanted = sorted(present & in_subset)
    if not wanted:
        raise FileNotFoundError(f"No MediaEval 2018 movie of the {subset!r} subset under {reading.root}. {_OBTAIN}")
    return wanted


# --------------------------------------------------------------------------------------------
# Reading one movie
# --------------------------------------------------------------------------------------------
def _official_parts(
    reading: _Reading, movie_name: str, groups: list[tuple[str, dict[int, Path] | None]]
) -> tuple[dict[str, np.ndarray], list[str]]:
    """``{part: (T_part, d_part)}`` per visual descriptor (or the audio), and the column names."""
    parts, names = {}, []
    for part, files in groups:
        pattern = f"{movie_name}-<sssss>_{part}.txt" if part != "audio" else f"{movie_name}_<sssss>.csv"
        key, what = f"{movie_name}_official_{part}", f"{movie_name} {part}"
        if not files and (reading.cache is None or not (reading.cache / f"{key}.npz").is_file()):
            raise FileNotFoundError(f"{movie_name}: no {part} feature file ({pattern}) under {reading.root}.")
        reader = _read_arff_file if part == "audio" else _read_visual_file
        values, part_names = _cached(reading.cache, key, lambda: _stack_seconds(files, reader, what))

        def describe(t: int) -> str:
            if not files:
                return f"file {pattern.replace('<sssss>', f'{t + _FIRST_INDEX:05d}')} absent or empty"
            sample = next(iter(files.values()))
            separator, suffix = sample.name[len(movie_name)], sample.name[len(movie_name) + 6:]
            expected = f"{movie_name}{separator}{t + _FIRST_INDEX:05d}{suffix}"
            return f"file {sample.parent / expected} absent or empty"

        parts[part] = _fill_missing(values, reading.missing, describe, what, reading.notes)
        if part == "audio":
            parts[part] = _shift_audio_rows(parts[part], reading.audio_offset, what)
        names += part_names or [f"{part}_{j}" for j in range(values.shape[1])]
    return parts, names


def _shift_audio_rows(values: np.ndarray, offset: int, what: str) -> np.ndarray:
    """Rows of the audio files (file k at row k - 1) moved to row k - 1 + ``offset``.

    A positive offset leaves the first ``offset`` seconds without a file: they repeat the first
    file (as the release repeats its third file in the first two); a negative one drops the first
    ``-offset`` files.
    """
    if offset >= 0:
        return np.concatenate([np.repeat(values[:1], offset, axis=0), values])
    if len(values) <= -offset:
        raise ValueError(f"{what}: {len(values)} audio file(s), none left with audio_offset={offset}.")
    return values[-offset:]


def _csv_modality(reading: _Reading, movie_name: str, modality: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """The ``csv`` layout: ``root/<modality>/MEDIAEVAL18_XX.csv``, one row per second."""
    path = reading.root / modality / f"{movie_name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{movie_name}: no {modality} feature file {path}.")
    values, header = _cached(reading.cache, f"{movie_name}_csv_{modality}", lambda: _read_csv_movie(path))
    filled = _fill_missing(values, reading.missing, lambda t: f"{path}: row of second {t} empty",
                           f"{movie_name} {modality}", reading.notes)
    return {modality: filled}, header or [f"{modality}_{j}" for j in range(values.shape[1])]


def _modality(reading: _Reading, movie: int, modality: str) -> np.ndarray:
    """One modality of one movie: its parts (the visual descriptors) cut to the shortest, side by side."""
    name = _movie_name(movie)
    if reading.layout == "csv":
        parts, columns = _csv_modality(reading, name, modality)
    elif modality == "visual":
        files = reading.visual.get(movie, {})
        parts, columns = _official_parts(reading, name, [(d, files.get(d)) for d in reading.descriptors])
        parts = {f"visual/{descriptor}": part for descriptor, part in parts.items()}
    else:
        parts, columns = _official_parts(reading, name, [("audio", reading.audio.get(movie))])
    if reading.feature_names.setdefault(modality, columns) != columns:
        first = reading.feature_names[modality]
        raise ValueError(
            f"{name}: its {modality} features have {len(columns)} columns ({columns[:3]}...) but the first "
            f"movie's have {len(first)} ({first[:3]}...)."
        )
    cut, lengths = truncate_to_shortest(parts)
    if lengths:
        reading.truncated.setdefault(name, {}).update(lengths)
    return np.concatenate(list(cut.values()), axis=1)


def _movie_targets(reading: _Reading, movie: int, required: bool) -> np.ndarray | None:
    """The checked annotation curves of one movie; None when it has no annotation file and ``required`` is False."""
    path = reading.annotations.get(movie)
    if path is None:
        if required:
            raise FileNotFoundError(
                f"{_movie_name(movie)}: no annotation file {_movie_name(movie)}_Valence-Arousal.txt under "
                f"{reading.root} (pass require_annotations=False to load its features with NaN targets)."
            )
        return None
    targets = read_table(path, CURVE_COLUMNS, nan="reject")  # the release annotates every second
    check_range(targets, path, ["Valence", "Arousal"], -1.0, 1.0)
    return targets


def _load_movie(reading: _Reading, movie: int, modalities: list[str],
                require_annotations: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Features and curves of one movie, every sequence cut to the shortest (recorded in ``truncated``)."""
    name = _movie_name(movie)
    sources = {modality: _modality(reading, movie, modality) for modality in modalities}
    targets = _movie_targets(reading, movie, require_annotations)
    if targets is not None:
        sources["annotations"] = targets
    if not sources:
        raise FileNotFoundError(f"{name}: neither annotations nor features to load.")
    cut, lengths = truncate_to_shortest(sources)
    if lengths:
        reading.truncated.setdefault(name, {}).update(lengths)
    n = len(next(iter(cut.values())))
    y = cut["annotations"] if targets is not None else np.full((n, len(TARGET_NAMES)), np.nan)
    return {m: np.ascontiguousarray(cut[m], dtype=np.float32) for m in modalities}, y


def _warn_missing(notes: list[str], missing: str) -> None:
    if notes:
        filled = {"nan": "left as NaN rows", "ffill": "filled with the previous second's features"}[missing]
        warnings.warn(
            f"Missing or empty per-second feature files, {filled}: " + "; ".join(notes) + ".",
            MissingFeatureWarning, stacklevel=3,
        )


def load_mediaeval2018(
    root: str | os.PathLike | None = None,
    *,
    subset: str = "development",
    features: Sequence[str] = ("visual", "audio"),
    visual_descriptors: Sequence[str] | None = None,
    layout: str = "official",
    missing: str = "error",
    require_annotations: bool = True,
    ids: Sequence[int | str] | None = None,
    cache_dir: str | os.PathLike | None = None,
    audio_offset: int = 0,
) -> Bunch:
    """Load the MediaEval 2018 valence/arousal movies: per-second features and annotations.

    Parameters
    ----------
    root : str or path-like, optional
        Folder holding the unpacked release (searched recursively, whatever the names of the
        archive folders).  Default: ``$SKLEARN_EMOTION_DATA/mediaeval2018``.  Nothing is downloaded.
    subset : {"development", "test", "all"}, default="development"
        Movies 00-53, 54-65 or 00-65; those present under ``root`` are loaded.
    features : sequence of str, default=("visual", "audio")
        Modalities of ``X``.  ``layout="official"``: "visual" and/or "audio"; ``layout="csv"``:
        any folder names under ``root``.  Empty: annotations only (``X`` is None).
    visual_descriptors : sequence of str, optional
        Official layout: the visual descriptors stacked, in this order, into the "visual"
        modality; default :data:`VISUAL_DESCRIPTORS` (all eleven).
    layout : {"official", "csv"}, default="official"
        "official": one file per second (``DESCR`` and docs/datasets.md give the assumed names);
        "csv": one file per movie and modality, ``root/<modality>/MEDIAEVAL18_XX.csv``.
    missing : {"error", "nan", "ffill"}, default="error"
        What to do with seconds whose feature file is absent or empty (users of the 2018
        release report a few): raise, leave NaN rows, or repeat the previous second's features (the first
        available one for leading gaps).  "nan" and "ffill" warn with a MissingFeatureWarning.
    require_annotations : bool, default=True
        Raise when a movie has no annotation file; with False its ``y`` is all NaN
        (unannotated), e.g. for a test set whose annotations you do not have.
    ids : sequence of int or str, optional
        Load only these movies (``5`` or ``"MEDIAEVAL18_05"``); they must belong to ``subset``.
    cache_dir : str or path-like, optional
        Folder where each movie's parsed feature arrays are kept (``.npz``, written
        atomically), so that reading the many small files happens once and an interrupted load
        resumes.  Delete it when the data change.
    audio_offset : int, default=0
        Official layout: audio file ``k`` (numbered from 1) is read as row ``k - 1 + audio_offset``.
        0: file ``k`` describes second ``[k-1, k)``, as the visual files; 1: second ``[k, k+1)``
        (the first row then repeats the first file); -1: second ``[k-2, k-1)`` (the first file
        is dropped).  The release does not document which second each audio file's window (about
        5 s) is centred on: see ``DESCR`` and docs/datasets.md for both readings.

    Returns
    -------
    Bunch
        ``X`` : list of dict ``modality -> (T, d) float32`` (None when ``features`` is empty).
        ``y`` : list of ``(T, 2)`` float64 arrays (valence, arousal); NaN = unannotated.
        ``ids`` : list of str, ``"MEDIAEVAL18_XX"``.
        ``lengths`` : ndarray of int.
        ``feature_names`` : dict ``modality -> list of str``.
        ``truncated`` : dict ``id -> {source: rows}`` for movies whose sources had different lengths.
        ``annotation_files`` : list of Path or None.
        ``subset``, ``target_names``, ``DESCR``.

    Warns
    -----
    AnnotationLengthWarning
        Naming the movies whose annotation and feature sequences had different lengths.
    MissingFeatureWarning
        With ``missing="nan"`` or ``"ffill"``, naming the movies and files with missing seconds.

    Examples
    --------
    The ``csv`` layout (one file per movie and modality), here written for one 3-second movie; the
    official release loads with ``load_mediaeval2018()``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import load_mediaeval2018
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "visual").mkdir()
    >>> _ = (root / "visual" / "MEDIAEVAL18_00.csv").write_text("hue,brightness\\n0.1,0.5\\n0.2,0.6\\n0.3,0.4\\n")
    >>> _ = (root / "MEDIAEVAL18_00_Valence-Arousal.txt").write_text(
    ...     "Time\\tValence\\tArousal\\n0\\t0.1\\t-0.1\\n1\\t0.2\\t0.0\\n2\\t0.1\\t0.1\\n")
    >>> data = load_mediaeval2018(root, layout="csv", features=["visual"])
    >>> data.ids, data.X[0]["visual"].shape, data.y[0].shape, data.feature_names
    (['MEDIAEVAL18_00'], (3, 2), (3, 2), {'visual': ['hue', 'brightness']})
    """
    modalities, descriptors = _check_options(subset, features, visual_descriptors, layout, missing, audio_offset)
    folder = resolve_root(root, "mediaeval2018", "MediaEval 2018", _OBTAIN)
    cache = Path(cache_dir) if cache_dir is not None else None
    reading = _Reading(folder, layout, descriptors, missing, cache, *_scan(folder), audio_offset=int(audio_offset))
    wanted = _select_movies(reading, subset, modalities, ids)
    X, y = [], []
    for movie in wanted:
        features_of_movie, targets = _load_movie(reading, movie, modalities, require_annotations)
        X.append(features_of_movie)
        y.append(targets)
    _warn_missing(reading.notes, missing)
    warn_truncated(reading.truncated, "MediaEval 2018", stacklevel=2)
    return Bunch(
        X=X if modalities else None,
        y=y,
        ids=[_movie_name(m) for m in wanted],
        lengths=np.asarray([len(t) for t in y], dtype=int),
        feature_names=reading.feature_names,
        truncated=reading.truncated,
        annotation_files=[reading.annotations.get(m) for m in wanted],
        subset=subset,
        target_names=TARGET_NAMES,
        DESCR=_DESCR,
    )
