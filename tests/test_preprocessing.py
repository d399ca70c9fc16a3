"""MovieStandardScaler: per-modality standardisation of sequences of movies."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_emotion.preprocessing import MovieStandardScaler


def _movies(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [
        {"image": rng.normal(5, 3, size=(n, 4)), "audio": rng.normal(-200, 50, size=(n, 2))}
        for n in (30, 20, 25)
    ]


def test_statistics_of_all_training_seconds():
    movies = _movies()
    scaled = MovieStandardScaler().fit_transform(movies)
    for name in ("image", "audio"):
        stacked = np.concatenate([m[name] for m in scaled])
        np.testing.assert_allclose(stacked.mean(axis=0), 0, atol=1e-5)
        np.testing.assert_allclose(stacked.std(axis=0), 1, atol=1e-5)
        assert stacked.dtype == np.float32
    assert [len(m["image"]) for m in scaled] == [30, 20, 25]


def test_new_movies_use_the_training_statistics_and_structure_is_kept():
    train, test = _movies(0), _movies(1)
    scaler = MovieStandardScaler().fit(train)
    stacked = np.concatenate([m["audio"] for m in train])
    expected = (test[0]["audio"] - stacked.mean(axis=0)) / stacked.std(axis=0)
    np.testing.assert_allclose(scaler.transform(test)[0]["audio"], expected, atol=1e-4)
    arrays = [np.arange(10.0).reshape(5, 2), np.ones((3, 2))]
    out = MovieStandardScaler(with_mean=False).fit(arrays).transform(arrays)
    assert isinstance(out[0], np.ndarray) and out[0].shape == (5, 2)
    assert out[1][0, 0] > 0  # no centring


def test_constant_features_and_errors_name_the_movie():
    movies = [{"a": np.ones((4, 2))}, {"a": np.ones((3, 2))}]
    np.testing.assert_array_equal(MovieStandardScaler().fit_transform(movies)[0]["a"], np.zeros((4, 2)))
    scaler = MovieStandardScaler().fit(_movies())
    bad = _movies()
    bad[1]["audio"] = bad[1]["audio"][:, :1]
    with pytest.raises(ValueError, match=r"X\[1\]\['audio'\] has 1 features"):
        scaler.transform(bad)
    with pytest.raises(ValueError, match="missing"):
        scaler.transform([{"image": np.ones((3, 4))}])
    with pytest.raises(ValueError, match="with_std"):
        MovieStandardScaler(with_std="yes").fit(_movies())
    assert clone(scaler).get_params() == {"with_mean": True, "with_std": True}
