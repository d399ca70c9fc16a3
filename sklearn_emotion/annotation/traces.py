"""A rater's raw trace: the ratings sampled while the movie plays, and their per-second means.

Trace file
    ``<rater>/<movie>.trace.csv``, comma separated, header ``video_time,valence,arousal``
    (:data:`TRACE_COLUMNS`), one row per sample: the video's ``currentTime`` in seconds (finite,
    >= 0) and the rating of each dimension in [-1, 1], ``nan`` for a dimension that was not rated.
    Rows are sorted by video time and hold the rater's current rating: a pass that re-rates a
    stretch of the movie replaces the older samples of that stretch (the server that records the
    trace does this).  :func:`write_trace` and :func:`read_trace` are the one writer and reader.

Per-second file
    :func:`trace_to_seconds` gives second ``t`` the mean of the samples in ``[t, t+1)``, as the
    package's other per-second rules; it is written as a ``Time,Valence,Arousal`` curve table with
    :func:`sklearn_emotion.files.write_curves` (``nan``: an unrated second).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes, table_body

__all__ = ["TRACE_COLUMNS", "TRACE_SUFFIX", "write_trace", "read_trace", "trace_to_seconds"]

#: Header of a trace file.
TRACE_COLUMNS = ("video_time", "valence", "arousal")
#: File name ending of a trace file (``<movie>.trace.csv``), beside the per-second ``<movie>.csv``.
TRACE_SUFFIX = ".trace.csv"


def _check_trace(trace: np.ndarray, where: str) -> np.ndarray:
    trace = np.asarray(trace, dtype=np.float64)
    if trace.ndim != 2 or trace.shape[1] != len(TRACE_COLUMNS):
        raise ValueError(f"{where}: a trace must have shape (n, 3) (video_time, valence, arousal), got {trace.shape}.")
    times, values = trace[:, 0], trace[:, 1:]
    if not np.isfinite(times).all() or (times < 0).any():
        raise ValueError(f"{where}: video times must be finite and >= 0.")
    if np.isinf(values).any() or (np.abs(values) > 1).any():  # NaN compares False: allowed
        raise ValueError(f"{where}: ratings must lie in [-1, 1] (nan for a dimension not rated).")
    return trace


def write_trace(path: str | os.PathLike, trace: np.ndarray) -> Path:
    """Write a trace as a ``video_time,valence,arousal`` CSV file, atomically.

    Parameters
    ----------
    path : str or path-like
        The file (conventionally ``<rater>/<movie>.trace.csv``); its folders are created.
    trace : array-like of shape (n_samples, 3)
        Video time in seconds, valence and arousal in [-1, 1] (NaN: that dimension not rated),
        written in the order given.

    Returns
    -------
    Path

    Examples
    --------
    Four ratings at irregular video times, one of arousal missing:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.annotation import write_trace
    >>> trace = np.array([[0.2, 0.1, -0.2], [0.7, 0.3, np.nan], [1.4, 0.5, 0.0], [2.9, 0.4, 0.2]])
    >>> path = write_trace(Path(tempfile.mkdtemp()) / "ann" / "Sintel.trace.csv", trace)
    >>> print(path.read_text())
    video_time,valence,arousal
    0.200000,0.100000,-0.200000
    0.700000,0.300000,nan
    1.400000,0.500000,0.000000
    2.900000,0.400000,0.200000
    <BLANKLINE>
    """
    trace = _check_trace(trace, os.fspath(path))
    # 6 decimals: a microsecond of video time, and ratings far finer than any pointer gives
    lines = [",".join(TRACE_COLUMNS)]
    lines += [f"{t:.6f},{v:.6f},{a:.6f}" for t, v, a in trace.tolist()]  # Python floats: twice as fast as NumPy scalars
    text = "\n".join(lines) + "\n"
    return atomic_write_bytes(path, lambda out: out.write(text.encode()))


def _parse_line(line: str, where: str) -> list[float]:
    tokens = [token.strip() for token in line.split(",")]
    if len(tokens) != len(TRACE_COLUMNS):
        raise ValueError(f"{where}: expected {len(TRACE_COLUMNS)} values ({', '.join(TRACE_COLUMNS)}), "
                         f"got {len(tokens)}: {line.strip()!r}.")
    row = []
    for token, column in zip(tokens, TRACE_COLUMNS):
        try:
            row.append(float(token))
        except ValueError:
            raise ValueError(f"{where}: {column} value {token!r} is not a number.") from None
    time, values = row[0], row[1:]
    if not math.isfinite(time) or time < 0:
        raise ValueError(f"{where}: video_time {tokens[0]!r} must be a finite number of seconds >= 0.")
    for token, column, value in zip(tokens[1:], TRACE_COLUMNS[1:], values):
        if math.isinf(value) or abs(value) > 1:
            raise ValueError(f"{where}: {column} value {token!r} lies outside [-1, 1] (nan: not rated).")
    return row


def read_trace(path: str | os.PathLike) -> np.ndarray:
    """Read a trace file written by :func:`write_trace`.

    Parameters
    ----------
    path : str or path-like
        A ``video_time,valence,arousal`` CSV file (UTF-8, blank lines skipped).

    Returns
    -------
    ndarray of shape (n_samples, 3), float64
        Video time, valence, arousal; NaN where a dimension was not rated.  A file with a header and
        no row gives ``(0, 3)``.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is malformed: the message names the file and the line (wrong header, a value that
        is not a number, a negative or non-finite time, a rating outside [-1, 1]).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.annotation import read_trace
    >>> path = Path(tempfile.mkdtemp()) / "Sintel.trace.csv"
    >>> _ = path.write_text("video_time,valence,arousal\\n0.2,0.1,-0.2\\n0.7,0.3,nan\\n1.4,0.5,0.0\\n")
    >>> read_trace(path)
    array([[ 0.2,  0.1, -0.2],
           [ 0.7,  0.3,  nan],
           [ 1.4,  0.5,  0. ]])
    """
    body = table_body(path, TRACE_COLUMNS, "Trace")  # the header checked as every table's
    rows = [_parse_line(line, f"{path}, line {n}") for n, line in enumerate(body, start=2) if line.strip()]
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(TRACE_COLUMNS))


def trace_to_seconds(trace: np.ndarray, *, duration: float | None = None) -> np.ndarray:
    """The per-second ratings of a trace: second ``t`` is the mean of the samples in ``[t, t+1)``.

    Parameters
    ----------
    trace : array-like of shape (n_samples, 3)
        Video time, valence, arousal (:func:`read_trace`); NaN ratings are ignored per dimension.
    duration : float, optional
        The movie's duration in seconds: its whole seconds, ``floor(duration)`` rows, as feature
        extraction counts them (so ratings and features of a movie have the same length); seconds
        after the last sample NaN, samples in the last partial second or later ignored.  Default: up
        to the second of the latest sample.

    Returns
    -------
    ndarray of shape (T, 2), float64
        Valence and arousal per second; NaN where no sample rated that dimension in that second.

    Examples
    --------
    Samples at 0.2, 0.7, 1.4 and 2.9 s (the arousal of the second sample not rated):

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import trace_to_seconds
    >>> trace = np.array([[0.2, 0.1, -0.2], [0.7, 0.3, np.nan], [1.4, 0.5, 0.0], [2.9, 0.4, 0.2]])
    >>> trace_to_seconds(trace)
    array([[ 0.2, -0.2],
           [ 0.5,  0. ],
           [ 0.4,  0.2]])
    >>> trace_to_seconds(trace, duration=4.5)  # a movie of 4 whole seconds: the last one unrated
    array([[ 0.2, -0.2],
           [ 0.5,  0. ],
           [ 0.4,  0.2],
           [ nan,  nan]])
    """
    trace = _check_trace(trace, "trace_to_seconds")
    if duration is not None:
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"duration must be a finite number of seconds >= 0, got {duration!r}.")
        n_seconds = math.floor(duration + 1e-6)  # media.decoding's whole seconds: one row per feature row
        trace = trace[trace[:, 0] < n_seconds]
    else:
        n_seconds = int(np.floor(trace[:, 0].max())) + 1 if len(trace) else 0
    seconds = np.floor(trace[:, 0]).astype(np.intp)
    out = np.full((n_seconds, 2), np.nan)
    for column in range(2):
        values = trace[:, 1 + column]
        rated = ~np.isnan(values)
        sums = np.bincount(seconds[rated], weights=values[rated], minlength=n_seconds)
        counts = np.bincount(seconds[rated], minlength=n_seconds)
        np.divide(sums, counts, out=out[:, column], where=counts > 0)
    return out
