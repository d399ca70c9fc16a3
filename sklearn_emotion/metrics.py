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

Scorers for ``scoring=`` (``cross_val_score``, ``GridSearchCV``) follow scikit-learn's convention that
greater is better, so MSE scorers are negated: ``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse``
(mean of both), ``valence_pearson``, ``arousal_pearson``, ``pearson`` (mean of both), each also with
a ``_pooled`` suffix.  :data:`MEDIAEVAL_SCORING` holds the four MediaEval scorers for multi-metric
scoring; :func:`get_scorer` returns one by name.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import make_scorer

from .data import TARGET_NAMES, is_movie_sequence

__all__ = [
    "AVERAGES",
    "TABLE_COLUMNS",
    "PAPER_TABLE_1",
    "MEDIAEVAL_SCORING",
    "mean_squared_error",
    "pearson_correlation",
    "valence_mse",
    "arousal_mse",
    "valence_pearson",
    "arousal_pearson",
    "mediaeval_scores",
    "mediaeval_table",
    "get_scorer",
    "get_scorer_names",
]

#: Accepted values of ``average``.
AVERAGES = ("movie", "pooled")
#: Columns of the paper's Table 1, also the keys of :func:`mediaeval_scores`.
TABLE_COLUMNS = ("Valence MSE", "Valence PCC", "Arousal MSE", "Arousal PCC")
#: Table 1 of the paper: test-set results of the five submitted runs (MediaEval 2018).
PAPER_TABLE_1: dict[str, dict[str, float]] = {
    "Run 1": {"Valence MSE": 0.1193, "Valence PCC": 0.1175, "Arousal MSE": 0.1384, "Arousal PCC": 0.2911},
    "Run 2": {"Valence MSE": 0.0945, "Valence PCC": 0.1376, "Arousal MSE": 0.1479, "Arousal PCC": 0.1957},
    "Run 3": {"Valence MSE": 0.1133, "Valence PCC": 0.1883, "Arousal MSE": 0.1778, "Arousal PCC": 0.2773},
    "Run 4": {"Valence MSE": 0.1073, "Valence PCC": 0.2779, "Arousal MSE": 0.1396, "Arousal PCC": 0.3513},
    "Run 5": {"Valence MSE": 0.0837, "Valence PCC": 0.1786, "Arousal MSE": 0.1334, "Arousal PCC": 0.3358},
}


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


def _pearson(true: np.ndarray, pred: np.ndarray) -> float:
    """Pearson r of two 1-D arrays; NaN when undefined (fewer than 2 values or a constant one)."""
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


def mean_squared_error(
    y_true: Any, y_pred: Any, *, average: str = "movie", multioutput: str = "raw_values"
) -> np.ndarray | float:
    """Mean squared error per target column, over annotated seconds.

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
    """
    return _reduce(_per_column(y_true, y_pred, average, _squared_error, "MSE"), multioutput)


def pearson_correlation(
    y_true: Any, y_pred: Any, *, average: str = "movie", multioutput: str = "raw_values"
) -> np.ndarray | float:
    """Pearson correlation coefficient (PCC) per target column, over annotated seconds.

    Parameters
    ----------
    y_true : sequence of array-like of shape (T, 2), or array-like of shape (n_seconds, 2)
        True valence and arousal; NaN marks an unannotated second (ignored).
    y_pred : same structure and shapes as ``y_true``
        Predictions, finite.
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
    """
    return _reduce(_per_column(y_true, y_pred, average, _pearson, "Pearson's r"), multioutput)


def _check_two_columns(y_true: Any, function: str) -> None:
    first = y_true[0] if is_movie_sequence(y_true) else y_true
    shape = np.shape(first)
    if len(shape) != 2 or shape[1] != 2:
        raise ValueError(f"{function} needs (T, 2) arrays of valence and arousal, got shape {shape}.")


def valence_mse(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    """MSE of the valence column (column 0); see :func:`mean_squared_error`."""
    _check_two_columns(y_true, "valence_mse")
    return float(mean_squared_error(y_true, y_pred, average=average)[0])


def arousal_mse(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    """MSE of the arousal column (column 1); see :func:`mean_squared_error`."""
    _check_two_columns(y_true, "arousal_mse")
    return float(mean_squared_error(y_true, y_pred, average=average)[1])


def valence_pearson(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    """Pearson r of the valence column (column 0); see :func:`pearson_correlation`."""
    _check_two_columns(y_true, "valence_pearson")
    return float(pearson_correlation(y_true, y_pred, average=average)[0])


def arousal_pearson(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    """Pearson r of the arousal column (column 1); see :func:`pearson_correlation`."""
    _check_two_columns(y_true, "arousal_pearson")
    return float(pearson_correlation(y_true, y_pred, average=average)[1])


def _mean_mse(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    return float(mean_squared_error(y_true, y_pred, average=average, multioutput="uniform_average"))


def _mean_pearson(y_true: Any, y_pred: Any, *, average: str = "movie") -> float:
    return float(pearson_correlation(y_true, y_pred, average=average, multioutput="uniform_average"))


def mediaeval_scores(y_true: Any, y_pred: Any, *, average: str = "movie") -> dict[str, float]:
    """The four MediaEval numbers of one run, keyed like the paper's Table 1.

    Parameters
    ----------
    y_true, y_pred : sequences of array-like of shape (T, 2), or arrays of shape (n_seconds, 2)
        True (NaN = unannotated) and predicted valence and arousal.
    average : {"movie", "pooled"}, default="movie"
        See :func:`mean_squared_error`.

    Returns
    -------
    dict
        ``{"Valence MSE", "Valence PCC", "Arousal MSE", "Arousal PCC"} -> float``.
    """
    _check_two_columns(y_true, "mediaeval_scores")
    mse = mean_squared_error(y_true, y_pred, average=average)
    pcc = pearson_correlation(y_true, y_pred, average=average)
    return {
        "Valence MSE": float(mse[0]),
        "Valence PCC": float(pcc[0]),
        "Arousal MSE": float(mse[1]),
        "Arousal PCC": float(pcc[1]),
    }


def _format(value: Any, digits: int) -> str:
    if value is None:
        return ""
    value = float(value)
    return "nan" if np.isnan(value) else f"{value:.{digits}f}"


def mediaeval_table(
    rows: Mapping[str, Mapping[str, float]],
    reference: Mapping[str, Mapping[str, float]] | None = None,
    *,
    digits: int = 4,
) -> str:
    """Format runs in the layout of the paper's Table 1, as a Markdown table.

    Parameters
    ----------
    rows : mapping of str to mapping of str to float
        Run name -> scores with the keys of :data:`TABLE_COLUMNS` (e.g. from :func:`mediaeval_scores`).
    reference : mapping of the same form, optional
        Numbers to show beside ours, e.g. :data:`PAPER_TABLE_1`; matched by run name (a run without
        reference gets empty cells).  Each metric then has two columns, ours and ``(ref.)``.
    digits : int, default=4
        Decimals shown.

    Returns
    -------
    str
        The table, one line per run, columns aligned.
    """
    header = ["Run"]
    for column in TABLE_COLUMNS:
        header += [column, f"{column} (ref.)"] if reference is not None else [column]
    body = []
    for name, scores in rows.items():
        missing = [column for column in TABLE_COLUMNS if column not in scores]
        if missing:
            raise ValueError(f"run {name!r} lacks the score(s) {missing}; expected keys {list(TABLE_COLUMNS)}.")
        line = [str(name)]
        for column in TABLE_COLUMNS:
            line.append(_format(scores[column], digits))
            if reference is not None:
                line.append(_format(reference.get(name, {}).get(column), digits))
        body.append(line)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def render(line: list[str]) -> str:
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        return "| " + " | ".join(cells) + " |"

    separator = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|"
    return "\n".join([render(header), separator, *(render(line) for line in body)])


_SCORE_FUNCTIONS: dict[str, tuple[Callable[..., float], bool]] = {
    # name -> (metric, greater_is_better)
    "neg_valence_mse": (valence_mse, False),
    "neg_arousal_mse": (arousal_mse, False),
    "neg_mse": (_mean_mse, False),
    "valence_pearson": (valence_pearson, True),
    "arousal_pearson": (arousal_pearson, True),
    "pearson": (_mean_pearson, True),
}


def _build_scorers() -> dict[str, Any]:
    scorers = {}
    for name, (function, greater_is_better) in _SCORE_FUNCTIONS.items():
        for average in AVERAGES:
            key = name if average == "movie" else f"{name}_pooled"
            scorers[key] = make_scorer(function, greater_is_better=greater_is_better, average=average)
    return scorers


_SCORERS = _build_scorers()

#: The four MediaEval scorers (per-movie average) for multi-metric ``scoring=``.
MEDIAEVAL_SCORING: dict[str, Any] = {
    name: _SCORERS[name] for name in ("neg_valence_mse", "valence_pearson", "neg_arousal_mse", "arousal_pearson")
}


def get_scorer_names() -> list[str]:
    """Names accepted by :func:`get_scorer`.

    Returns
    -------
    list of str
    """
    return sorted(_SCORERS)


def get_scorer(name: str):
    """A scorer for ``scoring=`` that works with per-movie predictions.

    Parameters
    ----------
    name : str
        One of :func:`get_scorer_names`: ``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse``,
        ``valence_pearson``, ``arousal_pearson``, ``pearson``, or one of these with ``_pooled``.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Built with :func:`sklearn.metrics.make_scorer`; MSE scorers are negated (greater is better).
    """
    try:
        return _SCORERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown scorer {name!r}; sklearn_emotion.metrics provides {get_scorer_names()} "
            "(scikit-learn's own scorer names do not handle per-movie predictions)."
        ) from None
