"""A model and videos -> a folder of HTML pages playing each movie over its curves: the ``report`` command.

The pages themselves are :func:`sklearn_emotion.report.write_report`'s; this adds what the command
does around them: the videos' features extracted as the model's were, the predictions (through
:func:`~sklearn_emotion.workflows.predict.predict_movies`), the annotations, and a folder that
belongs to one model.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .movies import VIDEO_SUFFIXES, MoviesFailedError, attempt_movie
from .predict import MovieExplainer, model_label, model_video_features, predict_movies, saved_model

__all__ = ["report_to_folder"]


def report_to_folder(model: Any, videos: Sequence[str | os.PathLike], output: str | os.PathLike, *,
                     model_file: str | os.PathLike | None = None, trust_pickle: bool = False,
                     annotations: str | os.PathLike | None = None, proxy: bool = False, n_peaks: int = 5,
                     peak_distance: float = 10.0, overwrite: bool = False,
                     weights_dir: str | os.PathLike | None = None, n_jobs: int | None = None,
                     missing_audio: str | None = None, explain: bool = False, progress: bool = True,
                     echo: Callable[[str], None] = print, warn: Callable[[str], None] | None = None) -> list[Path]:
    """Write an HTML page per video into ``output`` (and ``index.html`` for several): the ``report`` command.

    Parameters
    ----------
    model : path-like or SavedModel
        A model file written by ``fit``, or a model loaded from ``model_file``
        (:func:`~sklearn_emotion.workflows.predict.saved_model`).
    videos : sequence of path-like
        Movie files or folders of them; names must differ (each page is ``<name>.html``).
    output : path-like
        The report folder; pages of another model are refused unless ``overwrite`` (then removed).
    model_file, trust_pickle, weights_dir, n_jobs, missing_audio, progress, echo
        As for :func:`~sklearn_emotion.workflows.predict.predict_to_folder`.
    annotations : path-like, optional
        Annotation folder: each page draws the movie's annotation and gives its scores.
    proxy, n_peaks, peak_distance
        As :func:`sklearn_emotion.report.write_report`'s ``proxy``, ``n_peaks``, ``min_distance``.
    explain : bool, default=False
        Draw under each curve what each modality contributes every second and name, for each arousal
        peak, the modality contributing most (:func:`sklearn_emotion.inspection.modality_contributions`:
        2^M more predictions of each movie for M modalities).
    warn : callable, optional
        Says that a movie has no annotation file (default: :func:`warnings.warn`).

    Returns
    -------
    list of Path
        The pages written, the index last.

    Raises
    ------
    MoviesFailedError
        A ``ValueError`` naming each movie that failed, once the others' pages are written.
    ValueError, FileNotFoundError
        Before any work: a feature file instead of a video, two videos of one name, a missing
        annotation folder, ``output`` a file or another model's report, a missing model file.

    Examples
    --------
    A baseline trained on the weight-free features of two generated movies, then the page of one:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.workflows import extract_to_folder, fit_model_file, report_to_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> data = make_movie_files(root / "movies", 2, min_seconds=4, max_seconds=5, random_state=0)
    >>> spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
    >>> _ = extract_to_folder(data.videos, root / "features", spec, progress=False, echo=lambda line: None)
    >>> model = fit_model_file([root / "features"], data.folder, root / "model.skops", model="baseline",
    ...                        echo=lambda line: None)
    >>> pages = report_to_folder(model, data.videos[:1], root / "report", annotations=data.folder, progress=False,
    ...                          echo=lambda line: None)
    >>> [page.name for page in pages]
    ['movie_00.html']
    """
    from ..media.cache import content_digest
    from ..report import MovieReport, write_report

    videos = _check_inputs(videos, annotations, output, n_peaks, peak_distance)
    model, model_file = saved_model(model, model_file, trust_pickle=trust_pickle)
    extracted = model_video_features(model, videos, model_file=model_file, weights_dir=weights_dir, n_jobs=n_jobs,
                                     missing_audio=missing_audio, progress=progress, echo=echo)  # errors first
    digest = content_digest(model_file)
    _claim(output, digest, overwrite, echo)
    movies: dict[int, MovieReport] = {}
    failures: dict[Path, Exception] = {}
    explainer = MovieExplainer(model, warn) if explain else None

    def movie_report(video: Path, features: dict) -> MovieReport:
        contributions = None
        if explainer is not None:  # 2^M predictions (2^M + 1 with the std)
            predicted, std, (values, modalities, _, _) = explainer.predict(video.stem, features)
            contributions = {modality: values[:, m, :] for m, modality in enumerate(modalities)}
        else:
            (predicted,), stds = predict_movies(model, [features], names=[video.stem])
            std = None if stds is None else stds[0]
        return MovieReport(video.stem, video, predicted, annotations=_annotations(annotations, video.stem, warn),
                           std=std, contributions=contributions)

    for index, result in extracted:  # an exception: this video's extraction failed (it names the video)
        movies[index] = attempt_movie(videos[index], result, movie_report, failures, echo)
    kept = [movies[index] for index in sorted(movies) if movies[index] is not None]  # the command line's order
    pages: list[Path] = []
    if kept:
        if proxy:
            echo(f"Writing small WebM copies of {len(kept)} video(s) to {Path(output) / 'media'}...")
        pages = write_report(output, kept, model_name=model_label(model, model_file), proxy=proxy,
                             n_peaks=n_peaks, min_distance=peak_distance, model_sha256=digest)
        echo(f"Wrote the report of {len(kept)} of {len(videos)} movie(s) to {output}: open {pages[-1]} in a "
             "web browser (it works offline).")
    if failures:
        raise MoviesFailedError(failures, "the others' pages are written" if kept else "no page written")
    return pages


def _check_inputs(paths: Sequence[str | os.PathLike], annotations: str | os.PathLike | None,
                  output: str | os.PathLike, n_peaks: int, peak_distance: float) -> list[Path]:
    """The videos, once each name is known to be unique and the folders usable (before any long work)."""
    from ..files import FEATURE_SUFFIX, find_files

    videos = find_files(paths, VIDEO_SUFFIXES, "video file")  # refuses two videos of one name (one page each)
    features = [video for video in videos if video.suffix.lower() == FEATURE_SUFFIX]
    if features:  # a page plays the movie: features alone cannot make one
        raise ValueError(f"{features[0]} is a feature file: a report plays each movie, so it needs the video "
                         "(its features are extracted as the model's were); for the curves of feature files, "
                         "use `sklearn-emotion predict`.")
    if annotations is not None and not Path(annotations).is_dir():
        raise FileNotFoundError(f"annotation folder not found: {annotations}")
    if Path(output).exists() and not Path(output).is_dir():
        raise ValueError(f"-o {output} is a file; the report needs a folder.")
    if n_peaks < 0 or peak_distance < 0:
        raise ValueError(f"the number of peaks (--peaks) and the distance between them (--peak-distance) must "
                         f"not be negative; got {n_peaks} and {peak_distance}.")
    return videos


def _annotations(folder: str | os.PathLike | None, name: str,
                 warn: Callable[[str], None] | None) -> np.ndarray | None:
    """A movie's annotation, or None (with a warning) when the folder has none for it."""
    from ..files import read_annotations

    if folder is None:
        return None
    try:
        return read_annotations(folder, name)
    except FileNotFoundError:
        message = f"no annotation file for movie {name} in {folder}: its page has no annotation and no scores."
        warn(message) if warn is not None else warnings.warn(message, stacklevel=3)
        return None


def _claim(output: str | os.PathLike, digest: str, overwrite: bool, echo: Callable[[str], None]) -> None:
    """Make ``output`` this model's report folder: another model's pages are refused, or removed with ``overwrite``."""
    from ..report import report_pages

    others = [page for page, made_by in report_pages(output).items() if made_by != digest]
    if others and not overwrite:
        raise ValueError(
            f"{output} holds the report of another model ({len(others)} page(s), e.g. {others[0].name}; "
            "pages of sklearn-emotion 0.2 do not say which model made them). Use another -o folder, or "
            "--overwrite to replace it (its pages are removed).")
    for page in others:
        page.unlink(missing_ok=True)
    if others:
        echo(f"--overwrite: removed the {len(others)} page(s) of another model from {output}.")
