"""`sklearn-emotion fit` records where its training features come from, and checks them against their folder."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from sklearn_emotion.cli import main
from sklearn_emotion.feature_folder import FeatureFolder
from sklearn_emotion.persistence import load_model

SPEC = {"image": {"backbone": "colour-layout"}}


def _folder(tmp_path: Path, n_movies: int = 3, seconds: int = 20, width: int = 3) -> tuple[Path, Path]:
    """A feature folder as `extract` leaves it (features, records, manifest) and its annotations."""
    rng = np.random.default_rng(0)
    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir(parents=True)
    folder = FeatureFolder(features)
    for index in range(n_movies):
        name = f"movie_{index}"
        folder.save(name, {"image": rng.normal(size=(seconds, width)).astype(np.float32)},
                    source=tmp_path / f"{name}.mp4", content=f"{index:064x}", spec=SPEC)
        values = rng.uniform(-1, 1, size=(seconds, 2))
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in enumerate(values)]
        (annotations / f"{name}.csv").write_text("\n".join(rows) + "\n")
    folder.write_manifest(SPEC)
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
