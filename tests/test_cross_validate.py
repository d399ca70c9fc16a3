"""`sklearn-emotion cross-validate` and `cross_validate_corpus`: every movie predicted once, held out, split
by source."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_curves, save_features
from sklearn_emotion.workflows import cross_validate_corpus
from sklearn_emotion.workflows.cross_validate import cross_validate_movies, movie_group, read_groups

NAMES = ["film_crop1", "film_crop2", "other-part3", "other-part4", "solo", "demo_05"]


def _corpus(folder: Path, names=NAMES, seconds: int = 40) -> tuple[Path, Path]:
    """Movies whose annotation is a linear function of their features (plus noise): learnable."""
    rng = np.random.default_rng(0)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    weights = rng.normal(size=(3, 2)) / 3
    for name in names:
        image = rng.normal(size=(seconds, 3))
        save_features(features / f"{name}.npz", {"image": image.astype(np.float32)})
        values = np.clip(image @ weights + rng.normal(scale=0.1, size=(seconds, 2)), -1, 1)
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in enumerate(values)]
        (annotations / f"{name}.csv").write_text("\n".join(rows) + "\n")
    return features, annotations


def test_movies_cut_from_one_source_share_a_group():
    assert [movie_group(name) for name in NAMES] == ["film", "film", "other", "other", "solo", "demo_05"]
    assert movie_group("Film_Crop_2_part3") == "Film" and movie_group("clip_3") == "clip_3"
    assert movie_group("_crop1") == "_crop1" and movie_group("a.scene04") == "a"


def test_a_groups_file_is_read_and_checked(tmp_path):
    (tmp_path / "groups.csv").write_text("movie,group\n# comment\na,x\n\nb\ty\nc  x\n")
    assert read_groups(tmp_path / "groups.csv") == {"a": "x", "b": "y", "c": "x"}
    (tmp_path / "bad.txt").write_text("a x\nb\n")
    with pytest.raises(ValueError, match=r"bad.txt, line 2: expected 'movie group'"):
        read_groups(tmp_path / "bad.txt")
    (tmp_path / "twice.txt").write_text("a x\na y\n")
    with pytest.raises(ValueError, match="line 2: movie 'a' is given a group twice"):
        read_groups(tmp_path / "twice.txt")


def test_every_movie_is_predicted_once_held_out_and_sources_stay_together(tmp_path):
    from sklearn.base import BaseEstimator, RegressorMixin

    from sklearn_emotion import make_baseline_pipeline

    rng = np.random.default_rng(1)
    X = [{"image": rng.normal(size=(20, 3))} for _ in NAMES]
    y = [rng.uniform(-1, 1, size=(20, 2)) for _ in NAMES]
    seen = []

    class Spy(RegressorMixin, BaseEstimator):  # records what each fold trains on and predicts
        def fit(self, X, y):
            self.trained_ = [int(m["image"][0, 0] * 1e6) for m in X]
            return self

        def predict(self, X):
            ids = [int(m["image"][0, 0] * 1e6) for m in X]
            seen.append((self.trained_, ids))
            return [m["image"][:, :2] for m in X]

    result = cross_validate_movies({"spy": Spy(), "ridge": make_baseline_pipeline()}, X, y, NAMES, n_splits=3,
                                   echo=lambda line: None)
    ids = [int(m["image"][0, 0] * 1e6) for m in X]
    tested = [i for _, test in seen for i in test]
    assert sorted(tested) == sorted(ids)  # each movie predicted exactly once
    assert all(not set(train) & set(test) for train, test in seen)
    assert result.folds[0] == result.folds[1] and result.folds[2] == result.folds[3]
    assert sorted(set(result.folds)) == [0, 1, 2] and len(result.notes) == 3
    assert all(np.array_equal(p, m["image"][:, :2]) for p, m in zip(result.predictions["spy"], X))
    assert set(result.scores) == {"spy", "ridge"} and set(result.movie_scores["ridge"]) == set(NAMES)
    with pytest.raises(ValueError, match=r"n_splits=5: expected 2 to 4, the number of source groups"):
        cross_validate_movies({"spy": Spy()}, X, y, NAMES, n_splits=5, echo=lambda line: None)
    with pytest.raises(ValueError, match=r"unsmoothed names \['ridge'\], which are not rows of models \(spy\)"):
        cross_validate_movies({"spy": Spy()}, X, y, NAMES, unsmoothed={"ridge": "raw"})
    with pytest.raises(ValueError, match="does not smooth its predictions"):
        cross_validate_movies({"spy": Spy()}, X, y, NAMES, n_splits=2, unsmoothed={"spy": "raw"}, echo=lambda line: None)
    with pytest.raises(ValueError, match="no group to 1 movie"):
        cross_validate_movies({"spy": Spy()}, X, y, NAMES, groups=dict.fromkeys(NAMES[1:], "g"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["cross-validate", *map(os.fspath, argv)])
    return (code, *capsys.readouterr())  # code, out, err


def test_the_baseline_is_cross_validated_with_its_table_per_movie_rows_and_plots(tmp_path, capsys):
    features, annotations = _corpus(tmp_path)
    code, out, err = _run(capsys, features, annotations, "--model", "baseline", "--folds", "3", "-o",
                          tmp_path / "cv", "--no-progress")
    assert code == 0, err
    assert "Cross-validating the baseline model on 6 movie(s), 240 s, in 3 folds" in out
    assert "(4 movies share their source with another)" in out
    assert "| Run      | Valence MSE | Valence PCC | Arousal MSE | Arousal PCC |" in out
    table_row = next(line for line in out.splitlines() if line.startswith("| baseline"))
    assert all(float(cell) < 0.2 for cell in table_row.split("|")[2:6:2])  # learnable: low MSE
    for name in NAMES:
        assert next(line for line in out.splitlines() if line.startswith(f"| {name} ")).count("|") == 8
        prediction = read_curves(tmp_path / "cv" / "baseline" / f"{name}.csv")
        assert prediction.shape == (40, 2)
        assert (tmp_path / "cv" / "baseline" / f"{name}.png").stat().st_size > 10_000
    assert "Per movie, baseline" in (tmp_path / "cv" / "table.md").read_text()
    code, out, err = _run(capsys, features, annotations, "--model", "baseline", "--folds", "6")
    assert code == 1 and "n_splits=6: expected 2 to 4" in err
    (tmp_path / "groups.txt").write_text("\n".join(f"{name} g{i % 2}" for i, name in enumerate(NAMES)))
    code, out, err = _run(capsys, features, annotations, "--model", "baseline", "--folds", "2", "--groups",
                          tmp_path / "groups.txt")
    assert code == 0 and "tested on film_crop1, other-part3, solo" in out


def test_annotations_outside_the_target_range_are_refused_before_training(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, names=["a", "b", "c"])
    (annotations / "b.csv").write_text("Time,Valence,Arousal\n" + "".join(f"{t},5,5\n" for t in range(40)))
    code, out, err = _run(capsys, features, annotations, "--folds", "3", "--epochs", "1")
    assert code == 1 and "b.csv (5 to 5)" in err and "fold" not in out


def test_an_output_that_is_a_file_is_refused_before_any_training(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, names=["a", "b", "c"])
    (tmp_path / "taken").write_text("not a folder\n")
    code, out, err = _run(capsys, features, annotations, "--folds", "3", "-o", tmp_path / "taken")
    assert code == 1 and "taken" in err and "not a folder" in err and "Cross-validating" not in out


@pytest.mark.keras
def test_the_paper_model_is_cross_validated(tmp_path, capsys):
    features, annotations = _corpus(tmp_path, names=NAMES[:4], seconds=30)
    result = cross_validate_corpus(features, annotations, n_splits=2,
                                   model_options={"window_length": 5, "units": 4, "epochs": 2, "random_state": 0},
                                   output_dir=tmp_path / "cv")
    out = capsys.readouterr().out
    assert "fold 1/2" in out and "fold 2/2" in out and "| paper" in out
    assert sorted(set(result.folds)) == [0, 1] and result.folds[0] == result.folds[1]
    assert all(p.shape == (30, 2) and np.isfinite(p).all() for p in result.predictions["paper"])
    assert len(list((tmp_path / "cv" / "paper").glob("*.png"))) == 4
