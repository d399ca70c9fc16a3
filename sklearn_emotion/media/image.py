"""Image features at 1 Hz: one frame per second through a pretrained image network."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import HasMethods, StrOptions

from ._base import MediaEmbedder
from .backbones import PREPROCESSING_MODES, Backbone, cached_model, describe_spec, resolve_image_backbone
from .decoding import DEFAULT_FRAME_SELECTION, FRAME_SELECTIONS, FrameRequest, resize_frame
from .stages import VideoStage, decoded_frames

__all__ = ["ImageEmbedder", "image_features", "image_stage", "image_backbone", "to_channels", "iter_array_frames"]


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """RGB uint8 images ``(n, h, w, 3)`` as the number of channels a network takes (1 = grey luma)."""
    if channels == 3:
        return images
    if channels == 1:
        luma = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[..., None]
    raise ValueError(f"Networks taking {channels}-channel images are not supported (use 1 or 3).")


def iter_array_frames(frames: Any, name: str, size: tuple[int, int] | None = None):
    """Yield ``(t, frame)`` for an already-decoded movie: an array ``(T, H, W, 3)`` of uint8 RGB."""
    for t, frame in enumerate(decoded_frames(frames, name)):
        yield t, resize_frame(frame, size)


def cached_image_backbone(kind: str, spec: Any, *, weights: Any, output: Any, preprocessing: Any) -> Backbone:
    """Load (once per process) an image network; ``kind`` keeps the image and face models apart."""
    # A Keras model arrives as a new copy in every joblib task: key it by architecture and weights, so
    # that a worker loads it once (an id() would add one entry, and keep one copy alive, per task).
    spec_key = spec if isinstance(spec, (str, os.PathLike)) else describe_spec(spec) if hasattr(
        spec, "get_weights") else id(spec)
    preprocessing_key = preprocessing if isinstance(preprocessing, str) else id(preprocessing)
    key = (kind, spec_key, weights, output, preprocessing_key)
    return cached_model(
        key,
        lambda: resolve_image_backbone(spec, weights=weights, output=output, preprocessing=preprocessing),
    )


def image_backbone(
    backbone: Any = "InceptionV3",
    *,
    weights: str | os.PathLike | None = "imagenet",
    output: str | None = None,
    preprocessing: Any = "auto",
) -> Backbone:
    """Load (once per process) the image network :class:`ImageEmbedder` uses for these parameters.

    The parameters are those of :class:`ImageEmbedder`; see
    :func:`~sklearn_emotion.media.backbones.resolve_image_backbone`.
    """
    return cached_image_backbone("image", backbone, weights=weights, output=output, preprocessing=preprocessing)


def image_stage(backbone: Backbone, *, batch_size: int = 32, frame_selection: str = "exact") -> VideoStage:
    """How :class:`ImageEmbedder` embeds a movie's frames: at the network's input size, in batches."""
    return VideoStage(
        FrameRequest(size=backbone.input_size),
        lambda batch: backbone.embed(to_channels(np.stack(batch), backbone.channels)),
        batch_size,
        frame_selection,
    )


def image_features(
    movie: Any,
    backbone: Backbone,
    *,
    batch_size: int = 32,
    name: str | None = None,
    on_seconds: Callable[[int], Any] | None = None,
    frame_selection: str = "exact",
) -> np.ndarray:
    """Per-second image features of one movie: what :class:`ImageEmbedder` computes for each movie.

    Each second's frame, resized to the network's input, is embedded ``batch_size`` seconds at a time.

    Parameters
    ----------
    movie : path-like or ndarray of shape (T, height, width, 3)
        A movie file, or its already-decoded frames (uint8 RGB, one per second).
    backbone : Backbone
        A loaded image network, e.g. ``image_backbone("InceptionV3")`` (see :func:`image_backbone`).
    batch_size : int, default=32
        Seconds embedded per network call.
    name : str, optional
        How errors name the movie (default: its path, or ``"movie"``).
    on_seconds : callable, optional
        Called with the number of seconds embedded after each batch (progress).
    frame_selection : {"exact", "fast"}, default="exact"
        How a movie file's frame of each second is chosen (see :class:`ImageEmbedder`).

    Returns
    -------
    ndarray of shape (T, backbone.dim), float32
    """
    stage = image_stage(backbone, batch_size=batch_size, frame_selection=frame_selection)
    return stage.features(movie, name=name, on_seconds=on_seconds)


@dataclass(eq=False, repr=False)
class ImageEmbedder(MediaEmbedder):
    """Per-second image features from a pretrained image network (the paper's "Inception-Image").

    For each whole second ``t`` of a movie, the frame on screen at ``t + 0.5`` s, or with
    ``frame_selection="fast"`` the decoded frame nearest to it (see
    :mod:`sklearn_emotion.media.decoding`), is resized (squashed, no crop) to the network's input size
    with FFmpeg's bilinear scaler, preprocessed as the network was trained, and embedded.

    Parameters
    ----------
    backbone : str, path-like or keras.Model, default="InceptionV3"
        A ``keras.applications`` model name (global-average-pooled, without classifier: InceptionV3
        gives 2048 features), a ``.tflite`` file, a whole-model Keras file, or a ``keras.Model``
        taking fixed-size images.
    weights : "imagenet" or path, default="imagenet"
        For a named backbone: the official ImageNet weights (downloaded by Keras and cached under
        ``$KERAS_HOME``; offline, a clear error says which file to supply) or a local weights file.
    output : str, optional
        Intermediate TFLite tensor or Keras layer to read, e.g. ``"MobilenetV2/Logits/AvgPool"``.
    preprocessing : "auto", {"tf", "torch", "caffe", "unit", "raw"} or callable, default="auto"
        Pixel scaling for float inputs; ``"auto"`` is the named model's own ``preprocess_input``
        and ``"tf"`` (to [-1, 1]) otherwise.  Quantised TFLite models receive raw uint8 pixels.
    frame_selection : {"fast", "exact"}, default="fast"
        How a movie file's frame of each second is chosen: ``"exact"``, the frame on screen at
        ``t + 0.5``; ``"fast"``, the decoded frame nearest to it, with non-reference frames never
        decoded (see :mod:`sklearn_emotion.media.decoding`, "Frame selection").  Ignored for
        already-decoded movies.
    batch_size, n_jobs, cache_dir, progress
        As for :class:`~sklearn_emotion.media.MediaEmbedder` (batch size, movies in parallel,
        feature cache, progress bars).

    See Also
    --------
    image_features : the features of one movie, with the models :func:`image_backbone` loads.

    Notes
    -----
    ``X`` is a sequence of movies, each a file path or an already-decoded array
    ``(T, height, width, 3)`` of uint8 RGB frames (one per second).  ``transform`` returns one
    ``(T, n_features)`` float32 array per movie.  Nothing is learnt: ``fit`` only checks the
    parameters.

    Examples
    --------
    A weight-free backbone (nothing to download): the mean colour of a 4 x 4 grid and of the whole
    frame, 51 values per second.  Here one movie of 3 seconds, already decoded, whose right half is
    white:

    >>> import numpy as np
    >>> from sklearn_emotion import ImageEmbedder
    >>> from sklearn_emotion.extraction import colour_layout_model
    >>> frames = np.zeros((3, 48, 64, 3), dtype=np.uint8)
    >>> frames[:, :, 32:] = 255
    >>> embedder = ImageEmbedder(colour_layout_model(), preprocessing="unit")
    >>> features = embedder.fit_transform([frames])
    >>> features[0].shape
    (3, 51)
    >>> features[0][0, -3:].round(3)  # the whole frame's mean red, green, blue
    array([0.5, 0.5, 0.5], dtype=float32)

    The paper's network, on video files (downloads the ImageNet weights once):

    >>> embedder = ImageEmbedder("InceptionV3")  # doctest: +SKIP
    >>> embedder.fit_transform(["movie.mp4"])[0].shape  # doctest: +SKIP
    (T, 2048)
    """

    backbone: Any = "InceptionV3"
    _: KW_ONLY
    weights: str | os.PathLike | None = "imagenet"
    output: str | None = None
    preprocessing: Any = "auto"
    frame_selection: str = DEFAULT_FRAME_SELECTION

    _parameter_constraints: ClassVar[dict] = {
        **MediaEmbedder._parameter_constraints,
        "backbone": [str, os.PathLike, HasMethods(["predict"])],
        "weights": [StrOptions({"imagenet"}), str, os.PathLike, None],
        "output": [str, None],
        "preprocessing": [StrOptions({"auto", *PREPROCESSING_MODES}), callable],
        "frame_selection": [StrOptions(set(FRAME_SELECTIONS))],
    }

    def open_stage(self) -> VideoStage:
        """The network (loaded once per process) at its input size: see :func:`image_stage`."""
        return image_stage(self._network(), batch_size=self.batch_size, frame_selection=self.frame_selection)

    def _network(self) -> Backbone:
        return image_backbone(
            self.backbone, weights=self.weights, output=self.output, preprocessing=self.preprocessing
        )

    def cache_description(self) -> dict[str, Any]:
        params = super().cache_description()
        params["backbone"] = describe_spec(self.backbone)
        if self.weights not in (None, "imagenet"):
            params["weights"] = describe_spec(self.weights)
        if callable(self.preprocessing):
            params["preprocessing"] = describe_spec(self.preprocessing)
        return params

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``image_0`` ... ``image_{d-1}`` (loads the backbone to know ``d``).

        Returns
        -------
        ndarray of str
        """
        self._validate_params()
        dim = self._network().dim
        return np.asarray([f"image_{i}" for i in range(dim)], dtype=object)
