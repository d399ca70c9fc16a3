"""Which modality drives a second?  Exact Shapley values of the modalities of a movie, per second.

The package's models read a movie as several modalities (image, audio, face...).
:func:`modality_contributions` splits each predicted second, ``prediction - baseline_prediction``,
into one contribution per modality: the modality's Shapley value in the game whose players are the
modalities and whose value, for a set ``S`` of *present* modalities, is the model's prediction for
that second when every modality outside ``S`` is replaced by a baseline (by default its mean over the
training seconds, repeated over the movie's seconds).  With ``M`` modalities the exact values need
the ``2**M`` subsets, each predicted once per movie: 8 predictions for image, audio and face.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from math import factorial
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, gen_even_slices

from .data import as_movies, is_movie_sequence, movie_length
from .ensemble import RunAveragingRegressor
from .persistence import SavedModel
from .preprocessing import MovieStandardScaler, movie_feature_means
from .smoothing import SmoothedRegressor
from .windowing import WindowedMovies

__all__ = ["MAX_MODALITIES", "MissingTrainingMeansWarning", "modality_contributions"]

#: The most modalities :func:`modality_contributions` explains: 2**6 = 64 predictions per movie.
MAX_MODALITIES = 6


class MissingTrainingMeansWarning(UserWarning):
    """The model stores no training feature means: the baseline is the mean over the movies explained."""


def _first_step(model: Any) -> Any:
    """The estimator of ``model`` that first sees the movies: a Pipeline's first step, the inner
    regressor of a SmoothedRegressor, the first run of a RunAveragingRegressor (all runs see the same
    movies), a search's best estimator, followed down to an estimator that holds none of these."""
    while True:
        if isinstance(model, Pipeline):
            steps = [step for _, step in model.steps if step is not None and not isinstance(step, str)]
            if not steps:
                return model
            model = steps[0]
        elif isinstance(model, SmoothedRegressor) and hasattr(model, "regressor_"):
            model = model.regressor_
        elif isinstance(model, RunAveragingRegressor) and getattr(model, "estimators_", None):
            model = model.estimators_[0]
        elif hasattr(model, "best_estimator_"):  # GridSearchCV and the like
            model = model.best_estimator_
        else:
            return model


def _model_modalities(model: Any, first: Any) -> list[str] | None:
    """The modality names, in the order the model was fitted on (``None`` when it does not say)."""
    if isinstance(model, SavedModel):
        return list(model.modalities)
    names = getattr(first, "modalities_", None)
    if names is None:
        return None
    return [name if isinstance(name, str) else name[0] for name in names]


def _check_vectors(vectors: Mapping, widths: dict[str, int], what: str) -> dict[str, np.ndarray]:
    """``{modality: (d_m,) float64}`` for exactly the modalities of ``widths``, finite; errors name the modality."""
    missing = [name for name in widths if name not in vectors]
    extra = [str(name) for name in vectors if name not in widths]
    if missing or extra:
        raise ValueError(
            f"{what} must give one vector per modality of the movies {list(widths)}"
            + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "") + "."
        )
    checked = {}
    for name, width in widths.items():
        try:
            vector = np.asarray(vectors[name], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}[{name!r}] must be numeric: {exc}.") from exc
        if vector.shape != (width,):
            raise ValueError(
                f"{what}[{name!r}] has shape {vector.shape} but modality {name!r} of the movies has "
                f"{width} features: expected shape ({width},)."
            )
        if not np.isfinite(vector).all():
            raise ValueError(f"{what}[{name!r}] contains NaN or infinity (column {int(np.argmin(np.isfinite(vector)))}).")
        checked[name] = vector
    return checked


def _resolve_baseline(baseline: Any, first: Any, movies: list[dict[str, np.ndarray]],
                      widths: dict[str, int]) -> dict[str, np.ndarray]:
    """The baseline vector of every modality (see :func:`modality_contributions`)."""
    if isinstance(baseline, Mapping):
        return _check_vectors(baseline, widths, "baseline")
    if not (isinstance(baseline, str) and baseline == "mean"):
        raise ValueError(
            f"baseline={baseline!r}: expected 'mean' or a mapping modality -> (d_m,) vector."
        )
    stored, where = getattr(first, "feature_means_", None), "feature_means_"
    if stored is None and isinstance(first, MovieStandardScaler) and first.with_mean and hasattr(first, "mean_"):
        stored, where = first.mean_, "mean_"  # a scaler fitted before feature_means_ existed holds the same means
    if stored is not None:
        return _check_vectors(stored, widths, f"the training means ({type(first).__name__}.{where})")
    warnings.warn(
        f"modality_contributions: the model's first step ({type(first).__name__}) has no stored training "
        "feature means (a model fitted by sklearn-emotion < 0.3, or a step that records none); the "
        f"baseline is the mean over the {len(movies)} movie(s) of X instead, so the contributions depend "
        "on which movies are explained. Pass baseline={modality: vector} or refit the model to fix it.",
        MissingTrainingMeansWarning, stacklevel=3,
    )
    return _check_vectors(movie_feature_means(movies), widths, "the mean over X")


def _shapley_weights(n: int) -> np.ndarray:
    """Weight of a coalition of ``s`` other players in a player's Shapley value, for ``s = 0 .. n - 1``."""
    return np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])


def _explain_movie(model: Any, movie: dict[str, np.ndarray], names: list[str], baseline: dict[str, np.ndarray],
                   as_array: bool, window_length: int | None, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One movie's ``(T, M, k)`` contributions, its all-absent and its full prediction ``(T, k)``."""
    n, m = movie_length(movie), len(names)
    absent = {name: np.ascontiguousarray(np.broadcast_to(baseline[name].astype(np.float32), movie[name].shape))
              for name in names}
    variants = []
    for mask in range(2 ** m):  # bit j set: modality names[j] present
        variant = {name: movie[name] if mask >> j & 1 else absent[name] for j, name in enumerate(names)}
        variants.append(variant[names[0]] if as_array else variant)
    X = WindowedMovies(variants, window_length) if window_length is not None else variants
    predicted = model.predict(X)  # the 2**M variants of this movie in one call; the mean curves only
    values = []
    for curve in predicted:
        curve = np.asarray(curve, dtype=np.float64)
        if len(curve) != n:
            raise ValueError(f"movie {index}: the model predicted {len(curve)} seconds for a movie of {n} seconds.")
        values.append(curve.reshape(n, -1))
    values = np.stack(values)  # (2**M, T, k)
    weights = _shapley_weights(m)
    sizes = np.array([bin(mask).count("1") for mask in range(2 ** m)])
    contributions = np.zeros((n, m, values.shape[2]))
    for j in range(m):
        without = np.array([mask for mask in range(2 ** m) if not mask >> j & 1])
        gain = values[without | (1 << j)] - values[without]  # (2**(M-1), T, k)
        contributions[:, j, :] = np.tensordot(weights[sizes[without]], gain, axes=1)
    return contributions, values[0], values[-1]


def _explain_movies(model: Any, movies: list[dict[str, np.ndarray]], start: int, **kwargs: Any) -> list:
    """:func:`_explain_movie` of consecutive movies, the first being movie ``start`` of ``X``."""
    return [_explain_movie(model, movie, index=start + i, **kwargs) for i, movie in enumerate(movies)]


def modality_contributions(model: Any, X: Any, *, baseline: str | Mapping[str, Any] = "mean",
                           n_jobs: int | None = None) -> Bunch:
    """Exact Shapley values of each modality for every predicted second of every movie.

    For a movie with modalities ``N = {1, ..., M}`` and a set ``S`` of present modalities, ``f(S)`` is
    the model's prediction of the movie (every second, every output) when each modality outside ``S``
    is replaced by its baseline vector, repeated over the movie's seconds.  The contribution of
    modality ``m`` at second ``t`` is its Shapley value,

    ``phi_m(t) = sum over S not containing m of |S|! (M - |S| - 1)! / M! * (f(S + m)(t) - f(S)(t))``,

    so that (efficiency) the contributions of a second sum exactly (to float rounding) to the
    prediction minus the all-absent prediction ``f({})``.  The model is treated as a black box: any
    temporal context (windows, convolutions) and smoothing are included, so a modality's contribution
    at ``t`` also reflects its content in the seconds the model reads around ``t``.

    Cost: ``2**M`` predictions of each movie (8 for three modalities), made in one ``predict`` call
    per movie, so that memory holds one movie's ``2**M`` variants at a time.  At most
    :data:`MAX_MODALITIES` modalities (64 predictions per movie).

    Parameters
    ----------
    model : estimator or SavedModel
        A fitted estimator or pipeline of the package whose input is movies of modalities
        (``make_paper_pipeline``, ``make_tcn_pipeline``, ``make_baseline_pipeline``, smoothing and
        run averaging included), or what :func:`~sklearn_emotion.persistence.load_model` returns.
        A bare :class:`~sklearn_emotion.GRUMoERegressor` takes ``X`` as a
        :class:`~sklearn_emotion.windowing.WindowedMovies`.  Models that also predict the viewers'
        standard deviation are explained for their mean prediction (``predict(X)``).
    X : sequence of movies, or WindowedMovies
        Mappings ``modality -> (T, d_m)`` array (or ``(T, d)`` arrays, one modality) with the
        modalities the model was fitted on, in any order.
    baseline : "mean" or mapping str -> array-like of shape (d_m,), default="mean"
        What replaces an absent modality.  ``"mean"``: each modality's mean over all training seconds,
        recorded at ``fit`` (``feature_means_``) by the model's first step that sees movies (for a
        :class:`~sklearn_emotion.preprocessing.MovieStandardScaler` fitted before 0.3, its ``mean_``:
        the same means); for a model that has none (fitted by sklearn-emotion < 0.3), the mean over
        the seconds of ``X``, with a :class:`MissingTrainingMeansWarning`.  A mapping gives one vector per modality.
    n_jobs : int, default=None
        Movies explained in parallel (joblib, each worker taking an even share of the movies);
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context.

    Returns
    -------
    Bunch
        contributions : list of ndarray of shape (T, n_modalities, n_outputs)
            float64, one per movie; axis 1 follows ``modalities``, axis 2 the model's outputs
            (valence, arousal).
        modalities : list of str
            The modalities, in the order the model was fitted on.
        baseline_prediction : list of ndarray of shape (T, n_outputs)
            The all-absent prediction ``f({})`` of each movie.
        prediction : list of ndarray of shape (T, n_outputs)
            The prediction ``f(N)`` of each movie (``model.predict(X)``), equal to
            ``baseline_prediction + contributions.sum(axis=1)``.
        baseline : dict of str to ndarray of shape (d_m,)
            The baseline vectors used.

    Raises
    ------
    ValueError
        With more than :data:`MAX_MODALITIES` modalities; a ``baseline`` mapping that misses a
        modality or has the wrong width (naming it); movies whose modalities differ from the model's.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion import make_baseline_pipeline
    >>> from sklearn_emotion.inspection import modality_contributions
    >>> rng = np.random.default_rng(0)
    >>> X = [{"image": rng.normal(size=(50, 3)), "audio": rng.normal(size=(50, 2))} for _ in range(4)]
    >>> y = [np.tanh(np.c_[m["image"][:, 0], m["audio"][:, 0]]) for m in X]
    >>> model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    >>> result = modality_contributions(model, X[:1])
    >>> result.modalities, result.contributions[0].shape
    (['image', 'audio'], (50, 2, 2))
    >>> total = result.baseline_prediction[0] + result.contributions[0].sum(axis=1)
    >>> bool(np.allclose(total, model.predict(X[:1])[0]))
    True
    """
    if n_jobs is not None and (not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool) or n_jobs == 0):
        raise ValueError(f"n_jobs={n_jobs!r}: expected None or a non-zero int.")
    window_length = None
    if isinstance(X, WindowedMovies):
        window_length, X = X.length, X.movies
    if not is_movie_sequence(X):
        raise TypeError(
            "X must be a sequence of movies (mappings modality -> (T, d_m) array, or (T, d) arrays), "
            f"got {type(X).__name__}."
        )
    as_array = len(X) > 0 and not isinstance(X[0], Mapping)
    estimator = model.estimator if isinstance(model, SavedModel) else model
    first = _first_step(estimator)
    names = _model_modalities(model, first)
    movies = as_movies(X, modalities=names, allow_nan=True)  # NaN features: the model's own rules apply
    names = list(movies[0])
    if len(names) > MAX_MODALITIES:
        raise ValueError(
            f"modality_contributions: exact Shapley values over the {len(names)} modalities {names} need "
            f"2**{len(names)} = {2 ** len(names)} predictions of every movie; at most {MAX_MODALITIES} "
            f"modalities ({2 ** MAX_MODALITIES} predictions) are explained. Group modalities (e.g. "
            "concatenate related ones) before fitting."
        )
    widths = {name: movies[0][name].shape[1] for name in names}
    for index, movie in enumerate(movies):
        for name, width in widths.items():
            if movie[name].shape[1] != width:
                raise ValueError(
                    f"X[{index}][{name!r}] has {movie[name].shape[1]} features (shape {movie[name].shape}) "
                    f"but X[0][{name!r}] has {width}."
                )
    vectors = _resolve_baseline(baseline, first, movies, widths)
    settings = dict(names=names, baseline=vectors, as_array=as_array, window_length=window_length)
    n_workers = min(effective_n_jobs(n_jobs), len(movies))
    if n_workers == 1:
        results = _explain_movies(estimator, movies, 0, **settings)
    else:
        # One task per worker with its share of the movies: the model is sent once to each worker.
        shares = Parallel(n_jobs=n_workers)(
            delayed(_explain_movies)(estimator, movies[part], part.start, **settings)
            for part in gen_even_slices(len(movies), n_workers)
        )
        results = [result for share in shares for result in share]
    return Bunch(
        contributions=[contributions for contributions, _, _ in results],
        modalities=names,
        baseline_prediction=[absent for _, absent, _ in results],
        prediction=[full for _, _, full in results],
        baseline=vectors,
    )
