"""One movie through several embedders: decode once, decode ahead of inference, fail as one movie.

A *stage* is what one embedder does to one movie once its models are loaded:

* a :class:`VideoStage` wants each second's frame at some size (a
  :class:`~sklearn_emotion.media.decoding.FrameRequest`), chosen by some frame selection
  (``"fast"`` or ``"exact"``, see :mod:`sklearn_emotion.media.decoding`), and embeds batches of frames;
* an :class:`AudioStage` reads the movie's audio track itself (its decoding is separate and cheap).

:func:`extract_movie` runs several stages on one movie file: **one** video decoding pass (in a
thread; one per frame selection when the stages ask for different ones) converts each chosen frame
to every requested size and feeds each video stage through a bounded queue, each stage embeds in
its own thread, and every audio stage runs in a thread of its own.  Decoding and inference overlap
(PyAV, TFLite, TensorFlow and MediaPipe release the GIL while they work), so a movie costs about
its slowest stage, and memory stays bounded by the queues whatever the movie's length.  The first failure stops the other threads and is raised, naming the
movie and the modality.

**Stopping.**  Whatever ends :func:`extract_movie` -- a failure, or a ``KeyboardInterrupt`` (Ctrl-C)
in the caller's thread -- sets the movie's stop event, which every thread checks between frames and
batches, and joins the threads (at most :data:`STOP_TIMEOUT_S`) before it returns or raises: no
decoder or network is still running native code when the caller goes on, or when the interpreter
exits (a thread left inside PyAV, TFLite or MediaPipe while Python tears its modules down can crash
the process).  Each thread closes its own PyAV container.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._base import embed_seconds, movie_name
from .decoding import TRUNCATION_TOLERANCE_S, FrameRequest, is_path, iter_frame_sets, probe
from .errors import ExtractionCancelled, LengthMismatchError

__all__ = ["VideoStage", "AudioStage", "extract_movie", "ExtractionCancelled", "LengthMismatchError",
           "check_declared_lengths", "wait_for_stage_threads"]

#: Batches of frames a video stage may have waiting (bounds memory; enough to keep it busy).
QUEUED_BATCHES = 2
_POLL_S = 0.1
#: A modality is stopped once it is this many seconds (beyond ``max_length_difference``) past one that
#: has finished: enough that ordinary differences get the union's length-rule message, with both lengths.
EARLY_STOP_MARGIN_S = 30
#: How long a stopped movie's threads get to finish their current frame or batch (a batch of a large
#: network on a busy machine takes seconds; a thread stuck longer is left to the caller).
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class VideoStage:
    """An embedder of frames: the frame size it wants and how it embeds a batch of them.

    Attributes
    ----------
    request : FrameRequest
        Size of the frames ``embed`` takes.
    embed : callable
        ``embed(list of (h, w, 3) uint8 frames) -> (n, d)`` array.
    batch_size : int
        Frames per ``embed`` call.
    frame_selection : {"exact", "fast"}, default="exact"
        How a movie file's frame of each second is chosen (already-decoded movies: ignored).
    """

    request: FrameRequest
    embed: Callable[[list[np.ndarray]], np.ndarray]
    batch_size: int
    frame_selection: str = "exact"

    def features(self, movie: Any, *, name: str | None = None, on_seconds: Callable[[int], Any] | None = None,
                 ) -> np.ndarray:
        """Per-second features of one movie alone: a file, or decoded frames ``(T, H, W, 3)``."""
        name = movie_name(movie, name)
        if is_path(movie):
            frames = (sets["frame"] for _, sets in iter_frame_sets(
                movie, {"frame": self.request}, frame_selection=self.frame_selection))
        else:
            frames = (self.request.apply(frame) for frame in decoded_frames(movie, name))
        return embed_seconds(frames, self.embed, self.batch_size, name, on_seconds)


@dataclass(frozen=True)
class AudioStage:
    """An embedder of a movie's audio track: ``compute(movie, name, on_seconds) -> (T, d)``."""

    compute: Callable[..., np.ndarray]

    def features(self, movie: Any, *, name: str | None = None, on_seconds: Callable[[int], Any] | None = None,
                 ) -> np.ndarray:
        """Per-second features of one movie: a file or a ``(waveform, sample_rate)`` tuple."""
        return self.compute(movie, movie_name(movie, name), on_seconds)


def decoded_frames(frames: Any, name: str) -> Iterator[np.ndarray]:
    """The frames of an already-decoded movie: an array ``(T, H, W, 3)`` of uint8 RGB, checked."""
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(
            f"{name}: a decoded movie must be an array (seconds, height, width, 3) of RGB frames, "
            f"got shape {array.shape}."
        )
    if array.dtype != np.uint8:
        raise ValueError(f"{name}: decoded frames must be uint8 RGB, got dtype {array.dtype}.")
    yield from array


class _Run:
    """Shared state of one movie's threads: the first error, the signal to stop, the seconds done."""

    def __init__(self, name: str = "movie", max_length_difference: int | None = None) -> None:
        self.name = name
        self.max_length_difference = max_length_difference
        self.stop = threading.Event()
        self.errors: list[tuple[str, BaseException]] = []
        self.seconds: dict[str, int] = {}  # per modality, seconds embedded so far
        self.lengths: dict[str, int] = {}  # per finished modality, its number of rows
        self._lock = threading.Lock()

    def done(self, modality: str, seconds: int) -> None:
        """Hear that ``modality`` did ``seconds`` more seconds (raise if the length rule is already broken)."""
        with self._lock:
            self.seconds[modality] = self.seconds.get(modality, 0) + seconds
            self._check_lengths(modality, self.seconds[modality])

    def finished(self, modality: str, rows: int) -> None:
        with self._lock:
            self.lengths[modality] = rows
            for other, count in self.seconds.items():
                if other not in self.lengths:
                    self._check_lengths(other, count)

    def _check_lengths(self, modality: str, count: int) -> None:
        """The length rule on what is already known: a finished modality shorter by too much is final."""
        if self.max_length_difference is None or not self.lengths:
            return
        shortest, rows = min(self.lengths.items(), key=lambda item: item[1])
        if count - rows > self.max_length_difference + EARLY_STOP_MARGIN_S:
            error = LengthMismatchError(
                f"{self.name}: modalities differ by more than max_length_difference={self.max_length_difference} s: "
                f"{shortest} has {rows} s and {modality} already {count} s (stopped there); is one stream cut short?"
            )
            self.errors.append((modality, error))
            self.stop.set()

    def fail(self, modality: str, error: BaseException) -> None:
        with self._lock:
            if not isinstance(error, ExtractionCancelled):
                self.errors.append((modality, error))
        self.stop.set()

    def check(self) -> None:
        if self.stop.is_set():
            raise ExtractionCancelled()

    def put(self, channel: queue.Queue, item: Any) -> bool:
        """Put ``item`` unless the run stops first (then return False)."""
        while not self.stop.is_set():
            try:
                channel.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def drain(self, channel: queue.Queue) -> Iterator[np.ndarray]:
        """Frames from ``channel`` until its end marker; stops when the run stops."""
        while True:
            try:
                item = channel.get(timeout=_POLL_S)
            except queue.Empty:
                self.check()
                continue
            if item is _END:
                return
            self.check()
            yield item


_END = object()


class _StageThread(threading.Thread):
    """A thread of :func:`extract_movie` (its own class, so that :func:`wait_for_stage_threads` finds it)."""


def _thread(run: _Run, modality: str, work: Callable[[], Any], results: dict[str, Any]) -> threading.Thread:
    def target() -> None:
        try:
            results[modality] = result = work()
            if hasattr(result, "shape"):
                run.finished(modality, result.shape[0])
        except BaseException as error:  # reported by extract_movie, in the caller's thread
            run.fail(modality, error)

    # Daemon: the interpreter must be able to exit even if a thread is stuck past the bounded join
    # (extract_movie joins every thread it started before it returns; see wait_for_stage_threads).
    return _StageThread(target=target, name=f"sklearn-emotion {modality}", daemon=True)


def _join(threads: list[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Join ``threads`` for at most ``timeout`` seconds in all; the ones still alive.

    A Ctrl-C while joining does not cut the join short (the threads are already told to stop and
    take at most a batch to do so); the first one is re-raised once the join is over.
    """
    deadline = time.monotonic() + timeout
    interrupted: KeyboardInterrupt | None = None
    for thread in threads:
        while thread.is_alive() and time.monotonic() < deadline:
            try:
                thread.join(min(_POLL_S, max(0.0, deadline - time.monotonic())))
            except KeyboardInterrupt as error:
                interrupted = interrupted or error
    if interrupted is not None:
        raise interrupted
    return [thread for thread in threads if thread.is_alive()]


def wait_for_stage_threads(timeout: float | None = None) -> list[threading.Thread]:
    """Join the threads of every :func:`extract_movie` of this process; those still alive after ``timeout`` s.

    :func:`extract_movie` joins its own threads before it returns; this is for a caller that is
    about to exit the interpreter after an interruption (the command line), to make sure of it.
    ``timeout=None`` waits :data:`STOP_TIMEOUT_S`.
    """
    stages = [thread for thread in threading.enumerate() if isinstance(thread, _StageThread)]
    return _join(stages, STOP_TIMEOUT_S if timeout is None else timeout)


def _decode_into(run: _Run, path: str, channels: Mapping[str, queue.Queue], requests: Mapping[str, FrameRequest],
                 frame_selection: str = "exact") -> None:
    """One decoding pass: each second's frame, at each stage's size, into each stage's queue."""
    try:
        # closing(): a stopped run closes the container here, in the thread that uses it.
        with contextlib.closing(iter_frame_sets(path, requests, frame_selection=frame_selection)) as frame_sets:
            for _, frames in frame_sets:
                for modality, frame in frames.items():
                    if not run.put(channels[modality], frame):
                        return
    except BaseException as error:  # recorded before the stages could report an empty movie
        run.fail("video decoding", error)
        return
    for modality in requests:  # the stages this pass feeds (another pass may feed others)
        run.put(channels[modality], _END)


def extract_movie(
    path: str | os.PathLike,
    stages: Mapping[str, VideoStage | AudioStage],
    *,
    name: str | None = None,
    on_seconds: Callable[[int], Any] | None = None,
    max_length_difference: int | None = None,
) -> dict[str, np.ndarray]:
    """Run several stages on one movie file, decoding its video once, all stages at once.

    Parameters
    ----------
    path : str or path-like
        The movie file.
    stages : dict of str to VideoStage or AudioStage
        By modality name.
    name : str, optional
        How errors name the movie (default: its path).
    on_seconds : callable, optional
        Hears the seconds done by the first stage (progress).
    max_length_difference : int, optional
        The length rule of :class:`~sklearn_emotion.media.ModalityUnion`, applied as early as it
        can be: before any decoding, to the durations the file declares (a video declared longer
        than the audio by more than this, with a margin for imprecise headers:
        :class:`LengthMismatchError`), and while embedding (a modality more than this plus
        :data:`EARLY_STOP_MARGIN_S` seconds past one that has finished is stopped).  ``None``: no
        check here.

    Returns
    -------
    dict of str to ndarray of shape (T_m, d_m)
        Each modality's features, in the order of ``stages`` (lengths may differ by a second or
        so; :class:`~sklearn_emotion.media.ModalityUnion` applies its length rule).

    Raises
    ------
    Exception
        The first stage's error (decoding or embedding), with a note naming the movie and the
        modality; the other stages are stopped.
    """
    path = os.fspath(path)
    name = name or path
    run = _Run(name, max_length_difference)
    results: dict[str, Any] = {}
    video = {modality: stage for modality, stage in stages.items() if isinstance(stage, VideoStage)}
    if max_length_difference is not None and video and len(video) < len(stages):
        check_declared_lengths(path, name, max_length_difference)
    progress = {next(iter(stages)): on_seconds} if on_seconds is not None else {}

    def counted(modality: str) -> Callable[[int], Any]:
        report = progress.get(modality)

        def hear(seconds: int) -> None:  # also where a stage notices that another one failed
            run.check()
            run.done(modality, seconds)
            run.check()
            if report is not None:
                report(seconds)

        return hear

    channels = {modality: queue.Queue(maxsize=QUEUED_BATCHES * stage.batch_size) for modality, stage in video.items()}
    threads = []
    for selection in dict.fromkeys(stage.frame_selection for stage in video.values()):
        # One pass per frame selection (normally one: every stage of a union asks for the same).
        requests = {modality: stage.request for modality, stage in video.items() if stage.frame_selection == selection}
        threads.append(_thread(run, "video decoding", functools.partial(
            _decode_into, run, path, channels, requests, selection), {}))
    for modality, stage in stages.items():
        if isinstance(stage, VideoStage):
            work = _embedding_work(run, stage, channels[modality], name, counted(modality))
        else:
            work = _audio_work(stage, path, name, counted(modality))
        threads.append(_thread(run, modality, work, results))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():  # a timed join lets Ctrl-C through
                thread.join(_POLL_S)
    finally:
        # Also on Ctrl-C: every thread stops at its next frame or batch and is joined (bounded) here.
        run.stop.set()
        _join([thread for thread in threads if thread.ident is not None], STOP_TIMEOUT_S)
    if run.errors:
        modality, error = run.errors[0]
        if name not in str(error) and hasattr(error, "add_note"):
            error.add_note(f"(while extracting the {modality} features of {name})")
        raise error
    return {modality: results[modality] for modality in stages}


def check_declared_lengths(path: str | os.PathLike, name: str, max_length_difference: int) -> None:
    """Refuse, before decoding, a movie whose video declares far more seconds than its audio.

    Such a movie fails the length rule once decoded -- or, if its video is in fact shorter than
    declared, the decoder's truncation check -- so nothing is lost by refusing it now, and a
    small file declaring hours of video (one frame repeated for every second) costs nothing.
    The margin allows for imprecise headers (a second of rounding and the truncation tolerance
    on each side).  Only this direction is checked: some muxers declare a video stream shorter
    than its timeline, and a long audio track costs in proportion to its size anyway.

    Raises
    ------
    LengthMismatchError
        Naming the movie and both declared durations.
    """
    info = probe(path)
    video, audio = info.video_duration, info.audio_duration
    if video is None or audio is None:
        return
    margin = 1 + 2 * TRUNCATION_TOLERANCE_S
    if video - audio > max_length_difference + margin:
        raise LengthMismatchError(
            f"{name}: its video declares {video:.1f} s but its audio {audio:.1f} s: the tracks differ by more "
            f"than max_length_difference={max_length_difference} s (refused before decoding; is one stream "
            "cut short, or the file damaged?)"
        )


def _embedding_work(run: _Run, stage: VideoStage, channel: queue.Queue, name: str,
                    on_seconds: Callable[[int], Any]) -> Callable[[], np.ndarray]:
    return lambda: embed_seconds(run.drain(channel), stage.embed, stage.batch_size, name, on_seconds)


def _audio_work(stage: AudioStage, path: str, name: str, on_seconds: Callable[[int], Any]) -> Callable[[], np.ndarray]:
    return lambda: stage.compute(path, name, on_seconds)
