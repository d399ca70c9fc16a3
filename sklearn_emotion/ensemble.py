"""Ensembles of runs: :class:`RunAveragingRegressor` averages the per-movie predictions of several runs.

The paper's run 5 averages its submitted runs; :meth:`RunAveragingRegressor.from_seeds` builds the
runs of one estimator that differ only by their seeds.  ``X`` is a sequence of movies (see
:mod:`sklearn_emotion.data`), ``y`` a sequence of ``(T, 2)`` arrays (NaN = unannotated), and
``predict`` returns a list of ``(T, 2)`` arrays, one per movie.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from .base import MovieRegressorMixin, copy_inner_tags, private_random_state
from .data import check_has_movies, is_movie_sequence

__all__ = ["RunAveragingRegressor"]

_MAX_SEED = np.iinfo(np.int32).max


def _fit_clone(estimator: Any, X: Any, y: Any, fit_params: dict) -> Any:
    return clone(estimator).fit(X, y, **fit_params)


def _draw_seeds(random_state: Any, size: tuple[int, ...]) -> np.ndarray:
    """Integer seeds from ``random_state`` without touching NumPy's global generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state.integers(0, _MAX_SEED, size=size)
    return private_random_state(random_state).randint(0, _MAX_SEED, size=size)


class RunAveragingRegressor(MovieRegressorMixin, _BaseComposition):
    """Average the per-movie predictions of several runs (a VotingRegressor for sequences).

    scikit-learn's :class:`~sklearn.ensemble.VotingRegressor` rejects 2-D targets and per-movie
    predictions; this averages each movie's ``(T, 2)`` predictions over the fitted runs, optionally
    weighted.  The paper's run 5 is such an average; :meth:`from_seeds` builds one estimator
    trained with several seeds, :meth:`predict_runs` gives every run's predictions for a per-run table.

    ``predict(X, return_std=True)`` (runs fitted with ``predict_std=True``) also returns the
    (weighted) mean of the runs' predicted std curves: the average predicted spread of the *viewers'*
    ratings.  It does not include the disagreement between the runs, which is uncertainty of the
    models about the mean curve, not disagreement between viewers.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Named runs, as for ``VotingRegressor``.  An estimator may be ``"drop"`` to leave it out.
        Each is cloned and fitted on the same data.
    weights : array-like of shape (n_estimators,), default=None
        Weights of the runs in the average (dropped runs' weights are ignored); ``None``: equal.
    n_jobs : int, default=None
        Number of runs fitted in parallel (joblib); ``None`` means 1 unless in a joblib context.
    verbose : int, default=0
        joblib verbosity while fitting.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted runs that are not dropped, in order.
    named_estimators_ : Bunch
        Fitted runs by name (``"drop"`` for dropped ones).
    n_features_in_ : int
        Copied from the first fitted run when it has one.

    Examples
    --------
    >>> from sklearn.linear_model import SGDRegressor
    >>> from sklearn_emotion import PerSecondRegressor, RunAveragingRegressor
    >>> ensemble = RunAveragingRegressor.from_seeds(PerSecondRegressor(SGDRegressor()), n_runs=3, random_state=0)
    >>> [name for name, _ in ensemble.estimators]
    ['run_1', 'run_2', 'run_3']
    """

    _parameter_constraints: dict = {
        "estimators": [list],
        "weights": ["array-like", None],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        *,
        weights: Sequence[float] | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimators = estimators
        self.weights = weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    @classmethod
    def from_seeds(
        cls,
        estimator: Any,
        n_runs: int = 5,
        *,
        random_state: Any = 0,
        weights: Sequence[float] | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> "RunAveragingRegressor":
        """Runs of one estimator that differ only in their random seeds.

        Every parameter named ``random_state`` in ``estimator.get_params(deep=True)`` (also nested ones
        such as ``estimator__random_state``) gets, in each run, its own integer seed drawn from
        ``random_state``; the runs are named ``run_1 .. run_<n_runs>``.

        Parameters
        ----------
        estimator : estimator
            Estimator with at least one ``random_state`` parameter; cloned for each run.
        n_runs : int, default=5
            Number of runs.
        random_state : int, RandomState instance, Generator or None, default=0
            Source of the seeds: an int gives the same seeds every time; ``None`` fresh ones.
            NumPy's global generator is neither used nor changed.
        weights, n_jobs, verbose
            As in the constructor.

        Returns
        -------
        RunAveragingRegressor
            Unfitted; the seeds are visible in its parameters.

        Raises
        ------
        ValueError
            If ``estimator`` has no ``random_state`` parameter or ``n_runs`` is not a positive integer.
        """
        if not isinstance(n_runs, Integral) or isinstance(n_runs, bool) or n_runs < 1:
            raise ValueError(f"n_runs must be a positive integer, got {n_runs!r}.")
        keys = sorted(
            key
            for key in estimator.get_params(deep=True)
            if key == "random_state" or key.endswith("__random_state")
        )
        if not keys:
            raise ValueError(
                f"{type(estimator).__name__} has no random_state parameter (nor a nested one), so its runs "
                "cannot differ by seed; build the runs yourself and pass them as estimators."
            )
        seeds = _draw_seeds(random_state, (int(n_runs), len(keys)))
        runs = []
        for run, run_seeds in enumerate(seeds, start=1):
            member = clone(estimator)
            member.set_params(**{key: int(seed) for key, seed in zip(keys, run_seeds)})
            runs.append((f"run_{run}", member))
        return cls(runs, weights=weights, n_jobs=n_jobs, verbose=verbose)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters, including ``<name>__<param>`` of every run when ``deep``.

        Parameters
        ----------
        deep : bool, default=True

        Returns
        -------
        dict
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params: Any) -> "RunAveragingRegressor":
        """Set parameters, including a whole run by name or ``<name>__<param>``.

        Parameters
        ----------
        **params : dict

        Returns
        -------
        self
        """
        self._set_params("estimators", **params)
        return self

    def _validated_runs(self) -> tuple[list[str], list[Any], np.ndarray | None]:
        """Names, members and weights, checked together (what ``_parameter_constraints`` cannot say)."""
        try:
            names, members = zip(*self.estimators)
        except (TypeError, ValueError):
            raise ValueError(
                "estimators must be a non-empty list of (name, estimator) tuples, got "
                f"{self.estimators!r}."
            ) from None
        names, members = list(names), list(members)
        self._validate_names(names)
        for name, member in zip(names, members):
            if not (isinstance(member, str) and member == "drop") and not hasattr(member, "fit"):
                raise TypeError(f"estimator {name!r} must be an estimator or 'drop', got {member!r}.")
        active = [i for i, member in enumerate(members) if not (isinstance(member, str) and member == "drop")]
        if not active:
            raise ValueError("all estimators are 'drop'; at least one run is needed.")
        weights = None
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=np.float64)
            if weights.shape != (len(members),):
                raise ValueError(
                    f"weights has shape {weights.shape} but there are {len(members)} estimators."
                )
            if (weights < 0).any() or not np.isfinite(weights).all() or weights[active].sum() <= 0:
                raise ValueError(
                    f"weights must be finite, non-negative, with a positive sum over the runs; got {weights}."
                )
        return names, members, weights

    def fit(self, X: Any, y: Any, **fit_params: Any) -> "RunAveragingRegressor":
        """Fit a clone of every run on the same data.

        Parameters
        ----------
        X : sequence of movies, or any input of the runs
            Passed to each run's ``fit`` unchanged.
        y : sequence of array-like of shape (T, 2)
        **fit_params : dict
            Passed to each run's ``fit``.

        Returns
        -------
        self
        """
        self._validate_params()
        names, members, _ = self._validated_runs()
        check_has_movies(X)  # before a clone per run
        active = [(name, member) for name, member in zip(names, members) if not isinstance(member, str)]
        fitted = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fit_clone)(member, X, y, fit_params) for _, member in active
        )
        self.estimators_ = list(fitted)
        self.named_estimators_ = Bunch()
        by_name = dict(zip((name for name, _ in active), fitted))
        for name in names:
            self.named_estimators_[name] = by_name.get(name, "drop")
        if hasattr(self.estimators_[0], "n_features_in_"):
            self.n_features_in_ = self.estimators_[0].n_features_in_
        return self

    def predict_runs(self, X: Any, return_std: bool = False) -> list[Any]:
        """Predictions of every fitted run, e.g. to report each run beside their average.

        Parameters
        ----------
        X : sequence of movies, or any input of the runs
        return_std : bool, default=False
            Ask every run for its predicted viewers' standard deviation too.

        Returns
        -------
        list
            One entry per run of ``estimators_``: its ``predict(X)`` (a list of ``(T, 2)`` arrays),
            or with ``return_std`` its ``predict(X, return_std=True)``, a ``(mean, std)`` pair.
        """
        check_is_fitted(self)
        if return_std:
            return [member.predict(X, return_std=True) for member in self.estimators_]
        return [member.predict(X) for member in self.estimators_]

    def _active_weights(self) -> np.ndarray | None:
        _, members, weights = self._validated_runs()
        if weights is None:
            return None
        return weights[[i for i, member in enumerate(members) if not isinstance(member, str)]]

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """(Weighted) average of the runs' predictions, movie by movie.

        Parameters
        ----------
        X : sequence of movies, or any input of the runs
        return_std : bool, default=False
            Also return the (weighted) mean of the runs' predicted standard deviations of the
            individual viewers' ratings (runs fitted with ``predict_std=True``).  It is the average
            predicted viewers' spread; the spread *between the runs* is not added to it.

        Returns
        -------
        mean : list of ndarray of shape (T, 2), or ndarray
            A list when the runs return per-movie lists, an array when they return arrays.
        std : same structure as ``mean``
            Only with ``return_std=True``.
        """
        if not return_std:
            return self.average_runs(self.predict_runs(X))
        runs = self.predict_runs(X, return_std=True)
        return self.average_runs([mean for mean, _ in runs]), self.average_runs([std for _, std in runs])

    def average_runs(self, runs: Sequence[Any]) -> list[np.ndarray] | np.ndarray:
        """Average per-run predictions (as returned by :meth:`predict_runs`) with the weights.

        Parameters
        ----------
        runs : sequence
            One prediction per fitted run, all with the same structure and shapes.

        Returns
        -------
        list of ndarray, or ndarray
        """
        check_is_fitted(self)
        weights = self._active_weights()
        if len(runs) != len(self.estimators_):
            raise ValueError(f"expected predictions of {len(self.estimators_)} runs, got {len(runs)}.")
        sequences = [is_movie_sequence(run) for run in runs]
        if not any(sequences):
            stacked = [np.asarray(run, dtype=np.float64) for run in runs]
            shapes = {array.shape for array in stacked}
            if len(shapes) > 1:
                raise ValueError(f"the runs predicted arrays of different shapes {sorted(shapes)}.")
            return np.average(np.stack(stacked), axis=0, weights=weights)
        if not all(sequences):
            raise TypeError("some runs predicted per-movie lists and others plain arrays; cannot average them.")
        n_movies = len(runs[0])
        for run_index, run in enumerate(runs):
            if len(run) != n_movies:
                raise ValueError(f"run {run_index} predicted {len(run)} movies but run 0 predicted {n_movies}.")
        averaged = []
        for movie in range(n_movies):
            curves = [np.asarray(run[movie], dtype=np.float64) for run in runs]
            for run_index, curve in enumerate(curves):
                if curve.shape != curves[0].shape:
                    raise ValueError(
                        f"movie {movie}: run {run_index} predicted shape {curve.shape} but run 0 "
                        f"predicted {curves[0].shape}."
                    )
            averaged.append(np.average(np.stack(curves), axis=0, weights=weights))
        return averaged

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            first = next(member for _, member in self.estimators if not isinstance(member, str))
        except (StopIteration, TypeError, ValueError):
            return tags
        return copy_inner_tags(tags, first)
