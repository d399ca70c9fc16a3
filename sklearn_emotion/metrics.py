"""MediaEval metrics for per-second valence and arousal: MSE and Pearson correlation (PCC).

The MediaEval 2018 "Emotional Impact of Movies" evaluation computes each metric per movie and then
averages over movies; that is ``average="movie"`` here, the default.  ``average="pooled"`` computes
each metric once over all seconds of all movies.

Inputs are sequences of per-movie ``(T, 2)`` arrays (columns valence, arousal) for both ``y_true`` and
``y_pred``, or two plain 2-D arrays, which are one set of seconds (one "movie": both averages agree).
Seconds whose *true* value is NaN are ignored column by column.  Predictions must be finite.

Undefined values:

* Pearson's r of a movie is NaN when fewer than two of its seconds are annotated or when the
  prediction or the truth is constant over its annotated seconds.  The movie average leaves such
  movies out (like :func:`numpy.nanmean`) and warns with :class:`~sklearn.exceptions.UndefinedMetricWarning`;
  if no movie has a defined r, the result is NaN.
* A movie with no annotated second in a column is left out of that column's movie average (MSE and r).

Scorers for ``scoring=`` are in :mod:`sklearn_emotion.scoring`; the paper's Table 1 and its Markdown
rendering are in :mod:`sklearn_emotion.reporting`.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ._compat import moved_names
from .data import TARGET_NAMES, is_movie_sequence
# The keys of mediaeval_scores are Table 1's columns, defined once in reporting (which imports nothing from here).
from .reporting import TABLE_COLUMNS as _TABLE_COLUMNS

__all__ = [
    "AVERAGES",
    "movie_mean_squared_error",
    "pearson_correlation",
    "pearson_r",
    "valence_mse",
    "arousal_mse",
    "valence_pearson",
    "arousal_pearson",
    "mediaeval_scores",
]

#: Accepted values of ``average``.
AVERAGES = ("movie", "pooled")


def _as_movie_pairs(y_true: Any, y_pred: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate and pair per-movie targets and predictions as float64 ``(T, k)`` arrays."""
    true_is_sequence, pred_is_sequence = is_movie_sequence(y_true), is_movie_sequence(y_pred)
    if true_is_sequence != pred_is_sequence:
        raise TypeError(
            "y_true and y_pred must both be sequences of per-movie (T, 2) arrays or both be 2-D "
            f"arrays; got a {'sequence' if true_is_sequence else 'plain array'} and a "
            f"{'sequence' if pred_is_sequence else 'plain array'}."
        )
    if true_is_sequence:
        if len(y_true) != len(y_pred):
            raise ValueError(f"y_true has {len(y_true)} movies but y_pred has {len(y_pred)}.")
        if len(y_true) == 0:
            raise ValueError("y_true contains no movie.")
        pairs = list(zip(y_true, y_pred))
    else:
        pairs = [(y_true, y_pred)]
    checked = []
    for index, (true, pred) in enumerate(pairs):
        where = f"movie {index}" if true_is_sequence else "the seconds"
        true = np.asarray(true, dtype=np.float64)
        pred = np.asarray(pred, dtype=np.float64)
        true = true[:, None] if true.ndim == 1 else true
        pred = pred[:, None] if pred.ndim == 1 else pred
        if true.ndim != 2 or true.shape != pred.shape:
            raise ValueError(
                f"{where}: y_true has shape {true.shape} but y_pred has shape {pred.shape}; both must "
                "be (T, k) with the same number of seconds and columns."
            )
        if checked and true.shape[1] != checked[0][0].shape[1]:
            raise ValueError(f"{where}: {true.shape[1]} columns, but movie 0 has {checked[0][0].shape[1]}.")
        if np.isinf(true).any():
            raise ValueError(f"{where}: y_true contains infinity; use NaN for unannotated seconds.")
        if not np.isfinite(pred).all():
            raise ValueError(f"{where}: y_pred contains NaN or infinity.")
        checked.append((true, pred))
    return checked


def _check_average(average: str) -> None:
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}.")


def pearson_r(true: np.ndarray, pred: np.ndarray) -> float:
    """Pearson r of two 1-D arrays; NaN when undefined (fewer than 2 values or a constant one).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.metrics import pearson_r
    >>> round(pearson_r(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 7.0])), 4)
    0.9934
    >>> pearson_r(np.array([1.0, 2.0]), np.array([3.0, 3.0]))  # a constant prediction
    nan
    """
    if len(true) < 2 or np.all(true == true[0]) or np.all(pred == pred[0]):
        return np.nan
    true_centred, pred_centred = true - true.mean(), pred - pred.mean()
    denominator = np.sqrt(np.sum(true_centred**2) * np.sum(pred_centred**2))
    return float(np.clip(np.sum(true_centred * pred_centred) / denominator, -1.0, 1.0))


def _squared_error(true: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean((true - pred) ** 2))


def _per_column(
    y_true: Any, y_pred: Any, average: str, statistic: Callable[[np.ndarray, np.ndarray], float], name: str
) -> np.ndarray:
    _check_average(average)
    pairs = _as_movie_pairs(y_true, y_pred)
    n_columns = pairs[0][0].shape[1]
    if average == "pooled":
        pairs = [(np.concatenate([t for t, _ in pairs]), np.concatenate([p for _, p in pairs]))]
    values = np.full((len(pairs), n_columns), np.nan)
    annotated = np.zeros((len(pairs), n_columns), dtype=bool)
    for row, (true, pred) in enumerate(pairs):
        for column in range(n_columns):
            keep = ~np.isnan(true[:, column])
            annotated[row, column] = keep.any()
            if keep.any():
                values[row, column] = statistic(true[keep, column], pred[keep, column])
    undefined = annotated & np.isnan(values)
    if undefined.any():
        columns = [TARGET_NAMES[c] if n_columns == 2 else str(c) for c in np.flatnonzero(undefined.any(axis=0))]
        # Count movies, not (movie, column) pairs: a movie undefined in both columns is one movie.
        what = f"{int(undefined.any(axis=1).sum())} of {len(pairs)} movie(s)" if average == "movie" else "the pooled seconds"
        warnings.warn(
            f"{name} is undefined for {what} (constant prediction or truth, or fewer than 2 annotated "
            f"seconds) in column(s) {columns}; "
            + ("they are left out of the average over movies." if average == "movie" else "the result is NaN."),
            UndefinedMetricWarning,
            stacklevel=3,
        )
    result = np.full(n_columns, np.nan)
    for column in range(n_columns):
        defined = values[:, column][~np.isnan(values[:, column])]
        if defined.size:
            result[column] = defined.mean()
    return result


def _reduce(scores: np.ndarray, multioutput: str) -> np.ndarray | float:
    if multioutput == "raw_values":
        return scores
    if multioutput == "uniform_average":
        return float(np.mean(scores))
    raise ValueError(f"multioutput must be 'raw_values' or 'uniform_average', got {multioutput!r}.")


def movie_mean_squared_error(
    y_true: Any, y_pred: Any, *, average: str = "movie", multioutput: str = "raw_values"
) -> np.ndarray | float:
    """Mean squared error per target column, over annotated seconds, averaged per movie by default.

    Unlike :func:`sklearn.metrics.mean_squared_error`, the default is the MediaEval average over
    movies and the default ``multioutput`` returns one value per column.

    Parameters
    ----------
    y_true : sequence of array-like of shape (T, 2), or array-like of shape (n_seconds, 2)
        True valence and arousal; NaN marks an unannotated second (ignored).
    y_pred : same structure and shapes as ``y_true``
        Predictions, finite.
    average : {"movie", "pooled"}, default="movie"
        ``"movie"``: MSE of each movie, then the mean over movies (MediaEval); ``"pooled"``: one MSE
        over all seconds.
    multioutput : {"raw_values", "uniform_average"}, default="raw_values"
        Return one value per column, or their mean.

    Returns
    -------
    ndarray of shape (n_columns,) or float

    Examples
    --------
    Two movies; NaN marks an unannotated second:

    >>> import numpy as np
    >>> from sklearn_emotion.metrics import movie_mean_squared_error
    >>> y_true = [np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.4], [0.2, 0.1]]),
    ...           np.array([[0.0, 0.1], [0.2, 0.3], [0.1, -0.1]])]
    >>> y_pred = [np.array([[0.2, 0.2], [0.3, 0.1], [0.4, 0.3], [0.3, 0.1]]),
    ...           np.array([[0.0, 0.0], [0.4, 0.3], [0.1, 0.1]])]
    >>> movie_mean_squared_error(y_true, y_pred).round(4)  # valence, arousal: the mean of the movies' MSEs
    array([0.0104, 0.01  ])
    >>> round(movie_mean_squared_error(y_true, y_pred, average="pooled", multioutput="uniform_average"), 4)
    0.01
    """
    return _reduce(_per_column(y_true, y_pred, average, _squared_error, "MSE"), multioutput)


def pearson_correlation(
    y_true: Any, y_pred: Any, *, average: str = "movie", multioutput: str = "raw_values"
) -> np.ndarray | float:
    """Pearson correlation coefficient (PCC) per target column, over annotated seconds.

    Parameters
    ----------
    y_true, y_pred : as for :func:`movie_mean_squared_error`
        True (NaN marks an unannotated second, ignored) and predicted (finite) valence and arousal.
    average : {"movie", "pooled"}, default="movie"
        ``"movie"``: r of each movie, then the mean over the movies where it is defined (MediaEval);
        ``"pooled"``: one r over all seconds.
    multioutput : {"raw_values", "uniform_average"}, default="raw_values"
        Return one value per column, or their mean.

    Returns
    -------
    ndarray of shape (n_columns,) or float
        NaN where r is undefined for every movie (constant prediction or truth).

    Warns
    -----
    UndefinedMetricWarning
        When r is undefined for some movie (it is then left out of the movie average).

    Examples
    --------
    Two movies; NaN marks an unannotated second:

    >>> import numpy as np
    >>> from sklearn_emotion.metrics import pearson_correlation
    >>> y_true = [np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.4], [0.2, 0.1]]),
    ...           np.array([[0.0, 0.1], [0.2, 0.3], [0.1, -0.1]])]
    >>> y_pred = [np.array([[0.2, 0.2], [0.3, 0.1], [0.4, 0.3], [0.3, 0.1]]),
    ...           np.array([[0.0, 0.0], [0.4, 0.3], [0.1, 0.1]])]
    >>> pearson_correlation(y_true, y_pred).round(4)  # valence, arousal: the mean of the movies' r
    array([0.9585, 0.8183])
    >>> pearson_correlation(y_true, y_pred, average="pooled").round(4)
    array([0.8101, 0.7859])
    """
    return _reduce(_per_column(y_true, y_pred, average, pearson_r, "Pearson's r"), multioutput)


def _check_two_columns(y_true: Any, function: str) -> None:
    first = y_true[0] if is_movie_sequence(y_true) else y_true
    shape = np.shape(first)
    if len(shape) != 2 or shape[1] != 2:
        raise ValueError(f"{function} needs (T, 2) arrays of valence and arousal, got shape {shape}.")


def _one_target(metric: Callable[..., np.ndarray], target: str, suffix: str) -> Callable[..., float]:
    """The one-column variant ``{target}_{suffix}`` of ``metric`` (e.g. ``valence_mse``), returning a float.

    Named after its module-level variable so that scorers built on it pickle by reference.
    """
    column, name = TARGET_NAMES.index(target), f"{target}_{suffix}"

    def one_target(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
        _check_two_columns(y_true, name)
        return float(metric(y_true, y_pred, average=average)[column])

    one_target.__name__ = one_target.__qualname__ = name
    one_target.__doc__ = f"""The {target} column (column {column}) of :func:`{metric.__name__}`, as one float.

    Parameters
    ----------
    y_true, y_pred : sequences of array-like of shape (T, 2), or arrays of shape (n_seconds, 2)
        True (NaN = unannotated) and predicted valence and arousal.
    average : {{"movie", "pooled"}}, default="movie"
        See :func:`{metric.__name__}`.

    Returns
    -------
    float

    Examples
    --------
    One movie as a single array (rows: seconds; columns: valence, arousal):

    >>> import numpy as np
    >>> from sklearn_emotion.metrics import {name}, {metric.__name__}
    >>> y_true = np.array([[0.1, 0.2], [0.3, 0.0], [0.5, 0.4], [0.2, 0.1]])
    >>> y_pred = np.array([[0.2, 0.2], [0.3, 0.1], [0.4, 0.3], [0.3, 0.1]])
    >>> {name}(y_true, y_pred) == float({metric.__name__}(y_true, y_pred)[{column}])  # a float
    True
    """
    return one_target


valence_mse = _one_target(movie_mean_squared_error, "valence", "mse")
arousal_mse = _one_target(movie_mean_squared_error, "arousal", "mse")
valence_pearson = _one_target(pearson_correlation, "valence", "pearson")
arousal_pearson = _one_target(pearson_correlation, "arousal", "pearson")


def mediaeval_scores(y_true: Any, y_pred: Any, *, average: str = "movie") -> dict[str, float]:
    """The four MediaEval numbers of one run, keyed like the paper's Table 1.

    Parameters
    ----------
    y_true, y_pred : sequences of array-like of shape (T, 2), or arrays of shape (n_seconds, 2)
        True (NaN = unannotated) and predicted valence and arousal.
    average : {"movie", "pooled"}, default="movie"
        See :func:`movie_mean_squared_error`.

    Returns
    -------
    dict
        :data:`sklearn_emotion.reporting.TABLE_COLUMNS` -> float: ``"Valence MSE"``,
        ``"Valence PCC"``, ``"Arousal MSE"``, ``"Arousal PCC"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.metrics import mediaeval_scores
    >>> y_true = [np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.4], [0.2, 0.1]]),
    ...           np.array([[0.0, 0.1], [0.2, 0.3], [0.1, -0.1]])]
    >>> y_pred = [np.array([[0.2, 0.2], [0.3, 0.1], [0.4, 0.3], [0.3, 0.1]]),
    ...           np.array([[0.0, 0.0], [0.4, 0.3], [0.1, 0.1]])]
    >>> {name: round(value, 4) for name, value in mediaeval_scores(y_true, y_pred).items()}
    {'Valence MSE': 0.0104, 'Valence PCC': 0.9585, 'Arousal MSE': 0.01, 'Arousal PCC': 0.8183}
    """
    _check_two_columns(y_true, "mediaeval_scores")
    mse = movie_mean_squared_error(y_true, y_pred, average=average)
    pcc = pearson_correlation(y_true, y_pred, average=average)
    # Table 1 order: per target (valence, arousal), MSE then PCC.
    values = [float(metric[column]) for column in range(len(TARGET_NAMES)) for metric in (mse, pcc)]
    return dict(zip(_TABLE_COLUMNS, values))


# Old names (the scorers, Table 1, mean_squared_error), served until 0.4 from sklearn_emotion._compat.MOVED.
__getattr__ = moved_names(__name__)
