"""Feature scaling for sequences of movies.

Pretrained embeddings and hand-made descriptors come at very different scales (MFCCs in the
hundreds, dequantised activations in [0, 6], probabilities in [0, 1]); recurrent networks train
poorly on such inputs.  :class:`MovieStandardScaler` standardises each modality with statistics of
all seconds of the training movies, like :class:`~sklearn.preprocessing.StandardScaler` does for
rows, and keeps the per-movie structure so that a :class:`~sklearn_emotion.Windower` can follow it
in a pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .data import DEFAULT_MODALITY, as_movies, is_movie_sequence

__all__ = ["MovieStandardScaler", "MovieTransformerMixin", "movie_feature_means"]


def movie_feature_means(movies: Any) -> dict[str, np.ndarray]:
    """Each modality's per-feature mean over all seconds of all movies, every second weighted equally.

    The reference input of :func:`sklearn_emotion.inspection.modality_contributions` ("this modality
    absent"), recorded at ``fit`` as ``feature_means_`` by the estimators that take movies.  NaN
    values (features of estimators that accept them) are left out of the mean of their column.

    Parameters
    ----------
    movies : sequence of mapping str -> ndarray of shape (T, d_m)
        Validated movies (:func:`~sklearn_emotion.data.as_movies`), or ``(T, d)`` arrays.

    Returns
    -------
    dict of str to ndarray of shape (d_m,)
        float64; NaN for a column without any finite value.

    Raises
    ------
    ValueError
        Naming the movie and modality, when a modality's width differs between movies.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.preprocessing import movie_feature_means
    >>> movies = [{"audio": np.array([[1.0], [3.0]])}, {"audio": np.array([[8.0]])}]
    >>> movie_feature_means(movies)["audio"].tolist()
    [4.0]
    """
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for index, movie in enumerate(movies):
        items = movie.items() if isinstance(movie, Mapping) else [(DEFAULT_MODALITY, movie)]
        for name, array in items:
            if name in sums and array.shape[1] != len(sums[name]):
                raise ValueError(
                    f"movie {index}, modality {name!r}: {array.shape[1]} features (shape {array.shape}) but "
                    f"the movies before it have {len(sums[name])}."
                )
            # Summed movie by movie in float64: no copy of the corpus, no float32 rounding over hours.
            finite = np.isfinite(array)
            sums[name] = sums.get(name, 0.0) + np.where(finite, array, 0.0).sum(axis=0, dtype=np.float64)
            counts[name] = counts.get(name, 0) + finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {name: np.where(counts[name] > 0, sums[name] / np.maximum(counts[name], 1), np.nan)
                for name in sums}


class MovieTransformerMixin(TransformerMixin):
    """Mixin for transformers fitted on a sequence of movies, whose modalities they record.

    ``fit`` validates the parameters and sets ``modalities_`` and ``feature_means_`` (each modality's
    mean over all training seconds, the default baseline of
    :func:`~sklearn_emotion.inspection.modality_contributions`; not set when a modality's width
    differs between movies, which the next step refuses; a subclass that learns more extends
    :meth:`_fit_movies`); ``transform`` requires the same modalities.  The tags say that ``X`` is
    a sequence of movies, not a 2-D array, and that ``fit`` comes first.

    Examples
    --------
    A transformer subtracting each modality's training mean; ``fit`` comes from the mixin:

    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_emotion.data import as_movies
    >>> from sklearn_emotion.preprocessing import MovieTransformerMixin
    >>> class Centerer(MovieTransformerMixin, BaseEstimator):
    ...     # Subtract each modality's mean over the training seconds.
    ...     _parameter_constraints: dict = {}
    ...
    ...     def transform(self, X):
    ...         movies = as_movies(X, modalities=self.modalities_)
    ...         return [{name: features - self.feature_means_[name] for name, features in movie.items()}
    ...                 for movie in movies]
    >>> centerer = Centerer().fit([{"audio": np.array([[1.0], [3.0]])}])
    >>> centerer.modalities_, centerer.feature_means_
    (['audio'], {'audio': array([2.])})
    >>> centerer.transform([{"audio": np.array([[4.0]])}])
    [{'audio': array([[2.]])}]
    >>> centerer.transform([{"image": np.array([[4.0]])}])
    Traceback (most recent call last):
        ...
    ValueError: X[0]: modalities ['image'] do not match the expected ['audio']; missing ['audio']; unexpected ['image'].
    """

    def fit(self, X: Any, y: Any = None) -> MovieTransformerMixin:
        """Validate the parameters and record the modalities of ``X``.

        Parameters
        ----------
        X : sequence of movies
            ``(T, d)`` arrays or mappings ``modality -> (T, d_m)`` array.
        y : ignored

        Returns
        -------
        self
        """
        self._fit_movies(X)
        return self

    def _fit_movies(self, X: Any) -> list[dict[str, np.ndarray]]:
        """Validate the parameters, set ``modalities_`` and ``feature_means_``; return the validated movies."""
        self._validate_params()
        movies = as_movies(X)
        self.modalities_ = list(movies[0])
        widths = {name: array.shape[1] for name, array in movies[0].items()}
        if all(array.shape[1] == widths[name] for movie in movies for name, array in movie.items()):
            self.feature_means_ = movie_feature_means(movies)
        else:  # no mean of mixed widths; the step that reads the features refuses them, naming its own widths
            self.__dict__.pop("feature_means_", None)
        return movies

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


class MovieStandardScaler(MovieTransformerMixin, BaseEstimator):
    """Standardise every modality with the mean and standard deviation of all training seconds.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean of each feature.
    with_std : bool, default=True
        Divide by the standard deviation of each feature (features constant over the training
        seconds are divided by 1).

    Attributes
    ----------
    modalities_ : list of str
        Modalities seen in ``fit``; ``transform`` requires the same, with the same widths.
    feature_means_ : dict of str to ndarray of shape (d_m,)
        Each modality's mean over all training seconds (whatever ``with_mean``), the default
        baseline of :func:`~sklearn_emotion.inspection.modality_contributions`.
    mean_ : dict of str to ndarray of shape (d_m,)
    scale_ : dict of str to ndarray of shape (d_m,)
    n_seconds_ : int
        Seconds the statistics were computed on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.preprocessing import MovieStandardScaler
    >>> movies = [{"audio": np.array([[1.0], [3.0]])}, {"audio": np.array([[5.0]])}]
    >>> [m["audio"].ravel().tolist() for m in MovieStandardScaler().fit_transform(movies)]
    [[-1.224744..., 0.0], [1.224744...]]
    """

    _parameter_constraints: dict = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X: Any, y: Any = None) -> "MovieStandardScaler":
        """Compute each modality's per-feature mean and standard deviation over all seconds.

        Parameters
        ----------
        X, y
            As for :meth:`MovieTransformerMixin.fit`: the movies, and ``y`` ignored.

        Returns
        -------
        self
        """
        movies = self._fit_movies(X)
        self.mean_, self.scale_ = {}, {}
        for name in self.modalities_:
            stacked = np.concatenate([movie[name] for movie in movies]).astype(np.float64)
            self.mean_[name] = stacked.mean(axis=0) if self.with_mean else np.zeros(stacked.shape[1])
            std = stacked.std(axis=0) if self.with_std else np.ones(stacked.shape[1])
            self.scale_[name] = np.where(std > 1e-12, std, 1.0)
        self.n_seconds_ = int(sum(len(next(iter(m.values()))) for m in movies))
        return self

    def transform(self, X: Any) -> list:
        """Standardise every movie, keeping its structure (array or mapping).

        Parameters
        ----------
        X : sequence of movies
            With the modalities and feature widths seen in ``fit``.

        Returns
        -------
        list
            One float32 ``(T, d)`` array (for array movies) or ``{modality: (T, d_m)}`` mapping per movie.
        """
        check_is_fitted(self, "mean_")
        if not is_movie_sequence(X):
            raise TypeError(f"X must be a sequence of movies, got {type(X).__name__}.")
        movies = as_movies(X, modalities=self.modalities_)
        out = []
        for index, (original, movie) in enumerate(zip(X, movies)):
            scaled = {}
            for name, array in movie.items():
                if array.shape[1] != len(self.mean_[name]):
                    raise ValueError(
                        f"X[{index}][{name!r}] has {array.shape[1]} features (shape {array.shape}) but "
                        f"{len(self.mean_[name])} were seen in fit."
                    )
                scaled[name] = ((array - self.mean_[name]) / self.scale_[name]).astype(np.float32)
            out.append(scaled if isinstance(original, Mapping) else scaled[DEFAULT_MODALITY])
        return out
