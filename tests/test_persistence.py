"""Model files: the skops format round-trips; one written by sklearn-emotion 0.1.0 (a pickle) is refused
unless trusted, and trusted it still loads and predicts, or fails in one line naming 0.1.0.

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

from sklearn_emotion.model_files import MissingModelFileError, resolve_feature_spec
from sklearn_emotion.persistence import (
    SavedModel,
    UnsafeModelError,
    load_model,
    save_model,
)

DATA = Path(__file__).parent / "data"
MODEL_V0_1 = DATA / "model_v0_1.joblib"


def _movies_and_predictions_of_0_1() -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
    with np.load(DATA / "model_v0_1_expected.npz") as stored:
        movies = [{m: stored[f"movie_{i}__{m}"] for m in ("image", "audio")} for i in range(2)]
        predicted = [stored[f"movie_{i}__predicted"] for i in range(2)]
    return movies, predicted


def test_model_saved_by_0_1_is_refused_unless_trusted():
    with pytest.raises(UnsafeModelError) as raised:
        load_model(MODEL_V0_1)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{MODEL_V0_1} is a pickle-based model file")
    assert "0.1.0" in message and "can run any code" in message
    assert "--trust-model" in message and "trust_pickle=True" in message and "save_model" in message


def test_model_saved_by_0_1_loads_when_trusted_and_predicts_what_0_1_predicted():
    with pytest.warns(FutureWarning) as record:
        saved = load_model(MODEL_V0_1, trust_pickle=True)
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


def test_resaving_a_0_1_model_converts_it_to_the_safe_format(tmp_path):
    with pytest.warns(FutureWarning):
        saved = load_model(MODEL_V0_1, trust_pickle=True)
    path = save_model(tmp_path / "resaved.skops", saved)
    assert path.read_bytes()[:4] == b"PK\x03\x04"  # a zip archive (skops), not a pickle
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
        load_model(MODEL_V0_1, trust_pickle=True)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{MODEL_V0_1} was saved by sklearn-emotion 0.1.0 and cannot be loaded")
    assert "sklearn_emotion.gru_moe" in message  # what is missing


def test_files_that_are_not_models_are_named(tmp_path):
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a pickle\n at all")
    for trust in (False, True):
        with pytest.raises(ValueError, match=r"junk\.joblib is not a readable sklearn-emotion model file") as raised:
            load_model(junk, trust_pickle=trust)
        assert "\n" not in str(raised.value)
    import joblib

    joblib.dump({"weights": [1, 2]}, tmp_path / "other.joblib")
    with pytest.raises(UnsafeModelError, match=r"other\.joblib is a pickle-based model file \(joblib/pickle\)"):
        load_model(tmp_path / "other.joblib")
    with pytest.raises(ValueError, match=r"other\.joblib is not a model saved by sklearn-emotion"):
        load_model(tmp_path / "other.joblib", trust_pickle=True)
    with pytest.raises(FileNotFoundError, match=r"absent\.skops"):
        load_model(tmp_path / "absent.skops")


def test_saved_model_round_trip_keeps_its_context(tmp_path):
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor

    rng = np.random.default_rng(0)
    movies = [{"image": rng.normal(size=(12, 3))} for _ in range(2)]
    curves = [rng.uniform(-1, 1, size=(12, 2)) for _ in range(2)]
    model = PerSecondRegressor(Ridge()).fit(movies, curves)
    spec = {"image": {"kind": "colour-layout"}}
    info = {"note": "x", "folder": tmp_path, "seconds": np.int64(24), "sizes": (1, 2)}
    path = save_model(tmp_path / "deep" / "model.skops", SavedModel(model, {"image": 3}, spec, info))
    loaded = load_model(path)
    expected_info = {"note": "x", "folder": str(tmp_path), "seconds": 24, "sizes": [1, 2]}  # as JSON
    assert (loaded.modalities, loaded.feature_spec, loaded.info) == ({"image": 3}, spec, expected_info)
    np.testing.assert_array_equal(loaded.estimator.predict(movies)[0], model.predict(movies)[0])
    # The name does not decide the format: a .joblib name gets the safe format too.
    assert load_model(save_model(tmp_path / "named.joblib", loaded)).info == expected_info


# ------------------------------------------------------------------------------------ damaged files
def _baseline() -> SavedModel:
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor

    rng = np.random.default_rng(1)
    movies = [{"image": rng.normal(size=(10, 2))}]
    return SavedModel(PerSecondRegressor(Ridge()).fit(movies, [rng.normal(size=(10, 2))]), {"image": 2})


def _rewrite(source: Path, target: Path, *, drop: str = "", meta: dict | None = None) -> Path:
    """A copy of the skops model ``source`` without member ``drop`` and/or with ``meta`` as its JSON member."""
    import json
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename == drop:
                continue
            if meta is not None and item.filename == "sklearn-emotion.json":
                new.writestr(item.filename, json.dumps(meta))
            else:
                new.writestr(item, old.read(item.filename))
    return target


def _one_line_value_error(path: Path, match: str) -> str:
    with pytest.raises(ValueError, match=match) as raised:
        load_model(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    return message


def test_damaged_model_files_fail_in_one_line_naming_the_file(tmp_path):
    import joblib

    good = save_model(tmp_path / "good.skops", _baseline())
    data = good.read_bytes()
    (tmp_path / "truncated.skops").write_bytes(data[: len(data) // 2])
    _one_line_value_error(tmp_path / "truncated.skops", "is not a readable sklearn-emotion model file")
    (tmp_path / "empty.skops").write_bytes(b"")
    _one_line_value_error(tmp_path / "empty.skops", "is not a readable sklearn-emotion model file")
    (tmp_path / "random.skops").write_bytes(np.random.default_rng(0).bytes(3000))
    _one_line_value_error(tmp_path / "random.skops", "is not a readable sklearn-emotion model file")
    # The format marker but no estimator, in both formats.
    _rewrite(good, tmp_path / "no-estimator.skops", drop="schema.json")
    _one_line_value_error(tmp_path / "no-estimator.skops", "has the sklearn-emotion model marker but no estimator")
    joblib.dump({"format": "sklearn-emotion-model", "package_version": "0.1.0", "modalities": {"a": 1}},
                tmp_path / "no-estimator.joblib")
    with pytest.raises(ValueError, match="has the sklearn-emotion model marker but no estimator") as raised:
        load_model(tmp_path / "no-estimator.joblib", trust_pickle=True)
    assert "\n" not in str(raised.value) and "no-estimator.joblib" in str(raised.value)
    # A skops file of sklearn-emotion's own estimator but without the model member, a newer format, bad fields.
    _rewrite(good, tmp_path / "plain.skops", drop="sklearn-emotion.json")
    _one_line_value_error(tmp_path / "plain.skops", "is not a model saved by sklearn-emotion")
    meta = {"format": "sklearn-emotion-model", "format_version": 99, "package_version": "9.0"}
    _rewrite(good, tmp_path / "newer.skops", meta=meta)
    _one_line_value_error(tmp_path / "newer.skops", r"saved by a newer sklearn-emotion \(9\.0\)")
    meta = {"format": "sklearn-emotion-model", "format_version": 2, "package_version": "x", "modalities": [1]}
    _rewrite(good, tmp_path / "bad-fields.skops", meta=meta)
    _one_line_value_error(tmp_path / "bad-fields.skops", "malformed modalities")


# ------------------------------------------------------------------------------------ portable feature specs
def test_feature_spec_names_model_files_by_name_and_hash_and_finds_them_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/weights from here
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", str(tmp_path / "home"))  # an empty model cache
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    first = tmp_path / "first"
    first.mkdir()
    (first / "tiny.tflite").write_bytes(b"image network")
    (first / "fer2013_mini_XCEPTION.102-0.66.hdf5").write_bytes(b"face network")
    spec = {"image": {"backbone": str(first / "tiny.tflite"), "output": "avg"},
            "audio": {"backbone": "descriptors"},
            "face": {"detector": "blaze_face_short_range", "face_model": str(first / "fer2013_mini_XCEPTION.102-0.66.hdf5")}}
    path = save_model(tmp_path / "model.skops", SavedModel(_baseline().estimator, {"image": 2}, spec))
    stored = load_model(path).feature_spec
    assert stored["audio"] == {"backbone": "descriptors"} and stored["face"]["detector"] == "blaze_face_short_range"
    backbone = stored["image"]["backbone"]
    import hashlib

    assert backbone["model_file"] == "tiny.tflite"
    assert backbone["sha256"] == hashlib.sha256(b"image network").hexdigest()
    # On this machine, where the files still are: the same paths.
    resolved = resolve_feature_spec(stored)  # saved without frame_selection: the exact rule, as in 0.2
    assert resolved["image"] == {"backbone": str(first / "tiny.tflite"), "output": "avg", "frame_selection": "exact"}
    # Elsewhere: the files in another weights folder (given, or $SKLEARN_EMOTION_WEIGHTS), or the model cache.
    second = tmp_path / "second"
    first.rename(second)
    assert resolve_feature_spec(stored, second)["image"]["backbone"] == str(second / "tiny.tflite")
    monkeypatch.setenv("SKLEARN_EMOTION_WEIGHTS", str(second))
    assert resolve_feature_spec(stored)["face"]["face_model"] == str(second / "fer2013_mini_XCEPTION.102-0.66.hdf5")
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS")
    (tmp_path / "home" / "models").mkdir(parents=True)
    for file in second.iterdir():
        file.rename(tmp_path / "home" / "models" / file.name)
    assert resolve_feature_spec(stored)["image"]["backbone"] == str(tmp_path / "home" / "models" / "tiny.tflite")
    # Re-saving a loaded model keeps the references, without needing the files.
    again = load_model(save_model(tmp_path / "again.skops", load_model(path)))
    assert again.feature_spec == stored
    # Another file under the same name, or none: one line naming the file and its SHA-256.
    (tmp_path / "home" / "models" / "tiny.tflite").write_bytes(b"another image network")
    with pytest.raises(MissingModelFileError) as raised:
        resolve_feature_spec(stored, source=path)
    message = str(raised.value)
    assert "\n" not in message and "tiny.tflite" in message and backbone["sha256"] in message
    assert hashlib.sha256(b"another image network").hexdigest() in message and str(path) in message
    (tmp_path / "home" / "models" / "tiny.tflite").unlink()
    with pytest.raises(MissingModelFileError, match=rf"image backbone needs the model file tiny\.tflite \(SHA-256 {backbone['sha256']}\), which is not found"):
        resolve_feature_spec(stored)
