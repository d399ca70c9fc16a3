"""Face features at 1 Hz: the two largest faces of each second's frame, detected and embedded."""

from __future__ import annotations

import atexit
import dataclasses
import os
import threading
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._backend import mediapipe_without_tensorflow, native_logs_hidden
from ._base import MediaEmbedder, PathWithSuffix, model_file
from .backbones import PREPROCESSING_MODES, Backbone, cached_model, describe_spec
from .decoding import DEFAULT_FRAME_SELECTION, FRAME_SELECTIONS, FrameRequest, resize_frame
from .image import cached_image_backbone, to_channels
from .models import OFFICIAL_MODELS, official_file
from .stages import VideoStage
from .tflite_conversion import converted_backbone

__all__ = [
    "FaceEmbedder",
    "FaceDetector",
    "face_features",
    "face_stage",
    "face_detector",
    "face_backbone",
    "GEOMETRY_NAMES",
    "FER_EMOTIONS",
]

#: The default detector and face model (registry entries of :mod:`sklearn_emotion.media.models`).
DETECTOR = OFFICIAL_MODELS["blaze_face_short_range"]
FER_MODEL = OFFICIAL_MODELS["fer_mini_xception"]
DETECTOR_URL = DETECTOR.url
FER_URL = FER_MODEL.url
#: Output order of the FER2013 mini-Xception expression model.
FER_EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Per-face values before the embedding: presence flag, detector score, box (fractions of the frame).
GEOMETRY_NAMES = ("present", "score", "x", "y", "width", "height")


class FaceDetector:
    """MediaPipe's tasks ``FaceDetector`` on RGB uint8 frames; boxes sorted by area, largest first.

    Parameters
    ----------
    path : str or path-like
        A MediaPipe face detection model (``face_detection_short_range.tflite`` /
        ``blaze_face_short_range.tflite``, with its task metadata).
    min_confidence : float
    """

    def __init__(self, path: str | os.PathLike, min_confidence: float = 0.5):
        mediapipe_without_tensorflow()
        from mediapipe.tasks.python import BaseOptions, vision

        self.path = os.fspath(path)
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=self.path),
            min_detection_confidence=float(min_confidence),
            running_mode=vision.RunningMode.IMAGE,
        )
        try:
            with native_logs_hidden():  # LiteRT's start-up lines; 46 sparsity notices for the full-range model
                self._detector = vision.FaceDetector.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"Cannot load the MediaPipe face detector {self.path}: {exc}") from exc
        self._lock = threading.Lock()
        # Close while MediaPipe's dispatcher threads still run (its own __del__ fails noisily at
        # exit); threading's exit hooks run before its executors stop, atexit's run after.
        register = getattr(threading, "_register_atexit", atexit.register)
        register(self._close)

    def _close(self) -> None:
        try:
            with native_logs_hidden():
                self._detector.close()
        except (RuntimeError, TypeError, ValueError):  # already closed or shutting down
            pass

    def detect(self, frame: np.ndarray) -> list[tuple[float, int, int, int, int]]:
        """Faces of an RGB frame as ``(score, x, y, width, height)`` in pixels, largest first."""
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame, dtype=np.uint8))
        # Any frame, not only the first, can make LiteRT log that it realigns the input tensor's memory.
        with self._lock, native_logs_hidden():
            result = self._detector.detect(image)
        faces = []
        for detection in result.detections:
            box = detection.bounding_box
            score = detection.categories[0].score if detection.categories else 1.0
            faces.append((float(score), box.origin_x, box.origin_y, box.width, box.height))
        faces.sort(key=lambda face: (face[3] * face[4], face[0]), reverse=True)
        return faces


def crop_face(frame: np.ndarray, box: tuple[int, int, int, int], margin: float) -> np.ndarray:
    """The face box grown by ``margin`` (fraction of its size on each side), clipped to the frame."""
    x, y, width, height = box
    grow_x, grow_y = margin * width, margin * height
    left = int(np.clip(np.floor(x - grow_x), 0, frame.shape[1] - 1))
    top = int(np.clip(np.floor(y - grow_y), 0, frame.shape[0] - 1))
    right = int(np.clip(np.ceil(x + width + grow_x), left + 1, frame.shape[1]))
    bottom = int(np.clip(np.ceil(y + height + grow_y), top + 1, frame.shape[0]))
    return frame[top:bottom, left:right]


def face_detector(detector: Any = "blaze_face_short_range", *, min_confidence: float = 0.5) -> FaceDetector:
    """Load (once per process) the face detector of :class:`FaceEmbedder`'s ``detector`` parameter."""
    path = model_file(detector, DETECTOR, "Face detector model")
    return cached_model(("face-detector", path, min_confidence), lambda: FaceDetector(path, min_confidence))


def face_backbone(
    face_model: Any = "fer_mini_xception",
    *,
    face_weights: Any = "imagenet",
    face_output: str | None = None,
    face_preprocessing: Any = "auto",
) -> Backbone:
    """Load (once per process) the network embedding face crops, for :class:`FaceEmbedder`'s parameters.

    The FER2013 model (by name, or its file, recognised by its SHA-256) runs as its TFLite conversion,
    made once and cached (:mod:`~sklearn_emotion.media.tflite_conversion`): no TensorFlow after the first use.
    """
    path = official_file(face_model, FER_MODEL)
    if path is not None:
        preprocessing = "tf" if face_preprocessing == "auto" else face_preprocessing
        name = "fer_mini_xception" if isinstance(face_model, str) and face_model == "fer_mini_xception" else path.stem
        key = ("face-model", os.fspath(path), face_output, str(preprocessing))
        return cached_model(key, lambda: converted_backbone(path, preprocessing, face_output, name))
    return cached_image_backbone(
        "face-model", face_model, weights=face_weights, output=face_output, preprocessing=face_preprocessing
    )


def embed_faces(
    frames: list[np.ndarray], detector: FaceDetector, model: Backbone, n_faces: int, margin: float
) -> np.ndarray:
    """One row per frame: geometry and embedding of its ``n_faces`` largest faces (zeros: no face)."""
    slot = len(GEOMETRY_NAMES) + model.dim
    block = np.zeros((len(frames), n_faces * slot), dtype=np.float32)
    crops, places = [], []
    for i, frame in enumerate(frames):
        height, width = frame.shape[:2]
        for k, (score, x, y, w, h) in enumerate(detector.detect(frame)[:n_faces]):
            block[i, k * slot : k * slot + len(GEOMETRY_NAMES)] = (
                1.0, score, x / width, y / height, w / width, h / height,
            )
            crops.append(resize_frame(crop_face(frame, (x, y, w, h), margin), model.input_size))
            places.append((i, k))
    if crops:
        embeddings = model.embed(to_channels(np.stack(crops), model.channels))
        for (i, k), embedding in zip(places, embeddings):
            start = k * slot + len(GEOMETRY_NAMES)
            block[i, start : start + model.dim] = embedding
    return block


def face_stage(
    detector: FaceDetector,
    face_model: Backbone,
    *,
    n_faces: int = 2,
    margin: float = 0.0,
    max_side: int | None = 640,
    batch_size: int = 32,
) -> VideoStage:
    """How :class:`FaceEmbedder` embeds a movie's frames: shrunk to ``max_side``, faces found and embedded."""
    return VideoStage(
        FrameRequest(max_side=max_side),
        lambda batch: embed_faces(batch, detector, face_model, n_faces, margin),
        batch_size,
    )


def face_features(
    movie: Any,
    detector: FaceDetector,
    face_model: Backbone,
    *,
    name: str | None = None,
    on_seconds: Callable[[int], Any] | None = None,
    **settings: Any,
) -> np.ndarray:
    """Per-second face features of one movie: what :class:`FaceEmbedder` computes for each movie.

    Each second's frame is shrunk to ``max_side``; its largest faces are found, cropped and embedded.

    Parameters
    ----------
    movie : path-like or ndarray of shape (T, height, width, 3)
        As for :func:`~sklearn_emotion.media.image.image_features`.
    detector : FaceDetector
        A loaded detector, e.g. ``face_detector("blaze_face_short_range")``.
    face_model : Backbone
        A loaded network embedding the crops, e.g. ``face_backbone("fer_mini_xception")``.
    name, on_seconds
        As for :func:`~sklearn_emotion.media.image.image_features`.
    **settings
        ``n_faces``, ``margin``, ``max_side``, ``batch_size``: the keywords of :func:`face_stage`, with
        its defaults (those of :class:`FaceEmbedder`).

    Returns
    -------
    ndarray of shape (T, n_faces * (6 + face_model.dim)), float32
    """
    return face_stage(detector, face_model, **settings).features(movie, name=name, on_seconds=on_seconds)


@dataclass(eq=False, repr=False)
class FaceEmbedder(MediaEmbedder):
    """Per-second face features: presence, box and embedding of the two largest faces.

    For each whole second (the frame on screen at ``t + 0.5`` s), MediaPipe's face detector finds
    faces; the ``n_faces`` largest boxes (by area; ties by score) are cropped, resized (squashed)
    to the face model's input, converted to grey if the model takes one channel, and embedded.

    Each second's row holds, for face slot ``k = 0 .. n_faces - 1`` (0 = largest):
    ``present`` (1 or 0), detector ``score``, box ``x, y, width, height`` as fractions of the
    frame's width and height (``x, y`` = top-left corner), then the face model's ``d`` outputs.
    **A slot without a face is all zeros** (``present = 0``), so rows always have
    ``n_faces * (6 + d)`` values.

    Parameters
    ----------
    detector : "blaze_face_short_range" or path, default="blaze_face_short_range"
        MediaPipe face detection model: the official BlazeFace short-range model (downloaded and
        cached when online) or a local ``.tflite`` (e.g. ``face_detection_short_range.tflite``).
    face_model : str, path-like or keras.Model, default="fer_mini_xception"
        Network embedding the crops: ``"fer_mini_xception"`` (FER2013 expression model, 7 emotion
        scores, downloaded from its release), a Keras model file, a ``.tflite`` file, a
        ``keras.applications`` name (e.g. ``"InceptionV3"``, closer to the paper's Inception face
        network), or a ``keras.Model``.
    face_weights : "imagenet" or path, default="imagenet"
        Weights of a named ``keras.applications`` face model.
    face_output : str, optional
        Intermediate layer / tensor of the face model to read.
    face_preprocessing : "auto", str or callable, default="auto"
        Pixel scaling of crops (``"auto"``: ``"tf"``, i.e. [-1, 1], for model files, the model's
        own for ``keras.applications`` names).
    n_faces : int, default=2
        Face slots per second.
    min_confidence : float, default=0.5
        Detector score threshold.
    margin : float, default=0.0
        Fraction of the box size added on each side before cropping.
    max_side : int or None, default=640
        Frames are shrunk (aspect kept) so their longer side is at most this before detection.
    frame_selection : {"fast", "exact"}, default="fast"
        How a movie file's frame of each second is chosen, as for
        :class:`~sklearn_emotion.media.ImageEmbedder`.
    batch_size, n_jobs, cache_dir, progress
        As for :class:`~sklearn_emotion.media.MediaEmbedder`.

    See Also
    --------
    face_features : the features of one movie, with the models :func:`face_detector` and
        :func:`face_backbone` load.

    Notes
    -----
    ``X`` is a sequence of movies: file paths or already-decoded ``(T, height, width, 3)`` uint8
    RGB arrays (one frame per second).

    Examples
    --------
    Each second holds ``n_faces`` slots of ``6 + d`` values, ``d`` the face model's outputs.  With a
    weight-free face model (the colour layout of each crop, ``d = 51``) the layout is known without
    any file:

    >>> from sklearn_emotion import FaceEmbedder
    >>> from sklearn_emotion.extraction import colour_layout_model
    >>> embedder = FaceEmbedder(face_model=colour_layout_model(), face_preprocessing="unit", n_faces=2)
    >>> names = embedder.get_feature_names_out()
    >>> len(names), [str(name) for name in names[:6]]
    (114, ['face0_present', 'face0_score', 'face0_x', 'face0_y', 'face0_width', 'face0_height'])
    >>> str(names[6 + 51])  # the second slot starts after the first one's 57 values
    'face1_present'

    Embedding needs MediaPipe's BlazeFace detector (downloaded once and cached when online, or a
    local file such as ``face_detection_short_range.tflite``); the default face model is the
    FER2013 expression network (7 scores per face):

    >>> features = FaceEmbedder().fit_transform(["movie.mp4"])  # doctest: +SKIP
    >>> features[0].shape  # doctest: +SKIP
    (T, 26)
    """

    detector: Any = "blaze_face_short_range"
    face_model: Any = "fer_mini_xception"
    _: KW_ONLY
    face_weights: Any = "imagenet"
    face_output: str | None = None
    face_preprocessing: Any = "auto"
    n_faces: int = 2
    min_confidence: float = 0.5
    margin: float = 0.0
    max_side: int | None = 640
    frame_selection: str = DEFAULT_FRAME_SELECTION

    _parameter_constraints: ClassVar[dict] = {
        **MediaEmbedder._parameter_constraints,
        "detector": [StrOptions({"blaze_face_short_range"}), PathWithSuffix(".tflite")],
        "face_model": [StrOptions({"fer_mini_xception"}), str, os.PathLike, HasMethods(["predict"])],
        "face_weights": [StrOptions({"imagenet"}), str, os.PathLike, None],
        "face_output": [str, None],
        "face_preprocessing": [StrOptions({"auto", *PREPROCESSING_MODES}), callable],
        "n_faces": [Interval(Integral, 1, None, closed="left")],
        "min_confidence": [Interval(Real, 0, 1, closed="both")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "max_side": [Interval(Integral, 32, None, closed="left"), None],
        "frame_selection": [StrOptions(set(FRAME_SELECTIONS))],
    }

    def open_stage(self) -> VideoStage:
        """The detector and face network (loaded once per process) on shrunk frames: see :func:`face_stage`."""
        stage = face_stage(
            face_detector(self.detector, min_confidence=self.min_confidence), self._face_network(),
            n_faces=self.n_faces, margin=self.margin, max_side=self.max_side, batch_size=self.batch_size,
        )
        return dataclasses.replace(stage, frame_selection=self.frame_selection)

    def _face_network(self) -> Backbone:
        return face_backbone(
            self.face_model, face_weights=self.face_weights, face_output=self.face_output,
            face_preprocessing=self.face_preprocessing,
        )

    def cache_description(self) -> dict[str, Any]:
        params = super().cache_description()
        for name in ("detector", "face_model", "face_weights", "face_preprocessing"):
            params[name] = describe_spec(getattr(self, name))
        return params

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``face0_present, face0_score, face0_x, ..., face0_<output> ..., face1_...``.

        The face model's outputs are named by emotion for ``"fer_mini_xception"``
        (``face0_happy``, ...) and ``face{k}_emb_{i}`` otherwise.

        Returns
        -------
        ndarray of str
        """
        self._validate_params()
        model = self._face_network()
        if isinstance(self.face_model, str) and self.face_model == "fer_mini_xception" and self.face_output is None:
            outputs = list(FER_EMOTIONS)
        else:
            outputs = [f"emb_{i}" for i in range(model.dim)]
        names = [f"face{k}_{part}" for k in range(self.n_faces) for part in (*GEOMETRY_NAMES, *outputs)]
        return np.asarray(names, dtype=object)
