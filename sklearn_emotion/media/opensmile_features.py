"""openSMILE audio functionals at 1 Hz: eGeMAPS, ComParE 2016, emobase (the MediaEval baseline's kind).

The features are computed by the real openSMILE, through audEERING's ``opensmile`` Python package
(which ships openSMILE's library, ``SMILEapi``, and its configuration files).  That package is an
**optional extra** of sklearn-emotion, ``pip install "sklearn-emotion[opensmile]"``: openSMILE is
released under the *audEERING Research License*, which allows research, teaching and personal use
only (commercial use needs a licence from audEERING).

Each second ``t`` of the 16 kHz mono track is described by openSMILE's *functionals* over a window
of ``window`` seconds centred on the middle of that second, ``t + 0.5``: with the default 5 s,
second ``t`` uses the samples of ``[t - 2, t + 3)`` s, clipped to the track (the first two and the
last two seconds use shorter windows).  Row ``t`` equals
``opensmile.Smile(feature_set, FeatureLevel.Functionals).process_signal(samples, 16000)`` on exactly
those samples.  The track is streamed: memory holds about one window, whatever the movie's length.

openSMILE runs in a worker process of its own (one per feature set and process, started at first use,
stopped when the model is released or at exit), fed with the windows' samples and returning their
functionals: its library and TensorFlow's export functions of the same names (the Ooura FFT), and
loaded into one process after TensorFlow it aborts it (``malloc(): invalid size``), whatever the
order in which the user imported ``opensmile``, TensorFlow and this package.

=============  ====================  =======  =====================================================
name           ``opensmile`` set     values   what it is
=============  ====================  =======  =====================================================
``egemaps``    ``eGeMAPSv02``        88       extended Geneva Minimalistic Acoustic Parameter Set
``compare``    ``ComParE_2016``      6373     INTERSPEECH ComParE 2016 challenge set
``emobase``    ``emobase``           988      openSMILE's emotion reference set (2009)
``is10``       ``IS10``              1582     INTERSPEECH 2010 Paralinguistic Challenge set, the
                                              basis of ``emobase2010`` (see docs/media.md)
=============  ====================  =======  =====================================================
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import math
import os
import pickle
import platform
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .decoding import as_waveform, iter_audio_chunks

__all__ = [
    "OPENSMILE_FEATURE_SETS",
    "OPENSMILE_INSTALL_HINT",
    "DEFAULT_WINDOW_S",
    "OpenSmileFunctionals",
    "require_opensmile",
    "window_layout",
    "iter_centred_windows",
]

#: AudioEmbedder backbone names -> members of ``opensmile.FeatureSet``.
OPENSMILE_FEATURE_SETS = {"egemaps": "eGeMAPSv02", "compare": "ComParE_2016", "emobase": "emobase", "is10": "IS10"}
#: Default length (seconds) of the window whose functionals describe each second.
DEFAULT_WINDOW_S = 5.0
SAMPLE_RATE = 16000
OPENSMILE_INSTALL_HINT = (
    'pip install "sklearn-emotion[opensmile]" (or pip install opensmile). openSMILE is licensed by audEERING '
    "for research, teaching and personal use only (audEERING Research License); commercial use needs a "
    "licence from audEERING"
)
# The largest int16 sample openSMILE receives (it multiplies by 32768 and casts to int16: +1.0 would wrap).
_MAX_SAMPLE = 32767 / 32768


def require_opensmile() -> Any:
    """Import and return the ``opensmile`` package, or raise an ImportError that says how to install it."""
    try:
        _preload_smileapi()
        return importlib.import_module("opensmile")
    except ImportError as exc:
        raise ImportError(
            f"The openSMILE audio features (egemaps, compare, emobase, is10) need the optional 'opensmile' "
            f"package, which is not installed: {OPENSMILE_INSTALL_HINT}."
        ) from exc


_SMILEAPI: list[Any] = []  # openSMILE's library once preloaded (kept referenced)


def _preload_smileapi() -> None:
    """Load openSMILE's library so that it calls its own functions, not namesakes of TensorFlow (Linux).

    ``libSMILEapi.so`` and TensorFlow's ``libtensorflow_framework.so`` both export the Ooura FFT
    functions (``rdft``, ``cdft``, ...) in different variants.  Loaded after TensorFlow, openSMILE's
    calls would bind to TensorFlow's and corrupt the heap (``malloc(): invalid size``, the process
    aborts).  Loaded first here with ``RTLD_DEEPBIND``, the library binds to its own definitions
    whatever was imported before; the ``opensmile`` package then gets this already-loaded library.
    """
    if _SMILEAPI or sys.platform != "linux" or not hasattr(os, "RTLD_DEEPBIND") or "opensmile.core.lib" in sys.modules:
        return
    spec = importlib.util.find_spec("opensmile")
    if spec is None or not spec.submodule_search_locations:
        return  # not installed: the import below says what to do
    root = Path(os.path.realpath(next(iter(spec.submodule_search_locations))))
    library = root / "core" / "bin" / f"manylinux_2_17_{platform.machine().lower()}" / "libSMILEapi.so"
    if library.is_file():
        try:
            _SMILEAPI.append(ctypes.CDLL(os.fspath(library), mode=os.RTLD_LOCAL | os.RTLD_DEEPBIND))
        except OSError:  # left to the opensmile package, as without this precaution
            return


def window_layout(window: float, sample_rate: int = SAMPLE_RATE) -> tuple[int, int]:
    """``(start, length)`` in samples of second ``t``'s window, ``start`` relative to ``t * sample_rate``.

    The window of ``window`` seconds is centred on ``t + 0.5``: 5 s gives ``(-2 * rate, 5 * rate)``.
    """
    if not (isinstance(window, Real) and math.isfinite(window) and window >= 1):
        raise ValueError(f"window must be a number of seconds >= 1, got {window!r}.")
    length = int(round(window * sample_rate))  # an int whatever the type of window
    start = int(round(sample_rate / 2 - length / 2))
    return start, length


def iter_centred_windows(
    source: str | os.PathLike | tuple[np.ndarray, int],
    *,
    sample_rate: int,
    start: int,
    length: int,
) -> Iterator[tuple[int, np.ndarray]]:
    """Stream, for each whole second ``t`` of an audio track, its samples ``[t * rate + start, ... + length)``.

    The window is clipped to the track ``[0, N)`` (``N`` samples, including a last partial second),
    so windows near the ends are shorter.  There are ``floor(N / rate)`` windows, as
    :func:`~sklearn_emotion.media.decoding.iter_audio_windows` gives.  Memory holds one window and
    the decoder's current chunk.

    Parameters
    ----------
    source : str, path-like or (waveform, rate)
        A movie or audio file, or an already-decoded waveform (resampled when its rate differs).
    sample_rate : int
    start : int
        First sample of second 0's window relative to the start of that second (e.g. ``-2 * rate``).
    length : int
        Samples per window (before clipping).

    Yields
    ------
    t : int
    samples : ndarray of shape (n,), float32, ``n <= length``
    """
    if length < 1:
        raise ValueError(f"length must be positive, got {length}.")
    if isinstance(source, tuple):
        waveform = as_waveform(source, sample_rate)
        for t in range(len(waveform) // sample_rate):
            begin = max(0, t * sample_rate + start)
            yield t, waveform[begin : max(begin, t * sample_rate + start + length)].copy()
        return
    pending: list[np.ndarray] = []  # decoded chunks not yet joined to ``buffer``
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # absolute index of buffer[0]
    total = 0  # samples decoded so far
    next_t = 0

    def window_of(t: int) -> np.ndarray:
        begin = max(0, t * sample_rate + start)
        end = min(total, t * sample_rate + start + length)
        return buffer[begin - offset : max(begin, end) - offset].copy()

    for chunk in iter_audio_chunks(os.fspath(source), sample_rate):
        pending.append(chunk.astype(np.float32, copy=False))
        total += len(chunk)
        # Second t needs samples up to its window's end, and must be a whole second of the track.
        if total < max(next_t * sample_rate + start + length, (next_t + 1) * sample_rate):
            continue
        buffer = np.concatenate([buffer, *pending])
        pending = []
        while total >= max(next_t * sample_rate + start + length, (next_t + 1) * sample_rate):
            yield next_t, window_of(next_t)
            next_t += 1
        drop = max(0, next_t * sample_rate + start) - offset
        if drop > 0:  # keep only what later windows still need
            buffer = buffer[drop:]
            offset += drop
    buffer = np.concatenate([buffer, *pending])
    while next_t < total // sample_rate:
        yield next_t, window_of(next_t)
        next_t += 1


class OpenSmileFunctionals:
    """An openSMILE feature set's functionals of each second's centred window (an audio model).

    The object :func:`~sklearn_emotion.media.audio.audio_backbone` returns for the openSMILE names:
    ``dim``, ``window`` (samples of a whole window), ``feature_names``, ``iter_windows(movie)``
    (the clipped centred windows) and ``embed(windows) -> (n, dim)``.

    Parameters
    ----------
    name : {"egemaps", "compare", "emobase", "is10"}
        See :data:`OPENSMILE_FEATURE_SETS`.
    window : float, default=5.0
        Seconds of audio, centred on the middle of each second, whose functionals describe it.
    """

    def __init__(self, name: str, window: float = DEFAULT_WINDOW_S):
        if name not in OPENSMILE_FEATURE_SETS:
            raise ValueError(f"Unknown openSMILE feature set {name!r}; use one of {sorted(OPENSMILE_FEATURE_SETS)}.")
        self.name = name
        self.start, self.window = window_layout(window, SAMPLE_RATE)
        self._worker = _SmileWorker(OPENSMILE_FEATURE_SETS[name])
        self.feature_names, self.version = self._worker.start()
        self.dim = len(self.feature_names)

    def iter_windows(self, movie: Any) -> Iterator[np.ndarray]:
        """Each whole second's clipped centred window of ``movie``'s 16 kHz mono audio."""
        windows = iter_centred_windows(movie, sample_rate=SAMPLE_RATE, start=self.start, length=self.window)
        return (samples for _, samples in windows)

    def embed(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """Functionals of each window (1-D float waveforms at 16 kHz, any lengths) as ``(n, dim)`` float32.

        Samples are clipped to ``[-1, 32767/32768]`` first: openSMILE reads them as 16-bit integers,
        where a full-scale ``+1.0`` would wrap around to ``-1``.
        """
        clipped = [np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, _MAX_SAMPLE) for samples in windows]
        if not clipped:
            return np.empty((0, self.dim), dtype=np.float32)
        rows = self._worker.rows(clipped)
        if rows.shape != (len(clipped), self.dim):
            raise RuntimeError(f"openSMILE's worker returned rows of shape {rows.shape} for {len(clipped)} windows of "
                               f"{self.name} ({self.dim} values each).")
        return rows

    def __repr__(self) -> str:
        return f"OpenSmileFunctionals({self.name!r}, window={self.window / SAMPLE_RATE:g})"


# ------------------------------------------------------------------------------------ the worker process
#: The worker's program (run with ``python -c``, so that it imports neither this package nor
#: TensorFlow): it answers each pickled list of windows with their functionals, ``("rows", array)``,
#: or ``("error", type name, message)``; it stops at the end of its input.
_WORKER_SOURCE = r"""
import os, pickle, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it closes our input
replies = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # anything openSMILE prints goes to standard error, not into the replies
sys.stdout = sys.stderr
requests = sys.stdin.buffer

def reply(*message):
    pickle.dump(message, replies, protocol=pickle.HIGHEST_PROTOCOL)
    replies.flush()

try:
    import numpy as np
    import opensmile
    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, sys.argv[1]),
                            feature_level=opensmile.FeatureLevel.Functionals)
    names = list(smile.feature_names)
    reply("ready", names, getattr(opensmile, "__version__", "unknown"))
except Exception as exc:
    reply("error", type(exc).__name__, str(exc))
    sys.exit(1)
rate = int(sys.argv[2])
while True:
    try:
        windows = pickle.load(requests)
    except (EOFError, OSError):
        break
    try:
        out = np.empty((len(windows), len(names)), dtype=np.float32)
        for i, samples in enumerate(windows):
            out[i] = smile.process_signal(samples, rate).to_numpy(dtype=np.float32).reshape(-1)
        message = ("rows", out)
    except Exception as exc:
        message = ("error", type(exc).__name__, str(exc))
    try:
        reply(*message)
    except OSError:  # the parent stopped listening (e.g. Ctrl-C): nothing to say
        break
os._exit(0)  # no flush of a broken pipe at exit
"""


def _stop(process: subprocess.Popen) -> None:
    """End a worker: close its input (it exits at the end of it), kill it if it does not."""
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:  # already broken (the worker died)
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _SmileWorker:
    """openSMILE's ``Smile`` of one feature set in a child process (see the module docstring).

    Started by :meth:`start`, again after a fork or after an exchange was cut short (e.g. by
    Ctrl-C); one exchange at a time.  The process ends when this object is released or at exit.
    """

    def __init__(self, feature_set: str):
        self.feature_set = feature_set
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner = 0  # the pid that started the process (a forked child starts its own)
        self._finalizer: weakref.finalize | None = None
        self._ready: tuple[tuple[str, ...], str] = ((), "")

    def start(self) -> tuple[tuple[str, ...], str]:
        """Start the process if needed; returns openSMILE's feature names and release."""
        with self._lock:
            return self._ensure()

    def _ensure(self) -> tuple[tuple[str, ...], str]:
        if self._process is not None and self._owner == os.getpid() and self._process.poll() is None:
            return self._ready
        if importlib.util.find_spec("opensmile") is None:
            raise ImportError(
                f"The openSMILE audio features (egemaps, compare, emobase, is10) need the optional 'opensmile' "
                f"package, which is not installed: {OPENSMILE_INSTALL_HINT}."
            )
        # Standard error is inherited: the command line's filter of native logs applies to it too.
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_SOURCE, self.feature_set, str(SAMPLE_RATE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )
        self._owner = os.getpid()
        self._finalizer = weakref.finalize(self, _stop, self._process)
        try:
            _, names, version = self._receive()
        except BaseException:
            self._discard()
            raise
        self._ready = (tuple(names), str(version))
        return self._ready

    def _discard(self) -> None:
        """Stop the process now: an exchange was cut short, its reply is of no use."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._finalizer is not None:
            self._finalizer()  # closes the pipes and reaps the process (once)
        self._process = None

    def _receive(self) -> tuple:
        process = self._process
        try:
            message = pickle.load(process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            try:
                code = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = None
            raise RuntimeError(
                f"openSMILE's worker process (pid {process.pid}, feature set {self.feature_set}) ended without "
                f"answering (exit status {code}); its messages, if any, are above."
            ) from None
        if message[0] == "error":
            _, kind, text = message
            error = ImportError if kind in ("ImportError", "ModuleNotFoundError") else RuntimeError
            raise error(f"openSMILE ({self.feature_set}) failed in its worker process: {kind}: {text}")
        return message

    def rows(self, windows: list[np.ndarray]) -> np.ndarray:
        """The functionals of each window (float32 samples at 16 kHz) as ``(n, dim)`` float32."""
        with self._lock:
            self._ensure()
            try:
                pickle.dump(windows, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self._process.stdin.flush()
                return self._receive()[1]
            except BrokenPipeError:
                self._discard()
                raise RuntimeError(f"openSMILE's worker process ({self.feature_set}) ended unexpectedly; its "
                                   "messages, if any, are above.") from None
            except BaseException:  # e.g. Ctrl-C mid-exchange: the next call starts a fresh worker
                self._discard()
                raise
