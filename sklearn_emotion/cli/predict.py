"""``sklearn-emotion predict``: a model + videos or features -> per-second curves and plots."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    VIDEO_SUFFIXES,
    CommandError,
    check_widths,
    collect,
    echo,
    load_model_arg,
    one_line,
    progress_enabled,
    video_features,
)
from ._options import add_model_video_options


def model_label(model: Any, path: str) -> str:
    """The name shown for a model's predictions: its file name and kind, e.g. ``model.skops (baseline)``."""
    kind = model.info.get("model")  # "paper", "baseline", ... for models written by `fit`
    return Path(path).name + (f" ({kind})" if isinstance(kind, str) and kind else "")


def check_finite(name: str, mean: np.ndarray, std: np.ndarray | None) -> None:
    """Raise ``ValueError`` naming the movie when a predicted mean or std is NaN or infinite."""
    for what, values in (("valence/arousal", mean), ("standard deviation", std)):
        if values is None:
            continue
        bad = ~np.isfinite(np.asarray(values, dtype=np.float64)).all(axis=1)
        if bad.any():
            raise ValueError(
                f"movie {name}: the model predicted NaN or infinity as {what} at {int(bad.sum())} of {len(bad)} "
                f"second(s) (first: second {int(np.flatnonzero(bad)[0])}); no output written for it. Is the model "
                "file damaged (e.g. NaN coefficients)?")


def predict_movie(estimator: Any, name: str, movie: dict, with_std: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """One movie's ``(mean, std)`` curves (``std`` None unless ``with_std``), checked finite."""
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite outputs get check_finite's error instead
        if with_std:
            mean, std = estimator.predict([movie], return_std=True)
            curves, spread = np.asarray(mean[0]), np.asarray(std[0])
        else:
            curves, spread = np.asarray(estimator.predict([movie])[0]), None
    check_finite(name, curves, spread)
    return curves, spread


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ..files import FEATURE_SUFFIX, load_features, write_curves
    from ..media.cache import content_digest
    from ..plotting import plot_curves
    from ..prediction_info import PredictionFolder, movie_record
    from ..scoring import predicts_std

    model = load_model_arg(args)
    inputs = collect(args.inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    features = [p for p in inputs if p.suffix == FEATURE_SUFFIX]
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    extracted = video_features(model, videos, args) if videos else iter(())  # its errors come before any work
    output = Path(args.output)
    training = model.info.get("movies")
    folder = PredictionFolder(output, model_name=model_label(model, args.model), model_file=args.model,
                              model_sha256=content_digest(args.model),
                              training_movies=training if isinstance(training, list) else None)
    try:  # before any long work, and recorded before the first movie: the folder is this model's
        removed = folder.claim(overwrite=args.overwrite)
    except (OSError, ValueError) as exc:
        raise CommandError(one_line(exc)) from None
    if removed:
        echo(f"--overwrite: removed the {len(removed)} prediction(s) of another model from {output}.")
    with_std = predicts_std(model.estimator)  # a model trained on annotations with the viewers' std
    failures: dict[Path, Exception] = {}

    def finish(path: Path, movie: dict) -> None:
        """Predict one movie and write its CSV (and PNG) at once, then its record."""
        name = path.stem
        curves, spread = predict_movie(model.estimator, name, movie, with_std)
        write_curves(output / f"{name}.csv", curves, std=spread)
        if not args.no_plot:
            plot_curves(output / f"{name}.png", {"predicted": curves},
                        bands=None if spread is None else {"predicted": spread},
                        title=f"{name}: predicted emotion" + ("" if spread is None else " ± viewers' std"))
        folder.record(name, movie_record(name, path, content_digest(path), model.info))

    def fail(path: Path, error: Exception) -> None:
        failures[path] = error
        echo(f"FAILED {path}: {one_line(error)}")

    for path in tqdm(features, desc="predicting", unit="movie", disable=not progress_enabled(args) or not features):
        try:
            movie = load_features(path)
            check_widths(model, path.stem, movie)
            finish(path, movie)
        except (CommandError, OSError, ValueError) as error:
            fail(path, error)
    for index, result in extracted:
        if isinstance(result, Exception):  # this video's extraction failed (it names the video)
            fail(videos[index], result)
            continue
        try:
            finish(videos[index], result)
        except (CommandError, OSError, ValueError) as error:
            fail(videos[index], error)
    done = len(inputs) - len(failures)
    spread_note = " and the viewers' standard deviation" if with_std else ""
    echo(f"Wrote per-second valence and arousal{spread_note} of {done} of {len(inputs)} movie(s) to {output}"
         + ("" if args.no_plot else " (CSV and PNG per movie)") + ".")
    if failures:
        lines = "\n".join(f"  {path}: {one_line(error)}" for path, error in failures.items())
        raise CommandError(f"{len(failures)} movie(s) failed; the others are written:\n{lines}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Predict valence and arousal every second. Writes DIR/<movie>.csv (Time,Valence,Arousal) and
    DIR/<movie>.png (both curves over time) as soon as each movie is done, and DIR/predictions.json
    (the model, its SHA-256, each movie's input and whether the model was trained on it; read by
    `evaluate`). A model trained on annotations with the viewers' standard deviation also predicts
    it: the CSV gets the columns Valence_std,Arousal_std and the plot a band of ± one std around each
    curve. A movie that fails (unreadable, other features than the model's, a video without sound
    track, NaN or infinite predictions) fails alone: the others are written, a summary names each
    failed file, and the exit status is 1. DIR belongs to one model: a folder holding another
    model's predictions is refused unless --overwrite; the same model may add movies to it. Videos
    need a model trained on features from `extract` (it re-extracts them with the same settings,
    finding the same pretrained model files by name and SHA-256 in the weights folder or the model
    cache). Model files written by `fit` (.skops) hold data only and are safe to share: loading one
    runs no code from it, and only scikit-learn's and sklearn-emotion's estimator types are accepted.
    Pickle-based model files (.joblib of sklearn-emotion 0.1) can run any code when loaded: they are
    refused unless you pass --trust-model.
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit` (.skops)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="videos, .npz feature files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the CSV and PNG files")
    parser.add_argument("--no-plot", action="store_true", help="write only the CSV files")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the predictions of another model in DIR (its CSV and PNG files are removed)")
    add_model_video_options(parser)
