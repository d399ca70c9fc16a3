"""Small real test movies: real photos, frame numbers painted in, real tones.

Every frame carries its global frame index as a strip of black/white blocks along its top edge
(:func:`read_index` reads it back), robust to lossy compression, so that tests can check which frame
the decoder chose for each second.  Encoding is the package's own
:func:`sklearn_emotion.datasets.movies.write_movie_file`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from sklearn_emotion.datasets.movies import sample_photo, write_movie_file

#: Blocks in the index strip (enough for 1023 frames) and the strip's height in pixels.
INDEX_BITS = 10
STRIP_HEIGHT = 16


def photo(name: str, size: tuple[int, int]) -> np.ndarray:
    """A scikit-image sample photo (``astronaut``, ``chelsea``, ``coffee``) as uint8 RGB of ``(width, height)``."""
    return (sample_photo(name, size) * 255).round().astype(np.uint8)


def paint_index(image: np.ndarray, index: int) -> np.ndarray:
    """Copy of ``image`` with ``index`` written in binary as blocks along the top edge."""
    out = image.copy()
    width = out.shape[1] // INDEX_BITS
    for bit in range(INDEX_BITS):
        out[:STRIP_HEIGHT, bit * width : (bit + 1) * width] = 255 if (index >> bit) & 1 else 0
    return out


def read_index(image: np.ndarray) -> int:
    """Read back the index painted by :func:`paint_index` (from a decoded, possibly resized frame)."""
    height = max(1, round(image.shape[0] * STRIP_HEIGHT / 240 * 0.5))
    width = image.shape[1] / INDEX_BITS
    value = 0
    for bit in range(INDEX_BITS):
        left, right = int(bit * width + width * 0.25), int((bit + 1) * width - width * 0.25)
        if image[1:height, left:right].mean() > 127:
            value |= 1 << bit
    return value


def tone(seconds: float, rate: int, frequency: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    """A sine tone, float32 mono."""
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def write_video(
    path: str | Path,
    photos: Sequence[np.ndarray],
    *,
    fps: float = 5,
    frame_times: Sequence[float] | None = None,
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
    rotation: int | None = None,
) -> Path:
    """Write a movie whose second ``t`` shows ``photos[t]`` with each frame's index painted in.

    Parameters
    ----------
    path : path with suffix .mp4, .mkv, .webm or .avi
    photos : sequence of (H, W, 3) uint8
        One photo per second; the movie lasts ``len(photos)`` seconds.
    fps : float
        Constant frame rate (ignored when ``frame_times`` is given).
    frame_times : sequence of float, optional
        Explicit presentation times (variable frame rate), in seconds, increasing.
    audio : 1-D float array, optional
        Mono audio track at ``sample_rate``.
    rotation : int, optional
        Display rotation to declare in the stream's metadata (degrees).
    """
    seconds = len(photos)
    times = frame_times if frame_times is not None else [k / fps for k in range(int(round(seconds * fps)))]
    frames = (paint_index(photos[min(int(time), seconds - 1)], index) for index, time in enumerate(times))
    return write_movie_file(
        path, frames, fps=fps, frame_times=frame_times, audio=audio, sample_rate=sample_rate, rotation=rotation
    )


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = 16000) -> Path:
    """Write a mono audio file (.wav as 16-bit PCM, .mp3 with LAME, .flac)."""
    return write_movie_file(path, None, audio=np.clip(samples, -1, 1), sample_rate=sample_rate)


def write_vfr_video(
    path: str | Path,
    frame_times: Sequence[float],
    *,
    end: float,
    size: tuple[int, int] = (64, 48),
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
    time_base: Fraction = Fraction(1, 90000),
) -> Path:
    """Write a variable-frame-rate movie with PyAV, each frame's timestamp set explicitly.

    Frame ``k`` (the ``astronaut`` photo with ``k`` painted in, see :func:`read_index`) is shown at
    ``frame_times[k]`` seconds and lasts until the next frame, the last one until ``end`` (each
    frame's duration is given to the encoder, so the container records it where it can).

    Parameters
    ----------
    path : path with suffix .mp4 or .mkv (H.264), .avi (MPEG-4 part 2, millisecond timestamps)
    frame_times : increasing presentation times in seconds
    end : float
        When the last frame ends.
    time_base : Fraction
        Timestamps' unit (fine by default: 1/90000 s, as MPEG streams).
    """
    import av

    path = Path(path)
    suffix = path.suffix.lower()
    codec = {".mp4": "libx264", ".mkv": "libx264", ".avi": "mpeg4"}[suffix]
    if codec == "mpeg4":  # its timestamps are limited to 16-bit resolution
        time_base = Fraction(1, 1000)
    image = photo("astronaut", size)
    ends = list(frame_times[1:]) + [end]
    with av.open(str(path), mode="w") as container:
        # Some muxers (MP4) take the last frame's duration from the declared rate: 1 / that duration.
        video = container.add_stream(codec, rate=Fraction(1 / (end - frame_times[-1])).limit_denominator(1000))
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.time_base = video.codec_context.time_base = time_base
        if codec == "libx264":  # no B-frames: decoding timestamps follow the frames' own times
            video.options = {"bf": "0"}
        if audio is not None:
            sound = container.add_stream("aac", rate=sample_rate)
            sound.layout = "mono"
        for index, (time, stop) in enumerate(zip(frame_times, ends)):
            frame = av.VideoFrame.from_ndarray(paint_index(image, index), format="rgb24")
            frame.time_base = time_base
            frame.pts = int(round(time / time_base))
            frame.duration = int(round(stop / time_base)) - frame.pts
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if audio is not None:
            samples = np.clip(audio, -1, 1).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = sample_rate
            for packet in sound.encode(frame):
                container.mux(packet)
            for packet in sound.encode(None):
                container.mux(packet)
    return path
