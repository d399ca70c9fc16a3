"""Synthetic movies and tiny networks shared by the tests of the Keras sequence regressors.

The movies' targets depend on the last ``memory`` seconds of the inputs (a running sum of input
columns, squashed), so that a single second says little and a window or a convolution says much.
The random draws are those of the test modules' former private copies (reference values depend on them).
"""

from __future__ import annotations

import numpy as np

from sklearn_emotion import GRUMoERegressor, TCNRegressor


def running_inputs(n_movies, seed, lengths, memory):
    """``(x, past)`` per movie: ``x`` ``(T, 4)`` random inputs and ``past`` the normalised running
    sum of each column over the last ``memory`` seconds."""
    rng = np.random.RandomState(seed)
    movies = []
    for _ in range(n_movies):
        n = rng.randint(*lengths)
        x = rng.randn(n, 4).astype(np.float32)
        cumulative = np.cumsum(np.vstack([np.zeros((1, 4)), x]), axis=0)
        t = np.arange(n)
        start = np.maximum(t - memory + 1, 0)
        movies.append((x, (cumulative[t + 1] - cumulative[start]) / np.sqrt(t + 1 - start)[:, None]))
    return movies


def as_movie(x, modalities):
    """``x`` as two modalities (``image``: 3 columns, ``audio``: 1) or as one array."""
    return {"image": x[:, :3], "audio": x[:, 3:]} if modalities else x


def make_movies(n_movies, seed, lengths=(120, 200), memory=30, modalities=False, mixed=True):
    """Movies and ``(T, 2)`` targets, ``0.9 tanh`` of the running sums of columns 0 and 1 (``mixed``:
    plus and minus half of columns 2 and 3)."""
    X, Y = [], []
    for x, past in running_inputs(n_movies, seed, lengths, memory):
        drive = np.c_[past[:, 0] + 0.5 * past[:, 2], past[:, 1] - 0.5 * past[:, 3]] if mixed else past[:, :2]
        X.append(as_movie(x, modalities))
        Y.append(0.9 * np.tanh(0.6 * drive))
    return X, Y


def make_std_movies(n_movies, seed, lengths=(80, 120), memory=10):
    """Movies whose mean *and* viewers' std depend on the last ``memory`` seconds of the inputs.

    Columns 0-1 of the input drive the mean curves, columns 2-3 the std curves.  Returns ``X``
    (two modalities) and four-column ``y`` (valence, arousal, valence_std, arousal_std).
    """
    X, Y = [], []
    for x, past in running_inputs(n_movies, seed, lengths, memory):
        mean = 0.8 * np.tanh(0.6 * past[:, :2])
        std = np.c_[0.25 + 0.15 * np.tanh(past[:, 2]), 0.3 + 0.15 * np.tanh(past[:, 3])]
        X.append(as_movie(x, True))
        Y.append(np.hstack([mean, std]))
    return X, Y


#: A GRU-MoE of a few units and a TCN of a few filters and two levels: each trains in a second or two.
SMALL_GRU = dict(units=8, n_experts=2, epochs=2, batch_size=64, block_size=16, learning_rate=0.01, random_state=0)
SMALL_TCN = dict(filters=8, levels=2, kernel_size=3, epochs=2, crop_length=32, batch_size=4, random_state=0)


def small_gru(**params):
    """``GRUMoERegressor`` of :data:`SMALL_GRU`, ``params`` replacing its values."""
    return GRUMoERegressor(**{**SMALL_GRU, **params})


def small_tcn(**params):
    """``TCNRegressor`` of :data:`SMALL_TCN`, ``params`` replacing its values."""
    return TCNRegressor(**{**SMALL_TCN, **params})
