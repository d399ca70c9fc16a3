"""The Keras backend: whether TensorFlow is installed, and which device the networks run on.

TensorFlow is an *extra* of the package, not a base dependency: ``pip install
"sklearn-emotion[cpu]"`` gives the small CPU-only ``tensorflow-cpu`` build and ``pip install
"sklearn-emotion[gpu]"`` the CUDA build (``tensorflow[and-cuda]``, Linux).  Both install the
``tensorflow`` Python package, so they cannot be combined, and a base dependency on one could not
be swapped for the other by an extra.  Without either, everything that needs no Keras network
works (smoothers, metrics, TFLite and MediaPipe embedders, the per-second baseline), and the first
Keras network raises :func:`require_tensorflow`'s error saying what to install.
"""

from __future__ import annotations

import importlib.util

__all__ = ["require_tensorflow", "tensorflow_device", "INSTALL_HINT"]

INSTALL_HINT = (
    'install a Keras backend with the package: pip install "sklearn-emotion[cpu]" (CPU, small) or '
    'pip install "sklearn-emotion[gpu]" (CUDA TensorFlow, Linux)'
)


def require_tensorflow() -> None:
    """Raise an ImportError that says what to install when TensorFlow is missing."""
    if importlib.util.find_spec("tensorflow") is None:
        raise ImportError(f"The Keras networks of sklearn-emotion need TensorFlow, which is not installed: {INSTALL_HINT}.")


def tensorflow_device() -> str:
    """One line saying where the Keras networks run: the GPU(s) TensorFlow sees, or the CPU and why.

    Imports TensorFlow.  TFLite models (``.tflite`` backbones, YAMNet) and MediaPipe's face
    detector always run on the CPU.
    """
    require_tensorflow()
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = []
        for gpu in gpus:
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        return f"Keras networks run on GPU: {', '.join(names)} (TensorFlow {tf.__version__})"
    if tf.test.is_built_with_cuda():
        why = "this TensorFlow has CUDA support but sees no GPU (driver or CUDA libraries missing?)"
    else:
        why = 'a CPU-only TensorFlow build; pip install "sklearn-emotion[gpu]" for CUDA'
    return f"Keras networks run on CPU ({why}; TensorFlow {tf.__version__})"
