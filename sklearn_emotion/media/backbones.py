"""Pretrained networks behind the embedders: resolve a named, local, Keras or TFLite model.

A *backbone* turns a batch of images (uint8, ``(n, height, width, channels)``) into a batch of
feature vectors ``(n, dim)``.  It can be given as

* a **name**: any ``keras.applications`` model (``"InceptionV3"``, ``"inception_v3"``,
  ``"MobileNetV2"``, ...), built without its classifier and global-average-pooled, with ImageNet
  weights downloaded by Keras from the official release and cached under ``$KERAS_HOME``; when
  ``output`` names a layer of the classifier part ("top"), e.g. VGG16's ``"fc1"`` (fc6), it is
  built with its top instead (the weights file with the top, not the ``notop`` one);
* a **TFLite file** (``.tflite``), run with ``ai_edge_litert``; an intermediate tensor (e.g. an
  embedding before the classifier) can be chosen by name;
* a **Keras model file** (``.keras``, ``.h5``, ``.hdf5``) holding a whole model;
* a **Keras model** object.

Named models never fall back to random weights: when their weights cannot be downloaded (offline
machine) :class:`BackboneUnavailableError` says where to get the file and how to pass it.

Loaded models are kept per process (:func:`cached_model`) so that a transformer can be pickled to
joblib workers (which load their own copy) and still load each model once per worker.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .cache import content_digest
from .models import OFFICIAL_MODELS, BackboneUnavailableError, ModelNotFoundError, download, locate_model, models_dir

__all__ = [
    "BackboneUnavailableError",
    "Backbone",
    "KerasBackbone",
    "TFLiteBackbone",
    "resolve_image_backbone",
    "fetch",
    "models_dir",
    "cached_model",
    "preprocess_images",
    "describe_spec",
]

MODEL_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")
PREPROCESSING_MODES = ("tf", "torch", "caffe", "unit", "raw")


def fetch(url: str, filename: str, *, how_to: str, digest: str | None = None) -> Path:
    """Return the cached copy of ``url``, downloading it atomically the first time.

    The download is checked against ``digest`` when given, otherwise its SHA-256 is recorded and
    later uses are checked against it; see :mod:`sklearn_emotion.media.models`, which also names the
    official models (:meth:`~sklearn_emotion.media.models.OfficialModel.fetch`).

    Parameters
    ----------
    url : str
        Official download address.
    filename : str
        Name of the cached file under :func:`models_dir`.
    how_to : str
        Sentence telling the user how to pass a local copy instead (used in the offline error).
    digest : str, optional
        ``"algorithm:hex"`` (``md5``, ``sha1`` or ``sha256``) the file must have.

    Raises
    ------
    BackboneUnavailableError
        When the file is not cached and cannot be downloaded, or fails its check.
    """
    return download(url, filename, how_to=how_to, digest=digest)


_MODELS: dict[Any, Any] = {}
_MODELS_LOCK = threading.Lock()


def cached_model(key: Any, factory: Callable[[], Any]) -> Any:
    """Load a model once per process: ``factory()`` the first time ``key`` is asked for."""
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = factory()
        return _MODELS[key]


#: ImageNet statistics of keras.applications' "torch" (RGB, of pixels in [0, 1]) and "caffe" (BGR, 0-255) modes.
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def preprocess_images(images: np.ndarray, mode: str | Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Scale uint8 RGB (or grey) images the way a network was trained.

    ``mode`` is ``"tf"`` (to [-1, 1]), ``"torch"`` or ``"caffe"`` (ImageNet mean/std, as
    ``keras.applications``), ``"unit"`` (to [0, 1]), ``"raw"`` (float pixels 0-255) or a callable
    taking float32 pixels in 0-255.
    """
    pixels = images.astype(np.float32)
    if callable(mode):
        return np.asarray(mode(pixels), dtype=np.float32)
    if mode == "tf":
        return pixels / 127.5 - 1.0
    if mode == "unit":
        return pixels / 255.0
    if mode == "raw":
        return pixels
    if mode in ("torch", "caffe"):
        if pixels.shape[-1] != 3:
            raise ValueError(f"preprocessing {mode!r} needs RGB images, got {pixels.shape[-1]} channel(s).")
        # keras.applications.imagenet_utils.preprocess_input's arithmetic, without importing Keras.
        if mode == "torch":
            return ((pixels / 255.0 - _TORCH_MEAN) / _TORCH_STD).astype(np.float32)
        return (pixels[..., ::-1] - _CAFFE_BGR_MEAN).astype(np.float32)
    raise ValueError(f"Unknown preprocessing {mode!r}; use one of {PREPROCESSING_MODES} or a callable.")


class Backbone:
    """A loaded network mapping images to feature vectors.

    Attributes
    ----------
    name : str
        What it is (for feature names and messages).
    input_size : (width, height)
        Size images are resized to.
    channels : int
        3 (RGB) or 1 (grey).
    dim : int
        Length of each feature vector.
    """

    name: str
    input_size: tuple[int, int]
    channels: int
    dim: int

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Features of ``images`` (uint8, ``(n, height, width, channels)``) as ``(n, dim)`` float32."""
        raise NotImplementedError


class KerasBackbone(Backbone):
    """A Keras model with a 4-D image input; its output (or layer ``output``) flattened per image.

    Parameters
    ----------
    model : keras.Model
    preprocessing : str or callable
        See :func:`preprocess_images`.
    output : str, optional
        Name of an intermediate layer whose output is the feature vector.
    name : str, optional
    """

    def __init__(self, model: Any, preprocessing: Any = "tf", output: str | None = None, name: str | None = None):
        from .._backend import require_tensorflow

        require_tensorflow()
        import keras

        # Kept alive: per-process model caches key Keras objects by id().
        self.source_model = model
        if output is not None:
            try:
                layer = model.get_layer(output)
            except ValueError as exc:
                names = [layer.name for layer in model.layers][-8:]
                raise ValueError(f"Model {model.name!r} has no layer {output!r} (last layers: {names}).") from exc
            model = keras.Model(model.inputs, layer.output)
        shape = model.input_shape
        if isinstance(shape, list):
            shape = shape[0]
        if len(shape) != 4 or shape[1] is None or shape[2] is None:
            raise ValueError(
                f"Model {model.name!r} must take images of a fixed size (batch, height, width, channels), "
                f"got input shape {shape}."
            )
        self.model = model
        self.preprocessing = preprocessing
        self.name = name or model.name
        self.input_size = (int(shape[2]), int(shape[1]))
        self.channels = int(shape[3])
        self.dim = int(np.prod([d for d in model.output_shape[1:]]))

    def embed(self, images: np.ndarray) -> np.ndarray:
        inputs = preprocess_images(images, self.preprocessing)
        return predict_padded(self.model, inputs).reshape(len(images), -1)


def predict_padded(model: Any, inputs: np.ndarray) -> np.ndarray:
    """``model.predict_on_batch`` with the batch zero-padded to a power of two.

    The compiled predict function uses far less memory than an eager call (InceptionV3, 32
    images: 1.3 GB instead of 5.3 GB peak) but is retraced for every new batch size; padding
    bounds the number of traces to a handful whatever the movie lengths.
    """
    count = len(inputs)
    padded = 1 << max(0, (count - 1).bit_length())
    if padded != count:
        inputs = np.concatenate([inputs, np.zeros((padded - count, *inputs.shape[1:]), inputs.dtype)])
    with warnings.catch_warnings():
        # Models saved by Keras 2 name their input; Keras 3 warns about the bare tensor.
        warnings.filterwarnings("ignore", message=".*structure of `inputs`.*")
        outputs = model.predict_on_batch(inputs)
    return np.asarray(outputs, dtype=np.float32)[:count]


class TFLiteBackbone(Backbone):
    """A TFLite image model run with ``ai_edge_litert``.

    Quantised (uint8) inputs receive the raw resized pixels; float inputs are scaled with
    ``preprocessing``.  Quantised outputs are dequantised with the tensor's scale and zero point.

    Parameters
    ----------
    path : str or path-like
    output : str, optional
        Name of the tensor to read (e.g. ``"MobilenetV2/Logits/AvgPool"``); default the model's
        first output.
    preprocessing : str or callable, default="tf"
    """

    def __init__(self, path: str | os.PathLike, output: str | None = None, preprocessing: Any = "tf"):
        from ai_edge_litert.interpreter import Interpreter

        from .._backend import native_logs_hidden

        self.path = os.fspath(path)
        try:
            with warnings.catch_warnings(), native_logs_hidden():  # "Created TensorFlow Lite XNNPACK delegate"
                # Reading an intermediate tensor needs it preserved; the runtime warns about memory.
                warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*")
                self.interpreter = Interpreter(
                    model_path=self.path, experimental_preserve_all_tensors=output is not None
                )
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"Cannot load the TFLite model {self.path}: {exc}") from exc
        self.input = self.interpreter.get_input_details()[0]
        if output is None:
            self.output = self.interpreter.get_output_details()[0]
        else:
            found = [d for d in self.interpreter.get_tensor_details() if d["name"] == output]
            if not found:
                raise ValueError(f"TFLite model {self.path} has no tensor named {output!r}.")
            self.output = found[0]
        shape = self.input["shape"]
        if len(shape) != 4:
            raise ValueError(f"TFLite model {self.path} must take images (1, height, width, channels), got {shape}.")
        self.preprocessing = preprocessing
        self.name = Path(self.path).stem
        self.input_size = (int(shape[2]), int(shape[1]))
        self.channels = int(shape[3])
        self.dim = int(np.prod(self.output["shape"][1:]))
        self._lock = threading.Lock()  # an interpreter is not thread-safe

    def _dequantize(self, values: np.ndarray) -> np.ndarray:
        scale, zero_point = self.output["quantization"]
        values = values.astype(np.float32)
        return (values - zero_point) * scale if scale else values

    def embed(self, images: np.ndarray) -> np.ndarray:
        out = np.empty((len(images), self.dim), dtype=np.float32)
        quantized = self.input["dtype"] == np.uint8
        with self._lock:
            for i, image in enumerate(images):
                if quantized:
                    batch = image[None].astype(np.uint8)
                else:
                    batch = preprocess_images(image[None], self.preprocessing).astype(self.input["dtype"])
                self.interpreter.set_tensor(self.input["index"], batch)
                self.interpreter.invoke()
                out[i] = self._dequantize(self.interpreter.get_tensor(self.output["index"])).reshape(-1)
        return out


#: Native input side of the keras.applications models that do not use 224 x 224.
_DEFAULT_SIZES = {
    "InceptionV3": 299, "InceptionResNetV2": 299, "Xception": 299, "NASNetLarge": 331,
    "EfficientNetB1": 240, "EfficientNetB2": 260, "EfficientNetB3": 300, "EfficientNetB4": 380,
    "EfficientNetB5": 456, "EfficientNetB6": 528, "EfficientNetB7": 600, "EfficientNetV2B1": 240,
    "EfficientNetV2B2": 260, "EfficientNetV2B3": 300, "EfficientNetV2S": 384, "EfficientNetV2M": 480,
    "EfficientNetV2L": 480,
}


def _keras_application(name: str) -> tuple[Callable[..., Any], Callable[..., Any], str]:
    """The constructor and preprocess_input of a ``keras.applications`` model, by (loose) name."""
    import importlib

    from .._backend import require_tensorflow

    require_tensorflow()
    import keras

    wanted = name.replace("_", "").lower()
    for member in dir(keras.applications):
        constructor = getattr(keras.applications, member)
        if member[0].isupper() and member.lower() == wanted and callable(constructor):
            # The model's own preprocessing lives in the module that defines it.
            module = importlib.import_module(constructor.__module__)
            return constructor, module.preprocess_input, member
    raise ValueError(
        f"Unknown backbone {name!r}: give a keras.applications model name (e.g. 'InceptionV3', "
        "'MobileNetV2', 'ResNet50'), a .tflite or Keras model file, or a keras.Model."
    )


def _output_in_top(canonical: str, side: int, output: str | None) -> bool:
    """Whether layer ``output`` of a keras.applications model is outside its body (so in its top)."""
    return output is not None and output not in _body_layer_names(canonical, side)


@functools.cache
def _body_layer_names(canonical: str, side: int) -> frozenset[str]:
    """The layer names of a keras.applications model without its top (architecture built once per process).

    Not through :func:`cached_model`, whose lock is held while a backbone is being resolved.
    """
    constructor = _keras_application(canonical)[0]
    model = constructor(include_top=False, pooling="avg", weights=None, input_shape=(side, side, 3))
    return frozenset(layer.name for layer in model.layers)


def describe_spec(spec: Any) -> str:
    """A stable text identifying a backbone spec (for cache keys): a file's content hash, a name."""
    if isinstance(spec, (str, os.PathLike)) and os.path.isfile(spec):
        return f"file:{content_digest(spec)}"
    if isinstance(spec, (str, os.PathLike)) or spec is None:
        return f"name:{os.fspath(spec) if spec is not None else None}"
    if callable(spec) and not hasattr(spec, "get_weights"):
        return f"callable:{getattr(spec, '__module__', '')}.{getattr(spec, '__qualname__', repr(spec))}"
    if hasattr(spec, "get_weights"):  # a Keras model: its architecture and weights
        digest = hashlib.sha256(spec.to_json().encode())
        for weight in spec.get_weights():
            digest.update(np.ascontiguousarray(weight).tobytes())
        return f"keras:{digest.hexdigest()}"
    return f"object:{type(spec).__qualname__}:{spec!r}"


def is_model_file(spec: Any, suffixes: tuple[str, ...]) -> bool:
    return isinstance(spec, (str, os.PathLike)) and Path(spec).suffix.lower() in suffixes


def runs_keras(spec: Any) -> bool:
    """Whether the backbone ``spec`` (see the module docstring) runs as a Keras network: all but a ``.tflite`` file."""
    return not is_model_file(spec, (".tflite",))


def load_keras_model_file(path: str | os.PathLike) -> Any:
    """Load a whole Keras model from a file, with a clear error naming it."""
    from .._backend import require_tensorflow

    require_tensorflow()
    import keras

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Model file not found: {path}")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many kinds for a weights-only or foreign file
        raise ValueError(
            f"Cannot load a whole Keras model from {path} ({exc}). For a weights-only file of a "
            "keras.applications model, pass the model's name as backbone and this file as weights."
        ) from exc


#: keras.applications models whose ImageNet weights ``sklearn-emotion models download`` can cache:
#: (model, with its top?) -> registry name.
_CACHED_IMAGENET = {("InceptionV3", False): "inception_v3_notop", ("VGG16", True): "vgg16"}


def _local_imagenet_weights(canonical: str, top: bool) -> str | None:
    """``canonical``'s ImageNet weights file (with or without top) where model files are looked up, if any.

    :func:`~sklearn_emotion.media.models.locate_model`'s order; a cached copy is checked.
    """
    name = _CACHED_IMAGENET.get((canonical, top))
    if name is None:
        return None
    try:
        return os.fspath(locate_model(OFFICIAL_MODELS[name])[0])
    except ModelNotFoundError:
        return None


def resolve_image_backbone(
    spec: Any,
    *,
    weights: str | os.PathLike | None = "imagenet",
    output: str | None = None,
    preprocessing: Any = "auto",
) -> Backbone:
    """Build the image backbone described by ``spec`` (see the module docstring).

    Parameters
    ----------
    spec : str, path-like or keras.Model
        Model name, ``.tflite`` file, Keras model file, or Keras model.
    weights : "imagenet" or path, default="imagenet"
        For a named model: ``"imagenet"`` downloads the official weights (cached by Keras), a path
        loads a local weights file (e.g. ``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5``).
    output : str, optional
        Intermediate tensor (TFLite) or layer (Keras) to read instead of the model's output.  For a
        named model, a layer of its top (e.g. ``"fc1"``, ``"fc2"`` or ``"predictions"`` of VGG16)
        builds the model with its top (``include_top=True``, native input size), whose weights file
        is the one with the top (``vgg16_weights_tf_dim_ordering_tf_kernels.h5``); any other layer,
        or none, builds it without (``include_top=False, pooling="avg"``, the ``notop`` file).
    preprocessing : "auto", str or callable
        ``"auto"``: the model's own ``preprocess_input`` for named models, ``"tf"`` otherwise.

    Raises
    ------
    BackboneUnavailableError
        When named weights cannot be downloaded.
    """
    mode = "tf" if preprocessing == "auto" else preprocessing
    if hasattr(spec, "predict") and hasattr(spec, "input_shape"):
        return KerasBackbone(spec, preprocessing=mode, output=output)
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"backbone must be a name, a model file or a keras.Model, got {type(spec).__name__}.")
    if is_model_file(spec, (".tflite",)):
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"TFLite model file not found: {os.fspath(spec)}")
        return TFLiteBackbone(spec, output=output, preprocessing=mode)
    if is_model_file(spec, MODEL_FILE_SUFFIXES):
        return KerasBackbone(load_keras_model_file(spec), preprocessing=mode, output=output, name=Path(spec).stem)
    constructor, preprocess_input, canonical = _keras_application(os.fspath(spec))
    if weights is None:
        raise ValueError(
            f"weights=None would give {canonical} random weights. Pass weights='imagenet' or a weights "
            "file; to use an untrained network on purpose, build it yourself and pass the keras.Model."
        )
    side = _DEFAULT_SIZES.get(canonical, 224)
    top = _output_in_top(canonical, side, output)
    if weights == "imagenet":
        weights = _local_imagenet_weights(canonical, top) or weights
    if weights != "imagenet":
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"Weights file not found: {weights}")
    shape = {"include_top": True} if top else {"include_top": False, "pooling": "avg"}
    variant = f"with its top ({output!r} is not a layer of its body)" if top else "without its top ('notop')"
    wanted = "weights file with the top" if top else "'notop' weights file"
    passed = "weights='/path/to/file.h5'" + ("" if output is None else f", output={output!r}")
    try:
        model = constructor(**shape, weights=weights, input_shape=(side, side, 3))
    except Exception as exc:  # Keras raises a plain Exception on a failed download
        if weights != "imagenet":
            raise ValueError(f"Cannot load the weights file {weights} into {canonical} {variant}: {exc}") from exc
        raise BackboneUnavailableError(
            f"Cannot obtain the ImageNet weights of {canonical} {variant} ({exc}); this machine may be offline. "
            f"Download the {wanted} named in that message (keras-applications release) on a machine with "
            f"network and pass it: ImageEmbedder(backbone={canonical!r}, {passed})."
        ) from exc
    auto = (lambda pixels: preprocess_input(pixels.copy())) if preprocessing == "auto" else preprocessing
    backbone = KerasBackbone(model, preprocessing=auto, output=output, name=canonical)
    return backbone
