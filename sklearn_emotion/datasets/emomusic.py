"""Loader for the emoMusic (MediaEval 2013 "Emotion in Music") 2 Hz continuous annotations."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..data import TARGET_NAMES
from ._common import resolve_root

__all__ = ["load_emomusic", "EMOMUSIC_URL"]

#: Where the official data is obtained.
EMOMUSIC_URL = "https://cvml.unige.ch/databases/emoMusic/"
_OBTAIN = (
    "The emoMusic data set (clips_45seconds/ and annotations/) is obtained from "
    f"{EMOMUSIC_URL}; this package downloads nothing."
)
_SAMPLE_COLUMN = re.compile(r"^sample_(\d+)ms$")
_STEP_MS = 500  # the annotations are sampled at 2 Hz
_FILES = {"valence": "valence_cont_{kind}.csv", "arousal": "arousal_cont_{kind}.csv"}
_AUDIO_FOLDERS = ("audio", "clips_45seconds")

_DESCR = """\
emoMusic continuous annotations
-------------------------------
The "1000 Songs for Emotional Analysis of Music" (emoMusic, MediaEval 2013 Emotion in Music):
744 45-s clips annotated at 2 Hz with valence and arousal on [-1, 1], averaged over annotators,
from 15 s to 45 s of each clip (files valence_cont_average.csv and arousal_cont_average.csv, one
row per song: song_id, sample_15000ms, ..., sample_45000ms, 61 values).

1 Hz resampling (sampling_rate=1): row t covers one second [s, s+1) of the clip and is the mean
of the two 2 Hz samples at s and s + 0.5 s that lie inside it (NaN samples are ignored; NaN when
both are).  Only seconds with both sample columns are kept, so the 61 samples 15.0 ... 45.0 s give
30 rows for seconds 15 ... 44 (the sample at 45.0 s, alone in [45, 46), is dropped).
With sampling_rate=2 the samples are returned unchanged (61 rows).

Time origin: time_origin="annotation" (default) makes row 0 the first annotated second (15 s);
time_origin="clip" makes row t second t of the clip (rows before 15 s are NaN = unannotated), so
y lines up with 1 Hz features computed from the whole audio clip.  `times` gives, for every row,
its start time in seconds from the beginning of the clip.

Source: M. Soleymani et al., "1000 Songs for Emotional Analysis of Music", CrowdMM 2013.
Obtain the data from https://cvml.unige.ch/databases/emoMusic/ (research use).
"""


def _find_annotation(root: Path, axis: str, kind: str) -> Path | None:
    name = _FILES[axis].format(kind=kind)
    for folder in (root / "annotations", root):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_wide_csv(path: Path) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Read ``song_id, sample_<ms>ms, ...``: the sample times (ms) and ``{song id: values}``.

    Empty cells are NaN (unannotated); every error names the file and the line.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise ValueError(f"{path}, line 1: the file is empty, expected a header song_id, sample_<ms>ms, ...")
    header = [cell.strip() for cell in rows[0]]
    if header[0] != "song_id" or len(header) < 2:
        raise ValueError(f"{path}, line 1: expected a header song_id, sample_<ms>ms, ..., got {header[:3]}.")
    times = []
    for name in header[1:]:
        match = _SAMPLE_COLUMN.match(name)
        if match is None:
            raise ValueError(f"{path}, line 1: column {name!r} is not of the form sample_<milliseconds>ms.")
        times.append(int(match.group(1)))
    times_ms = np.asarray(times)
    if np.any(np.diff(times_ms) != _STEP_MS):
        raise ValueError(
            f"{path}, line 1: the sample columns must be consecutive and {_STEP_MS} ms apart (2 Hz), "
            f"got {header[1]} ... {header[-1]} with irregular steps."
        )
    curves: dict[int, np.ndarray] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ValueError(f"{path}, line {line_no}: {len(row)} cells but the header has {len(header)}.")
        try:
            song = int(row[0])
        except ValueError:
            raise ValueError(f"{path}, line {line_no}: song_id {row[0]!r} is not an integer.") from None
        if song in curves:
            raise ValueError(f"{path}, line {line_no}: song_id {song} appears twice.")
        values = np.full(len(times_ms), np.nan)
        for column, cell in enumerate(row[1:]):
            cell = cell.strip()
            if not cell:
                continue  # DEAM-style rows end early: unannotated
            try:
                values[column] = float(cell)
            except ValueError:
                raise ValueError(
                    f"{path}, line {line_no}: value {cell!r} of column {header[column + 1]} is not a number."
                ) from None
        bad = np.flatnonzero(np.abs(values) > 1.0)  # NaN compares False
        if len(bad):
            raise ValueError(
                f"{path}, line {line_no}: value {float(values[bad[0]])!r} of column {header[bad[0] + 1]} "
                "lies outside [-1, 1]."
            )
        if np.isinf(values).any():
            raise ValueError(f"{path}, line {line_no}: infinite value.")
        curves[song] = values
    if not curves:
        raise ValueError(f"{path}: the file has a header but no song.")
    return times_ms, curves


def _to_1hz(times_ms: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average the 2 Hz samples inside each second that has both of its sample columns."""
    index = {int(t): i for i, t in enumerate(times_ms)}
    seconds = [int(t) // 1000 for t in times_ms if t % 1000 == 0 and int(t) + _STEP_MS in index]
    pairs = np.array([[index[s * 1000], index[s * 1000 + _STEP_MS]] for s in seconds], dtype=int)
    samples = values[..., pairs] if len(pairs) else values[..., :0, None]  # (..., seconds, 2)
    with np.errstate(invalid="ignore"):
        counts = np.sum(~np.isnan(samples), axis=-1)
        mean = np.where(counts > 0, np.nansum(samples, axis=-1) / np.maximum(counts, 1), np.nan)
    return np.asarray(seconds, dtype=float), mean


def _read_songs_info(root: Path) -> dict[int, str]:
    """``song id -> "development" | "evaluation"`` from songs_info.csv when present."""
    for folder in (root / "annotations", root):
        path = folder / "songs_info.csv"
        if path.is_file():
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                key = next((name for name in reader.fieldnames or [] if "set" in name.lower()), None)
                if key is None:
                    return {}
                splits = {}
                for row in reader:
                    if not (row.get("song_id") or "").strip():
                        continue
                    try:
                        splits[int(row["song_id"])] = (row[key] or "").strip()
                    except ValueError:
                        raise ValueError(
                            f"{path}, line {reader.line_num}: song_id {row['song_id']!r} is not an integer."
                        ) from None
                return splits
    return {}


def _read_pair(folder: Path, kind: str, required: bool) -> tuple[np.ndarray, dict, dict] | None:
    """Sample times and ``{song: values}`` of valence and arousal (``kind``: average or std), checked to match."""
    paths = {axis: _find_annotation(folder, axis, kind) for axis in _FILES}
    if any(path is None for path in paths.values()):
        if required:
            missing = [_FILES[a].format(kind=kind) for a, p in paths.items() if p is None]
            raise FileNotFoundError(f"No {missing} in {folder} or {folder / 'annotations'}. {_OBTAIN}")
        return None
    (t_val, valence), (t_aro, arousal) = (_read_wide_csv(paths[a]) for a in ("valence", "arousal"))
    if not np.array_equal(t_val, t_aro):
        raise ValueError(f"{paths['valence']} and {paths['arousal']} have different sample columns.")
    if set(valence) != set(arousal):
        only_v = sorted(set(valence) - set(arousal))[:10]
        only_a = sorted(set(arousal) - set(valence))[:10]
        raise ValueError(
            f"{paths['valence']} and {paths['arousal']} list different songs "
            f"(only in valence: {only_v}; only in arousal: {only_a})."
        )
    return t_val, valence, arousal


def _select_songs(folder: Path, annotated: dict[int, np.ndarray], songs: Sequence[int] | None,
                  audio_dir: str | os.PathLike | None, require_audio: bool) -> tuple[list[int], list[Path | None]]:
    """The song ids to load and their audio files (None where absent)."""
    ids = list(annotated) if songs is None else [int(song) for song in songs]
    unknown = [song for song in ids if song not in annotated]
    if unknown:
        raise FileNotFoundError(f"Song id(s) {unknown} are not in the emoMusic annotations of {folder}.")
    audio_folder = Path(audio_dir) if audio_dir is not None else next(
        (folder / name for name in _AUDIO_FOLDERS if (folder / name).is_dir()), None
    )
    audio_paths = []
    for song in ids:
        path = audio_folder / f"{song}.mp3" if audio_folder is not None else None
        audio_paths.append(path if path is not None and path.is_file() else None)
    if require_audio:
        keep = [i for i, path in enumerate(audio_paths) if path is not None]
        ids, audio_paths = [ids[i] for i in keep], [audio_paths[i] for i in keep]
        if not ids:
            raise FileNotFoundError(f"No song has an audio file in {audio_folder}. {_OBTAIN}")
    return ids, audio_paths


def _resample(times_ms: np.ndarray, valence: dict, arousal: dict, ids: list[int],
              sampling_rate: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Row start times (s from the clip start) and one ``(T, 2)`` curve per song at ``sampling_rate``."""
    stacked = [np.column_stack([valence[s], arousal[s]]) for s in ids]  # (n_samples, 2)
    if sampling_rate == 2:
        return times_ms / 1000.0, stacked
    starts, _ = _to_1hz(times_ms, stacked[0].T)
    return starts, [_to_1hz(times_ms, curve.T)[1].T for curve in stacked]


def _from_clip_start(times: np.ndarray, curves: list[np.ndarray], sampling_rate: int) -> tuple[np.ndarray, list]:
    """Prepend NaN rows for the unannotated start of the clip, so that row t is time t / sampling_rate."""
    step = 1.0 / sampling_rate
    n_before = int(round(times[0] / step))
    pad = np.full((n_before, 2), np.nan)
    return np.concatenate([np.arange(n_before) * step, times]), [np.vstack([pad, curve]) for curve in curves]


def _annotated_lengths(folder: Path, ids: list[int], curves: list[np.ndarray]) -> list[int]:
    """Rows up to each song's last annotated one: DEAM-style songs stop early, their NaN tail is dropped."""
    lengths = []
    for song, curve in zip(ids, curves):
        annotated = np.flatnonzero(~np.isnan(curve).all(axis=1))
        if len(annotated) == 0:
            raise ValueError(f"Song {song} has no annotated value in the emoMusic files of {folder}.")
        lengths.append(int(annotated[-1]) + 1)
    return lengths


def load_emomusic(
    root: str | os.PathLike | None = None,
    *,
    sampling_rate: int = 1,
    time_origin: str = "annotation",
    songs: Sequence[int] | None = None,
    require_audio: bool = False,
    audio_dir: str | os.PathLike | None = None,
    with_std: bool = False,
) -> Bunch:
    """Load the continuous valence and arousal of the emoMusic songs, at 1 Hz or 2 Hz.

    Parameters
    ----------
    root : str or path-like, optional
        Folder holding ``annotations/valence_cont_average.csv`` and ``arousal_cont_average.csv``
        (or the files themselves) and the audio clips.  Default:
        ``$SKLEARN_EMOTION_DATA/emomusic``.  Nothing is downloaded.
    sampling_rate : {1, 2}, default=1
        1: one row per second, the mean of the two 2 Hz samples inside it (see ``DESCR``);
        2: the original samples.
    time_origin : {"annotation", "clip"}, default="annotation"
        "annotation": row 0 is the first annotated second (15 s of the clip);
        "clip": row 0 is the clip's start, the seconds before the annotations are NaN.
    songs : sequence of int, optional
        Song ids to load, in that order; default every song, in file order.
    require_audio : bool, default=False
        Keep only the songs whose audio file exists.
    audio_dir : str or path-like, optional
        Folder of the ``<song_id>.mp3`` clips; default ``root/audio`` or ``root/clips_45seconds``.
    with_std : bool, default=False
        Make ``y`` four-column targets ``(T, 4)``: valence, arousal, then the annotators' standard
        deviation of each (the ``std`` curves, resampled the same way); the ``*_cont_std.csv``
        files are then required.

    Returns
    -------
    Bunch
        ``y`` : list of ``(T, 2)`` float64 arrays (valence, arousal); NaN = unannotated
        (``(T, 4)`` with ``with_std=True``: then their standard deviations).
        ``std`` : list of ``(T, 2)`` arrays of the annotators' standard deviation (the same
        resampling), or None when the ``*_cont_std.csv`` files are absent.
        ``song_ids`` : ndarray of int.
        ``audio_paths`` : list of Path, or None where the clip's audio file does not exist.
        ``times`` : list of ndarray, the start time (s, from the clip start) of every row.
        ``splits`` : list of str or None, the MediaEval 2013 set ("development"/"evaluation")
        from ``songs_info.csv`` when present.
        ``sampling_rate``, ``time_origin``, ``target_names``, ``DESCR``.

    Raises
    ------
    ValueError
        For a bad parameter or a malformed file (the message names the file and line), or when
        the valence and arousal files do not list the same songs.
    FileNotFoundError
        When the folder, the annotation files or a requested song is missing (or, with
        ``with_std=True``, the ``*_cont_std.csv`` files).

    Examples
    --------
    The release's annotation files (one row per song, a column per 0.5 s from 15 s), here written
    for song 2 with four samples; the real ones load with ``load_emomusic()``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import load_emomusic
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "annotations").mkdir()
    >>> header = "song_id,sample_15000ms,sample_15500ms,sample_16000ms,sample_16500ms\\n"
    >>> _ = (root / "annotations" / "valence_cont_average.csv").write_text(header + "2,0.1,0.3,0.2,0.4\\n")
    >>> _ = (root / "annotations" / "arousal_cont_average.csv").write_text(header + "2,-0.1,-0.3,0.0,0.2\\n")
    >>> songs = load_emomusic(root)  # 1 Hz: each second the mean of its two samples
    >>> songs.song_ids, songs.y[0]
    (array([2]), array([[ 0.2, -0.2],
           [ 0.3,  0.1]]))
    >>> load_emomusic(root, sampling_rate=2).y[0].shape
    (4, 2)
    """
    if sampling_rate not in (1, 2):
        raise ValueError(f"sampling_rate must be 1 or 2 (Hz), got {sampling_rate!r}.")
    if time_origin not in ("annotation", "clip"):
        raise ValueError(f"time_origin must be 'annotation' or 'clip', got {time_origin!r}.")
    folder = resolve_root(root, "emomusic", "emoMusic", _OBTAIN)
    t_ms, valence, arousal = _read_pair(folder, "average", required=True)
    std_pair = _read_pair(folder, "std", required=with_std)
    ids, audio_paths = _select_songs(folder, valence, songs, audio_dir, require_audio)
    times, y = _resample(t_ms, valence, arousal, ids, sampling_rate)
    std = _resample(t_ms, *std_pair[1:], ids, sampling_rate)[1] if std_pair is not None else None
    if time_origin == "clip":
        std = _from_clip_start(times, std, sampling_rate)[1] if std is not None else None
        times, y = _from_clip_start(times, y, sampling_rate)
    lengths = _annotated_lengths(folder, ids, y)
    splits_by_id = _read_songs_info(folder)
    if with_std:
        y = [np.hstack([mean, spread]) for mean, spread in zip(y, std)]
    return Bunch(
        y=[curve[:n] for curve, n in zip(y, lengths)],
        std=[curve[:n] for curve, n in zip(std, lengths)] if std is not None else None,
        song_ids=np.asarray(ids, dtype=int),
        audio_paths=audio_paths,
        times=[times[:n].copy() for n in lengths],
        splits=[splits_by_id.get(song) for song in ids],
        sampling_rate=sampling_rate,
        time_origin=time_origin,
        target_names=TARGET_NAMES,
        DESCR=_DESCR,
    )
