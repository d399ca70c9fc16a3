"""modality_contributions: exact Shapley values of the modalities, per second (issue 22)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline

from sklearn_emotion import PerSecondRegressor, SmoothedRegressor, make_baseline_pipeline
from sklearn_emotion.inspection import MAX_MODALITIES, modality_contributions
from sklearn_emotion.preprocessing import MovieStandardScaler
from sklearn_emotion.smoothing import ButterworthSmoother


def three_modality_movies(n_movies=5, seed=0, lengths=(40, 70)):
    """Movies of image (3), audio (2) and face (4) float32 features; valence driven by image and face
    (with an interaction), arousal by audio."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n_movies):
        n = int(rng.integers(*lengths))
        # float32, as the models read them: expected values computed here see the same inputs.
        movie = {name: rng.normal(size=(n, width)).astype(np.float32)
                 for name, width in (("image", 3), ("audio", 2), ("face", 4))}
        valence = np.tanh(0.8 * movie["image"][:, 0] + 0.5 * movie["face"][:, 1] * movie["image"][:, 1])
        arousal = np.tanh(0.9 * movie["audio"][:, 0] - 0.2 * movie["face"][:, 0])
        X.append(movie)
        y.append(np.c_[valence, arousal])
    return X, y


def assert_efficiency(result, model, X, atol=1e-10):
    """The contributions of every second sum to the prediction minus the all-absent prediction."""
    predicted = model.predict(X)
    for i, (contributions, absent) in enumerate(zip(result.contributions, result.baseline_prediction)):
        np.testing.assert_allclose(contributions.sum(axis=1), predicted[i] - absent, atol=atol,
                                   err_msg=f"movie {i}")
        np.testing.assert_allclose(result.prediction[i], predicted[i], atol=atol)


def brute_force_shapley(model, movie, baseline, names):
    """Shapley values from the permutation definition (average marginal gain over the M! orders)."""
    def value(present):
        variant = {name: movie[name] if name in present
                   else np.tile(baseline[name].astype(np.float32), (len(movie[name]), 1))
                   for name in names}
        return model.predict([variant])[0]

    phi = {name: 0.0 for name in names}
    orders = list(itertools.permutations(names))
    for order in orders:
        present = set()
        for name in order:
            before = value(present)
            present.add(name)
            phi[name] = phi[name] + (value(present) - before) / len(orders)
    return np.stack([phi[name] for name in names], axis=1)


def test_efficiency_identity_per_second_ridge():
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    result = modality_contributions(model, X)
    assert result.modalities == ["image", "audio", "face"]
    assert [c.shape for c in result.contributions] == [(len(m["image"]), 3, 2) for m in X]
    assert all(c.dtype == np.float64 for c in result.contributions)
    assert_efficiency(result, model, X)
    # The all-absent prediction is the prediction of the baseline movie: constant over the seconds.
    assert np.ptp(result.baseline_prediction[0], axis=0).max() < 1e-12


def test_matches_the_permutation_definition_on_a_nonlinear_model():
    """Not only efficiency: each value is the average marginal gain over the orders of the modalities
    (a nonlinear per-second model with interactions between modalities)."""
    from sklearn.neural_network import MLPRegressor

    X, y = three_modality_movies(n_movies=3)
    model = PerSecondRegressor(MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0)).fit(X, y)
    result = modality_contributions(model, X[:1])
    expected = brute_force_shapley(model, X[0], result.baseline, result.modalities)
    np.testing.assert_allclose(result.contributions[0], expected, atol=1e-6)  # float32 predictions
    assert np.abs(expected).max() > 0.01  # the check is not between zeros


def test_linear_model_contribution_is_the_modalitys_own_term():
    """For a model linear in the features, modality m's value is exactly coef_m . (x_m - baseline_m)."""
    X, y = three_modality_movies()
    model = PerSecondRegressor(LinearRegression()).fit(X, y)
    result = modality_contributions(model, X[:2])
    coef = model.estimator_.coef_  # (2, 9): image 0-2, audio 3-4, face 5-8
    columns = {"image": slice(0, 3), "audio": slice(3, 5), "face": slice(5, 9)}
    for movie, contributions in zip(X[:2], result.contributions):
        for j, name in enumerate(result.modalities):
            absent = result.baseline[name].astype(np.float32)  # the models read float32 features
            expected = (movie[name] - absent.astype(np.float64)) @ coef[:, columns[name]].T
            np.testing.assert_allclose(contributions[:, j], expected, atol=1e-6)


def test_default_baseline_is_the_training_seconds_mean():
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    result = modality_contributions(model, X[:1])
    for name in result.modalities:
        every_second = np.concatenate([movie[name] for movie in X])  # each second weighted equally
        np.testing.assert_allclose(result.baseline[name], every_second.mean(axis=0), rtol=1e-6, atol=1e-7)


def test_too_many_modalities_refused():
    rng = np.random.default_rng(0)
    names = [f"m{i}" for i in range(MAX_MODALITIES + 1)]
    X = [{name: rng.normal(size=(20, 1)) for name in names} for _ in range(2)]
    y = [rng.normal(size=(20, 2)) for _ in range(2)]
    model = PerSecondRegressor(Ridge()).fit(X, y)
    with pytest.raises(ValueError, match=r"7 modalities .* 2\*\*7 = 128 predictions .* at most 6"):
        modality_contributions(model, X)
