"""The frame-wise baseline: :class:`PerSecondRegressor` fits any scikit-learn regressor on the seconds
of all movies and predicts every second independently, without temporal context.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from .base import MovieRegressorMixin, copy_inner_tags, inner_tags
from .data import as_movies, as_targets, movie_length, stack_modalities
from .preprocessing import movie_feature_means

__all__ = ["PerSecondRegressor"]


class PerSecondRegressor(MovieRegressorMixin, BaseEstimator):
    """Frame-wise baseline: one scikit-learn regressor over the seconds of all movies.

    Each second is a sample: its features are the movie's modalities concatenated in a fixed order
    (that of the first training movie, see :func:`~sklearn_emotion.data.stack_modalities`), its
    targets that second's valence and arousal.  Seconds with a NaN target (in any column) are left
    out of the fit.  ``predict`` predicts every second of every movie and returns one ``(T, 2)``
    array per movie.  Feature values must be finite unless the estimator's tags allow NaN.

    Parameters
    ----------
    estimator : regressor
        Any scikit-learn regressor.  If it cannot predict several targets at once (its tags say
        ``multi_output=False``, e.g. ``SGDRegressor``, ``SVR``), a
        :class:`~sklearn.multioutput.MultiOutputRegressor` around it fits one copy per target.

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone (possibly inside ``MultiOutputRegressor``).
    modalities_ : list of str
        Modalities, in the order their features are concatenated.
    n_features_per_modality_ : dict of str to int
        Number of features of each modality.
    feature_means_ : dict of str to ndarray of shape (d_m,)
        Each modality's mean over all training seconds (NaN values left out), the default baseline
        of :func:`~sklearn_emotion.inspection.modality_contributions`.
    n_features_in_ : int
        Total number of features per second.
    n_targets_ : int
        Number of target columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(30, 4)), rng.normal(size=(20, 4))]
    >>> y = [np.tanh(m[:, :2]) for m in X]
    >>> [p.shape for p in PerSecondRegressor(Ridge()).fit(X, y).predict(X)]
    [(30, 2), (20, 2)]
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit", "predict"])]}

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def _allow_nan(self) -> bool:
        tags = inner_tags(self.estimator)
        return bool(tags is not None and tags.input_tags.allow_nan)

    def _stack(self, movies: list[dict[str, np.ndarray]]) -> np.ndarray:
        """Concatenate modalities per second, checking feature counts against the fitted ones."""
        for index, movie in enumerate(movies):
            for modality, expected in self.n_features_per_modality_.items():
                found = movie[modality].shape[1]
                if found != expected:
                    where = f"X[{index}]" if len(movie) == 1 else f"X[{index}][{modality!r}]"
                    raise ValueError(
                        f"{where} has {found} features per second but {expected} were seen in fit "
                        f"(shape {movie[modality].shape})."
                    )
        return np.concatenate([stack_modalities(movie, self.modalities_) for movie in movies])

    def fit(self, X: Any, y: Any) -> "PerSecondRegressor":
        """Fit the estimator on every annotated second of every movie.

        Parameters
        ----------
        X : sequence of movies
            ``(T, d)`` arrays or mappings ``modality -> (T, d_m)`` array.
        y : sequence of array-like of shape (T, 2)
            Per-movie targets, NaN for unannotated seconds.

        Returns
        -------
        self
        """
        self._validate_params()
        movies = as_movies(X, allow_nan=self._allow_nan())
        targets = as_targets(y, [movie_length(movie) for movie in movies], n_targets=None)
        self.modalities_ = list(movies[0])
        self.n_features_per_modality_ = {key: movies[0][key].shape[1] for key in self.modalities_}
        features = self._stack(movies)  # refuses other widths first, naming the fitted ones
        self.feature_means_ = movie_feature_means(movies)
        stacked_targets = np.concatenate(targets)
        annotated = ~np.isnan(stacked_targets).any(axis=1)
        if not annotated.any():
            raise ValueError(
                f"every one of the {len(stacked_targets)} seconds of y has a NaN target: nothing to fit."
            )
        n_targets = stacked_targets.shape[1]
        estimator = clone(self.estimator)
        inner = inner_tags(estimator)
        if n_targets > 1 and inner is not None and not inner.target_tags.multi_output:
            estimator = MultiOutputRegressor(estimator)
        kept = stacked_targets[annotated]
        estimator.fit(features[annotated], kept[:, 0] if n_targets == 1 else kept)
        self.estimator_ = estimator
        self.n_features_in_ = features.shape[1]
        self.n_targets_ = n_targets
        return self

    def predict(self, X: Any) -> list[np.ndarray]:
        """Predict every second of every movie.

        Parameters
        ----------
        X : sequence of movies
            With the modalities and feature counts seen in ``fit``; NaN features only where the
            estimator accepts them (as in ``fit``).

        Returns
        -------
        list of ndarray of shape (T, n_targets)
            float64, one per movie.
        """
        check_is_fitted(self)
        movies = as_movies(X, modalities=self.modalities_, allow_nan=self._allow_nan())
        features = self._stack(movies)
        predicted = np.asarray(self.estimator_.predict(features), dtype=np.float64).reshape(len(features), -1)
        bounds = np.cumsum([movie_length(movie) for movie in movies])[:-1]
        return [np.ascontiguousarray(part) for part in np.split(predicted, bounds)]

    def __sklearn_tags__(self):
        tags = copy_inner_tags(super().__sklearn_tags__(), self.estimator)
        tags.input_tags.two_d_array = False  # X is a sequence of movies; a 2-D array is refused
        tags.input_tags.three_d_array = False
        return tags
