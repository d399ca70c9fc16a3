"""Small WebM copies of movies (VP9 video, Opus sound) that every current browser plays.

A report links the movie itself by default.  A *proxy* is for when that is not possible or not
wanted: a codec the browser lacks (e.g. H.264 in a Chromium built without it, HEVC, MPEG-4 part 2
in AVI), a report folder that should travel without the original file, or a multi-gigabyte movie
on a slow disk.  It keeps the movie's timing (times start at 0 like the browser's ``currentTime``)
and shrinks the picture to at most ``max_height`` lines, upright.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write_bytes

_MILLISECOND = Fraction(1, 1000)
_AUDIO_RATE = 48000
#: libvpx-vp9 in real-time mode at a constant quality: a 2-hour movie at 360 lines in minutes, ~0.3 GB.
_VIDEO_OPTIONS = {"deadline": "realtime", "cpu-used": "8", "crf": "36", "b": "0", "row-mt": "1"}


def proxy_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    """``(width, height)`` of the copy of an upright ``width x height`` picture: even, ``max_height`` high at most."""
    scale = min(1.0, max_height / height)
    even = [max(2, round(side * scale / 2) * 2) for side in (width, height)]
    return even[0], even[1]


def _quarter_turns(source: Path) -> int:
    """Quarter turns (counter-clockwise) the first frame's display matrix asks for."""
    import av

    with av.open(os.fspath(source)) as container:
        for frame in container.decode(video=0):
            rotation = round(getattr(frame, "rotation", 0) or 0) % 360
            return rotation // 90 if rotation % 90 == 0 else 0
    return 0


def _start_time(container: Any) -> float:
    starts = [float(s.start_time * s.time_base) for s in (container.streams.video[:1] + container.streams.audio[:1])
              if s.start_time is not None and s.time_base is not None]
    return min(starts, default=0.0)


class _Writer:
    """Re-encodes the decoded frames of one movie into an open WebM container, in order."""

    def __init__(self, output: Any, source: Any, max_height: int, turns: int) -> None:
        self.output, self.turns, self.start = output, turns, _start_time(source)
        video_in = source.streams.video[0]
        width, height = video_in.codec_context.width, video_in.codec_context.height
        if turns % 2:
            width, height = height, width
        self.size = proxy_size(width, height, max_height)
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(25)
        self.video = output.add_stream("libvpx-vp9", rate=Fraction(rate).limit_denominator(1001))
        self.video.width, self.video.height = self.size
        self.video.pix_fmt = "yuv420p"
        self.video.options = dict(_VIDEO_OPTIONS)
        self.video.time_base = self.video.codec_context.time_base = _MILLISECOND
        self.last_pts, self.sound, self.samples = -1, None, None
        if source.streams.audio:
            layout = "stereo" if source.streams.audio[0].codec_context.channels >= 2 else "mono"
            self.sound = output.add_stream("libopus", rate=_AUDIO_RATE)
            self.sound.layout, self.sound.format = layout, "flt"
            self.resampler = _resampler(layout)

    def add_video(self, frame: Any) -> None:
        import av

        if frame.time is None:
            return
        pts = round((frame.time - self.start) * 1000)
        if pts <= self.last_pts:  # a frame with the time of the previous one: the encoder refuses it
            return
        self.last_pts = pts
        if self.turns:
            image = frame.reformat(width=self.size[1] if self.turns % 2 else self.size[0],
                                   height=self.size[0] if self.turns % 2 else self.size[1], format="rgb24")
            image = np.ascontiguousarray(np.rot90(image.to_ndarray(), k=self.turns))
            picture = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        else:
            picture = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        picture.pts, picture.time_base = pts, _MILLISECOND
        self.output.mux(self.video.encode(picture))

    def add_audio(self, frame: Any) -> None:
        if self.sound is None:
            return
        if self.samples is None:  # the first sound: its place on the time line
            offset = 0.0 if frame.time is None else frame.time - self.start
            self.samples = max(0, round(offset * _AUDIO_RATE))
        frame.pts = None
        for block in self.resampler.resample(frame):
            self._encode_audio(block)

    def _encode_audio(self, block: Any) -> None:
        block.pts, block.time_base = self.samples, Fraction(1, _AUDIO_RATE)
        self.samples += block.samples
        self.output.mux(self.sound.encode(block))

    def close(self) -> None:
        self.output.mux(self.video.encode(None))
        if self.sound is not None:
            for block in self.resampler.resample(None):
                self._encode_audio(block)
            self.output.mux(self.sound.encode(None))


def _resampler(layout: str) -> Any:
    import av

    return av.AudioResampler(format="flt", layout=layout, rate=_AUDIO_RATE, frame_size=960)  # Opus: 20-ms frames


def make_proxy(source: str | os.PathLike, destination: str | os.PathLike, *, max_height: int = 360) -> Path:
    """Write a small WebM copy (VP9 + Opus) of a movie file, atomically.

    Parameters
    ----------
    source : str or path-like
        The movie (any container and codecs FFmpeg reads).
    destination : str or path-like
        The ``.webm`` file to write (parent folders are created).
    max_height : int, default=360
        Largest height of the proxy's picture, in pixels (smaller movies keep their size).

    Returns
    -------
    Path
        ``destination``.

    Raises
    ------
    FileNotFoundError
        When ``source`` does not exist.
    ValueError
        When it cannot be read or has no video stream; one line naming the file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.datasets.movies import write_movie_file
    >>> from sklearn_emotion.media.decoding import probe
    >>> from sklearn_emotion.report import make_proxy
    >>> folder = Path(tempfile.mkdtemp())
    >>> frames = np.zeros((4, 480, 640, 3), dtype=np.uint8)
    >>> movie = write_movie_file(folder / "movie.mp4", frames, fps=2, audio=np.zeros(32000, dtype=np.float32))
    >>> proxy = make_proxy(movie, folder / "media" / "movie.webm", max_height=120)
    >>> info = probe(proxy)
    >>> info.width, info.height, info.has_audio
    (160, 120, True)
    """
    import av

    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"Movie file not found: {source}")
    try:
        turns = _quarter_turns(source)
        with av.open(os.fspath(source)) as container:
            if not container.streams.video:
                raise ValueError(f"{source} has no video stream: a report needs a picture to show.")
            streams = container.streams.video[:1] + container.streams.audio[:1]
            container.streams.video[0].thread_type = "AUTO"

            def write(out: Any) -> None:
                with av.open(out, mode="w", format="webm") as output:
                    writer = _Writer(output, container, max_height, turns)
                    for packet in container.demux(*streams):
                        for frame in packet.decode():
                            (writer.add_video if packet.stream.type == "video" else writer.add_audio)(frame)
                    writer.close()

            return atomic_write_bytes(destination, write)
    except av.error.FFmpegError as exc:
        raise ValueError(f"Cannot make a WebM proxy of {source}: {' '.join(str(exc).split())}") from exc
