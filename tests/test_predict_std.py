"""Predicting the viewers' disagreement: ``GRUMoERegressor(predict_std=True)``, ``TCNRegressor(predict_std=True)``
and ``predict(X, return_std=True)`` through Pipeline, SmoothedRegressor, RunAveragingRegressor, the std scorers
and cross-validation."""

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
    RunAveragingRegressor,
    SmoothedRegressor,
    Windower,
    make_tcn_pipeline,
)
from sklearn_emotion.data import TARGET_STD_NAMES, as_targets, split_std, stack_std
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import (
    MEDIAEVAL_SCORING,
    STD_SCORING,
    get_movie_scorer,
    predicts_std,
)

from sequence_helpers import SMALL_TCN, small_gru, small_tcn
from sequence_helpers import make_std_movies as make_movies

KINDS = ("gru", "tcn")


def std_model(kind, smoother="none", **params):
    """A tiny model predicting the std: Windower -> GRU-MoE, or ``make_tcn_pipeline`` (scaler -> TCN)."""
    if kind == "gru":
        gru = small_gru(**{"predict_std": True, **params})
        return make_pipeline(Windower(length=8), gru if smoother == "none" else SmoothedRegressor(gru, ButterworthSmoother()))
    return make_tcn_pipeline(smoother=smoother, **{**SMALL_TCN, "predict_std": True, **params})


def network(model):
    """The network estimator at the end of a pipeline (inside its SmoothedRegressor, if any)."""
    last = model[-1]
    return getattr(last, "regressor_", last)


def held_out_std_mse(model, X, Y, X_test, Y_test):
    """Held-out std MSE of ``model`` fitted on ``X, Y``, and that of the training seconds' mean std."""
    model.fit(X, Y)
    mean, std = model.predict(X_test, return_std=True)
    assert [m.shape for m in mean] == [s.shape for s in std] == [(len(y), 2) for y in Y_test]
    _, true_std = split_std(Y_test)
    level = np.mean(np.concatenate(split_std(Y)[1]), axis=0)
    predicted = movie_mean_squared_error(true_std, std, multioutput="uniform_average")
    constant = movie_mean_squared_error(true_std, [np.zeros_like(s) + level for s in true_std],
                                        multioutput="uniform_average")
    return predicted, constant


@pytest.fixture(scope="module")
def movies():
    return make_movies(6, seed=0, lengths=(30, 50))


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, movies):
    return std_model(request.param).fit(*movies)


# ------------------------------------------------------------------ learning
@pytest.mark.keras
@pytest.mark.slow
def test_the_predicted_std_beats_the_constant_std_on_held_out_movies():
    data = (*make_movies(12, seed=0), *make_movies(4, seed=1))
    model = make_pipeline(Windower(length=10), small_gru(units=16, epochs=20, learning_rate=3e-3, predict_std=True))
    predicted, constant = held_out_std_mse(model, *data)
    print(f"held-out std MSE: GRU-MoE {predicted:.5f}, constant std {constant:.5f}")
    assert predicted < 0.5 * constant


@pytest.mark.keras
@pytest.mark.slow
def test_the_tcns_predicted_std_beats_the_constant_std_on_held_out_movies():
    data = (*make_movies(12, seed=0), *make_movies(4, seed=1))
    model = std_model("tcn", epochs=40, filters=16, crop_length=64, learning_rate=3e-3)
    predicted, constant = held_out_std_mse(model, *data)
    print(f"held-out std MSE: TCN {predicted:.5f}, constant std {constant:.5f}")
    assert predicted < 0.5 * constant


@pytest.mark.parametrize("kind", KINDS)
def test_a_short_training_already_predicts_the_std_better_than_the_constant(kind):
    # the quick check of the slow tests above: a few epochs on short movies
    data = (*make_movies(8, seed=0, lengths=(40, 60)), *make_movies(3, seed=1, lengths=(40, 60)))
    params = dict(epochs=8, learning_rate=3e-3) if kind == "gru" else dict(epochs=10, learning_rate=3e-3)
    predicted, constant = held_out_std_mse(std_model(kind, **params), *data)
    print(f"held-out std MSE: {kind} {predicted:.5f}, constant std {constant:.5f}")
    assert predicted < constant


def test_predictions_have_the_documented_form(fitted, movies):
    X, Y = movies
    estimator = network(fitted)
    assert estimator.n_outputs_ == 2 and estimator.std_max_.shape == (2,)
    assert_allclose(estimator.std_max_, np.max(np.concatenate(Y)[:, 2:], axis=0))  # the largest training std
    assert estimator.network_.n_outputs == 4
    mean, std = fitted.predict(X, return_std=True)
    assert isinstance(mean, list) and isinstance(std, list) and len(mean) == len(std) == len(X)
    for m, s, y in zip(mean, std, Y):
        assert m.shape == s.shape == (len(y), 2)
        assert np.all(s >= 0) and np.all(s <= estimator.std_max_)
        assert np.all(np.abs(m) <= 1)
    for a, b in zip(fitted.predict(X), mean):               # without return_std: the mean curves only
        assert_array_equal(a, b)
    assert predicts_std(fitted)


@pytest.mark.keras
def test_the_mean_path_is_unchanged_without_predict_std():
    # Reference values printed by the code *before* predict_std existed (same data, same seed): the
    # mean-only model must predict what it predicted then.
    from sequence_helpers import make_movies as make_mean_movies

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


@pytest.mark.parametrize("kind", KINDS)
def test_nan_std_values_are_masked(kind, movies):
    X, Y = movies
    Y = [y.copy() for y in Y]
    Y[0][:, 2:] = np.nan          # a movie without std
    Y[1][5:9, 3] = np.nan         # a few seconds without arousal std
    model = std_model(kind).fit(X, Y)
    _, std = model.predict(X, return_std=True)
    assert all(np.all(np.isfinite(s)) for s in std)
    assert np.all(np.isfinite(network(model).history_["loss"]))
    # a column without any std is not learned (its outputs are unused), with a warning naming the estimator
    for y in Y:
        y[:, 3] = np.nan
    name = type(network(model)).__name__
    with pytest.warns(UserWarning, match=rf"{name}: std column\(s\) \[3\] of y are NaN everywhere"):
        std_model(kind, epochs=1).fit(X, Y)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kind", KINDS)
def test_return_std_of_a_mean_only_model_is_a_clear_error(kind, movies):
    X, Y = movies
    model = std_model(kind, epochs=1, predict_std=False).fit(X, [y[:, :2] for y in Y])
    name = type(network(model)).__name__
    with pytest.raises(ValueError, match=f"this {name} was fitted with predict_std=False.*predict_std=True"):
        model.predict(X, return_std=True)
    assert not predicts_std(model)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_std_targets_are_refused(kind, movies):
    X, Y = movies
    model = std_model(kind, epochs=1)
    with pytest.raises(ValueError, match=r"y\[0\] must have shape \(T, 4\) \(valence, arousal, valence_std"):
        model.fit(X, [y[:, :2] for y in Y])
    negative = [y.copy() for y in Y]
    negative[2][7, 3] = -0.1
    with pytest.raises(ValueError, match=r"y\[2\]: the standard deviation in column 3 at row 7 is -0.1"):
        model.fit(X, negative)
    unknown = [y.copy() for y in Y]
    for y in unknown:
        y[:, 2:] = np.nan
    with pytest.raises(ValueError, match="every standard deviation in y is NaN"):
        model.fit(X, unknown)
    estimator = small_gru(predict_std=True) if kind == "gru" else small_tcn(predict_std=True)
    with pytest.raises(ValueError, match=rf"{type(estimator).__name__}\(predict_std=True\) needs y .* 1-D y"):
        estimator.fit(np.zeros((20, 3)), np.zeros(20))


# ------------------------------------------------------------------ composition
@pytest.mark.keras
@pytest.mark.parametrize("kind", KINDS)
def test_return_std_through_pipeline_smoothing_and_run_averaging(kind, movies):
    X, Y = movies
    smoothed = std_model(kind, smoother="butterworth").fit(X, Y)
    assert isinstance(smoothed[-1], SmoothedRegressor)
    inner_mean, inner_std = smoothed[-1].regressor_.predict(smoothed[:-1].transform(X), return_std=True)
    mean, std = smoothed.predict(X, return_std=True)
    smoother = ButterworthSmoother()
    for m, s, im, istd in zip(mean, std, inner_mean, inner_std):
        assert_allclose(m, smoother.smooth(im))
        assert_allclose(s, np.maximum(smoother.smooth(istd), 0.0))
        assert np.all(s >= 0)

    runs = RunAveragingRegressor.from_seeds(std_model(kind), n_runs=2, random_state=0).fit(X, Y)
    mean, std = runs.predict(X, return_std=True)
    per_run = runs.predict_runs(X, return_std=True)
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


def test_cross_validation_with_the_std_scorers(movies):
    X, Y = movies
    pipeline = make_pipeline(Windower(length=8), small_gru(predict_std=True, epochs=1))
    results = cross_validate(pipeline, X, Y, cv=KFold(2), scoring={**MEDIAEVAL_SCORING, **STD_SCORING},
                             error_score="raise")
    for name in (*MEDIAEVAL_SCORING, *STD_SCORING):
        assert np.all(np.isfinite(results[f"test_{name}"])), name
    assert np.all(results["test_neg_valence_std_mse"] < 0)


@pytest.mark.keras
@pytest.mark.slow
def test_grid_search_with_the_std_scorer(movies):
    X, Y = movies
    pipeline = make_pipeline(Windower(length=8), small_gru(predict_std=True, epochs=1))
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
    assert_array_equal(network(restored).std_max_, network(fitted).std_max_)


@pytest.mark.parametrize("kind", KINDS)
def test_array_mode_with_std_columns(kind):
    # GRU-MoE: an array of windows; TCN: one 2-D array is one movie
    rng = np.random.RandomState(0)
    windows = rng.randn(120, 4, 3).astype(np.float32)
    y = np.c_[np.tanh(windows[:, :, 0].mean(axis=1)), 0.2 + 0.1 * np.abs(windows[:, -1, 1])]
    X = windows if kind == "gru" else windows[:, -1]
    model = (small_gru if kind == "gru" else small_tcn)(predict_std=True, target_range="auto").fit(X, y)
    mean, std = model.predict(X, return_std=True)
    assert mean.shape == std.shape == (120, 1) and np.all(std >= 0)
    assert model.predict(X).shape == (120, 1)


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
