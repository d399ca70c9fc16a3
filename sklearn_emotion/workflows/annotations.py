"""Merge a folder of raters' annotations: what ``sklearn-emotion annotations merge`` does.

Input: ``DIR/<rater>/<movie>.csv``, a ``Time,Valence,Arousal`` table per rater and movie (as
``sklearn-emotion annotate`` writes them; ``nan``: an unrated second; the ``*.trace.csv`` raw traces
beside them are not read).  Output, per movie: ``ANNOTATIONS/<movie>.csv`` with
``Time,Valence,Arousal,Valence_std,Arousal_std`` (the raters' mean and standard deviation, which
``fit`` reads, std included), and two tables for the whole folder: ``ANNOTATIONS/agreement.csv``
(per movie and dimension, :data:`~sklearn_emotion.annotation.AGREEMENT_KEYS`) and
``ANNOTATIONS/raters.csv`` (per movie, dimension and rater: its correlation with the others' mean
and, with ``max_lag``, its lag).  :func:`merge_annotation_folder` is the whole command.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..annotation import AGREEMENT_KEYS, TRACE_SUFFIX, MergedRatings, merge_raters
from ..data import TARGET_NAMES
from ..files import atomic_write_bytes, check_writable, read_curves, write_curves

__all__ = ["AGREEMENT_FILE", "RATERS_FILE", "DEFAULT_MIN_CORRELATION", "find_rater_files",
           "merge_annotation_folder", "agreement_rows", "rater_rows", "low_raters"]

AGREEMENT_FILE = "agreement.csv"
RATERS_FILE = "raters.csv"
#: Raters whose correlation with the others' mean is below this are named.  Each rater's correlation
#: with the others' mean is the "corrected item-total correlation" of psychometrics, where items under
#: 0.3 are the usual rule of thumb for "measures something else" (e.g. Field, Discovering Statistics).
DEFAULT_MIN_CORRELATION = 0.3
_RESERVED = {Path(AGREEMENT_FILE).stem, Path(RATERS_FILE).stem}


def find_rater_files(folder: str | os.PathLike) -> dict[str, dict[str, Path]]:
    """``{movie: {rater: DIR/<rater>/<movie>.csv}}`` of an annotation folder, sorted by name.

    Hidden files and folders, and raw traces (``*.trace.csv``), are skipped.

    Raises
    ------
    FileNotFoundError
        When ``folder`` is not a folder, or holds no rater folder with a ``<movie>.csv``.
    ValueError
        When a movie is rated by a single rater (no spread, no agreement: naming it and its file), or
        is named like the output's tables (``agreement``, ``raters``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Annotation folder not found: {folder}")
    movies: dict[str, dict[str, Path]] = {}
    for rater in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(rater.glob("*.csv")):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith(TRACE_SUFFIX):
                movies.setdefault(path.stem, {})[rater.name] = path
    if not movies:
        raise FileNotFoundError(f"No rater folders in {folder}: expected {folder}/<rater>/<movie>.csv "
                                "(as `sklearn-emotion annotate -o DIR --rater NAME` writes them).")
    single = {movie: next(iter(raters.values())) for movie, raters in movies.items() if len(raters) == 1}
    if single:
        raise ValueError(f"{len(single)} movie(s) rated by a single rater, which gives no std across raters and "
                         f"no agreement: {', '.join(map(str, single.values()))}. Add raters, or move the file away.")
    reserved = sorted(_RESERVED & set(movies))
    if reserved:
        raise ValueError(f"movie(s) named {reserved} in {folder}: their merged files would be the tables "
                         f"{AGREEMENT_FILE} / {RATERS_FILE}; rename the movie files.")
    return dict(sorted(movies.items()))


def _cell(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.4f}"


def agreement_rows(movie: str, merged: MergedRatings) -> list[list[str]]:
    """Rows of ``agreement.csv`` for one movie: movie, dimension, raters, seconds all rated, the nine measures."""
    complete = (~np.isnan(merged.ratings).any(axis=1)).sum(axis=0)
    return [[movie, name, str(len(merged.raters)), str(int(complete[d]))]
            + [_cell(merged.agreement[name][key]) for key in AGREEMENT_KEYS] for d, name in enumerate(TARGET_NAMES)]


def rater_rows(movie: str, merged: MergedRatings) -> list[list[str]]:
    """Rows of ``raters.csv`` for one movie: movie, dimension, rater, correlation with the others' mean, lag."""
    return [[movie, name, rater, _cell(merged.rater_correlations[r, d]),
             _cell(merged.lags[r, d]) if merged.lags is not None else ""]
            for d, name in enumerate(TARGET_NAMES) for r, rater in enumerate(merged.raters)]


def low_raters(movie: str, merged: MergedRatings, min_correlation: float) -> list[str]:
    """``"<movie> <dimension>: <rater> (r = 0.12)"`` for each rater below ``min_correlation``."""
    return [f"{movie} {name}: {rater} (r = {merged.rater_correlations[r, d]:.2f})"
            for d, name in enumerate(TARGET_NAMES) for r, rater in enumerate(merged.raters)
            if merged.rater_correlations[r, d] < min_correlation]


def _write_table(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    # csv quotes a movie or rater name holding a comma or a quote ("Hello, World")
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([list(header), *rows])
    atomic_write_bytes(path, lambda out: out.write(text.getvalue().encode()))


def _print_table(rows: list[list[str]], echo: Callable[..., None]) -> None:
    header = ["movie", "dimension", "raters", "seconds", *AGREEMENT_KEYS[:6], "alpha", "pearson", "ccc"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        echo("  ".join(cell.ljust(width) if i < 2 else cell.rjust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))))


def merge_annotation_folder(folder: str | os.PathLike, output: str | os.PathLike, *, normalize: str = "none",
                            max_lag: float | None = None, min_correlation: float = DEFAULT_MIN_CORRELATION,
                            echo: Callable[..., None] = print) -> dict[str, MergedRatings]:
    """Merge every movie's raters of ``folder`` into ``output``: mean + std curves and the agreement tables.

    Parameters
    ----------
    folder : str or path-like
        ``DIR/<rater>/<movie>.csv`` (:func:`find_rater_files`); every movie needs at least 2 raters.
    output : str or path-like
        Folder for ``<movie>.csv`` (``Time,Valence,Arousal,Valence_std,Arousal_std``), ``agreement.csv``
        and ``raters.csv``; created, not inside ``folder`` (it would be read as a rater).  Every input
        file is read and checked before anything is written.
    normalize : {"none", "center", "zscore"}, default="none"
        Per-rater normalisation (:func:`~sklearn_emotion.annotation.merge_raters`).
    max_lag : float, optional
        Estimate each rater's lag within ``+-max_lag`` seconds per movie and dimension and shift it
        earlier by it before merging; the lags are printed and written to ``raters.csv``.
    min_correlation : float, default=0.3
        Raters whose correlation with the others' mean is below it are named (printed); they are
        still merged.
    echo : callable, default=print
        Receives the printed lines.

    Returns
    -------
    dict of str to MergedRatings
        Per movie, sorted by name.

    Examples
    --------
    Three raters of one 40-s movie, in ``DIR/<rater>/<movie>.csv``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.files import read_curves, write_curves
    >>> from sklearn_emotion.workflows import merge_annotation_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> truth = np.column_stack([np.sin(np.arange(40) / 6), np.cos(np.arange(40) / 9)]) / 2
    >>> for rater, offset in [("ann", 0.0), ("bob", 0.1), ("cid", -0.05)]:
    ...     ratings = truth + offset + rng.normal(scale=0.05, size=truth.shape)
    ...     _ = write_curves(root / "ratings" / rater / "Sintel.csv", ratings)
    >>> merged = merge_annotation_folder(root / "ratings", root / "merged", echo=lambda *line: None)
    >>> merged["Sintel"].raters, sorted(path.name for path in (root / "merged").iterdir())
    (('ann', 'bob', 'cid'), ['Sintel.csv', 'agreement.csv', 'raters.csv'])
    >>> read_curves(root / "merged" / "Sintel.csv", with_std=True).shape  # mean and std per second
    (40, 4)
    """
    if Path(output).resolve().parent == Path(folder).resolve():
        raise ValueError(f"-o {output} is a folder inside {folder}: the next merge would read it as a rater; "
                         "write the annotations elsewhere.")
    files = find_rater_files(folder)
    ratings = {movie: {rater: read_curves(path) for rater, path in raters.items()} for movie, raters in files.items()}
    merged = {}
    for movie, by_rater in ratings.items():  # errors (e.g. lags) before any file is written
        try:
            merged[movie] = merge_raters(by_rater, normalize=normalize, max_lag=max_lag)
        except ValueError as error:
            raise ValueError(f"{movie} ({', '.join(map(str, files[movie].values()))}): {error}") from error
    output = check_writable(output)
    for movie, result in merged.items():
        write_curves(output / f"{movie}.csv", result.curves)
    rows = [row for movie, result in merged.items() for row in agreement_rows(movie, result)]
    _write_table(output / AGREEMENT_FILE, ["movie", "dimension", "raters", "seconds", *AGREEMENT_KEYS], rows)
    _write_table(output / RATERS_FILE, ["movie", "dimension", "rater", "correlation", "lag"],
                 [row for movie, result in merged.items() for row in rater_rows(movie, result)])
    echo(f"Merged {len(merged)} movie(s) into {output} (mean and std across raters per second; "
         f"normalisation: {normalize}).")
    echo("Agreement of the ratings as rated (shifted by their lags, not normalised):")
    _print_table(rows, echo)
    if max_lag is not None:
        for movie, result in merged.items():
            for d, name in enumerate(TARGET_NAMES):
                lags = ", ".join(f"{rater} {lag:.2f}" for rater, lag in zip(result.raters, result.lags[:, d]))
                echo(f"Lags (s) {movie} {name}: {lags}")
    low = [line for movie, result in merged.items() for line in low_raters(movie, result, min_correlation)]
    if low:
        echo(f"Raters whose correlation with the others' mean is below {min_correlation:g}: " + "; ".join(low))
    echo(f"Agreement: {output / AGREEMENT_FILE}, per rater: {output / RATERS_FILE}")
    return merged
