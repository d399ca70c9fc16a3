"""``sklearn-emotion report``: a model + videos -> HTML pages playing each movie over its emotion curves."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    VIDEO_SUFFIXES,
    CommandError,
    collect,
    echo,
    load_model_arg,
    one_line,
    video_features,
    warn,
)
from ._options import add_model_video_options


def _check_inputs(args: argparse.Namespace) -> list[Path]:
    """The videos, once each name is known to be unique and the folders usable (before any long work)."""
    from ..files import FEATURE_SUFFIX

    videos = collect(args.videos, VIDEO_SUFFIXES, "video file")
    features = [video for video in videos if video.suffix.lower() == FEATURE_SUFFIX]
    if features:  # a page plays the movie: features alone cannot make one
        raise CommandError(f"{features[0]} is a feature file: a report plays each movie, so it needs the video "
                           "(its features are extracted as the model's were); for the curves of feature files, "
                           "use `sklearn-emotion predict`.")
    seen: dict[str, Path] = {}
    for video in videos:
        if video.stem in seen:
            raise CommandError(f"two videos are named {video.stem} ({seen[video.stem]} and {video}): "
                               "each movie's page is <name>.html, so names must differ.")
        seen[video.stem] = video
    if args.annotations is not None and not Path(args.annotations).is_dir():
        raise CommandError(f"annotation folder not found: {args.annotations}")
    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise CommandError(f"-o {args.output} is a file; the report needs a folder.")
    if args.peaks < 0 or args.peak_distance < 0:
        raise CommandError("--peaks and --peak-distance must not be negative.")
    return videos


def _may_predict_std(estimator: Any) -> bool:
    try:
        from ..scoring import predicts_std
    except ImportError:  # no such helper in this version: try return_std=True and see
        return True
    return bool(predicts_std(estimator))


def predict_with_std(estimator: Any, movie: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """``(mean, std)`` of one movie's curves; ``std`` is None unless the model predicts a standard deviation.

    The standard deviation is asked for (``predict(X, return_std=True)``) when the estimator was fitted to
    predict it (:func:`sklearn_emotion.scoring.predicts_std`) and accepts the argument (no ``TypeError``).
    """
    if _may_predict_std(estimator):
        try:
            mean, std = estimator.predict([movie], return_std=True)
        except TypeError:  # the estimator has no return_std
            pass
        else:
            return np.asarray(mean[0]), np.asarray(std[0])
    return np.asarray(estimator.predict([movie])[0]), None


def _annotations(folder: str | None, name: str) -> np.ndarray | None:
    from ..files import read_annotations

    if folder is None:
        return None
    try:
        return read_annotations(folder, name)
    except FileNotFoundError:
        warn("report", f"no annotation file for movie {name} in {folder}: its page has no annotation and no scores.")
        return None
    except ValueError as exc:  # a malformed file: this movie fails, not the others
        raise CommandError(one_line(exc)) from None


def _claim_output(args: argparse.Namespace) -> str:
    """The model file's SHA-256, once -o holds no page of another model (removed with --overwrite)."""
    from ..media.cache import content_digest
    from ..report import report_pages

    digest = content_digest(args.model)
    others = [page for page, made_by in report_pages(args.output).items() if made_by != digest]
    if others and not args.overwrite:
        raise CommandError(
            f"{args.output} holds the report of another model ({len(others)} page(s), e.g. {others[0].name}; "
            "pages of sklearn-emotion 0.2 do not say which model made them). Use another -o folder, or "
            "--overwrite to replace it (its pages are removed).")
    for page in others:
        page.unlink(missing_ok=True)
    if others:
        echo(f"--overwrite: removed the {len(others)} page(s) of another model from {args.output}.")
    return digest


def run(args: argparse.Namespace) -> int:
    from ..report import MovieReport, write_report
    from .predict import check_finite, model_label

    videos = _check_inputs(args)
    model = load_model_arg(args)
    model_name = model_label(model, args.model)
    extracted = video_features(model, videos, args)  # a missing model file is an error before any work
    digest = _claim_output(args)
    movies: dict[int, MovieReport] = {}
    failures: dict[Path, Exception] = {}

    def fail(video: Path, error: Exception) -> None:
        failures[video] = error
        echo(f"FAILED {video}: {one_line(error)}")

    for index, result in extracted:
        video = videos[index]
        if isinstance(result, Exception):  # this video's extraction failed (it names the video)
            fail(video, result)
            continue
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # non-finite outputs: check_finite's error
                predicted, std = predict_with_std(model.estimator, result)
            check_finite(video.stem, predicted, std)
            annotations = _annotations(args.annotations, video.stem)
            movies[index] = MovieReport(video.stem, video, predicted, annotations=annotations, std=std)
        except (CommandError, OSError, ValueError) as error:
            fail(video, error)
    kept = [movies[index] for index in sorted(movies)]  # the order of the command line
    if kept:
        if args.proxy:
            echo(f"Writing small WebM copies of {len(kept)} video(s) to {Path(args.output) / 'media'}...")
        try:
            pages = write_report(args.output, kept, model_name=model_name, proxy=args.proxy, n_peaks=args.peaks,
                                 min_distance=args.peak_distance, model_sha256=digest)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(one_line(exc)) from None
        echo(f"Wrote the report of {len(kept)} of {len(videos)} movie(s) to {args.output}: open {pages[-1]} in a "
             "web browser (it works offline).")
    if failures:
        lines = "\n".join(f"  {video}: {one_line(error)}" for video, error in failures.items())
        raise CommandError(f"{len(failures)} movie(s) failed"
                           + ("; the others' pages are written" if kept else "; no page written") + f":\n{lines}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Write an HTML page per movie that plays the movie with its predicted valence and arousal drawn under
    it: a cursor follows playback, a click on the curves seeks the video, the peaks of arousal are listed as
    times to jump to, and with --annotations the annotation is drawn too and the page gives the movie's MSE
    and Pearson r. When the model also predicts the viewers' standard deviation (fitted with
    predict_std=True), the band prediction +- std and the peaks of disagreement are shown. Writes DIR/<movie>.html, and
    DIR/index.html linking them when there are several movies. The pages need no network (style, script
    and data are inside them) and link each video by its path relative to DIR, so keep the videos where
    they are; --proxy writes a small WebM copy of each (DIR/media/<movie>.webm, VP9 + Opus) for a
    browser that cannot play the original codec or a folder that travels on its own. The videos'
    features are extracted as the model's were (see `predict`; --missing-audio likewise); a
    pickle-based model needs --trust-model. A movie that fails (unreadable video, no sound track, a
    malformed annotation file, NaN or infinite predictions) fails alone: the others' pages are
    written, a summary names each failed file, and the exit status is 1. Each page records the
    SHA-256 of the model file: DIR holding pages of another model is refused unless --overwrite.
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit` (.skops)")
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="movie files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the HTML pages")
    parser.add_argument("--annotations", metavar="DIR",
                        help="annotation folder (<movie>_Valence-Arousal.txt, <movie>.csv, ... as for `fit`): "
                             "draws the annotation and gives each movie's scores")
    parser.add_argument("--proxy", action="store_true",
                        help="play a small WebM copy (VP9 + Opus, at most 360 lines) written to DIR/media "
                             "instead of the original file")
    parser.add_argument("--peaks", type=int, default=5, metavar="N", help="peaks of arousal listed per movie "
                        "(default: 5)")
    parser.add_argument("--peak-distance", type=float, default=10.0, metavar="SECONDS",
                        help="smallest time between two listed peaks (default: 10)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the report of another model in DIR (its pages are removed)")
    add_model_video_options(parser)
