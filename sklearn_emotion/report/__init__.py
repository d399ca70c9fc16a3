"""Interactive HTML reports: watch a movie with its predicted valence and arousal moving under it.

:func:`write_report` writes one page per movie into a folder (``<movie>.html``) and, for several
movies, an ``index.html`` linking them.  A page works offline, from ``file://`` or any web server:
its style, script and data are inline, nothing is fetched from the network, and the movie is a
``<video>`` linked by a relative path from the page (or a small WebM copy in ``media/`` with
``proxy=True``: a movie is never inlined).  Under the video:

- the predicted valence and arousal curves (the model's colour, orange, as in every plot of the
  package: :data:`sklearn_emotion.plotting.ROLE_COLOURS`), the annotation (blue) when given, and
  the band prediction +- standard deviation when the model gives one (``std``);
- a cursor following playback (``timeupdate`` events, and every animation frame while playing);
- a click on a curve seeks the video there; a focused curve is a slider (arrow keys, Home, End;
  Space plays or pauses);
- the movie's MediaEval scores (MSE, Pearson r) when annotations are given;
- the peaks of arousal (and of the standard deviation) as buttons that seek the video;
- with ``contributions`` (what each modality contributes every second,
  :func:`sklearn_emotion.inspection.modality_contributions`), a "what drives this moment" band under
  each curve: the modalities' contributions stacked, one colour each
  (:func:`sklearn_emotion.plotting.modality_colours`), with the cursor; each arousal peak then names
  the modality contributing most to it.

Second ``t`` of a curve covers ``[t, t + 1)`` (:mod:`sklearn_emotion.files`) and is drawn at its
middle, ``t + 0.5``; the read-out under the video shows the values of the second being played.

Command line: ``sklearn-emotion report MODEL VIDEO... -o DIR [--annotations DIR] [--proxy]``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..files import atomic_write_bytes
from ._proxy import make_proxy

__all__ = ["INDEX_PAGE", "PROXY_FOLDER", "MovieReport", "find_peaks", "make_proxy", "report_pages", "write_report"]

#: Folder of the report where ``proxy=True`` writes the WebM copies.
PROXY_FOLDER = "media"
#: File name of the page listing the movies.
INDEX_PAGE = "index.html"
_FORBIDDEN_NAME = re.compile(r"[/\\\x00]")


def _curves(value: Any, what: str, name: str) -> np.ndarray | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise ValueError(f"movie {name!r}: {what} must have shape (T, 2) (valence, arousal) with T >= 1, "
                         f"got {array.shape}.")
    return array


@dataclass
class MovieReport:
    """What the page of one movie shows.

    Parameters
    ----------
    name : str
        The movie's name: the page is ``<name>.html``.  No path separators.
    video : str or path-like
        The movie file the page plays.
    predicted : array-like of shape (T, 2)
        Predicted valence and arousal, one row per second (NaN: a gap).
    annotations : array-like of shape (T_a, 2), optional
        Annotated valence and arousal (NaN: unannotated second), drawn in the annotation's colour.
    std : array-like of shape (T, 2), optional
        Standard deviation of the prediction (e.g. the disagreement of an ensemble), drawn as the
        band ``predicted +- std``; its peaks are listed.
    scores : mapping of str to float, optional
        The movie's scores, keyed like :func:`sklearn_emotion.metrics.mediaeval_scores`.  By default
        computed from ``annotations`` (over the seconds both curves have).
    contributions : mapping of str to array-like of shape (T, 2), optional
        Modality name -> its contribution to valence and arousal every second (e.g. from
        :func:`sklearn_emotion.inspection.modality_contributions`), in the order the band stacks them.
        The page then draws them under each curve and names, for each arousal peak, the modality whose
        contribution to it is largest in absolute value.

    Examples
    --------
    The page of a generated 4-second movie, its content's curves shown as the prediction:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.report import MovieReport, write_report
    >>> data = make_movie_files(tempfile.mkdtemp(), 1, min_seconds=4, max_seconds=4, random_state=0)
    >>> movie = MovieReport("movie_00", data.videos[0], predicted=data.content[0], annotations=data.y[0])
    >>> pages = write_report(Path(tempfile.mkdtemp()) / "report", [movie], model_name="the content")
    >>> [page.name for page in pages]
    ['movie_00.html']
    """

    name: str
    video: str | os.PathLike
    predicted: Any
    annotations: Any = None
    std: Any = None
    scores: Mapping[str, float] | None = None
    contributions: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.name = str(self.name)
        if not self.name or self.name.startswith(".") or _FORBIDDEN_NAME.search(self.name):
            raise ValueError(f"movie name {self.name!r} cannot name a page: no path separator, not empty, "
                             "not starting with a dot.")
        self.predicted = _curves(self.predicted, "predicted", self.name)
        self.annotations = _curves(self.annotations, "annotations", self.name)
        self.std = _curves(self.std, "std", self.name)
        if self.std is not None and self.std.shape != self.predicted.shape:
            raise ValueError(f"movie {self.name!r}: std has shape {self.std.shape} but predicted has "
                             f"{self.predicted.shape}.")
        if self.contributions is not None:
            self.contributions = self._checked_contributions(self.contributions)

    def _checked_contributions(self, contributions: Mapping[str, Any]) -> dict[str, np.ndarray]:
        if not isinstance(contributions, Mapping) or not contributions:
            raise ValueError(f"movie {self.name!r}: contributions must map each modality's name to its (T, 2) "
                             f"contributions; got {type(contributions).__name__} {contributions!r:.80}.")
        checked = {}
        for modality, values in contributions.items():
            array = _curves(values, f"the contributions of {modality!r}", self.name)
            if not isinstance(modality, str) or not modality or array.shape != self.predicted.shape:
                raise ValueError(f"movie {self.name!r}: the contributions of modality {modality!r} have shape "
                                 f"{array.shape}, predicted {self.predicted.shape}; names must be non-empty strings.")
            checked[modality] = array
        return checked


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` seconds, ignoring NaN (NaN where a window has no value)."""
    finite = np.isfinite(values)
    if width <= 1:
        return np.where(finite, values, np.nan)
    kernel = np.ones(int(width))
    sums = np.convolve(np.where(finite, values, 0.0), kernel, mode="same")
    counts = np.convolve(finite.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def find_peaks(values: Any, n_peaks: int = 5, *, min_distance: float = 10, smoothing: int = 5) -> np.ndarray:
    """The seconds of the highest local maxima of a curve, at least ``min_distance`` seconds apart.

    Parameters
    ----------
    values : array-like of shape (T,)
        One value per second (NaN: missing).
    n_peaks : int, default=5
        Most peaks returned.
    min_distance : float, default=10
        Smallest distance between two peaks, in seconds: of two closer maxima, the lower is dropped.
    smoothing : int, default=5
        Width, in seconds, of the centred moving average applied first, so that one-second wiggles
        are not peaks.

    Returns
    -------
    ndarray of int
        At most ``n_peaks`` seconds, in time order: the highest maxima of the smoothed curve.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.report import find_peaks
    >>> arousal = np.sin(np.arange(120) / 8)  # maxima near seconds 13, 63 and 113
    >>> find_peaks(arousal, n_peaks=3)
    array([ 13,  63, 113])
    >>> find_peaks(arousal, n_peaks=3, min_distance=60)  # of two maxima closer than that, the lower is dropped
    array([ 13, 113])
    """
    from scipy.signal import find_peaks as local_maxima

    values = np.asarray(values, dtype=np.float64).ravel()
    smoothed = _smooth(values, smoothing)
    if n_peaks <= 0 or not np.isfinite(smoothed).any():
        return np.array([], dtype=int)
    filled = np.where(np.isfinite(smoothed), smoothed, np.nanmin(smoothed) - 1.0)
    peaks, _ = local_maxima(filled, distance=max(1.0, float(min_distance)))
    peaks = peaks[np.isfinite(smoothed[peaks])]
    highest = peaks[np.argsort(-filled[peaks], kind="stable")[:n_peaks]]
    half = max(0, int(smoothing) // 2)  # each peak at the curve's own maximum within the averaging window
    return np.array(sorted({_raw_maximum(values, int(p), half) for p in highest}), dtype=int)


def _raw_maximum(values: np.ndarray, peak: int, half: int) -> int:
    """The second of the largest value of ``values`` within ``half`` seconds of ``peak``."""
    low = max(0, peak - half)
    window = values[low : peak + half + 1]
    return low + int(np.nanargmax(window)) if np.isfinite(window).any() else peak


def _scores(movie: MovieReport) -> tuple[dict[str, float] | None, int | None]:
    """The movie's scores (given, or computed over the seconds both curves have) and its annotated seconds."""
    if movie.annotations is None:
        return ({k: float(v) for k, v in movie.scores.items()} if movie.scores is not None else None), None
    n = min(len(movie.predicted), len(movie.annotations))
    truth, predicted = movie.annotations[:n], movie.predicted[:n]
    annotated = int((np.isfinite(truth).all(axis=1) & np.isfinite(predicted).all(axis=1)).sum())
    if movie.scores is not None:
        return {k: float(v) for k, v in movie.scores.items()}, annotated
    if annotated == 0:
        return None, 0
    from ..metrics import mediaeval_scores

    keep = np.isfinite(predicted).all(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an undefined Pearson r is shown as "undefined"
        return mediaeval_scores([truth[keep]], [predicted[keep]]), annotated


def _duration(movie: MovieReport) -> float:
    """Seconds the plots span: the curves' length, or the movie's declared duration when longer."""
    from ..media.decoding import MediaDecodeError, probe

    seconds = max(len(movie.predicted), len(movie.annotations) if movie.annotations is not None else 0)
    try:
        declared = probe(movie.video).duration
    except (MediaDecodeError, OSError):
        declared = None
    return float(max(seconds, declared or 0.0))


def _limit(*arrays: np.ndarray | None) -> float:
    """Half-height of the plots: 1.05 (the [-1, 1] scale) unless a curve goes beyond."""
    finite = [np.abs(a[np.isfinite(a)]) for a in arrays if a is not None]
    largest = max([1.0] + [float(a.max()) for a in finite if a.size])
    return 1.05 * largest


def video_url(video: Path, folder: Path) -> str:
    """The URL of ``video`` relative to a page in ``folder`` (an absolute ``file:`` URL across drives)."""
    try:
        relative = os.path.relpath(video.resolve(), folder.resolve())
    except ValueError:  # another drive (Windows): no relative path exists
        return video.resolve().as_uri()
    return quote(Path(relative).as_posix(), safe="/")


def _page_name(name: str) -> str:
    return f"{name}.html" if f"{name}.html".lower() != INDEX_PAGE else f"{name}_movie.html"


def _page(movie: MovieReport, url: str, model_name: str, n_peaks: int, min_distance: float,
          smoothing: int) -> dict[str, Any]:
    """Everything the movie's page shows, computed once (also what the index shows of it)."""
    scores, scored_seconds = _scores(movie)
    std_peaks = ([] if movie.std is None
                 else find_peaks(movie.std.mean(axis=1), n_peaks, min_distance=min_distance, smoothing=smoothing))
    upper = None if movie.std is None else np.abs(movie.predicted) + np.abs(movie.std)
    peaks = find_peaks(movie.predicted[:, 1], n_peaks, min_distance=min_distance, smoothing=smoothing)
    return {"name": movie.name, "video_url": url, "model_name": model_name, "predicted": movie.predicted,
            "annotations": movie.annotations, "std": movie.std, "scores": scores, "scored_seconds": scored_seconds,
            "duration": _duration(movie), "limit": _limit(movie.predicted, movie.annotations, upper),
            "peaks": peaks, "std_peaks": std_peaks, "n_peaks": n_peaks, "href": quote(_page_name(movie.name)),
            "drivers": None if movie.contributions is None else _drivers(movie.contributions, peaks)}


def _drivers(contributions: Mapping[str, np.ndarray], peaks: np.ndarray) -> dict[str, Any]:
    """What the "what drives this moment" band shows: the modalities, their colours, their stacked areas."""
    from ..plotting import modality_colours, stacked_areas

    names = list(contributions)
    values = np.stack([contributions[name] for name in names], axis=1)  # (T, M, 2)
    lower, upper = zip(*(stacked_areas(values[:, :, column]) for column in range(values.shape[2])))
    reach = max([float(np.abs(edge).max()) for edge in lower + upper] + [1e-6])
    top = {}
    for second in peaks:  # the modality whose contribution to the peak's arousal is largest in absolute value
        row = np.nan_to_num(values[int(second), :, 1])
        top[int(second)] = (names[int(np.argmax(np.abs(row)))], float(row[np.argmax(np.abs(row))]))
    return {"modalities": names, "colours": modality_colours(names), "values": values, "lower": lower,
            "upper": upper, "limit": 1.1 * reach, "peak_drivers": top}


def _nav(pages: Sequence[Mapping[str, Any]], index: int) -> str:
    from ._html import escape

    if len(pages) < 2:
        return ""
    links = [f'<a href="{INDEX_PAGE}">All movies</a>']
    if index > 0:
        before = pages[index - 1]
        links.append(f'<a href="{escape(before["href"])}" rel="prev">&larr; {escape(before["name"])}</a>')
    if index + 1 < len(pages):
        after = pages[index + 1]
        links.append(f'<a href="{escape(after["href"])}" rel="next">{escape(after["name"])} &rarr;</a>')
    return f'<nav aria-label="Movies">{"".join(links)}</nav>'


def _video_source(movie: MovieReport, folder: Path, proxy: bool, max_height: int) -> str:
    video = Path(movie.video)
    if not video.is_file():
        raise FileNotFoundError(f"movie {movie.name!r}: video file not found: {video}")
    if not proxy:
        return video_url(video, folder)
    copy = folder / PROXY_FOLDER / f"{movie.name}.webm"
    if not (copy.is_file() and copy.stat().st_mtime >= video.stat().st_mtime):  # an up-to-date copy is kept
        make_proxy(video, copy, max_height=max_height)
    return video_url(copy, folder)


def write_report(
    folder: str | os.PathLike,
    movies: Sequence[MovieReport],
    *,
    model_name: str = "the model",
    proxy: bool = False,
    proxy_height: int = 360,
    n_peaks: int = 5,
    min_distance: float = 10,
    smoothing: int = 5,
    model_sha256: str | None = None,
) -> list[Path]:
    """Write the HTML page of every movie (and ``index.html`` for several), atomically.

    Parameters
    ----------
    folder : str or path-like
        Where the pages go (created if needed); pages link the videos relative to it, so keep the
        folder and the videos where they are (or use ``proxy``).
    movies : sequence of MovieReport
        The movies, in the order the index lists them; names must differ.
    model_name : str, default="the model"
        Name of the model shown on the pages (e.g. ``"model.skops (baseline)"``).
    proxy : bool, default=False
        Play a small WebM copy (VP9 + Opus, :func:`make_proxy`) written to ``folder/media/<movie>.webm``
        instead of the movie file: for codecs a browser lacks, or a folder that travels on its own.
        An existing copy newer than the movie is reused.
    proxy_height : int, default=360
        Largest picture height of the copies, in pixels.
    n_peaks : int, default=5
        Peaks of arousal (and of the standard deviation) listed per movie.
    min_distance : float, default=10
        Smallest distance between two listed peaks, in seconds.
    smoothing : int, default=5
        Width, in seconds, of the moving average applied before finding peaks.
    model_sha256 : str, optional
        SHA-256 of the model file, recorded in every page (:func:`report_pages` reads it back).

    Returns
    -------
    list of Path
        The movie pages, in the order of ``movies``, then ``index.html`` when there are several movies.

    Raises
    ------
    FileNotFoundError
        When a video file does not exist.
    ValueError
        When there is no movie, two have the same name, or a proxy cannot be made.

    Examples
    --------
    Two generated 4-second movies, their content's curves shown as the prediction:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.report import MovieReport, write_report
    >>> data = make_movie_files(tempfile.mkdtemp(), 2, min_seconds=4, max_seconds=4, random_state=0)
    >>> movies = [MovieReport(name, video, predicted=content, annotations=y)
    ...           for name, video, content, y in zip(data.movies, data.videos, data.content, data.y)]
    >>> pages = write_report(Path(tempfile.mkdtemp()) / "report", movies, model_name="the content")
    >>> [page.name for page in pages]
    ['movie_00.html', 'movie_01.html', 'index.html']
    """
    from .. import __version__
    from ._html import index_page, movie_page

    if not movies:
        raise ValueError("write_report needs at least one movie.")
    names = [m.name for m in movies]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two movies have the same name ({', '.join(twice)}): the pages would overwrite each other.")
    folder = Path(folder)
    colours = _colours()
    pages = [_page(m, _video_source(m, folder, proxy, proxy_height), model_name, n_peaks, min_distance, smoothing)
             for m in movies]
    written = []
    for index, page in enumerate(pages):
        text = movie_page(page, nav=_nav(pages, index), colours=colours, version=__version__,
                          model_sha256=model_sha256)
        written.append(_write_text(folder / _page_name(page["name"]), text))
    if len(pages) > 1:
        text = index_page(pages, model_name=model_name, colours=colours, version=__version__,
                          model_sha256=model_sha256)
        written.append(_write_text(folder / INDEX_PAGE, text))
    return written


def report_pages(folder: str | os.PathLike) -> dict[Path, str | None]:
    """The pages of ``folder`` written by :func:`write_report`, each with the SHA-256 of the model it records.

    Parameters
    ----------
    folder : str or path-like
        A report folder (absent: no page).

    Returns
    -------
    dict of Path to str or None
        Every ``*.html`` file whose head names sklearn-emotion as its generator; the value is the model's
        SHA-256, or None for a page that records none (written by sklearn-emotion 0.2, or without
        ``model_sha256``).  Other HTML files are not listed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.report import MovieReport, report_pages, write_report
    >>> data = make_movie_files(tempfile.mkdtemp(), 1, min_seconds=4, max_seconds=4, random_state=0)
    >>> folder = Path(tempfile.mkdtemp()) / "report"
    >>> _ = write_report(folder, [MovieReport("movie_00", data.videos[0], data.content[0])], model_sha256="ab12")
    >>> _ = (folder / "notes.html").write_text("<p>not a page of ours</p>")
    >>> {page.name: sha256 for page, sha256 in report_pages(folder).items()}
    {'movie_00.html': 'ab12'}
    """
    from ._html import MODEL_META

    folder = Path(folder)
    pages: dict[Path, str | None] = {}
    if not folder.is_dir():
        return pages
    generator = re.compile(r'<meta name="generator" content="sklearn-emotion[ "]')
    model = re.compile(rf'<meta name="{MODEL_META}" content="([0-9a-fA-F]+)">')
    for path in sorted(folder.glob("*.html")):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                head = handle.read(4096)  # the metas are at the top; pages hold their data further down
        except OSError:
            continue
        if generator.search(head):
            found = model.search(head)
            pages[path] = found.group(1).lower() if found else None
    return pages


def _colours() -> dict[str, str]:
    """The plots' role colours (matplotlib names) as CSS hex colours."""
    from matplotlib.colors import to_hex

    from ..plotting import ROLE_COLOURS

    return {role: to_hex(colour) for role, colour in ROLE_COLOURS.items()}


def _write_text(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    return atomic_write_bytes(path, lambda out: out.write(data))
