"""The Keras backend: whether TensorFlow is installed, and which device the networks run on.

TensorFlow is an *extra* of the package, not a base dependency: ``pip install
"sklearn-emotion[cpu]"`` gives the small CPU-only ``tensorflow-cpu`` build and ``pip install
"sklearn-emotion[gpu]"`` the CUDA build (``tensorflow[and-cuda]``, Linux).  Both install the
``tensorflow`` Python package, so they cannot be combined, and a base dependency on one could not
be swapped for the other by an extra.  Without either, everything that needs no Keras network
works (smoothers, metrics, TFLite and MediaPipe embedders, the per-second baseline), and the first
Keras network raises :func:`require_tensorflow`'s error saying what to install.

Native logs
-----------
TensorFlow, LiteRT (TFLite), XNNPACK and MediaPipe write informational logs from C++ straight to
the standard-error descriptor (oneDNN and CPU-instruction notices, "Created TensorFlow Lite XNNPACK
delegate", "Sparsity tensors may not yet be fully supported", "Input tensor memory is not aligned").
They are hidden by default, from Python as on the command line:

* ``import sklearn_emotion`` sets ``TF_CPP_MIN_LOG_LEVEL=1`` (TensorFlow's informational lines)
  only when the variable is unset: a value the user set is kept;
* the package's own calls into LiteRT and MediaPipe that log (loading a model, a detector's first
  frame, closing it), which no variable controls, run inside :func:`native_logs_hidden`: standard
  error goes to a temporary file meanwhile, and every line not recognised as such a log
  (:data:`NATIVE_LOG`: errors, Python warnings, anything else) is written back when the call ends;
* TensorFlow's Python warning that a ``tf.function`` was retraced is dropped by a filter on the
  ``tensorflow`` logger (no other record is).

``sklearn_emotion.set_native_logs(True)``, or ``SKLEARN_EMOTION_NATIVE_LOGS=1`` in the environment
(before the import, to see TensorFlow's start-up lines), shows them all (``sklearn-emotion
--verbose`` on the command line).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
import threading
import types
from collections.abc import Iterator

__all__ = ["require_tensorflow", "tensorflow_device", "INSTALL_HINT", "NATIVE_LOG", "NATIVE_LOGS_ENV_VAR",
           "set_native_logs", "native_logs_hidden", "mediapipe_without_tensorflow"]

INSTALL_HINT = (
    'install a Keras backend with the package: pip install "sklearn-emotion[cpu]" (CPU, small) or '
    'pip install "sklearn-emotion[gpu]" (CUDA TensorFlow, Linux)'
)


def require_tensorflow() -> None:
    """Import TensorFlow with its start-up lines hidden, or raise an ImportError that says what to install.

    The lines are hidden as every native log is (see "Native logs"): some TensorFlow builds (2.21's
    manylinux_2_27 wheel) print their oneDNN notice before they read ``TF_CPP_MIN_LOG_LEVEL``.
    """
    if importlib.util.find_spec("tensorflow") is None:
        raise ImportError(f"The Keras networks of sklearn-emotion need TensorFlow, which is not installed: {INSTALL_HINT}.")
    if "tensorflow" not in sys.modules:
        with native_logs_hidden():
            import tensorflow  # noqa: F401


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


#: The MediaPipe module that imports TensorFlow, when installed, for a documentation decorator only.
_MEDIAPIPE_OPTIONAL = "mediapipe.tasks.python.core.optional_dependencies"


def mediapipe_without_tensorflow() -> None:
    """Let MediaPipe's tasks load without importing TensorFlow (about 6 s of start-up).

    MediaPipe's ``optional_dependencies`` module imports ``tensorflow.tools.docs`` when TensorFlow is
    installed, only for a decorator of its API documentation, and uses a no-op in its place when
    TensorFlow is absent.  Call this before importing ``mediapipe.tasks``: it registers that module
    with the no-op MediaPipe itself would use, unless the module or TensorFlow is already loaded.
    The stand-in stays registered for the rest of the process (MediaPipe keeps what it imported).
    """
    if _MEDIAPIPE_OPTIONAL in sys.modules or "tensorflow" in sys.modules:
        return
    module = types.ModuleType(_MEDIAPIPE_OPTIONAL, "MediaPipe Tasks' optional dependencies, without TensorFlow.")
    module.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda target: target)
    sys.modules[_MEDIAPIPE_OPTIONAL] = module


# ------------------------------------------------------------------------------------ native logs
#: Environment variable that shows the native libraries' logs when set to anything but ``0`` or empty.
NATIVE_LOGS_ENV_VAR = "SKLEARN_EMOTION_NATIVE_LOGS"
#: Lines of native libraries' informational logs (absl/glog ``I``/``W`` lines, TFLite's ``INFO:``,
#: LiteRT's sparsity notice, absl's start-up notices, TensorFlow's oneDNN and CPU notices).  ``E`` and
#: ``F`` lines are errors: kept.
NATIVE_LOG = re.compile(
    r"^(?:[IW]\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\]"
    r"|INFO: "
    r"|WARNING: \[model_load\.cc:\d+\] Sparsity tensors may not yet be fully supported"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|WARNING: Logging before InitGoogle\(\) is written to STDERR"
    r"|.*oneDNN custom operations are on"
    r"|.*This TensorFlow binary is optimized to use available CPU instructions"
    r"|.*To enable the following instructions: .* in other operations, rebuild TensorFlow)"
)
_TF_LOG_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
_we_set_tf_level: list[str] = []  # the TF_CPP_MIN_LOG_LEVEL this module put in the environment, if any


def _native_logs_shown() -> bool:
    return os.environ.get(NATIVE_LOGS_ENV_VAR, "").strip() not in ("", "0")


class _RetracingFilter(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warnings (and nothing else)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _native_logs_shown() or "tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingFilter()


def quiet_by_default() -> None:
    """What ``import sklearn_emotion`` does (see "Native logs" above); nothing when they are shown."""
    logging.getLogger("tensorflow").addFilter(_RETRACING_FILTER)  # consults the switch at each record
    if _native_logs_shown() or _TF_LOG_VARIABLE in os.environ:
        return
    os.environ[_TF_LOG_VARIABLE] = "1"  # read by TensorFlow when it loads
    _we_set_tf_level.append("1")


def set_native_logs(show: bool) -> None:
    """Show (``True``) or hide (``False``, the default) the native libraries' informational logs.

    Sets ``$SKLEARN_EMOTION_NATIVE_LOGS`` to ``1`` or ``0`` (so that child processes, e.g. of
    ``n_jobs``, follow).  ``True`` also removes the ``TF_CPP_MIN_LOG_LEVEL``
    that ``import sklearn_emotion`` set (never one the user set); TensorFlow reads it when it loads,
    so call this before the first use of TensorFlow to see its start-up lines.

    Parameters
    ----------
    show : bool
        ``True`` to show TensorFlow's, LiteRT's and MediaPipe's informational logs (what ``--verbose``
        does), ``False`` to hide them.

    Examples
    --------
    >>> import os
    >>> from sklearn_emotion import set_native_logs
    >>> set_native_logs(True)  # before TensorFlow loads, to see its start-up lines too
    >>> os.environ["SKLEARN_EMOTION_NATIVE_LOGS"]
    '1'
    >>> set_native_logs(False)  # hidden again (the default)
    >>> os.environ["SKLEARN_EMOTION_NATIVE_LOGS"]
    '0'
    """
    os.environ[NATIVE_LOGS_ENV_VAR] = "1" if show else "0"
    if show and _we_set_tf_level and os.environ.get(_TF_LOG_VARIABLE) == _we_set_tf_level[0]:
        del os.environ[_TF_LOG_VARIABLE]
        _we_set_tf_level.clear()
    elif not show and _TF_LOG_VARIABLE not in os.environ:
        os.environ[_TF_LOG_VARIABLE] = "1"
        _we_set_tf_level[:] = ["1"]


_scope_lock = threading.Lock()
_scope: dict[str, object] = {}  # while a native_logs_hidden block runs: depth, saved descriptor, capture file


@contextlib.contextmanager
def native_logs_hidden() -> Iterator[None]:
    """Run a block with the native libraries' log lines on standard error hidden (see "Native logs").

    Descriptor 2 points at a temporary file during the block (nested and concurrent blocks share
    one); when the last block ends, every captured line that :data:`NATIVE_LOG` does not recognise is
    written back to standard error.  Nothing is hidden when the logs are shown
    (:func:`set_native_logs`) or when descriptor 2 cannot be redirected.
    """
    if _native_logs_shown():
        yield
        return
    with _scope_lock:
        if not _scope:
            try:
                sys.stderr.flush()
                capture = tempfile.TemporaryFile()
                saved = os.dup(2)
                os.dup2(capture.fileno(), 2)
                _scope.update(depth=0, saved=saved, capture=capture)
            except (OSError, ValueError, AttributeError):  # no descriptor 2 (e.g. an embedding host)
                pass
        entered = bool(_scope)
        if entered:
            _scope["depth"] += 1
    try:
        yield
    finally:
        if entered:
            with _scope_lock:
                _scope["depth"] -= 1
                if _scope["depth"] == 0:
                    _restore(_scope.pop("saved"), _scope.pop("capture"))
                    _scope.clear()


def _restore(saved: int, capture: object) -> None:
    """Point descriptor 2 back at ``saved`` and write out the captured lines that are not native logs."""
    try:
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    os.dup2(saved, 2)
    os.close(saved)
    with capture:
        capture.seek(0)
        lines = capture.read().split(b"\n")
    kept = [line for line in lines[:-1] if not NATIVE_LOG.match(line.decode("utf-8", "replace"))]
    if lines[-1]:  # an unfinished last line
        kept.append(lines[-1])
    if kept:
        os.write(2, b"\n".join(kept) + b"\n")
