"""A model and movies -> per-second curves: :func:`predict_movies`, and ``predict``'s folder of CSV and PNG.

:func:`predict_movies` is the one place that decides whether a model predicts the viewers' standard
deviation (:func:`sklearn_emotion.scoring.predicts_std`); ``predict``, ``report``, ``evaluate`` and
``cross-validate`` all predict through it.  :func:`predict_to_folder` is the ``predict`` command;
:func:`model_video_features` extracts videos' features as a saved model's were (``report`` uses it too).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .movies import VIDEO_SUFFIXES, MoviesFailedError, attempt_movie

__all__ = ["check_finite", "check_widths", "model_label", "model_video_features", "predict_movies",
           "predict_to_folder", "saved_model"]


def check_widths(modalities: Mapping[str, int], name: str, movie: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming the movie when its features are not of the model's modalities and widths."""
    widths = {k: int(v.shape[1]) for k, v in movie.items()}
    if widths != dict(modalities):
        raise ValueError(f"movie {name} has features {widths} but the model was trained on {dict(modalities)}.")


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


def predict_movies(model: Any, movies: Sequence[Mapping[str, np.ndarray]], *,
                   names: Sequence[str] | None = None) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """Each movie's predicted valence and arousal, and the viewers' std when the model predicts it.

    Parameters
    ----------
    model : estimator or SavedModel
        A fitted sequence regressor (or pipeline), or a model loaded with
        :func:`sklearn_emotion.persistence.load_model` (its movies' widths are then checked).
    movies : sequence of dict
        ``{modality: (T, d)}`` per movie.
    names : sequence of str, optional
        The movies' names, for the errors (default: their positions).

    Returns
    -------
    means : list of ndarray of shape (T, 2)
    stds : list of ndarray of shape (T, 2) or None
        None unless the model was fitted to predict the viewers' standard deviation
        (``predict_std=True``): then ``predict(X, return_std=True)`` gives it.

    Raises
    ------
    ValueError
        Naming the movie, when its features have other widths than the model's or a prediction is
        NaN or infinite.
    """
    from ..persistence import SavedModel
    from ..scoring import predicts_std

    movies = list(movies)
    names = [str(index) for index in range(len(movies))] if names is None else list(names)
    estimator = model.estimator if isinstance(model, SavedModel) else model
    if isinstance(model, SavedModel):
        for name, movie in zip(names, movies):
            check_widths(model.modalities, name, movie)
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite outputs get check_finite's error instead
        if predicts_std(estimator):
            means, stds = estimator.predict(movies, return_std=True)
            stds = [np.asarray(std) for std in stds]
        else:
            means, stds = estimator.predict(movies), None
    means = [np.asarray(mean) for mean in means]
    for index, (name, mean) in enumerate(zip(names, means)):
        check_finite(name, mean, None if stds is None else stds[index])
    return means, stds


def saved_model(model: Any, model_file: str | os.PathLike | None = None, *,
                trust_pickle: bool = False) -> tuple[Any, str | os.PathLike]:
    """``(SavedModel, its file)`` of a model file, or of a ``SavedModel`` with the file it was loaded from.

    A folder workflow records the model file's name and SHA-256, so a ``SavedModel`` needs ``model_file``.
    Loading a file is :func:`sklearn_emotion.persistence.load_model` (``trust_pickle`` for 0.1 pickles).
    """
    from ..persistence import SavedModel, load_model

    if isinstance(model, SavedModel):
        if model_file is None:
            raise ValueError("model_file: the file of the SavedModel is needed (its name and SHA-256 are recorded).")
        return model, model_file
    return load_model(model, trust_pickle=trust_pickle), model


def model_label(model: Any, path: str | os.PathLike) -> str:
    """The name shown for a model's predictions: its file name and kind, e.g. ``model.skops (baseline)``."""
    kind = model.info.get("model")  # "paper", "baseline", ... for models written by `fit`
    return Path(path).name + (f" ({kind})" if isinstance(kind, str) and kind else "")


def model_video_features(model: Any, videos: Sequence[str | os.PathLike], *, model_file: str | os.PathLike,
                         weights_dir: str | os.PathLike | None = None, n_jobs: int | None = None,
                         missing_audio: str | None = None, progress: bool = True,
                         echo: Callable[[str], None] = print) -> Iterator[tuple[int, Any]]:
    """``(index, features or exception)`` of each of ``videos`` as soon as it is extracted as the model's were.

    The model's files are found again by SHA-256 (``weights_dir`` first).  A video that fails (unreadable,
    no sound track under the ``error`` policy, other widths than the model's) yields its exception, naming
    it, and the others go on; what concerns every video (the model records no settings, a model file is
    missing) raises ``ValueError`` or ``FileNotFoundError`` at the call, before any work.
    ``missing_audio`` (None: the policy the model records, else ``"error"``) says what a video without a
    sound track gets.
    """
    from ..extraction import feature_union
    from ..model_files import resolve_feature_spec

    if model.feature_spec is None:
        raise ValueError(
            f"{model_file} does not record how its features were extracted, so it cannot read videos; "
            "extract them with `sklearn-emotion extract` using the same options and pass the .npz files.")
    policy = missing_audio or model.info.get("missing_audio", "error")  # recorded by `fit` from features.json
    if policy not in ("error", "silence"):
        raise ValueError(f"{model_file} records the missing-audio policy {policy!r}; expected 'error' or "
                         "'silence' (pass --missing-audio).")
    spec = resolve_feature_spec(model.feature_spec, weights_dir, source=model_file)
    union = feature_union(spec, n_jobs=n_jobs, progress=progress, missing_audio=policy)
    note = " (a video without sound track gets the features of silence)" if policy == "silence" else ""

    def movies() -> Iterator[tuple[int, Any]]:  # the checks above run at the call, before any other work
        echo(f"Extracting features of {len(videos)} video(s){note}...")
        for index, result in union.iter_transform([os.fspath(video) for video in videos], on_error="return"):
            if not isinstance(result, Exception):
                try:
                    check_widths(model.modalities, Path(videos[index]).stem, result)
                except ValueError as error:
                    result = error
            yield index, result

    return movies()


def predict_to_folder(model: Any, inputs: Sequence[str | os.PathLike], output: str | os.PathLike, *,
                      model_file: str | os.PathLike | None = None, trust_pickle: bool = False,
                      overwrite: bool = False, plot: bool = True,
                      weights_dir: str | os.PathLike | None = None, n_jobs: int | None = None,
                      missing_audio: str | None = None, progress: bool = True,
                      echo: Callable[[str], None] = print) -> list[str]:
    """Predict each movie of ``inputs`` (feature files, videos, folders) into ``output``: the ``predict`` command.

    Writes ``<movie>.csv`` (and ``<movie>.png`` with ``plot``) as soon as each movie is done, and its
    record in ``predictions.json`` (the model, its SHA-256, each movie's input and whether the model was
    trained on it).  The folder belongs to one model: another model's predictions are refused unless
    ``overwrite`` (then removed).  Videos are extracted as the model's features were
    (:func:`model_video_features`).

    Parameters
    ----------
    model : path-like or SavedModel
        A model file written by ``fit``, or a model loaded from ``model_file`` (:func:`saved_model`).
    inputs : sequence of path-like
        Feature files (``.npz``), videos, or folders of them.
    output : path-like
        The predictions folder.
    model_file : path-like, optional
        The file of a ``SavedModel`` (its name and SHA-256 are recorded).
    trust_pickle : bool, default=False
        Load a pickle-based model file (sklearn-emotion 0.1): it can run any code.
    overwrite, plot, weights_dir, n_jobs, missing_audio, progress, echo
        As the command's options; ``echo`` prints the progress lines.

    Returns
    -------
    list of str
        The movies written.

    Raises
    ------
    MoviesFailedError
        A ``ValueError`` naming each movie that failed, once the others are written.
    ValueError, FileNotFoundError, OSError
        Before any movie, when an input is missing, the folder holds another model's predictions or
        cannot be written, or a model file the features need is missing.
    """
    from ..files import FEATURE_SUFFIX, find_files, load_features

    model, model_file = saved_model(model, model_file, trust_pickle=trust_pickle)
    inputs = find_files(inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    features = [p for p in inputs if p.suffix == FEATURE_SUFFIX]
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    extracted = iter(())
    if videos:  # its errors come before any work
        extracted = model_video_features(model, videos, model_file=model_file, weights_dir=weights_dir,
                                         n_jobs=n_jobs, missing_audio=missing_audio, progress=progress, echo=echo)
    write = _movie_writer(model, output, model_file, overwrite=overwrite, plot=plot, echo=echo)
    failures: dict[Path, Exception] = {}
    done: list[str] = []
    for path, movie in _loaded(features, load_features, progress):
        done.append(attempt_movie(path, movie, write, failures, echo))
    for index, result in extracted:  # an exception: this video's extraction failed (it names the video)
        done.append(attempt_movie(videos[index], result, write, failures, echo))
    done = [name for name in done if name is not None]
    spread = " and the viewers' standard deviation" if write.with_std else ""
    echo(f"Wrote per-second valence and arousal{spread} of {len(done)} of {len(inputs)} movie(s) to {output}"
         + (" (CSV and PNG per movie)" if plot else "") + ".")
    if failures:
        raise MoviesFailedError(failures, "the others are written")
    return done


def _loaded(paths: Sequence[Path], load: Callable[[Path], Any], progress: bool) -> Iterator[tuple[Path, Any]]:
    """``(path, features or the exception loading them)`` of each feature file, with a progress bar."""
    from tqdm.auto import tqdm

    for path in tqdm(paths, desc="predicting", unit="movie", disable=not progress or not paths):
        try:
            yield path, load(path)
        except (OSError, ValueError) as error:
            yield path, error


def _movie_writer(model: Any, output: str | os.PathLike, model_file: str | os.PathLike, *, overwrite: bool,
                  plot: bool, echo: Callable[[str], None]) -> _MovieWriter:
    """The writer of one movie's files, once ``output`` is this model's folder (claimed before any long work)."""
    from ..media.cache import content_digest
    from ..prediction_info import PredictionFolder

    training = model.info.get("movies")
    folder = PredictionFolder(output, model_name=model_label(model, model_file), model_file=model_file,
                              model_sha256=content_digest(model_file),
                              training_movies=training if isinstance(training, list) else None)
    removed = folder.claim(overwrite=overwrite)  # recorded before the first movie
    if removed:
        echo(f"--overwrite: removed the {len(removed)} prediction(s) of another model from {output}.")
    return _MovieWriter(model, Path(output), folder, plot)


class _MovieWriter:
    """Predicts one movie and writes its CSV (and PNG) at once, then its record in ``predictions.json``."""

    def __init__(self, model: Any, output: Path, folder: Any, plot: bool):
        self.model, self.output, self.folder, self.plot = model, output, folder, plot
        self.with_std = False  # whether a movie got the viewers' standard deviation

    def __call__(self, path: Path, movie: Mapping[str, np.ndarray]) -> str:
        from ..files import write_curves
        from ..media.cache import content_digest
        from ..plotting import plot_curves
        from ..prediction_info import movie_record

        name = path.stem
        (curves,), spread = predict_movies(self.model, [movie], names=[name])
        spread = None if spread is None else spread[0]
        self.with_std = self.with_std or spread is not None
        write_curves(self.output / f"{name}.csv", curves, std=spread)
        if self.plot:
            plot_curves(self.output / f"{name}.png", {"predicted": curves},
                        bands=None if spread is None else {"predicted": spread},
                        title=f"{name}: predicted emotion" + ("" if spread is None else " ± viewers' std"))
        self.folder.record(name, movie_record(name, path, content_digest(path), self.model.info))
        return name
