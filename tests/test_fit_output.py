"""`sklearn-emotion fit` never loses a trained model without saying so, and names what is wrong with -o."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np

import sklearn_emotion.persistence as persistence
from sklearn_emotion.cli import main
from sklearn_emotion.files import save_features
from sklearn_emotion.persistence import load_model


def _corpus(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    features, annotations = folder / "features", folder / "annotations"
    annotations.mkdir(parents=True)
    for index in range(2):
        save_features(features / f"movie_{index}.npz", {"image": rng.normal(size=(20, 3)).astype(np.float32)})
        rows = ["Time,Valence,Arousal"] + [f"{t},{v:.3f},{a:.3f}" for t, (v, a) in
                                           enumerate(rng.uniform(-1, 1, size=(20, 2)))]
        (annotations / f"movie_{index}.csv").write_text("\n".join(rows) + "\n")
    return features, annotations


def _full_disk(monkeypatch, full: list[Path]) -> None:
    """Writes into the folders ``full`` fail with ENOSPC, as on a full disk, once the data is written."""
    real = persistence.atomic_write_bytes

    def atomic_write_bytes(path, write):
        if Path(path).parent in full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
        return real(path, write)

    monkeypatch.setattr(persistence, "atomic_write_bytes", atomic_write_bytes)


def _fit(capsys, *argv) -> tuple[int, str, str]:
    code = main(["fit", *map(os.fspath, argv), "--model", "baseline", "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_model_that_cannot_be_written_is_saved_in_the_temporary_folder_and_named(tmp_path, capsys, monkeypatch):
    features, annotations = _corpus(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(tmp_path / "tmp"))
    _full_disk(monkeypatch, [tmp_path / "out"])
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "out" / "model.skops")
    assert code == 1 and "Training" in out
    (rescued,) = (tmp_path / "tmp").iterdir()
    assert rescued.name.startswith("model-") and rescued.suffix == ".skops"
    assert (f"cannot write the model file {tmp_path / 'out' / 'model.skops'} (No space left on device); the "
            f"trained model was saved to {rescued} instead") in err
    assert not (tmp_path / "out" / "model.skops").exists()
    model = load_model(rescued)
    assert model.modalities == {"image": 3} and model.info["movies"] == ["movie_0", "movie_1"]


def test_a_model_that_cannot_be_written_anywhere_is_said_to_be_lost(tmp_path, capsys, monkeypatch):
    features, annotations = _corpus(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(tmp_path / "tmp"))
    _full_disk(monkeypatch, [tmp_path / "out", tmp_path / "tmp"])
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "out" / "model.skops")
    assert code == 1
    assert f"nor a copy in {tmp_path / 'tmp'} (No space left on device): the trained model is lost" in err
    assert list((tmp_path / "tmp").iterdir()) == []  # no empty placeholder left behind


def test_an_output_below_a_file_is_named_before_training(tmp_path, capsys):
    features, annotations = _corpus(tmp_path)
    (tmp_path / "notes").write_text("not a folder")
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path / "notes" / "model.skops")
    assert code == 1 and "Training" not in out and "Errno" not in err
    assert f"-o {tmp_path / 'notes' / 'model.skops'}: {tmp_path / 'notes'} is a file, not a folder" in err
    code, out, err = _fit(capsys, features, annotations, "-o", tmp_path)
    assert code == 1 and "Training" not in out and "Errno" not in err and "is a folder" in err
