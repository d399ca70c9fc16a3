"""Predicting the viewers' disagreement: GRUMoERegressor(predict_std=True) and ``predict(X, return_std=True)``
through Pipeline, SmoothedRegressor, RunAveragingRegressor, the std scorers and cross-validation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_emotion import (
    ButterworthSmoother,
    GRUMoERegressor,
    RunAveragingRegressor,
    SmoothedRegressor,
    Windower,
)
from sklearn_emotion.data import TARGET_STD_NAMES, as_targets, split_std, stack_std
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import (
    MEDIAEVAL_SCORING,
    STD_SCORING,
    get_movie_scorer,
    predicts_std,
)


def make_movies(n_movies, seed, lengths=(80, 120), memory=10):
    """Movies whose mean *and* viewers' std depend on the last ``memory`` seconds of the inputs.

    Columns 0-1 of the input drive the mean curves, columns 2-3 the std curves: a single second says
    little about either, a window says everything.  Returns ``X`` and four-column ``y``.
    """
    rng = np.random.RandomState(seed)
    X, Y = [], []
    for _ in range(n_movies):
        n = rng.randint(*lengths)
        x = rng.randn(n, 4).astype(np.float32)
        cumulative = np.cumsum(np.vstack([np.zeros((1, 4)), x]), axis=0)
        t = np.arange(n)
        start = np.maximum(t - memory + 1, 0)
        past = (cumulative[t + 1] - cumulative[start]) / np.sqrt(t + 1 - start)[:, None]
        mean = 0.8 * np.tanh(0.6 * past[:, :2])
        std = np.c_[0.25 + 0.15 * np.tanh(past[:, 2]), 0.3 + 0.15 * np.tanh(past[:, 3])]
        X.append({"image": x[:, :3], "audio": x[:, 3:]})
        Y.append(np.hstack([mean, std]))
    return X, Y


def small_gru(**params):
    defaults = dict(units=8, n_experts=2, epochs=2, batch_size=64, block_size=16, learning_rate=0.01,
                    random_state=0)
    defaults.update(params)
    return GRUMoERegressor(**defaults)


@pytest.fixture(scope="module")
def movies():
    return make_movies(6, seed=0, lengths=(30, 50))


@pytest.fixture(scope="module")
def fitted(movies):
    X, Y = movies
    return make_pipeline(Windower(length=8), small_gru(predict_std=True)).fit(X, Y)


# ------------------------------------------------------------------ learning
def test_the_predicted_std_beats_the_constant_std_on_held_out_movies():
    X, Y = make_movies(12, seed=0)
    X_test, Y_test = make_movies(4, seed=1)
    model = make_pipeline(Windower(length=10), small_gru(units=16, epochs=20, learning_rate=3e-3, predict_std=True))
    model.fit(X, Y)
    mean, std = model.predict(X_test, return_std=True)
    _, true_std = split_std(Y_test)
    level = np.mean(np.concatenate(split_std(Y)[1]), axis=0)
    predicted = movie_mean_squared_error(true_std, std, multioutput="uniform_average")
    constant = movie_mean_squared_error(true_std, [np.zeros_like(s) + level for s in true_std],
                                        multioutput="uniform_average")
    print(f"held-out std MSE: GRU-MoE {predicted:.5f}, constant std {constant:.5f}")
    assert predicted < 0.5 * constant
    assert [m.shape for m in mean] == [s.shape for s in std] == [(len(y), 2) for y in Y_test]


def test_predictions_have_the_documented_form(fitted, movies):
    X, Y = movies
    gru = fitted[-1]
    assert gru.n_outputs_ == 2 and gru.std_max_.shape == (2,)
    assert_allclose(gru.std_max_, np.max(np.concatenate(Y)[:, 2:], axis=0))  # the largest training std
    mean, std = fitted.predict(X, return_std=True)
    assert isinstance(mean, list) and isinstance(std, list) and len(mean) == len(std) == len(X)
    for m, s, y in zip(mean, std, Y):
        assert m.shape == s.shape == (len(y), 2)
        assert np.all(s >= 0) and np.all(s <= gru.std_max_)
        assert np.all(np.abs(m) <= 1)
    for a, b in zip(fitted.predict(X), mean):               # without return_std: the mean curves only
        assert_array_equal(a, b)


def test_the_mean_path_is_unchanged_without_predict_std():
    # Reference values printed by the code *before* predict_std existed (same data, same seed): the
    # mean-only model must predict what it predicted then.
    from test_gru_moe import make_movies as make_mean_movies

    X, Y = make_mean_movies(4, seed=3, lengths=(30, 50), modalities=True)
    windows = Windower(length=8).fit_transform(X)
    model = small_gru(units=4, batch_size=32, block_size=8).fit(windows, Y)
    predictions = model.predict(windows)
    assert_allclose(predictions[0][:4], [[0.21398103, -0.22230399], [0.21478868, -0.20924354],
                                         [0.21622658, -0.19701248], [0.23006809, -0.20789176]], atol=2e-6)
    assert_allclose(predictions[3][-2:], [[0.2318188, -0.23886085], [0.22108746, -0.21636224]], atol=2e-6)
    assert not hasattr(model, "std_max_") and model.n_outputs_ == 2
    # predict_std=False spelled out is the default, bit for bit
    explicit = small_gru(units=4, batch_size=32, block_size=8, predict_std=False).fit(windows, Y)
    for a, b in zip(predictions, explicit.predict(windows)):
        assert_array_equal(a, b)


def test_nan_std_values_are_masked(movies):
    X, Y = movies
    Y = [y.copy() for y in Y]
    Y[0][:, 2:] = np.nan          # a movie without std
    Y[1][5:9, 3] = np.nan         # a few seconds without arousal std
    model = make_pipeline(Windower(length=8), small_gru(predict_std=True)).fit(X, Y)
    _, std = model.predict(X, return_std=True)
    assert all(np.all(np.isfinite(s)) for s in std)
    assert np.all(np.isfinite(model[-1].history_["loss"]))


# ------------------------------------------------------------------ errors
def test_return_std_of_a_mean_only_model_is_a_clear_error(movies):
    X, Y = movies
    model = make_pipeline(Windower(length=8), small_gru(epochs=1)).fit(X, [y[:, :2] for y in Y])
    with pytest.raises(ValueError, match="fitted with predict_std=False.*predict_std=True"):
        model.predict(X, return_std=True)
    assert not predicts_std(model)


def test_bad_std_targets_are_refused(movies):
    X, Y = movies
    windows = Windower(length=8).fit_transform(X)
    model = small_gru(predict_std=True, epochs=1)
    with pytest.raises(ValueError, match=r"y\[0\] must have shape \(T, 4\) \(valence, arousal, valence_std"):
        model.fit(windows, [y[:, :2] for y in Y])
    negative = [y.copy() for y in Y]
    negative[2][7, 3] = -0.1
    with pytest.raises(ValueError, match=r"y\[2\]: the standard deviation in column 3 at row 7 is -0.1"):
        model.fit(windows, negative)
    unknown = [y.copy() for y in Y]
    for y in unknown:
        y[:, 2:] = np.nan
    with pytest.raises(ValueError, match="every standard deviation in y is NaN"):
        model.fit(windows, unknown)
    with pytest.raises(ValueError, match="1-D y"):
        small_gru(predict_std=True).fit(np.zeros((20, 3)), np.zeros(20))


# ------------------------------------------------------------------ composition
def test_return_std_through_pipeline_smoothing_and_run_averaging(movies):
    X, Y = movies
    smoothed = make_pipeline(Windower(length=8), SmoothedRegressor(small_gru(predict_std=True), ButterworthSmoother()))
    smoothed.fit(X, Y)
    inner_mean, inner_std = smoothed[-1].regressor_.predict(smoothed[0].transform(X), return_std=True)
    mean, std = smoothed.predict(X, return_std=True)
    smoother = ButterworthSmoother()
    for m, s, im, istd in zip(mean, std, inner_mean, inner_std):
        assert_allclose(m, smoother.smooth(im))
        assert_allclose(s, np.maximum(smoother.smooth(istd), 0.0))
        assert np.all(s >= 0)

    windows = Windower(length=8).fit_transform(X)
    runs = RunAveragingRegressor.from_seeds(small_gru(predict_std=True), n_runs=2, random_state=0).fit(windows, Y)
    mean, std = runs.predict(windows, return_std=True)
    per_run = runs.predict_runs(windows, return_std=True)
    assert not np.allclose(per_run[0][1][0], per_run[1][1][0])
    for movie in range(len(X)):
        assert_allclose(std[movie], np.mean([run_std[movie] for _, run_std in per_run], axis=0))
        assert_allclose(mean[movie], np.mean([run_mean[movie] for run_mean, _ in per_run], axis=0))
    assert predicts_std(runs) and predicts_std(smoothed)


def test_return_std_with_metadata_routing(fitted, movies):
    X, _ = movies
    expected = fitted.predict(X, return_std=True)
    pipeline = pickle.loads(pickle.dumps(fitted))
    with sklearn.config_context(enable_metadata_routing=True):
        pipeline[-1].set_predict_request(return_std=True)  # with routing, the final step asks for it
        _, std = pipeline.predict(X, return_std=True)
    for a, b in zip(std, expected[1]):
        assert_array_equal(a, b)


def test_cross_validation_and_grid_search_with_the_std_scorers(movies):
    X, Y = movies
    pipeline = make_pipeline(Windower(length=8), small_gru(predict_std=True, epochs=1))
    results = cross_validate(pipeline, X, Y, cv=KFold(2), scoring={**MEDIAEVAL_SCORING, **STD_SCORING},
                             error_score="raise")
    for name in (*MEDIAEVAL_SCORING, *STD_SCORING):
        assert np.all(np.isfinite(results[f"test_{name}"])), name
    assert np.all(results["test_neg_valence_std_mse"] < 0)
    search = GridSearchCV(pipeline, {"grumoeregressor__units": [4, 8]}, cv=KFold(2),
                          scoring=get_movie_scorer("neg_std_mse"), error_score="raise").fit(X, Y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert predicts_std(search)


def test_a_fitted_model_pickles_with_its_std_head(fitted, movies):
    X, _ = movies
    mean, std = fitted.predict(X, return_std=True)
    restored = pickle.loads(pickle.dumps(fitted))
    again_mean, again_std = restored.predict(X, return_std=True)
    for a, b in zip(std + mean, again_std + again_mean):
        assert_array_equal(a, b)
    assert_array_equal(restored[-1].std_max_, fitted[-1].std_max_)


def test_array_mode_with_std_columns():
    rng = np.random.RandomState(0)
    windows = rng.randn(120, 4, 3).astype(np.float32)
    y = np.c_[np.tanh(windows[:, :, 0].mean(axis=1)), 0.2 + 0.1 * np.abs(windows[:, -1, 1])]
    model = small_gru(predict_std=True, target_range="auto").fit(windows, y)
    mean, std = model.predict(windows, return_std=True)
    assert mean.shape == std.shape == (120, 1) and np.all(std >= 0)
    assert model.predict(windows).shape == (120, 1)


# ------------------------------------------------------------------ targets
def test_stack_split_and_validate_four_column_targets():
    y = [np.zeros((5, 2)), np.ones((3, 2))]
    std = [np.full((5, 2), 0.2), np.full((3, 2), 0.3)]
    stacked = stack_std(y, std)
    assert [s.shape for s in stacked] == [(5, 4), (3, 4)] and TARGET_STD_NAMES == ("valence_std", "arousal_std")
    means, stds = split_std(stacked)
    for a, b in zip(means + stds, y + std):
        assert_array_equal(a, b)
    assert as_targets(stacked, [5, 3], with_std=True)[1].shape == (3, 4)
    with pytest.raises(ValueError, match=r"std\[1\] must have shape \(T, 2\)"):
        stack_std(y, [std[0], np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r"y\[0\] must have shape \(T, 4\)"):
        as_targets(y, with_std=True)
    stacked[0][2, 2] = -1.0
    with pytest.raises(ValueError, match="cannot be negative"):
        split_std(stacked)
