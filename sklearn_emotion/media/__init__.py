"""From movie files to per-second features: 1 Hz decoding and pretrained image, audio and face embedders.

See ``docs/media.md``.  Importing this package loads neither TensorFlow nor mediapipe; they are
loaded when an embedder first runs.
"""

from .image import ImageEmbedder

__all__ = ["ImageEmbedder"]
