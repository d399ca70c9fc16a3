"""The sklearn-emotion command line: help, errors and exit codes, the extract/fit/predict/evaluate chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import (
    LengthMismatchWarning,
    load_features,
    read_annotations,
    read_curves,
    save_features,
    write_curves,
)

REPO_DIR = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------ helpers
def _write_table(path: Path, curves: np.ndarray, separator: str = "\t") -> Path:
    lines = [separator.join(["Time", "Valence", "Arousal"])]
    lines += [separator.join([str(t), f"{v:.4f}", f"{a:.4f}"]) for t, (v, a) in enumerate(curves)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _feature_corpus(folder: Path, n_movies: int = 4, seed: int = 0) -> tuple[Path, Path, list[np.ndarray]]:
    """Feature files whose first columns drive smooth curves, and MediaEval-style annotation files."""
    rng = np.random.default_rng(seed)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    curves = []
    for index in range(n_movies):
        n = int(rng.integers(25, 35))
        drivers = np.cumsum(rng.normal(0, 0.2, size=(n, 2)), axis=0)
        target = np.tanh(drivers / 2)
        movie = {
            "image": np.hstack([drivers, rng.normal(size=(n, 3))]).astype(np.float32),
            "audio": rng.normal(size=(n, 2)).astype(np.float32),
        }
        save_features(features / f"movie_{index}.npz", movie)
        _write_table(annotations / f"movie_{index}_Valence-Arousal.txt", target)
        curves.append(target)
    return features, annotations, curves


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


TINY_NETWORK = ("--window", "5", "--units", "4", "--epochs", "2", "--batch-size", "32", "--no-progress")


# ------------------------------------------------------------------------------------ help and errors
@pytest.mark.parametrize("command", ["", "demo", "extract", "fit", "predict", "evaluate"])
def test_help_explains_every_command(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"] if command else ["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: sklearn-emotion" in text
    expected = {
        "": ["demo", "extract", "fit", "predict", "evaluate", "valence", "arousal"],
        "demo": ["--output-dir", "--weights-dir", "--quick", "weight-free"],
        "extract": ["--weights-dir", "--n-jobs", ".npz", "resumes"],
        "fit": ["--window", "_Valence-Arousal.txt", "--model", "baseline"],
        "predict": [".csv", ".png", "Time,Valence,Arousal"],
        "evaluate": ["MSE", "Pearson", "--paper"],
    }[command]
    for word in expected:
        assert word in text, word


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_input_errors_exit_1_and_name_the_file(tmp_path, capsys):
    code, _, err = _run(capsys, "fit", tmp_path / "nowhere", tmp_path, "-o", tmp_path / "m.joblib")
    assert code == 1 and "nowhere" in err and "error" in err
    code, _, err = _run(capsys, "predict", tmp_path / "missing.joblib", tmp_path, "-o", tmp_path / "out")
    assert code == 1 and "missing.joblib" in err
    not_a_model = tmp_path / "junk.joblib"
    not_a_model.write_bytes(b"not a pickle")
    code, _, err = _run(capsys, "predict", not_a_model, tmp_path, "-o", tmp_path / "out")
    assert code == 1 and "junk.joblib" in err
    features, annotations, _ = _feature_corpus(tmp_path / "data", n_movies=2)
    (annotations / "movie_1_Valence-Arousal.txt").unlink()
    code, _, err = _run(capsys, "fit", features, annotations, "-o", tmp_path / "m.joblib", "--model", "baseline")
    assert code == 1 and "movie_1" in err
    code, _, err = _run(capsys, "extract", tmp_path / "clip.mp4", "-o", tmp_path / "f")
    assert code == 1 and "clip.mp4" in err
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00 ftypisom" + bytes(range(256)) * 8)
    code, _, err = _run(capsys, "extract", tmp_path / "broken.mp4", "-o", tmp_path / "f", "--no-progress",
                        "--image", "colour-layout", "--audio", "descriptors", "--face", "none")
    assert code == 1 and "broken.mp4" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------ file formats
def test_curve_tables_round_trip_and_errors_name_file_and_line(tmp_path):
    curves = np.array([[0.1, -0.2], [0.3, np.nan], [-0.5, 0.25]])
    path = write_curves(tmp_path / "m.csv", curves)
    np.testing.assert_allclose(read_curves(path), curves, atol=1e-6)
    tab = _write_table(tmp_path / "t.txt", np.nan_to_num(curves))
    np.testing.assert_allclose(read_curves(tab), np.nan_to_num(curves), atol=1e-4)
    bad = tmp_path / "bad.txt"
    bad.write_text("Time\tValence\tArousal\n0\t0.1\t0.2\n2\t0.1\t0.2\n")
    with pytest.raises(ValueError, match=r"bad\.txt, line 3: Time is 2"):
        read_curves(bad)
    bad.write_text("Time,Valence,Arousal\n0,0.1,abc\n")
    with pytest.raises(ValueError, match=r"bad\.txt, line 2"):
        read_curves(bad)
    bad.write_text("t v a\n")
    with pytest.raises(ValueError, match=r"bad\.txt, line 1: expected the header"):
        read_curves(bad)


def test_annotation_folder_formats(tmp_path):
    curves = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    _write_table(tmp_path / "a_Valence-Arousal.txt", curves)
    _write_table(tmp_path / "b.csv", curves, separator=",")
    for axis, column in (("Valence", 0), ("Arousal", 1)):
        rows = "".join(f"{t}\t{curves[t, column]}\t0.1\n" for t in range(3))
        (tmp_path / f"c_{axis}.txt").write_text("Time\tMean\tStd\n" + rows)
    for movie in "abc":
        np.testing.assert_allclose(read_annotations(tmp_path, movie), curves, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="'d'.*d_Valence-Arousal.txt"):
        read_annotations(tmp_path, "d")


def test_feature_files_are_checked(tmp_path):
    path = save_features(tmp_path / "m.npz", {"image": np.ones((4, 3)), "audio": np.zeros((4, 2))})
    assert {k: v.shape for k, v in load_features(path).items()} == {"image": (4, 3), "audio": (4, 2)}
    np.savez(tmp_path / "bad.npz", image=np.ones((4, 3)), audio=np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"bad\.npz: the arrays have different numbers of seconds"):
        load_features(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="same number of seconds"):
        save_features(tmp_path / "x.npz", {"image": np.ones((4, 3)), "audio": np.ones((3, 2))})
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporary file


# ------------------------------------------------------------------------------------ the chain
@pytest.mark.keras
def test_fit_predict_evaluate_on_feature_files(tmp_path, capsys):
    features, annotations, curves = _feature_corpus(tmp_path)
    base = tmp_path / "baseline.joblib"
    code, out, _ = _run(capsys, "fit", features, annotations, "-o", base, "--model", "baseline", "--alpha", "1")
    assert code == 0 and "Saved the model" in out and base.is_file()
    code, out, _ = _run(capsys, "predict", base, features, "-o", tmp_path / "base-pred", "--no-progress")
    assert code == 0
    for index, truth in enumerate(curves):
        predicted = read_curves(tmp_path / "base-pred" / f"movie_{index}.csv")
        assert predicted.shape == truth.shape
        assert (tmp_path / "base-pred" / f"movie_{index}.png").stat().st_size > 10_000
    paper = tmp_path / "paper.joblib"
    code, out, _ = _run(capsys, "fit", features, annotations, "-o", paper, *TINY_NETWORK)
    assert code == 0, out
    code, _, _ = _run(capsys, "predict", paper, features / "movie_0.npz", "-o", tmp_path / "paper-pred", "--no-plot")
    assert code == 0 and not list((tmp_path / "paper-pred").glob("*.png"))
    table_file = tmp_path / "table.md"
    code, out, _ = _run(capsys, "evaluate", tmp_path / "base-pred", tmp_path / "paper-pred", annotations,
                        "-o", table_file)
    assert code == 0
    assert "| base-pred" in out and "| paper-pred" in out and "Valence MSE" in out
    assert table_file.read_text().startswith("| Run")
    # The baseline sees the drivers of the curves: it must beat predicting zero on valence.
    from sklearn_emotion.metrics import mediaeval_scores

    predicted = [read_curves(tmp_path / "base-pred" / f"movie_{i}.csv") for i in range(len(curves))]
    assert mediaeval_scores(curves, predicted)["Valence MSE"] < mediaeval_scores(curves, [0 * c for c in curves])["Valence MSE"]


@pytest.mark.keras
def test_fit_with_no_options_learns_two_movies(tmp_path, capsys):
    # A user's first try: two movies, `fit` with every option at its default.  The curves follow
    # the last 20 s of two feature columns, so the model has something to learn.
    rng = np.random.default_rng(5)
    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir()
    curves = []
    for index, n in enumerate((130, 160)):
        x = rng.normal(size=(n, 6)).astype(np.float32)
        past = np.array([x[max(0, t - 19):t + 1, :2].mean(axis=0) for t in range(n)])
        curves.append(np.tanh(2 * past))
        save_features(features / f"movie_{index}.npz", {"image": x[:, 2:], "audio": x[:, :2]})
        _write_table(annotations / f"movie_{index}_Valence-Arousal.txt", curves[-1])
    model = tmp_path / "model.joblib"
    code, out, _ = _run(capsys, "fit", features, annotations, "-o", model, "--no-progress")
    assert code == 0 and "watching the training loss" in out and "best epoch" in out
    assert "Keras networks run on CPU" in out or "Keras networks run on GPU" in out
    code, _, _ = _run(capsys, "predict", model, features, "-o", tmp_path / "pred", "--no-plot", "--no-progress")
    assert code == 0
    predicted = [read_curves(tmp_path / "pred" / f"movie_{i}.csv") for i in range(2)]
    level = np.concatenate(curves).mean(axis=0)
    mse = np.mean(np.concatenate([(p - c) ** 2 for p, c in zip(predicted, curves)]))
    constant = np.mean(np.concatenate([(level - c) ** 2 for c in curves]))
    assert mse < 0.5 * constant


def test_fit_truncates_mismatched_lengths_with_a_warning(tmp_path, capsys):
    features, annotations, curves = _feature_corpus(tmp_path, n_movies=2)
    _write_table(annotations / "movie_0_Valence-Arousal.txt", curves[0][:-2])
    n = len(curves[0])
    with pytest.warns(LengthMismatchWarning, match=rf"1 movie\(s\) .*: movie_0 \(features {n}, annotations {n - 2} rows\)\.$"):
        code, _, _ = _run(capsys, "fit", features, annotations, "-o", tmp_path / "m.joblib", "--model", "baseline")
    assert code == 0


def test_evaluate_rejects_predictions_of_another_length(tmp_path, capsys):
    _, annotations, curves = _feature_corpus(tmp_path, n_movies=1)
    predictions = tmp_path / "pred"
    write_curves(predictions / "movie_0.csv", np.zeros((len(curves[0]) + 5, 2)))
    code, _, err = _run(capsys, "evaluate", predictions, annotations)
    assert code == 1 and "movie_0" in err and "predicted seconds" in err


@pytest.mark.subprocess
def test_saved_model_predicts_identically_in_a_new_process(tmp_path):
    from sklearn_emotion.demo import DemoConfig, paper_pipeline
    from sklearn_emotion.files import find_feature_files
    from sklearn_emotion.persistence import SavedModel, save_model

    features, annotations, curves = _feature_corpus(tmp_path)
    files = find_feature_files([features])
    movies = [load_features(f) for f in files]
    model = paper_pipeline(DemoConfig(window=5, units=4), random_state=3).fit(movies, curves)
    expected = model.predict(movies)
    path = save_model(tmp_path / "model.skops", SavedModel(model, {"image": 5, "audio": 2}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_emotion", "predict", str(path), str(features), "-o", str(tmp_path / "out"),
         "--no-plot", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for file, curve in zip(files, expected):
        np.testing.assert_allclose(read_curves(tmp_path / "out" / f"{file.stem}.csv"), curve, atol=2e-6)


# ------------------------------------------------------------------------------------ real videos
@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    from sklearn_emotion.demo import DemoConfig, make_corpus

    folder = tmp_path_factory.mktemp("videos")
    return make_corpus(folder, DemoConfig(n_movies=2, min_seconds=8, max_seconds=10), random_state=1)


@pytest.mark.keras
def test_extract_weight_free_says_so_resumes_and_refuses_other_settings(tmp_path, videos, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/weights from here
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    folder = videos[0].video.parent
    code, out, _ = _run(capsys, "extract", folder, "-o", "features", "--no-progress")
    assert code == 0, out
    assert "WEIGHT-FREE 'colour-layout'" in out and "WEIGHT-FREE 'descriptors'" in out and "face: NOT USED" in out
    for movie in videos:
        arrays = load_features(tmp_path / "features" / f"{movie.name}.npz")
        assert {k: v.shape[1] for k, v in arrays.items()} == {"image": 51, "audio": 112}
        assert abs(len(arrays["image"]) - len(movie.curves)) <= 1
    code, out, _ = _run(capsys, "extract", folder, "-o", "features", "--no-progress")
    assert code == 0 and "2 movie(s) already extracted" in out
    code, _, err = _run(capsys, "extract", folder, "-o", "features", "--audio", "none", "--no-progress")
    assert code == 1 and "other settings" in err and "--overwrite" in err
    # A model trained on these features predicts a video directly (same extraction settings).
    annotations = folder
    code, out, _ = _run(capsys, "fit", "features", annotations, "-o", "model.joblib", *TINY_NETWORK)
    assert code == 0, out
    code, out, _ = _run(capsys, "predict", "model.joblib", videos[0].video, "-o", "pred", "--no-progress")
    assert code == 0, out
    predicted = read_curves(tmp_path / "pred" / f"{videos[0].name}.csv")
    assert predicted.shape == (len(load_features(tmp_path / "features" / f"{videos[0].name}.npz")["image"]), 2)
    assert (tmp_path / "pred" / f"{videos[0].name}.png").is_file()


def test_extract_with_the_shared_pretrained_models(tmp_path, videos, capsys, shared_weights):
    code, out, _ = _run(capsys, "extract", videos[0].video, "-o", tmp_path / "f", "--weights-dir", shared_weights,
                        "--n-jobs", "1", "--no-progress")
    assert code == 0, out
    assert "WEIGHT-FREE" not in out and "MobileNet" in out and "YAMNet" in out
    arrays = load_features(tmp_path / "f" / f"{videos[0].name}.npz")
    assert arrays["image"].shape[1] == 1024 and arrays["audio"].shape[1] == 1024
    assert arrays["face"].shape[1] == 2 * (6 + 7)  # two face slots: presence, score, box, 7 FER scores
