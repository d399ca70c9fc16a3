"""`sklearn-emotion fit` checks everything before training, so that no run is lost at its end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import save_features

TINY = ("--window", "5", "--units", "4", "--epochs", "1", "--no-progress")


def _corpus(folder: Path, n_movies: int = 3, seconds: int = 30, scale: tuple[float, float] = (-1, 1),
            annotated_seconds: int | None = None) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    for index in range(n_movies):
        save_features(features / f"movie_{index}.npz", {"image": rng.normal(size=(seconds, 3)).astype(np.float32)})
        values = rng.uniform(*scale, size=(annotated_seconds or seconds, 2))
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in enumerate(values)]
        (annotations / f"movie_{index}.csv").write_text("\n".join(rows) + "\n")
    return features, annotations


def _fit(capsys, *argv) -> tuple[int, str, str]:
    code = main(["fit", *map(os.fspath, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_folder_or_an_existing_model_as_output_fails_before_training(tmp_path, capsys):
    features, annotations = _corpus(tmp_path)
    (tmp_path / "models").mkdir()
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "models", *TINY)
    assert code == 1 and "is a folder" in err and "Training" not in out
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "model.skops", "--model", "baseline")
    assert code == 0, err
    before = (tmp_path / "model.skops").read_bytes()
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "model.skops", "--model", "baseline",
                          "--alpha", "3")
    assert code == 1 and "--overwrite" in err and "Training" not in out
    assert (tmp_path / "model.skops").read_bytes() == before
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "model.skops", "--model", "baseline",
                        "--alpha", "3", "--overwrite")
    assert code == 0, err
    assert (tmp_path / "model.skops").read_bytes() != before


@pytest.mark.subprocess
@pytest.mark.skipif(not os.path.isdir("/proc") or sys.platform != "linux", reason="needs Linux's /proc")
def test_an_unwritable_output_fails_before_the_first_epoch(tmp_path):
    features, annotations = _corpus(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_emotion", "fit", features, annotations, "-o", "/proc/model.skops", *TINY],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("sklearn-emotion fit: error: cannot write the model file /proc/model.skops")
    assert "Training" not in result.stdout and "epoch" not in result.stdout.lower()


def test_every_movie_without_annotations_is_listed(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, n_movies=4)
    for index in (1, 3):
        (annotations / f"movie_{index}.csv").unlink()
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", *TINY)
    assert code == 1 and "2 of 4 movie(s): movie_1, movie_3" in err and "Training" not in out


def test_an_incomplete_features_json_is_an_error_before_training(tmp_path, capsys):
    features, annotations = _corpus(tmp_path)
    (features / "features.json").write_text(json.dumps({"movies": {}}))
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", *TINY)
    assert code == 1 and "features.json is incomplete" in err and "Training" not in out


@pytest.mark.keras
def test_annotations_on_another_scale_need_the_target_range(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, scale=(1, 9))
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", *TINY)
    assert code == 1 and "outside the target range [-1, 1]" in err and "--target-range" in err
    assert "Training" not in out
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", "--target-range", "1", "9", *TINY)
    assert code == 0, err
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "n.skops", "--target-range", "9", "1", *TINY)
    assert code == 1 and "LOW must be below HIGH" in err


def test_a_length_gap_beyond_the_tolerance_is_an_error(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, seconds=60, annotated_seconds=30)
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", *TINY)
    assert code == 1 and "60 s of features but 30 annotated seconds" in err and "Training" not in out
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops", "--max-length-difference", "30",
                        "--model", "baseline")
    assert code == 0, err


@pytest.mark.keras
def test_the_tcn_model_trains_and_predicts_from_the_command_line(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, seconds=40)
    model = tmp_path / "tcn.skops"
    code, out, err = _fit(capsys, features, annotations, "-o", model, "--model", "tcn", "--levels", "2",
                          "--filters", "4", "--epochs", "2", "--causal", "--no-progress")
    assert code == 0, err
    assert "Training the tcn model" in out and "Keras networks run on" in out
    code = main(["predict", os.fspath(model), os.fspath(features), "-o", os.fspath(tmp_path / "pred"), "--no-plot",
                 "--no-progress"])
    assert code == 0
    from sklearn_emotion.files import read_curves
    from sklearn_emotion.persistence import load_model

    network = load_model(model).estimator.steps[-1][1].regressor_
    assert type(network).__name__ == "TCNRegressor" and network.causal and network.levels == 2
    curves = read_curves(tmp_path / "pred" / "movie_0.csv")
    assert curves.shape == (40, 2) and np.all(np.abs(curves) <= 1)


def _help_of(module) -> dict[str, str]:
    import argparse

    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return {action.dest: action.help or "" for action in parser._actions}


def test_fit_and_cross_validate_state_the_estimators_own_defaults():
    import inspect

    from sklearn_emotion.cli import cross_validate, fit
    from sklearn_emotion.gru_moe import GRUMoERegressor
    from sklearn_emotion.tcn import TCNRegressor

    gru = inspect.signature(GRUMoERegressor).parameters
    tcn = inspect.signature(TCNRegressor).parameters
    helps, cv_helps = _help_of(fit), _help_of(cross_validate)
    shared = set(helps) & set(cv_helps) - {"output"}  # the one definition: same options, same texts
    assert {"model", "epochs", "units", "levels", "alpha", "smoother", "target_range"} <= shared
    assert all(helps[dest] == cv_helps[dest] for dest in shared)
    for option, name in (("epochs", "epochs"), ("patience", "patience"), ("dropout", "dropout"),
                         ("learning_rate", "learning_rate"), ("batch_size", "batch_size")):
        assert (f"default: {gru[name].default} for the paper model, {tcn[name].default} for --model tcn"
                in helps[option]), option
    assert "maximum epochs (default: 30 for the paper model, 100 for --model tcn)" == helps["epochs"]
    assert f"(default {gru['units'].default})" in helps["units"] and f"(default {tcn['levels'].default})" in helps["levels"]
    assert "butterworth for the paper model, butterworth for --model tcn, none for --model baseline" in helps["smoother"]


@pytest.mark.keras
def test_the_tcn_learns_the_viewers_std_as_the_paper_model_does(tmp_path, capsys):
    from sklearn_emotion.files import write_curves
    from sklearn_emotion.persistence import load_model

    features, annotations = _corpus(tmp_path, seconds=40)
    rng = np.random.default_rng(1)
    for index in range(3):
        write_curves(annotations / f"movie_{index}.csv", rng.uniform(-1, 1, size=(40, 2)),
                     std=rng.uniform(0.1, 0.4, size=(40, 2)))
    model = tmp_path / "tcn.skops"
    code, out, err = _fit(capsys, features, annotations, "-o", model, "--model", "tcn", "--levels", "2",
                          "--filters", "4", "--epochs", "2", "--no-progress")
    assert code == 0, err
    assert "with the viewers' standard deviation" in out
    saved = load_model(model)
    network = saved.estimator.steps[-1][1].regressor_
    assert network.predict_std is True and hasattr(network, "std_max_") and saved.info["predict_std"] is True
