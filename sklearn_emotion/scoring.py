"""Scorers of the MediaEval metrics for ``scoring=`` (``cross_val_score``, ``GridSearchCV``, ...).

They follow scikit-learn's convention that greater is better, so MSE scorers are negated:
``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse`` (mean of both), ``valence_pearson``,
``arousal_pearson``, ``pearson`` (mean of both), each also with a ``_pooled`` suffix
(``average="pooled"``).  :data:`MEDIAEVAL_SCORING` holds the four MediaEval scorers for multi-metric
scoring; :func:`get_movie_scorer` returns one by name.

Targets with the viewers' disagreement, ``(T, 4)`` arrays (valence, arousal, valence_std,
arousal_std, see :func:`sklearn_emotion.data.stack_std`), work with every scorer: the scorers above
score the mean columns exactly as with ``(T, 2)`` targets, and the *std scorers* score the predicted
standard deviation of the viewers' ratings (``estimator.predict(X, return_std=True)``, e.g. a
``GRUMoERegressor(predict_std=True)``) against the std columns: ``neg_valence_std_mse``,
``neg_arousal_std_mse``, ``neg_std_mse``, ``valence_std_pearson``, ``arousal_std_pearson``,
``std_pearson`` (also with ``_pooled``); :data:`STD_SCORING` holds four of them.

scikit-learn resolves strings in ``scoring=`` with its own registry, whose metrics cannot handle
per-movie predictions, so pass these scorer objects instead of names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.metrics import make_scorer

from .data import is_movie_sequence
from .metrics import (
    AVERAGES,
    arousal_mse,
    arousal_pearson,
    movie_mean_squared_error,
    pearson_correlation,
    valence_mse,
    valence_pearson,
)

__all__ = ["MEDIAEVAL_SCORING", "STD_SCORING", "get_movie_scorer", "get_movie_scorer_names", "inner_estimators",
           "predicts_std"]

_BOTH_COLUMNS = {"multioutput": "uniform_average"}
_SCORE_FUNCTIONS: dict[str, tuple[Callable[..., float], bool, dict[str, str]]] = {
    # name -> (metric, greater_is_better, extra keyword arguments of the metric)
    "neg_valence_mse": (valence_mse, False, {}),
    "neg_arousal_mse": (arousal_mse, False, {}),
    "neg_mse": (movie_mean_squared_error, False, _BOTH_COLUMNS),
    "valence_pearson": (valence_pearson, True, {}),
    "arousal_pearson": (arousal_pearson, True, {}),
    "pearson": (pearson_correlation, True, _BOTH_COLUMNS),
}


def _n_columns(y: Any) -> int:
    first = y[0] if is_movie_sequence(y) else y
    shape = np.shape(first)
    return shape[1] if len(shape) == 2 else 1


def _columns(y: Any, columns: slice) -> Any:
    """The ``columns`` of every movie of ``y`` (or of one plain 2-D array)."""
    if is_movie_sequence(y):
        return [np.asarray(movie, dtype=np.float64)[:, columns] for movie in y]
    return np.asarray(y, dtype=np.float64)[:, columns]


class _OnMeanColumns:
    """A metric of ``(T, 2)`` curves that scores four-column targets on their mean columns.

    With ``(T, 4)`` targets (valence, arousal, valence_std, arousal_std) the first two columns of the
    targets - and of the predictions when they have four columns too - are scored; two-column targets
    are passed through unchanged.
    """

    def __init__(self, metric: Callable[..., Any]) -> None:
        self.metric = metric
        self.__name__ = metric.__name__

    def __call__(self, y_true: Any, y_pred: Any, **kwargs: Any) -> Any:
        if _n_columns(y_true) == 4:
            y_true = _columns(y_true, slice(0, 2))
            if _n_columns(y_pred) == 4:
                y_pred = _columns(y_pred, slice(0, 2))
        return self.metric(y_true, y_pred, **kwargs)


#: Scorers of the predicted viewers' standard deviation: name -> (metric, greater_is_better, column or
#: None for the mean of both columns).  Named like the mean scorers, with ``_std`` after the target.
_STD_SCORE_FUNCTIONS: dict[str, tuple[Callable[..., Any], bool, int | None]] = {
    "neg_valence_std_mse": (movie_mean_squared_error, False, 0),
    "neg_arousal_std_mse": (movie_mean_squared_error, False, 1),
    "neg_std_mse": (movie_mean_squared_error, False, None),
    "valence_std_pearson": (pearson_correlation, True, 0),
    "arousal_std_pearson": (pearson_correlation, True, 1),
    "std_pearson": (pearson_correlation, True, None),
}


class _StdScorer:
    """``scorer(estimator, X, y)``: a metric of ``estimator.predict(X, return_std=True)[1]`` against the
    std columns (2 and 3) of ``(T, 4)`` targets, negated when lower is better."""

    def __init__(self, name: str, metric: Callable[..., Any], greater_is_better: bool, column: int | None,
                 average: str) -> None:
        self.name = name
        self.metric = metric
        self.sign = 1.0 if greater_is_better else -1.0
        self.column = column
        self.average = average

    def __call__(self, estimator: Any, X: Any, y_true: Any, **kwargs: Any) -> float:
        if _n_columns(y_true) != 4:
            raise ValueError(
                f"the scorer {self.name!r} scores the viewers' standard deviation: y must have four "
                "columns per movie (valence, arousal, valence_std, arousal_std), got "
                f"{_n_columns(y_true)}; see sklearn_emotion.data.stack_std."
            )
        try:
            _, std = estimator.predict(X, return_std=True)
        except TypeError as exc:
            if "return_std" not in str(exc):
                raise
            raise TypeError(
                f"the scorer {self.name!r} needs an estimator whose predict(X, return_std=True) returns "
                f"the viewers' standard deviation (e.g. GRUMoERegressor(predict_std=True)); "
                f"{type(estimator).__name__} does not accept return_std ({exc})."
            ) from exc
        values = self.metric(_columns(y_true, slice(2, 4)), std, average=self.average)
        value = float(np.mean(values)) if self.column is None else float(values[self.column])
        return self.sign * value

    def __repr__(self) -> str:
        return f"get_movie_scorer({self.name!r})"


def _build_scorers() -> dict[str, Any]:
    scorers = {}
    for name, (function, greater_is_better, keywords) in _SCORE_FUNCTIONS.items():
        for average in AVERAGES:
            key = name if average == "movie" else f"{name}_{average}"
            scorers[key] = make_scorer(
                _OnMeanColumns(function), greater_is_better=greater_is_better, average=average, **keywords
            )
    for name, (function, greater_is_better, column) in _STD_SCORE_FUNCTIONS.items():
        for average in AVERAGES:
            key = name if average == "movie" else f"{name}_{average}"
            scorers[key] = _StdScorer(key, function, greater_is_better, column, average)
    return scorers


def inner_estimators(estimator: Any) -> list[Any]:
    """The estimators directly inside ``estimator``, in the order they see the movies.

    The one walker of the package's model nesting: a ``Pipeline``'s steps (``None`` and
    ``"passthrough"`` left out), a fitted search's ``best_estimator_``, the regressor of a
    ``SmoothedRegressor`` (or ``TransformedTargetRegressor``), the runs of a ``RunAveragingRegressor``
    (fitted ``estimators_``, else the configured ``estimators``); an empty list for any other estimator.

    Parameters
    ----------
    estimator : estimator
        Any estimator, fitted or not.

    Returns
    -------
    list of estimator

    Examples
    --------
    >>> from sklearn_emotion import make_paper_pipeline
    >>> from sklearn_emotion.scoring import inner_estimators
    >>> model = make_paper_pipeline()
    >>> [type(step).__name__ for step in inner_estimators(model)]
    ['MovieStandardScaler', 'Windower', 'SmoothedRegressor']
    >>> [type(step).__name__ for step in inner_estimators(model[-1])]  # the smoother's regressor
    ['GRUMoERegressor']
    """
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return [step for _, step in estimator.steps if step is not None and not isinstance(step, str)]
    if hasattr(estimator, "best_estimator_"):
        return [estimator.best_estimator_]
    inner = getattr(estimator, "regressor_", None)
    if inner is None and hasattr(estimator, "regressor") and hasattr(estimator, "smoother"):
        inner = estimator.regressor  # an unfitted SmoothedRegressor
    if inner is not None:
        return [inner]
    runs = getattr(estimator, "estimators_", None)
    if runs is None and isinstance(getattr(estimator, "estimators", None), list):
        runs = [member for _, member in estimator.estimators if not isinstance(member, str)]
    return list(runs) if isinstance(runs, list) else []


def predicts_std(estimator: Any) -> bool:
    """Whether ``estimator.predict(X, return_std=True)`` gives the viewers' standard deviation.

    True for an estimator fitted (or, unfitted, configured) with ``predict_std=True``, and for a
    ``Pipeline`` (its last step), ``SmoothedRegressor``, ``RunAveragingRegressor`` (every run) or fitted
    search (``best_estimator_``) around such estimators (:func:`inner_estimators`).

    Parameters
    ----------
    estimator : estimator
        Any estimator, fitted or not (an unfitted one is judged by its parameters).

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn_emotion import make_paper_pipeline
    >>> from sklearn_emotion.scoring import predicts_std
    >>> predicts_std(make_paper_pipeline()), predicts_std(make_paper_pipeline(predict_std=True))
    (False, True)
    """
    from sklearn.pipeline import Pipeline

    inner = inner_estimators(estimator)
    if isinstance(estimator, Pipeline):  # the last step predicts
        return bool(inner) and predicts_std(inner[-1])
    if inner or isinstance(getattr(estimator, "estimators_", getattr(estimator, "estimators", None)), list):
        return bool(inner) and all(predicts_std(member) for member in inner)  # every run, for an ensemble
    if hasattr(estimator, "network_") or hasattr(estimator, "std_max_"):  # a fitted network
        return hasattr(estimator, "std_max_")
    value = getattr(estimator, "predict_std", False)
    return isinstance(value, (bool, np.bool_)) and bool(value)


_SCORERS = _build_scorers()

#: The four MediaEval scorers (per-movie average) for multi-metric ``scoring=``.
MEDIAEVAL_SCORING: dict[str, Any] = {
    name: _SCORERS[name] for name in ("neg_valence_mse", "valence_pearson", "neg_arousal_mse", "arousal_pearson")
}
#: The four scorers of the predicted viewers' standard deviation (per-movie average), for ``(T, 4)``
#: targets and estimators fitted with ``predict_std=True``; combine with :data:`MEDIAEVAL_SCORING`.
STD_SCORING: dict[str, Any] = {
    name: _SCORERS[name]
    for name in ("neg_valence_std_mse", "valence_std_pearson", "neg_arousal_std_mse", "arousal_std_pearson")
}


def get_movie_scorer_names() -> list[str]:
    """Names accepted by :func:`get_movie_scorer`.

    Returns
    -------
    list of str
        Sorted.

    Examples
    --------
    >>> from sklearn_emotion.scoring import get_movie_scorer_names
    >>> names = get_movie_scorer_names()
    >>> len(names), names[:3]
    (24, ['arousal_pearson', 'arousal_pearson_pooled', 'arousal_std_pearson'])
    """
    return sorted(_SCORERS)


def get_movie_scorer(name: str) -> Callable[..., float]:
    """A scorer for ``scoring=`` that works with per-movie predictions.

    Parameters
    ----------
    name : str
        One of :func:`get_movie_scorer_names`: ``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse``,
        ``valence_pearson``, ``arousal_pearson``, ``pearson``, or one of these with ``_pooled``; or a
        std scorer: ``neg_valence_std_mse``, ``neg_arousal_std_mse``, ``neg_std_mse``,
        ``valence_std_pearson``, ``arousal_std_pearson``, ``std_pearson`` (also with ``_pooled``).

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        MSE scorers are negated (greater is better).  The mean scorers are built with
        :func:`sklearn.metrics.make_scorer` and score the mean columns of ``(T, 4)`` targets; the std
        scorers call ``estimator.predict(X, return_std=True)`` and need ``(T, 4)`` targets.

    Raises
    ------
    ValueError
        For any other name, scikit-learn's own included.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_emotion import PerSecondRegressor
    >>> from sklearn_emotion.scoring import get_movie_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(30, 3)) for _ in range(4)]
    >>> y = [np.tanh(movie[:, :2]) for movie in X]
    >>> model = PerSecondRegressor(Ridge()).fit(X[:3], y[:3])
    >>> round(get_movie_scorer("neg_valence_mse")(model, X[3:], y[3:]), 4)  # negated: greater is better
    -0.0733
    >>> cross_val_score(PerSecondRegressor(Ridge()), X, y, cv=2, scoring=get_movie_scorer("pearson")).round(3)
    array([0.969, 0.956])
    """
    try:
        return _SCORERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown scorer {name!r}; sklearn_emotion.scoring provides {get_movie_scorer_names()} "
            "(scikit-learn's own scorer names do not handle per-movie predictions)."
        ) from None
