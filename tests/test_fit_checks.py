"""`sklearn-emotion fit`'s checks before training: annotation scales, option values."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.base import resolve_target_range
from sklearn_emotion.cli import main
from sklearn_emotion.files import save_features


def _corpus(folder: Path, scales: list[tuple[float, float]], seconds: int = 20) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    for index, scale in enumerate(scales):
        save_features(features / f"movie_{index}.npz", {"image": rng.normal(size=(seconds, 3)).astype(np.float32)})
        values = np.linspace(*scale, num=seconds * 2).reshape(seconds, 2)
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in enumerate(values)]
        (annotations / f"movie_{index}.csv").write_text("\n".join(rows) + "\n")
    return features, annotations


def _fit(capsys, *argv) -> tuple[int, str, str]:
    code = main(["fit", *map(os.fspath, argv), "--model", "baseline", "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_annotations_on_two_scales_are_named_and_no_mixing_range_is_suggested(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, [(-1, 1), (1, 9), (-1, 1)])
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{annotations / 'movie_1.csv'} (1 to 9)" in err
    assert "movie_0.csv" not in err and "different scales" in err
    assert "--target-range -1 9" not in err and "--target-range auto" not in err


def test_annotations_all_on_another_scale_are_named_with_the_range_to_pass(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, [(1, 9), (1, 9)])
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{annotations / 'movie_0.csv'} (1 to 9); {annotations / 'movie_1.csv'} (1 to 9)" in err
    assert "pass --target-range 1 9" in err


def test_the_estimators_target_range_check_tells_two_scales_apart():
    targets = [np.zeros((5, 2)), np.full((5, 2), 7.0), np.zeros((5, 2))]
    with pytest.raises(ValueError, match=r"y\[1\] has value 7 .* the other 2 movie\(s\) are within it, so y\[1\] "
                                         r"seem to be on another scale"):
        resolve_target_range((-1, 1), targets)
    with pytest.raises(ValueError, match="rescale the targets or set target_range='auto'"):
        resolve_target_range((-1, 1), [np.full((5, 2), 7.0)])


def test_a_negative_length_difference_is_refused(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, [(-1, 1)])
    with pytest.raises(SystemExit) as exit_:
        main(["fit", os.fspath(features), os.fspath(annotations), "-o", os.fspath(tmp_path / "m.skops"),
              "--max-length-difference", "-1"])
    assert exit_.value.code == 2
    assert "--max-length-difference: must not be negative: expected 0 or more seconds, got -1" in capsys.readouterr().err
