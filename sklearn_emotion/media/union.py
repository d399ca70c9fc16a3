"""Assemble per-modality embedders into the package's per-movie modality mapping."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import TransformerMixin, clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from ._base import MediaEmbedder, features_through_cache, seconds_bar
from .decoding import is_path, source_name
from .stages import extract_movie

__all__ = ["ModalityUnion"]


def _fit_transform_one(transformer: Any, X: Any, y: Any) -> tuple[Any, list[np.ndarray]]:
    if hasattr(transformer, "fit_transform"):
        return transformer, transformer.fit_transform(X, y)
    return transformer, transformer.fit(X, y).transform(X)


def _transform_one(transformer: Any, X: Any) -> list[np.ndarray]:
    return transformer.transform(X)


def _extract_one(
    index: int, source: Any, embedders: dict[str, MediaEmbedder], caches: dict[str, Any], show_seconds: bool,
    max_length_difference: int | None = None,
) -> tuple[int, dict[str, np.ndarray] | Exception, list[Warning]]:
    """One movie through several media embedders (in a worker): cached modalities, then one decoding pass.

    ``caches`` holds each embedder's :meth:`~MediaEmbedder.feature_cache`.  Returns the movie's index,
    its ``{modality: array}`` or the exception that stopped it (so that one bad movie does not lose the
    others), and the warnings it raised; interruptions propagate.  ``max_length_difference`` lets the
    length rule refuse the movie as early as it can (see :func:`~sklearn_emotion.media.stages.extract_movie`).
    """
    name = source_name(source, index)

    def compute(modalities: list[str]) -> dict[str, np.ndarray]:
        stages = {modality: embedders[modality].open_stage() for modality in modalities}
        with seconds_bar(source, name, show_seconds) as bar:
            return extract_movie(source, stages, name=name, on_seconds=bar.update,
                                 max_length_difference=max_length_difference)

    # Warnings (e.g. a movie given silence) go back with the result: a process worker's would be lost.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome: dict[str, np.ndarray] | Exception = features_through_cache(source, caches, compute)
        except Exception as error:
            outcome = error
    return index, outcome, [record.message for record in caught]


class ModalityUnion(TransformerMixin, _BaseComposition):
    """Run one transformer per modality and return, per movie, the mapping modality -> features.

    Like :class:`~sklearn.pipeline.FeatureUnion`, but instead of concatenating columns it returns
    ``{name: (T, d_name)}`` per movie (the package's multi-modal data model), so that a
    :class:`~sklearn.pipeline.Pipeline` can start from video files::

        ModalityUnion([("image", ImageEmbedder()), ("audio", AudioEmbedder()), ("face", FaceEmbedder())])

    **One decoding pass per movie.**  When the movies are files, the media embedders of the union
    (:class:`ImageEmbedder`, :class:`FaceEmbedder`, :class:`AudioEmbedder`, any
    :class:`~sklearn_emotion.media.MediaEmbedder`, through its public :meth:`~MediaEmbedder.open_stage`
    and :meth:`~MediaEmbedder.feature_cache`) work movie by movie:
    each movie's video is decoded **once**, each second's frame is converted to every embedder's
    size, decoding runs ahead of inference in its own thread, and every modality embeds in a
    thread of its own (see :mod:`sklearn_emotion.media.stages`); ``n_jobs`` movies are processed
    in parallel.  Each embedder's ``cache_dir`` is honoured; its own ``n_jobs`` and ``progress``
    are not used there (the union's are).  Other transformers, and already-decoded movies, are
    run transformer by transformer as in a ``FeatureUnion``.

    **Length rule.**  Modalities of one movie can differ by a fraction of a second (an audio
    track slightly shorter or longer than the video gives one whole second more or less): every
    modality is **truncated to the shortest** one.  A difference larger than
    ``max_length_difference`` seconds is an error naming the movie and the lengths.  For files
    decoded jointly, the rule is applied as early as possible: a movie whose video *declares* far
    more seconds than its audio is refused before decoding, and a modality running more than
    ``max_length_difference`` seconds past one that has finished is stopped there.

    Parameters
    ----------
    transformer_list : list of (str, transformer)
        Modality name and a transformer mapping a sequence of movies to a list of ``(T, d)``
        arrays (one per movie).  A transformer may be ``"drop"``.
    n_jobs : int, optional
        Movies processed in parallel by joblib (one decoding pass each); for transformers run one
        by one, the modalities computed in parallel.
    max_length_difference : int, default=1
        Largest accepted difference, in seconds, between the modalities of one movie.
    progress : bool, default=False
        Show a progress bar over movies (and over the seconds of each movie when ``n_jobs`` is 1).

    Attributes
    ----------
    named_transformers_ : Bunch
        The fitted transformers by modality name (clones of those given).
    modalities_ : list of str
        Modalities in output order.

    See Also
    --------
    iter_transform : each movie's features as soon as they are ready; failing movies reported
        one by one.

    Examples
    --------
    Weight-free image and audio embedders on a generated 3-second video file (decoded once):

    >>> import tempfile
    >>> from sklearn_emotion import AudioEmbedder, ImageEmbedder, ModalityUnion
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.extraction import colour_layout_model
    >>> folder = tempfile.mkdtemp()
    >>> data = make_movie_files(folder, 1, min_seconds=3, max_seconds=3, random_state=0)
    >>> union = ModalityUnion([("image", ImageEmbedder(colour_layout_model(), preprocessing="unit")),
    ...                        ("audio", AudioEmbedder("descriptors"))])
    >>> movies = union.fit_transform(data.videos)
    >>> {modality: features.shape for modality, features in movies[0].items()}
    {'image': (3, 51), 'audio': (3, 112)}
    >>> union.modalities_
    ['image', 'audio']
    """

    _parameter_constraints: dict = {
        "transformer_list": [list, tuple],
        "n_jobs": [Integral, None],
        "max_length_difference": [Interval(Integral, 0, None, closed="left")],
        "progress": ["boolean"],
    }

    def __init__(
        self,
        transformer_list: list[tuple[str, Any]],
        *,
        n_jobs: int | None = None,
        max_length_difference: int = 1,
        progress: bool = False,
    ):
        self.transformer_list = transformer_list
        self.n_jobs = n_jobs
        self.max_length_difference = max_length_difference
        self.progress = progress

    # Nested parameters (``image__backbone``) as in FeatureUnion.
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return self._get_params("transformer_list", deep=deep)

    def set_params(self, **params: Any) -> ModalityUnion:
        self._set_params("transformer_list", **params)
        return self

    @property
    def _transformers(self) -> list[tuple[str, Any]]:
        return list(self.transformer_list)

    @_transformers.setter
    def _transformers(self, value: list[tuple[str, Any]]) -> None:
        self.transformer_list = value

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _validate(self) -> list[tuple[str, Any]]:
        """Check the parameters; the (name, transformer) pairs that are not ``"drop"``."""
        self._validate_params()
        # What the constraints cannot say: the pairs' structure and names.
        if not self.transformer_list:
            raise ValueError("transformer_list must be a non-empty list of (name, transformer) pairs.")
        names = []
        active = []
        for item in self.transformer_list:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError(f"transformer_list items must be (name, transformer) pairs, got {item!r}.")
            name, transformer = item
            if "__" in name or not name:
                raise ValueError(f"Modality name {name!r} must be non-empty and contain no '__'.")
            names.append(name)
            if transformer == "drop":
                continue
            if not hasattr(transformer, "transform"):
                raise TypeError(f"The transformer of modality {name!r} has no transform method: {transformer!r}.")
            active.append((name, transformer))
        if len(set(names)) != len(names):
            raise ValueError(f"Modality names must be unique, got {names}.")
        if not active:
            raise ValueError("Every transformer of the ModalityUnion is 'drop'.")
        return active

    def fit(self, X: Any, y: Any = None) -> ModalityUnion:
        """Fit a clone of every transformer (the media embedders learn nothing: no movie is read).

        Parameters
        ----------
        X : sequence of movies
        y : ignored by the embedders; passed on to the transformers

        Returns
        -------
        self
        """
        active = self._validate()
        sources = _as_movies(X)
        self._set_fitted([(name, clone(transformer).fit(sources, y)) for name, transformer in active])
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> list[dict[str, np.ndarray]]:
        """Fit every transformer and return the per-movie modality mappings.

        Parameters
        ----------
        X, y
            As for :meth:`fit`.
        **fit_params : ignored

        Returns
        -------
        list of dict of str to ndarray of shape (T, d_modality)
        """
        active = self._validate()
        sources = _as_movies(X)
        if self._joint_modalities(sources, active):
            return self.fit(sources, y).transform(sources)
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_transform_one)(clone(transformer), sources, y) for _, transformer in active
        )
        self._set_fitted([(name, fitted) for (name, _), (fitted, _) in zip(active, results)])
        outputs = dict(zip(self.modalities_, (_checked_count(name, output, sources) for (name, _), (_, output)
                                              in zip(active, results))))
        return [
            self._assemble(source_name(source, index), {name: output[index] for name, output in outputs.items()})
            for index, source in enumerate(sources)
        ]

    def transform(self, X: Any) -> list[dict[str, np.ndarray]]:
        """Per movie, ``{modality: (T, d_modality)}`` with the same ``T`` for every modality.

        Parameters
        ----------
        X : sequence of movies

        Returns
        -------
        list of dict of str to ndarray of shape (T, d_modality)

        Raises
        ------
        Exception
            The first movie that fails, named in the message or a note.
        """
        sources = _as_movies(X)
        movies = dict(self.iter_transform(sources))
        return [movies[index] for index in range(len(sources))]

    def iter_transform(
        self, X: Any, *, on_error: str = "raise"
    ) -> Iterator[tuple[int, dict[str, np.ndarray] | Exception]]:
        """Each movie's modality mapping as soon as it is ready (completion order).

        For long corpora: a caller can save every movie the moment it is done, so that an
        interruption or a failing movie loses nothing else.

        Parameters
        ----------
        X : sequence of movies
        on_error : {"raise", "return"}, default="raise"
            ``"raise"``: the first failing movie's exception is raised.  ``"return"``: a failing
            movie yields its exception instead of its features (its message names the movie) and
            the others go on.  Errors in loading the models are always raised, before any movie.

        Yields
        ------
        index : int
            The movie's position in ``X``.
        features : dict of str to ndarray of shape (T, d_modality), or Exception
        """
        check_is_fitted(self, "named_transformers_")
        if not StrOptions({"raise", "return"}).is_satisfied_by(on_error):
            raise ValueError(f"on_error must be 'raise' or 'return', got {on_error!r}.")
        return self._iter_transform(_as_movies(X), on_error)

    def _iter_transform(self, sources: list[Any], on_error: str) -> Iterator[tuple[int, Any]]:
        active = list(zip(self.modalities_, (self.named_transformers_[name] for name in self.modalities_)))
        joint = self._joint_modalities(sources, active)
        others = [name for name in self.modalities_ if name not in joint]
        outputs = Parallel(n_jobs=self.n_jobs)(
            delayed(_transform_one)(self.named_transformers_[name], sources) for name in others
        )
        separate = {name: _checked_count(name, output, sources) for name, output in zip(others, outputs)}
        for index, result in self._iter_joint(sources, joint):
            if not isinstance(result, Exception):
                arrays = {**{name: output[index] for name, output in separate.items()}, **result}
                try:
                    result = self._assemble(source_name(sources[index], index), arrays)
                except ValueError as error:
                    result = error
            if isinstance(result, Exception) and on_error == "raise":
                raise result
            yield index, result

    # -- helpers ------------------------------------------------------------------------------
    def _set_fitted(self, fitted: list[tuple[str, Any]]) -> None:
        self.named_transformers_ = Bunch(**dict(fitted))
        self.modalities_ = [name for name, _ in fitted]

    @staticmethod
    def _joint_modalities(sources: list[Any], active: list[tuple[str, Any]]) -> list[str]:
        """The modalities extracted movie by movie, sharing one decoding pass (files only)."""
        if not all(is_path(source) for source in sources):
            return []
        return [name for name, transformer in active if isinstance(transformer, MediaEmbedder)]

    def _iter_joint(self, sources: list[Any], joint: list[str]) -> Iterator[tuple[int, Any]]:
        """``(index, arrays or exception)`` of every movie, from the media embedders of ``joint``."""
        if not joint:
            yield from ((index, {}) for index in range(len(sources)))
            return
        for index, source in enumerate(sources):
            if not os.path.isfile(source):
                raise FileNotFoundError(f"X[{index}]: movie file not found: {os.fspath(source)}")
        embedders = {name: self.named_transformers_[name] for name in joint}
        for embedder in embedders.values():
            embedder.open_stage()  # load every model now: a missing one is one error, not one per movie
        caches = {name: embedder.feature_cache() for name, embedder in embedders.items()}
        sequential = self.n_jobs in (None, 1)
        tasks = (
            delayed(_extract_one)(index, source, embedders, caches, bool(self.progress) and sequential,
                                  self.max_length_difference)
            for index, source in enumerate(sources)
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")(tasks)
        if self.progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(sources), desc="movies", unit="movie")
        for index, outcome, caught in results:
            for message in caught:  # said here, in the caller's process, whatever the joblib backend
                warnings.warn(message, stacklevel=2)
            yield index, outcome

    def _assemble(self, name: str, arrays: dict[str, Any]) -> dict[str, np.ndarray]:
        """One movie's modalities, in order, cut to the shortest (the length rule)."""
        arrays = {modality: np.asarray(arrays[modality]) for modality in self.modalities_}
        lengths = {modality: array.shape[0] for modality, array in arrays.items()}
        shortest, longest = min(lengths.values()), max(lengths.values())
        if longest - shortest > self.max_length_difference:
            raise ValueError(
                f"{name}: modalities differ by {longest - shortest} s ({lengths}), more than "
                f"max_length_difference={self.max_length_difference}; is one stream cut short?"
            )
        return {modality: array[:shortest] for modality, array in arrays.items()}

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<modality>__<feature>`` for every modality, in order.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "named_transformers_")
        names = [
            f"{name}__{feature}"
            for name in self.modalities_
            for feature in self.named_transformers_[name].get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)


def _as_movies(X: Any) -> list[Any]:
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(f"ModalityUnion takes a sequence of movies; wrap a single file in a list: [{X!r}].")
    return list(X)


def _checked_count(modality: str, output: Any, sources: list[Any]) -> list[Any]:
    """A transformer's per-movie outputs, one per movie (else an error naming the modality)."""
    output = list(output)
    if len(output) != len(sources):
        raise ValueError(f"The {modality!r} transformer returned {len(output)} movies for {len(sources)}.")
    return output
