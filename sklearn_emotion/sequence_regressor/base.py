"""BaseSequenceRegressor: what the package's Keras sequence regressors share.

The model is aeon's ``BaseDeepRegressor``: the base class holds fitting (targets on the network's
scale, the validation split, the compiled network, the epoch loop, early stopping and its summary),
prediction (the mean curves and, with ``predict_std``, the viewers' std) and persistence; a subclass
writes only its parameters, how it reads its input and its network:

* ``_training_data(X, y) -> (data, targets)``: validated input and per-movie ``(T, k)`` (or
  ``(T, 2k)``) targets; sets ``modalities_`` and ``n_outputs_``;
* ``_training_batches(data, scaled, rng, seed) -> (train_targets, train, validation)``: splits off
  the held-out movies with :meth:`_validation_split` and batches both sides;
* ``_network_settings(seed) -> dict``: the keywords of the network (``_network_config``);
* ``_build_network(config)``: the network of those keywords, built (weights created);
* ``_predict_outputs(X) -> (outputs, single)``: the network's ``[0, 1]`` outputs per movie, and
  whether ``X`` was one array (answered with one array);
* ``_network_keys``: the keywords a saved ``_network_config`` may pass to the network;
* ``_input_tags``: the scikit-learn input tags it sets (e.g. ``{"three_d_array": True}``).

Nothing here imports TensorFlow at module level: estimators are built and validated without it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import MovieRegressorMixin, private_random_state, resolve_target_range
from ..data import as_targets
from ..preprocessing import movie_feature_means

__all__ = ["BaseSequenceRegressor"]


class BaseSequenceRegressor(MovieRegressorMixin, BaseEstimator):
    """Base class of :class:`~sklearn_emotion.GRUMoERegressor` and :class:`~sklearn_emotion.TCNRegressor`.

    Not for direct use.  Subclasses define ``__init__`` with their parameters (at least ``loss``,
    ``target_range``, ``learning_rate``, ``epochs``, ``early_stopping``, ``validation_fraction``,
    ``patience``, ``random_state``, ``verbose`` and ``predict_std``) and the hooks listed in the
    module's docstring.
    """

    #: Constraints of the parameters every subclass has; subclasses add their own.
    _parameter_constraints: dict = {
        "loss": [StrOptions({"cross_entropy", "mse"})],
        "target_range": [tuple, list, StrOptions({"auto"})],
        "l2": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "predict_std": ["boolean"],
    }

    #: The keywords of the network a saved ``_network_config`` may pass (subclasses set them).
    _network_keys: tuple[str, ...] = ()

    #: How ``X`` was read in ``fit``: "movies", or "arrays" of windows (rows, not movies, held out).
    _input_mode = "movies"

    #: The input tags of the subclass (which arrays besides movies it reads).
    _input_tags: dict = {}

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> "BaseSequenceRegressor":
        """Train the network, with early stopping as configured.

        Parameters
        ----------
        X : sequence of movies, or array
            The input the estimator reads (see its class docstring).
        y : sequence of ndarray of shape (T, k), or ndarray
            Targets per movie, NaN for unannotated seconds.  With ``predict_std``, ``(T, 4)`` per
            movie: valence, arousal, valence_std, arousal_std (``(n, 2k)`` for arrays).

        Returns
        -------
        self
        """
        self._validate_params()
        rng = private_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        data, targets = self._training_data(X, y)
        self._record_feature_means(data)
        scaled = self._scaled_targets(targets)
        train_targets, train, validation = self._training_batches(data, scaled, rng, seed)
        self._network_config = self._network_settings(seed)
        self.network_ = self._compiled_network(self._training_level(train_targets))
        self._train(train, validation)
        return self

    def _record_feature_means(self, data: Any) -> None:
        """Set ``feature_means_`` (each modality's mean over the training seconds) when fitted on movies.

        ``data`` is what ``_training_data`` returned: movies as mappings, or as ``(T, d)`` arrays of
        the modalities of ``modalities_`` side by side.  Windows given as arrays overlap (a second is in
        several rows): no per-second mean is recorded for them.
        """
        self.__dict__.pop("feature_means_", None)  # from an earlier fit on movies
        if self._input_mode != "movies" or not isinstance(data, list):
            return
        bounds = np.cumsum([width for _, width in self.modalities_])[:-1]
        movies = (
            movie if isinstance(movie, Mapping)
            else dict(zip((name for name, _ in self.modalities_), np.split(movie, bounds, axis=1)))
            for movie in data
        )
        self.feature_means_ = movie_feature_means(movies)

    def _n_network_outputs(self) -> int:
        """Outputs of the network: the ``n_outputs_`` means, and as many stds with ``predict_std``."""
        return 2 * self.n_outputs_ if self.predict_std else self.n_outputs_

    def _array_targets(self, y: np.ndarray) -> list[np.ndarray]:
        """The targets of plain-array input as one ``(n, columns)`` array; sets ``_y_1d``."""
        y = np.asarray(y, np.float64)
        self._y_1d = y.ndim == 1
        targets = [y.reshape(len(y), -1)]
        if self.predict_std:
            if self._y_1d:
                raise ValueError(
                    f"{type(self).__name__}(predict_std=True) needs y of shape (n, 2k): the k mean targets, "
                    "then their k standard deviations; got a 1-D y."
                )
            as_targets(targets, n_targets=None, with_std=True)
        return targets

    def _movie_targets(self, y: Any, lengths: list[int]) -> list[np.ndarray]:
        """Per-movie targets, ``(T, 4)`` with ``predict_std`` (valence, arousal and their stds)."""
        self._y_1d = False
        return as_targets(y, lengths, n_targets=2 if self.predict_std else None, with_std=bool(self.predict_std))

    def _check_movie_modalities(self, movies: list[dict]) -> None:
        """Every movie has the modalities of ``modalities_``, in order, with their widths."""
        expected = dict(self.modalities_)
        for index, movie in enumerate(movies):
            names = list(movie)
            if names != list(expected):
                missing = sorted(set(expected) - set(names))
                raise ValueError(
                    f"movie {index} has modalities {names} but the model expects {list(expected)}"
                    + (f" (missing {missing})" if missing else "") + "."
                )
            for name, array in movie.items():
                if array.shape[1] != expected[name]:
                    raise ValueError(
                        f"movie {index}, modality {name!r}: {array.shape[1]} features (shape {array.shape}) "
                        f"but the model expects {expected[name]}."
                    )

    def _scaled_targets(self, targets: list[np.ndarray]) -> list[np.ndarray]:
        """The targets on the network's ``[0, 1]`` scale; sets ``target_range_`` (and ``std_max_``)."""
        if self.predict_std:
            return self._scaled_with_std(targets)
        self.__dict__.pop("std_max_", None)  # from an earlier fit with predict_std=True
        self.target_range_ = resolve_target_range(self.target_range, targets)
        low, high = self.target_range_
        return [((t - low) / (high - low)).astype(np.float32) for t in targets]

    def _scaled_with_std(self, targets: list[np.ndarray]) -> list[np.ndarray]:
        """Targets ``(T, 2k)`` (means, then stds) on the network's scale; sets ``target_range_``, ``std_max_``.

        Means are mapped from ``target_range_`` to ``[0, 1]``, stds divided by ``std_max_``.
        """
        k = self.n_outputs_
        means = [t[:, :k] for t in targets]
        stds = [t[:, k:] for t in targets]
        self.target_range_ = resolve_target_range(self.target_range, means)
        low, high = self.target_range_
        values = np.concatenate(stds)
        if np.isnan(values).all():
            raise ValueError(
                "predict_std=True but every standard deviation in y is NaN: there is no viewers' "
                "spread to learn (pass y with columns valence, arousal, valence_std, arousal_std)."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
            largest = np.nanmax(values, axis=0)
        unknown = np.isnan(largest)
        if unknown.any():
            warnings.warn(
                f"{type(self).__name__}: std column(s) {[int(c) for c in np.flatnonzero(unknown) + k]} of y are NaN "
                "everywhere; their predicted std is not learned.", UserWarning, stacklevel=4,
            )
        self.std_max_ = np.where(unknown | ~(largest > 0), 1.0, largest)
        return [
            np.hstack([(m - low) / (high - low), s / self.std_max_]).astype(np.float32)
            for m, s in zip(means, stds)
        ]

    def _early_stopping(self) -> bool | str:
        """``early_stopping`` as ``"auto"``, True or False (NumPy booleans included)."""
        return "auto" if isinstance(self.early_stopping, str) else bool(self.early_stopping)

    def _validation_split(self, n: int, rng: np.random.RandomState, what: str = "movies") -> tuple[np.ndarray, Any]:
        """Training and held-out indices (movies, or windows for plain arrays); ``None`` held out when
        training stops on the training loss instead.

        ``early_stopping="auto"`` holds out movies only when ``validation_fraction`` of them is at
        least 3 movies (10 windows for plain arrays): a smaller validation set would pick the stopping
        epoch by chance.  ``True`` holds out whatever ``validation_fraction`` gives (at least 1), with
        a warning when that is 1 or 2 movies.  Called by ``_training_batches`` (hence the stack level).
        """
        n_val = min(n - 1, max(1, int(round(self.validation_fraction * n))))
        enough = 3 if what == "movies" else 10
        self.validation_size_ = 0
        mode = self._early_stopping()
        if mode is False or n < 2 or (mode == "auto" and n_val < enough):
            return np.arange(n), None
        if what == "movies" and n_val < enough:
            warnings.warn(
                f"{type(self).__name__}: early stopping on {n_val} held-out movie(s) of {n}; the best epoch "
                "will be chosen on too few movies to be reliable (early_stopping='auto' stops on the "
                "training loss instead).", UserWarning, stacklevel=4,
            )
        order = rng.permutation(n)
        self.validation_size_ = n_val
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    @staticmethod
    def _training_level(train_targets: list[np.ndarray]) -> np.ndarray:
        """Mean of the training targets on the network's ``[0, 1]`` scale, per output (0.5 if none)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column without annotation: level 0.5
            level = np.nanmean(np.concatenate(train_targets), axis=0)
        return np.where(np.isnan(level), 0.5, level)

    def _compiled_network(self, level: np.ndarray) -> Any:
        """The network of ``_network_config``, built, starting at ``level`` and compiled with Adam."""
        from .._backend import require_tensorflow

        require_tensorflow()
        import keras  # deferred: importing TensorFlow is slow and not needed to build the estimator

        from .losses import masked_loss

        network = self._restored_network(self._network_config)
        network.start_at_level(level)
        optimizer = keras.optimizers.Adam(self.learning_rate)
        # Creating the optimizer's slots eagerly, not while tracing the train step, halves tracing time.
        optimizer.build(network.trainable_variables)
        network.compile(optimizer=optimizer, loss=masked_loss(self.loss))
        return network

    def _restored_network(self, config: dict) -> Any:
        """The network of a (possibly loaded) ``_network_config``: only the network's own keywords
        pass, so that a crafted file cannot hand other keywords to ``keras.Model``."""
        return self._build_network({key: config[key] for key in self._network_keys if key in config})

    def _train(self, train: Any, validation: Any) -> None:
        """The epoch loop; sets ``history_``, ``n_epochs_``, ``best_epoch_``, ``stopping_`` and its summary."""
        from .training import describe, train_epochs

        name = type(self).__name__
        record = train_epochs(self.network_, train, validation, epochs=self.epochs, patience=self.patience,
                              early_stopping=self._early_stopping() is not False, verbose=self.verbose, name=name)
        self.history_, self.n_epochs_, self.best_epoch_ = record.history, record.n_epochs, record.best_epoch
        self.stopping_ = record.stopping
        unit = "windows" if self._input_mode == "arrays" else "movie(s)"
        self.stopping_summary_ = describe(record, self.epochs, self.patience, f"{self.validation_size_} {unit}")
        if self.verbose:
            print(f"{name}: {self.stopping_summary_}.", flush=True)
        if record.stopping == "val_loss" and record.best_epoch <= 2 < self.epochs:
            warnings.warn(
                f"{name}: the best validation epoch was epoch {record.best_epoch} of {record.n_epochs}: "
                "the kept model has barely trained, its predictions are unreliable. The held-out movies "
                "may differ from the training ones, or learning_rate may be too high.",
                UserWarning, stacklevel=3,
            )

    # ------------------------------------------------------------------ predict
    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predict every second's targets and, on request, the viewers' spread around them.

        Parameters
        ----------
        X : sequence of movies, or array
            Same kind of input as in ``fit``.
        return_std : bool, default=False
            Also return the predicted standard deviation of the *individual viewers'* ratings at every
            second (the model must be fitted with ``predict_std=True``).  This is how much viewers
            disagree: the predictive distribution of one viewer's rating is ``mean ± std``.  It is not
            the model's uncertainty about the mean curve (the same meaning of ``return_std`` as for a
            scikit-learn regressor whose predictive distribution includes the noise of the targets).

        Returns
        -------
        mean : list of ndarray of shape (T, k), or ndarray of shape (n,) or (n, k)
            One ``(T, k)`` array per movie (valence, arousal), float64; an array for an array.
        std : same structure as ``mean``, values >= 0
            Only with ``return_std=True``: the predicted viewers' standard deviation of each target.

        Raises
        ------
        ValueError
            With ``return_std=True`` when the model was fitted with ``predict_std=False``.
        """
        check_is_fitted(self, "network_")
        if return_std and not hasattr(self, "std_max_"):
            raise ValueError(
                f"predict(X, return_std=True): this {type(self).__name__} was fitted with predict_std=False, "
                "so it predicts the mean curves only. Fit it with predict_std=True on targets with the "
                "viewers' standard deviations (columns valence, arousal, valence_std, arousal_std) to "
                "predict their spread."
            )
        from .training import op_determinism

        with op_determinism():  # deterministic kernels for predictions too (a GPU's differ otherwise)
            outputs, single = self._predict_outputs(X)
        low, high = self.target_range_
        k = self.n_outputs_
        means = [low + (high - low) * out[:, :k] for out in outputs]
        stds = [self.std_max_ * out[:, k:] for out in outputs] if return_std else None
        if single:
            means = means[0][:, 0] if self._y_1d else means[0]
            stds = None if stds is None else stds[0]
        return (means, stds) if return_std else means

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        network = state.pop("network_", None)
        if network is not None:
            state["_network_weights"] = [np.asarray(w) for w in network.get_weights()]
        return state

    def __setstate__(self, state: dict) -> None:
        weights = state.pop("_network_weights", None)
        self.__dict__.update(state)
        self.__dict__.setdefault("predict_std", False)  # fitted before predict_std existed
        self._upgrade_state(state)
        if weights is not None:
            network = self._restored_network(self._network_config)
            network.set_weights(weights)
            self.network_ = network

    def _upgrade_state(self, state: dict) -> None:
        """Fill in what a file saved by an older version lacks (nothing by default)."""

    def save(self, path: str | os.PathLike) -> None:
        """Save this estimator alone with joblib, atomically; ``joblib.load(path)`` returns it.

        The same writer as :func:`sklearn_emotion.persistence.save_model`, which saves a model
        (often a whole pipeline) together with its modalities for ``sklearn-emotion predict``.

        Parameters
        ----------
        path : str or path-like
            Destination file.
        """
        from ..persistence import write_joblib

        write_joblib(path, self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        for name, value in self._input_tags.items():
            setattr(tags.input_tags, name, value)
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = False
        return tags
