"""Assemble per-modality embedders into the package's per-movie modality mapping."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import TransformerMixin, clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

__all__ = ["ModalityUnion"]


def _fit_transform_one(transformer: Any, X: Any, y: Any) -> tuple[Any, list[np.ndarray]]:
    if hasattr(transformer, "fit_transform"):
        return transformer, transformer.fit_transform(X, y)
    return transformer, transformer.fit(X, y).transform(X)


def _transform_one(transformer: Any, X: Any) -> list[np.ndarray]:
    return transformer.transform(X)


class ModalityUnion(TransformerMixin, _BaseComposition):
    """Run one transformer per modality and return, per movie, the mapping modality -> features.

    Like :class:`~sklearn.pipeline.FeatureUnion`, but instead of concatenating columns it returns
    ``{name: (T, d_name)}`` per movie (the package's multi-modal data model), so that a
    :class:`~sklearn.pipeline.Pipeline` can start from video files::

        ModalityUnion([("image", ImageEmbedder()), ("audio", AudioEmbedder()), ("face", FaceEmbedder())])

    **Length rule.**  Modalities of one movie can differ by a fraction of a second (an audio
    track slightly shorter or longer than the video gives one whole second more or less): every
    modality is **truncated to the shortest** one.  A difference larger than
    ``max_length_difference`` seconds is an error naming the movie and the lengths.

    Parameters
    ----------
    transformer_list : list of (str, transformer)
        Modality name and a transformer mapping a sequence of movies to a list of ``(T, d)``
        arrays (one per movie).  A transformer may be ``"drop"``.
    n_jobs : int, optional
        Modalities computed in parallel by joblib.
    max_length_difference : int, default=1
        Largest accepted difference, in seconds, between the modalities of one movie.

    Attributes
    ----------
    named_transformers_ : Bunch
        The fitted transformers by modality name (clones of those given).
    modalities_ : list of str
        Modalities in output order.
    """

    _parameter_constraints: dict = {
        "transformer_list": [list, tuple],
        "n_jobs": [Integral, None],
        "max_length_difference": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        transformer_list: list[tuple[str, Any]],
        *,
        n_jobs: int | None = None,
        max_length_difference: int = 1,
    ):
        self.transformer_list = transformer_list
        self.n_jobs = n_jobs
        self.max_length_difference = max_length_difference

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
        """Fit a clone of every transformer.

        Parameters
        ----------
        X : sequence of movies
        y : ignored by the embedders; passed on to the transformers

        Returns
        -------
        self
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> list[dict[str, np.ndarray]]:
        """Fit every transformer and return the per-movie modality mappings.

        Returns
        -------
        list of dict of str to ndarray of shape (T, d_modality)
        """
        active = self._validate()
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_transform_one)(clone(transformer), X, y) for _, transformer in active
        )
        self.named_transformers_ = Bunch(**{name: fitted for (name, _), (fitted, _) in zip(active, results)})
        self.modalities_ = [name for name, _ in active]
        return self._assemble([outputs for _, outputs in results])

    def transform(self, X: Any) -> list[dict[str, np.ndarray]]:
        """Per movie, ``{modality: (T, d_modality)}`` with the same ``T`` for every modality.

        Parameters
        ----------
        X : sequence of movies

        Returns
        -------
        list of dict of str to ndarray of shape (T, d_modality)
        """
        check_is_fitted(self, "named_transformers_")
        outputs = Parallel(n_jobs=self.n_jobs)(
            delayed(_transform_one)(self.named_transformers_[name], X) for name in self.modalities_
        )
        return self._assemble(outputs)

    def _assemble(self, outputs: list[list[np.ndarray]]) -> list[dict[str, np.ndarray]]:
        counts = {name: len(output) for name, output in zip(self.modalities_, outputs)}
        if len(set(counts.values())) != 1:
            raise ValueError(f"The modalities returned different numbers of movies: {counts}.")
        movies = []
        for index in range(next(iter(counts.values()))):
            arrays = {name: np.asarray(output[index]) for name, output in zip(self.modalities_, outputs)}
            lengths = {name: array.shape[0] for name, array in arrays.items()}
            shortest, longest = min(lengths.values()), max(lengths.values())
            if longest - shortest > self.max_length_difference:
                raise ValueError(
                    f"movie {index}: modalities differ by {longest - shortest} s ({lengths}), more than "
                    f"max_length_difference={self.max_length_difference}; is one stream cut short?"
                )
            movies.append({name: array[:shortest] for name, array in arrays.items()})
        return movies

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
