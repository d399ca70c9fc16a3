"""make_lagged_movies: real LIRIS-ACCEDE curves, features that precede them by ``lag`` seconds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

from sklearn_emotion import make_lagged_movies
from sklearn_emotion.datasets import load_liris_accede


@pytest.fixture(scope="module")
def liris_root(shared_data):
    return shared_data / "liris-accede-continuous"


def test_crops_are_real_curves_of_bounded_length(liris_root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves = load_liris_accede(liris_root).y
    X, y, groups = make_lagged_movies(8, max_seconds=300, root=liris_root, random_state=0)
    assert len(X) == len(y) == len(groups) == 8
    assert len(set(groups.tolist())) == 8                       # round-robin: 8 different movies
    for movie, target, source in zip(X, y, groups):
        assert set(movie) == {"image", "audio"}
        assert movie["image"].shape == (len(target), 32) and movie["audio"].shape == (len(target), 8)
        assert movie["image"].dtype == np.float32
        assert 60 <= len(target) <= 300
        curve = curves[source]                                   # the crop is a piece of the real curve
        start = [s for s in range(len(curve) - len(target) + 1)
                 if np.array_equal(curve[s:s + len(target)], target)]
        assert start and start[0] + len(target) + 20 <= len(curve)


def test_features_carry_the_emotion_lag_seconds_later(liris_root):
    from sklearn.linear_model import LinearRegression

    X, y, _ = make_lagged_movies(10, lag=20, noise=0.3, root=liris_root, random_state=1)
    lag = 20

    def fit_score(shift):
        features = np.concatenate([m["image"][:len(t) - shift] for m, t in zip(X, y)])
        targets = np.concatenate([t[shift:] for t in y])
        return LinearRegression().fit(features, targets).score(features, targets)

    assert fit_score(lag) > 0.9 > fit_score(0)                  # x[t] tells y[t + lag], not y[t]


def test_same_seed_same_corpus_other_seed_other_mixing(liris_root):
    a = make_lagged_movies(3, root=liris_root, random_state=0)
    b = make_lagged_movies(3, root=liris_root, random_state=0)
    c = make_lagged_movies(3, root=liris_root, random_state=1)
    assert all(np.array_equal(p["image"], q["image"]) for p, q in zip(a[0], b[0]))
    assert not np.array_equal(a[0][0]["image"][:10], c[0][0]["image"][:10])


def test_many_crops_keep_their_source_together(liris_root):
    X, y, groups = make_lagged_movies(40, max_seconds=300, root=liris_root, random_state=0,
                                      modalities={"audio": 4})
    assert len(X) == 40 and len(set(groups.tolist())) < 40      # long movies give several crops
    for train, test in GroupKFold(5).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])


def test_errors(liris_root):
    with pytest.raises(ValueError, match="only .* crops"):
        make_lagged_movies(500, max_seconds=300, root=liris_root)
    with pytest.raises(ValueError, match="min_seconds"):
        make_lagged_movies(2, max_seconds=50, min_seconds=60, root=liris_root)
    with pytest.raises(ValueError, match="n_movies"):
        make_lagged_movies(0, root=liris_root)


def test_random_state_none_leaves_numpy_global_state_alone(liris_root):
    before = np.random.get_state()[1].copy()
    make_lagged_movies(2, root=liris_root, random_state=None)
    assert np.array_equal(before, np.random.get_state()[1])


def test_with_std_carries_the_real_viewers_std_lag_seconds_later(liris_root):
    from sklearn.linear_model import LinearRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = load_liris_accede(liris_root)
    X, y, groups = make_lagged_movies(10, lag=20, noise=0.3, with_std=True, root=liris_root, random_state=1)
    X2, y2, groups2 = make_lagged_movies(10, lag=20, noise=0.3, root=liris_root, random_state=1)
    assert np.array_equal(groups, groups2)
    for target, mean_only, source in zip(y, y2, groups):
        assert target.shape == (len(mean_only), 4)
        np.testing.assert_array_equal(target[:, :2], mean_only)         # the same crops as without std
        curve, std = real.y[source], real.std[source]
        start = [s for s in range(len(curve) - len(target) + 1) if np.array_equal(curve[s:s + len(target)], mean_only)]
        np.testing.assert_array_equal(target[:, 2:], std[start[0]:start[0] + len(target)])  # the real std
    assert not np.array_equal(X[0]["image"], X2[0]["image"])            # the features now carry the std too

    def fit_score(shift, columns):
        features = np.concatenate([m["image"][:len(t) - shift] for m, t in zip(X, y)])
        targets = np.concatenate([t[shift:, columns] for t in y])
        return LinearRegression().fit(features, targets).score(features, targets)

    # x[t] tells the std at t + lag (linearly: R² 0.79, the mixing is non-linear), not at t (0.34)
    assert fit_score(20, slice(2, 4)) > 0.7
    assert fit_score(0, slice(2, 4)) < 0.5
    assert fit_score(20, slice(0, 2)) > 0.9                            # and still the mean (0.95)
