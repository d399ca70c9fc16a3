"""A model and movies -> per-second curves: :func:`predict_movies`, and ``predict``'s folder of CSV and PNG.

:func:`predict_movies` is the one place that decides whether a model predicts the viewers' standard
deviation (:func:`sklearn_emotion.scoring.predicts_std`); ``predict``, ``report``, ``evaluate`` and
``cross-validate`` all predict through it.  :func:`predict_to_folder` is the ``predict`` command;
:func:`model_video_features` extracts videos' features as a saved model's were (``report`` uses it too).
With ``explain``, ``predict`` also writes what each modality contributes every second
(:func:`sklearn_emotion.inspection.modality_contributions`) into ``DIR/contributions/``:
:func:`sklearn_emotion.files.write_contributions` and :func:`~sklearn_emotion.files.read_contributions` are
that table's format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .movies import VIDEO_SUFFIXES, MoviesFailedError, attempt_movie

__all__ = ["CONTRIBUTIONS_FOLDER", "MovieExplainer", "check_finite", "check_widths", "model_label",
           "model_video_features", "predict_movies", "predict_to_folder", "saved_model"]

#: Sub-folder of a predictions folder holding ``<movie>_contributions.csv`` and ``.png`` (``predict --explain``).
#: Not the folder itself: ``evaluate`` reads every CSV file there as a movie's prediction.
CONTRIBUTIONS_FOLDER = "contributions"


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

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion.workflows import predict_movies
    >>> rng = np.random.default_rng(0)
    >>> movies = [{"image": rng.normal(size=(seconds, 3))} for seconds in (30, 20)]
    >>> annotations = [np.tanh(movie["image"][:, :2]) for movie in movies]
    >>> model = PerSecondRegressor(Ridge()).fit(movies, annotations)
    >>> means, stds = predict_movies(model, movies, names=["Sintel", "Decay"])
    >>> [curves.shape for curves in means], stds is None  # this model predicts no std
    ([(30, 2), (20, 2)], True)
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


class MovieExplainer:
    """What each modality contributes to one movie's predicted seconds, for ``predict`` and ``report --explain``.

    Calls :func:`sklearn_emotion.inspection.modality_contributions` on one movie at a time (memory stays
    at one movie; 2^M predictions of it for M modalities).  A model that records no training feature
    means (fitted by sklearn-emotion < 0.3, its first step not a ``MovieStandardScaler``) is explained
    against each movie's own mean features: that is said once, by ``warn``, not once per movie.

    Parameters
    ----------
    model : estimator or SavedModel
        The fitted model.
    warn : callable, optional
        Says that the baseline is each movie's mean (default: :func:`warnings.warn`).
    """

    def __init__(self, model: Any, warn: Callable[[str], None] | None = None):
        self.model, self.warn = model, warn
        self.warned = False  # whether the missing training means were said

    def __call__(self, name: str,
                 movie: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
        """``(contributions (T, M, 2), modalities, all-absent prediction (T, 2), prediction (T, 2))`` of the
        movie ``name``; the prediction is ``model.predict([movie])`` (the mean, for a model with the std).

        Raises ``ValueError`` naming the movie when the model refuses it, or when a contribution or the
        all-absent prediction is NaN or infinite.
        """
        import warnings

        from ..inspection import MissingTrainingMeansWarning, modality_contributions

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            explained = modality_contributions(self.model, [movie], movie_names=[name])
        for warning in caught:
            if issubclass(warning.category, MissingTrainingMeansWarning):  # said once below, in the CLI's words
                self._say_no_means()
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        (values,), (absent,), (predicted,) = explained.contributions, explained.baseline_prediction, explained.prediction
        check_finite(name, np.asarray(absent), None)
        if not np.isfinite(values).all():
            raise ValueError(f"movie {name}: a modality's contribution is NaN or infinite; no output written for it.")
        return np.asarray(values), list(explained.modalities), np.asarray(absent), np.asarray(predicted)

    def predict(self, name: str, movie: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None, tuple]:
        """``(curves (T, 2), std (T, 2) or None, explanation)`` of the movie ``name``, ``explanation`` being
        ``self(name, movie)``: the one place where ``predict`` and ``report`` get an explained movie's curves.

        Without the viewers' std the curves are the explanation's own prediction (2^M predictions); a model
        that predicts the std needs ``predict(X, return_std=True)`` besides (2^M + 1).  Errors name the movie.
        """
        from ..persistence import SavedModel
        from ..scoring import predicts_std

        if predicts_std(getattr(self.model, "estimator", self.model)):
            (curves,), stds = predict_movies(self.model, [movie], names=[name])
            return curves, stds[0], self(name, movie)
        if isinstance(self.model, SavedModel):  # the same check and message as predict_movies
            check_widths(self.model.modalities, name, movie)
        explained = self(name, movie)
        check_finite(name, explained[3], None)
        return explained[3], None, explained

    def _say_no_means(self) -> None:
        import warnings

        if self.warned:
            return
        self.warned = True
        message = ("the model records no training feature means (fitted by sklearn-emotion < 0.3): each movie's "
                   "contributions are measured against that movie's own mean features, so they depend on the movie; "
                   "fit the model again to explain every movie against the training means.")
        self.warn(message) if self.warn is not None else warnings.warn(message, UserWarning, stacklevel=3)


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
                      missing_audio: str | None = None, explain: bool = False, progress: bool = True,
                      echo: Callable[[str], None] = print) -> list[str]:
    """Predict each movie of ``inputs`` (feature files, videos, folders) into ``output``: the ``predict`` command.

    Writes ``<movie>.csv`` (and ``<movie>.png`` with ``plot``) as soon as each movie is done, and its
    record in ``predictions.json`` (the model, its SHA-256, each movie's input and whether the model was
    trained on it).  The folder belongs to one model: another model's predictions are refused unless
    ``overwrite`` (then removed).  Videos are extracted as the model's features were
    (:func:`model_video_features`).  With ``explain``, each movie's modality contributions
    (:func:`sklearn_emotion.inspection.modality_contributions`, 2^M more predictions for M modalities) go to
    ``output/contributions/<movie>_contributions.csv`` (:func:`~sklearn_emotion.files.write_contributions`) and ``.png``.

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
    explain : bool, default=False
        Also write what each modality contributes to each second's valence and arousal (CSV, and PNG with
        ``plot``).  A movie predicted again without it loses its old contributions files.

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

    Examples
    --------
    A baseline trained on three movies predicts a fourth (per-second features and annotations of four
    movies of 30 s written by :func:`~sklearn_emotion.datasets.make_feature_corpus`):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_feature_corpus
    >>> from sklearn_emotion.workflows import fit_model_file, predict_to_folder
    >>> features, annotations = make_feature_corpus(tempfile.mkdtemp())
    >>> root = features.parent
    >>> model = fit_model_file([features / f"movie_{i}.npz" for i in range(3)], annotations, root / "model.skops",
    ...                        model="baseline", echo=lambda line: None)
    >>> predict_to_folder(model, [features / "movie_3.npz"], root / "predictions", plot=False, progress=False)
    Wrote per-second valence and arousal of 1 of 1 movie(s) to .../predictions.
    ['movie_3']
    >>> sorted(path.name for path in (root / "predictions").glob("[!.]*"))
    ['movie_3.csv', 'predictions.json']
    """
    from ..files import FEATURE_SUFFIX, contribution_columns, find_files, load_features

    model, model_file = saved_model(model, model_file, trust_pickle=trust_pickle)
    if explain:  # a modality name that cannot head a column fails before any work
        contribution_columns(list(model.modalities))
    inputs = find_files(inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    features = [p for p in inputs if p.suffix == FEATURE_SUFFIX]
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    extracted = iter(())
    if videos:  # its errors come before any work
        extracted = model_video_features(model, videos, model_file=model_file, weights_dir=weights_dir,
                                         n_jobs=n_jobs, missing_audio=missing_audio, progress=progress, echo=echo)
    write = _movie_writer(model, output, model_file, overwrite=overwrite, plot=plot, explain=explain, echo=echo)
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
    if explain and done:
        echo(f"Wrote the contributions of the modalities {', '.join(model.modalities)} to "
             f"{Path(output) / CONTRIBUTIONS_FOLDER} (<movie>_contributions.csv" + (" and .png)." if plot else ")."))
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
                  plot: bool, explain: bool, echo: Callable[[str], None]) -> _MovieWriter:
    """The writer of one movie's files, once ``output`` is this model's folder (claimed before any long work)."""
    from ..media.cache import content_digest
    from ..prediction_info import PredictionFolder

    training = model.info.get("movies")
    folder = PredictionFolder(output, model_name=model_label(model, model_file), model_file=model_file,
                              model_sha256=content_digest(model_file),
                              training_movies=training if isinstance(training, list) else None)
    removed = folder.claim(overwrite=overwrite)  # recorded before the first movie
    if removed:
        for path in removed:  # the other model's contributions go with its predictions
            _remove_contributions(Path(output), path.stem)
        echo(f"--overwrite: removed the {len(removed)} prediction(s) of another model from {output}.")
    return _MovieWriter(model, Path(output), folder, plot, MovieExplainer(model) if explain else None)


def _contribution_files(output: Path, name: str) -> tuple[Path, Path]:
    stem = output / CONTRIBUTIONS_FOLDER / f"{name}_contributions"
    return stem.with_suffix(".csv"), stem.with_suffix(".png")


def _remove_contributions(output: Path, name: str) -> None:
    for path in _contribution_files(output, name):
        path.unlink(missing_ok=True)


class _MovieWriter:
    """Predicts one movie and writes its CSV (and PNG, and contributions) at once, then its record in
    ``predictions.json``."""

    def __init__(self, model: Any, output: Path, folder: Any, plot: bool, explain: MovieExplainer | None):
        self.model, self.output, self.folder, self.plot, self.explain = model, output, folder, plot, explain
        self.with_std = False  # whether a movie got the viewers' standard deviation

    def __call__(self, path: Path, movie: Mapping[str, np.ndarray]) -> str:
        from ..files import write_curves
        from ..media.cache import content_digest
        from ..plotting import plot_curves
        from ..prediction_info import movie_record

        name = path.stem
        if self.explain is not None:
            curves, spread, explained = self.explain.predict(name, movie)
        else:
            (curves,), spreads = predict_movies(self.model, [movie], names=[name])
            spread, explained = None if spreads is None else spreads[0], None
        self.with_std = self.with_std or spread is not None
        _remove_contributions(self.output, name)  # an earlier run's would not be this prediction's
        written: list[Path] = []  # removed if the movie fails: no file stays that predictions.json does not record
        try:
            if explained is not None:
                self._write_explained(name, curves, *explained[:3], written)
            if self.plot:
                written.append(self.output / f"{name}.png")
                plot_curves(written[-1], {"predicted": curves}, bands=None if spread is None else {"predicted": spread},
                            title=f"{name}: predicted emotion" + ("" if spread is None else " ± viewers' std"))
            written.append(self.output / f"{name}.csv")  # last: the file evaluate reads
            write_curves(written[-1], curves, std=spread)
            self.folder.record(name, movie_record(name, path, content_digest(path), self.model.info))
        except BaseException:
            for file in written:
                if file.is_file():
                    file.unlink()
            raise
        return name

    def _write_explained(self, name: str, curves: np.ndarray, values: np.ndarray, modalities: list[str],
                         absent: np.ndarray, written: list[Path]) -> None:
        from ..files import write_contributions
        from ..plotting import plot_contributions

        table, figure = _contribution_files(self.output, name)
        table.parent.mkdir(parents=True, exist_ok=True)
        written.append(table)
        write_contributions(table, values, modalities, absent)
        if self.plot:
            written.append(figure)
            plot_contributions(figure, curves, values, modalities, absent,
                               title=f"{name}: what each modality contributes to the predicted emotion")
