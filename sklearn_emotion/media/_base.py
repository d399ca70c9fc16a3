"""Machinery shared by the media embedders: parameters, joblib over movies, progress, cache."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, Options

from ..data import check_has_movies
from .cache import FeatureCache
from .decoding import is_path, probe, source_name

__all__ = ["MediaEmbedder", "batched", "movie_name", "embed_seconds", "PathWithSuffix"]

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


def movie_name(movie: Any, name: str | None) -> str:
    """How the feature functions name ``movie`` in errors: ``name``, else its path, else "movie"."""
    if name:
        return name
    return os.fspath(movie) if is_path(movie) else "movie"


def embed_seconds(
    items: Iterable[Any],
    embed: Callable[[list[Any]], np.ndarray],
    batch_size: int,
    name: str,
    on_seconds: Callable[[int], Any] | None = None,
    what: str = "video",
) -> np.ndarray:
    """One movie's per-second ``items`` (frames, audio windows) embedded ``batch_size`` at a time.

    ``embed(batch)`` returns one row per item; ``on_seconds`` hears how many seconds each batch did.
    Returns the ``(T, d)`` float32 rows; a movie without any second is an error naming it.
    """
    blocks = []
    for batch in batched(items, batch_size):
        blocks.append(embed(batch))
        if on_seconds is not None:
            on_seconds(len(batch))
    if not blocks:
        raise ValueError(f"{name}: the movie has no whole second of {what}.")
    return np.concatenate(blocks).astype(np.float32, copy=False)


class PathWithSuffix(Options):
    """Parameter constraint: a file path (str or path-like) ending with one of ``suffixes``.

    An :class:`~sklearn.utils._param_validation.Options` so that scikit-learn's parameter validation
    accepts it; it checks the suffix, not that the file exists (loading the model does, naming it).
    """

    def __init__(self, *suffixes: str):
        super().__init__(type=(str, os.PathLike), options=set())
        self.suffixes = tuple(suffix.lower() for suffix in suffixes)

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, (str, os.PathLike)) and os.fspath(val).lower().endswith(self.suffixes)

    def __str__(self) -> str:
        return f"a path to a {' or '.join(self.suffixes)} file"


class MediaEmbedder(TransformerMixin, BaseEstimator):
    """Base class: a stateless transformer from movies to per-second feature arrays ``(T, d)``.

    A subclass sets ``_stage``, the pure function building, from the loaded models and some
    settings, the :mod:`~sklearn_emotion.media.stages` stage that embeds one movie; ``_loaders``,
    which returns picklable zero-argument functions loading those models from the subclass's
    parameters; ``_feature_settings``, the parameters passed to ``_stage`` as they are; and
    ``get_feature_names_out``.  Every movie is processed independently, possibly in a joblib
    worker, which loads its own models (once per process, through
    :func:`~sklearn_emotion.media.backbones.cached_model`).
    :class:`~sklearn_emotion.media.ModalityUnion` runs the stages of several embedders on one
    decoding pass of each movie.
    """

    #: ``function(**models, **settings) -> VideoStage or AudioStage``.
    _stage: Callable[..., Any]
    #: Parameters passed to ``_stage`` as they are.
    _feature_settings: tuple[str, ...] = ("batch_size",)

    _parameter_constraints: dict = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "cache_dir": [str, os.PathLike, None],
        "progress": ["boolean"],
    }

    def __init__(
        self,
        *,
        batch_size: int = 32,
        n_jobs: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        progress: bool = False,
    ):
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- models and parameters ----------------------------------------------------------------
    def _loaders(self) -> dict[str, Callable[[], Any]]:
        """Picklable functions loading the models ``_stage`` takes, by argument name."""
        raise NotImplementedError

    def _open_stage(self) -> Any:
        """This embedder's stage for one movie, with its models loaded in this process."""
        return _open_stage(type(self)._stage, self._loaders(), self._settings())

    def _settings(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._feature_settings}

    def _cache(self) -> tuple[FeatureCache | None, dict[str, Any] | None]:
        """The feature cache of ``cache_dir`` and this embedder's description for its keys."""
        if self.cache_dir is None:
            return None, None
        return FeatureCache(self.cache_dir), self._full_description()

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
        self._validate_params()
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
        self._validate_params()  # stateless: transform works without fit
        sources = self._check_movies(X)
        cache, description = self._cache()
        compute = functools.partial(_compute, type(self)._stage, self._loaders(), self._settings())
        label = type(self).__name__
        show_seconds = bool(self.progress) and self.n_jobs in (None, 1)
        tasks = (
            delayed(_embed_one)(compute, source, source_name(source, index), label, cache, description, show_seconds)
            for index, source in enumerate(sources)
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks)
        if self.progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(sources), desc=f"{label}: movies", unit="movie")
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
        check_has_movies(sources)
        for index, source in enumerate(sources):
            if is_path(source) and not os.path.isfile(source):
                raise FileNotFoundError(f"X[{index}]: movie file not found: {os.fspath(source)}")
        return sources


def _open_stage(stage: Callable[..., Any], loaders: dict[str, Callable[[], Any]], settings: dict[str, Any]) -> Any:
    """``stage`` built with the models of ``loaders``, loaded in this process."""
    return stage(**{key: load() for key, load in loaders.items()}, **settings)


def _compute(stage: Callable[..., Any], loaders: dict[str, Callable[[], Any]], settings: dict[str, Any],
             movie: Any, name: str, on_seconds: Callable[[int], Any]) -> np.ndarray:
    """The features of ``movie`` by the stage of ``stage``, ``loaders`` and ``settings``."""
    return _open_stage(stage, loaders, settings).features(movie, name=name, on_seconds=on_seconds)


def _embed_one(
    compute: Callable[..., np.ndarray],
    source: Any,
    name: str,
    label: str,
    cache: FeatureCache | None,
    description: dict[str, Any] | None,
    show_seconds: bool,
) -> np.ndarray:
    """Embed one movie (in a worker): from the cache when possible, else compute and store.

    ``compute(movie, name, on_seconds)`` computes the features; ``label`` names the embedder in
    error notes.
    """
    key = None
    if cache is not None:
        key = cache.key(source, description)
        cached = cache.load(key)
        if cached is not None:
            return cached
    from tqdm.auto import tqdm

    total = probe(source).n_seconds if show_seconds and is_path(source) else None
    bar = tqdm(total=total, desc=os.path.basename(name), unit="s", disable=not show_seconds, leave=False)
    try:
        array = np.ascontiguousarray(compute(source, name, bar.update), dtype=np.float32)
    except Exception as exc:
        # Keep the exception's type; make sure its report names the movie.
        if name not in str(exc) and hasattr(exc, "add_note"):
            exc.add_note(f"(while {label} embedded {name})")
        raise
    finally:
        bar.close()
    if cache is not None:
        cache.save(key, array)
    return array
