"""`sklearn-emotion evaluate`: movies the model was trained on, rows on different movies, bad options.

Issue 19, items 20 (trained-on movies warned about or refused with --held-out-only; rows scored on
their common movies) and 19 (--max-length-difference -1 refused), and -o naming a folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_annotations, read_curves, save_features, write_curves
from sklearn_emotion.media.cache import content_digest
from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.prediction_info import write_prediction_info
from sklearn_emotion.reporting import TABLE_COLUMNS

PREFIX = "sklearn-emotion evaluate: "


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([os.fspath(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _annotations(folder: Path, names, seed: int = 0, seconds: int = 20) -> Path:
    rng = np.random.default_rng(seed)
    for name in names:
        truth = np.tanh(np.cumsum(rng.normal(0, 0.25, size=(seconds, 2)), axis=0))
        write_curves(folder / f"{name}.csv", truth)
    return folder


def _predictions(folder: Path, names, seed: int = 1, seconds: int = 20) -> Path:
    rng = np.random.default_rng(seed)
    for name in names:
        write_curves(folder / f"{name}.csv", np.clip(rng.normal(0, 0.5, size=(seconds, 2)), -1, 1))
    return folder


def _row(text: str, label: str) -> list[float]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {label} "))
    return [float(cell) for cell in line.strip("|").split("|")[1:]]


# ------------------------------------------------------------------------------------ item 19: option values
def test_a_negative_max_length_difference_is_refused(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["a"])
    predictions = _predictions(tmp_path / "pred", ["a"])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", os.fspath(predictions), os.fspath(annotations), "--max-length-difference", "-1"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--max-length-difference" in err and "must not be negative" in err
    code, _, err = _run(capsys, "evaluate", predictions, annotations, "--max-length-difference", "0")
    assert code == 0, err


def test_output_naming_a_folder_is_one_clear_error(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["a"])
    predictions = _predictions(tmp_path / "pred", ["a"])
    code, _, err = _run(capsys, "evaluate", predictions, annotations, "-o", tmp_path)
    assert code == 1 and "is a folder" in err and "Errno" not in err
    (tmp_path / "file").write_text("x")
    code, _, err = _run(capsys, "evaluate", predictions, annotations, "--plots", tmp_path / "file")
    assert code == 1 and "is a file" in err and "Errno" not in err


# ------------------------------------------------------------------------------------ item 20: held out?
def test_trained_on_movies_are_named_in_one_warning_and_refused_with_held_out_only(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["seen", "namesake", "byname", "new"])
    predictions = _predictions(tmp_path / "pred", ["seen", "namesake", "byname", "new"])
    records = {"seen": {"trained_on": True, "training_name": False},
               "namesake": {"trained_on": False, "training_name": True},
               "byname": {"trained_on": None, "training_name": True},
               "new": {"trained_on": False, "training_name": False}}
    write_prediction_info(predictions, "m.skops (baseline)", model_sha256="0" * 64,
                          training_movies=["x", "namesake", "byname"], movies=records)
    code, out, err = _run(capsys, "evaluate", predictions, annotations)
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX + "warning: pred: 1 scored movie(s) were in the model's")
    assert "seen" in lines[0] and "byname" in lines[0] and "other content (counted as held out): namesake" in lines[0]
    assert "new" not in lines[0] and "| pred " in out
    code, out, err = _run(capsys, "evaluate", predictions, annotations, "--held-out-only")
    assert code == 1 and "--held-out-only" in err and "seen" in err and "byname" in err and "namesake" not in err
    # Held-out movies only: no warning, and --held-out-only scores them.
    for name in ("seen", "byname"):
        (predictions / f"{name}.csv").unlink()
    code, _, err = _run(capsys, "evaluate", predictions, annotations, "--held-out-only")
    assert code == 0 and "trained" not in err, err


def test_predictions_that_cannot_tell_are_refused_with_held_out_only(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["a"])
    predictions = _predictions(tmp_path / "pred", ["a"])  # no predictions.json (another program, or 0.2)
    code, _, err = _run(capsys, "evaluate", predictions, annotations)
    assert code == 0 and err == ""
    code, _, err = _run(capsys, "evaluate", predictions, annotations, "--held-out-only")
    assert code == 1 and "cannot tell" in err and "predict them again" in err


def test_predict_then_evaluate_warns_about_the_training_movies(tmp_path, capsys):
    """From the model's training digests (as `fit` records them) to evaluate's warning, through predict."""
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.persistence import SavedModel, save_model

    rng = np.random.default_rng(0)
    names = ["train_a", "train_b", "held_out"]
    features = [save_features(tmp_path / "features" / f"{n}.npz", {"image": rng.normal(size=(20, 3)).astype(np.float32)})
                for n in names]
    annotations = _annotations(tmp_path / "ann", names)
    movies = [{"image": rng.normal(size=(20, 3))} for _ in range(2)]
    estimator = PerSecondRegressor(Ridge()).fit(movies, [read_annotations(annotations, n) for n in names[:2]])
    digests = {n: {"features": content_digest(f), "source": None} for n, f in zip(names[:2], features)}
    model = save_model(tmp_path / "model.skops", SavedModel(estimator, {"image": 3}, None, info={
        "model": "baseline", "movies": names[:2], "training_digests": digests}))
    copy = tmp_path / "copies" / "renamed.npz"  # a training file under another name is still a training movie
    copy.parent.mkdir()
    shutil.copy(features[0], copy)
    shutil.copy(tmp_path / "ann" / "train_a.csv", tmp_path / "ann" / "renamed.csv")
    code, _, err = _run(capsys, "predict", model, *features, copy, "-o", tmp_path / "pred", "--no-plot",
                        "--no-progress")
    assert code == 0, err
    code, _, err = _run(capsys, "evaluate", tmp_path / "pred", annotations)
    assert code == 0, err
    assert "3 scored movie(s) were in the model's training set" in err
    assert "renamed" in err and "train_a" in err and "train_b" in err and "held_out" not in err
    code, _, err = _run(capsys, "evaluate", tmp_path / "pred", annotations, "--held-out-only")
    assert code == 1 and "renamed" in err


# ------------------------------------------------------------------------------------ item 20: same movies per row
def test_rows_on_different_movies_are_scored_on_their_common_movies(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["m0", "m1", "m2", "m3"])
    first = _predictions(tmp_path / "first", ["m0", "m1", "m2"], seed=1)
    second = _predictions(tmp_path / "second", ["m1", "m2", "m3"], seed=2)
    code, out, err = _run(capsys, "evaluate", first, second, annotations, "-o", tmp_path / "table.md")
    assert code == 0, err
    assert "scored on the 2 movie(s) they have in common (m1, m2)" in out
    assert "first: m0" in out and "second: m3" in out
    assert "Left out" in (tmp_path / "table.md").read_text()
    for folder in (first, second):
        truth = [read_annotations(annotations, n) for n in ("m1", "m2")]
        predicted = [read_curves(folder / f"{n}.csv") for n in ("m1", "m2")]
        expected = mediaeval_scores(truth, predicted)
        assert _row(out, folder.name) == pytest.approx([expected[c] for c in TABLE_COLUMNS], abs=1e-4)


def test_rows_without_a_common_movie_say_the_sets_differ(tmp_path, capsys):
    annotations = _annotations(tmp_path / "ann", ["m0", "m1"])
    first = _predictions(tmp_path / "first", ["m0"])
    second = _predictions(tmp_path / "second", ["m1"])
    code, out, err = _run(capsys, "evaluate", first, second, annotations)
    assert code == 0, err
    assert "different movies, none in common" in out and "not comparable" in out
    assert _row(out, "first") and _row(out, "second")
