"""On-disk cache of per-movie feature arrays, keyed by the movie's content and the embedder's parameters.

Each entry is one ``.npy`` file named by a SHA-256 key.  The key hashes

* the **content** of the movie (the file's bytes, not its name or date, so that a renamed or
  copied file hits the cache and an edited one misses it; an already-decoded array hashes its
  bytes), and
* a description of the embedder: its class, its output-changing parameters (backbone files by
  content, Keras models by architecture and weights) and the cache format version.

Entries are written atomically (temporary file in the same folder, then :func:`os.replace`), so
concurrent workers and interrupted jobs never leave a partial file: an interrupted corpus
extraction resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write_bytes

__all__ = ["FeatureCache", "content_digest"]

#: Bumped whenever decoding or feature definitions change, invalidating old entries.
CACHE_VERSION = 1

_DIGESTS: dict[tuple[str, int, int, str], str] = {}


def content_digest(source: Any, algorithm: str = "sha256") -> str:
    """The hex digest of a content: a file's bytes, or an already-decoded input's values.

    The package's one way of naming a file by its content: movies (feature cache keys, the records
    of ``extract`` and ``predict``), saved models, and model files (their checks against a published
    or recorded digest, the references of :mod:`sklearn_emotion.model_files`).

    Parameters
    ----------
    source : path-like, array-like or tuple of array-like
        A file, or decoded values (their dtype and shape count too).
    algorithm : str, default="sha256"
        A :mod:`hashlib` algorithm (``"md5"`` and ``"sha1"`` check published digests).

    File digests are memoised per process by (path, size, modification time).
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(source))
        stat = os.stat(path)
        memo = (path, stat.st_size, stat.st_mtime_ns, algorithm)
        if memo not in _DIGESTS:
            digest = hashlib.new(algorithm)
            with open(path, "rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
            _DIGESTS[memo] = digest.hexdigest()
        return _DIGESTS[memo]
    digest = hashlib.new(algorithm)
    parts = source if isinstance(source, tuple) else (source,)
    for part in parts:
        array = np.asarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class FeatureCache:
    """A folder of cached feature arrays.

    Parameters
    ----------
    directory : str or path-like
        Created on first write.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def key(self, source: Any, description: dict[str, Any]) -> str:
        """The cache key of ``source`` embedded by an embedder described by ``description``."""
        text = json.dumps(
            {"version": CACHE_VERSION, "content": content_digest(source), "embedder": description},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npy"

    def load(self, key: str) -> np.ndarray | None:
        """The cached array, or ``None`` when absent (or unreadable, then recomputed)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None

    def save(self, key: str, array: np.ndarray) -> None:
        """Write ``array`` atomically under ``key`` (concurrent workers never see a partial entry)."""
        array = np.asarray(array)
        atomic_write_bytes(self.path(key), lambda out: np.save(out, array, allow_pickle=False))
