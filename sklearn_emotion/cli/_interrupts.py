"""Ctrl-C on the command line: exit code 130, and no native library torn down under a running thread."""

from __future__ import annotations

import os
import sys


#: Packages whose native state a KeyboardInterrupt raised inside their Python code may leave half built.
_NATIVE_PACKAGES = ("tensorflow", "keras", "tf_keras", "mediapipe", "ai_edge_litert", "tflite_runtime", "av",
                    "h5py", "optree", "opensmile")


def inside_native_library(error: BaseException) -> str | None:
    """The native library whose code ``error`` went through (innermost first), if any."""
    tb = error.__traceback__
    packages = []
    while tb is not None:
        parts = tb.tb_frame.f_code.co_filename.replace("\\", "/").split("/")
        installed = [i + 1 for i, part in enumerate(parts[:-1]) if part in ("site-packages", "dist-packages")]
        if installed and parts[installed[-1]] in _NATIVE_PACKAGES:
            packages.append(parts[installed[-1]])
        tb = tb.tb_next
    return packages[-1] if packages else None


def interrupted(command: str | None, error: BaseException | None = None) -> int:
    """Ctrl-C: say so, make sure no decoding or embedding thread still runs, and give exit code 130.

    The movie being extracted has already stopped and joined its threads
    (:func:`~sklearn_emotion.media.stages.extract_movie` does on its way out); this checks it once
    more, with a bound, because returning lets the interpreter exit, and a thread still inside
    PyAV, TFLite or MediaPipe while Python tears its modules down kills the process with SIGSEGV
    or SIGABRT instead of exit code 130.
    """
    print(f"sklearn-emotion{' ' + command if command else ''}: interrupted.", file=sys.stderr)
    stages = sys.modules.get("sklearn_emotion.media.stages")  # not imported: no thread of it can run
    stuck = []
    while stages is not None:
        try:
            stuck = stages.wait_for_stage_threads()
            break
        except KeyboardInterrupt:  # another Ctrl-C while waiting: keep waiting (the wait is bounded)
            continue
    library = inside_native_library(error) if error is not None else None
    if stuck or library:
        # Last resort, only after the bounded join: a thread still running native code, or a library
        # interrupted half way through building its native objects (e.g. loading a model), would
        # crash the interpreter's shutdown (their destructors run on it), so end the process now,
        # without it.  Every feature file is already on disk (written atomically); streams are flushed.
        if stuck:
            print(f"sklearn-emotion{' ' + command if command else ''}: {len(stuck)} thread(s) did not stop; "
                  "exiting without cleanup.", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    _forget_unhandled_interrupt()
    return 130


def _forget_unhandled_interrupt() -> None:
    """Keep exit code 130 although native code saw the KeyboardInterrupt pass.

    CPython (3.8-3.12) marks a KeyboardInterrupt that leaves code run through ``PyRun_String`` --
    as pybind11 modules (TensorFlow, LiteRT, optree) do while they are imported -- as unhandled even
    when it is caught afterwards, and then ends the process by SIGINT at exit instead of with the
    exit code: clear that mark once the interruption is handled.  No-op where the mark does not exist.
    """
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, AttributeError, ValueError, OSError):
        pass
