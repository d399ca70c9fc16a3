"""Shared behaviour of the package's sequence (per-movie) regressors."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state, get_tags

from .data import is_movie_sequence

__all__ = ["MovieRegressorMixin", "pooled_r2", "inner_tags", "copy_inner_tags", "private_random_state"]


def pooled_r2(y_true: Any, y_pred: Any) -> float:
    """R² over every annotated second of every movie, averaged over the target columns.

    ``y_true`` and ``y_pred`` are both sequences of per-movie ``(T, k)`` arrays or both plain
    arrays; seconds whose target is NaN are ignored column by column.
    """
    if is_movie_sequence(y_true):
        true = np.concatenate([np.asarray(a, dtype=float).reshape(len(a), -1) for a in y_true])
        pred = np.concatenate([np.asarray(a, dtype=float).reshape(len(a), -1) for a in y_pred])
    else:
        true = np.asarray(y_true, dtype=float)
        pred = np.asarray(y_pred, dtype=float)
        true = true.reshape(len(true), -1)
        pred = pred.reshape(len(pred), -1)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has shape {true.shape} but y_pred has shape {pred.shape}.")
    scores = []
    for column in range(true.shape[1]):
        keep = ~np.isnan(true[:, column])
        scores.append(r2_score(true[keep, column], pred[keep, column]))
    return float(np.mean(scores))


class MovieRegressorMixin(RegressorMixin):
    """Mixin for regressors whose samples are movies.

    ``score`` is the coefficient of determination (R²), as for every scikit-learn regressor, but
    computed over all annotated seconds of the given movies (NaN targets ignored) and averaged over
    valence and arousal, so that ``GridSearchCV`` without ``scoring=`` stays meaningful.  For the
    MediaEval metrics use :mod:`sklearn_emotion.metrics`.
    """

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Return R² over all annotated seconds, averaged over the targets.

        Parameters
        ----------
        X : sequence of movies, or array
            Input accepted by ``predict``.
        y : sequence of array of shape (T, 2), or array
            True targets, NaN for unannotated seconds.
        sample_weight : None
            Not supported; present for API compatibility.

        Returns
        -------
        float
        """
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__}.score does not support sample_weight.")
        return pooled_r2(y, self.predict(X))


def inner_tags(estimator: Any):
    """Tags of a wrapped estimator, or None when it does not provide scikit-learn tags."""
    try:
        return get_tags(estimator)
    except Exception:  # third-party estimators without tags: keep our defaults
        return None


def copy_inner_tags(tags, estimator: Any):
    """A meta-estimator's tags: NaN and determinism from the wrapped estimator, targets required."""
    inner = inner_tags(estimator)
    if inner is not None:
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        # what the wrapped estimator reads: movies only, or also a 2-D (3-D) array of windows
        tags.input_tags.two_d_array = inner.input_tags.two_d_array
        tags.input_tags.three_d_array = inner.input_tags.three_d_array
        tags.non_deterministic = inner.non_deterministic
    tags.target_tags.required = True
    tags.target_tags.multi_output = True
    return tags


def private_random_state(random_state: Any) -> np.random.RandomState:
    """``check_random_state``, except that ``None`` gives a fresh unseeded generator.

    scikit-learn's ``None`` means NumPy's global generator, whose draws would change the global
    state; the package's rule is that fitting and generating never do.
    """
    return np.random.RandomState() if random_state is None else check_random_state(random_state)


def resolve_target_range(target_range: Any, targets: list[np.ndarray]) -> tuple[float, float]:
    """The ``(low, high)`` a network's sigmoid outputs map to: ``target_range``, or the targets' own for "auto".

    Shared by the sequence regressors.  NaN targets are ignored; a fixed range must hold every target
    (the error names the movie, row and column of the first one outside).
    """
    values = np.concatenate([t.ravel() for t in targets])
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("Every target is NaN: there is nothing to learn from.")
    if isinstance(target_range, str):
        low, high = float(values.min()), float(values.max())
        return (low - 1.0, high + 1.0) if high - low < 1e-12 else (low, high)
    if len(target_range) != 2 or not target_range[0] < target_range[1]:
        raise ValueError(f"target_range must be (low, high) with low < high, got {target_range!r}.")
    low, high = float(target_range[0]), float(target_range[1])
    outside = [index for index, t in enumerate(targets) if ((t < low) | (t > high)).any()]
    if outside:
        index = outside[0]
        row, col = np.argwhere((targets[index] < low) | (targets[index] > high))[0]
        within = len(targets) - len(outside)
        advice = "rescale the targets or set target_range='auto'"
        if within:  # some movies within the range and some outside: two scales, which no target_range reconciles
            named = ", ".join(f"y[{i}]" for i in outside[:10]) + (", ..." if len(outside) > 10 else "")
            advice = (f"the other {within} movie(s) are within it, so {named} seem to be on another scale: "
                      "rescale the targets to one scale")
        raise ValueError(
            f"y[{index}] has value {targets[index][row, col]:.4g} at row {row}, column {col}, outside "
            f"target_range=({low}, {high}); {advice}."
        )
    return low, high
