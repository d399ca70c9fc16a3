"""Tests of the sequence meta-estimators: SmoothedRegressor, RunAveragingRegressor, PerSecondRegressor."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge, SGDRegressor
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score, cross_validate
from sklearn.multioutput import MultiOutputRegressor

from sklearn_emotion import PerSecondRegressor, RunAveragingRegressor, SmoothedRegressor
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import MEDIAEVAL_SCORING, get_movie_scorer
from sklearn_emotion.smoothing import ButterworthSmoother, MovingAverageSmoother


def _movies(n_movies=8, seed=0, modalities=False):
    """Slowly varying valence/arousal; features are noisy per-second views of them."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n_movies):
        n_seconds = int(rng.integers(60, 100))
        seconds = np.arange(n_seconds)
        latent = np.column_stack(
            [np.sin(2 * np.pi * f * seconds + p) for f, p in zip(rng.uniform(0.005, 0.02, 2), rng.uniform(0, 6, 2))]
        )
        features = np.column_stack([latent, latent[:, :1] - latent[:, 1:]]) + rng.normal(scale=0.6, size=(n_seconds, 3))
        features = np.column_stack([features, rng.normal(size=(n_seconds, 2))])
        X.append({"image": features[:, :3], "audio": features[:, 3:]} if modalities else features)
        y.append(0.8 * latent + rng.normal(scale=0.05, size=latent.shape))
    return X, y


def _stacked(X):
    return np.concatenate(X)


# ---------------------------------------------------------------- parameters, clone, persistence


def test_nested_params_and_clone():
    model = SmoothedRegressor(PerSecondRegressor(Ridge(alpha=2.0)), ButterworthSmoother(cutoff=0.05))
    params = model.get_params()
    assert params["regressor__estimator__alpha"] == 2.0 and params["smoother__cutoff"] == 0.05
    model.set_params(smoother__cutoff=0.1, regressor__estimator__alpha=3.0)
    cloned = clone(model)
    assert cloned.smoother.cutoff == 0.1 and cloned.regressor.estimator.alpha == 3.0
    assert cloned.smoother is not model.smoother

    ensemble = RunAveragingRegressor([("a", PerSecondRegressor(Ridge())), ("b", PerSecondRegressor(Ridge()))])
    assert ensemble.get_params()["b__estimator__alpha"] == 1.0
    ensemble.set_params(b__estimator__alpha=5.0, a=PerSecondRegressor(LinearRegression()))
    assert ensemble.estimators[1][1].estimator.alpha == 5.0
    assert isinstance(ensemble.estimators[0][1].estimator, LinearRegression)
    assert clone(ensemble).get_params()["b__estimator__alpha"] == 5.0
    assert "estimators" in ensemble.get_params(deep=False)


@pytest.mark.parametrize(
    "model",
    [
        SmoothedRegressor(PerSecondRegressor(Ridge()), MovingAverageSmoother(window=5)),
        RunAveragingRegressor.from_seeds(PerSecondRegressor(SGDRegressor(max_iter=20, tol=None)), n_runs=2),
        PerSecondRegressor(Ridge()),
    ],
)
def test_pickle_and_joblib_round_trips_give_identical_predictions(model, tmp_path):
    X, y = _movies(4, modalities=True)
    model = clone(model).fit(X, y)
    expected = model.predict(X)
    restored = pickle.loads(pickle.dumps(model))
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    for other in (restored, loaded):
        for a, b in zip(other.predict(X), expected):
            assert_array_equal(a, b)


@pytest.mark.parametrize(
    "model",
    [
        SmoothedRegressor(PerSecondRegressor(Ridge())),
        RunAveragingRegressor([("a", PerSecondRegressor(Ridge()))]),
        PerSecondRegressor(Ridge()),
    ],
)
def test_unfitted_predict_raises_not_fitted(model):
    with pytest.raises(NotFittedError):
        model.predict(_movies(2)[0])


# ---------------------------------------------------------------- SmoothedRegressor


class _LazyMovies:
    """A list-like that is not a list (like WindowedMovies): must reach the regressor untouched."""

    def __init__(self, movies):
        self._movies = movies

    def __len__(self):
        return len(self._movies)

    def __getitem__(self, index):
        return self._movies[index]


class _RecordingRegressor(RegressorMixin, BaseEstimator):
    """Predicts each movie's first two feature columns; records the X objects it is given."""

    def __init__(self, offset=0.0):
        self.offset = offset

    def fit(self, X, y, sample_note=None):
        self.fit_X_type_ = type(X)
        self.sample_note_ = sample_note
        return self

    def predict(self, X):
        self.predict_X_type_ = type(X)
        return [np.asarray(X[i])[:, :2] + self.offset for i in range(len(X))]


def test_smoothed_regressor_smooths_each_movie_and_passes_x_untouched():
    X, y = _movies(3)
    lazy = _LazyMovies(X)
    smoother = ButterworthSmoother(order=3, cutoff=0.04)
    model = SmoothedRegressor(_RecordingRegressor(offset=0.5), smoother).fit(lazy, y, sample_note="hello")
    assert model.regressor_.fit_X_type_ is _LazyMovies
    assert model.regressor_.sample_note_ == "hello"  # fit params reach the regressor
    predictions = model.predict(lazy)
    assert model.regressor_.predict_X_type_ is _LazyMovies
    assert isinstance(predictions, list) and len(predictions) == 3
    for movie, predicted in zip(X, predictions):
        assert_allclose(predicted, smoother.smooth(movie[:, :2] + 0.5), rtol=1e-12)
    assert model.smoother_ is not smoother  # a clone


def test_default_smoother_is_default_butterworth():
    X, y = _movies(2)
    model = SmoothedRegressor(_RecordingRegressor()).fit(X, y)
    assert isinstance(model.smoother_, ButterworthSmoother)
    assert model.smoother_.get_params() == ButterworthSmoother().get_params()
    assert_allclose(model.predict(X)[1], ButterworthSmoother().smooth(X[1][:, :2]))


def test_plain_array_predictions_are_smoothed_as_one_movie():
    X, y = _movies(1)
    ridge = Ridge().fit(X[0], y[0])
    model = SmoothedRegressor(Ridge(), ButterworthSmoother(cutoff=0.05)).fit(X[0], y[0])
    predicted = model.predict(X[0])
    assert isinstance(predicted, np.ndarray) and predicted.shape == y[0].shape
    assert_allclose(predicted, ButterworthSmoother(cutoff=0.05).smooth(ridge.predict(X[0])), rtol=1e-10)
    assert model.n_features_in_ == X[0].shape[1]


def test_smoothed_regressor_validates_smoother_before_fitting():
    X, y = _movies(2)
    with pytest.raises(ValueError, match="cutoff"):
        SmoothedRegressor(_RecordingRegressor(), ButterworthSmoother(cutoff=0.7)).fit(X, y)
    with pytest.raises(TypeError, match="smooth"):
        SmoothedRegressor(_RecordingRegressor(), Ridge()).fit(X, y)
    with pytest.raises(TypeError, match="regressor"):
        SmoothedRegressor(None).fit(X, y)


def test_smoothing_improves_noisy_per_second_predictions():
    X, y = _movies(6, seed=3)
    raw = PerSecondRegressor(Ridge()).fit(X, y)
    # The synthetic curves vary at up to 0.02 Hz, so a 0.05 Hz cutoff keeps them and removes noise.
    smoothed = SmoothedRegressor(PerSecondRegressor(Ridge()), ButterworthSmoother(cutoff=0.05)).fit(X, y)
    X_test, y_test = _movies(4, seed=4)
    raw_mse = movie_mean_squared_error(y_test, raw.predict(X_test), multioutput="uniform_average")
    smoothed_mse = movie_mean_squared_error(y_test, smoothed.predict(X_test), multioutput="uniform_average")
    assert smoothed_mse < 0.7 * raw_mse


def test_grid_search_tunes_cutoff_and_inner_alpha_together():
    X, y = _movies(9, seed=1)
    model = SmoothedRegressor(PerSecondRegressor(Ridge()), ButterworthSmoother())
    grid = {"smoother__cutoff": [0.05, 0.45], "regressor__estimator__alpha": [1e-3, 1e5]}
    groups = np.repeat(np.arange(3), 3)  # three "films" of three clips each
    search = GridSearchCV(model, grid, cv=GroupKFold(n_splits=3), scoring=get_movie_scorer("neg_mse"))
    search.fit(X, y, groups=groups)
    assert search.best_params_ == {"smoother__cutoff": 0.05, "regressor__estimator__alpha": 1e-3}
    assert len(search.cv_results_["params"]) == 4
    assert [p.shape for p in search.predict(X[:2])] == [y[0].shape, y[1].shape]


def test_cross_val_score_with_mediaeval_scorers():
    X, y = _movies(8, seed=2, modalities=True)
    model = SmoothedRegressor(PerSecondRegressor(Ridge()), ButterworthSmoother(cutoff=0.03))
    cv = KFold(n_splits=4)
    scores = cross_val_score(model, X, y, cv=cv, scoring=get_movie_scorer("neg_arousal_mse"))
    expected = []
    for train, test in cv.split(X):
        fitted = clone(model).fit([X[i] for i in train], [y[i] for i in train])
        expected.append(-movie_mean_squared_error([y[i] for i in test], fitted.predict([X[i] for i in test]))[1])
    assert_allclose(scores, expected, rtol=1e-12)
    results = cross_validate(model, X, y, cv=cv, scoring=MEDIAEVAL_SCORING)
    assert (results["test_valence_pearson"] > 0.5).all() and (results["test_arousal_pearson"] > 0.5).all()
    # Default scoring: pooled R² of MovieRegressorMixin.
    assert (cross_val_score(model, X, y, cv=cv) > 0.3).all()


# ---------------------------------------------------------------- RunAveragingRegressor


def _sgd_runs(n_runs=3, random_state=0, **kwargs):
    return RunAveragingRegressor.from_seeds(
        PerSecondRegressor(SGDRegressor(max_iter=5, tol=None)), n_runs=n_runs, random_state=random_state, **kwargs
    )


def test_runs_differ_and_average_is_their_mean():
    X, y = _movies(4)
    ensemble = _sgd_runs().fit(X, y)
    seeds = [member.estimator.random_state for _, member in ensemble.estimators]
    assert len(set(seeds)) == 3
    runs = ensemble.predict_runs(X)
    assert len(runs) == 3 and all(len(run) == 4 for run in runs)
    assert not np.allclose(runs[0][0], runs[1][0])  # different seeds, different runs
    averaged = ensemble.predict(X)
    for movie in range(4):
        assert_allclose(averaged[movie], np.mean([run[movie] for run in runs], axis=0), rtol=1e-12)
    assert list(ensemble.named_estimators_) == ["run_1", "run_2", "run_3"]
    assert ensemble.named_estimators_["run_2"] is ensemble.estimators_[1]
    assert isinstance(ensemble.estimators_[0].estimator_, MultiOutputRegressor)  # SGD is single-output


def test_weights_and_drop():
    X, y = _movies(3)
    members = [(f"r{i}", PerSecondRegressor(Ridge(alpha=alpha))) for i, alpha in enumerate((0.1, 100.0, 1e4))]
    weighted = RunAveragingRegressor(members, weights=[3, 1, 0]).fit(X, y)
    runs = weighted.predict_runs(X)
    assert_allclose(weighted.predict(X)[2], (3 * runs[0][2] + runs[1][2]) / 4, rtol=1e-12)
    dropped = RunAveragingRegressor([members[0], ("r1", "drop"), members[2]], weights=[1, 5, 1]).fit(X, y)
    assert dropped.named_estimators_["r1"] == "drop" and len(dropped.estimators_) == 2
    runs = dropped.predict_runs(X)
    assert_allclose(dropped.predict(X)[0], (runs[0][0] + runs[1][0]) / 2, rtol=1e-12)


def test_from_seeds_is_reproducible_and_keeps_global_state():
    state = np.random.get_state()[1].copy()
    first = [m.estimator.random_state for _, m in _sgd_runs(random_state=7).estimators]
    again = [m.estimator.random_state for _, m in _sgd_runs(random_state=7).estimators]
    other = [m.estimator.random_state for _, m in _sgd_runs(random_state=8).estimators]
    unseeded = [m.estimator.random_state for _, m in _sgd_runs(random_state=None).estimators]
    assert first == again and first != other and len(set(unseeded)) == 3
    assert_array_equal(np.random.get_state()[1], state)
    X, y = _movies(3)
    a, b = _sgd_runs(random_state=7).fit(X, y), _sgd_runs(random_state=7, n_jobs=2).fit(X, y)
    assert_allclose(a.predict(X)[1], b.predict(X)[1], rtol=1e-12)
    # Seeds are set on the estimator itself when it has random_state at top level.
    direct = RunAveragingRegressor.from_seeds(SGDRegressor(), n_runs=2, random_state=0)
    assert all(isinstance(m.random_state, int) for _, m in direct.estimators)


def test_from_seeds_errors():
    with pytest.raises(ValueError, match="PerSecondRegressor has no random_state"):
        RunAveragingRegressor.from_seeds(PerSecondRegressor(LinearRegression()))
    with pytest.raises(ValueError, match="n_runs"):
        RunAveragingRegressor.from_seeds(SGDRegressor(), n_runs=0)


@pytest.mark.parametrize(
    "estimators, weights, error, message",
    [
        ([], None, ValueError, "non-empty"),
        ([("a", Ridge()), ("a", Ridge())], None, ValueError, "not unique"),
        ([("a__b", Ridge())], None, ValueError, "__"),
        ([("a", "drop")], None, ValueError, "at least one"),
        ([("a", Ridge()), ("b", Ridge())], [1.0], ValueError, "weights has shape"),
        ([("a", Ridge()), ("b", Ridge())], [1.0, -1.0], ValueError, "non-negative"),
        ([("a", 3)], None, TypeError, "estimator 'a'"),
    ],
)
def test_run_averaging_validation(estimators, weights, error, message):
    X, y = _movies(2)
    with pytest.raises(error, match=message):
        RunAveragingRegressor(estimators, weights=weights).fit(X, y)


def test_run_averaging_of_plain_array_regressors_returns_array():
    X, y = _movies(1)
    ensemble = RunAveragingRegressor([("a", Ridge(alpha=0.1)), ("b", Ridge(alpha=10.0))]).fit(X[0], y[0])
    expected = (Ridge(alpha=0.1).fit(X[0], y[0]).predict(X[0]) + Ridge(alpha=10.0).fit(X[0], y[0]).predict(X[0])) / 2
    predicted = ensemble.predict(X[0])
    assert isinstance(predicted, np.ndarray)
    assert_allclose(predicted, expected, rtol=1e-10)
    assert ensemble.n_features_in_ == X[0].shape[1]


# ---------------------------------------------------------------- PerSecondRegressor


def test_per_second_equals_estimator_on_annotated_seconds():
    X, y = _movies(3)
    y[0][:10] = np.nan
    y[1][5, 1] = np.nan  # one missing column drops the whole second
    model = PerSecondRegressor(Ridge(alpha=0.5)).fit(X, y)
    targets = _stacked(y)
    keep = ~np.isnan(targets).any(axis=1)
    features = _stacked(X).astype(np.float32)  # movies are validated to float32 (data.as_movies)
    reference = Ridge(alpha=0.5).fit(features[keep], targets[keep])
    assert_allclose(model.estimator_.coef_, reference.coef_, rtol=1e-5)
    predictions = model.predict(X)
    assert [p.shape for p in predictions] == [t.shape for t in y]
    assert all(p.dtype == np.float64 for p in predictions)
    assert_allclose(np.concatenate(predictions), reference.predict(features), rtol=1e-5)
    assert model.n_features_in_ == 5 and model.n_targets_ == 2 and model.modalities_ == ["features"]


def test_modalities_are_concatenated_in_the_training_order():
    X, y = _movies(3, modalities=True)
    model = PerSecondRegressor(Ridge()).fit(X, y)
    assert model.modalities_ == ["image", "audio"] and model.n_features_per_modality_ == {"image": 3, "audio": 2}
    reordered = [{"audio": m["audio"], "image": m["image"]} for m in X]
    for a, b in zip(model.predict(reordered), model.predict(X)):
        assert_array_equal(a, b)
    flat = PerSecondRegressor(Ridge()).fit([np.column_stack([m["image"], m["audio"]]) for m in X], y)
    assert_allclose(flat.estimator_.coef_, model.estimator_.coef_, rtol=1e-6)


def test_per_second_bad_input_errors():
    X, y = _movies(3, modalities=True)
    model = PerSecondRegressor(Ridge()).fit(X, y)
    with pytest.raises(ValueError, match=r"X\[1\].*missing \['audio'\]"):
        model.predict([X[0], {"image": X[1]["image"]}])
    with pytest.raises(ValueError, match=r"X\[2\]\['audio'\] has 4 features per second but 2"):
        model.predict([X[0], X[1], {"image": X[2]["image"], "audio": np.zeros((len(y[2]), 4))}])
    with pytest.raises(ValueError, match=r"movie 1: X has \d+ seconds but y\[1\] has"):
        PerSecondRegressor(Ridge()).fit(X, [y[0], y[1][:-3], y[2]])
    with pytest.raises(ValueError, match="X has 3 movies but y has 2"):
        PerSecondRegressor(Ridge()).fit(X, y[:2])
    with pytest.raises(ValueError, match=r"y\[1\] has 3 columns"):
        PerSecondRegressor(Ridge()).fit(X, [y[0], np.zeros((len(y[1]), 3)), y[2]])
    with pytest.raises(ValueError, match="NaN target: nothing to fit"):
        PerSecondRegressor(Ridge()).fit(X, [np.full_like(t, np.nan) for t in y])
    flat_X, flat_y = _movies(2)
    flat_model = PerSecondRegressor(Ridge()).fit(flat_X, flat_y)
    with pytest.raises(ValueError, match=r"X\[0\] has 4 features per second but 5"):
        flat_model.predict([flat_X[0][:, :4]])
    with pytest.raises(TypeError, match="sequence of movies"):
        flat_model.predict(flat_X[0])
    with pytest.raises(ValueError, match=r"X\[1\].*NaN"):
        flat_model.predict([flat_X[0], np.full((4, 5), np.nan)])


def test_nan_features_reach_estimators_that_allow_them():
    X, y = _movies(3)
    X[1][3:6, 0] = np.nan
    model = PerSecondRegressor(HistGradientBoostingRegressor(max_iter=10)).fit(X, y)
    assert isinstance(model.estimator_, MultiOutputRegressor)
    assert np.isfinite(model.predict(X)[1]).all()
    assert model.__sklearn_tags__().input_tags.allow_nan
    assert not PerSecondRegressor(Ridge()).__sklearn_tags__().input_tags.allow_nan


def test_single_target_column():
    X, y = _movies(3)
    single = [t[:, 0] for t in y]
    model = PerSecondRegressor(SGDRegressor(random_state=0)).fit(X, single)
    assert model.n_targets_ == 1 and isinstance(model.estimator_, SGDRegressor)
    assert [p.shape for p in model.predict(X)] == [(len(t), 1) for t in y]


# ---------------------------------------------------------------- the viewers' std (return_std)
class _SpreadRegressor(RegressorMixin, BaseEstimator):
    """Mean = the first two feature columns + offset; std = a step from 0 to ``level`` in the middle of
    each movie (a low-pass filter rings below 0 before such a step)."""

    def __init__(self, offset=0.0, level=0.5):
        self.offset = offset
        self.level = level

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X, return_std=False):
        mean = [np.asarray(m)[:, :2] + self.offset for m in X]
        if not return_std:
            return mean
        std = []
        for m in X:
            step = np.zeros((len(m), 2))
            step[len(m) // 2:] = self.level
            std.append(step)
        return mean, std


def test_smoothed_regressor_smooths_the_std_and_keeps_it_non_negative():
    X, y = _movies(3)
    smoother = ButterworthSmoother()
    model = SmoothedRegressor(_SpreadRegressor(offset=0.1), smoother).fit(X, y)
    mean, std = model.predict(X, return_std=True)
    raw_mean, raw_std = model.regressor_.predict(X, return_std=True)
    for m, s, rm, rs in zip(mean, std, raw_mean, raw_std):
        assert_allclose(m, smoother.smooth(rm))
        filtered = smoother.smooth(rs)
        assert filtered.min() < -1e-3                      # the filter alone undershoots ...
        assert_allclose(s, np.maximum(filtered, 0.0))      # ... the predicted std is clipped at 0
        assert s.min() == 0.0
    for a, b in zip(model.predict(X), mean):               # without return_std: only the mean, as before
        assert_array_equal(a, b)
    with pytest.raises(TypeError, match="return_std"):
        SmoothedRegressor(_RecordingRegressor()).fit(X, y).predict(X, return_std=True)


def test_run_averaging_averages_the_runs_std_with_the_weights():
    X, y = _movies(3)
    runs = RunAveragingRegressor([("low", _SpreadRegressor(level=0.2)), ("off", "drop"),
                                  ("high", _SpreadRegressor(offset=1.0, level=0.6))], weights=[1, 5, 3]).fit(X, y)
    mean, std = runs.predict(X, return_std=True)
    per_run = runs.predict_runs(X, return_std=True)
    assert len(per_run) == 2 and all(len(pair) == 2 for pair in per_run)
    for movie in range(len(X)):
        assert_allclose(std[movie], (1 * per_run[0][1][movie] + 3 * per_run[1][1][movie]) / 4)
        assert_allclose(mean[movie], (1 * per_run[0][0][movie] + 3 * per_run[1][0][movie]) / 4)
        assert_allclose(mean[movie], runs.predict(X)[movie])
    assert np.max(std[0]) == pytest.approx(0.5)            # (0.2 + 3 * 0.6) / 4: the mean of the runs' std
