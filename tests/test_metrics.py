"""Tests of the MediaEval metric functions (sklearn_emotion.metrics) and of its deprecated old names."""

from __future__ import annotations

import importlib
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_emotion import metrics
from sklearn_emotion.metrics import mediaeval_scores, movie_mean_squared_error, pearson_correlation
from sklearn_emotion.reporting import TABLE_COLUMNS


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
    assert_allclose(movie_mean_squared_error(y_true, y_pred), expected_mse, rtol=1e-12)
    assert_allclose(pearson_correlation(y_true, y_pred), expected_r, rtol=1e-12)
    assert movie_mean_squared_error(y_true, y_pred, multioutput="uniform_average") == pytest.approx(expected_mse.mean())


def test_pooled_average_uses_all_seconds_together():
    y_true, y_pred = _movies()
    true, pred = np.concatenate(y_true), np.concatenate(y_pred)
    assert_allclose(movie_mean_squared_error(y_true, y_pred, average="pooled"), np.mean((true - pred) ** 2, axis=0))
    assert_allclose(
        pearson_correlation(y_true, y_pred, average="pooled"),
        [_reference_pearson(true[:, c], pred[:, c]) for c in range(2)],
        rtol=1e-12,
    )
    # Movies of different lengths: the two averages differ.
    pooled = movie_mean_squared_error(y_true, y_pred, average="pooled")
    assert not np.allclose(movie_mean_squared_error(y_true, y_pred), pooled)


def test_hand_computed_values():
    y_true = [np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])]
    y_pred = [np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])]
    # Valence: movie 0 errors 1,0,1 -> 2/3; movie 1 errors 0,1 -> 1/2; mean 7/12.
    # Arousal: movie 0 -> 0; movie 1 errors 1,0 -> 1/2; mean 1/4.
    assert_allclose(movie_mean_squared_error(y_true, y_pred), [7 / 12, 1 / 4])
    # Pooled: valence 3/5, arousal 1/5.
    assert_allclose(movie_mean_squared_error(y_true, y_pred, average="pooled"), [3 / 5, 1 / 5])
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
    assert_allclose(movie_mean_squared_error(with_gaps, y_pred), np.mean(expected, axis=0), rtol=1e-12)
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
        assert movie_mean_squared_error(y_true, y_pred)[1] == pytest.approx(expected)


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
        assert_allclose(
            movie_mean_squared_error(true, pred, average=average),
            movie_mean_squared_error(y_true, y_pred, average="pooled"),
        )


def test_errors_name_the_movie_and_shapes():
    y_true, y_pred = _movies()
    y_pred[1] = y_pred[1][:-1]
    with pytest.raises(ValueError, match=r"movie 1: y_true has shape \(50, 2\) but y_pred has shape \(49, 2\)"):
        movie_mean_squared_error(y_true, y_pred)
    with pytest.raises(ValueError, match="3 movies but y_pred has 2"):
        movie_mean_squared_error(y_true, y_pred[:2])
    with pytest.raises(TypeError, match="both"):
        movie_mean_squared_error(y_true, np.concatenate(y_true))
    bad = [p.copy() for p in _movies()[1]]
    bad[2][0, 0] = np.nan
    with pytest.raises(ValueError, match="movie 2: y_pred contains NaN"):
        pearson_correlation(_movies()[0], bad)
    with pytest.raises(ValueError, match="average"):
        movie_mean_squared_error(*_movies(), average="second")
    with pytest.raises(ValueError, match="multioutput"):
        movie_mean_squared_error(*_movies(), multioutput="variance_weighted")
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        metrics.valence_mse([np.zeros((5, 3))], [np.zeros((5, 3))])


def test_valence_and_arousal_variants_are_named_picklable_columns():
    y_true, y_pred = _movies()
    for name, metric in (("mse", movie_mean_squared_error), ("pearson", pearson_correlation)):
        for column, target in enumerate(("valence", "arousal")):
            function = getattr(metrics, f"{target}_{name}")
            assert function.__name__ == f"{target}_{name}" and function.__module__ == "sklearn_emotion.metrics"
            assert pickle.loads(pickle.dumps(function)) is function
            for average in ("movie", "pooled"):
                expected = metric(y_true, y_pred, average=average)[column]
                assert function(y_true, y_pred, average=average) == pytest.approx(expected, rel=1e-12)


def test_mediaeval_scores_are_keyed_like_table_1():
    y_true, y_pred = _movies()
    scores = mediaeval_scores(y_true, y_pred)
    assert list(scores) == list(TABLE_COLUMNS)
    assert scores["Valence MSE"] == pytest.approx(movie_mean_squared_error(y_true, y_pred)[0])
    assert scores["Valence PCC"] == pytest.approx(pearson_correlation(y_true, y_pred)[0])
    assert scores["Arousal MSE"] == pytest.approx(movie_mean_squared_error(y_true, y_pred)[1])
    assert scores["Arousal PCC"] == pytest.approx(pearson_correlation(y_true, y_pred)[1])
    pooled = mediaeval_scores(y_true, y_pred, average="pooled")
    assert pooled["Arousal MSE"] == pytest.approx(movie_mean_squared_error(y_true, y_pred, average="pooled")[1])


DEPRECATED = {
    # old name in sklearn_emotion.metrics -> its new home
    "mean_squared_error": ("sklearn_emotion.metrics", "movie_mean_squared_error"),
    "get_scorer": ("sklearn_emotion.scoring", "get_movie_scorer"),
    "get_scorer_names": ("sklearn_emotion.scoring", "get_movie_scorer_names"),
    "MEDIAEVAL_SCORING": ("sklearn_emotion.scoring", "MEDIAEVAL_SCORING"),
    "TABLE_COLUMNS": ("sklearn_emotion.reporting", "TABLE_COLUMNS"),
    "PAPER_TABLE_1": ("sklearn_emotion.reporting", "PAPER_TABLE_1"),
    "mediaeval_table": ("sklearn_emotion.reporting", "mediaeval_table"),
}


@pytest.mark.parametrize("old", sorted(DEPRECATED))
def test_deprecated_names_still_import_and_warn(old):
    module, new = DEPRECATED[old]
    target = getattr(importlib.import_module(module), new)
    message = rf"sklearn_emotion\.metrics\.{old} moved to {module}\.{new} .*removed in 0\.4"
    with pytest.warns(FutureWarning, match=message) as record:
        assert getattr(metrics, old) is target
    assert record[0].filename == __file__  # the warning points at the caller
    with pytest.warns(FutureWarning):
        namespace = {}
        exec(f"from sklearn_emotion.metrics import {old}", namespace)
    assert namespace[old] is target
    assert old not in metrics.__all__


def test_every_name_of_the_old_all_still_imports():
    old_all = [
        "AVERAGES", "TABLE_COLUMNS", "PAPER_TABLE_1", "MEDIAEVAL_SCORING", "mean_squared_error",
        "pearson_correlation", "valence_mse", "arousal_mse", "valence_pearson", "arousal_pearson",
        "mediaeval_scores", "mediaeval_table", "get_scorer", "get_scorer_names",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert all(getattr(metrics, name) is not None for name in old_all)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        metrics.nonexistent
