"""The FER2013 face model converted once to TFLite (issue 23): equal outputs, a cache keyed by content, repairs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.files import atomic_write_bytes
from sklearn_emotion.media.backbones import KerasBackbone, TFLiteBackbone, load_keras_model_file
from sklearn_emotion.media.models import read_records
from sklearn_emotion.media.tflite_conversion import converted_dir, converted_path, keras_to_tflite

FER_FILE = "fer2013_mini_XCEPTION.102-0.66.hdf5"


@pytest.fixture
def fer(shared_weights: Path) -> Path:
    path = shared_weights / FER_FILE
    if not path.is_file():
        pytest.skip(f"{path} is absent: the real FER2013 model is only available beside the repository")
    return path


@pytest.fixture
def model_cache(tmp_path, monkeypatch) -> Path:
    """An empty model cache of the test's own."""
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(tmp_path / "home"))
    return tmp_path / "home" / "models"


def _face_crops(shared_weights: Path) -> np.ndarray:
    """Real face crops: the astronaut's face found by BlazeFace, cropped with several margins, grey 64 x 64."""
    from skimage import data

    from sklearn_emotion.media.decoding import resize_frame
    from sklearn_emotion.media.face import FaceDetector, crop_face
    from sklearn_emotion.media.image import to_channels

    detector = FaceDetector(shared_weights / "face_detection_short_range.tflite")
    crops = []
    for frame in (data.astronaut(), np.ascontiguousarray(data.astronaut()[:, ::-1])):  # and its mirror image
        (_, *box), *_ = detector.detect(frame)
        crops += [resize_frame(crop_face(frame, box, margin), (64, 64)) for margin in (0.0, 0.1, 0.3)]
    return to_channels(np.stack(crops), 1)


@pytest.mark.keras
@pytest.mark.parametrize("output", [None, "global_average_pooling2d_1"])
def test_the_conversion_gives_the_keras_outputs_on_real_faces(fer, shared_weights, model_cache, output):
    crops = _face_crops(shared_weights)
    keras_model = load_keras_model_file(fer)
    if output is not None and output not in [layer.name for layer in keras_model.layers]:
        pytest.skip(f"this Keras names the FER model's layers otherwise (no {output!r})")
    expected = KerasBackbone(keras_model, "tf", output).embed(crops)
    path = keras_to_tflite(fer, output=output)
    assert path.parent == converted_dir() and path.is_relative_to(model_cache)
    got = TFLiteBackbone(path, preprocessing="tf").embed(crops)
    assert got.shape == expected.shape and got.shape[0] == 6
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    if output is None:  # the 7 emotion scores: a distribution, not all alike
        np.testing.assert_allclose(got.sum(axis=1), 1, atol=1e-5)
        assert got.std(axis=1).min() > 0.01


@pytest.mark.keras
def test_the_cache_is_keyed_by_the_keras_files_content(fer, model_cache, tmp_path):
    import h5py

    first = keras_to_tflite(fer)
    assert first == converted_path(fer) and fer.name.removesuffix(".hdf5") in first.name
    assert read_records(first.parent)[first.name]  # its own SHA-256, recorded
    stamp = first.stat().st_mtime_ns
    assert keras_to_tflite(fer) == first and first.stat().st_mtime_ns == stamp  # not converted again
    changed = tmp_path / FER_FILE
    shutil.copyfile(fer, changed)
    with h5py.File(changed, "r+") as h5:  # another file's bytes, still the same model
        h5.attrs["note"] = "a copy"
    second = keras_to_tflite(changed)
    assert second != first and first.is_file() and second.is_file()
    assert sorted(p.name for p in converted_dir().glob("*.tflite")) == sorted([first.name, second.name])


@pytest.mark.keras
def test_a_damaged_conversion_is_made_again(fer, model_cache):
    path = keras_to_tflite(fer)
    whole = path.read_bytes()
    atomic_write_bytes(path, lambda out: out.write(whole[: len(whole) // 2]))
    with pytest.warns(UserWarning, match="does not match its recorded SHA-256"):
        again = keras_to_tflite(fer)
    assert again == path and path.read_bytes() == whole
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keras_to_tflite(fer) == path  # intact now: taken as it is


@pytest.mark.keras
def test_a_model_that_cannot_be_converted_runs_with_keras_and_the_warning_says_tensorflow_runs(fer, model_cache):
    from sklearn_emotion.media.tflite_conversion import converted_backbone

    converted_dir().parent.mkdir(parents=True)
    converted_dir().write_text("a file in the way")  # the conversion cannot be written
    with pytest.warns(UserWarning, match=r"with Keras instead: TensorFlow is imported to run it.*device line"):
        model = converted_backbone(fer, preprocessing="tf")
    assert isinstance(model, KerasBackbone) and model.dim == 7


def test_the_fer_file_is_recognised_by_its_content(fer, tmp_path):
    from sklearn_emotion.media.models import OFFICIAL_MODELS, official_file

    model = OFFICIAL_MODELS["fer_mini_xception"]
    renamed = tmp_path / "expressions.h5"
    shutil.copyfile(fer, renamed)
    assert official_file(fer, model) == fer and official_file(renamed, model) == renamed
    other = tmp_path / "other.hdf5"
    other.write_bytes(fer.read_bytes() + b"\0")
    assert official_file(other, model) is None
    assert official_file("InceptionV3", model) is None and official_file(tmp_path / "absent.h5", model) is None
    assert official_file(fer, OFFICIAL_MODELS["yamnet"]) is None  # no publisher's digest: by name only


_CONVERT = (
    "import sys\n"
    "from sklearn_emotion.media.tflite_conversion import keras_to_tflite\n"
    "print(keras_to_tflite(sys.argv[1]))\n"
)


@pytest.mark.subprocess
def test_two_processes_converting_at_once_leave_one_intact_file(fer, model_cache):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = [subprocess.Popen([sys.executable, "-c", _CONVERT, os.fspath(fer)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    paths = {Path(out.strip().splitlines()[-1]) for out, _ in outputs}
    assert paths == {converted_path(fer)}
    # The lock: one process converted, the other waited and took its file (without it both convert).
    announced = [err for _, err in outputs if "sklearn-emotion: converting" in err]
    assert len(announced) == 1, [err[-2000:] for _, err in outputs]
    kept = sorted(p.name for p in converted_dir().iterdir() if not p.name.startswith("."))
    assert kept == sorted([converted_path(fer).name, "SHA256SUMS"])
    from sklearn_emotion.media.cache import content_digest

    assert read_records(converted_dir())[converted_path(fer).name] == content_digest(converted_path(fer))
    assert not [p for p in converted_dir().iterdir() if p.name.endswith(".tmp")]  # no temporary left
