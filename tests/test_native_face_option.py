"""``--face DETECTOR`` without ``--face-model`` (issue 19, item 17): the expression model comes from
``--weights-dir`` (or the model cache), never from a download, and errors give command-line advice."""

from __future__ import annotations

import os

import pytest

from sklearn_emotion.cli import build_parser
from sklearn_emotion.cli._common import CommandError
from sklearn_emotion.cli._features import feature_spec_from_args
from sklearn_emotion.media.models import MIRROR_ENV_VAR


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty model cache, downloads pointed at an address where nothing listens, no folder beside the checkout."""
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(tmp_path / "home"))
    monkeypatch.setenv(MIRROR_ENV_VAR, "http://127.0.0.1:9/")
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/weights beside the current folder (the last place looked in)


def _spec(*options):
    args = build_parser().parse_args(["extract", "movies", "-o", "features", *map(os.fspath, options)])
    return feature_spec_from_args(args)


def test_the_face_model_comes_from_the_weights_folder(offline, shared_weights):
    detector = shared_weights / "face_detection_full_range_sparse.tflite"
    spec, notes = _spec("--face", detector, "--weights-dir", shared_weights)
    models = {key: spec["face"][key] for key in ("detector", "face_model")}  # beside other settings
    assert models == {"detector": os.fspath(detector.resolve()),
                      "face_model": os.fspath((shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5").resolve())}
    # The detector by its name too: the folder's copy, not a download.
    spec, _ = _spec("--face", "blaze_face_short_range", "--weights-dir", shared_weights)
    assert spec["face"]["detector"] == os.fspath((shared_weights / "face_detection_short_range.tflite").resolve())
    # --face-model wins, also without --face.
    spec, _ = _spec("--face-model", shared_weights / "yamnet.tflite", "--weights-dir", shared_weights)
    assert spec["face"]["face_model"] == os.fspath((shared_weights / "yamnet.tflite").resolve())


def test_without_the_face_model_the_error_gives_command_line_advice(offline, shared_weights, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError) as caught:
        _spec("--face", shared_weights / "face_detection_full_range_sparse.tflite", "--weights-dir", empty)
    message = str(caught.value)
    assert message.startswith("--face-model: FER2013 mini-Xception")
    assert "fer2013_mini_XCEPTION.102-0.66.hdf5" in message and os.fspath(empty) in message
    assert "--face-model FILE" in message and "--weights-dir DIR" in message
    assert "sklearn-emotion models download fer_mini_xception" in message
    assert "FaceEmbedder(" not in message and "Cannot download" not in message
    with pytest.raises(CommandError, match="the face modality is off"):
        _spec("--face", "none", "--face-model", shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5")
