"""Tests of the MediaEval scorers (sklearn_emotion.scoring) in scikit-learn's model selection."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate

from sklearn_emotion import metrics
from sklearn_emotion.metrics import movie_mean_squared_error
from sklearn_emotion.scoring import MEDIAEVAL_SCORING, get_movie_scorer, get_movie_scorer_names


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
