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
    """A movie file cannot be opened or decoded (corrupt, truncated, unsupported)."""


class MissingStreamError(MediaDecodeError):
    """A movie file has no stream of the kind requested (no video, or no audio track)."""


class ExtractionCancelled(Exception):
    """Raised inside a stage's thread when another stage of the same movie failed."""


class LengthMismatchError(ValueError):
    """The modalities of a movie differ in length by more than allowed (found before all the work is done)."""


class BackboneUnavailableError(RuntimeError):
    """A named pretrained model cannot be obtained (e.g. offline): supply its file instead."""


class ModelIntegrityError(BackboneUnavailableError):
    """A downloaded or cached model file is not the expected one (digest mismatch)."""


class ModelNotFoundError(FileNotFoundError):
    """An official model's file is in none of the places model files are looked up in.

    See :func:`sklearn_emotion.media.models.locate_model`.
    """
