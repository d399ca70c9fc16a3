"""Tests of the MediaEval scorers (sklearn_emotion.scoring) in scikit-learn's model selection."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate

from sklearn_emotion import metrics
from sklearn_emotion.metrics import movie_mean_squared_error, pearson_correlation
from sklearn_emotion.scoring import (
    MEDIAEVAL_SCORING,
    STD_SCORING,
    get_movie_scorer,
    get_movie_scorer_names,
    predicts_std,
)


class _PerMovieMeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts, for each movie, ``shrink`` times a linear map of its first feature (per-movie lists)."""

    def __init__(self, shrink=1.0):
        self.shrink = shrink

    def fit(self, X, y):
        features = np.concatenate([m[:, :1] for m in X])
        targets = np.concatenate(y)
        self.coef_ = np.linalg.lstsq(features, targets, rcond=None)[0]
        return self

    def predict(self, X):
        return [self.shrink * (m[:, :1] @ self.coef_) for m in X]


def _synthetic_dataset(n_movies=8, seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n_movies):
        n_seconds = int(rng.integers(20, 40))
        X.append(rng.normal(size=(n_seconds, 3)))
        y.append(np.column_stack([0.5 * X[-1][:, 0], -0.3 * X[-1][:, 0]]) + rng.normal(scale=0.1, size=(n_seconds, 2)))
    return X, y


def test_scorers_in_cross_val_score_with_per_movie_predictions():
    X, y = _synthetic_dataset()
    estimator = _PerMovieMeanRegressor()
    cv = KFold(n_splits=4)
    scores = cross_val_score(estimator, X, y, cv=cv, scoring=get_movie_scorer("neg_valence_mse"))
    expected = []
    for train, test in cv.split(X):
        fitted = _PerMovieMeanRegressor().fit([X[i] for i in train], [y[i] for i in train])
        expected.append(-metrics.valence_mse([y[i] for i in test], fitted.predict([X[i] for i in test])))
    assert_allclose(scores, expected, rtol=1e-12)
    assert (scores < 0).all()
    results = cross_validate(estimator, X, y, cv=cv, scoring=MEDIAEVAL_SCORING)
    assert (results["test_valence_pearson"] > 0.9).all()
    assert (results["test_arousal_pearson"] > 0.9).all()
    assert_allclose(results["test_neg_valence_mse"], expected, rtol=1e-12)


def test_scorer_ranks_models_correctly_in_grid_search():
    X, y = _synthetic_dataset()
    search = GridSearchCV(
        _PerMovieMeanRegressor(), {"shrink": [0.0, 0.5, 1.0]}, cv=KFold(3), scoring=get_movie_scorer("neg_mse")
    )
    search.fit(X, y)
    assert search.best_params_ == {"shrink": 1.0}
    # Pooled variant and multi-metric refit by name.
    search = GridSearchCV(
        _PerMovieMeanRegressor(), {"shrink": [0.5, 1.0]}, cv=KFold(3), scoring=MEDIAEVAL_SCORING, refit="neg_arousal_mse"
    )
    search.fit(X, y)
    assert search.best_params_ == {"shrink": 1.0}


def test_scorer_names_and_pickling():
    names = get_movie_scorer_names()
    for base in ("neg_valence_mse", "neg_arousal_mse", "neg_mse", "valence_pearson", "arousal_pearson", "pearson"):
        assert base in names and f"{base}_pooled" in names
    X, y = _synthetic_dataset()
    fitted = _PerMovieMeanRegressor().fit(X, y)
    pooled = get_movie_scorer("neg_mse_pooled")(fitted, X, y)
    expected = movie_mean_squared_error(y, fitted.predict(X), average="pooled", multioutput="uniform_average")
    assert pooled == pytest.approx(-expected)
    assert pickle.loads(pickle.dumps(get_movie_scorer("valence_pearson")))(fitted, X, y) == pytest.approx(
        get_movie_scorer("valence_pearson")(fitted, X, y)
    )
    with pytest.raises(ValueError, match="unknown scorer 'r2'"):
        get_movie_scorer("r2")


# ---------------------------------------------------------------- four-column targets and the std scorers
class _SpreadRegressor(_PerMovieMeanRegressor):
    """Also predicts the viewers' std: ``spread`` times the absolute second feature, per movie."""

    def __init__(self, shrink=1.0, spread=0.3, predict_std=True):
        super().__init__(shrink)
        self.spread = spread
        self.predict_std = predict_std

    def fit(self, X, y):
        return super().fit(X, [t[:, :2] for t in y])

    def predict(self, X, return_std=False):
        mean = super().predict(X)
        return (mean, [self.spread * np.abs(m[:, 1:3]) for m in X]) if return_std else mean


def _with_std(seed=0):
    X, y = _synthetic_dataset(seed=seed)
    return X, [np.hstack([t, 0.3 * np.abs(m[:, 1:3])]) for m, t in zip(X, y)]


def test_mean_scorers_score_the_mean_columns_of_four_column_targets():
    X, y4 = _with_std()
    y2 = [t[:, :2] for t in y4]
    fitted = _SpreadRegressor().fit(X, y4)
    for name in ("neg_valence_mse", "neg_arousal_mse", "neg_mse", "valence_pearson", "pearson_pooled"):
        scorer = get_movie_scorer(name)
        assert scorer(fitted, X, y4) == scorer(fitted, X, y2), name
    # a model that predicts four columns (the std as plain targets): its first two are scored
    four = _PerMovieMeanRegressor().fit(X, y4)
    assert four.predict(X)[0].shape[1] == 4
    expected = -movie_mean_squared_error(y2, [p[:, :2] for p in four.predict(X)], multioutput="uniform_average")
    assert get_movie_scorer("neg_mse")(four, X, y4) == pytest.approx(expected)


def test_std_scorers_score_the_predicted_std_against_the_std_columns():
    X, y4 = _with_std()
    noisy = [t + np.c_[np.zeros((len(t), 2)), np.random.default_rng(i).normal(0, 0.05, (len(t), 2))] for i, t in enumerate(y4)]
    fitted = _SpreadRegressor().fit(X, noisy)
    _, std = fitted.predict(X, return_std=True)
    true = [t[:, 2:] for t in noisy]
    mse = movie_mean_squared_error(true, std)
    assert get_movie_scorer("neg_valence_std_mse")(fitted, X, noisy) == pytest.approx(-mse[0])
    assert get_movie_scorer("neg_arousal_std_mse")(fitted, X, noisy) == pytest.approx(-mse[1])
    assert get_movie_scorer("neg_std_mse")(fitted, X, noisy) == pytest.approx(-mse.mean())
    pooled = pearson_correlation(true, std, average="pooled")
    assert get_movie_scorer("std_pearson_pooled")(fitted, X, noisy) == pytest.approx(pooled.mean())
    assert get_movie_scorer("arousal_std_pearson")(fitted, X, noisy) == pytest.approx(pearson_correlation(true, std)[1])
    restored = pickle.loads(pickle.dumps(get_movie_scorer("neg_std_mse")))
    assert restored(fitted, X, noisy) == get_movie_scorer("neg_std_mse")(fitted, X, noisy)
    names = get_movie_scorer_names()
    for base in ("neg_valence_std_mse", "neg_arousal_std_mse", "neg_std_mse", "valence_std_pearson",
                 "arousal_std_pearson", "std_pearson"):
        assert base in names and f"{base}_pooled" in names
    assert set(STD_SCORING) == {"neg_valence_std_mse", "valence_std_pearson", "neg_arousal_std_mse",
                                "arousal_std_pearson"}


def test_std_scorers_in_cross_validation_and_grid_search():
    X, y4 = _with_std()
    results = cross_validate(_SpreadRegressor(), X, y4, cv=KFold(4), scoring={**MEDIAEVAL_SCORING, **STD_SCORING})
    for name in (*MEDIAEVAL_SCORING, *STD_SCORING):
        assert np.all(np.isfinite(results[f"test_{name}"])), name
    assert_allclose(results["test_valence_std_pearson"], 1.0)   # the spread is exactly 0.3 |feature|
    search = GridSearchCV(_SpreadRegressor(), {"spread": [0.1, 0.3, 0.6]}, cv=KFold(3),
                          scoring={**MEDIAEVAL_SCORING, **STD_SCORING, "std": get_movie_scorer("neg_std_mse")},
                          refit="std").fit(X, y4)
    assert search.best_params_ == {"spread": 0.3}


def test_std_scorer_errors():
    X, y4 = _with_std()
    fitted = _SpreadRegressor().fit(X, y4)
    with pytest.raises(ValueError, match="y must have four columns .* got 2"):
        get_movie_scorer("neg_std_mse")(fitted, X, [t[:, :2] for t in y4])
    mean_only = _PerMovieMeanRegressor().fit(X, [t[:, :2] for t in y4])
    with pytest.raises(TypeError, match="needs an estimator whose predict.*does not accept return_std"):
        get_movie_scorer("std_pearson")(mean_only, X, y4)
    assert predicts_std(fitted) and not predicts_std(mean_only) and not predicts_std(_SpreadRegressor(predict_std=False))
