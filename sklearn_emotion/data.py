"""The package's data model: movies of per-second features and per-second targets.

One *sample* is one movie (or clip).  ``X`` is a sequence of movies; a movie is either

* a 2-D float array ``(T, d)`` sampled at 1 Hz (row ``t`` describes second ``[t, t+1)``), or
* a mapping ``modality name -> (T, d_m)`` array, all with the same ``T``
  (e.g. ``{"image": ..., "audio": ..., "face": ...}``).

``y`` is a sequence of ``(T, 2)`` arrays (columns valence, arousal, in ``[-1, 1]``); NaN marks an
unannotated second and is ignored by losses and metrics.  Where the viewers' disagreement is known,
``y`` may have four columns: valence, arousal, then the standard deviation of the viewers' valence
and arousal ratings at that second (:data:`TARGET_STD_NAMES`; :func:`stack_std` and :func:`split_std`
convert between the two forms).

Internally every movie is normalised to a ``dict[str, np.ndarray]`` of C-contiguous float32 arrays; a
plain 2-D array becomes the single modality :data:`DEFAULT_MODALITY`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MODALITY",
    "TARGET_NAMES",
    "as_movies",
    "TARGET_STD_NAMES",
    "as_targets",
    "stack_std",
    "split_std",
    "movie_length",
    "stack_modalities",
    "is_movie_sequence",
    "check_has_movies",
]

#: Name given to the features of a movie passed as a plain 2-D array.
DEFAULT_MODALITY = "features"
#: Column names of the targets.
TARGET_NAMES = ("valence", "arousal")
#: Column names of the viewers' standard deviations, columns 2 and 3 of four-column targets.
TARGET_STD_NAMES = ("valence_std", "arousal_std")


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"shape {tuple(shape)}" if shape is not None else f"type {type(value).__name__}"


def _as_feature_array(value: Any, where: str, *, allow_nan: bool) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: features must be numeric, got {_describe(value)} ({exc}).") from exc
    if array.ndim != 2:
        raise ValueError(
            f"{where}: features must be a 2-D array (seconds, features), got {_describe(array)}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{where}: features are empty, got {_describe(array)}.")
    if not allow_nan and not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{where}: features of {_describe(array)} contain NaN or infinity "
            f"(first at second {bad[0]}, column {bad[1]})."
        )
    return np.ascontiguousarray(array)


def is_movie_sequence(X: Any) -> bool:
    """Whether ``X`` looks like a sequence of movies rather than one array of samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import is_movie_sequence
    >>> is_movie_sequence([np.zeros((5, 3))]), is_movie_sequence([{"image": np.zeros((5, 3))}])
    (True, True)
    >>> is_movie_sequence(np.zeros((5, 3)))  # one array of samples
    False
    """
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1
    return isinstance(X, Sequence) and not isinstance(X, (str, bytes))


def check_has_movies(X: Any, name: str = "X") -> None:
    """Raise the package's error for a sequence that holds no movie (every estimator taking movies says it alike).

    Without it, an empty list reaches scikit-learn's array validation and is reported as a 1-D array.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import check_has_movies
    >>> check_has_movies([np.zeros((5, 3))])
    >>> check_has_movies([])
    Traceback (most recent call last):
        ...
    ValueError: X holds no movies: at least one movie is needed.
    """
    if is_movie_sequence(X) and len(X) == 0:
        raise ValueError(f"{name} holds no movies: at least one movie is needed.")


def as_movies(
    X: Any,
    *,
    modalities: Sequence[str] | None = None,
    allow_nan: bool = False,
    name: str = "X",
) -> list[dict[str, np.ndarray]]:
    """Validate a sequence of movies and normalise each to ``{modality: (T, d_m) float32}``.

    Parameters
    ----------
    X : sequence of array-like of shape (T, d) or of mapping str -> array-like of shape (T, d_m)
        The movies.
    modalities : sequence of str, optional
        Modalities every movie must have (extra modalities are an error too).  ``None`` takes the
        modalities of the first movie and requires the others to match.
    allow_nan : bool, default=False
        Accept NaN or infinite feature values (e.g. for smoothing predictions that contain gaps).
    name : str, default="X"
        Name of the argument, used in error messages.

    Returns
    -------
    list of dict
        One ``{modality: array}`` per movie, arrays C-contiguous float32.

    Raises
    ------
    ValueError
        With the movie index and the shapes involved, when a movie is not 2-D, is empty, contains
        NaN, has modalities of different lengths, or lacks a modality.

    Examples
    --------
    A 2-D array is a movie of one modality, named ``"features"``; a mapping gives several:

    >>> import numpy as np
    >>> from sklearn_emotion.data import as_movies
    >>> movies = as_movies([np.zeros((3, 2)), np.ones((5, 2))])
    >>> [{name: (a.shape, a.dtype) for name, a in m.items()} for m in movies]
    [{'features': ((3, 2), dtype('float32'))}, {'features': ((5, 2), dtype('float32'))}]
    >>> movies = as_movies([{"image": np.ones((4, 5)), "audio": np.ones((4, 2))}])
    >>> {name: features.shape for name, features in movies[0].items()}
    {'image': (4, 5), 'audio': (4, 2)}
    >>> as_movies([{"image": np.ones((4, 5)), "audio": np.ones((3, 2))}])
    Traceback (most recent call last):
        ...
    ValueError: X[0]: modalities have different numbers of seconds ('image': (4, 5), 'audio': (3, 2)).
    """
    if not is_movie_sequence(X):
        raise TypeError(
            f"{name} must be a sequence of movies (a list of (T, d) arrays or of mappings "
            f"modality -> (T, d_m) array), got {_describe(X)}."
        )
    check_has_movies(X, name)
    expected = list(modalities) if modalities is not None else None
    movies: list[dict[str, np.ndarray]] = []
    for index, movie in enumerate(X):
        where = f"{name}[{index}]"
        if isinstance(movie, Mapping):
            if len(movie) == 0:
                raise ValueError(f"{where}: the mapping of modalities is empty.")
            arrays = {
                str(key): _as_feature_array(value, f"{where}[{key!r}]", allow_nan=allow_nan)
                for key, value in movie.items()
            }
        else:
            arrays = {DEFAULT_MODALITY: _as_feature_array(movie, where, allow_nan=allow_nan)}
        lengths = {key: value.shape[0] for key, value in arrays.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{key!r}: {arrays[key].shape}" for key in arrays)
            raise ValueError(f"{where}: modalities have different numbers of seconds ({detail}).")
        if expected is None:
            expected = list(arrays)
        missing = [key for key in expected if key not in arrays]
        extra = [key for key in arrays if key not in expected]
        if missing or extra:
            raise ValueError(
                f"{where}: modalities {sorted(arrays)} do not match the expected {sorted(expected)}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unexpected {extra}" if extra else "")
                + "."
            )
        movies.append({key: arrays[key] for key in expected})
    return movies


def movie_length(movie: Mapping[str, np.ndarray]) -> int:
    """Number of seconds of a normalised movie.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import movie_length
    >>> movie_length({"image": np.zeros((5, 3)), "audio": np.ones((5, 2))})
    5
    """
    return next(iter(movie.values())).shape[0]


def stack_modalities(movie: Mapping[str, np.ndarray], order: Sequence[str] | None = None) -> np.ndarray:
    """Concatenate a normalised movie's modalities column-wise, in ``order`` (default: its own).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import stack_modalities
    >>> movie = {"image": np.zeros((5, 3)), "audio": np.ones((5, 2))}
    >>> stack_modalities(movie).shape, stack_modalities(movie, order=["audio", "image"])[0]
    ((5, 5), array([1., 1., 0., 0., 0.]))
    """
    keys = list(order) if order is not None else list(movie)
    if len(keys) == 1:
        return movie[keys[0]]
    return np.concatenate([movie[key] for key in keys], axis=1)


def as_targets(
    y: Any,
    lengths: Sequence[int] | None = None,
    *,
    n_targets: int | None = 2,
    with_std: bool = False,
    name: str = "y",
) -> list[np.ndarray]:
    """Validate per-movie targets: a sequence of ``(T, n_targets)`` float arrays, NaN allowed.

    Parameters
    ----------
    y : sequence of array-like of shape (T, n_targets) or (T, 2 * n_targets)
        Targets of each movie.  A 1-D array per movie is read as one target column.
    lengths : sequence of int, optional
        Number of seconds of each movie of ``X``; checked against ``y``.
    n_targets : int or None, default=2
        Required number of (mean) columns (valence, arousal); ``None`` accepts any number, the same
        for all movies.
    with_std : bool, default=False
        The targets carry, after the ``n_targets`` mean columns, as many columns of the viewers'
        standard deviation (``(T, 4)``: valence, arousal, valence std, arousal std): the number of
        columns must be ``2 * n_targets`` (even, when ``n_targets`` is None) and the std columns must
        not be negative (NaN = unannotated).
    name : str, default="y"
        Name of the argument, used in error messages.

    Returns
    -------
    list of ndarray of shape (T, n_targets) or (T, 2 * n_targets), float64

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import as_targets
    >>> y = as_targets([[[0.1, -0.2], [0.3, np.nan]]], lengths=[2])  # NaN: an unannotated second
    >>> y[0].shape, y[0].dtype
    ((2, 2), dtype('float64'))
    >>> as_targets([np.zeros((2, 4))], with_std=True)[0].shape  # means, then the viewers' std
    (2, 4)
    >>> as_targets([np.zeros((2, 2))], lengths=[3])
    Traceback (most recent call last):
        ...
    ValueError: movie 0: X has 3 seconds but y[0] has 2 rows (shape (2, 2)).
    """
    if not is_movie_sequence(y):
        raise TypeError(
            f"{name} must be a sequence with one (T, {4 if with_std else 2}) array of valence and arousal"
            f"{' and their std' if with_std else ''} per movie, got {_describe(y)}."
        )
    if lengths is not None and len(y) != len(lengths):
        raise ValueError(f"X has {len(lengths)} movies but {name} has {len(y)}.")
    width = None if n_targets is None else (2 * n_targets if with_std else n_targets)
    targets: list[np.ndarray] = []
    for index, value in enumerate(y):
        array = np.asarray(value, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or (width is not None and array.shape[1] != width):
            wanted = f"(T, {width})" if width is not None else "(T, k)"
            detail = " (valence, arousal, valence_std, arousal_std)" if with_std and width == 4 else ""
            raise ValueError(f"{name}[{index}] must have shape {wanted}{detail}, got {array.shape}.")
        if targets and array.shape[1] != targets[0].shape[1]:
            raise ValueError(
                f"{name}[{index}] has {array.shape[1]} columns but {name}[0] has {targets[0].shape[1]}."
            )
        if lengths is not None and array.shape[0] != lengths[index]:
            raise ValueError(
                f"movie {index}: X has {lengths[index]} seconds but {name}[{index}] has "
                f"{array.shape[0]} rows (shape {array.shape})."
            )
        if np.isinf(array).any():
            raise ValueError(f"{name}[{index}] contains infinite values; use NaN for unannotated seconds.")
        if with_std:
            _check_std_columns(array, f"{name}[{index}]")
        targets.append(array)
    return targets


def _check_std_columns(array: np.ndarray, where: str) -> None:
    """Four-column (``2k``) targets: an even number of columns, the std half non-negative."""
    if array.shape[1] % 2:
        raise ValueError(
            f"{where} has {array.shape[1]} columns; targets with std need the mean columns then as many "
            "std columns (valence, arousal, valence_std, arousal_std)."
        )
    k = array.shape[1] // 2
    negative = array[:, k:] < 0  # NaN compares False
    if negative.any():
        row, col = np.argwhere(negative)[0]
        raise ValueError(
            f"{where}: the standard deviation in column {k + col} at row {row} is {array[row, k + col]:.4g}; "
            "a standard deviation cannot be negative."
        )


def stack_std(y: Any, std: Any) -> list[np.ndarray]:
    """Four-column targets from mean curves and the viewers' standard deviations.

    Parameters
    ----------
    y : sequence of array-like of shape (T, 2)
        Mean valence and arousal per movie (e.g. ``load_liris_accede().y``).
    std : sequence of array-like of shape (T, 2)
        The standard deviation of the viewers' ratings, same shapes (``load_liris_accede().std``).

    Returns
    -------
    list of ndarray of shape (T, 4), float64
        Columns valence, arousal, valence_std, arousal_std.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import stack_std
    >>> y = stack_std([np.zeros((3, 2))], [np.full((3, 2), 0.1)])
    >>> y[0].shape, y[0][0]
    ((3, 4), array([0. , 0. , 0.1, 0.1]))
    """
    means = as_targets(y, n_targets=None)
    stds = as_targets(std, [len(m) for m in means], n_targets=means[0].shape[1], name="std")
    return [np.hstack([m, s]) for m, s in zip(means, stds)]


def split_std(y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Mean and std parts of four-column (``(T, 2k)``) targets: the inverse of :func:`stack_std`.

    Parameters
    ----------
    y : sequence of array-like of shape (T, 4)
        Valence, arousal, valence_std, arousal_std per movie.

    Returns
    -------
    means, stds : lists of ndarray of shape (T, 2)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.data import split_std
    >>> means, stds = split_std([np.array([[0.1, -0.2, 0.3, 0.4], [0.2, 0.0, 0.3, 0.5]])])
    >>> means[0], stds[0]
    (array([[ 0.1, -0.2],
           [ 0.2,  0. ]]), array([[0.3, 0.4],
           [0.3, 0.5]]))
    """
    targets = as_targets(y, n_targets=None, with_std=True)
    k = targets[0].shape[1] // 2
    return [t[:, :k] for t in targets], [t[:, k:] for t in targets]
