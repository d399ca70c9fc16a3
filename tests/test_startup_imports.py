"""Extraction starts without TensorFlow unless a Keras network must run (issue 23, start-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_video  # noqa: E402

from sklearn_emotion.workflows.extract import device_line, keras_modalities  # noqa: E402

#: The command line's main in a fresh interpreter; says at exit whether TensorFlow or Keras was imported.
_MAIN = (
    "import sys\n"
    "from sklearn_emotion.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('IMPORTED', 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 5-s movie with a face (the astronaut) and a tone."""
    folder = tmp_path_factory.mktemp("clip")
    photos = [photo(name, (320, 240)) for name in ("astronaut", "chelsea", "astronaut", "coffee", "astronaut")]
    return write_video(folder / "clip.mp4", photos, fps=12, audio=tone(5, 16000))


def _extract(clip: Path, output: Path, home: Path, weights: Path, *options: str) -> tuple[str, bool]:
    """Run ``extract`` in a fresh interpreter: its standard output and error, and whether it imported TensorFlow."""
    env = {**os.environ, "SKLEARN_EMOTION_HOME": os.fspath(home), "SKLEARN_EMOTION_WEIGHTS": "",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    argv = ["extract", os.fspath(clip), "-o", os.fspath(output), "--weights-dir", os.fspath(weights),
            "--no-progress", *options]
    run = subprocess.run([sys.executable, "-c", _MAIN, *argv], env=env, cwd=output.parent, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    last = run.stdout.strip().splitlines()[-1].split()
    assert last[0] == "IMPORTED"
    return run.stdout + run.stderr, last[1:] != ["False", "False"]


@pytest.mark.subprocess
def test_tflite_and_mediapipe_features_never_import_tensorflow(clip, shared_weights, tmp_path):
    out, imported = _extract(clip, tmp_path / "no_face", tmp_path / "home", shared_weights, "--face", "none")
    assert not imported
    assert "Keras networks: none used by these features" in out


@pytest.mark.subprocess
def test_a_second_default_extraction_never_imports_tensorflow(clip, shared_weights, tmp_path):
    home = tmp_path / "home"
    first, _ = _extract(clip, tmp_path / "first", home, shared_weights)  # converts the FER model once
    assert "Keras networks: none used by these features" in first
    assert "fer2013_mini_XCEPTION.102-0.66.hdf5 to TFLite once (with TensorFlow), cached as" in first
    assert list((home / "models" / "tflite").glob("fer2013_mini_XCEPTION*.tflite"))
    second, imported = _extract(clip, tmp_path / "second", home, shared_weights)
    assert not imported and "to TFLite once" not in second
    features = [np.load(tmp_path / run / "clip.npz") for run in ("first", "second")]
    assert set(features[0].files) == {"image", "audio", "face"}
    for name in features[0].files:
        np.testing.assert_array_equal(features[0][name], features[1][name])
    assert np.any(features[1]["face"][:, 0] == 1)  # the astronaut's face was found and embedded


@pytest.mark.keras
def test_the_face_backbone_runs_the_conversion_and_says_why_when_it_cannot(shared_weights, tmp_path, monkeypatch):
    from sklearn_emotion.media import backbones, face
    from sklearn_emotion.media.backbones import KerasBackbone, TFLiteBackbone
    from sklearn_emotion.media.tflite_conversion import converted_dir, converted_path

    fer = shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5"
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(tmp_path / "home"))
    monkeypatch.setattr(backbones, "_MODELS", {})  # a fresh per-process cache
    model = face.face_backbone(os.fspath(fer))
    assert isinstance(model, TFLiteBackbone) and model.dim == 7 and model.input_size == (64, 64)
    assert model.channels == 1 and Path(model.path) == converted_path(fer)
    # A model cache that cannot be written: Keras runs the model, and a warning says why.
    monkeypatch.setattr(backbones, "_MODELS", {})
    shutil.rmtree(converted_dir())
    converted_dir().parent.mkdir(parents=True, exist_ok=True)
    converted_dir().write_text("a file in the way")
    with pytest.warns(UserWarning, match="running .* with Keras instead"):
        model = face.face_backbone(os.fspath(fer))
    assert isinstance(model, KerasBackbone) and model.dim == 7


def test_the_modalities_that_run_with_keras():
    tflite = {"image": {"backbone": "/w/mobilenet.tflite"}, "audio": {"backbone": "/w/yamnet.tflite"},
              "face": {"detector": "/w/detector.tflite", "face_model": "fer_mini_xception"}}
    assert keras_modalities(tflite) == []
    assert keras_modalities({"audio": {"backbone": "descriptors"}, "audio2": {"kind": "audio",
                                                                               "backbone": "egemaps"}}) == []
    keras = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "vggish"},
             "face": {"face_model": "/w/my_face_net.h5"}, "other": {"kind": "image", "backbone": "InceptionV3"}}
    assert keras_modalities(keras) == ["image", "audio", "face", "other"]
    assert keras_modalities({"image": {}, "audio": {}, "face": {}}) == ["image", "audio"]  # the embedders' defaults


def test_the_device_line_of_features_without_keras_needs_no_tensorflow(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    line = device_line({"image": {"backbone": "/w/mobilenet.tflite"}})
    assert line == ("Keras networks: none used by these features (their TFLite and MediaPipe models run on the "
                    "CPU).")
    assert device_line({"audio": {"backbone": "vggish"}}).startswith(
        "Keras networks for the audio features: TensorFlow is not installed (")


@pytest.mark.slow  # imports Keras for the reference
@pytest.mark.parametrize("mode", ["torch", "caffe"])
def test_the_imagenet_preprocessing_is_keras_arithmetic_without_keras(mode):
    imagenet_utils = pytest.importorskip("keras.applications.imagenet_utils")
    from sklearn_emotion.media.backbones import preprocess_images

    images = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    got = preprocess_images(images, mode)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, imagenet_utils.preprocess_input(images.astype(np.float32), mode=mode), atol=1e-5)
