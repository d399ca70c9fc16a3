"""The versions a bug report needs: :func:`show_versions`, also ``sklearn-emotion --version --verbose``."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import sys

__all__ = ["show_versions"]

NOT_INSTALLED = "not installed"

#: The distributions whose versions are shown, by their names on PyPI, in the order shown; the
#: TensorFlow build and FFmpeg are inserted where they belong (see :func:`_versions`).
_DEPENDENCIES = ("scikit-learn", "keras", "av", "mediapipe", "librosa", "opensmile", "dask", "ai-edge-litert",
                 "numpy", "scipy")


def _version(distribution: str) -> str:
    """An installed distribution's version, read from its metadata (nothing is imported)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def _tensorflow_lines() -> list[tuple[str, str]]:
    """One line per distribution installing the ``tensorflow`` module, or ``tensorflow: not installed``.

    Read from the installed metadata, so that any build shows (``tensorflow``, ``tensorflow-cpu`` from the
    extras, ``tensorflow-rocm``, ``intel-tensorflow``, ``tf-nightly``...), and two installed at once -- a
    broken environment a bug report should show -- give two lines.
    """
    providers = importlib.metadata.packages_distributions().get("tensorflow", [])
    # metadata spells names as their wheels do (tensorflow_cpu): shown as on PyPI (PEP 503 normalisation)
    names = sorted({re.sub(r"[-_.]+", "-", name).lower() for name in providers})
    return [(name, _version(name)) for name in names] or [("tensorflow", NOT_INSTALLED)]


def _ffmpeg_version() -> str:
    """The FFmpeg that PyAV was built with, and its libraries' versions (imports av)."""
    if importlib.util.find_spec("av") is None:
        return NOT_INSTALLED
    try:
        import av
    except Exception as exc:  # a broken install is what a bug report should show
        return f"unknown (av failed to load: {type(exc).__name__}: {exc})"
    libraries = ", ".join(f"{name} {'.'.join(map(str, version))}"
                          for name, version in sorted(av.library_versions.items()))
    release = getattr(av, "ffmpeg_version_info", None)  # PyAV >= 12
    return f"{release} ({libraries})" if release else libraries


def _device() -> str:
    """Where the Keras networks run (imports TensorFlow), or ``not installed``."""
    from ._backend import NATIVE_LOGS_ENV_VAR, native_logs_hidden, tensorflow_device

    if importlib.util.find_spec("tensorflow") is None:
        return f"{NOT_INSTALLED} (no TensorFlow)"
    # TensorFlow's start-up lines are not versions: hidden even where native logs are shown (--verbose)
    shown = os.environ.get(NATIVE_LOGS_ENV_VAR)
    os.environ[NATIVE_LOGS_ENV_VAR] = "0"
    try:
        with native_logs_hidden():
            return tensorflow_device()
    except Exception as exc:  # a broken install is what a bug report should show
        return f"unknown (TensorFlow failed to load: {type(exc).__name__}: {exc})"
    finally:
        if shown is None:
            del os.environ[NATIVE_LOGS_ENV_VAR]
        else:
            os.environ[NATIVE_LOGS_ENV_VAR] = shown


def _versions() -> list[tuple[str, str]]:
    """The ``(name, version)`` pairs :func:`show_versions` prints, in its order."""
    from . import __version__

    python = f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"
    lines = [("sklearn-emotion", __version__), ("Python", python), ("platform", platform.platform())]
    for name in _DEPENDENCIES:
        if name == "keras":
            lines += _tensorflow_lines()
        lines.append((name, _version(name)))
        if name == "av":
            lines.append(("FFmpeg", _ffmpeg_version() if lines[-1][1] != NOT_INSTALLED else NOT_INSTALLED))
    lines.append(("device", _device()))
    return lines


def show_versions() -> None:
    """Print the versions a bug report needs: the package, Python, the platform, the dependencies, the device.

    One ``name: version`` line each, named as on PyPI: sklearn-emotion, Python (and its executable),
    platform, scikit-learn, each distribution installing TensorFlow (``tensorflow`` or ``tensorflow-cpu``
    from the ``[gpu]`` and ``[cpu]`` extras, or any other build), keras, av and the FFmpeg it was built
    with (its libraries' versions), mediapipe, librosa, opensmile, dask, ai-edge-litert, numpy, scipy,
    and the device the Keras networks run on.  A package that is missing reads ``not installed``.

    Versions are read from the installed distributions' metadata; only av (for FFmpeg's version) and
    TensorFlow (for the device, a few seconds) are imported.  ``sklearn-emotion --version --verbose``
    prints the same lines; paste them into a bug report.

    Examples
    --------
    >>> from sklearn_emotion import show_versions
    >>> show_versions()  # doctest: +ELLIPSIS
    sklearn-emotion: ...
    Python: ...
    platform: ...
    scikit-learn: ...
    keras: ...
    av: ...
    FFmpeg: ...
    device: ...
    """
    for name, version in _versions():
        print(f"{name}: {version}")
