"""TCNRegressor: learns what a per-second model cannot, causal option, padding, scikit-learn tooling, persistence."""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_emotion import (
    ButterworthSmoother,
    MovieStandardScaler,
    PerSecondRegressor,
    RunAveragingRegressor,
    SmoothedRegressor,
    TCNRegressor,
    Windower,
)
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import get_movie_scorer

import sequence_helpers
from sequence_helpers import small_tcn

REPO_DIR = Path(__file__).resolve().parents[1]


def make_movies(n_movies, seed, lengths=(60, 120), memory=20, modalities=True):
    """Movies whose targets are a squashed running sum of two input columns over the past ``memory`` s."""
    return sequence_helpers.make_movies(n_movies, seed, lengths, memory, modalities, mixed=False)


def mse(y, predictions):
    return float(movie_mean_squared_error(y, predictions, multioutput="uniform_average"))


@pytest.fixture(scope="module")
def movies():
    return make_movies(6, seed=0)


@pytest.fixture(scope="module")
def fitted(movies):
    return small_tcn().fit(*movies)


# ------------------------------------------------------------------ it learns
@pytest.mark.keras
@pytest.mark.slow
def test_defaults_beat_per_second_ridge_twice_on_held_out_lagged_movies(shared_data):
    # The criterion: the 30 real LIRIS-ACCEDE curves cropped to at most 600 s, features carrying
    # the emotion 20 s later with strong noise; one GroupKFold(5) fold held out by source movie.
    from sklearn_emotion.datasets import make_lagged_movies

    X, y, groups = make_lagged_movies(30, max_seconds=600, root=shared_data / "liris-accede-continuous",
                                      random_state=0)
    train, test = next(GroupKFold(5).split(X, y, groups))
    X_train, y_train = [X[i] for i in train], [y[i] for i in train]
    X_test, y_test = [X[i] for i in test], [y[i] for i in test]
    ridge = make_pipeline(MovieStandardScaler(), PerSecondRegressor(RidgeCV(alphas=np.logspace(-2, 5, 15))))
    baseline = mse(y_test, ridge.fit(X_train, y_train).predict(X_test))
    scores = {}
    for causal in (False, True):
        model = make_pipeline(MovieStandardScaler(), TCNRegressor(causal=causal, random_state=0))
        scores[causal] = mse(y_test, model.fit(X_train, y_train).predict(X_test))
    print(f"held-out MSE: TCN {scores[False]:.4f}, causal TCN {scores[True]:.4f}, per-second Ridge {baseline:.4f}")
    assert scores[False] < 0.5 * baseline
    assert scores[True] < 0.5 * baseline


def test_untrained_network_starts_at_the_training_mean(movies):
    X, Y = movies
    Y = [0.5 + 0.1 * y for y in Y]
    model = small_tcn(epochs=1, learning_rate=1e-9, early_stopping=False).fit(X, Y)
    predicted = np.concatenate(model.predict(X))
    assert np.abs(predicted.mean(axis=0) - np.concatenate(Y).mean(axis=0)).max() < 0.05


# ------------------------------------------------------------------ the network
def _network(causal, levels=2, kernel_size=3, skip_connections=True, seed=0):
    from sklearn_emotion.tcn.network import TCNNetwork

    network = TCNNetwork(3, 2, [16] * levels, kernel_size, causal, dropout=0.0, l2=0.0, seed=seed, projection=8,
                         skip_connections=skip_connections)
    network.build_for_inputs()
    return network


def _outputs(network, features, length=None):
    from sklearn_emotion.tcn.batches import movie_inputs, padded_length

    length = length or padded_length(max(len(f) for f in features), network.pooling_factor)
    return np.asarray(network(movie_inputs(features, length), training=False))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("levels, kernel_size, skip_connections", [(1, 3, True), (2, 4, True), (3, 5, False)])
def test_receptive_field_is_what_the_formula_says(causal, levels, kernel_size, skip_connections):
    from sklearn_emotion.tcn.network import receptive_field

    network = _network(causal, levels, kernel_size, skip_connections)
    x = np.random.RandomState(0).randn(256, 3).astype(np.float32)
    base = _outputs(network, [x])[0]
    past = future = 0
    for second in range(100, 100 + 2 ** levels):  # every position within a pooling block
        moved = x.copy()
        moved[second] += 5.0
        changed = np.flatnonzero(np.abs(_outputs(network, [moved])[0] - base).max(axis=1) > 0)
        past, future = max(past, changed.max() - second), max(future, second - changed.min())
    assert (past, future) == receptive_field(levels, kernel_size, causal)
    assert (future == 0) == causal


def test_causal_outputs_never_see_the_future():
    x = np.random.RandomState(1).randn(101, 3).astype(np.float32)
    changed_future = x.copy()
    changed_future[60:] = np.random.RandomState(2).randn(41, 3)
    causal, acausal = _network(True, levels=3), _network(False, levels=3)
    np.testing.assert_array_equal(_outputs(causal, [x])[0, :60], _outputs(causal, [changed_future])[0, :60])
    assert not np.allclose(_outputs(acausal, [x])[0, :60], _outputs(acausal, [changed_future])[0, :60])


def test_causal_outputs_see_the_present_through_the_skip_connections():
    x = np.random.RandomState(1).randn(64, 3).astype(np.float32)
    for skip_connections, sees_present in ((True, True), (False, False)):
        network = _network(True, levels=2, skip_connections=skip_connections)
        base = _outputs(network, [x])[0]
        seen = []
        for second in range(40, 44):  # the four positions of a pooling block
            moved = x.copy()
            moved[second] += 5.0
            seen.append(not np.allclose(_outputs(network, [moved])[0, second], base[second]))
        assert all(seen) == sees_present


@pytest.mark.parametrize("causal", [False, True])
def test_padding_does_not_change_a_movies_predictions(causal):
    network = _network(causal, levels=3)
    rng = np.random.RandomState(0)
    short, long = rng.randn(37, 3).astype(np.float32), rng.randn(150, 3).astype(np.float32)
    alone = _outputs(network, [short])[0, :37]                       # padded to 40
    in_batch = _outputs(network, [long, short])[1, :37]              # padded to 152
    far = _outputs(network, [short], length=400)[0, :37]
    np.testing.assert_allclose(alone, in_batch, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone, far, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ fit and predict
def test_any_movie_length_and_nan_targets(movies):
    X, Y = movies
    Y = [y.copy() for y in Y]
    Y[0][:20] = np.nan       # unannotated seconds
    Y[1][5:9, 1] = np.nan    # only arousal missing
    model = small_tcn().fit(X, Y)
    assert np.all(np.isfinite(model.history_["loss"])) and model.n_epochs_ == 2
    assert model.crop_length_ == 32 and model.modalities_ == [("image", 3), ("audio", 1)]
    rng = np.random.RandomState(3)
    new = [{"image": rng.randn(n, 3), "audio": rng.randn(n, 1)} for n in (1, 7, 333)]
    predictions = model.predict(new)
    assert [p.shape for p in predictions] == [(1, 2), (7, 2), (333, 2)]
    assert all(np.all(np.isfinite(p)) and np.all(np.abs(p) <= 1) for p in predictions)
    # a movie predicted alone or with others: the same curve
    np.testing.assert_allclose(model.predict(new[1:2])[0], predictions[1], rtol=1e-6)


def test_a_single_array_is_one_movie(movies):
    X, Y = make_movies(1, seed=4, modalities=False)
    model = small_tcn(target_range="auto").fit(X[0], Y[0][:, 0])
    assert model.predict(X[0]).shape == (len(X[0]),)
    assert model.n_features_in_ == 4 and model.stopping_ == "loss"
    np.testing.assert_allclose(model.predict(X[0]), model.predict([X[0]])[0][:, 0])


def test_random_state_reproducible_without_global_state(movies, fitted):
    X, Y = movies
    state, python_state = np.random.get_state()[1].copy(), random.getstate()
    again = clone(fitted).fit(X, Y)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert random.getstate() == python_state
    for a, b in zip(fitted.predict(X), again.predict(X)):
        np.testing.assert_array_equal(a, b)
    assert fitted.history_ == again.history_
    other = clone(fitted).set_params(random_state=1).fit(X, Y)
    assert not np.allclose(fitted.predict(X)[0], other.predict(X)[0])


def test_auto_early_stopping_holds_out_movies_only_when_there_are_enough():
    X, Y = make_movies(15, seed=5, lengths=(40, 60))
    model = small_tcn(epochs=2).fit(X, Y)
    assert model.validation_size_ == 3 and model.stopping_ == "val_loss" and "val_loss" in model.history_
    assert "the loss of 3 movie(s) held out" in model.stopping_summary_
    model = small_tcn(epochs=2).fit(X[:5], Y[:5])
    assert model.validation_size_ == 0 and model.stopping_ == "loss"
    with pytest.warns(UserWarning, match="1 held-out movie"):
        small_tcn(epochs=1, early_stopping=True).fit(X[:5], Y[:5])


# ------------------------------------------------------------------ scikit-learn tooling
@pytest.mark.keras
def test_pipeline_cross_val_score_and_grid_search(movies):
    X, Y = movies
    pipeline = make_pipeline(MovieStandardScaler(), SmoothedRegressor(small_tcn(epochs=1), ButterworthSmoother()))
    scores = cross_val_score(pipeline, X, Y, cv=KFold(2), scoring=get_movie_scorer("neg_mse"))
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores <= 0)
    search = GridSearchCV(make_pipeline(MovieStandardScaler(), small_tcn(epochs=1)),
                          {"tcnregressor__causal": [False, True]}, cv=KFold(2)).fit(X, Y)
    assert len(search.cv_results_["params"]) == 2
    assert [p.shape for p in search.predict(X[:2])] == [y.shape for y in Y[:2]]


@pytest.mark.keras
def test_run_averaging_over_seeds(movies):
    X, Y = movies
    runs = RunAveragingRegressor.from_seeds(small_tcn(epochs=1), n_runs=2, random_state=0).fit(X, Y)
    per_run = runs.predict_runs(X)
    assert not np.allclose(per_run[0][0], per_run[1][0])
    np.testing.assert_allclose(runs.predict(X)[0], (per_run[0][0] + per_run[1][0]) / 2, rtol=1e-6)


def test_pickle_joblib_save_and_model_files_predict_identically(fitted, movies, tmp_path):
    X, _ = movies
    expected = fitted.predict(X)
    restored = [pickle.loads(pickle.dumps(fitted))]
    joblib.dump(fitted, tmp_path / "model.joblib")
    fitted.save(tmp_path / "tcn.joblib")
    restored += [joblib.load(tmp_path / "model.joblib"), joblib.load(tmp_path / "tcn.joblib")]
    from sklearn_emotion import persistence

    assert "sklearn_emotion.tcn.estimator.TCNRegressor" in persistence.PACKAGE_TYPES  # model files may hold it
    persistence.save_model(tmp_path / "m.skops", persistence.SavedModel(fitted, {"image": 3, "audio": 1}))
    restored.append(persistence.load_model(tmp_path / "m.skops").estimator)
    for model in restored:
        for a, b in zip(expected, model.predict(X)):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ errors
def test_errors_say_what_is_wrong(movies, fitted):
    X, Y = movies
    with pytest.raises(TypeError, match="remove the Windower"):
        small_tcn().fit(Windower(length=10).fit_transform(X), Y)
    with pytest.raises(ValueError, match="X\\[0\\] has shape \\(4,\\)"):
        small_tcn().fit([[0.0, 1.0, 2.0, 3.0]] * 5, np.zeros(5))
    with pytest.raises(ValueError, match="filters="):
        small_tcn(filters=(4, 8, 16)).fit(X, Y)
    with pytest.raises(ValueError, match="outside target_range"):
        small_tcn().fit(X, [3 * y for y in Y])
    with pytest.raises(ValueError, match="modality 'image': 2 features"):
        fitted.predict([{"image": np.zeros((10, 2)), "audio": np.zeros((10, 1))}])
    with pytest.raises(TypeError, match="not a single array"):
        fitted.predict(np.zeros((10, 4)))
    with pytest.raises(ValueError, match="Every target is NaN"):
        small_tcn().fit(X[:2], [np.full_like(y, np.nan) for y in Y[:2]])


@pytest.mark.keras
@pytest.mark.slow
def test_learns_a_running_sum_that_a_per_second_model_cannot_see():
    # Targets integrate the last 20 s of two input columns: one second says almost nothing about them.
    X, Y = make_movies(8, seed=6, modalities=False)
    X_test, Y_test = make_movies(3, seed=7, modalities=False)
    ridge = mse(Y_test, PerSecondRegressor(Ridge()).fit(X, Y).predict(X_test))
    model = TCNRegressor(levels=2, random_state=0).fit(X, Y)   # defaults otherwise (measured: 0.083 vs 0.19)
    assert mse(Y_test, model.predict(X_test)) < 0.6 * ridge


# ------------------------------------------------------------------ the comparison script
@pytest.mark.subprocess
@pytest.mark.slow
def test_compare_models_example_prints_the_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, str(REPO_DIR / "examples" / "compare_models.py"), "--tiny", "--skip-demo"],
        capture_output=True, text=True, env=env, timeout=400,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    names = {line.split("|")[1].strip() for line in rows if not line.startswith("| model ")}
    assert {"per-second Ridge", "GRU, 5 s", "GRU, 10 s", "LSTM, 5 s", "LSTM, 10 s", "TCN", "TCN, causal"} == names
    assert result.stdout.count("Best held-out MSE") == 2     # the grid and the criterion's folds
