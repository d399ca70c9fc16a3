"""Tests of the MediaEval metrics and scorers (sklearn_emotion.metrics)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate

from sklearn_emotion import metrics
from sklearn_emotion.metrics import (
    MEDIAEVAL_SCORING,
    PAPER_TABLE_1,
    TABLE_COLUMNS,
    get_scorer,
    get_scorer_names,
    mean_squared_error,
    mediaeval_scores,
    mediaeval_table,
    pearson_correlation,
)


def _movies(seed=0, lengths=(30, 50, 20)):
    rng = np.random.default_rng(seed)
    y_true = [np.tanh(rng.normal(size=(n, 2))) for n in lengths]
    y_pred = [t + rng.normal(scale=0.3, size=t.shape) for t in y_true]
    return y_true, y_pred


def _reference_pearson(a, b):
    return np.corrcoef(a, b)[0, 1]


def test_mse_and_pearson_per_movie_match_numpy_reference():
    y_true, y_pred = _movies()
    expected_mse = np.mean([np.mean((t - p) ** 2, axis=0) for t, p in zip(y_true, y_pred)], axis=0)
    expected_r = np.mean(
        [[_reference_pearson(t[:, c], p[:, c]) for c in range(2)] for t, p in zip(y_true, y_pred)], axis=0
    )
    assert_allclose(mean_squared_error(y_true, y_pred), expected_mse, rtol=1e-12)
    assert_allclose(pearson_correlation(y_true, y_pred), expected_r, rtol=1e-12)
    assert mean_squared_error(y_true, y_pred, multioutput="uniform_average") == pytest.approx(expected_mse.mean())


def test_pooled_average_uses_all_seconds_together():
    y_true, y_pred = _movies()
    true, pred = np.concatenate(y_true), np.concatenate(y_pred)
    assert_allclose(mean_squared_error(y_true, y_pred, average="pooled"), np.mean((true - pred) ** 2, axis=0))
    assert_allclose(
        pearson_correlation(y_true, y_pred, average="pooled"),
        [_reference_pearson(true[:, c], pred[:, c]) for c in range(2)],
        rtol=1e-12,
    )
    # Movies of different lengths: the two averages differ.
    assert not np.allclose(mean_squared_error(y_true, y_pred), mean_squared_error(y_true, y_pred, average="pooled"))


def test_hand_computed_values():
    y_true = [np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])]
    y_pred = [np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])]
    # Valence: movie 0 errors 1,0,1 -> 2/3; movie 1 errors 0,1 -> 1/2; mean 7/12.
    # Arousal: movie 0 -> 0; movie 1 errors 1,0 -> 1/2; mean 1/4.
    assert_allclose(mean_squared_error(y_true, y_pred), [7 / 12, 1 / 4])
    # Pooled: valence 3/5, arousal 1/5.
    assert_allclose(mean_squared_error(y_true, y_pred, average="pooled"), [3 / 5, 1 / 5])
    assert metrics.valence_mse(y_true, y_pred) == pytest.approx(7 / 12)
    assert metrics.arousal_mse(y_true, y_pred, average="pooled") == pytest.approx(1 / 5)


def test_nan_targets_are_ignored_column_by_column():
    y_true, y_pred = _movies()
    with_gaps = [t.copy() for t in y_true]
    with_gaps[0][:10, 0] = np.nan
    with_gaps[1][5, 1] = np.nan
    expected = [
        [np.mean((t[~np.isnan(t[:, c]), c] - p[~np.isnan(t[:, c]), c]) ** 2) for c in range(2)]
        for t, p in zip(with_gaps, y_pred)
    ]
    assert_allclose(mean_squared_error(with_gaps, y_pred), np.mean(expected, axis=0), rtol=1e-12)
    keep = ~np.isnan(with_gaps[0][:, 0])
    r0 = _reference_pearson(with_gaps[0][keep, 0], y_pred[0][keep, 0])
    r_rest = [_reference_pearson(t[:, 0], p[:, 0]) for t, p in zip(with_gaps[1:], y_pred[1:])]
    assert pearson_correlation(with_gaps, y_pred)[0] == pytest.approx(np.mean([r0, *r_rest]), rel=1e-12)


def test_movie_without_annotation_is_left_out():
    y_true, y_pred = _movies()
    y_true[2][:, 1] = np.nan
    expected = np.mean([np.mean((t[:, 1] - p[:, 1]) ** 2) for t, p in zip(y_true[:2], y_pred[:2])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: nothing to score is not an undefined score
        assert mean_squared_error(y_true, y_pred)[1] == pytest.approx(expected)


def test_constant_prediction_gives_nan_for_that_movie_and_nanmean_with_warning():
    y_true, y_pred = _movies()
    y_pred[1][:, 0] = 0.2
    expected = np.mean([_reference_pearson(y_true[i][:, 0], y_pred[i][:, 0]) for i in (0, 2)])
    with pytest.warns(UndefinedMetricWarning, match=r"1 of 3 movie.*\['valence'\].*left out"):
        r = pearson_correlation(y_true, y_pred)
    assert r[0] == pytest.approx(expected, rel=1e-12)
    # Constant on every movie: undefined everywhere -> NaN, not 0.
    constant = [np.zeros_like(p) for p in y_pred]
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(pearson_correlation(constant, y_pred)).all()
    with pytest.warns(UndefinedMetricWarning, match="pooled"):
        assert np.isnan(pearson_correlation(y_true, constant, average="pooled")).all()


def test_plain_arrays_are_pooled_seconds():
    y_true, y_pred = _movies()
    true, pred = np.concatenate(y_true), np.concatenate(y_pred)
    for average in ("movie", "pooled"):
        assert_allclose(
            pearson_correlation(true, pred, average=average), pearson_correlation(y_true, y_pred, average="pooled")
        )
        assert_allclose(mean_squared_error(true, pred, average=average), mean_squared_error(y_true, y_pred, average="pooled"))


def test_errors_name_the_movie_and_shapes():
    y_true, y_pred = _movies()
    y_pred[1] = y_pred[1][:-1]
    with pytest.raises(ValueError, match=r"movie 1: y_true has shape \(50, 2\) but y_pred has shape \(49, 2\)"):
        mean_squared_error(y_true, y_pred)
    with pytest.raises(ValueError, match="3 movies but y_pred has 2"):
        mean_squared_error(y_true, y_pred[:2])
    with pytest.raises(TypeError, match="both"):
        mean_squared_error(y_true, np.concatenate(y_true))
    bad = [p.copy() for p in _movies()[1]]
    bad[2][0, 0] = np.nan
    with pytest.raises(ValueError, match="movie 2: y_pred contains NaN"):
        pearson_correlation(_movies()[0], bad)
    with pytest.raises(ValueError, match="average"):
        mean_squared_error(*_movies(), average="second")
    with pytest.raises(ValueError, match="multioutput"):
        mean_squared_error(*_movies(), multioutput="variance_weighted")
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        metrics.valence_mse([np.zeros((5, 3))], [np.zeros((5, 3))])


def test_mediaeval_scores_and_table():
    y_true, y_pred = _movies()
    scores = mediaeval_scores(y_true, y_pred)
    assert list(scores) == list(TABLE_COLUMNS)
    assert scores["Valence MSE"] == pytest.approx(mean_squared_error(y_true, y_pred)[0])
    assert scores["Arousal PCC"] == pytest.approx(pearson_correlation(y_true, y_pred)[1])
    table = mediaeval_table({"Run 1": scores, "mine": scores}, reference=PAPER_TABLE_1)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| Run")
    assert "Valence MSE (ref.)" in lines[0]
    assert "0.1193" in lines[2] and "0.2911" in lines[2]
    assert f"{scores['Valence MSE']:.4f}" in lines[2]
    assert lines[3].count("|") == lines[0].count("|")  # 'mine' has no reference: empty cells
    assert len({len(line) for line in lines}) == 1  # aligned
    plain = mediaeval_table(PAPER_TABLE_1, digits=3)
    assert plain.splitlines()[0].count("|") == 6 and "0.084" in plain.splitlines()[-1]
    with pytest.raises(ValueError, match="lacks"):
        mediaeval_table({"Run 1": {"Valence MSE": 0.1}})


def test_paper_table_constant():
    assert PAPER_TABLE_1["Run 5"] == {
        "Valence MSE": 0.0837,
        "Valence PCC": 0.1786,
        "Arousal MSE": 0.1334,
        "Arousal PCC": 0.3358,
    }
    assert list(PAPER_TABLE_1) == [f"Run {i}" for i in range(1, 6)]


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
    scores = cross_val_score(estimator, X, y, cv=cv, scoring=get_scorer("neg_valence_mse"))
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
        _PerMovieMeanRegressor(), {"shrink": [0.0, 0.5, 1.0]}, cv=KFold(3), scoring=get_scorer("neg_mse")
    )
    search.fit(X, y)
    assert search.best_params_ == {"shrink": 1.0}
    # Pooled variant and multi-metric refit by name.
    search = GridSearchCV(
        _PerMovieMeanRegressor(), {"shrink": [0.5, 1.0]}, cv=KFold(3), scoring=MEDIAEVAL_SCORING, refit="neg_arousal_mse"
    )
    search.fit(X, y)
    assert search.best_params_ == {"shrink": 1.0}


def test_get_scorer_names_and_pickling():
    names = get_scorer_names()
    for base in ("neg_valence_mse", "neg_arousal_mse", "neg_mse", "valence_pearson", "arousal_pearson", "pearson"):
        assert base in names and f"{base}_pooled" in names
    X, y = _synthetic_dataset()
    fitted = _PerMovieMeanRegressor().fit(X, y)
    pooled = get_scorer("neg_mse_pooled")(fitted, X, y)
    assert pooled == pytest.approx(-mean_squared_error(y, fitted.predict(X), average="pooled", multioutput="uniform_average"))
    assert pickle.loads(pickle.dumps(get_scorer("valence_pearson")))(fitted, X, y) == pytest.approx(
        get_scorer("valence_pearson")(fitted, X, y)
    )
    with pytest.raises(ValueError, match="unknown scorer 'r2'"):
        get_scorer("r2")
