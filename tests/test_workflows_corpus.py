"""`load_feature_corpus`: a features folder and an annotations folder -> X, y, names, with errors naming the movie."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.files import LengthMismatchWarning, save_features
from sklearn_emotion.workflows import load_feature_corpus
from sklearn_emotion.workflows.corpus import feature_settings, read_feature_files


def _corpus(folder: Path, lengths=(30, 25, 20), annotated=None, std: bool = False) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    for index, seconds in enumerate(lengths):
        save_features(features / f"movie_{index}.npz", {"image": rng.normal(size=(seconds, 3)),
                                                          "audio": rng.normal(size=(seconds, 2))})
        rows = annotated[index] if annotated else seconds
        values = rng.uniform(-1, 1, size=(rows, 4 if std else 2))
        values[:, 2:] = np.abs(values[:, 2:])  # standard deviations
        header = "Time,Valence,Arousal" + (",Valence_std,Arousal_std" if std else "")
        lines = [header] + [f"{t}," + ",".join(f"{v:.3f}" for v in row) for t, row in enumerate(values)]
        (annotations / f"movie_{index}.csv").write_text("\n".join(lines) + "\n")
    return features, annotations


def test_a_corpus_loads_as_X_y_names_in_the_files_order(tmp_path):
    features, annotations = _corpus(tmp_path)
    X, y, names = load_feature_corpus(features, annotations)
    assert names == ["movie_0", "movie_1", "movie_2"]
    assert [m["image"].shape for m in X] == [(30, 3), (25, 3), (20, 3)]
    assert [m["audio"].shape[1] for m in X] == [2, 2, 2]
    assert [t.shape for t in y] == [(30, 2), (25, 2), (20, 2)]
    expected = np.loadtxt(annotations / "movie_1.csv", delimiter=",", skiprows=1)[:, 1:]
    np.testing.assert_allclose(y[1], expected, atol=1e-6)


def test_std_columns_and_lengths_cut_to_the_shorter_with_one_warning(tmp_path):
    features, annotations = _corpus(tmp_path, annotated=(31, 25, 18), std=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y, _ = load_feature_corpus(features, annotations, with_std=True)
    assert [t.shape for t in y] == [(30, 4), (25, 4), (18, 4)]
    assert [len(m["image"]) for m in X] == [30, 25, 18]
    messages = [str(w.message) for w in caught if issubclass(w.category, LengthMismatchWarning)]
    assert len(messages) == 1 and "movie_0" in messages[0] and "movie_2" in messages[0]
    assert "movie_1" not in messages[0]


def test_a_length_difference_beyond_the_tolerance_names_the_movie(tmp_path):
    features, annotations = _corpus(tmp_path, annotated=(30, 15, 20))
    with pytest.raises(ValueError, match=r"movie movie_1: 25 s of features but 15 annotated seconds"):
        load_feature_corpus(features, annotations)
    with pytest.warns(LengthMismatchWarning, match="movie_1"):
        X, y, _ = load_feature_corpus(features, annotations, max_length_difference=10)
    assert len(X[1]["image"]) == len(y[1]) == 15


def test_missing_annotations_name_every_movie_without_them(tmp_path):
    features, annotations = _corpus(tmp_path)
    (annotations / "movie_0.csv").unlink()
    (annotations / "movie_2.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"for 2 of 3 movie\(s\): movie_0, movie_2"):
        load_feature_corpus(features, annotations)
    with pytest.raises(FileNotFoundError, match="Annotation folder not found"):
        load_feature_corpus(features, tmp_path / "nowhere")


def test_feature_files_of_other_widths_name_both_movies(tmp_path):
    features, annotations = _corpus(tmp_path)
    save_features(features / "movie_9.npz", {"image": np.zeros((20, 4)), "audio": np.zeros((20, 2))})
    with pytest.raises(ValueError, match=r"movie movie_9 has features \{'image': 4, 'audio': 2\} but movie_0"):
        read_feature_files([features])
    with pytest.raises(FileNotFoundError, match="not found"):
        read_feature_files([tmp_path / "nowhere"])


def test_feature_settings_read_the_manifest_and_refuse_a_contradicting_file(tmp_path):
    features, _ = _corpus(tmp_path)
    names, movies, files = read_feature_files([features])
    assert feature_settings(files, movies) == {"feature_spec": None, "missing_audio": "error",
                                               "sources": dict.fromkeys(names), "warnings": []}
    spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
    listing = {name: {"features": {"image": 3, "audio": 2}, "seconds": len(m["image"]), "content": "ab" * 32}
               for name, m in zip(names, movies)}
    (features / "features.json").write_text(json.dumps({"feature_spec": spec, "missing_audio": "silence",
                                                        "movies": listing}))
    settings = feature_settings(files, movies)
    # Written without frame_selection (as by 0.2): read as the exact rule.
    assert settings["feature_spec"] == {"image": {"backbone": "colour-layout", "frame_selection": "exact"},
                                        "audio": {"backbone": "descriptors"}}
    assert settings["missing_audio"] == "silence"
    assert settings["sources"]["movie_1"] == "ab" * 32 and settings["warnings"] == []
    listing["movie_2"]["seconds"] = 99
    (features / "features.json").write_text(json.dumps({"feature_spec": spec, "missing_audio": "silence",
                                                        "movies": listing}))
    with pytest.raises(ValueError, match=r"movie_2.npz has features .* over 20 s but .*features.json says"):
        feature_settings(files, movies)
