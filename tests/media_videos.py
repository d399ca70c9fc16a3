"""Build small real test movies with PyAV: real photos, frame numbers painted in, real tones.

Every frame carries its global frame index as a strip of black/white blocks along its top edge
(:func:`read_index` reads it back), robust to lossy compression, so that tests can check which frame
the decoder chose for each second.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

#: Blocks in the index strip (enough for 1023 frames) and the strip's height in pixels.
INDEX_BITS = 10
STRIP_HEIGHT = 16

CONTAINERS = {
    # suffix: (video codec, audio codec, pixel format)
    ".mp4": ("libx264", "aac", "yuv420p"),
    ".mkv": ("libx264", "flac", "yuv420p"),
    ".webm": ("libvpx", "libopus", "yuv420p"),
    ".avi": ("mpeg4", "libmp3lame", "yuv420p"),
}


def photo(name: str, size: tuple[int, int]) -> np.ndarray:
    """A scikit-image sample photo (``astronaut``, ``chelsea``, ``coffee``) resized to ``(width, height)``."""
    from skimage import data
    from skimage.transform import resize

    image = getattr(data, name)()
    width, height = size
    return (resize(image, (height, width), anti_aliasing=True) * 255).round().astype(np.uint8)


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
    path = Path(path)
    video_codec, audio_codec, pix_fmt = CONTAINERS[path.suffix]
    seconds = len(photos)
    if frame_times is None:
        n_frames = int(round(seconds * fps))
        frame_times = [k / fps for k in range(n_frames)]
    height, width = photos[0].shape[:2]
    time_base = Fraction(1, 1000)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(video_codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if frame_times is not None or path.suffix != ".avi":  # AVI ticks are frames
            stream.time_base = time_base
            stream.codec_context.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        audio_stream = None
        if audio is not None:
            audio_stream = container.add_stream(audio_codec, rate=sample_rate)
            audio_stream.layout = "mono"
        for index, time in enumerate(frame_times):
            image = paint_index(photos[min(int(time), seconds - 1)], index)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = int(round(time * 1000))
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        # Close the last frame's display interval at the movie's end.
        for packet in stream.encode(None):
            container.mux(packet)
        if audio_stream is not None:
            _encode_audio(container, audio_stream, audio, sample_rate)
    return path


def _encode_audio(container, stream, audio: np.ndarray, sample_rate: int) -> None:
    frame_size = stream.codec_context.frame_size or 1024
    samples = np.asarray(audio, dtype=np.float32)
    for start in range(0, len(samples), frame_size):
        block = samples[start : start + frame_size]
        if len(block) < frame_size and stream.codec_context.frame_size:
            block = np.pad(block, (0, frame_size - len(block)))
        frame = av.AudioFrame.from_ndarray(block[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = 16000) -> Path:
    """Write a mono audio file (.wav as 16-bit PCM, .mp3 with LAME)."""
    path = Path(path)
    codec = {".wav": "pcm_s16le", ".mp3": "libmp3lame", ".flac": "flac"}[path.suffix]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=sample_rate)
        stream.layout = "mono"
        if codec == "pcm_s16le":
            data = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
            for start in range(0, len(data), 4096):
                frame = av.AudioFrame.from_ndarray(data[None, start : start + 4096], format="s16", layout="mono")
                frame.sample_rate = sample_rate
                frame.pts = start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        else:
            _encode_audio(container, stream, samples, sample_rate)
    return path
