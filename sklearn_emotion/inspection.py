"""Which modality drives a second?  Exact Shapley values of the modalities of a movie, per second.

The package's models read a movie as several modalities (image, audio, face...).
:func:`modality_contributions` splits each predicted second, ``prediction - baseline_prediction``,
into one contribution per modality: the modality's Shapley value in the game whose players are the
modalities and whose value, for a set ``S`` of *present* modalities, is the model's prediction for
that second when every modality outside ``S`` is replaced by a baseline (by default its mean over the
training seconds, repeated over the movie's seconds).  With ``M`` modalities the exact values need
the ``2**M`` subsets, each predicted once per movie: 8 predictions for image, audio and face.
A model that normalises with each batch's statistics has each subset predicted in its own call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from math import factorial
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import Bunch, gen_even_slices

from .data import DEFAULT_MODALITY, as_movies, check_has_movies, is_movie_sequence, movie_length
from .persistence import SavedModel
from .preprocessing import MovieStandardScaler, movie_feature_means
from .scoring import inner_estimators
from .windowing import WindowedMovies

__all__ = ["MAX_MODALITIES", "MissingTrainingMeansWarning", "modality_contributions", "uses_batch_statistics"]

#: The most modalities :func:`modality_contributions` explains: 2**6 = 64 predictions per movie.
MAX_MODALITIES = 6


class MissingTrainingMeansWarning(UserWarning):
    """The model stores no training feature means: the baseline is the mean over the movies explained.

    Examples
    --------
    A model fitted before sklearn-emotion 0.3 stored no ``feature_means_``; here one is removed to
    show it:

    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn_emotion.inspection import MissingTrainingMeansWarning, modality_contributions
    >>> rng = np.random.default_rng(0)
    >>> movies = [{"image": rng.normal(size=(20, 3)), "audio": rng.normal(size=(20, 2))} for _ in range(2)]
    >>> model = PerSecondRegressor(Ridge()).fit(movies, [np.tanh(m["image"][:, :2]) for m in movies])
    >>> del model.feature_means_
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = modality_contributions(model, movies)
    >>> [warning.category for warning in caught] == [MissingTrainingMeansWarning]
    True
    """


def _first_step(model: Any) -> Any:
    """The estimator of ``model`` that first sees the movies: the first of its inner estimators
    (:func:`~sklearn_emotion.scoring.inner_estimators`: a Pipeline's first step, a smoother's regressor,
    the first run of a RunAveragingRegressor, a search's best estimator), followed down to a leaf."""
    while inner := inner_estimators(model):
        model = inner[0]
    return model


def _estimators(model: Any) -> Iterator[Any]:
    """``model`` and every estimator inside it."""
    yield model
    for inner in inner_estimators(model):
        yield from _estimators(inner)


def uses_batch_statistics(model: Any) -> bool:
    """Whether a prediction of ``model`` depends on what else is in its batch: a step that normalises with
    each batch's statistics at inference (``batch_norm=True, batch_norm_inference="batch"``).

    Examples
    --------
    >>> from sklearn_emotion import make_paper_pipeline
    >>> from sklearn_emotion.inspection import uses_batch_statistics
    >>> uses_batch_statistics(make_paper_pipeline())
    False
    >>> uses_batch_statistics(make_paper_pipeline(batch_norm=True, batch_norm_inference="batch"))
    True
    """
    return any(getattr(step, "batch_norm", False) is True and getattr(step, "batch_norm_inference", None) == "batch"
               for step in _estimators(model))


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


def _resolve_baseline(baseline: Any, first: Any, movies: Callable[[], Iterator[dict[str, np.ndarray]]],
                      n_movies: int, widths: dict[str, int]) -> dict[str, np.ndarray]:
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
        f"baseline is the mean over the {n_movies} movie(s) of X instead, so the contributions depend "
        "on which movies are explained. Pass baseline={modality: vector} or refit the model to fix it.",
        MissingTrainingMeansWarning, stacklevel=3,
    )
    return _check_vectors(movie_feature_means(movies()), widths, "the mean over X")


def _shapley_weights(n: int) -> np.ndarray:
    """Weight of a coalition of ``s`` other players in a player's Shapley value, for ``s = 0 .. n - 1``."""
    return np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])


def _converted(movie: Any, names: list[str], index: int) -> dict[str, np.ndarray]:
    """Movie ``index`` of ``X`` as ``{modality: (T, d_m) float32}``, converted alone (memory: one movie)."""
    try:
        (converted,) = as_movies([movie], modalities=names, allow_nan=True)  # NaN: the model's own rules apply
    except ValueError as exc:  # as_movies names the movie X[0]: it is X[index]
        message = str(exc)
        raise ValueError(f"X[{index}]" + message[4:] if message.startswith("X[0]") else message) from exc
    return converted


def _keys(movie: Any, as_array: bool) -> list[str] | None:
    """A movie's modality names as ``as_movies`` gives them (``None``: not a mapping, left to its error)."""
    return [DEFAULT_MODALITY] if as_array else [str(key) for key in movie] if isinstance(movie, Mapping) else None


def _explain_movie(model: Any, movie: Any, names: list[str], baseline: dict[str, np.ndarray], as_array: bool,
                   window_length: int | None, index: int, label: str,
                   alone: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One movie's ``(T, M, k)`` contributions, its all-absent and its full prediction ``(T, k)``."""
    movie = _converted({names[0]: movie} if as_array else movie, names, index)
    n, m = movie_length(movie), len(names)
    absent = {name: np.ascontiguousarray(np.broadcast_to(baseline[name].astype(np.float32), movie[name].shape))
              for name in names}

    def variant(mask: int) -> Any:  # bit j set: modality names[j] present
        present = {name: movie[name] if mask >> j & 1 else absent[name] for j, name in enumerate(names)}
        return present[names[0]] if as_array else present

    def predict(masks: list[int]) -> list:
        X = [variant(mask) for mask in masks]
        try:
            return list(model.predict(WindowedMovies(X, window_length) if window_length is not None else X))
        except ValueError as exc:
            if len(masks) > 1:  # find the variant refused, to name the modalities it had
                for mask in masks:
                    predict([mask])
            present = [name for j, name in enumerate(names) if masks[0] >> j & 1] if len(masks) == 1 else "some"
            raise ValueError(f"{label}, with the modalities {present} present (the others replaced by their "
                             f"baseline): the model refused it: {exc}") from exc

    full = 2 ** m - 1
    if alone:  # each prediction depends on its batch: one call per variant, as model.predict([variant]) does
        predicted = [curve for mask in range(2 ** m) for curve in predict([mask])]
    else:  # the movie itself first and alone (f(N) is model.predict([movie])), then the 2**M - 1 others in one call
        itself = predict([full])
        predicted = predict(list(range(full))) + itself
    values = []
    for curve in predicted:  # the mean curves only
        curve = np.asarray(curve, dtype=np.float64)
        if len(curve) != n:
            raise ValueError(f"{label}: the model predicted {len(curve)} seconds for a movie of {n} seconds.")
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


def _explain_movies(model: Any, movies: Sequence[Any], start: int, labels: Sequence[str], **kwargs: Any) -> list:
    """:func:`_explain_movie` of consecutive movies, the first being movie ``start`` of ``X``."""
    return [_explain_movie(model, movie, index=start + i, label=labels[start + i], **kwargs)
            for i, movie in enumerate(movies)]


def modality_contributions(model: Any, X: Any, *, baseline: str | Mapping[str, Any] = "mean",
                           n_jobs: int | None = None, movie_names: Sequence[str] | None = None) -> Bunch:
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

    Cost: ``2**M`` predictions of each movie (8 for three modalities), made in two ``predict`` calls
    per movie: the movie itself alone (so ``prediction`` is exactly ``model.predict([movie])``), then
    its ``2**M - 1`` other variants together.  Memory holds one movie (converted to float32 in its
    turn) and its variants at a time.  At most :data:`MAX_MODALITIES` modalities (64 predictions per movie).

    A model whose prediction of a movie depends on the other movies of its batch (a
    :class:`~sklearn_emotion.GRUMoERegressor` with ``batch_norm=True, batch_norm_inference="batch"``,
    which normalises with each batch's statistics, see :func:`uses_batch_statistics`) has each variant
    predicted in its own call, as ``model.predict([variant])`` would: mixing the variants in one batch
    would change every one of them.  The cost in predictions is the same; there are ``2**M`` calls.

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
    movie_names : sequence of str, optional
        The movies' names, for the errors (default: their positions in ``X``).

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
        modality or has the wrong width (naming it); movies whose modalities differ from the model's;
        a movie the model refuses (e.g. NaN features), naming the movie and the modalities present in
        the variant refused, the model's error chained as its cause.

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
    check_has_movies(X)
    X = list(X)  # the movies themselves are not copied
    as_array = not isinstance(X[0], Mapping)
    if movie_names is not None and len(movie_names) != len(X):
        raise ValueError(f"movie_names has {len(movie_names)} name(s) for {len(X)} movie(s).")
    labels = [f"movie {index}" + ("" if movie_names is None else f" ({movie_names[index]})") for index in range(len(X))]
    estimator = model.estimator if isinstance(model, SavedModel) else model
    first = _first_step(estimator)
    names = _model_modalities(model, first)
    # Only the first movie is converted here (its names and widths); each movie is converted in its turn.
    names = list(_converted({DEFAULT_MODALITY: X[0]} if as_array else X[0], names or _keys(X[0], as_array), 0))
    if len(names) > MAX_MODALITIES:
        raise ValueError(
            f"modality_contributions: exact Shapley values over the {len(names)} modalities {names} need "
            f"2**{len(names)} = {2 ** len(names)} predictions of every movie; at most {MAX_MODALITIES} "
            f"modalities ({2 ** MAX_MODALITIES} predictions) are explained. Group modalities (e.g. "
            "concatenate related ones) before fitting."
        )
    widths = {name: np.shape(X[0] if as_array else X[0][name])[1] for name in names}
    for index, movie in enumerate(X):  # widths checked before any prediction, without converting the movies
        for name, width in widths.items():
            array = movie if as_array else movie[name] if isinstance(movie, Mapping) and name in movie else None
            shape = np.shape(array) if array is not None else ()  # other faults: as_movies's error, in its turn
            if len(shape) == 2 and shape[1] != width:
                raise ValueError(f"X[{index}][{name!r}] has {shape[1]} features (shape {shape}) but X[0][{name!r}] "
                                 f"has {width}.")

    def converted() -> Iterator[dict[str, np.ndarray]]:
        return (_converted({names[0]: movie} if as_array else movie, names, index) for index, movie in enumerate(X))

    vectors = _resolve_baseline(baseline, first, converted, len(X), widths)
    settings = dict(names=names, baseline=vectors, as_array=as_array, window_length=window_length, labels=labels,
                    alone=uses_batch_statistics(estimator))
    n_workers = min(effective_n_jobs(n_jobs), len(X))
    if n_workers == 1:
        results = _explain_movies(estimator, X, 0, **settings)
    else:
        # One task per worker with its share of the movies: the model is sent once to each worker.
        shares = Parallel(n_jobs=n_workers)(
            delayed(_explain_movies)(estimator, X[part], part.start, **settings)
            for part in gen_even_slices(len(X), n_workers)
        )
        results = [result for share in shares for result in share]
    return Bunch(
        contributions=[contributions for contributions, _, _ in results],
        modalities=names,
        baseline_prediction=[absent for _, absent, _ in results],
        prediction=[full for _, _, full in results],
        baseline=vectors,
    )
