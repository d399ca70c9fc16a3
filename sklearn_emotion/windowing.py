"""Sequence-to-one windows: for every second ``t``, the last ``length`` seconds ending at ``t``.

:class:`Windower` does not copy anything: it returns a :class:`WindowedMovies` view (the validated
movies plus the window length) that :class:`~sklearn_emotion.GRUMoERegressor` consumes block by block.
A movie's first ``length - 1`` seconds get a shorter history, left-padded and masked, so that every
second gets a prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .data import as_movies, movie_length
from .preprocessing import MovieTransformerMixin

__all__ = ["Windower", "WindowedMovies"]


class WindowedMovies(Sequence):
    """A lazy sequence of windowed movies.

    ``len()`` is the number of movies; indexing with an integer gives that movie's
    ``{modality: (T, d_m)}`` features, with a slice or a list of indices a new :class:`WindowedMovies`.
    The ``(T, length, d)`` windows are never stored; :meth:`materialize` builds them for one movie when
    explicitly asked (tests, the naive reference model).

    Parameters
    ----------
    movies : list of dict
        Validated movies, as returned by :func:`sklearn_emotion.data.as_movies`.
    length : int
        Window length in seconds.

    Examples
    --------
    :class:`Windower` returns one; a second's window is the ``length`` seconds ending there:

    >>> import numpy as np
    >>> from sklearn_emotion import Windower
    >>> movies = Windower(length=3).fit_transform([np.arange(8.0).reshape(4, 2), np.ones((6, 2))])
    >>> movies
    WindowedMovies(n_movies=2, length=3, modalities=['features'])
    >>> movies.lengths, movies[0]["features"].shape, movies[1:]
    ([4, 6], (4, 2), WindowedMovies(n_movies=1, length=3, modalities=['features']))
    >>> windows, mask = movies.materialize(0)
    >>> windows["features"].shape
    (4, 3, 2)
    >>> windows["features"][1], mask[1]  # second 1: one step before the start (zeros, masked)
    (array([[0., 0.],
           [0., 1.],
           [2., 3.]], dtype=float32), array([0., 1., 1.], dtype=float32))
    """

    def __init__(self, movies: list[dict[str, np.ndarray]], length: int) -> None:
        self.movies = list(movies)
        self.length = int(length)

    def __len__(self) -> int:
        return len(self.movies)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            return self.movies[index]
        if isinstance(index, slice):
            return WindowedMovies(self.movies[index], self.length)
        return WindowedMovies([self.movies[i] for i in np.asarray(index).ravel()], self.length)

    def __repr__(self) -> str:
        return f"WindowedMovies(n_movies={len(self)}, length={self.length}, modalities={self.modalities})"

    @property
    def modalities(self) -> list[str]:
        """Modality names, in order."""
        return list(self.movies[0]) if self.movies else []

    @property
    def lengths(self) -> list[int]:
        """Number of seconds (= windows) of each movie."""
        return [movie_length(movie) for movie in self.movies]

    def materialize(self, index: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The explicit windows of one movie: ``{modality: (T, L, d_m)}`` and the ``(T, L)`` step mask.

        Row ``t`` is the window ending at second ``t``; steps before the movie's start are zeros with
        mask 0.  This allocates ``T * L * d`` floats: use it for inspection, not for training.
        """
        movie = self.movies[index]
        length, n = self.length, movie_length(movie)
        rows = np.arange(n)[:, None] - (length - 1) + np.arange(length)[None, :]
        mask = rows >= 0
        windows = {}
        for name, features in movie.items():
            out = np.zeros((n, length, features.shape[1]), dtype=features.dtype)
            out[mask] = features[rows[mask]]
            windows[name] = out
        return windows, mask.astype(np.float32)


class Windower(MovieTransformerMixin, BaseEstimator):
    """Turn each movie into the sequence-to-one windows of its seconds, without copying.

    For every second ``t`` the window is the ``length`` seconds ending at ``t`` (the paper's 10, 30 or
    60 s).  The first seconds of a movie get a shorter, masked history, so every annotated second gets a
    prediction.

    Parameters
    ----------
    length : int, default=60
        Window length in seconds.
    short_movies : {"pad", "error"}, default="pad"
        What to do with a movie shorter than ``length``: ``"pad"`` gives it masked histories like any
        movie's first seconds; ``"error"`` raises a ``ValueError`` naming the movie.

    Attributes
    ----------
    modalities_ : list of str
        Modalities seen in ``fit``; ``transform`` requires the same.
    feature_means_ : dict of str to ndarray of shape (d_m,)
        Each modality's mean over all training seconds, the default baseline of
        :func:`~sklearn_emotion.inspection.modality_contributions`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion import Windower
    >>> windows = Windower(length=10).fit_transform([np.zeros((100, 4)), np.ones((50, 4))])
    >>> len(windows), windows.length, windows.lengths
    (2, 10, [100, 50])
    """

    _parameter_constraints: dict = {
        "length": [Interval(Integral, 1, None, closed="left")],
        "short_movies": [StrOptions({"pad", "error"})],
    }

    def __init__(self, length: int = 60, short_movies: str = "pad") -> None:
        self.length = length
        self.short_movies = short_movies

    def transform(self, X: Any) -> WindowedMovies:
        """Return the lazy windows of every movie.

        Parameters
        ----------
        X : sequence of movies
            2-D arrays ``(T, d)`` or mappings modality -> ``(T, d_m)``.

        Returns
        -------
        WindowedMovies
        """
        check_is_fitted(self, "modalities_")
        if isinstance(X, WindowedMovies):
            raise TypeError("X is already windowed; apply the Windower to the movies' features once.")
        movies = as_movies(X, modalities=self.modalities_)
        if self.short_movies == "error":
            for index, movie in enumerate(movies):
                n = movie_length(movie)
                if n < self.length:
                    shapes = {name: array.shape for name, array in movie.items()}
                    raise ValueError(
                        f"movie {index} has {n} seconds {shapes}, shorter than the {self.length}-s window "
                        "(short_movies='error'; use short_movies='pad' to predict it with a shorter history)."
                    )
        return WindowedMovies(movies, self.length)
