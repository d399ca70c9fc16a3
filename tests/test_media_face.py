"""FaceEmbedder: real MediaPipe detection and the real FER expression model on real photos."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("mediapipe")
pytest.importorskip("skimage")

from media_videos import photo, write_video  # noqa: E402

from sklearn_emotion.media import FaceEmbedder  # noqa: E402
from sklearn_emotion.media.face import (  # noqa: E402
    GEOMETRY_NAMES,
    FaceDetector,
    face_backbone,
    face_detector,
    face_features,
)

WIDTH, HEIGHT = 320, 240
ASTRONAUT_FACE = (177, 82, 95, 95)  # x, y, width, height in skimage's 512 x 512 astronaut()
CROP_TOP, CROP_LEFT, CROP_SIDE = 20, 110, 240  # a 240 x 240 crop of astronaut() around the face
CANVAS_LEFT = 40  # where that crop sits in the 320 x 240 frame
FER_DIM = 7
SLOT = len(GEOMETRY_NAMES) + FER_DIM


def _resized(image, width, height):
    from skimage.transform import resize

    return (resize(image, (height, width), anti_aliasing=True) * 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def frames():
    """Seconds: one face, the cat (no face), two faces (large left, smaller right), coffee."""
    from skimage import data

    crop = data.astronaut()[CROP_TOP : CROP_TOP + CROP_SIDE, CROP_LEFT : CROP_LEFT + CROP_SIDE]
    one = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    one[:, CANVAS_LEFT : CANVAS_LEFT + CROP_SIDE] = crop
    two = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    two[:, :200] = _resized(crop, 200, 240)
    two[80:200, 200:320] = _resized(crop, 120, 120)
    return [one, photo("chelsea", (WIDTH, HEIGHT)), two, photo("coffee", (WIDTH, HEIGHT))]


@pytest.fixture(scope="module")
def movie(tmp_path_factory, frames):
    return write_video(tmp_path_factory.mktemp("face") / "faces.mp4", frames, fps=5)


@pytest.fixture(scope="module")
def embedder(shared_weights):
    return FaceEmbedder(
        str(shared_weights / "face_detection_short_range.tflite"),
        str(shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5"),
    )


def test_detector_matches_the_known_astronaut_box(shared_weights):
    from skimage import data

    detector = FaceDetector(shared_weights / "face_detection_short_range.tflite")
    faces = detector.detect(data.astronaut())
    assert len(faces) == 1
    score, *box = faces[0]
    assert score == pytest.approx(0.92, abs=0.02)
    assert box == pytest.approx(list(ASTRONAUT_FACE), abs=3)
    assert detector.detect(data.chelsea()) == []


@pytest.fixture(scope="module")
def features(embedder, movie):
    (result,) = embedder.fit_transform([movie])
    return result


def test_one_row_per_second_fixed_width(features):
    assert features.shape == (4, 2 * SLOT) and features.dtype == np.float32


def test_face_second_has_one_face_in_the_right_place(features):
    first, second = features[0, :SLOT], features[0, SLOT:]
    assert first[0] == 1.0 and first[1] > 0.8
    x, y, w, h = first[2:6]
    # Centre of the astronaut's face, carried through the crop and the canvas.
    fx, fy, fw, fh = ASTRONAUT_FACE
    expected = ((fx - CROP_LEFT + CANVAS_LEFT + fw / 2) / WIDTH, (fy - CROP_TOP + fh / 2) / HEIGHT)
    assert (x + w / 2, y + h / 2) == pytest.approx(expected, abs=0.05)
    assert w == pytest.approx(fw / WIDTH, rel=0.25)
    # FER scores of the crop: a probability vector.
    assert first[6:].sum() == pytest.approx(1.0, abs=1e-3) and (first[6:] >= 0).all()
    # No second face: the defined empty slot is all zeros.
    assert not second.any()


def test_cat_and_cup_seconds_have_no_face(features):
    assert not features[1].any()
    assert not features[3].any()


def test_two_faces_largest_first(features):
    first, second = features[2, :SLOT], features[2, SLOT:]
    assert first[0] == 1.0 and second[0] == 1.0
    assert first[4] * first[5] > second[4] * second[5]
    assert first[2] < 0.5 < second[2]  # the large face is on the left
    assert second[6:].sum() == pytest.approx(1.0, abs=1e-3)


def test_decoded_frames_and_feature_names(embedder, frames, features):
    (from_arrays,) = embedder.transform([np.stack(frames)])
    np.testing.assert_array_equal(from_arrays[:, 0], features[:, 0])
    np.testing.assert_array_equal(from_arrays[:, SLOT], features[:, SLOT])
    names = list(embedder.get_feature_names_out())
    assert len(names) == 2 * SLOT
    assert names[:6] == [f"face0_{n}" for n in GEOMETRY_NAMES]
    assert names[SLOT] == "face1_present"


def test_the_feature_function_is_what_the_embedder_computes(embedder, frames, shared_weights):
    (expected,) = embedder.transform([np.stack(frames)])
    done = []
    detector, model = face_detector(embedder.detector), face_backbone(embedder.face_model)
    features = face_features(np.stack(frames), detector, model, batch_size=3, on_seconds=done.append)
    np.testing.assert_array_equal(features, expected)
    assert done == [3, 1]  # progress per batch of seconds


def test_one_slot_and_margin(shared_weights, frames):
    embedder = FaceEmbedder(
        str(shared_weights / "face_detection_short_range.tflite"),
        str(shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5"),
        n_faces=1,
        margin=0.2,
    )
    (features,) = embedder.transform([np.stack(frames)])
    assert features.shape == (4, SLOT)
    assert features[:, 0].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_bad_parameters(embedder, frames):
    with pytest.raises(ValueError, match="n_faces"):
        FaceEmbedder(n_faces=0).fit([np.stack(frames)])
    with pytest.raises(FileNotFoundError, match="nowhere.tflite"):
        FaceEmbedder("nowhere.tflite").transform([np.stack(frames)])


def test_named_models_offline_fail_clearly(tmp_path, monkeypatch, frames, shared_weights):
    import socket

    from sklearn_emotion.media import BackboneUnavailableError

    try:
        socket.getaddrinfo("storage.googleapis.com", 443)
        pytest.skip("this machine is online: the official models would be downloaded")
    except OSError:
        pass
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", str(tmp_path))
    with pytest.raises(BackboneUnavailableError, match="blaze_face_short_range.tflite.*detector="):
        FaceEmbedder().transform([np.stack(frames)])
    detector = str(shared_weights / "face_detection_short_range.tflite")
    with pytest.raises(BackboneUnavailableError, match="fer2013_mini_XCEPTION.*face_model="):
        FaceEmbedder(detector).transform([np.stack(frames)])
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no partial download left behind
