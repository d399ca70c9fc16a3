"""VGGish, the AudioSet VGG-style audio network: its exact front end (with librosa) and architecture.

Front end (as ``vggish_input.py`` / ``mel_features.py`` of the official release define it): mono
audio at 16 kHz, frames of 25 ms (400 samples) every 10 ms (160 samples), periodic Hann window,
magnitude of a 512-point FFT, 64 mel bands from 125 to 7500 Hz (HTK mel scale, triangles linear in
mel, DC bin excluded), ``log(mel + 0.01)``, and examples of 96 frames (0.96 s).  Here the example of
second ``t`` is the 96 frames starting at ``t`` s: samples ``[16000 t, 16000 t + 15600)``.

The network (``vggish_slim.py``): conv 64 - pool - conv 128 - pool - 2 x conv 256 - pool -
2 x conv 512 - pool (3 x 3 convolutions, ReLU, 2 x 2 max pooling, "same" padding), then fully
connected 4096 - 4096 - 128 (the last one linear).  Weights load from the official TensorFlow
checkpoint ``vggish_model.ckpt`` or from a Keras weights file; the official PCA post-processing
(``vggish_pca_params.npz``) gives the AudioSet release's 8-bit embeddings.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .models import OFFICIAL_MODELS

__all__ = [
    "SAMPLE_RATE",
    "EXAMPLE_SAMPLES",
    "log_mel_frames",
    "log_mel_example",
    "mel_matrix",
    "build_vggish",
    "load_vggish_checkpoint",
    "VGGishPostprocessor",
    "CHECKPOINT_URL",
    "PCA_PARAMS_URL",
]

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
FFT_LENGTH = 512  # next power of two above the window
MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s
EXAMPLE_SAMPLES = WINDOW_SAMPLES + (EXAMPLE_FRAMES - 1) * HOP_SAMPLES  # 15600 samples = 0.975 s
EMBEDDING_SIZE = 128

# Official addresses of the release's files (registry: sklearn_emotion.media.models).
CHECKPOINT_URL = OFFICIAL_MODELS["vggish"].url
PCA_PARAMS_URL = OFFICIAL_MODELS["vggish_pca"].url

# Keras layer name -> variable scope in the official checkpoint.
CHECKPOINT_SCOPES = {
    "conv1": "vggish/conv1",
    "conv2": "vggish/conv2",
    "conv3_1": "vggish/conv3/conv3_1",
    "conv3_2": "vggish/conv3/conv3_2",
    "conv4_1": "vggish/conv4/conv4_1",
    "conv4_2": "vggish/conv4/conv4_2",
    "fc1_1": "vggish/fc1/fc1_1",
    "fc1_2": "vggish/fc1/fc1_2",
    "fc2": "vggish/fc2",
}

_MEL_MATRIX: np.ndarray | None = None


def mel_matrix() -> np.ndarray:
    """VGGish's ``(257, 64)`` mel weighting matrix (triangles linear in HTK mel, no DC)."""
    global _MEL_MATRIX
    if _MEL_MATRIX is None:
        import librosa

        bins_hz = np.linspace(0.0, SAMPLE_RATE / 2, FFT_LENGTH // 2 + 1)
        bins_mel = librosa.hz_to_mel(bins_hz, htk=True)
        edges = np.linspace(
            librosa.hz_to_mel(MEL_MIN_HZ, htk=True), librosa.hz_to_mel(MEL_MAX_HZ, htk=True), MEL_BANDS + 2
        )
        lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
        rising = (bins_mel[:, None] - lower) / (center - lower)
        falling = (upper - bins_mel[:, None]) / (upper - center)
        weights = np.maximum(0.0, np.minimum(rising, falling))
        weights[0, :] = 0.0  # the DC bin carries no band
        _MEL_MATRIX = weights
    return _MEL_MATRIX


def log_mel_frames(waveform: np.ndarray) -> np.ndarray:
    """Log-mel spectrogram ``(n_frames, 64)`` of 16 kHz mono audio, VGGish's definition."""
    import librosa

    waveform = np.asarray(waveform, dtype=np.float64)
    if len(waveform) < WINDOW_SAMPLES:
        return np.zeros((0, MEL_BANDS))
    frames = librosa.util.frame(waveform, frame_length=WINDOW_SAMPLES, hop_length=HOP_SAMPLES, axis=0)
    window = librosa.filters.get_window("hann", WINDOW_SAMPLES, fftbins=True)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(frames * window, n=FFT_LENGTH))
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def log_mel_example(samples: np.ndarray) -> np.ndarray:
    """The ``(96, 64)`` log-mel example of exactly :data:`EXAMPLE_SAMPLES` samples."""
    if len(samples) != EXAMPLE_SAMPLES:
        raise ValueError(f"A VGGish example takes {EXAMPLE_SAMPLES} samples, got {len(samples)}.")
    return log_mel_frames(samples).astype(np.float32)


def build_vggish() -> Any:
    """The VGGish network as a Keras model: ``(n, 96, 64, 1)`` log-mel -> ``(n, 128)``.

    Built without weights; load them with :func:`load_vggish_checkpoint` or ``load_weights``.
    """
    from .._backend import require_tensorflow

    require_tensorflow()
    import keras
    from keras import layers

    inputs = keras.Input((EXAMPLE_FRAMES, MEL_BANDS, 1), name="log_mel")
    x = inputs
    blocks = ((["conv1"], 64), (["conv2"], 128), (["conv3_1", "conv3_2"], 256), (["conv4_1", "conv4_2"], 512))
    for names, filters in blocks:
        for name in names:
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)(x)
        x = layers.MaxPooling2D(2, strides=2, padding="same", name=f"pool{names[0][4]}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1_1")(x)
    x = layers.Dense(4096, activation="relu", name="fc1_2")(x)
    outputs = layers.Dense(EMBEDDING_SIZE, activation=None, name="fc2")(x)
    return keras.Model(inputs, outputs, name="vggish")


def load_vggish_checkpoint(model: Any, path: str | os.PathLike) -> None:
    """Copy the official TensorFlow checkpoint's variables into a :func:`build_vggish` model.

    Parameters
    ----------
    model : keras.Model
    path : str or path-like
        Checkpoint prefix, e.g. ``.../vggish_model.ckpt``.

    Raises
    ------
    ValueError
        When the checkpoint lacks a VGGish variable or shapes differ, naming them and the file.
    """
    import tensorflow as tf

    path = os.fspath(path)
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.OpError, ValueError) as exc:
        raise ValueError(f"Cannot read the VGGish checkpoint {path}: {exc}") from exc
    available = reader.get_variable_to_shape_map()
    missing = [
        f"{scope}/{part}" for scope in CHECKPOINT_SCOPES.values() for part in ("weights", "biases")
        if f"{scope}/{part}" not in available
    ]
    if missing:
        more = " ..." if len(missing) > 4 else ""
        raise ValueError(f"{path} is not a VGGish checkpoint: it lacks {missing[:4]}{more}.")
    for layer_name, scope in CHECKPOINT_SCOPES.items():
        layer = model.get_layer(layer_name)
        values = [reader.get_tensor(f"{scope}/weights"), reader.get_tensor(f"{scope}/biases")]
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [tuple(v.shape) for v in values] != expected:
            raise ValueError(
                f"{path}: variables of {scope} have shapes {[v.shape for v in values]}, expected {expected}."
            )
        layer.set_weights(values)


class VGGishPostprocessor:
    """The official PCA whitening and 8-bit quantisation of VGGish embeddings (AudioSet release).

    Parameters
    ----------
    path : str or path-like
        ``vggish_pca_params.npz`` with ``pca_eigen_vectors`` (128 x 128) and ``pca_means`` (128).
    """

    def __init__(self, path: str | os.PathLike):
        path = os.fspath(path)
        try:
            with np.load(path) as params:
                self.eigen_vectors = np.asarray(params["pca_eigen_vectors"], dtype=np.float64)
                self.means = np.asarray(params["pca_means"], dtype=np.float64).reshape(-1)
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a VGGish PCA parameter file: {exc}") from exc
        if self.eigen_vectors.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE) or self.means.shape != (EMBEDDING_SIZE,):
            raise ValueError(
                f"{path}: expected PCA matrix (128, 128) and means (128,), got "
                f"{self.eigen_vectors.shape} and {self.means.shape}."
            )

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        """``(n, 128)`` raw embeddings -> ``(n, 128)`` quantised values 0..255 (as float32)."""
        whitened = (embeddings - self.means) @ self.eigen_vectors.T
        clipped = np.clip(whitened, -2.0, 2.0)
        # The release casts to uint8, which truncates.
        return np.floor((clipped + 2.0) * (255.0 / 4.0)).astype(np.float32)
