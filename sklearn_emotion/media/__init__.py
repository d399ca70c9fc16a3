"""From movie files to per-second features: 1 Hz decoding and pretrained image, audio and face embedders.

See ``docs/media.md``.  Importing this package loads neither TensorFlow nor mediapipe; they are
loaded when an embedder first runs.
"""

from ._base import MediaEmbedder
from .audio import AudioEmbedder
from .backbones import BackboneUnavailableError
from .decoding import MediaDecodeError, MissingStreamError
from .face import FaceEmbedder
from .image import ImageEmbedder
from .union import ModalityUnion

__all__ = [
    "AudioEmbedder",
    "BackboneUnavailableError",
    "FaceEmbedder",
    "ImageEmbedder",
    "MediaEmbedder",
    "MediaDecodeError",
    "MissingStreamError",
    "ModalityUnion",
]
