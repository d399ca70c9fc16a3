"""Semi-synthetic corpora: real LIRIS-ACCEDE emotion curves, features that precede them in time.

Real annotated movies are few and their features heavy; a model's ability to *learn* (to use the
past, to beat the per-second baseline, to beat the constant) is best checked on data whose answer is
known.  :func:`make_lagged_movies` keeps the real part that matters most - the viewers' curves, with
their true smoothness, range and length - and makes the content synthetic: the features at second
``t`` carry the emotion felt at ``t + lag``, the way a scene precedes the feeling it builds.  With
``with_std=True`` they also carry how much the viewers disagreed at ``t + lag`` (the real standard
deviation of the LIRIS-ACCEDE ratings), and the targets have four columns.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ..base import private_random_state
from ._common import AnnotationLengthWarning
from .liris_accede import load_liris_accede

__all__ = ["make_lagged_movies"]

#: Hidden units of the non-linear mixing from the two emotion values to each modality's features.
_MIXING_UNITS = 16
#: Scale of the mixing's first layer: emotion values in [-1, 1] reach the non-linear part of tanh.
_MIXING_GAIN = 2.5


def _mixing(n_features: int, rng: np.random.RandomState, n_inputs: int = 2):
    """A fixed random two-layer map from ``(n, n_inputs)`` emotion values to ``(n, n_features)`` features."""
    first = rng.normal(scale=_MIXING_GAIN, size=(n_inputs, _MIXING_UNITS))
    bias = rng.uniform(-1.0, 1.0, size=_MIXING_UNITS)
    second = rng.normal(size=(_MIXING_UNITS, n_features))
    return lambda emotion: np.tanh(emotion @ first + bias) @ second


def _crop_plan(lengths: np.ndarray, n_movies: int, max_seconds: int, min_seconds: int, lag: int,
               rng: np.random.RandomState) -> list[tuple[int, int, int]]:
    """``(source, start, length)`` of each crop: round-robin over the sources in random order."""
    per_source = []
    for source in rng.permutation(len(lengths)):
        usable = int(lengths[source]) - lag          # the last `lag` seconds only feed features
        if usable < min_seconds:
            continue
        offset = rng.randint(0, usable % max_seconds + 1) if usable > max_seconds else 0
        starts = range(offset, usable - min_seconds + 1, max_seconds)
        per_source.append([(int(source), s, min(max_seconds, usable - s)) for s in starts])
    plan = []
    for depth in range(max((len(crops) for crops in per_source), default=0)):
        plan.extend(crops[depth] for crops in per_source if depth < len(crops))
    if len(plan) < n_movies:
        raise ValueError(
            f"The LIRIS-ACCEDE curves give only {len(plan)} crops of {min_seconds}-{max_seconds} s "
            f"(lag {lag} s); n_movies={n_movies} asks for more: lower max_seconds or n_movies."
        )
    return plan[:n_movies]


@validate_params(
    {
        "n_movies": [Interval(Integral, 1, None, closed="left")],
        "max_seconds": [Interval(Integral, 1, None, closed="left")],
        "min_seconds": [Interval(Integral, 1, None, closed="left")],
        "lag": [Interval(Integral, 0, None, closed="left")],
        "modalities": [Mapping, None],
        "noise": [Interval(Real, 0, None, closed="left")],
        "with_std": ["boolean"],
        "root": [str, os.PathLike, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_lagged_movies(
    n_movies: int = 8,
    *,
    max_seconds: int = 300,
    min_seconds: int = 60,
    lag: int = 20,
    modalities: Mapping[str, int] | None = None,
    noise: float = 0.8,
    with_std: bool = False,
    root: str | os.PathLike | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[list[dict[str, np.ndarray]], list[np.ndarray], np.ndarray]:
    """Movies whose features at second ``t`` carry the real LIRIS-ACCEDE emotion at ``t + lag``.

    Each movie is a crop of one of the 30 LIRIS-ACCEDE annotation curves (its real per-second mean
    valence and arousal).  For every modality a fixed random non-linear mixing (``tanh`` layer of
    16 units, then a linear map) turns the emotion at ``t + lag`` into that modality's features at
    ``t``; each clean feature is standardised over the whole collection (zero mean, unit variance)
    and Gaussian noise of standard deviation ``noise`` is added.  A model whose window
    spans more than ``lag`` seconds (``Windower(length=lag + 1)`` or longer) can recover the emotion; a per-second model sees only the future one.

    Crops are taken round-robin over the source movies in random order (a first crop of every
    movie, then a second, ...), so up to 30 crops come from 30 different movies.  ``groups`` names
    the source of each crop: split with ``GroupKFold(...).split(X, y, groups)`` so that crops of
    one movie never fall on both sides of a split.

    Parameters
    ----------
    n_movies : int, default=8
        Number of movies (crops) to return.
    max_seconds : int, default=300
        Longest crop, in seconds; a longer source movie gives several crops.
    min_seconds : int, default=60
        Shortest crop (the tail of a source movie shorter than this is dropped).
    lag : int, default=20
        Seconds by which the content precedes the emotion it carries.
    modalities : mapping str -> int, optional
        Modality names and feature widths; default ``{"image": 32, "audio": 8}``.  Each modality
        has its own mixing and noise.
    noise : float, default=0.8
        Standard deviation of the Gaussian noise added to the standardised features.
    with_std : bool, default=False
        Also carry the viewers' disagreement: the mixing of each modality takes four values at
        ``t + lag``, the mean valence and arousal and their real standard deviations over the
        annotators (each std ``s`` enters as ``2 s - 1``, on the scale of the means: a standard
        deviation of ratings in ``[-1, 1]`` lies in ``[0, 1]``), and ``y`` has four columns.  The
        crops (and so the mean curves) are those of ``with_std=False`` with the same
        ``random_state``; the features differ.
    root : str or path-like, optional
        The LIRIS-ACCEDE annotation folder (see :func:`load_liris_accede`); default
        ``$SKLEARN_EMOTION_DATA/liris-accede-continuous``.  Nothing is downloaded.
    random_state : int, RandomState instance or None, default=None
        Controls the mixing, the order and offsets of the crops and the noise (global random state
        is untouched).

    Returns
    -------
    X : list of dict str -> ndarray of shape (T, d_m)
        float32 features per movie and modality.
    y : list of ndarray of shape (T, 2), or (T, 4) with ``with_std``
        The real mean valence and arousal of the crop, in ``[-1, 1]``; with ``with_std``, then
        their real standard deviations over the annotators.
    groups : ndarray of int of shape (n_movies,)
        Index of each crop's source movie in ``load_liris_accede(root).movies``.

    Raises
    ------
    ValueError
        When the curves cannot give ``n_movies`` crops of at least ``min_seconds``.

    Examples
    --------
    From three 100-s annotated movies written in LIRIS-ACCEDE's format (the real curves are used by
    default):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.model_selection import GroupKFold
    >>> from sklearn_emotion.datasets import make_lagged_movies
    >>> root = Path(tempfile.mkdtemp())
    >>> for movie in ("Sintel", "Decay", "Chatter"):
    ...     for dimension, phase in [("Valence", 0.0), ("Arousal", 1.0)]:
    ...         curve = 0.5 * np.sin(np.arange(100) / 7 + phase + len(movie))
    ...         rows = "".join(f"{t}\\t{value:.4f}\\t0.1\\n" for t, value in enumerate(curve))
    ...         _ = (root / f"{movie}_{dimension}.txt").write_text("Time\\tMean\\tStd\\n" + rows)
    >>> X, y, groups = make_lagged_movies(6, min_seconds=20, max_seconds=30, lag=5, root=root, random_state=0)
    >>> len(X), sorted(X[0]), X[0]["image"].shape[1], X[0]["audio"].shape[1]
    (6, ['audio', 'image'], 32, 8)
    >>> all(len(features["image"]) == len(curves) for features, curves in zip(X, y))
    True
    >>> folds = list(GroupKFold(3).split(X, y, groups))  # crops of one source movie stay together
    >>> len(folds)
    3
    """
    if min_seconds > max_seconds:
        raise ValueError(f"min_seconds={min_seconds} must not exceed max_seconds={max_seconds}.")
    widths = {"image": 32, "audio": 8} if modalities is None else {str(k): int(v) for k, v in modalities.items()}
    if not widths or min(widths.values()) < 1:
        raise ValueError(f"modalities must name at least one modality of width >= 1, got {modalities!r}.")
    rng = private_random_state(random_state)
    with warnings.catch_warnings():
        # Truncating the 9 uneven valence/arousal files to the shorter is right here; the loader says so.
        warnings.simplefilter("ignore", AnnotationLengthWarning)
        corpus = load_liris_accede(root, with_std=with_std)
    curves = corpus.y
    mixings = {name: _mixing(width, rng) for name, width in widths.items()}
    plan = _crop_plan(np.array([len(c) for c in curves]), n_movies, max_seconds, min_seconds, lag, rng)
    if with_std:
        # Drawn after the plan, so that the crops are those of with_std=False with the same seed.
        mixings = {name: _mixing(width, rng, n_inputs=4) for name, width in widths.items()}
        content = [np.hstack([c[:, :2], 2.0 * c[:, 2:] - 1.0]) for c in curves]
    else:
        content = curves
    every_second = np.concatenate(content)
    scales = {}
    for name, mix in mixings.items():
        clean = mix(every_second)
        scales[name] = (clean.mean(axis=0), clean.std(axis=0) + 1e-12)

    X, y = [], []
    for source, start, length in plan:
        curve = curves[source]
        movie = {}
        for name, mix in mixings.items():
            mean, std = scales[name]
            clean = (mix(content[source][start + lag:start + lag + length]) - mean) / std
            movie[name] = (clean + rng.normal(scale=noise, size=clean.shape)).astype(np.float32)
        X.append(movie)
        y.append(curve[start:start + length].copy())
    return X, y, np.array([source for source, _, _ in plan], dtype=int)
