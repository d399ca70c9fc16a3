"""Real movie files whose pictures and sounds follow known per-second valence and arousal.

:func:`make_movie_files` writes short MP4 movies (H.264 video, AAC audio) and their annotation files,
to exercise the whole chain -- decoding, pretrained embeddings, sequence models, smoothing -- on data
whose answer is known, offline.  Each movie is a sequence of *scenes* (8-20 s) with their own emotion
levels.  Valence drives what is shown and heard: pleasant photos (a cat, an astronaut's smiling face,
a cup of coffee) for positive scenes and bleak ones (gravel, the moon, a deep-sky field, a grey street
photo) for negative ones, brighter and warmer frames the higher it is, and a higher, major chord
rather than a lower, minor one.  Arousal drives camera shake and film grain, and the loudness and
pulse rate of the sound.  The photos are scikit-image's sample images.  The annotations follow the
content with an exponential lag of a few seconds, as human annotators react with a delay.

:func:`write_movie_file` is the encoder behind it: frames and a mono waveform to a movie (or audio)
file in any of a few containers, written atomically.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ..data import TARGET_NAMES
from ..files import atomic_write_bytes, read_curves

__all__ = [
    "make_movie_files",
    "write_movie_file",
    "make_test_movie",
    "emotion_curves",
    "render_frame",
    "synthesize_audio",
    "sample_photo",
    "POSITIVE_PHOTOS",
    "NEGATIVE_PHOTOS",
    "SAMPLE_RATE",
]

POSITIVE_PHOTOS = ("chelsea", "astronaut", "coffee")
NEGATIVE_PHOTOS = ("gravel", "moon", "hubble_deep_field", "camera")
#: Sample rate of the generated sound tracks.
SAMPLE_RATE = 16000
#: Containers :func:`write_movie_file` writes: suffix -> (format, video codec, audio codec).
VIDEO_CONTAINERS = {
    ".mp4": ("mp4", "libx264", "aac"),
    ".mkv": ("matroska", "libx264", "flac"),
    ".webm": ("webm", "libvpx", "libopus"),
    ".avi": ("avi", "mpeg4", "libmp3lame"),
}
#: Audio-only containers: suffix -> (format, audio codec).
AUDIO_CONTAINERS = {".wav": ("wav", "pcm_s16le"), ".mp3": ("mp3", "libmp3lame"), ".flac": ("flac", "flac")}
_TIME_BASE = Fraction(1, 1000)
#: The generated movies' encoder settings: fast, at the default quality.
_FAST_H264 = {"preset": "veryfast", "crf": "23"}
#: Bumped when the generated content changes, so that older corpora are regenerated.
_CORPUS_VERSION = 1
_MANIFEST = "corpus.json"


# ------------------------------------------------------------------------------------ content
def sample_photo(name: str, size: tuple[int, int]) -> np.ndarray:
    """A scikit-image sample photo (e.g. ``"astronaut"``) as float32 RGB in [0, 1], resized to ``(width, height)``."""
    from skimage import data
    from skimage.transform import resize

    image = getattr(data, name)()
    if image.ndim == 2:  # grey photos ("camera", "moon")
        image = np.repeat(image[..., None], 3, axis=2)
    width, height = size
    photo = resize(image[..., :3], (height, width), anti_aliasing=True).astype(np.float32)
    return photo / 255.0 if photo.max() > 1.0 else photo


def emotion_curves(n_seconds: int, lag: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list]:
    """Scene-wise content drivers and the lagged "annotations" of one movie.

    Returns
    -------
    drivers : ndarray of shape (T, 2)
        Valence and arousal expressed by the content at each second.
    annotations : ndarray of shape (T, 2)
        The drivers followed with an exponential lag of time constant ``lag`` seconds, in [-1, 1].
    scenes : list of (start, stop, photo index)
    """
    drivers = np.empty((n_seconds, 2))
    scenes = []
    start = 0
    while start < n_seconds:
        stop = min(n_seconds, start + int(rng.integers(8, 21)))
        level = rng.uniform(-0.85, 0.85, size=2)
        t = np.arange(stop - start)
        drift = 0.12 * np.sin(2 * np.pi * t / rng.uniform(10, 30) + rng.uniform(0, 2 * np.pi, size=(1, 2)).T).T
        drivers[start:stop] = np.clip(level + drift, -1, 1)
        scenes.append((start, stop, int(rng.integers(0, 1 << 16))))
        start = stop
    annotations = np.empty_like(drivers)
    annotations[0] = drivers[0]
    step = 1.0 - np.exp(-1.0 / lag)
    for t in range(1, n_seconds):
        annotations[t] = annotations[t - 1] + step * (drivers[t] - annotations[t - 1])
    return drivers, np.clip(annotations, -1, 1), scenes


def render_frame(photo: np.ndarray, valence: float, arousal: float, rng: np.random.Generator) -> np.ndarray:
    """One uint8 frame: brighter and warmer with valence, shakier and grainier with arousal."""
    w, s = (valence + 1) / 2, (arousal + 1) / 2
    image = photo * (0.3 + 0.7 * w)
    image = image * np.array([1 + 0.3 * valence, 1.0, 1 - 0.3 * valence], dtype=np.float32)
    shake = int(round(10 * s))
    if shake:
        image = np.roll(image, (int(rng.integers(-shake, shake + 1)), int(rng.integers(-shake, shake + 1))), axis=(0, 1))
    image = image + rng.normal(0, 0.15 * s, size=image.shape[:2] + (1,)).astype(np.float32)
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def synthesize_audio(drivers: np.ndarray, rng: np.random.Generator, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A chord whose pitch and mode follow valence and whose loudness and pulse follow arousal."""
    n = len(drivers) * rate
    t = np.arange(n) / rate
    valence = np.interp(t, np.arange(len(drivers)) + 0.5, drivers[:, 0])
    arousal = (np.interp(t, np.arange(len(drivers)) + 0.5, drivers[:, 1]) + 1) / 2
    root = 220.0 * 2 ** (0.5 * valence)  # 156 Hz (negative) to 311 Hz (positive)
    third = root * 2 ** ((3.5 + 0.5 * valence) / 12)  # minor third -> major third
    fifth = root * 2 ** (7 / 12)
    chord = sum(np.sin(2 * np.pi * np.cumsum(f) / rate) for f in (root, third, fifth)) / 3
    pulse_rate = 1.0 + 5.0 * arousal
    pulse = 1 - arousal * 0.5 * (1 + np.cos(2 * np.pi * np.cumsum(pulse_rate) / rate))
    loudness = 0.05 + 0.55 * arousal
    noise = rng.normal(0, 1, n) * 0.08 * arousal
    return np.clip(loudness * pulse * chord + noise, -1, 1).astype(np.float32)


# ------------------------------------------------------------------------------------ encoding
def _encode_audio(container: Any, stream: Any, samples: np.ndarray, sample_rate: int) -> None:
    import av

    frame_size = stream.codec_context.frame_size or 1024
    samples = np.asarray(samples, dtype=np.float32)
    for start in range(0, len(samples), frame_size):
        block = samples[start : start + frame_size]
        if len(block) < frame_size and stream.codec_context.frame_size:  # codecs of fixed frame size (AAC)
            block = np.pad(block, (0, frame_size - len(block)))
        frame = av.AudioFrame.from_ndarray(block[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _add_video_stream(container: Any, codec: str, shape: tuple[int, ...], fps: float, rotation: int | None,
                      options: Mapping[str, str] | None) -> Any:
    stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
    stream.height, stream.width = shape[:2]
    stream.pix_fmt = "yuv420p"
    if options:
        stream.options = dict(options)
    # Millisecond timestamps: any frame times, constant rate or not, in every container.
    stream.time_base = stream.codec_context.time_base = _TIME_BASE
    if rotation is not None:
        stream.set_display_rotation(rotation)
    return stream


def _encode_video(container: Any, stream: Any, frames: Iterable[np.ndarray], fps: float,
                  frame_times: Sequence[float] | None) -> None:
    import av

    for index, image in enumerate(frames):
        time = frame_times[index] if frame_times is not None else index / fps
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts, frame.time_base = int(round(time * 1000)), _TIME_BASE
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):  # closes the last frame's display interval
        container.mux(packet)


def write_movie_file(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray] | None,
    *,
    fps: float = 4,
    frame_times: Sequence[float] | None = None,
    audio: np.ndarray | None = None,
    sample_rate: int = SAMPLE_RATE,
    rotation: int | None = None,
    video_options: Mapping[str, str] | None = None,
) -> Path:
    """Encode RGB frames and a mono sound track as a movie file, atomically.

    Parameters
    ----------
    path : str or path-like
        The suffix chooses the container and codecs: ``.mp4`` (H.264 + AAC), ``.mkv`` (H.264 +
        FLAC), ``.webm`` (VP8 + Opus), ``.avi`` (MPEG-4 + MP3), or, without frames, the audio-only
        ``.wav`` (16-bit PCM), ``.mp3`` and ``.flac``.
    frames : iterable of ndarray of shape (height, width, 3), uint8, or None
        The frames in display order (a generator is fine: they are encoded as they come).  Width
        and height must be even.  None for an audio-only file.
    fps : float, default=4
        Constant frame rate (frame ``k`` is shown at ``k / fps`` s), unless ``frame_times`` is given.
    frame_times : sequence of float, optional
        Presentation time of each frame in seconds, increasing (variable frame rate).
    audio : ndarray of shape (n_samples,), optional
        Mono float waveform in [-1, 1] at ``sample_rate``.
    sample_rate : int, default=16000
    rotation : int, optional
        Display rotation, in degrees, declared in the video stream's metadata.
    video_options : mapping of str to str, optional
        Options of the video encoder, e.g. ``{"preset": "veryfast"}`` for H.264 (default: the
        encoder's defaults).

    Returns
    -------
    Path
        ``path``.
    """
    import av

    path = Path(path)
    suffix = path.suffix.lower()
    if frames is None:
        if suffix not in AUDIO_CONTAINERS or audio is None:
            raise ValueError(f"{path}: an audio-only file needs audio and a suffix among {sorted(AUDIO_CONTAINERS)}.")
        container_format, audio_codec = AUDIO_CONTAINERS[suffix]
    elif suffix in VIDEO_CONTAINERS:
        container_format, video_codec, audio_codec = VIDEO_CONTAINERS[suffix]
    else:
        raise ValueError(f"{path}: cannot write a movie with suffix {suffix!r}; use one of {sorted(VIDEO_CONTAINERS)}.")

    if frames is not None:
        frames = iter(frames)
        first = next(frames, None)
        if first is None:
            raise ValueError(f"{path}: no frame to write.")
        frames = itertools.chain([first], frames)

    def write(out: Any) -> None:
        with av.open(out, mode="w", format=container_format) as container:
            # Every stream is declared before the first packet is muxed.
            if frames is not None:
                video = _add_video_stream(container, video_codec, first.shape, fps, rotation, video_options)
            if audio is not None:
                sound = container.add_stream(audio_codec, rate=sample_rate)
                sound.layout = "mono"
            if frames is not None:
                _encode_video(container, video, frames, fps, frame_times)
            if audio is not None:
                _encode_audio(container, sound, audio, sample_rate)

    return atomic_write_bytes(path, write)



def make_test_movie(
    folder: str | os.PathLike,
    *,
    name: str = "grey.mp4",
    seconds: int = 3,
    fps: int = 2,
    size: tuple[int, int] = (64, 48),
    frequency: float | None = 440.0,
    sample_rate: int = SAMPLE_RATE,
) -> Path:
    """Write a tiny movie whose every frame and sample is known: for examples and tests of the decoders.

    Frame ``i`` of the ``seconds * fps`` frames is uniformly grey, of level ``240 i / (seconds * fps)``
    (0, 40, 80, ..., 200 with the defaults), so that which frame a decoder picked for a second shows in
    its mean; the sound is a sine of amplitude 0.5 at ``frequency`` Hz lasting ``seconds``.

    Parameters
    ----------
    folder : str or path-like
        Where the movie goes (created if needed).
    name : str, default="grey.mp4"
        The file's name; its suffix chooses the container, as in :func:`write_movie_file`.
    seconds : int, default=3
        Duration.
    fps : int, default=2
        Constant frame rate.
    size : (int, int), default=(64, 48)
        Frame ``(width, height)``, both even.
    frequency : float or None, default=440.0
        Pitch of the tone; None writes no audio stream.
    sample_rate : int, default=16000
        Sample rate of the tone, in Hz.

    Returns
    -------
    Path
        ``folder / name``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.media.decoding import probe
    >>> folder = tempfile.mkdtemp()
    >>> movie = probe(make_test_movie(folder))  # 3 s at 2 fps with a 440 Hz tone
    >>> movie.width, movie.height, movie.average_rate, round(movie.duration, 1), movie.sample_rate
    (64, 48, 2.0, 3.0, 16000)
    >>> silent = probe(make_test_movie(folder, name="silent.mkv", seconds=2, fps=5, frequency=None))
    >>> silent.has_audio, silent.average_rate
    (False, 5.0)
    """
    width, height = size
    n_frames = seconds * fps
    levels = (240 * np.arange(n_frames) // n_frames).astype(np.uint8)
    frames = (np.full((height, width, 3), level, dtype=np.uint8) for level in levels)
    audio = None
    if frequency is not None:
        time = np.arange(seconds * sample_rate) / sample_rate
        audio = (0.5 * np.sin(2 * np.pi * frequency * time)).astype(np.float32)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return write_movie_file(Path(folder) / name, frames, fps=fps, audio=audio, sample_rate=sample_rate)


# ------------------------------------------------------------------------------------ corpus
def _plan_movie(seed: np.random.SeedSequence, min_seconds: int, max_seconds: int, lag: float):
    """The random draws of one movie, in the order that fixes its content: length, curves, frames' seed."""
    rng = np.random.default_rng(seed)
    n_seconds = int(rng.integers(min_seconds, max_seconds + 1))
    drivers, curves, scenes = emotion_curves(n_seconds, lag, rng)
    return rng, drivers, curves, scenes


def _write_movie(video: Path, rng: np.random.Generator, drivers: np.ndarray, scenes: list,
                 photos: dict[str, np.ndarray], fps: int) -> None:
    """Render and encode one movie: each scene's photo, lit and shaken by its second's emotion."""
    n_seconds = len(drivers)
    scene_of_second = np.empty(n_seconds, dtype=int)
    scene_photo = []
    for index, (start, stop, pick) in enumerate(scenes):
        scene_of_second[start:stop] = index
        pool = POSITIVE_PHOTOS if drivers[start:stop, 0].mean() >= 0 else NEGATIVE_PHOTOS
        scene_photo.append(photos[pool[pick % len(pool)]])
    frame_rng = np.random.default_rng(rng.integers(1 << 31))
    seconds = (min(index // fps, n_seconds - 1) for index in range(n_seconds * fps))
    frames = (render_frame(scene_photo[scene_of_second[t]], *drivers[t], frame_rng) for t in seconds)
    audio = synthesize_audio(drivers, rng)
    write_movie_file(video, frames, fps=fps, audio=audio, sample_rate=SAMPLE_RATE, video_options=_FAST_H264)


def _write_annotations(path: Path, curves: np.ndarray) -> None:
    """A MediaEval table: ``Time Valence Arousal``, tab separated, one row per second."""
    lines = ["Time\tValence\tArousal"] + [f"{t}\t{v:.4f}\t{a:.4f}" for t, (v, a) in enumerate(curves)]
    text = "\n".join(lines) + "\n"
    atomic_write_bytes(path, lambda out: out.write(text.encode()))


_DESCR = """\
Generated movies with known emotion curves
------------------------------------------

Short MP4 files (H.264 + AAC) made by sklearn_emotion.datasets.make_movie_files.  Valence drives the
photo shown (pleasant or bleak scikit-image sample photos), the brightness and warmth of the frames
and the pitch and mode of a chord; arousal drives camera shake, film grain, and the loudness and pulse
of the sound.  The annotations (MediaEval format, <movie>_Valence-Arousal.txt) follow this content
with an exponential lag: they are what a model should predict, and what a model with temporal
context can predict better than a per-second one.
"""


@validate_params(
    {
        "folder": [str, os.PathLike],
        "n_movies": [Interval(Integral, 1, None, closed="left")],
        "min_seconds": [Interval(Integral, 2, None, closed="left")],
        "max_seconds": [Interval(Integral, 2, None, closed="left")],
        "width": [Interval(Integral, 16, None, closed="left")],
        "height": [Interval(Integral, 16, None, closed="left")],
        "fps": [Interval(Integral, 1, None, closed="left")],
        "lag": [Interval(Real, 0, None, closed="neither")],
        "prefix": [str],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_movie_files(
    folder: str | os.PathLike,
    n_movies: int = 10,
    *,
    min_seconds: int = 60,
    max_seconds: int = 90,
    width: int = 160,
    height: int = 120,
    fps: int = 4,
    lag: float = 4.0,
    prefix: str = "movie",
    random_state: int | None = None,
    progress: bool = False,
) -> Bunch:
    """Write movie files whose pictures and sounds follow known valence/arousal curves, and their annotations.

    Movie ``<prefix>_XX`` gets ``<prefix>_XX.mp4`` (H.264 + AAC, ``width`` x ``height`` at ``fps``
    frames per second, 16 kHz mono sound) and ``<prefix>_XX_Valence-Arousal.txt`` (MediaEval format:
    ``Time Valence Arousal``, tab separated, one row per second, 4 decimals).  Each movie is a
    sequence of 8-20-s scenes with their own emotion levels, rendered as the module docstring says;
    the annotations follow that content with an exponential lag of time constant ``lag`` seconds.

    A ``corpus.json`` in ``folder`` records the settings: files already there are reused when the
    settings and ``random_state`` are the same (an interrupted call resumes), and rewritten otherwise.

    Parameters
    ----------
    folder : str or path-like
        Where the files go (created if needed).
    n_movies : int, default=10
        Number of movies.
    min_seconds, max_seconds : int, default=60, 90
        Range of the movies' durations, in whole seconds (drawn uniformly).
    width, height : int, default=160, 120
        Frame size in pixels; both must be even (H.264 with 4:2:0 chroma).
    fps : int, default=4
        Frame rate.
    lag : float, default=4.0
        Time constant, in seconds, of the annotations' exponential lag behind the content.
    prefix : str, default="movie"
        Start of the movies' names.
    random_state : int or None, default=None
        Seed of the content.  The same seed and settings give the same movies; None gives a new
        corpus at every call (never reused).
    progress : bool, default=False
        Show a progress bar over the movies.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``movies`` : list of str, the names; ``videos`` : list of Path, the MP4 files;
        ``annotation_files`` : list of Path; ``y`` : list of ndarray of shape (T, 2), the annotated
        valence and arousal in [-1, 1] as written in the files; ``content`` : list of ndarray of
        shape (T, 2), the valence and arousal the content expresses (before the lag);
        ``target_names`` : ("valence", "arousal"); ``folder`` : Path; ``DESCR`` : str.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> data = make_movie_files(tempfile.mkdtemp(), 2, min_seconds=4, max_seconds=6, random_state=0)
    >>> [video.name for video in data.videos], [file.name for file in data.annotation_files]
    (['movie_00.mp4', 'movie_01.mp4'], ['movie_00_Valence-Arousal.txt', 'movie_01_Valence-Arousal.txt'])
    >>> [curves.shape for curves in data.y]
    [(6, 2), (5, 2)]
    """
    if min_seconds > max_seconds:
        raise ValueError(f"min_seconds={min_seconds} must not exceed max_seconds={max_seconds}.")
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even (H.264 4:2:0), got {width} x {height}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if random_state is None:
        random_state = int(np.random.SeedSequence().entropy)
    settings = {"n_movies": n_movies, "min_seconds": min_seconds, "max_seconds": max_seconds,
                "width": width, "height": height, "fps": fps, "lag": lag}
    manifest = {"version": _CORPUS_VERSION, "random_state": random_state, "config": settings}
    manifest_path = folder / _MANIFEST
    reuse = manifest_path.is_file() and json.loads(manifest_path.read_text()) == manifest
    names = [f"{prefix}_{index:02d}" for index in range(n_movies)]
    seeds = np.random.SeedSequence(random_state).spawn(n_movies)
    items = list(zip(names, seeds))
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="writing movies", unit="movie")
    photos = None
    data = Bunch(movies=names, videos=[], annotation_files=[], y=[], content=[], target_names=TARGET_NAMES,
                 folder=folder, DESCR=_DESCR)
    for name, seed in items:
        video, annotation = folder / f"{name}.mp4", folder / f"{name}_Valence-Arousal.txt"
        rng, drivers, curves, scenes = _plan_movie(seed, min_seconds, max_seconds, lag)
        if not (reuse and video.is_file() and annotation.is_file()):
            photos = photos or {p: sample_photo(p, (width, height)) for p in POSITIVE_PHOTOS + NEGATIVE_PHOTOS}
            _write_movie(video, rng, drivers, scenes, photos, fps)
            _write_annotations(annotation, curves)
        data.videos.append(video)
        data.annotation_files.append(annotation)
        data.y.append(read_curves(annotation))
        data.content.append(drivers)
    manifest_text = json.dumps(manifest, indent=1)
    atomic_write_bytes(manifest_path, lambda out: out.write(manifest_text.encode()))
    return data
