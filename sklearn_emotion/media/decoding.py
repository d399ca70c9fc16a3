"""Streaming 1 Hz decoding of movie files with PyAV (FFmpeg inside the wheel, no system ffmpeg).

The one-frame-per-second rule
-----------------------------
A movie of video duration ``D`` seconds (end time of its last frame) has ``T = floor(D)`` whole
seconds.  Second ``t`` (covering ``[t, t + 1)``) is represented by **the frame on screen at its
middle, ``t + 0.5``**: the last frame whose presentation time is ``<= t + 0.5`` (the first frame
when the stream starts later than that).  The rule uses presentation timestamps, so it holds for
variable frame rates, and frames are rotated upright according to the stream's display-matrix
(rotation) metadata.

The last frame ends after **its own duration** (the container's, e.g. an MP4 sample's or a
Matroska block's); when the container gives none (AVI), after the interval before it, but never
past the video's declared end (stream duration, else the container's): with variable frame rates
the interval before the last frame says nothing about how long it lasts.  A frame whose time lies
far beyond every declared duration (:func:`declared_end_bound`) is an error: a damaged or crafted
file must not make the decoder emit hours of one still frame.

Frame selection: ``"exact"`` and ``"fast"``
-------------------------------------------
``frame_selection="exact"`` decodes every frame and gives the frame of the rule above.
``frame_selection="fast"`` decodes less and gives, for each second, the decoded frame **nearest**
(in presentation time) to the exact rule's frame (the earlier one on a tie):

* it first reads the video's packets without decoding them (cheap: no picture is made) to know
  every frame's presentation time, hence the exact rule's frame of each second, the number of
  seconds and the end of the video (the same rules as above, from the packets' times and
  durations);
* the decoder then discards non-reference frames (FFmpeg's ``skip_frame = AVDISCARD_NONREF``):
  frames that no other frame depends on are never decoded (with x264's defaults, about half of
  them: the B-frames that are not pyramid references); it uses slice threads only (frame threads
  cost about a third more CPU time there, which the embedders running beside it need);
* in a stream without frame reordering (the packets' times increase in decode order: no
  B-frames, e.g. intra-only codecs such as MJPEG, or IPPP encodes), where the chosen frames of
  consecutive seconds are farther apart than a group of pictures (GOP), a GOP holding no chosen
  frame is never sent to the decoder (a seek by keyframe, done while reading the packets in
  order); in an intra-only stream only the chosen frames are decoded.  Streams with reordering
  are never cut this way (their open GOPs' leading frames may reference the GOP before), and
  with film GOPs (2-10 s) every GOP holds a chosen frame anyway.

The chosen frame is at most half the largest gap between two decoded frames from the exact
rule's: with x264's default settings (3 B-frames, pyramid: every other frame decoded), one frame
interval (42 ms at 24 fps); :func:`frame_selection_report` measures it for any file.  In a stream
without non-reference frames and without reordering, fast decodes the frames exact needs (fewer
when GOPs are short) and chooses the very same frames.  Decoding stops after the last second's
frame.  A file whose packets lack presentation timestamps (raw elementary streams) is decoded with
the exact rule.

A file starting mid-GOP (a stream-copied cut, a TS recording) begins with packets that cannot be
decoded; exact counts time from its first decoded frame.  Fast plans from the packets from the
first keyframe (in decode order) on, without those shown before it; with reordering, it decodes
every frame until the first one comes out and, if that frame's time is not the planned start, plans again from it: both
selections give the same seconds.  Where the packets go on but decoding stops (a damaged tail), a
second whose exact frame is farther past the last decoded frame than the decoded frames' spacing
(plus one frame interval) ends the movie there, as exact's decoding does, with the "looks
truncated" error when that is more than :data:`TRUNCATION_TOLERANCE_S` before the declared end.

Audio is decoded to mono float32 in ``[-1, 1]`` at the requested sample rate and delivered in
windows: the window of second ``t`` starts at sample ``t * rate`` (zero-padded past the end of the
track); an audio track of ``N`` samples has ``floor(N / rate)`` whole seconds.

Both decoders stream: memory does not grow with movie length (the video decoder keeps one pending
frame, the audio decoder a buffer of a few seconds).  PyAV containers are not picklable, so every
function opens its own container; call them inside joblib workers, never pass containers around.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MediaDecodeError, MissingStreamError

__all__ = [
    "MediaDecodeError",
    "MissingStreamError",
    "MediaInfo",
    "probe",
    "FrameRequest",
    "iter_frames",
    "iter_frame_sets",
    "FRAME_SELECTIONS",
    "DEFAULT_FRAME_SELECTION",
    "check_frame_selection",
    "frame_selection_report",
    "FrameSelectionReport",
    "iter_audio_windows",
    "read_audio",
    "iter_audio_chunks",
    "as_waveform",
    "resize_frame",
]

#: Frames of the same second are chosen at this offset within the second.
FRAME_OFFSET = 0.5
#: How each second's frame is chosen (see "Frame selection" above).
FRAME_SELECTIONS = ("fast", "exact")
#: The frame selection of the embedders and of the default feature specification.  Settings
#: recorded without one (sklearn-emotion 0.2) mean ``"exact"``: see :data:`RECORDED_FRAME_SELECTION`.
DEFAULT_FRAME_SELECTION = "fast"
#: What a feature setting, features.json or model recorded before frame selections existed means.
RECORDED_FRAME_SELECTION = "exact"
#: A decoded stream shorter than its declared duration by more than this is reported as truncated.
TRUNCATION_TOLERANCE_S = 1.5
#: A frame later than ``DECLARED_END_FACTOR * declared + DECLARED_END_MARGIN_S`` seconds (the largest
#: duration the file declares) is refused: generous, because some containers only estimate durations.
DECLARED_END_FACTOR = 2.0
DECLARED_END_MARGIN_S = 60.0


@dataclass(frozen=True)
class MediaInfo:
    """What a container declares about its streams (read from headers, nothing decoded).

    Attributes
    ----------
    path : str
        The file.
    has_video, has_audio : bool
        Whether the container has a video / an audio stream.
    video_duration, audio_duration : float or None
        Declared durations in seconds, ``None`` when the container does not say.
    duration : float or None
        Declared duration of the whole container.
    width, height : int or None
        Coded frame size of the video stream (before rotation).
    average_rate : float or None
        Average frame rate of the video stream.
    sample_rate : int or None
        Native sample rate of the audio stream.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.media.decoding import probe
    >>> data = make_movie_files(tempfile.mkdtemp(), 1, min_seconds=4, max_seconds=4, random_state=0)
    >>> info = probe(data.videos[0])
    >>> info.has_video, info.has_audio, info.width, info.height, info.average_rate, info.sample_rate
    (True, True, 160, 120, 4.0, 16000)
    >>> round(info.duration, 1)
    4.0
    """

    path: str
    has_video: bool
    has_audio: bool
    video_duration: float | None
    audio_duration: float | None
    duration: float | None
    width: int | None
    height: int | None
    average_rate: float | None
    sample_rate: int | None

    @property
    def n_seconds(self) -> int | None:
        """Declared number of whole seconds of the video (or audio when there is no video)."""
        value = self.video_duration if self.has_video else self.audio_duration
        value = value if value is not None else self.duration
        return None if value is None else int(math.floor(value + 1e-6))


def _open(path: str | os.PathLike) -> Any:
    import av

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Movie file not found: {path}")
    try:
        return av.open(path, mode="r")
    except av.error.FFmpegError as exc:
        raise MediaDecodeError(f"Cannot open movie file {path}: {exc}") from exc


def _stream_duration(stream: Any) -> float | None:
    """A stream's declared duration: its header field, else Matroska's ``DURATION`` tag."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            return None
    return None


def declared_end_bound(declared: float | None) -> float | None:
    """The latest frame time a movie declaring ``declared`` seconds may have (``None``: no bound).

    A file whose decoded timeline passes this is damaged or crafted (its frames' timestamps jump
    hours past what its headers say); the decoder refuses it instead of emitting every second.
    """
    return None if declared is None else DECLARED_END_FACTOR * declared + DECLARED_END_MARGIN_S


def probe(path: str | os.PathLike) -> MediaInfo:
    """Read the declared streams and durations of a movie file.

    Parameters
    ----------
    path : str or path-like
        The movie file.

    Returns
    -------
    MediaInfo

    Raises
    ------
    FileNotFoundError, MediaDecodeError
        Naming the file.

    Examples
    --------
    The headers of a 3-second movie at 2 frames per second with a 440 Hz tone
    (:func:`~sklearn_emotion.datasets.make_test_movie`):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import probe
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> info = probe(path)
    >>> info.has_video, info.has_audio, info.width, info.height, info.average_rate, info.sample_rate
    (True, True, 64, 48, 2.0, 16000)
    """
    with _open(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = None if container.duration is None else container.duration / 1_000_000
        rate = None
        if video is not None and video.average_rate:
            rate = float(video.average_rate)
        return MediaInfo(
            path=os.fspath(path),
            has_video=video is not None,
            has_audio=audio is not None,
            video_duration=_stream_duration(video) if video is not None else None,
            audio_duration=_stream_duration(audio) if audio is not None else None,
            duration=duration,
            width=video.codec_context.width if video is not None else None,
            height=video.codec_context.height if video is not None else None,
            average_rate=rate,
            sample_rate=audio.codec_context.sample_rate if audio is not None else None,
        )


def resize_frame(
    image: np.ndarray, size: tuple[int, int] | None, *, interpolation: str = "BILINEAR"
) -> np.ndarray:
    """Resize an RGB uint8 image to ``size = (width, height)`` with FFmpeg's scaler.

    The same scaler as the decoder uses, so that decoded files and already-decoded arrays are
    preprocessed identically.  ``size=None`` returns the image unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.media.decoding import resize_frame
    >>> image = np.full((48, 64, 3), 200, dtype=np.uint8)
    >>> resized = resize_frame(image, (32, 24))  # (width, height)
    >>> resized.shape, resized.dtype, int(resized.mean())
    ((24, 32, 3), dtype('uint8'), 200)
    >>> resize_frame(image, None) is image
    True
    """
    if size is None:
        return image
    width, height = size
    if image.shape[1] == width and image.shape[0] == height:
        return image
    import av

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image, dtype=np.uint8), format="rgb24")
    return frame.reformat(width=width, height=height, format="rgb24", interpolation=interpolation).to_ndarray()


@dataclass(frozen=True)
class FrameRequest:
    """The size at which one consumer (an embedder) wants each second's frame.

    Several requests can be served from one decoded frame (:func:`iter_frame_sets`), so that a
    movie is decoded once for every visual modality.

    Attributes
    ----------
    size : (width, height), optional
        Output size after rotation (squashed, no crop); ``None`` keeps the upright native size.
    max_side : int, optional
        When ``size`` is None, shrink frames (aspect kept) whose longer side exceeds this.
    interpolation : str, default="BILINEAR"
        FFmpeg scaler used for resizing.

    Examples
    --------
    Two sizes of every second's frame, from one decoding pass of a 4-second movie:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.media.decoding import FrameRequest, iter_frame_sets
    >>> data = make_movie_files(tempfile.mkdtemp(), 1, min_seconds=4, max_seconds=4, random_state=0)
    >>> requests = {"small": FrameRequest(size=(32, 24)), "large": FrameRequest(max_side=64)}
    >>> for t, frames in iter_frame_sets(data.videos[0], requests):
    ...     print(t, frames["small"].shape, frames["large"].shape)
    0 (24, 32, 3) (48, 64, 3)
    1 (24, 32, 3) (48, 64, 3)
    2 (24, 32, 3) (48, 64, 3)
    3 (24, 32, 3) (48, 64, 3)
    """

    size: tuple[int, int] | None = None
    max_side: int | None = None
    interpolation: str = "BILINEAR"

    def output_size(self, width: int, height: int) -> tuple[int, int] | None:
        """The ``(width, height)`` an upright ``width x height`` frame becomes; ``None``: unchanged."""
        if self.size is not None:
            return tuple(self.size)
        if self.max_side is not None and max(width, height) > self.max_side:
            scale = self.max_side / max(width, height)
            return max(1, round(width * scale)), max(1, round(height * scale))
        return None

    def apply(self, image: np.ndarray) -> np.ndarray:
        """An already-decoded upright RGB uint8 frame resized as requested (the decoder's scaler)."""
        size = self.output_size(image.shape[1], image.shape[0])
        return resize_frame(image, size, interpolation=self.interpolation)


def _frame_to_rgb(frame: Any, request: FrameRequest) -> np.ndarray:
    """Convert a decoded frame to an upright RGB array of the requested size."""
    rotation = int(round(getattr(frame, "rotation", 0) or 0)) % 360
    quarter_turns = rotation // 90 if rotation % 90 == 0 else 0
    upright = (frame.height, frame.width) if quarter_turns % 2 == 1 else (frame.width, frame.height)
    size = request.output_size(*upright)
    kwargs: dict[str, Any] = {"format": "rgb24"}
    if size is not None:
        width, height = size
        if quarter_turns % 2 == 1:  # resize before rotating: swap the target size
            width, height = height, width
        kwargs.update(width=width, height=height, interpolation=request.interpolation)
    image = frame.reformat(**kwargs).to_ndarray()
    if quarter_turns:
        # The display matrix rotates counter-clockwise by ``rotation`` degrees.
        image = np.ascontiguousarray(np.rot90(image, k=quarter_turns))
    return image


def iter_frames(
    path: str | os.PathLike,
    *,
    size: tuple[int, int] | None = None,
    interpolation: str = "BILINEAR",
    max_side: int | None = None,
    check_truncation: bool = True,
    frame_selection: str = "exact",
) -> Iterator[tuple[int, np.ndarray]]:
    """Stream one upright RGB frame per whole second of a movie's video (the 1 Hz rule above).

    Parameters
    ----------
    path : str or path-like
        Movie file (any container and codec FFmpeg reads: mp4/h264, mkv, webm, avi, ...).
    size : (width, height), optional
        Output size after rotation; ``None`` keeps the upright native size.
    interpolation : str, default="BILINEAR"
        FFmpeg scaler used for resizing.
    max_side : int, optional
        When ``size`` is None, shrink frames (keeping their aspect ratio) whose longer side
        exceeds this.
    check_truncation : bool, default=True
        Raise :class:`MediaDecodeError` when decoding ends more than
        :data:`TRUNCATION_TOLERANCE_S` seconds before the declared video duration.
    frame_selection : {"exact", "fast"}, default="exact"
        ``"exact"``: the frame on screen at ``t + 0.5``; ``"fast"``: the decoded frame nearest to
        it, decoding less (see the module's "Frame selection").

    Yields
    ------
    t : int
        The second, from 0 to ``T - 1`` with no gap.
    frame : ndarray of shape (height, width, 3), uint8
        The frame on screen at ``t + 0.5`` (``"fast"``: the nearest decoded one).

    Raises
    ------
    MissingStreamError
        When the file has no video stream.
    MediaDecodeError
        When the file is corrupt or truncated, naming the file.

    Examples
    --------
    One frame per second, the one shown at the middle of that second: of a movie at 2 frames per second
    whose frame ``i`` is of grey level ``40 i`` (:func:`~sklearn_emotion.datasets.make_test_movie`), frames 1, 3 and 5:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import iter_frames
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> [(t, frame.shape, int(frame.mean().round(-1))) for t, frame in iter_frames(path)]  # frames 1, 3, 5
    [(0, (48, 64, 3), 40), (1, (48, 64, 3), 120), (2, (48, 64, 3), 200)]
    >>> [(t, frame.shape) for t, frame in iter_frames(path, size=(32, 24))]
    [(0, (24, 32, 3)), (1, (24, 32, 3)), (2, (24, 32, 3))]
    """
    request = FrameRequest(size=size, max_side=max_side, interpolation=interpolation)
    for t, frames in iter_frame_sets(path, {"frame": request}, check_truncation=check_truncation,
                                     frame_selection=frame_selection):
        yield t, frames["frame"]


def iter_frame_sets(
    path: str | os.PathLike,
    requests: Mapping[str, FrameRequest],
    *,
    check_truncation: bool = True,
    frame_selection: str = "exact",
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Decode a movie once and give each second's frame at every requested size.

    Like :func:`iter_frames`, but each chosen frame is converted once per entry of ``requests``
    (from the same decoded picture), so that image and face embedders share one decoding pass.
    Each converted frame equals what :func:`iter_frames` gives for that request and
    ``frame_selection``.  Only the chosen frames are converted to RGB.

    Yields
    ------
    t : int
    frames : dict of str to ndarray of shape (height, width, 3), uint8
        One upright RGB frame per request name.

    Examples
    --------
    Each second's frame at two sizes, decoded once, from a 3-second movie of 64 x 48 pixels
    (:func:`~sklearn_emotion.datasets.make_test_movie`):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import FrameRequest, iter_frame_sets
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> requests = {"image": FrameRequest(size=(32, 24)), "face": FrameRequest(max_side=640)}
    >>> for t, converted in iter_frame_sets(path, requests):
    ...     print(t, converted["image"].shape, converted["face"].shape)
    0 (24, 32, 3) (48, 64, 3)
    1 (24, 32, 3) (48, 64, 3)
    2 (24, 32, 3) (48, 64, 3)
    """

    def convert(frame: Any) -> dict[str, np.ndarray]:
        return {key: _frame_to_rgb(frame, request) for key, request in requests.items()}

    for t, frame in _iter_selected_frames(os.fspath(path), check_truncation, frame_selection):
        yield t, convert(frame)


def check_frame_selection(frame_selection: str) -> str:
    """``frame_selection`` itself when it is one of :data:`FRAME_SELECTIONS`.

    Raises
    ------
    ValueError
        Otherwise, naming the accepted values.

    Examples
    --------
    >>> from sklearn_emotion.media.decoding import check_frame_selection
    >>> check_frame_selection("exact")
    'exact'
    >>> check_frame_selection("quick")
    Traceback (most recent call last):
    ...
    ValueError: frame_selection must be one of ('fast', 'exact'), got 'quick'.
    """
    if frame_selection not in FRAME_SELECTIONS:
        raise ValueError(f"frame_selection must be one of {FRAME_SELECTIONS}, got {frame_selection!r}.")
    return frame_selection


def _iter_selected_frames(path: str, check_truncation: bool, frame_selection: str) -> Iterator[tuple[int, Any]]:
    """The decoded (PyAV) frame of each whole second, by ``frame_selection``."""
    check_frame_selection(frame_selection)
    if frame_selection == "exact":
        yield from _iter_chosen_frames(path, check_truncation)
        return
    for t, frame, _chosen, _exact in _iter_fast_frames(path, check_truncation, None):
        yield t, frame


def _iter_chosen_frames(path: str, check_truncation: bool) -> Iterator[tuple[int, Any]]:
    """The decoded (PyAV) frame of each whole second, by the 1 Hz rule of this module."""
    import av

    container = _open(path)
    try:
        if not container.streams.video:
            raise MissingStreamError(f"Movie file {path} has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        declared, container_duration = _declared_video_durations(container, stream)
        # Generous on purpose: a stream's duration may be short of its timeline (some muxers count
        # frames, not time) while the container's covers every stream.
        bound = declared_end_bound(max((d for d in (declared, container_duration) if d is not None), default=None))
        rate = float(stream.average_rate or 0)  # a "rate" above 1000/s is a timestamp tick, not a frame rate
        fallback_step = 1.0 / rate if rate and 1.0 / rate >= 1e-3 else 0.04
        start: float | None = None
        pending = None  # latest frame with time <= next_t + FRAME_OFFSET
        ready: list[tuple[int, Any]] = []  # chosen frames waiting for their second to be whole
        next_t = 0
        end_time = 0.0  # latest presentation time seen, then end of the last frame
        last_time: float | None = None
        step = fallback_step  # the interval before the last frame (its duration when it has none)
        own_duration = 0.0  # the container's duration of the latest frame (0: not given)
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                time = float(frame.pts * frame.time_base)
                if start is None:
                    # Timestamps count from the first frame (containers may start at e.g. 1.4 s).
                    start = time
                time -= start
                if bound is not None and time > bound:
                    raise _past_declared_end(path, time, bound)
                if last_time is not None and time > last_time:
                    step = time - last_time
                last_time = time
                if time >= end_time:
                    own_duration = float(frame.duration * frame.time_base) if frame.duration else 0.0
                end_time = max(end_time, time)
                while time > next_t + FRAME_OFFSET:
                    # ``frame`` is past the middle of second ``next_t``: the pending one was on screen.
                    ready.append((next_t, pending if pending is not None else frame))
                    next_t += 1
                    # Yield as soon as a second is known to be whole (a long still frame must not pile up).
                    while ready and ready[0][0] + 1 <= end_time + 1e-6:
                        yield ready.pop(0)
                pending = frame
        except av.error.FFmpegError as exc:
            raise MediaDecodeError(f"Cannot decode the video of {path} (corrupt file?): {exc}") from exc
        if pending is None:
            raise MediaDecodeError(f"Movie file {path} has a video stream without any decodable frame.")
        end_time = _video_end(end_time, own_duration, step, declared, container_duration)
        while next_t + 1 <= end_time + 1e-6:
            ready.append((next_t, pending))
            next_t += 1
        n_seconds = 0
        for t, chosen in ready:
            if t + 1 <= end_time + 1e-6:
                n_seconds = t + 1
                yield t, chosen
        n_seconds = max(n_seconds, int(math.floor(end_time + 1e-6)))
        if check_truncation and declared is not None and end_time < declared - TRUNCATION_TOLERANCE_S:
            raise MediaDecodeError(
                f"Movie file {path} looks truncated: its video declares {declared:.2f} s but "
                f"decoding stopped at {end_time:.2f} s."
            )
        if n_seconds == 0:
            raise MediaDecodeError(f"Movie file {path} is shorter than one second ({end_time:.3f} s of video).")
    finally:
        container.close()


@dataclass(frozen=True)
class _Timeline:
    """What a video's packets say, read without decoding: every frame's time and each second's exact frame."""

    start: float  # presentation time of the first decodable frame (times below count from it)
    targets: np.ndarray  # (T,) time of the exact rule's frame of each second
    end_time: float
    n_frames: int  # decodable frames
    needed: np.ndarray | None  # (n_packets,) bool in decode order: packets to send to the decoder; None: all
    largest_step: float  # the largest interval between consecutive frames
    packets: "_Packets"  # what the plan was made from (for a new plan from another start)


@dataclass(frozen=True)
class _Packets:
    """The video packets' times (s, in decode order), durations and flags; the durations the file declares."""

    times: np.ndarray
    durations: np.ndarray
    keys: np.ndarray  # keyframe flags
    from_key: np.ndarray  # from the first keyframe on (in decode order): the packets that may decode
    reordered: bool
    declared: float | None
    container_duration: float | None
    rate: float


def _packet_timeline(container: Any, stream: Any, path: str, rate: float) -> _Timeline | None:
    """The exact rule computed from the packets' presentation times (None when some packet has none)."""
    declared, container_duration = _declared_video_durations(container, stream)
    pts, durations, keys = [], [], []
    for packet in container.demux(stream):
        if packet.size == 0:  # the end-of-stream marker
            continue
        if packet.pts is None:
            return None
        pts.append(packet.pts)
        durations.append(packet.duration or 0)
        keys.append(bool(packet.is_keyframe))
    if not pts:
        raise MediaDecodeError(f"Movie file {path} has a video stream without any decodable frame.")
    time_base = float(stream.time_base)
    times = np.asarray(pts, dtype=np.float64) * time_base
    # A file cut mid-GOP (a stream copy, a TS recording) starts with packets that reference frames it
    # lacks: the plan starts at the first keyframe (in decode order), without the frames shown before it.
    first_key = keys.index(True) if any(keys) else 0
    packets = _Packets(times, np.asarray(durations, dtype=np.float64) * time_base, np.asarray(keys),
                       np.arange(len(times)) >= first_key,
                       len(times) > 1 and not bool(np.all(np.diff(times) > 0)), declared, container_duration, rate)
    return _plan(path, packets, float(times[first_key]))


def _plan(path: str, packets: _Packets, start: float) -> _Timeline:
    """The exact rule from the decodable packets at or after ``start`` (the first decoded frame's time)."""
    declared, container_duration = packets.declared, packets.container_duration
    bound = declared_end_bound(max((d for d in (declared, container_duration) if d is not None), default=None))
    kept = packets.from_key & (packets.times >= start - 1e-9)
    times = packets.times[kept] - start
    if not len(times):
        raise MediaDecodeError(f"Movie file {path} has a video stream without any decodable frame.")
    if bound is not None and times.max() > bound:
        raise _past_declared_end(path, float(times.max()), bound)
    ordered = np.unique(times)
    last = float(ordered[-1])
    fallback_step = 1.0 / packets.rate if packets.rate and 1.0 / packets.rate >= 1e-3 else 0.04
    step = float(ordered[-1] - ordered[-2]) if len(ordered) > 1 else fallback_step
    own_duration = float(packets.durations[kept][int(np.argmax(times))])
    end_time = _video_end(last, own_duration, step, declared, container_duration)
    n_seconds = int(math.floor(end_time + 1e-6))
    if n_seconds == 0:
        raise MediaDecodeError(f"Movie file {path} is shorter than one second ({end_time:.3f} s of video).")
    wanted = np.arange(n_seconds) + FRAME_OFFSET
    index = np.maximum(np.searchsorted(ordered, wanted, side="right") - 1, 0)
    targets = ordered[index]
    needed = None
    if not packets.reordered:
        # No reordering (the packets' times increase in decode order): a GOP (keyframe to next
        # keyframe) holding no chosen frame is needed by nothing after it.
        needed = np.zeros(len(packets.times), dtype=bool)
        chosen = set(targets.tolist())
        positions = np.flatnonzero(kept)  # ``times`` are those packets', from ``start``
        begin = 0
        for i in range(1, len(positions) + 1):
            if i == len(positions) or packets.keys[positions[i]]:
                if any(times[j] in chosen for j in range(begin, i)):
                    needed[positions[begin:i]] = True
                begin = i
    largest_step = float(np.max(np.diff(ordered))) if len(ordered) > 1 else step
    return _Timeline(start, targets, end_time, int(kept.sum()), needed, largest_step, packets)


def _iter_fast_frames(path: str, check_truncation: bool, counts: dict | None,
                      ) -> Iterator[tuple[int, Any, float, float]]:
    """``(t, frame, its time, the exact rule's time)`` of each second, decoding as little as it can.

    See "Frame selection" in the module's documentation.  ``counts`` (a dict), when given, receives
    ``frames`` (decodable ones in the stream) and ``decoded`` (frames the decoder made).
    """
    import av

    container = _open(path)
    try:
        if not container.streams.video:
            raise MissingStreamError(f"Movie file {path} has no video stream.")
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 0)
        try:
            timeline = _packet_timeline(container, stream, path, rate)
        except av.error.FFmpegError as exc:
            raise MediaDecodeError(f"Cannot read the video of {path} (corrupt file?): {exc}") from exc
    finally:
        container.close()
    if timeline is None:  # no timestamps to plan with: the exact rule, every frame decoded
        for t, frame in _iter_chosen_frames(path, check_truncation):
            time = float(frame.pts * frame.time_base) if frame.pts is not None else math.nan
            yield t, frame, time, time
        return
    state = {"decoded": 0, "end": None}
    try:
        yield from _decode_fast(path, timeline, state)
    finally:
        if counts is not None:
            counts.update(frames=state.get("frames", timeline.n_frames), decoded=state["decoded"])
    declared, end_time = timeline.packets.declared, state["end"] if state["end"] is not None else timeline.end_time
    if check_truncation and declared is not None and end_time < declared - TRUNCATION_TOLERANCE_S:
        missing = f" (no frame decoded near second {state['second']})" if state["end"] is not None else ""
        raise MediaDecodeError(
            f"Movie file {path} looks truncated: its video declares {declared:.2f} s but "
            f"decoding stopped at {end_time:.2f} s{missing}."
        )


def _decode_fast(path: str, timeline: _Timeline, state: dict) -> Iterator[tuple[int, Any, float, float]]:
    """The decoding of :func:`_iter_fast_frames`; ``state`` receives counts and where decoding stopped short."""
    import av

    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads cost ~1/3 more CPU here (film benchmark), which embedders need
        context = stream.codec_context
        # With reordering, frames shown before the first keyframe may decode or not: until the first frame
        # comes out, everything is decoded as exact does, and the plan counts time from that frame.
        replan = timeline.needed is None
        context.skip_frame = "DEFAULT" if replan else "NONREF"  # NONREF: frames no other frame needs are skipped
        next_t, index, gap = 0, 0, 0.0  # gap: the largest interval between consecutive decoded frames
        previous: tuple[Any, float] | None = None  # the latest decoded frame at or before targets[next_t]
        try:
            for packet in container.demux(stream):
                if packet.size:
                    index += 1
                    if timeline.needed is not None and not timeline.needed[index - 1]:
                        continue
                for frame in packet.decode():
                    if frame.pts is None:
                        continue
                    time = float(frame.pts * frame.time_base)
                    if replan:
                        replan, context.skip_frame = False, "NONREF"
                        if abs(time - timeline.start) > 1e-6:
                            timeline = _plan(path, timeline.packets, time)
                            state["frames"] = timeline.n_frames
                    time -= timeline.start
                    state["decoded"] += 1
                    if previous is not None:
                        gap = max(gap, time - previous[1])
                    targets, n_seconds = timeline.targets, len(timeline.targets)
                    while next_t < n_seconds and time > targets[next_t]:
                        target = targets[next_t]
                        # The nearer one; the earlier one on a tie (times are floats: a tie within 1 us).
                        if previous is None or time - target < target - previous[1] - 1e-6:
                            yield next_t, frame, time, float(target)
                        else:
                            yield next_t, previous[0], previous[1], float(target)
                        next_t += 1
                    if next_t == n_seconds:
                        return
                    previous = (frame, time)
        except av.error.FFmpegError as exc:
            raise MediaDecodeError(f"Cannot decode the video of {path} (corrupt file?): {exc}") from exc
        if previous is None:
            raise MediaDecodeError(f"Movie file {path} has a video stream without any decodable frame.")
        # Past the last decoded frame: a target farther than the decoded frames' spacing (plus a planned
        # frame interval) means the tail did not decode (damaged, cut): stop there as exact does.
        allowance = gap + timeline.largest_step
        for t in range(next_t, len(timeline.targets)):
            if timeline.targets[t] - previous[1] > allowance + 1e-6:
                state.update(end=previous[1], second=t)
                return
            yield t, previous[0], previous[1], float(timeline.targets[t])
    finally:
        container.close()


@dataclass(frozen=True)
class FrameSelectionReport:
    """How a frame selection chose the frames of one movie (:func:`frame_selection_report`).

    Attributes
    ----------
    frame_selection : str
    n_seconds : int
    n_frames : int
        Frames in the video stream that can be decoded (from the first keyframe on: a file cut
        mid-GOP starts with frames that cannot).
    n_decoded : int
        Frames the decoder made.
    offsets : ndarray of shape (n_seconds,)
        Presentation time of each second's chosen frame minus that of the exact rule's frame (s).

    Examples
    --------
    The exact rule on a silent 3-second movie at 2 frames per second
    (:func:`~sklearn_emotion.datasets.make_test_movie`) decodes all six frames and chooses each second's own:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import frame_selection_report
    >>> report = frame_selection_report(make_test_movie(tempfile.mkdtemp(), frequency=None), "exact")
    >>> report.frame_selection, report.n_seconds, report.n_frames, report.n_decoded, report.offsets.tolist()
    ('exact', 3, 6, 6, [0.0, 0.0, 0.0])
    """

    frame_selection: str
    n_seconds: int
    n_frames: int
    n_decoded: int
    offsets: np.ndarray

    @property
    def max_offset(self) -> float:
        """The largest absolute offset, in seconds."""
        return float(np.max(np.abs(self.offsets))) if len(self.offsets) else 0.0


def frame_selection_report(path: str | os.PathLike, frame_selection: str = "fast") -> FrameSelectionReport:
    """Decode a movie's video as ``frame_selection`` does (no conversion) and say what it decoded and chose.

    For checking and documenting the fast selection: how many frames it decodes, and how far each
    chosen frame is from the exact rule's.  ``"exact"`` decodes every frame (offsets all 0).

    Examples
    --------
    A generated 4-second movie at 4 frames per second:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.media.decoding import frame_selection_report
    >>> data = make_movie_files(tempfile.mkdtemp(), 1, min_seconds=4, max_seconds=4, random_state=0)
    >>> report = frame_selection_report(data.videos[0], "exact")
    >>> report.n_seconds, report.n_frames, report.n_decoded, report.max_offset
    (4, 16, 16, 0.0)
    >>> report = frame_selection_report(data.videos[0], "fast")
    >>> report.n_decoded <= report.n_frames, report.max_offset < 1
    (True, True)
    """
    check_frame_selection(frame_selection)
    path = os.fspath(path)
    if frame_selection == "exact":
        chosen = list(_iter_chosen_frames(path, True))
        with _open(path) as container:
            stream = container.streams.video[0]
            timeline = _packet_timeline(container, stream, path, float(stream.average_rate or 0))
        with _open(path) as container:  # without timestamps to plan with: every packet
            n_frames = timeline.n_frames if timeline is not None else sum(
                1 for packet in container.demux(container.streams.video[0]) if packet.size)
        return FrameSelectionReport("exact", len(chosen), n_frames, n_frames, np.zeros(len(chosen)))
    counts: dict = {}
    offsets = [chosen - exact for _t, _frame, chosen, exact in _iter_fast_frames(path, True, counts)]
    return FrameSelectionReport("fast", len(offsets), counts["frames"], counts["decoded"], np.asarray(offsets))


def _declared_video_durations(container: Any, stream: Any) -> tuple[float | None, float | None]:
    """The video's declared duration (the stream's; the container's when the video is alone) and the container's."""
    declared = _stream_duration(stream)
    container_duration = None if container.duration is None else container.duration / 1_000_000
    if declared is None and container_duration is not None and len(container.streams) == 1:
        declared = container_duration
    return declared, container_duration


def _past_declared_end(path: str, time: float, bound: float) -> MediaDecodeError:
    return MediaDecodeError(
        f"Movie file {path} has a video frame at {time:.1f} s but declares at most "
        f"{(bound - DECLARED_END_MARGIN_S) / DECLARED_END_FACTOR:.1f} s (damaged or crafted timestamps); "
        "refused rather than repeating one frame for every second in between."
    )


def _video_end(last: float, own_duration: float, step: float, declared: float | None,
               container_duration: float | None) -> float:
    """When the video ends: its last frame (at ``last``) plus that frame's duration.

    The frame's own duration when the container gives one; otherwise the interval ``step`` before
    it, cut at the video's declared end (stream, else container) when that falls inside the frame:
    after a variable-rate gap, the interval before the last frame is no measure of its length.
    """
    if own_duration > 0:
        return last + own_duration
    end = last + step
    for value in (declared, container_duration):
        if value is not None and value > last:  # a declared end before the last frame is wrong
            return min(end, value)
    return end


def iter_audio_chunks(path: str, sample_rate: int) -> Iterator[np.ndarray]:
    """Decode the first audio stream to mono float32 chunks at ``sample_rate``.

    Examples
    --------
    The 440 Hz tone of a 3-second movie (:func:`~sklearn_emotion.datasets.make_test_movie`), chunk by chunk:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import iter_audio_chunks
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> chunks = list(iter_audio_chunks(str(path), 16000))
    >>> chunks[0].dtype, chunks[0].ndim, round(sum(len(chunk) for chunk in chunks) / 16000, 1)
    (dtype('float32'), 1, 3.0)
    """
    import av

    container = _open(path)
    try:
        if not container.streams.audio:
            raise MissingStreamError(f"Movie file {path} has no audio track.")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1)
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1)
        except av.error.FFmpegError as exc:
            raise MediaDecodeError(f"Cannot decode the audio of {path} (corrupt file?): {exc}") from exc
    finally:
        container.close()


def iter_audio_windows(
    source: str | os.PathLike | tuple[np.ndarray, int],
    *,
    sample_rate: int,
    window: int,
) -> Iterator[tuple[int, np.ndarray]]:
    """Stream, for each whole second ``t`` of an audio track, ``window`` samples from ``t * sample_rate``.

    Parameters
    ----------
    source : str, path-like or (waveform, rate)
        A movie or audio file, or an already-decoded mono waveform with its sample rate (resampled
        with librosa when the rate differs).
    sample_rate : int
        Rate the model needs (e.g. 16000).
    window : int
        Samples per window; windows longer than a second overlap the next one, and the last ones
        are zero-padded past the end of the track.

    Yields
    ------
    t : int
    samples : ndarray of shape (window,), float32

    Examples
    --------
    One window per second, of a 3-second movie's 440 Hz tone (:func:`~sklearn_emotion.datasets.make_test_movie`)
    and of a waveform in memory:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import iter_audio_windows, read_audio
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> [(t, window.shape) for t, window in iter_audio_windows(path, sample_rate=16000, window=15600)]
    [(0, (15600,)), (1, (15600,)), (2, (15600,))]
    >>> waveform = read_audio(path, sample_rate=8000)  # resampled to 16 kHz by iter_audio_windows
    >>> [(t, window.shape) for t, window in iter_audio_windows((waveform, 8000), sample_rate=16000, window=8000)]
    [(0, (8000,)), (1, (8000,)), (2, (8000,))]
    """
    if isinstance(source, tuple):
        chunks = iter([as_waveform(source, sample_rate)])
    else:
        chunks = iter_audio_chunks(os.fspath(source), sample_rate)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # absolute index of buffer[0]
    total = 0
    next_t = 0
    need = max(window, sample_rate)
    for chunk in chunks:
        buffer = np.concatenate([buffer, chunk.astype(np.float32, copy=False)])
        total += len(chunk)
        while total >= next_t * sample_rate + need:
            begin = next_t * sample_rate - offset
            yield next_t, buffer[begin : begin + window].copy()
            next_t += 1
        drop = next_t * sample_rate - offset
        if drop > 0:  # keep only what later windows still need
            buffer = buffer[drop:]
            offset += drop
    n_seconds = total // sample_rate
    while next_t < n_seconds:
        begin = next_t * sample_rate - offset
        samples = np.zeros(window, dtype=np.float32)
        piece = buffer[begin : begin + window]
        samples[: len(piece)] = piece
        yield next_t, samples
        next_t += 1


def as_waveform(source: tuple[np.ndarray, int], sample_rate: int) -> np.ndarray:
    """A decoded ``(waveform, rate)`` as mono float32 samples at ``sample_rate`` (channels averaged, resampled).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.media.decoding import as_waveform
    >>> rate = 16000
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)
    >>> stereo = np.stack([tone, -tone])  # (channels, samples)
    >>> mono = as_waveform((stereo, rate), rate)
    >>> mono.shape, mono.dtype, float(np.abs(mono).max())  # the channels cancel out
    ((48000,), dtype('float32'), 0.0)

    Another ``sample_rate`` than the waveform's resamples it with librosa.
    """
    waveform, rate = source
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim == 2:  # (channels, samples) -> mono
        if waveform.shape[0] > waveform.shape[1]:  # soundfile's (samples, channels) would average the wrong axis
            raise ValueError(
                f"A decoded waveform of shape {waveform.shape} has more channels than samples: give it as "
                f"(channels, samples), librosa's layout (for soundfile's (samples, channels), pass waveform.T)."
            )
        waveform = waveform.mean(axis=0)
    if waveform.ndim != 1:
        raise ValueError(
            f"A decoded waveform must be 1-D (samples) or 2-D (channels, samples), got shape {waveform.shape}."
        )
    if int(rate) != sample_rate:
        import librosa

        waveform = librosa.resample(waveform, orig_sr=int(rate), target_sr=sample_rate).astype(np.float32)
    return waveform


def read_audio(source: str | os.PathLike | tuple[np.ndarray, int], *, sample_rate: int) -> np.ndarray:
    """Decode a whole audio track to a mono float32 waveform at ``sample_rate``.

    Holds the whole track in memory: for clips; movies go through :func:`iter_audio_windows`.

    Examples
    --------
    The whole sound track of a 3-second movie with a 440 Hz tone (:func:`~sklearn_emotion.datasets.make_test_movie`),
    resampled to 8 kHz:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import read_audio
    >>> path = make_test_movie(tempfile.mkdtemp())
    >>> waveform = read_audio(path, sample_rate=8000)
    >>> waveform.dtype, round(len(waveform) / 8000, 1)  # seconds (the encoder may pad a few milliseconds)
    (dtype('float32'), 3.0)
    """
    if isinstance(source, tuple):
        return as_waveform(source, sample_rate)
    chunks = list(iter_audio_chunks(os.fspath(source), sample_rate))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def source_name(source: Any, index: int) -> str:
    """How to name a movie in messages: its path, or its index when it is already decoded."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return f"movie {index}"


def is_path(source: Any) -> bool:
    """Whether a movie is given as a file path."""
    return isinstance(source, (str, os.PathLike)) and not isinstance(source, bytes)

