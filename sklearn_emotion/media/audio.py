"""Audio features at 1 Hz: VGGish (the paper's AudioSet features), YAMNet, openSMILE, or weight-free descriptors."""

from __future__ import annotations

import functools
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from . import vggish
from ._base import MediaEmbedder, PathWithSuffix, embed_seconds, model_file, movie_name
from .backbones import cached_model, describe_spec, predict_padded
from .decoding import MissingStreamError, is_path, iter_audio_windows, probe
from .models import OFFICIAL_MODELS
from .opensmile_features import DEFAULT_WINDOW_S, OPENSMILE_FEATURE_SETS, OpenSmileFunctionals
from .stages import AudioStage

__all__ = [
    "AudioEmbedder",
    "WaveformTFLite",
    "audio_features",
    "audio_stage",
    "SilenceWarning",
    "audio_backbone",
    "audio_descriptors",
    "DESCRIPTOR_NAMES",
]

#: The official YAMNet (registry entry of :mod:`sklearn_emotion.media.models`) and its download address.
YAMNET = OFFICIAL_MODELS["yamnet"]
YAMNET_URL = YAMNET.url
YAMNET_WINDOW = 15600  # 0.975 s at 16 kHz
YAMNET_EMBEDDING_SIZE = 1024
YAMNET_CLASSES = 521
#: The openSMILE feature sets (optional ``opensmile`` package): see :mod:`.opensmile_features`.
OPENSMILE_NAMES = tuple(OPENSMILE_FEATURE_SETS)
BACKBONE_NAMES = ("vggish", "yamnet", "descriptors", *OPENSMILE_NAMES)
MISSING_AUDIO = ("error", "silence")

N_MFCC = 20
DESCRIPTOR_NAMES = tuple(
    [f"mfcc_mean_{i}" for i in range(N_MFCC)]
    + [f"mfcc_std_{i}" for i in range(N_MFCC)]
    + [f"logmel_mean_{i}" for i in range(vggish.MEL_BANDS)]
    + ["rms_mean", "rms_std", "zcr_mean", "zcr_std", "centroid_mean", "centroid_std", "rolloff_mean", "flatness_mean"]
)


def audio_descriptors(samples: np.ndarray, sample_rate: int = vggish.SAMPLE_RATE) -> np.ndarray:
    """Hand-crafted statistics of one second of audio (a weight-free, licence-free stand-in for openSMILE).

    Over 25 ms frames every 10 ms: mean and standard deviation of 20 MFCCs, mean of 64 log-mel
    bands (125-7500 Hz), mean and standard deviation of RMS energy, zero-crossing rate and spectral
    centroid, mean spectral roll-off (85 %) and flatness: :data:`DESCRIPTOR_NAMES`, 112 values.
    """
    import librosa

    # In float64: BLAS splits the mel products by thread, and in float32 the sums then differ with the
    # number of threads (a parallel worker's features differed from the caller's by 1 ULP); cast at the end.
    y = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(librosa.stft(y, n_fft=512, win_length=400, hop_length=160, center=True)) ** 2
    mel = librosa.feature.melspectrogram(
        S=spectrum, sr=sample_rate, n_mels=vggish.MEL_BANDS, fmin=vggish.MEL_MIN_HZ, fmax=vggish.MEL_MAX_HZ
    )
    log_mel = np.log(mel + 1e-6)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC)
    rms = librosa.feature.rms(S=np.sqrt(spectrum), frame_length=512)[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=400, hop_length=160)[0]
    centroid = librosa.feature.spectral_centroid(S=np.sqrt(spectrum), sr=sample_rate)[0] / (sample_rate / 2)
    rolloff = librosa.feature.spectral_rolloff(S=np.sqrt(spectrum), sr=sample_rate)[0] / (sample_rate / 2)
    flatness = librosa.feature.spectral_flatness(S=np.sqrt(spectrum))[0]
    return np.concatenate(
        [
            mfcc.mean(axis=1), mfcc.std(axis=1), log_mel.mean(axis=1),
            [rms.mean(), rms.std(), zcr.mean(), zcr.std()],
            [centroid.mean(), centroid.std(), rolloff.mean(), flatness.mean()],
        ]
    ).astype(np.float32)


class WaveformTFLite:
    """A TFLite audio model taking 0.975 s of 16 kHz waveform (YAMNet), read at scores or embedding.

    Parameters
    ----------
    path : str or path-like
    output : {"embedding", "scores"}
        ``"embedding"`` reads the 1024-d global-average-pooled tensor (found by name, else as the
        only 1024-wide 2-D tensor); ``"scores"`` the 521 AudioSet class scores.
    """

    def __init__(self, path: str | os.PathLike, output: str = "embedding"):
        from ai_edge_litert.interpreter import Interpreter

        from .._backend import native_logs_hidden

        self.path = os.fspath(path)
        with warnings.catch_warnings(), native_logs_hidden():  # "Created TensorFlow Lite XNNPACK delegate"
            warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*")
            try:
                self.interpreter = Interpreter(
                    model_path=self.path, experimental_preserve_all_tensors=output == "embedding"
                )
                self.interpreter.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                raise ValueError(f"Cannot load the TFLite audio model {self.path}: {exc}") from exc
        self.input = self.interpreter.get_input_details()[0]
        if int(np.prod(self.input["shape"])) != YAMNET_WINDOW:
            raise ValueError(
                f"{self.path} must take {YAMNET_WINDOW} waveform samples (0.975 s at 16 kHz), "
                f"its input has shape {list(self.input['shape'])}."
            )
        self.output = self._find_output(output)
        self.window = YAMNET_WINDOW
        shape = self.output["shape"]
        self.dim = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
        self._lock = threading.Lock()

    def _find_output(self, output: str) -> dict[str, Any]:
        if output == "scores":
            candidates = [d for d in self.interpreter.get_output_details() if d["shape"][-1] == YAMNET_CLASSES]
        else:
            tensors = self.interpreter.get_tensor_details()
            candidates = [d for d in tensors if d["name"].endswith("global_average_pooling2d/Mean")]
            if not candidates:
                candidates = [d for d in tensors if len(d["shape"]) == 2 and d["shape"][-1] == YAMNET_EMBEDDING_SIZE]
        if len(candidates) < 1:
            raise ValueError(f"{self.path} has no {output} tensor of a YAMNet-like model.")
        return candidates[0]

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """``(n, 15600)`` waveforms -> ``(n, dim)`` features."""
        out = np.empty((len(windows), self.dim), dtype=np.float32)
        with self._lock:
            for i, window in enumerate(windows):
                waveform = window.reshape(self.input["shape"]).astype(np.float32)
                self.interpreter.set_tensor(self.input["index"], waveform)
                self.interpreter.invoke()
                value = self.interpreter.get_tensor(self.output["index"])
                # One patch per call: the embedding may come per patch (1, d) or (d,).
                out[i] = value.reshape(-1, self.dim).mean(axis=0)
        return out


class _VGGish:
    """VGGish network (loaded once per process and weights) + optional official PCA post-processing."""

    def __init__(self, weights: Any, pca_params: Any):
        weights = _vggish_weights_file(weights)
        if isinstance(pca_params, str) and pca_params == "audioset":
            pca_params = OFFICIAL_MODELS["vggish_pca"].fetch()
        self.postprocess = vggish.VGGishPostprocessor(pca_params) if pca_params is not None else None
        self.model = cached_model(("vggish", weights), lambda: _load_vggish(weights))
        self.dim = vggish.EMBEDDING_SIZE
        self.window = vggish.EXAMPLE_SAMPLES

    def embed(self, windows: np.ndarray) -> np.ndarray:
        examples = np.stack([vggish.log_mel_example(w) for w in windows])[..., None]
        embeddings = predict_padded(self.model, examples)
        return self.postprocess(embeddings) if self.postprocess is not None else embeddings


def _vggish_weights_file(weights: Any) -> str:
    """The local VGGish weights: a checkpoint prefix or Keras weights file (downloaded if named)."""
    if weights is None:
        raise ValueError(
            "weights=None would give VGGish random weights. Pass weights='audioset', a "
            "checkpoint prefix (vggish_model.ckpt) or a Keras .weights.h5 file."
        )
    if isinstance(weights, str) and weights == "audioset":
        weights = OFFICIAL_MODELS["vggish"].fetch()
    return os.fspath(weights)


def _load_vggish(weights: str) -> Any:
    model = vggish.build_vggish()
    if weights.endswith(".h5") or weights.endswith(".keras"):
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"VGGish weights file not found: {weights}")
        try:
            model.load_weights(weights)
        except Exception as exc:  # Keras raises several kinds for a mismatching file
            raise ValueError(f"Cannot load VGGish weights from {weights}: {exc}") from exc
    else:
        vggish.load_vggish_checkpoint(model, weights)
    return model


class _Descriptors:
    dim = len(DESCRIPTOR_NAMES)
    window = vggish.SAMPLE_RATE  # the statistics summarise the whole second

    def embed(self, windows: np.ndarray) -> np.ndarray:
        return np.stack([audio_descriptors(w) for w in windows])


def audio_backbone(
    backbone: Any = "vggish",
    *,
    weights: Any = "audioset",
    pca_params: Any = "audioset",
    output: str = "embedding",
    window: float = DEFAULT_WINDOW_S,
) -> Any:
    """Load (once per process) the audio model :class:`AudioEmbedder` uses for these parameters.

    Returns an object with ``dim``, ``window`` (samples at 16 kHz per second's window: 16000 for the
    descriptors, 15600 for VGGish and YAMNet, ``window`` seconds for openSMILE) and
    ``embed(windows) -> (n, dim)``.  The openSMILE sets
    (:class:`~sklearn_emotion.media.opensmile_features.OpenSmileFunctionals`) also have
    ``feature_names`` and ``iter_windows(movie)``, their own (centred, clipped) windows.
    """
    if backbone == "descriptors":
        return _Descriptors()
    if isinstance(backbone, str) and backbone in OPENSMILE_FEATURE_SETS:
        return cached_model(("opensmile", backbone, float(window)), lambda: OpenSmileFunctionals(backbone, window))
    if backbone == "vggish":
        return _VGGish(weights, pca_params)
    path = model_file(backbone, YAMNET, "Audio model")
    return cached_model(("waveform", path, output), lambda: WaveformTFLite(path, output))


class SilenceWarning(UserWarning):
    """A movie without audio track got the features of silence (``missing_audio="silence"``)."""


def _silence(model: Any, movie: Any, name: str) -> np.ndarray:
    """The features of silence for every second the container of ``movie`` declares (said in a warning)."""
    n_seconds = probe(movie).n_seconds
    if not n_seconds:
        raise MissingStreamError(f"{name} has no audio track and no declared duration to fill with silence.")
    warnings.warn(
        f"{name} has no audio track: its audio features are those of silence for its {n_seconds} s "
        "(missing_audio='silence').",
        SilenceWarning,
        stacklevel=2,
    )
    row = model.embed(np.zeros((1, model.window), dtype=np.float32))
    return np.repeat(row, n_seconds, axis=0)


def _windows(movie: Any, model: Any) -> Iterator[np.ndarray]:
    """Each whole second's window: the model's own (openSMILE), else ``model.window`` samples from ``t``."""
    iterate = getattr(model, "iter_windows", None)
    if iterate is not None:
        return iterate(movie)
    windows = iter_audio_windows(movie, sample_rate=vggish.SAMPLE_RATE, window=model.window)
    return (samples for _, samples in windows)


def audio_stage(model: Any, *, missing_audio: str = "error", batch_size: int = 32) -> AudioStage:
    """How :class:`AudioEmbedder` embeds a movie: its own audio decoding, then ``model`` in batches."""
    compute = functools.partial(audio_features, model=model, missing_audio=missing_audio, batch_size=batch_size)
    return AudioStage(lambda movie, name, on_seconds: compute(movie, name=name, on_seconds=on_seconds))


def audio_features(
    movie: Any,
    model: Any,
    *,
    missing_audio: str = "error",
    batch_size: int = 32,
    name: str | None = None,
    on_seconds: Callable[[int], Any] | None = None,
) -> np.ndarray:
    """Per-second audio features of one movie: what :class:`AudioEmbedder` computes for each movie.

    The audio track, decoded to 16 kHz mono, is cut into one window per whole second (the model's
    own windows for openSMILE), embedded ``batch_size`` windows at a time.

    Parameters
    ----------
    movie : path-like or (waveform, sample_rate)
        A movie or audio file, or its already-decoded mono waveform and sample rate.
    model : object
        A loaded audio model, e.g. ``audio_backbone("descriptors")`` (see :func:`audio_backbone`).
    missing_audio, batch_size
        As for :class:`AudioEmbedder`.
    name, on_seconds
        As for :func:`~sklearn_emotion.media.image.image_features`.

    Returns
    -------
    ndarray of shape (T, model.dim), float32
    """
    name = movie_name(movie, name)
    if not is_path(movie) and not isinstance(movie, tuple):
        raise ValueError(f"{name}: an audio movie must be a file path or a (waveform, sample_rate) tuple.")
    # Windows of one length are stacked; the openSMILE ones (clipped at the ends) go as a list.
    stack = getattr(model, "iter_windows", None) is None
    try:
        return embed_seconds(
            _windows(movie, model), lambda batch: model.embed(np.stack(batch) if stack else batch), batch_size,
            name, on_seconds, "audio",
        )
    except MissingStreamError as error:
        if missing_audio == "error":
            raise MissingStreamError(
                f"{error} Pass missing_audio='silence' (command line: --missing-audio silence) to give "
                "it the features of silence."
            ) from error
        return _silence(model, movie, name)


@dataclass(eq=False, repr=False)
class AudioEmbedder(MediaEmbedder):
    """Per-second audio features: VGGish (the paper's AudioSet features), YAMNet, openSMILE, or descriptors.

    The audio track is decoded to 16 kHz mono.  For each whole second ``t`` of the track, the
    0.975 s window starting at ``t`` s (15600 samples: one VGGish example of 96 frames, or one
    YAMNet patch) is embedded; the descriptors summarise the full second ``[t, t + 1)``; the
    openSMILE sets describe the ``window`` seconds centred on ``t + 0.5`` (default 5 s:
    ``[t - 2, t + 3)``, clipped to the track).

    Parameters
    ----------
    backbone : {"vggish", "yamnet", "descriptors", "egemaps", "compare", "emobase", "is10"} or path, default="vggish"
        ``"vggish"``: the AudioSet VGGish network (128 features) on its exact log-mel front end;
        ``"yamnet"`` or a ``.tflite`` file of a YAMNet-like waveform model (1024-d embedding, or
        521 class scores with ``output="scores"``); ``"descriptors"``: 112 weight-free log-mel / MFCC
        / energy statistics (a licence-free stand-in for openSMILE); ``"egemaps"`` (eGeMAPSv02, 88
        values), ``"compare"`` (ComParE 2016, 6373), ``"emobase"`` (988) or ``"is10"`` (INTERSPEECH
        2010 Paralinguistic Challenge, 1582): openSMILE functionals, computed by the real openSMILE
        of the optional ``opensmile`` package (``pip install "sklearn-emotion[opensmile]"``; licensed
        for research, teaching and personal use only), as the MediaEval baseline's audio features.
    weights : "audioset" or path, default="audioset"
        VGGish weights: the official checkpoint (downloaded and cached when online), a local
        checkpoint prefix ``vggish_model.ckpt``, or a Keras ``.weights.h5`` file.
    pca_params : "audioset", path or None, default="audioset"
        VGGish post-processing: the official PCA whitening + 8-bit quantisation (values 0-255, as
        the AudioSet release), or ``None`` for the raw 128-d embedding.
    output : {"embedding", "scores"}, default="embedding"
        What a YAMNet-like model returns.
    window : float >= 1, default=5.0
        openSMILE sets only: seconds of audio, centred on the middle of each second, whose
        functionals describe that second (clipped at the ends of the track).
    missing_audio : {"error", "silence"}, default="error"
        For a movie without audio track: raise :class:`~sklearn_emotion.media.decoding.MissingStreamError`,
        or embed silence (zeros) for each second the container declares, with a
        :class:`SilenceWarning` naming the movie.
    batch_size, n_jobs, cache_dir, progress
        As for :class:`~sklearn_emotion.media.MediaEmbedder`.

    See Also
    --------
    audio_features : the features of one movie, with the models :func:`audio_backbone` loads.

    Notes
    -----
    ``X`` is a sequence of movies: file paths (any container with an audio stream: mp4, mkv,
    webm, avi, mp3, wav, ...) or already-decoded ``(waveform, sample_rate)`` tuples.

    Examples
    --------
    The weight-free descriptors (112 per second) of 3 seconds of a 440 Hz tone, already decoded:

    >>> import numpy as np
    >>> from sklearn_emotion import AudioEmbedder
    >>> rate = 16000
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)
    >>> features = AudioEmbedder("descriptors").fit_transform([(tone.astype(np.float32), rate)])
    >>> features[0].shape
    (3, 112)

    VGGish, the paper's AudioSet features, on video files (downloads the checkpoint once):

    >>> AudioEmbedder("vggish").fit_transform(["movie.mp4"])[0].shape  # doctest: +SKIP
    (T, 128)
    """

    backbone: Any = "vggish"
    _: KW_ONLY
    weights: Any = "audioset"
    pca_params: Any = "audioset"
    output: str = "embedding"
    window: float = DEFAULT_WINDOW_S
    missing_audio: str = "error"

    _parameter_constraints: ClassVar[dict] = {
        **MediaEmbedder._parameter_constraints,
        "backbone": [StrOptions(set(BACKBONE_NAMES)), PathWithSuffix(".tflite")],
        "weights": [StrOptions({"audioset"}), str, os.PathLike, None],
        "pca_params": [StrOptions({"audioset"}), str, os.PathLike, None],
        "output": [StrOptions({"embedding", "scores"})],
        "window": [Interval(Real, 1, None, closed="left")],
        "missing_audio": [StrOptions(set(MISSING_AUDIO))],
    }

    def open_stage(self) -> AudioStage:
        """The audio model (loaded once per process) on the movie's own audio decoding: see :func:`audio_stage`."""
        return audio_stage(self._model(), missing_audio=self.missing_audio, batch_size=self.batch_size)

    def _model(self) -> Any:
        return audio_backbone(
            self.backbone, weights=self.weights, pca_params=self.pca_params, output=self.output, window=self.window
        )

    def cache_description(self) -> dict[str, Any]:
        params = super().cache_description()
        for name in ("backbone", "weights", "pca_params"):
            value = getattr(self, name)
            if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
                params[name] = describe_spec(value)
        if self.backbone != "vggish":  # VGGish-only parameters do not change other outputs
            params.pop("weights")
            params.pop("pca_params")
        if self._is_opensmile():
            params["window"] = float(self.window)
            params["opensmile"] = _opensmile_version()  # another release may compute other values
        else:
            params.pop("window")
        return params

    def _is_opensmile(self) -> bool:
        return isinstance(self.backbone, str) and self.backbone in OPENSMILE_FEATURE_SETS

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``audio_0`` ... (VGGish, YAMNet), or ``audio_`` + the descriptor or openSMILE feature names.

        openSMILE's names (e.g. ``audio_F0semitoneFrom27.5Hz_sma3nz_amean``) need the ``opensmile``
        package.

        Returns
        -------
        ndarray of str
        """
        self._validate_params()
        if self.backbone == "descriptors":
            return np.asarray([f"audio_{n}" for n in DESCRIPTOR_NAMES], dtype=object)
        if self._is_opensmile():
            names = self._model().feature_names
            return np.asarray([f"audio_{n}" for n in names], dtype=object)
        if self.backbone == "vggish":
            dim = vggish.EMBEDDING_SIZE
        else:
            dim = self._model().dim
        return np.asarray([f"audio_{i}" for i in range(dim)], dtype=object)


def _opensmile_version() -> str | None:
    """The installed ``opensmile`` package's version (part of the openSMILE features' cache keys)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opensmile")
    except PackageNotFoundError:
        return None
