"""A small corpus of per-second feature files and their annotations, as ``extract`` and a rater write them.

:func:`make_feature_corpus` writes the two folders the corpus workflows read (``fit``, ``evaluate``,
``cross-validate``, ``predict`` on feature files) in a fraction of a second, with annotations a model
can learn: a noisy linear function of the features.
"""

from __future__ import annotations

import os
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ..files import save_features, write_curves

__all__ = ["make_feature_corpus"]


@validate_params(
    {
        "folder": [str, os.PathLike],
        "n_movies": [Interval(Integral, 1, None, closed="left")],
        "seconds": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def make_feature_corpus(folder: str | os.PathLike, n_movies: int = 4, *, seconds: int = 30, n_features: int = 3,
                        random_state: int | None = 0) -> tuple[Path, Path]:
    """Write per-second image features and valence/arousal annotations of ``n_movies`` movies.

    Movie ``movie_<i>`` gets ``folder/features/movie_<i>.npz`` (written by
    :func:`~sklearn_emotion.files.save_features`: one ``"image"`` modality of shape
    ``(seconds, n_features)``, standard normal) and ``folder/annotations/movie_<i>.csv`` (written by
    :func:`~sklearn_emotion.files.write_curves`): valence and arousal equal to 0.3 times the first two
    features plus Gaussian noise of standard deviation 0.05, clipped to [-1, 1], so that a per-second
    model learns them almost exactly.

    Parameters
    ----------
    folder : str or path-like
        Where the two folders go (created if needed).
    n_movies : int, default=4
        Number of movies.
    seconds : int, default=30
        Length of every movie, in seconds.
    n_features : int, default=3
        Dimension of the image features (at least 2: the annotations come from the first two).
    random_state : int or None, default=0
        Seed of the features and noise; None gives a new corpus at every call.

    Returns
    -------
    features : Path
        ``folder/features``.
    annotations : Path
        ``folder/annotations``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_feature_corpus
    >>> from sklearn_emotion.files import load_features, read_curves
    >>> features, annotations = make_feature_corpus(tempfile.mkdtemp(), n_movies=2, seconds=5)
    >>> sorted(path.name for path in features.iterdir()), sorted(path.name for path in annotations.iterdir())
    (['movie_0.npz', 'movie_1.npz'], ['movie_0.csv', 'movie_1.csv'])
    >>> load_features(features / "movie_0.npz")["image"].shape, read_curves(annotations / "movie_0.csv").shape
    ((5, 3), (5, 2))
    """
    root = Path(folder)
    features, annotations = root / "features", root / "annotations"
    rng = np.random.default_rng(random_state)
    for index in range(n_movies):
        image = rng.normal(size=(seconds, n_features))
        curves = np.clip(0.3 * image[:, :2] + rng.normal(scale=0.05, size=(seconds, 2)), -1, 1)
        save_features(features / f"movie_{index}.npz", {"image": image})
        write_curves(annotations / f"movie_{index}.csv", curves)
    return features, annotations
