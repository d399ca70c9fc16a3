"""Model files: one written by sklearn-emotion 0.1.0 still loads and predicts, or fails in one line naming 0.1.0.

``data/model_v0_1.joblib`` was written by the 0.1.0 command line (commit 12fcdd7): ``sklearn-emotion fit``
with ``--window 5 --units 4 --epochs 1 --batch-size 8`` on two random movies (``image`` 3 columns,
``audio`` 2), i.e. ``MovieStandardScaler -> Windower(5) -> SmoothedRegressor(GRUMoERegressor,
ButterworthSmoother)``.  ``data/model_v0_1_expected.npz`` holds those two movies and what 0.1.0
predicted for them.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.persistence import SavedModel, load_model, save_model

DATA = Path(__file__).parent / "data"
MODEL_V0_1 = DATA / "model_v0_1.joblib"


def _movies_and_predictions_of_0_1() -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
    with np.load(DATA / "model_v0_1_expected.npz") as stored:
        movies = [{m: stored[f"movie_{i}__{m}"] for m in ("image", "audio")} for i in range(2)]
        predicted = [stored[f"movie_{i}__predicted"] for i in range(2)]
    return movies, predicted


def test_model_saved_by_0_1_loads_and_predicts_what_0_1_predicted():
    with pytest.warns(FutureWarning) as record:
        saved = load_model(MODEL_V0_1)
    moved = [w for w in record if issubclass(w.category, FutureWarning)]
    # One warning naming the file and its version, not one per moved class from inside pickle.
    assert len(moved) == 1
    assert "model_v0_1.joblib was saved by sklearn-emotion 0.1.0" in str(moved[0].message)
    assert "sklearn_emotion.meta.SmoothedRegressor" in str(moved[0].message)
    assert saved.modalities == {"image": 3, "audio": 2} and saved.info["model"] == "paper"
    movies, expected = _movies_and_predictions_of_0_1()
    for predicted, curve in zip(saved.estimator.predict(movies), expected):
        assert predicted.shape == curve.shape
        np.testing.assert_allclose(predicted, curve, atol=1e-6)


def test_resaving_a_0_1_model_drops_the_moved_names(tmp_path):
    with pytest.warns(FutureWarning):
        saved = load_model(MODEL_V0_1)
    path = save_model(tmp_path / "resaved.joblib", saved)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        again = load_model(path)
    movies, expected = _movies_and_predictions_of_0_1()
    for predicted, curve in zip(again.estimator.predict(movies), expected):
        np.testing.assert_allclose(predicted, curve, atol=1e-6)


def test_a_0_1_model_that_cannot_be_loaded_fails_in_one_line_naming_its_version(monkeypatch):
    # As if GRUMoERegressor's module had gone: unpickling the 0.1 pipeline cannot find the class.
    monkeypatch.setitem(sys.modules, "sklearn_emotion.gru_moe", None)
    with pytest.raises(ValueError) as raised, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        load_model(MODEL_V0_1)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{MODEL_V0_1} was saved by sklearn-emotion 0.1.0 and cannot be loaded")
    assert "sklearn_emotion.gru_moe" in message  # what is missing


def test_files_that_are_not_models_are_named(tmp_path):
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a pickle\n at all")
    with pytest.raises(ValueError, match=r"junk\.joblib is not a readable sklearn-emotion model file") as raised:
        load_model(junk)
    assert "\n" not in str(raised.value)
    import joblib

    joblib.dump({"weights": [1, 2]}, tmp_path / "other.joblib")
    with pytest.raises(ValueError, match=r"other\.joblib is not a model saved by sklearn-emotion"):
        load_model(tmp_path / "other.joblib")
    with pytest.raises(FileNotFoundError, match=r"absent\.joblib"):
        load_model(tmp_path / "absent.joblib")


def test_saved_model_round_trip_keeps_its_context(tmp_path):
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor

    rng = np.random.default_rng(0)
    movies = [{"image": rng.normal(size=(12, 3))} for _ in range(2)]
    curves = [rng.uniform(-1, 1, size=(12, 2)) for _ in range(2)]
    model = PerSecondRegressor(Ridge()).fit(movies, curves)
    spec = {"image": {"kind": "colour-layout"}}
    path = save_model(tmp_path / "deep" / "model.joblib", SavedModel(model, {"image": 3}, spec, {"note": "x"}))
    loaded = load_model(path)
    assert (loaded.modalities, loaded.feature_spec, loaded.info) == ({"image": 3}, spec, {"note": "x"})
    np.testing.assert_array_equal(loaded.estimator.predict(movies)[0], model.predict(movies)[0])
