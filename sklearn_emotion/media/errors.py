"""The errors of :mod:`sklearn_emotion.media`, in one module that imports nothing of the package.

Each is also importable from the module that raises it (``decoding``, ``stages``, ``models``,
``backbones``); :mod:`sklearn_emotion.media` exports the ones a user catches.
"""

from __future__ import annotations

__all__ = [
    "MediaDecodeError",
    "MissingStreamError",
    "ExtractionCancelled",
    "LengthMismatchError",
    "BackboneUnavailableError",
    "ModelIntegrityError",
    "ModelNotFoundError",
]


class MediaDecodeError(ValueError):
    """A movie file cannot be opened or decoded (corrupt, truncated, unsupported).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.media.decoding import MediaDecodeError, probe
    >>> broken = Path(tempfile.mkdtemp()) / "broken.mp4"
    >>> _ = broken.write_bytes(b"not a movie")
    >>> try:
    ...     probe(broken)
    ... except MediaDecodeError as error:
    ...     print(type(error).__name__, "naming", broken.name in str(error))
    MediaDecodeError naming True
    """


class MissingStreamError(MediaDecodeError):
    """A movie file has no stream of the kind requested (no video, or no audio track).

    Examples
    --------
    Frames asked of a sound file:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.datasets.movies import write_movie_file
    >>> from sklearn_emotion.media.decoding import MissingStreamError, iter_frames
    >>> sound = Path(tempfile.mkdtemp()) / "sound.wav"
    >>> _ = write_movie_file(sound, None, fps=1, audio=np.zeros(2 * 16000, dtype=np.float32))
    >>> try:
    ...     next(iter_frames(sound))
    ... except MissingStreamError as error:
    ...     print(type(error).__name__, "naming", sound.name in str(error))
    MissingStreamError naming True
    """


class ExtractionCancelled(Exception):
    """Raised inside a stage's thread when another stage of the same movie failed."""


class LengthMismatchError(ValueError):
    """The modalities of a movie differ in length by more than allowed (found before all the work is done)."""


class BackboneUnavailableError(RuntimeError):
    """A named pretrained model cannot be obtained (e.g. offline): supply its file instead.

    Examples
    --------
    Offline, a named network whose weights are not cached cannot be obtained; the message names the
    file to download elsewhere and the parameter that takes it:

    >>> from sklearn_emotion.media import BackboneUnavailableError, ImageEmbedder
    >>> issubclass(BackboneUnavailableError, RuntimeError)
    True
    >>> try:  # doctest: +SKIP
    ...     ImageEmbedder("InceptionV3").fit_transform(["movie.mp4"])
    ... except BackboneUnavailableError as error:
    ...     print(error)
    Cannot obtain the ImageNet weights of InceptionV3 without its top ('notop') ...
    """


class ModelIntegrityError(BackboneUnavailableError):
    """A downloaded or cached model file is not the expected one (digest mismatch)."""


class ModelNotFoundError(FileNotFoundError):
    """An official model's file is in none of the places model files are looked up in.

    See :func:`sklearn_emotion.media.models.locate_model`.
    """
