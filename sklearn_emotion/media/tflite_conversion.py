"""Keras model files converted once to TFLite and cached by their content, so that running them needs no TensorFlow.

Importing TensorFlow costs several seconds of every start; a small Keras network (the default face
model, FER2013 mini-Xception) runs as fast with LiteRT, which loads in a fraction of that.  The first
use converts the model with TensorFlow's converter (float32, no quantisation, no other change:
outputs equal Keras's within 1e-5 for that model) and caches the ``.tflite``; later uses load the
cached file and never import TensorFlow.

The cache
---------
Converted files live in ``<model cache>/tflite`` (:func:`converted_dir`, i.e.
``$SKLEARN_EMOTION_HOME/models/tflite``), named by the Keras file's name and SHA-256 (and, when an
intermediate layer is read, a digest of its name): a changed Keras file is converted again to a
new file.  Each file is written atomically (:func:`~sklearn_emotion.files.atomic_write_bytes`)
while a lock per file serialises concurrent conversions, and its own SHA-256 is recorded in that
folder's ``SHA256SUMS``; a file that no longer matches its record (damaged, truncated, or
unrecorded) is converted again.  Deleting the folder clears the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ..files import atomic_write_bytes, locked
from .backbones import Backbone, KerasBackbone, TFLiteBackbone, load_keras_model_file
from .cache import content_digest
from .models import models_dir, notify, read_records, record_sha256

__all__ = ["TFLiteConversionError", "converted_dir", "converted_path", "keras_to_tflite", "converted_backbone"]


class TFLiteConversionError(ValueError):
    """TensorFlow's converter failed on a model that Keras loads (it then runs with Keras)."""


def converted_dir() -> Path:
    """Where converted models are cached: ``tflite`` in the model cache (:func:`~.models.models_dir`)."""
    return models_dir() / "tflite"


def converted_path(source: str | os.PathLike, output: str | None = None) -> Path:
    """The cache file of ``source``'s conversion (layer ``output``'s value, or the model's output).

    Named ``<stem>.<SHA-256 of source>[.<digest of output>].tflite``: keyed by the Keras file's content.
    """
    digest = content_digest(source, "sha256")
    layer = "" if output is None else "." + hashlib.sha256(output.encode("utf-8")).hexdigest()[:16]
    return converted_dir() / f"{Path(source).stem[:80]}.{digest}{layer}.tflite"


def _intact(path: Path) -> bool:
    """Whether ``path`` exists and matches the SHA-256 recorded when it was written."""
    if not path.is_file():
        return False
    recorded = read_records(path.parent).get(path.name)
    return recorded is not None and content_digest(path, "sha256") == recorded


def keras_to_tflite(source: str | os.PathLike, *, output: str | None = None) -> Path:
    """The cached TFLite conversion of the Keras model file ``source``, converting it the first time.

    Parameters
    ----------
    source : path-like
        A whole Keras model (``.h5``, ``.hdf5``, ``.keras``) with a fixed-size image input.
    output : str, optional
        Name of an intermediate layer whose value is the converted model's output.

    Returns
    -------
    Path
        The ``.tflite`` file (see the module docstring for where and how it is kept).  A conversion is
        said in one line on standard error.

    Raises
    ------
    ImportError
        When it must be converted and TensorFlow is not installed (the message says what to install).
    OSError
        When the cache folder cannot be written.
    TFLiteConversionError
        When TensorFlow's converter fails.
    ValueError
        When ``source`` is not a whole Keras model or has no layer ``output``.
    """
    target = converted_path(source, output)
    if _intact(target):
        return target
    with locked(target.with_name(f".{target.name}.lock")):
        if _intact(target):  # converted meanwhile by another process
            return target
        if target.is_file():
            warnings.warn(f"The converted model {target} does not match its recorded SHA-256 (damaged?): "
                          "converting it again.", stacklevel=2)
        notify(f"converting {os.fspath(source)} to TFLite once (with TensorFlow), cached as {target}")
        data = _convert(source, output)
        atomic_write_bytes(target, lambda out: out.write(data))
        record_sha256(target.parent, target.name, hashlib.sha256(data).hexdigest())
    return target


def _convert(source: str | os.PathLike, output: str | None) -> bytes:
    """The float32 TFLite flatbuffer of ``source`` (its layer ``output``), through a SavedModel."""
    from .._backend import native_logs_hidden

    model = KerasBackbone(load_keras_model_file(source), output=output).model  # checks the input and layer
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="sklearn-emotion-convert-") as folder:
        # The converter prints the SavedModel's signature and logs from C++: neither is for the user.
        with native_logs_hidden(), contextlib.redirect_stdout(io.StringIO()):
            try:
                model.export(folder, format="tf_saved_model", verbose=False)
                return tf.lite.TFLiteConverter.from_saved_model(folder).convert()
            except Exception as exc:  # the converter raises many kinds (ConverterError, ValueError, ...)
                raise TFLiteConversionError(
                    f"Cannot convert the Keras model {os.fspath(source)} to TFLite: {exc}"
                ) from exc


def converted_backbone(source: str | os.PathLike, preprocessing: Any = "tf", output: str | None = None,
                       name: str | None = None) -> Backbone:
    """The Keras model file ``source`` as a :class:`~.backbones.TFLiteBackbone` of its cached conversion.

    Where it cannot be converted (e.g. a read-only cache) it runs with Keras, with a warning saying
    why; without TensorFlow and without a cached conversion, the ImportError says what to install.

    Parameters
    ----------
    source : path-like
        A whole Keras model file.
    preprocessing : str or callable, default="tf"
        See :func:`~.backbones.preprocess_images`.
    output : str, optional
        Name of an intermediate layer to read.
    name : str, optional
        The backbone's name (default: the file's stem).
    """
    name = name or Path(source).stem
    try:
        path = keras_to_tflite(source, output=output)
    except (OSError, TFLiteConversionError) as exc:
        # The device line, printed before any model loads, said no Keras network runs: correct it here.
        warnings.warn(f"{exc}; running {os.fspath(source)} with Keras instead: TensorFlow is imported to run it "
                      "(the device line printed before expected its TFLite conversion).", stacklevel=2)
        return KerasBackbone(load_keras_model_file(source), preprocessing, output, name)
    backbone = TFLiteBackbone(path, preprocessing=preprocessing)
    backbone.name = name
    return backbone
