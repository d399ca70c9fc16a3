"""GRUMoERegressor as a scikit-learn citizen: pipelines, CV, grid search, averaging, persistence, errors."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_emotion import (
    ButterworthSmoother,
    PerSecondRegressor,
    RunAveragingRegressor,
    SmoothedRegressor,
    Windower,
)
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import MEDIAEVAL_SCORING, get_movie_scorer

from sequence_helpers import make_movies, small_gru


@pytest.fixture(scope="module")
def movies():
    return make_movies(8, seed=0, lengths=(40, 80), modalities=True)


@pytest.fixture(scope="module")
def fitted_pipeline(movies):
    X, Y = movies
    pipeline = make_pipeline(Windower(length=10), small_gru())
    return pipeline.fit(X, Y)


@pytest.mark.keras
@pytest.mark.slow
def test_windowed_gru_moe_beats_constant_and_per_second_ridge_on_held_out_movies():
    X, Y = make_movies(12, seed=0)
    X_test, Y_test = make_movies(4, seed=1)
    model = make_pipeline(Windower(length=30), small_gru(units=16, epochs=25, batch_size=128, block_size=32))
    model.fit(X, Y)
    gru = movie_mean_squared_error(Y_test, model.predict(X_test), multioutput="uniform_average")
    constant = movie_mean_squared_error(Y_test, [np.zeros_like(y) + np.mean(np.vstack(Y), 0) for y in Y_test],
                                        multioutput="uniform_average")
    ridge = movie_mean_squared_error(Y_test, PerSecondRegressor(Ridge()).fit(X, Y).predict(X_test),
                                     multioutput="uniform_average")
    print(f"held-out MSE: GRU-MoE {gru:.4f}, constant {constant:.4f}, per-second Ridge {ridge:.4f}")
    assert gru < 0.5 * constant
    assert gru < 0.5 * ridge


@pytest.mark.keras
@pytest.mark.slow
def test_cross_val_score_of_the_paper_pipeline_with_the_package_scorers(movies):
    X, Y = movies
    pipeline = make_pipeline(
        Windower(length=10), SmoothedRegressor(small_gru(), ButterworthSmoother())
    )
    scores = cross_val_score(pipeline, X, Y, cv=KFold(2), scoring=get_movie_scorer("neg_mse"))
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores <= 0)
    results = cross_validate(pipeline, X, Y, cv=KFold(2), scoring=MEDIAEVAL_SCORING)
    for name in MEDIAEVAL_SCORING:
        assert np.all(np.isfinite(results[f"test_{name}"])), name


@pytest.mark.keras
@pytest.mark.slow
def test_grid_search_over_window_length_and_units(movies):
    X, Y = movies
    pipeline = make_pipeline(Windower(), small_gru(epochs=1))
    search = GridSearchCV(
        pipeline,
        {"windower__length": [10, 30, 60], "grumoeregressor__units": [4, 8]},
        cv=KFold(2), scoring=get_movie_scorer("neg_mse"),
    )
    search.fit(X, Y)
    assert len(search.cv_results_["params"]) == 6
    assert search.best_params_["windower__length"] in (10, 30, 60)
    predictions = search.predict(X[:2])
    assert [p.shape for p in predictions] == [y.shape for y in Y[:2]]


@pytest.mark.keras
@pytest.mark.slow
def test_run_averaging_over_three_seeds(movies):
    X, Y = movies
    windows = Windower(length=10).fit_transform(X)
    runs = RunAveragingRegressor.from_seeds(small_gru(), n_runs=3, random_state=0).fit(windows, Y)
    per_run = runs.predict_runs(windows)
    assert len(per_run) == 3
    assert not np.allclose(per_run[0][0], per_run[1][0])      # different seeds, different runs
    for movie in range(len(X)):
        np.testing.assert_allclose(
            runs.predict(windows)[movie], np.mean([run[movie] for run in per_run], axis=0), rtol=1e-6
        )


def test_clone_get_set_params():
    model = small_gru(units={"image": 8, "audio": 4}, n_layers={"image": 2, "audio": 1})
    params = model.get_params()
    assert params["units"] == {"image": 8, "audio": 4}
    copy = clone(model).set_params(rnn="lstm", dropout=0.5)
    assert copy.get_params()["rnn"] == "lstm" and model.rnn == "gru"
    assert copy.get_params()["units"] is not model.units or copy.units == model.units


def test_pickle_and_joblib_round_trips_predict_identically(fitted_pipeline, movies, tmp_path):
    X, _ = movies
    expected = fitted_pipeline.predict(X)
    restored = pickle.loads(pickle.dumps(fitted_pipeline))
    for a, b in zip(expected, restored.predict(X)):
        np.testing.assert_array_equal(a, b)
    path = tmp_path / "model.joblib"
    joblib.dump(fitted_pipeline, path)
    for a, b in zip(expected, joblib.load(path).predict(X)):
        np.testing.assert_array_equal(a, b)
    fitted_pipeline[-1].save(tmp_path / "gru.joblib")
    regressor = joblib.load(tmp_path / "gru.joblib")
    windows = fitted_pipeline[0].transform(X)
    for a, b in zip(expected, regressor.predict(windows)):
        np.testing.assert_array_equal(a, b)


def test_random_state_gives_identical_results_twice(fitted_pipeline, movies):
    X, Y = movies
    again = clone(fitted_pipeline).fit(X, Y)
    for a, b in zip(fitted_pipeline.predict(X), again.predict(X)):
        np.testing.assert_array_equal(a, b)
    assert fitted_pipeline[-1].history_ == again[-1].history_
    other_seed = clone(fitted_pipeline).set_params(grumoeregressor__random_state=1).fit(X, Y)
    assert not np.allclose(fitted_pipeline.predict(X)[0], other_seed.predict(X)[0])


def test_every_second_gets_a_prediction_and_nan_targets_are_ignored(movies):
    X, Y = movies
    Y = [y.copy() for y in Y]
    Y[0][:20] = np.nan        # unannotated seconds
    Y[1][5:9, 1] = np.nan     # only arousal missing
    model = make_pipeline(Windower(length=60), small_gru(rnn="lstm", n_layers=2)).fit(X, Y)
    predictions = model.predict(X)
    assert [p.shape for p in predictions] == [(len(y), 2) for y in Y]
    assert all(np.all(np.isfinite(p)) and np.all(np.abs(p) <= 1) for p in predictions)
    assert np.all(np.isfinite(model[-1].history_["loss"]))
    assert model[-1].n_epochs_ == 2        # every epoch ran (none cut short by a changing batch count)


@pytest.mark.keras
def test_batch_statistics_at_inference_change_predictions_not_training(movies):
    X, Y = movies
    windows = Windower(length=10).fit_transform(X)
    population = small_gru(batch_norm=True, dropout=0.2).fit(windows, Y)
    batch = small_gru(batch_norm=True, dropout=0.2, batch_norm_inference="batch").fit(windows, Y)
    for a, b in zip(population.network_.get_weights(), batch.network_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(population.predict(windows)[0], batch.predict(windows)[0])


@pytest.mark.keras
def test_plain_window_arrays_with_named_modalities():
    rng = np.random.RandomState(0)
    windows = rng.randn(200, 5, 6).astype(np.float32)
    y = np.tanh(windows[:, :, :2].mean(axis=1))
    model = small_gru(modalities={"image": 4, "audio": 2}).fit(windows, y)
    assert model.modalities_ == [("image", 4), ("audio", 2)] and model.n_features_in_ == 6
    assert model.predict(windows).shape == (200, 2)
    with pytest.raises(ValueError, match="describe 5 columns but X has 6"):
        small_gru(modalities={"image": 3, "audio": 2}).fit(windows, y)


# ------------------------------------------------------------------ bad input
def test_errors_name_the_movie_and_the_shapes(movies, fitted_pipeline):
    X, Y = movies
    windows = Windower(length=10).fit_transform(X)
    model = small_gru()
    with pytest.raises(ValueError, match=r"y\[0\] must have shape \(T, k\)|y\[0\] must have shape"):
        model.fit(windows, [np.zeros((len(y), 2, 1)) for y in Y])
    bad = [y.copy() for y in Y]
    bad[3] = bad[3][:-1]
    with pytest.raises(ValueError, match=r"movie 3: X has \d+ seconds but y\[3\] has \d+ rows"):
        model.fit(windows, bad)
    with pytest.raises(ValueError, match="X has 8 movies but y has 7"):
        model.fit(windows, Y[:7])
    out_of_range = [y * 3 for y in Y]
    with pytest.raises(ValueError, match=r"y\[0\] has value .* outside target_range"):
        model.fit(windows, out_of_range)

    nan_features = [dict(m) for m in X]
    nan_features[2] = {"image": X[2]["image"].copy(), "audio": X[2]["audio"]}
    nan_features[2]["image"][4, 1] = np.nan
    with pytest.raises(ValueError, match=r"X\[2\]\['image'\].*NaN.*second 4, column 1"):
        Windower(length=10).fit_transform(nan_features)

    uneven = [dict(m) for m in X]
    uneven[1] = {"image": X[1]["image"], "audio": X[1]["audio"][:-3]}
    with pytest.raises(ValueError, match=r"X\[1\]: modalities have different numbers of seconds"):
        Windower(length=10).fit_transform(uneven)

    with pytest.raises(ValueError, match=r"movie 0 has \d+ seconds .* shorter than the 500-s window"):
        Windower(length=500, short_movies="error").fit_transform(X)

    missing = [{"image": m["image"]} for m in X]
    with pytest.raises(ValueError, match=r"X\[0\]: modalities \['image'\] do not match.*missing \['audio'\]"):
        fitted_pipeline.predict(missing)
    wider = [dict(m) for m in X]
    wider[2] = {"image": np.hstack([X[2]["image"], X[2]["image"][:, :1]]), "audio": X[2]["audio"]}
    with pytest.raises(ValueError, match=r"movie 2, modality .image.: 4 features .* model expects 3"):
        small_gru().fit(Windower(length=10).fit_transform(wider), Y)
    with pytest.raises(NotFittedError):
        small_gru().predict(windows)
    with pytest.raises(TypeError, match="put a Windower before it"):
        small_gru().fit(X, Y)
    with pytest.raises(ValueError, match="fitted on 10-s windows"):
        fitted_pipeline[-1].predict(Windower(length=30).fit_transform(X))
