"""`sklearn-emotion fit` records where its training features come from, and checks them against their folder."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from sklearn_emotion.cli import main
from sklearn_emotion.files import save_features
from sklearn_emotion.persistence import load_model

SPEC = {"image": {"backbone": "colour-layout", "frame_selection": "exact"}}


def _save(features: Path, name: str, arrays: dict, spec: dict, content: str) -> None:
    """A movie's features and its record as `extract` writes them (written here directly: a folder of 0.2
    could end up with records of other settings, which today's `extract` refuses to make)."""
    save_features(features / f"{name}.npz", arrays)
    record = {"source": f"/videos/{name}.mp4", "content": content, "feature_spec": spec, "missing_audio": "error",
              "seconds": len(next(iter(arrays.values()))), "features": {k: v.shape[1] for k, v in arrays.items()}}
    (features / ".records").mkdir(parents=True, exist_ok=True)
    (features / ".records" / f"{name}.json").write_text(json.dumps(record))


def _write_manifest(features: Path, spec: dict) -> None:
    """features.json listing the recorded movies made with ``spec``, as `extract` leaves it."""
    movies = {}
    for path in sorted((features / ".records").glob("*.json")):
        record = json.loads(path.read_text())
        if record.pop("feature_spec") == spec:
            movies[path.stem] = record
    (features / "features.json").write_text(json.dumps({"feature_spec": spec, "missing_audio": "error",
                                                        "movies": movies}))


def _folder(tmp_path: Path, n_movies: int = 3, seconds: int = 20, width: int = 3) -> tuple[Path, Path]:
    """A feature folder as `extract` leaves it (features, records, manifest) and its annotations."""
    rng = np.random.default_rng(0)
    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir(parents=True)
    for index in range(n_movies):
        name = f"movie_{index}"
        _save(features, name, {"image": rng.normal(size=(seconds, width)).astype(np.float32)}, SPEC, f"{index:064x}")
        values = rng.uniform(-1, 1, size=(seconds, 2))
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in enumerate(values)]
        (annotations / f"{name}.csv").write_text("\n".join(rows) + "\n")
    _write_manifest(features, SPEC)
    return features, annotations


def _fit(capsys, *argv) -> tuple[int, str, str]:
    code = main(["fit", *map(os.fspath, argv), "--model", "baseline", "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _edit_manifest(features: Path, **changes) -> None:
    manifest = json.loads((features / "features.json").read_text())
    manifest.update(changes)
    (features / "features.json").write_text(json.dumps(manifest))


def test_the_model_records_the_sha256_of_each_training_file_and_of_its_video(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 0, err
    digests = load_model(tmp_path / "m.skops").info["training_digests"]
    assert set(digests) == {"movie_0", "movie_1", "movie_2"}
    for index, name in enumerate(sorted(digests)):
        expected = hashlib.sha256((features / f"{name}.npz").read_bytes()).hexdigest()
        assert digests[name] == {"features": expected, "source": f"{index:064x}"}


def test_files_without_a_record_have_no_source_digest(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    (features / "features.json").unlink()
    for record in (features / ".records").iterdir():
        record.unlink()
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 0, err
    digests = load_model(tmp_path / "m.skops").info["training_digests"]
    assert digests["movie_1"]["source"] is None
    assert digests["movie_1"]["features"] == hashlib.sha256((features / "movie_1.npz").read_bytes()).hexdigest()


def test_the_model_records_the_folders_missing_audio_policy(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 0, err
    assert load_model(tmp_path / "m.skops").info["missing_audio"] == "error"
    _edit_manifest(features, missing_audio="silence")
    code, _, err = _fit(capsys, features, annotations, "-o", tmp_path / "s.skops")
    assert code == 0, err
    assert load_model(tmp_path / "s.skops").info["missing_audio"] == "silence"


def test_a_manifest_naming_other_embedders_than_the_records_is_refused(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    _edit_manifest(features, feature_spec={"image": {"backbone": "InceptionV3"}})
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{features / 'movie_0.npz'} was extracted with other settings (image: colour-layout " in err
    assert "image: InceptionV3" in err and not (tmp_path / "m.skops").exists()


def test_a_manifest_naming_other_widths_or_modalities_is_refused(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    manifest = json.loads((features / "features.json").read_text())
    manifest["movies"]["movie_1"]["features"] = {"image": 51}
    (features / "features.json").write_text(json.dumps(manifest))
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{features / 'movie_1.npz'} has features {{'image': 3}} over 20 s but {features / 'features.json'}" in err
    # without records, the manifest's settings must at least name the files' modalities
    for record in (features / ".records").iterdir():
        record.unlink()
    _edit_manifest(features, feature_spec={**SPEC, "face": {"detector": "blaze_face_short_range"}}, movies={})
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{features / 'movie_0.npz'} has features of image but {features / 'features.json'} records " \
           "settings for face, image" in err


def test_features_made_with_a_swapped_face_detector_are_refused(tmp_path, capsys):
    """A second extract with another detector into the folder rewrote the manifest for its own movies."""
    features, annotations = _folder(tmp_path)
    other = {"image": {"backbone": "colour-layout"}, "face": {"detector": "blaze_face_full_range"}}
    spec = {"image": {"backbone": "colour-layout"}, "face": {"detector": "blaze_face_short_range"}}
    rng = np.random.default_rng(1)
    for index, settings in ((0, spec), (1, other), (2, spec)):
        _save(features, f"movie_{index}", {"image": rng.normal(size=(20, 3)).astype(np.float32),
                                           "face": rng.normal(size=(20, 4)).astype(np.float32)},
              settings, f"{index:064x}")
    _write_manifest(features, spec)
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{features / 'movie_1.npz'} was extracted with other settings" in err
    assert "blaze_face_full_range" in err and "blaze_face_short_range" in err


def test_a_file_replaced_after_extraction_is_refused_naming_its_record(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    save_features(features / "movie_2.npz", {"image": np.zeros((19, 3), np.float32)})
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 1 and "Training" not in out
    assert f"{features / 'movie_2.npz'} has features {{'image': 3}} over 19 s but its record " \
           f"{features / '.records' / 'movie_2.json'} says {{'image': 3}} over 20 s" in err


def test_a_file_no_manifest_vouches_for_is_named_and_the_model_reads_feature_files_only(tmp_path, capsys):
    features, annotations = _folder(tmp_path)
    save_features(features / "stray.npz", {"image": np.zeros((20, 3), np.float32)})
    (annotations / "stray.csv").write_text((annotations / "movie_0.csv").read_text())
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 0, err
    assert f"warning: 1 feature file(s) are vouched for by no features.json: {features / 'stray.npz'}" in err
    assert "it can predict feature files, not videos" in out
    model = load_model(tmp_path / "m.skops")
    assert model.feature_spec is None and "stray" in model.info["training_digests"]


def test_a_recorded_movie_the_manifest_does_not_list_yet_is_vouched_for_by_its_record(tmp_path, capsys):
    """An extract stopped before it rebuilt the manifest: the record says how the file was made."""
    features, annotations = _folder(tmp_path)
    manifest = json.loads((features / "features.json").read_text())
    del manifest["movies"]["movie_2"]
    (features / "features.json").write_text(json.dumps(manifest))
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "m.skops")
    assert code == 0 and "warning" not in err, err
    assert load_model(tmp_path / "m.skops").feature_spec == SPEC
