"""Machinery shared by the media embedders: parameters, joblib over movies, progress, cache."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, Options

from ..data import check_has_movies
from .cache import FeatureCache
from .decoding import RECORDED_FRAME_SELECTION, is_path, probe, source_name

__all__ = [
    "MediaEmbedder", "batched", "movie_name", "embed_seconds", "PathWithSuffix", "features_through_cache",
    "seconds_bar", "model_file",
]

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


def model_file(spec: Any, official: Any, what: str) -> str:
    """The file of an embedder's model parameter: the official model's when ``spec`` is its name.

    Parameters
    ----------
    spec : str or path-like
        ``official.name`` (its file is then fetched: cached, else downloaded), or a model file.
    official : OfficialModel
        The registry entry (:mod:`sklearn_emotion.media.models`) of the default model.
    what : str
        What the model is, for the error: ``"{what} file not found: {path}"``.

    Returns
    -------
    str
    """
    if isinstance(spec, str) and spec == official.name:
        return os.fspath(official.fetch())
    path = os.fspath(spec)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} file not found: {path}")
    return path


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


@dataclass(eq=False, repr=False, kw_only=True)
class MediaEmbedder(TransformerMixin, BaseEstimator):
    """Base class: a stateless transformer from movies to per-second feature arrays ``(T, d)``.

    Every movie is processed independently, possibly in a joblib worker, which loads its own models
    (once per process, through :func:`~sklearn_emotion.media.backbones.cached_model`).  The
    parameters are stored unchanged by the ``__init__`` that :func:`dataclasses.dataclass` writes
    from the class's fields (a subclass decorated likewise adds its own fields after these).

    A subclass implements :meth:`open_stage` and ``get_feature_names_out``; it may extend
    :meth:`cache_description`.  What a :class:`~sklearn_emotion.media.ModalityUnion` needs from an
    embedder to run it on its one decoding pass of each movie file is this public protocol:
    :meth:`open_stage` (called once in the caller, so that a missing model is one error, then in
    each worker for each movie) and :meth:`feature_cache` (honoured movie by movie).  See
    ``docs/media.md``, "Writing your own embedder".

    Parameters
    ----------
    batch_size : int, default=32
        Seconds embedded per network call.
    n_jobs : int, optional
        Movies processed in parallel by joblib (each worker loads its own models).  Any joblib
        backend works, e.g. ``with joblib.parallel_config("dask"):`` to spread a corpus.
    cache_dir : path-like, optional
        Folder of the on-disk feature cache (see :mod:`sklearn_emotion.media.cache`).
    progress : bool, default=False
        Show progress bars (movies, and seconds of each movie when ``n_jobs`` is 1).

    Examples
    --------
    A weight-free embedder (``docs/media.md``, "Writing your own embedder"): the mean colour of each
    second's frame.  It joins a :class:`~sklearn_emotion.media.ModalityUnion` like the others.

    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> from sklearn_emotion.media import MediaEmbedder
    >>> from sklearn_emotion.media.decoding import FrameRequest
    >>> from sklearn_emotion.media.stages import VideoStage
    >>> @dataclass(eq=False, repr=False)
    ... class ColourEmbedder(MediaEmbedder):
    ...     # Mean red, green and blue (0-1) of each second's frame, shrunk to side x side pixels.
    ...     side: int = 16
    ...     _parameter_constraints = {**MediaEmbedder._parameter_constraints, "side": [int]}
    ...
    ...     def open_stage(self):
    ...         def embed(frames):
    ...             return np.stack(frames).mean(axis=(1, 2)) / 255.0
    ...         return VideoStage(FrameRequest(size=(self.side, self.side)), embed, self.batch_size)
    ...
    ...     def get_feature_names_out(self, input_features=None):
    ...         return np.asarray(["colour_red", "colour_green", "colour_blue"], dtype=object)
    >>> frames = np.full((3, 48, 64, 3), (255, 128, 0), dtype=np.uint8)  # 3 seconds of orange
    >>> ColourEmbedder(side=8).fit_transform([frames])[0].round(2)
    array([[1. , 0.5, 0. ],
           [1. , 0.5, 0. ],
           [1. , 0.5, 0. ]], dtype=float32)
    >>> ColourEmbedder(side=8).get_params()
    {'batch_size': 32, 'cache_dir': None, 'n_jobs': None, 'progress': False, 'side': 8}
    """

    batch_size: int = 32
    n_jobs: int | None = None
    cache_dir: str | os.PathLike | None = None
    progress: bool = False

    _parameter_constraints: ClassVar[dict] = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "cache_dir": [str, os.PathLike, None],
        "progress": ["boolean"],
    }

    def __setstate__(self, state: Any) -> None:
        # An embedder pickled by 0.2 has no frame_selection: it decoded with the exact rule, and must go on
        # doing so rather than take today's default.
        if isinstance(state, dict) and "frame_selection" in getattr(type(self), "__dataclass_fields__", {}):
            state.setdefault("frame_selection", RECORDED_FRAME_SELECTION)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- the protocol of a union member -------------------------------------------------------
    def open_stage(self) -> Any:
        """The stage that embeds one movie, with this embedder's models loaded in this process.

        Returns
        -------
        VideoStage or AudioStage
            A :class:`~sklearn_emotion.media.stages.VideoStage` (the frame size it wants and how it
            embeds a batch of frames: a union feeds it from its one decoding pass) or an
            :class:`~sklearn_emotion.media.stages.AudioStage` (it reads the audio track itself).
            Its ``features(movie, name=..., on_seconds=...)`` is what ``transform`` computes for
            each movie.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement open_stage().")

    def feature_cache(self) -> tuple[FeatureCache, dict[str, Any]] | None:
        """The feature cache of ``cache_dir`` and this embedder's :meth:`cache_description`.

        Returns
        -------
        (FeatureCache, dict) or None
            ``None`` without ``cache_dir``.  The key of a movie's features is
            ``cache.key(movie, description)`` (see :func:`features_through_cache`).
        """
        if self.cache_dir is None:
            return None
        return FeatureCache(self.cache_dir), self.cache_description()

    def cache_description(self) -> dict[str, Any]:
        """What determines this embedder's output, for the keys of its cached features.

        Subclasses replace model objects and files by digests, and drop the parameters that do
        not change their output.

        Returns
        -------
        dict
            The class's qualified name and the parameters, less those that only change how the
            work is run (``batch_size``, ``n_jobs``, ``cache_dir``, ``progress``), and less
            ``frame_selection="exact"``: what 0.2 computed without the parameter, so that the
            features it cached keep their keys (``"fast"`` gets keys of its own).
        """
        params = self.get_params(deep=False)
        described = {key: value for key, value in params.items() if key not in _EXECUTION_PARAMS}
        if described.get("frame_selection") == RECORDED_FRAME_SELECTION:
            del described["frame_selection"]
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}", **described}

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
        cache = self.feature_cache()
        label = type(self).__name__
        show_seconds = bool(self.progress) and self.n_jobs in (None, 1)
        tasks = (
            delayed(_embed_one)(self, source, source_name(source, index), cache, show_seconds)
            for index, source in enumerate(sources)
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks)
        if self.progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(sources), desc=f"{label}: movies", unit="movie")
        return list(results)

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


def seconds_bar(movie: Any, name: str, show: bool) -> Any:
    """A progress bar over the seconds of one movie (its total read from a file's container), or a silent one."""
    from tqdm.auto import tqdm

    total = probe(movie).n_seconds if show and is_path(movie) else None
    return tqdm(total=total, desc=os.path.basename(name), unit="s", disable=not show, leave=False)


def features_through_cache(
    movie: Any,
    caches: Mapping[str, tuple[FeatureCache, dict[str, Any]] | None],
    compute: Callable[[list[str]], Mapping[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """One movie's features by several embedders, read from their caches where they are.

    Parameters
    ----------
    movie : path-like or decoded movie
    caches : dict of str to (FeatureCache, dict) or None
        Each embedder's :meth:`MediaEmbedder.feature_cache`, by name.
    compute : callable
        ``compute(names) -> {name: (T, d) array}``: the features of the embedders not cached, all
        at once (e.g. on one decoding pass); they are then stored in their caches.

    Returns
    -------
    dict of str to ndarray of shape (T, d), float32
        In the order of ``caches``.
    """
    arrays: dict[str, np.ndarray] = {}
    keys = {}
    for name, cache in caches.items():
        if cache is not None:
            store, description = cache
            keys[name] = store, store.key(movie, description)
            cached = store.load(keys[name][1])
            if cached is not None:
                arrays[name] = cached
    missing = [name for name in caches if name not in arrays]
    if missing:
        for name, array in compute(missing).items():
            arrays[name] = array = np.ascontiguousarray(array, dtype=np.float32)
            if name in keys:
                store, key = keys[name]
                store.save(key, array)
    return {name: arrays[name] for name in caches}


def _embed_one(
    embedder: MediaEmbedder,
    source: Any,
    name: str,
    cache: tuple[FeatureCache, dict[str, Any]] | None,
    show_seconds: bool,
) -> np.ndarray:
    """Embed one movie (in a worker): from the cache when possible, else compute and store."""

    def compute(names: list[str]) -> dict[str, np.ndarray]:
        with seconds_bar(source, name, show_seconds) as bar:
            return {"features": embedder.open_stage().features(source, name=name, on_seconds=bar.update)}

    try:
        return features_through_cache(source, {"features": cache}, compute)["features"]
    except Exception as exc:
        # Keep the exception's type; make sure its report names the movie.
        if name not in str(exc) and hasattr(exc, "add_note"):
            exc.add_note(f"(while {type(embedder).__name__} embedded {name})")
        raise
