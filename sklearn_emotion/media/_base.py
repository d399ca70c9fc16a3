"""Machinery shared by the media embedders: validation, joblib over movies, progress, cache."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from .cache import FeatureCache
from .decoding import is_path, probe, source_name

__all__ = ["MediaEmbedder", "batched"]

# Parameters that change how the work is run, not what it computes (left out of cache keys).
_EXECUTION_PARAMS = ("batch_size", "n_jobs", "cache_dir", "progress")


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class MediaEmbedder(TransformerMixin, BaseEstimator):
    """Base class: a stateless transformer from movies to per-second feature arrays ``(T, d)``.

    Subclasses define ``_validate_params_values``, ``_embed_movie(source, name, bar)``,
    ``_describe_params`` (what goes into the cache key) and ``get_feature_names_out``.
    Every movie is processed independently, possibly in a joblib worker: subclasses load their
    models there (through :func:`~sklearn_emotion.media.backbones.cached_model`).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- parameters -------------------------------------------------------------------------
    def _check_common_params(self) -> None:
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}.")
        if self.n_jobs is not None and not isinstance(self.n_jobs, (int, np.integer)):
            raise ValueError(f"n_jobs must be None or an integer, got {self.n_jobs!r}.")
        self._validate_params_values()

    def _validate_params_values(self) -> None:
        """Subclass hook: check the embedder's own parameters."""

    def _describe_params(self) -> dict[str, Any]:
        """What determines the output, for cache keys (subclasses replace model objects by digests)."""
        params = self.get_params(deep=False)
        return {key: value for key, value in params.items() if key not in _EXECUTION_PARAMS}

    # -- scikit-learn API ---------------------------------------------------------------------
    def fit(self, X: Any = None, y: Any = None) -> MediaEmbedder:
        """Check the parameters; nothing is learnt.

        Parameters
        ----------
        X : sequence of movies, ignored
        y : ignored

        Returns
        -------
        self
        """
        self._check_common_params()
        return self

    def transform(self, X: Any) -> list[np.ndarray]:
        """Embed every movie.

        Parameters
        ----------
        X : sequence of movies
            File paths, or already-decoded movies (see the class documentation).

        Returns
        -------
        list of ndarray of shape (T_i, n_features), float32
            One array per movie, one row per whole second.
        """
        self._check_common_params()
        sources = self._check_movies(X)
        cache = FeatureCache(self.cache_dir) if self.cache_dir is not None else None
        description = self._full_description() if cache is not None else None
        show_seconds = bool(self.progress) and self.n_jobs in (None, 1)
        tasks = (
            delayed(_embed_one)(self, source, source_name(source, index), cache, description, show_seconds)
            for index, source in enumerate(sources)
        )
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
        results = parallel(tasks)
        if self.progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(sources), desc=f"{type(self).__name__}: movies", unit="movie")
        return list(results)

    def _full_description(self) -> dict[str, Any]:
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}", **self._describe_params()}

    def _check_movies(self, X: Any) -> list[Any]:
        if isinstance(X, (str, bytes, os.PathLike)):
            raise TypeError(
                f"{type(self).__name__} takes a sequence of movies; wrap a single file in a list: [{X!r}]."
            )
        try:
            sources = list(X)
        except TypeError as exc:
            raise TypeError(f"{type(self).__name__} takes a sequence of movies, got {type(X).__name__}.") from exc
        if not sources:
            raise ValueError(f"{type(self).__name__}: X contains no movie.")
        for index, source in enumerate(sources):
            if is_path(source) and not os.path.isfile(source):
                raise FileNotFoundError(f"X[{index}]: movie file not found: {os.fspath(source)}")
        return sources

    def _seconds_bar(self, name: str, total: int | None, enabled: bool) -> Any:
        """A progress bar over the seconds of one movie (a no-op one when disabled)."""
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=os.path.basename(name), unit="s", disable=not enabled, leave=False)

    def _embed_movie(self, source: Any, name: str, bar: Any) -> np.ndarray:
        raise NotImplementedError


def _embed_one(
    embedder: MediaEmbedder,
    source: Any,
    name: str,
    cache: FeatureCache | None,
    description: dict[str, Any] | None,
    show_seconds: bool,
) -> np.ndarray:
    """Embed one movie (in a worker): from the cache when possible, else compute and store."""
    key = None
    if cache is not None:
        key = cache.key(source, description)
        cached = cache.load(key)
        if cached is not None:
            return cached
    total = None
    if show_seconds and is_path(source):
        total = probe(source).n_seconds
    bar = embedder._seconds_bar(name, total, show_seconds)
    try:
        features = np.ascontiguousarray(embedder._embed_movie(source, name, bar), dtype=np.float32)
    except Exception as exc:
        # Keep the exception's type; make sure its report names the movie.
        if name not in str(exc) and hasattr(exc, "add_note"):
            exc.add_note(f"(while {type(embedder).__name__} embedded {name})")
        raise
    finally:
        bar.close()
    if cache is not None:
        cache.save(key, features)
    return features
