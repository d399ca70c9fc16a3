"""Image features at 1 Hz: one frame per second through a pretrained image network."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._base import MediaEmbedder, batched
from .backbones import Backbone, cached_model, describe_spec, resolve_image_backbone
from .decoding import is_path, iter_frames, resize_frame

__all__ = ["ImageEmbedder", "to_channels", "iter_array_frames"]


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
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(
            f"{name}: a decoded movie must be an array (seconds, height, width, 3) of RGB frames, "
            f"got shape {array.shape}."
        )
    if array.dtype != np.uint8:
        raise ValueError(f"{name}: decoded frames must be uint8 RGB, got dtype {array.dtype}.")
    for t, frame in enumerate(array):
        yield t, resize_frame(frame, size)


def cached_image_backbone(kind: str, spec: Any, *, weights: Any, output: Any, preprocessing: Any) -> Backbone:
    """Load (once per process) an image network; ``kind`` keeps the image and face models apart."""
    spec_key = spec if isinstance(spec, (str, os.PathLike)) else id(spec)
    preprocessing_key = preprocessing if isinstance(preprocessing, str) else id(preprocessing)
    key = (kind, spec_key, weights, output, preprocessing_key)
    return cached_model(
        key,
        lambda: resolve_image_backbone(spec, weights=weights, output=output, preprocessing=preprocessing),
    )


def image_backbone(embedder: Any) -> Backbone:
    """Load (once per process) the backbone an :class:`ImageEmbedder` describes."""
    return cached_image_backbone(
        "image", embedder.backbone, weights=embedder.weights, output=embedder.output,
        preprocessing=embedder.preprocessing,
    )


class ImageEmbedder(MediaEmbedder):
    """Per-second image features from a pretrained image network (the paper's "Inception-Image").

    For each whole second ``t`` of a movie, the frame on screen at ``t + 0.5`` s (see
    :mod:`sklearn_emotion.media.decoding`) is resized (squashed, no crop) to the network's input size
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
    batch_size : int, default=32
        Seconds embedded per network call.
    n_jobs : int, optional
        Movies processed in parallel by joblib (each worker loads its own model).  Any joblib
        backend works, e.g. ``with joblib.parallel_config("dask"):`` to spread a corpus.
    cache_dir : path-like, optional
        Folder of the on-disk feature cache (see :mod:`sklearn_emotion.media.cache`).
    progress : bool, default=False
        Show progress bars (movies, and seconds of each movie when ``n_jobs`` is 1).

    Notes
    -----
    ``X`` is a sequence of movies, each a file path or an already-decoded array
    ``(T, height, width, 3)`` of uint8 RGB frames (one per second).  ``transform`` returns one
    ``(T, n_features)`` float32 array per movie.  Nothing is learnt: ``fit`` only checks the
    parameters.
    """

    def __init__(
        self,
        backbone: Any = "InceptionV3",
        *,
        weights: str | os.PathLike | None = "imagenet",
        output: str | None = None,
        preprocessing: Any = "auto",
        batch_size: int = 32,
        n_jobs: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        progress: bool = False,
    ):
        self.backbone = backbone
        self.weights = weights
        self.output = output
        self.preprocessing = preprocessing
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.progress = progress

    def _describe_params(self) -> dict[str, Any]:
        params = super()._describe_params()
        params["backbone"] = describe_spec(self.backbone)
        if self.weights not in (None, "imagenet"):
            params["weights"] = describe_spec(self.weights)
        if callable(self.preprocessing):
            params["preprocessing"] = describe_spec(self.preprocessing)
        return params

    def _embed_movie(self, source: Any, name: str, bar: Any) -> np.ndarray:
        backbone = image_backbone(self)
        if is_path(source):
            frames = iter_frames(source, size=backbone.input_size)
        else:
            frames = iter_array_frames(source, name, backbone.input_size)
        rows = []
        for batch in batched((frame for _, frame in frames), self.batch_size):
            images = to_channels(np.stack(batch), backbone.channels)
            rows.append(backbone.embed(images))
            bar.update(len(batch))
        if not rows:
            raise ValueError(f"{name}: the movie has no whole second of video.")
        return np.concatenate(rows)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``image_0`` ... ``image_{d-1}`` (loads the backbone to know ``d``).

        Returns
        -------
        ndarray of str
        """
        dim = image_backbone(self).dim
        return np.asarray([f"image_{i}" for i in range(dim)], dtype=object)
