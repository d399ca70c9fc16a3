"""Scorers of the MediaEval metrics for ``scoring=`` (``cross_val_score``, ``GridSearchCV``, ...).

They follow scikit-learn's convention that greater is better, so MSE scorers are negated:
``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse`` (mean of both), ``valence_pearson``,
``arousal_pearson``, ``pearson`` (mean of both), each also with a ``_pooled`` suffix
(``average="pooled"``).  :data:`MEDIAEVAL_SCORING` holds the four MediaEval scorers for multi-metric
scoring; :func:`get_movie_scorer` returns one by name.

scikit-learn resolves strings in ``scoring=`` with its own registry, whose metrics cannot handle
per-movie predictions, so pass these scorer objects instead of names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.metrics import make_scorer

from .metrics import (
    AVERAGES,
    arousal_mse,
    arousal_pearson,
    movie_mean_squared_error,
    pearson_correlation,
    valence_mse,
    valence_pearson,
)

__all__ = ["MEDIAEVAL_SCORING", "get_movie_scorer", "get_movie_scorer_names"]

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


def _build_scorers() -> dict[str, Any]:
    scorers = {}
    for name, (function, greater_is_better, keywords) in _SCORE_FUNCTIONS.items():
        for average in AVERAGES:
            key = name if average == "movie" else f"{name}_{average}"
            scorers[key] = make_scorer(function, greater_is_better=greater_is_better, average=average, **keywords)
    return scorers


_SCORERS = _build_scorers()

#: The four MediaEval scorers (per-movie average) for multi-metric ``scoring=``.
MEDIAEVAL_SCORING: dict[str, Any] = {
    name: _SCORERS[name] for name in ("neg_valence_mse", "valence_pearson", "neg_arousal_mse", "arousal_pearson")
}


def get_movie_scorer_names() -> list[str]:
    """Names accepted by :func:`get_movie_scorer`.

    Returns
    -------
    list of str
        Sorted.
    """
    return sorted(_SCORERS)


def get_movie_scorer(name: str) -> Callable[..., float]:
    """A scorer for ``scoring=`` that works with per-movie predictions.

    Parameters
    ----------
    name : str
        One of :func:`get_movie_scorer_names`: ``neg_valence_mse``, ``neg_arousal_mse``, ``neg_mse``,
        ``valence_pearson``, ``arousal_pearson``, ``pearson``, or one of these with ``_pooled``.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Built with :func:`sklearn.metrics.make_scorer`; MSE scorers are negated (greater is better).

    Raises
    ------
    ValueError
        For any other name, scikit-learn's own included.
    """
    try:
        return _SCORERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown scorer {name!r}; sklearn_emotion.scoring provides {get_movie_scorer_names()} "
            "(scikit-learn's own scorer names do not handle per-movie predictions)."
        ) from None
