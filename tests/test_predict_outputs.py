"""`sklearn-emotion predict`: its folder belongs to one model, every movie fails alone, outputs are checked.

Issue 19, items 2 (another model's folder is refused without --overwrite), 6 (NaN or infinite
predictions are an error naming the movie), 13 (a bad video fails alone; --missing-audio) and 20
(predictions.json says, per movie, whether the model was trained on it).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_curves, save_features
from sklearn_emotion.media.cache import content_digest
from sklearn_emotion.prediction_info import read_prediction_info, write_prediction_info

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_video  # noqa: E402

#: Weight-free features (no pretrained file needed) and their widths.
SPEC = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
WIDTHS = {"image": 51, "audio": 112}


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([os.fspath(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _movie(seed: int, seconds: int = 12, widths=None, scale: float = 1.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: (scale * rng.normal(size=(seconds, d))).astype(np.float32) for k, d in (widths or {"image": 3}).items()}


def _model(path: Path, *, seed: int = 0, widths=None, spec=None, info=None, coef=None) -> Path:
    """A per-second ridge model saved as `fit` saves one (``coef`` replaces its coefficients)."""
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.persistence import SavedModel, save_model

    widths = widths or {"image": 3}
    movies = [_movie(seed + k, widths=widths) for k in range(2)]
    targets = [np.tanh(np.random.default_rng(seed + 10 + k).normal(size=(12, 2))) for k in range(2)]
    estimator = PerSecondRegressor(Ridge()).fit(movies, targets)
    if coef is not None:
        estimator.estimator_.coef_ = np.asarray(coef, dtype=np.float64)
        estimator.estimator_.intercept_ = np.zeros(2)
    return save_model(path, SavedModel(estimator, widths, spec, info={"model": "baseline", **(info or {})}))


def _features(folder: Path, names, seed: int = 100, **kwargs) -> list[Path]:
    return [save_features(folder / f"{name}.npz", _movie(seed + k, **kwargs)) for k, name in enumerate(names)]


# ------------------------------------------------------------------------------------ item 2: one model per folder
def test_a_folder_of_another_model_is_refused_without_overwrite(tmp_path, capsys):
    first, second = _model(tmp_path / "first.skops", seed=0), _model(tmp_path / "second.skops", seed=50)
    inputs = _features(tmp_path / "features", ["a", "b"])
    out = tmp_path / "pred"
    code, _, err = _run(capsys, "predict", first, *inputs, "-o", out, "--no-progress")
    assert code == 0, err
    before = (out / "a.csv").read_bytes()
    code, _, err = _run(capsys, "predict", second, inputs[0], "-o", out, "--no-progress")
    assert code == 1 and "another model" in err and "first.skops" in err and "--overwrite" in err
    assert err.count("\n") == 1
    assert (out / "a.csv").read_bytes() == before and read_prediction_info(out)["model"].startswith("first.skops")
    # The same model adds movies to its own folder.
    more = _features(tmp_path / "more", ["c"], seed=300)
    code, _, err = _run(capsys, "predict", first, *more, "-o", out, "--no-progress")
    assert code == 0, err
    assert set(read_prediction_info(out)["movies"]) == {"a", "b", "c"}
    # --overwrite replaces the other model's predictions: none of its files stay to be scored as the new one's.
    code, out_text, err = _run(capsys, "predict", second, inputs[0], "-o", out, "--overwrite", "--no-progress")
    assert code == 0, err
    assert "removed the 3 prediction(s)" in out_text
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.csv", "a.png", "predictions.json"]
    info = read_prediction_info(out)
    assert info["model"].startswith("second.skops") and info["model_sha256"] == content_digest(second)
    assert set(info["movies"]) == {"a"}


def test_predictions_of_an_unknown_or_0_2_model_are_refused(tmp_path, capsys):
    model = _model(tmp_path / "model.skops")
    inputs = _features(tmp_path / "features", ["a"])
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "x.csv").write_text("Time,Valence,Arousal\n0,0,0\n")
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", unknown, "--no-progress")
    assert code == 1 and "unknown model" in err and (unknown / "x.csv").is_file()
    old = tmp_path / "old"
    old.mkdir()
    (old / "predictions.json").write_text(json.dumps({"format": "sklearn-emotion predictions", "version": 1,
                                                      "model": "m.joblib (paper)", "model_file": "/m.joblib"}))
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", old, "--no-progress")
    assert code == 1 and "m.joblib (paper)" in err and "records no SHA-256" in err


def test_output_naming_a_file_is_one_clear_error(tmp_path, capsys):
    model = _model(tmp_path / "model.skops")
    inputs = _features(tmp_path / "features", ["a"])
    (tmp_path / "taken").write_text("mine")
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "taken", "--no-progress")
    assert code == 1 and "taken is a file" in err and "Errno" not in err and err.count("\n") == 1
    assert (tmp_path / "taken").read_text() == "mine"


# ------------------------------------------------------------------------------------ item 6: finite outputs
def test_nan_or_infinite_predictions_are_an_error_naming_the_movie(tmp_path, capsys):
    nan_model = _model(tmp_path / "nan.skops", coef=np.full((2, 3), np.nan))
    inputs = _features(tmp_path / "features", ["a"])
    code, out, err = _run(capsys, "predict", nan_model, *inputs, "-o", tmp_path / "nan", "--no-progress")
    assert code == 1 and "FAILED" in out and "movie a" in err and "NaN or infinity" in err
    assert not (tmp_path / "nan" / "a.csv").exists()
    # Huge coefficients overflow on one movie only: it fails alone, the other is written.
    huge = _model(tmp_path / "huge.skops", coef=[[1e308, 0, 0], [0, 0, 0]])
    small = save_features(tmp_path / "f2" / "small.npz", {"image": np.zeros((5, 3), np.float32)})
    large = save_features(tmp_path / "f2" / "large.npz", {"image": np.full((5, 3), 10, np.float32)})
    code, out, err = _run(capsys, "predict", huge, small, large, "-o", tmp_path / "huge", "--no-progress")
    assert code == 1 and "1 movie(s) failed" in err and "movie large" in err and "small" not in err
    assert read_curves(tmp_path / "huge" / "small.csv").shape == (5, 2)
    assert not (tmp_path / "huge" / "large.csv").exists()
    assert set(read_prediction_info(tmp_path / "huge")["movies"]) == {"small"}


def test_a_feature_file_of_other_widths_fails_alone(tmp_path, capsys):
    model = _model(tmp_path / "model.skops")
    good = _features(tmp_path / "features", ["good"])
    bad = _features(tmp_path / "features", ["bad"], widths={"image": 4})
    code, out, err = _run(capsys, "predict", model, *good, *bad, "-o", tmp_path / "pred", "--no-progress")
    assert code == 1 and "FAILED" in out and "movie bad" in err and "1 of 2 movie(s)" in out
    assert (tmp_path / "pred" / "good.csv").is_file()


def test_the_workflow_from_python_raises_one_error_naming_each_failed_movie(tmp_path):
    from sklearn_emotion.persistence import load_model
    from sklearn_emotion.workflows.movies import MoviesFailedError
    from sklearn_emotion.workflows.predict import predict_to_folder

    path = _model(tmp_path / "model.skops")
    good = _features(tmp_path / "features", ["good"])
    bad = _features(tmp_path / "features", ["bad"], widths={"image": 4})
    lines = []
    with pytest.raises(MoviesFailedError, match=r"1 movie\(s\) failed; the others are written") as caught:
        predict_to_folder(load_model(path), [tmp_path / "features"], tmp_path / "pred", model_file=path, plot=False,
                          progress=False, echo=lines.append)
    assert isinstance(caught.value, ValueError) and list(caught.value.failures) == bad
    assert "movie bad has features {'image': 4}" in str(caught.value.failures[bad[0]])
    assert any(line.startswith(f"FAILED {bad[0]}") for line in lines)
    assert read_curves(tmp_path / "pred" / "good.csv").shape == (12, 2) and not (tmp_path / "pred" / "good.png").exists()
    # A loaded model needs its file: the folder records its name and SHA-256.
    with pytest.raises(ValueError, match="model_file"):
        predict_to_folder(load_model(path), good, tmp_path / "other", progress=False, echo=lines.append)
    assert predict_to_folder(path, good, tmp_path / "by-file", plot=False, progress=False, echo=lines.append) == ["good"]


# ------------------------------------------------------------------------------------ item 20: trained on?
def test_predictions_json_says_which_movies_the_model_was_trained_on(tmp_path, capsys):
    inputs = _features(tmp_path / "features", ["seen", "renamed_twin", "other"])
    shutil.copy(inputs[0], inputs[1])  # same bytes as a training movie, another name
    namesake = _features(tmp_path / "elsewhere", ["same_name"], seed=500)[0]
    digests = {"seen": {"features": content_digest(inputs[0]), "source": None},
               "same_name": {"features": "0" * 64, "source": "1" * 64}}
    model = _model(tmp_path / "model.skops", info={"movies": ["seen", "same_name"], "training_digests": digests})
    code, _, err = _run(capsys, "predict", model, *inputs, namesake, "-o", tmp_path / "pred", "--no-plot",
                        "--no-progress")
    assert code == 0, err
    info = read_prediction_info(tmp_path / "pred")
    assert info["training_movies"] == ["seen", "same_name"] and info["version"] == 2
    movies = info["movies"]
    assert movies["seen"] == {"input": os.fspath(inputs[0].resolve()), "sha256": content_digest(inputs[0]),
                              "trained_on": True, "training_name": True}
    assert movies["renamed_twin"]["trained_on"] is True and movies["renamed_twin"]["training_name"] is False
    assert movies["other"]["trained_on"] is False and movies["other"]["training_name"] is False
    assert movies["same_name"]["trained_on"] is False and movies["same_name"]["training_name"] is True
    # A model without digests (before they were recorded): unknown, but the name still says something.
    old = _model(tmp_path / "old.skops", info={"movies": ["seen"]})
    code, _, err = _run(capsys, "predict", old, inputs[0], "-o", tmp_path / "old", "--no-plot", "--no-progress")
    assert code == 0, err
    record = read_prediction_info(tmp_path / "old")["movies"]["seen"]
    assert record["trained_on"] is None and record["training_name"] is True


def test_version_1_predictions_json_is_still_read(tmp_path):
    folder = tmp_path / "pred"
    folder.mkdir()
    (folder / "predictions.json").write_text(json.dumps({"format": "sklearn-emotion predictions", "version": 1,
                                                         "model": "m (paper)", "model_file": None}))
    info = read_prediction_info(folder)
    assert info["model"] == "m (paper)" and info["model_sha256"] is None
    assert info["movies"] == {} and info["training_movies"] is None
    write_prediction_info(folder, "m", movies={"a": {"trained_on": True}})
    assert read_prediction_info(folder)["movies"]["a"]["trained_on"] is True
    (folder / "predictions.json").write_text(json.dumps({"model": "m", "movies": ["a"]}))
    with pytest.raises(ValueError, match='"movies" must map'):
        read_prediction_info(folder)


# ------------------------------------------------------------------------------------ item 13: videos fail alone
@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    photos = [photo(name, (96, 64)) for name in ("astronaut", "chelsea", "coffee")]
    good = write_video(folder / "good.mp4", photos, fps=2, audio=tone(3, 16000))
    silent = write_video(folder / "silent.mp4", photos, fps=2)
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00 ftypisom" + bytes(range(256)) * 8)
    return good, silent, broken


def test_a_bad_video_fails_alone_and_missing_audio_is_accepted(tmp_path, capsys, clips):
    good, silent, broken = clips
    model = _model(tmp_path / "model.skops", widths=WIDTHS, spec=SPEC)
    code, out, err = _run(capsys, "predict", model, broken, good, silent, "-o", tmp_path / "pred", "--no-progress")
    assert code == 1, err
    assert "2 movie(s) failed" in err and "broken.mp4" in err and "silent" in err and "--missing-audio silence" in err
    assert read_curves(tmp_path / "pred" / "good.csv").shape[1] == 2 and "1 of 3 movie(s)" in out
    assert not (tmp_path / "pred" / "silent.csv").exists()
    assert read_prediction_info(tmp_path / "pred")["movies"]["good"]["sha256"] == content_digest(good)
    code, _, err = _run(capsys, "predict", model, silent, "-o", tmp_path / "pred", "--missing-audio", "silence",
                        "--no-progress")
    assert code == 0, err
    assert (tmp_path / "pred" / "silent.csv").is_file()


def test_the_models_missing_audio_policy_is_the_default(tmp_path, capsys, clips):
    _, silent, _ = clips
    model = _model(tmp_path / "model.skops", widths=WIDTHS, spec=SPEC, info={"missing_audio": "silence"})
    code, _, err = _run(capsys, "predict", model, silent, "-o", tmp_path / "pred", "--no-plot", "--no-progress")
    assert code == 0, err
    code, _, err = _run(capsys, "predict", model, silent, "-o", tmp_path / "strict", "--missing-audio", "error",
                        "--no-progress")
    assert code == 1 and "silent" in err


# ------------------------------------------------------------------------------------ report: the same rules
def test_report_a_bad_video_fails_alone_and_missing_audio_is_accepted(tmp_path, capsys, clips):
    good, silent, broken = clips
    model = _model(tmp_path / "model.skops", widths=WIDTHS, spec=SPEC)
    out = tmp_path / "report"
    code, text, err = _run(capsys, "report", model, broken, good, silent, "-o", out, "--no-progress")
    assert code == 1, err
    assert "2 movie(s) failed" in err and "broken.mp4" in err and "--missing-audio silence" in err
    assert (out / "good.html").is_file() and not (out / "silent.html").exists() and "1 of 3 movie(s)" in text
    code, _, err = _run(capsys, "report", model, good, silent, "-o", out, "--missing-audio", "silence",
                        "--no-progress")
    assert code == 0, err
    assert (out / "silent.html").is_file() and (out / "index.html").is_file()


def test_report_refuses_nan_predictions_and_feature_files(tmp_path, capsys, clips):
    good, _, _ = clips
    nan_model = _model(tmp_path / "nan.skops", widths=WIDTHS, spec=SPEC, coef=np.full((2, 163), np.nan))
    code, _, err = _run(capsys, "report", nan_model, good, "-o", tmp_path / "nan", "--no-progress")
    assert code == 1 and "movie good" in err and "NaN or infinity" in err and "no page written" in err
    assert not (tmp_path / "nan" / "good.html").exists()
    features = _features(tmp_path / "features", ["good"], widths=WIDTHS)
    model = _model(tmp_path / "model.skops", widths=WIDTHS, spec=SPEC)
    code, _, err = _run(capsys, "report", model, *features, "-o", tmp_path / "r", "--no-progress")
    assert code == 1 and "good.npz is a feature file" in err and "predict" in err and err.count("\n") == 1


def test_report_refuses_a_folder_with_another_models_pages(tmp_path, capsys, clips):
    from sklearn_emotion.report import report_pages

    good, _, _ = clips
    first = _model(tmp_path / "first.skops", widths=WIDTHS, spec=SPEC, seed=0)
    second = _model(tmp_path / "second.skops", widths=WIDTHS, spec=SPEC, seed=50)
    out = tmp_path / "report"
    (out / "notes.html").parent.mkdir()
    (out / "notes.html").write_text("<html>mine</html>")  # not a report page: never touched
    code, _, err = _run(capsys, "report", first, good, "-o", out, "--no-progress")
    assert code == 0, err
    assert report_pages(out) == {out / "good.html": content_digest(first)}
    page = (out / "good.html").read_bytes()
    code, _, err = _run(capsys, "report", second, good, "-o", out, "--no-progress")
    assert code == 1 and "another model" in err and "--overwrite" in err and err.count("\n") == 1
    assert (out / "good.html").read_bytes() == page
    code, _, err = _run(capsys, "report", first, good, "-o", out, "--no-progress")  # the same model: fine
    assert code == 0, err
    code, _, err = _run(capsys, "report", second, good, "-o", out, "--overwrite", "--no-progress")
    assert code == 0, err
    assert report_pages(out) == {out / "good.html": content_digest(second)}
    assert (out / "notes.html").read_text() == "<html>mine</html>"


def test_report_a_malformed_annotation_file_fails_its_movie_alone(tmp_path, capsys, clips):
    good, silent, _ = clips
    model = _model(tmp_path / "model.skops", widths=WIDTHS, spec=SPEC, info={"missing_audio": "silence"})
    annotations = tmp_path / "ann"
    annotations.mkdir()
    (annotations / "good.csv").write_text("Time,Valence,Arousal\n0,zero,0\n")
    code, _, err = _run(capsys, "report", model, good, silent, "-o", tmp_path / "r", "--annotations", annotations,
                        "--no-progress")
    assert code == 1 and "1 movie(s) failed" in err and "good.csv" in err
    assert (tmp_path / "r" / "silent.html").is_file() and not (tmp_path / "r" / "good.html").exists()


def test_a_model_that_cannot_read_videos_is_an_error_before_any_work(tmp_path, capsys, clips):
    good, _, _ = clips
    model = _model(tmp_path / "model.skops", widths=WIDTHS)  # no feature settings recorded
    features = _features(tmp_path / "features", ["f"], widths=WIDTHS)
    code, _, err = _run(capsys, "predict", model, *features, good, "-o", tmp_path / "pred", "--no-progress")
    assert code == 1 and "cannot read videos" in err and err.count("\n") == 1
    assert not (tmp_path / "pred").exists()
