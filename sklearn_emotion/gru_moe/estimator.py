"""GRUMoERegressor: the paper's recurrent mixture-of-experts model as a scikit-learn regressor."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..base import MovieRegressorMixin, private_random_state, resolve_target_range
from ..data import DEFAULT_MODALITY, as_targets, check_has_movies, is_movie_sequence, movie_length
from ..windowing import WindowedMovies

__all__ = ["GRUMoERegressor"]

#: The settings GRUMoENetwork is rebuilt from when a fitted estimator is loaded.
_NETWORK_CONFIG_KEYS = (
    "modalities", "window_length", "cell", "units", "n_layers", "n_experts", "n_outputs", "l2", "dropout",
    "batch_norm", "batch_norm_inference", "seed",
)


class GRUMoERegressor(MovieRegressorMixin, BaseEstimator):
    """Recurrent branches per modality + context gates + mixture of experts (MediaEval 2018, best MSE).

    One GRU (or LSTM) branch per modality reads the window of the last ``L`` seconds; the last hidden
    states are concatenated, passed through a context gate, a mixture of logistic-regression experts with
    a softmax gating network and a second context gate, giving one output per target in ``[0, 1]``,
    mapped back to ``target_range``.  Trained with Adam on the multilabel sigmoid cross-entropy of targets
    mapped to ``[0, 1]`` (or MSE), with L2, dropout and batch normalisation, and early stopping on
    held-out movies.

    With ``predict_std=True`` it also learns how much the viewers *disagree*: trained on targets with
    four columns (valence, arousal, and the standard deviation of the viewers' ratings of each), a
    second output head predicts that standard deviation, and ``predict(X, return_std=True)`` returns
    it beside the mean curves.

    Training never materialises the ``(n, L, d)`` windows: batches are blocks of consecutive windows of
    several movies, and each second's input projection is computed once per block instead of once per
    window (see ``docs/performance.md``).

    Parameters
    ----------
    modalities : mapping str -> int, optional
        For plain arrays only: names and widths of consecutive column groups, e.g.
        ``{"image": 2048, "audio": 128}``, each given its own branch.  ``None``: one branch over all
        columns.  Movies given as mappings take their modalities from the keys.
    rnn : {"gru", "lstm"}, default="gru"
        Recurrent cell.
    units : int or mapping str -> int, default=128
        Recurrent units, for all modalities or per modality (the paper used 32 to 256).
    n_layers : int or mapping str -> int, default=1
        Stacked recurrent layers, for all or per modality (the paper used 1 or 2).
    n_experts : int, default=4
        Logistic-regression experts per output (plus one dummy expert predicting 0).
    loss : {"cross_entropy", "mse"}, default="cross_entropy"
        Multilabel sigmoid cross-entropy on targets mapped to ``[0, 1]`` (the paper), or squared error.
    target_range : (float, float) or "auto", default=(-1.0, 1.0)
        Range of the targets, mapped linearly to ``[0, 1]``; ``"auto"`` uses the training targets'
        minimum and maximum.  Targets outside the range are an error.  With ``predict_std``, only the
        mean columns.
    l2 : float, default=1e-5
        L2 penalty on every kernel.
    dropout : float, default=0.0
        Dropout rate on the fused branch states (the paper's runs 2-4 used dropout).
    batch_norm : bool, default=False
        Batch-normalise the fused branch states (the paper's runs 2-4).
    batch_norm_inference : {"population", "batch"}, default="population"
        Statistics used by batch normalisation at prediction time: the population statistics learned in
        training, or the statistics of each prediction batch (``batch_size`` consecutive windows), the
        variant the paper found to improve valence (section 3).
    learning_rate : float, default=1e-3
        Adam learning rate.
    batch_size : int or "auto", default="auto"
        Windows per gradient step.  ``"auto"``: a 32nd of the training windows, at least 32 and at most
        the paper's 512, so that an epoch makes about 32 updates from 1,024 training windows up to
        16,384 (more above, fewer below: 300 s of movie give 9): a LIRIS-ACCEDE-sized corpus trains
        with 512, two short movies with 32 instead of one update per epoch.  ``512``: the paper.
    block_size : int or "auto", default="auto"
        Consecutive windows per block; a batch holds ``batch_size // block_size`` blocks from different
        movies.  Larger blocks share more computation, smaller ones mix more movies per batch.
        ``"auto"``: an eighth of the batch, from 8 to 64 windows (64 with a batch of 512).
    epochs : int, default=30
        Maximum number of passes over the training windows.
    early_stopping : bool or "auto", default="auto"
        Stop when the watched loss has not improved for ``patience`` epochs and keep the weights of its
        best epoch.  ``"auto"`` watches the loss of ``validation_fraction`` of the movies, held out,
        when that is at least 3 movies (10 windows for plain arrays), and otherwise the training loss:
        one or two held-out movies pick the stopping epoch by chance.  ``True`` always holds out
        ``validation_fraction`` (at least one movie; a warning when that is 1 or 2).  ``False`` runs
        every epoch and keeps the last weights.
    validation_fraction : float, default=0.2
        Share of the movies (windows, for plain arrays) held out for early stopping.
    patience : int, default=5
        Epochs without improvement of the watched loss before training stops.
    random_state : int, RandomState instance or None, default=None
        Controls weight initialisation, dropout, the validation split and shuffling, without touching
        global random state.
        An int gives bitwise the same fit in any process of the same machine and TensorFlow
        intra-op thread count: training and prediction run under TensorFlow's op determinism,
        switched on for the call and back off afterwards (see docs/reproducing_the_paper.md).
    verbose : int, default=0
        1 or more: print one line per epoch and, at the end, which epoch's weights were kept.
    predict_std : bool, default=False
        Also learn the spread of the viewers' ratings.  ``y`` then has four columns per movie: the
        mean valence and arousal, then the standard deviations of the individual viewers' ratings
        around them (``valence_std``, ``arousal_std``; NaN = unknown, ignored by the loss); for plain
        arrays, ``2k`` columns: ``k`` means then their ``k`` stds.  Each std output is a sigmoid in
        ``[0, 1]`` times ``std_max_`` (the largest training std of its column): extra outputs of the
        mixture of experts, with their own experts, sharing the recurrent branches and the context
        gates with the mean outputs, trained with the same ``loss`` on ``std / std_max_``.
        ``predict(X, return_std=True)`` returns them.  ``False``: every column of ``y`` is a mean
        target, exactly as before this option existed.

    Attributes
    ----------
    network_ : GRUMoENetwork
        The trained Keras model.
    modalities_ : list of (str, int)
        Modality names and widths.
    window_length_ : int
        Window length seen in ``fit``.
    target_range_ : tuple of float
    n_outputs_ : int
        Number of mean targets ``k`` (2: valence, arousal); with ``predict_std`` the network has
        ``2 * k`` outputs.
    std_max_ : ndarray of shape (n_outputs_,)
        With ``predict_std`` only: the largest training standard deviation of each target (1 where
        none is positive); the predicted std lies in ``[0, std_max_]``.
    n_features_in_ : int
        Total feature width (plain-array input only).
    history_ : dict
        Mean training loss per epoch (``"loss"``) and, with held-out movies, validation loss (``"val_loss"``).
    n_epochs_ : int
        Epochs actually run.
    best_epoch_ : int
        Epoch (from 1) whose weights were kept: the best of the watched loss, or the last epoch.
    stopping_ : {"val_loss", "loss", "epochs"}
        What ended training: the held-out loss, the training loss, or the number of epochs.
    stopping_summary_ : str
        One sentence saying so (printed when ``verbose`` and by ``sklearn-emotion fit``).
    validation_size_ : int
        Movies (windows, for plain arrays) held out for early stopping; 0 when none.
    batch_size_, block_size_ : int
        The batch and block sizes used (``"auto"`` resolved).

    Notes
    -----
    Before training, the output layer's biases are set so that the untrained network predicts about
    the training targets' mean: training starts from the constant predictor, and a short training
    cannot leave the model worse than it.  The *start* is the mean; early stopping on held-out movies
    still keeps whichever epoch predicts them best.

    Warns
    -----
    UserWarning
        When early stopping holds out only 1 or 2 movies (``early_stopping=True``), or when the best
        held-out epoch is the first or second: the model has barely trained.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_emotion import Windower, GRUMoERegressor
    >>> model = make_pipeline(Windower(length=60), GRUMoERegressor(units=64, random_state=0))
    >>> # model.fit(movies, annotations).predict(new_movies) -> list of (T, 2) arrays
    """

    _parameter_constraints: dict = {
        "modalities": [Mapping, None],
        "rnn": [StrOptions({"gru", "lstm"})],
        "units": [Interval(Integral, 1, None, closed="left"), Mapping],
        "n_layers": [Interval(Integral, 1, None, closed="left"), Mapping],
        "n_experts": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"cross_entropy", "mse"})],
        "target_range": [tuple, list, StrOptions({"auto"})],
        "l2": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "batch_norm_inference": [StrOptions({"population", "batch"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "block_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "predict_std": ["boolean"],
    }

    def __init__(
        self,
        modalities: Mapping[str, int] | None = None,
        rnn: str = "gru",
        units: int | Mapping[str, int] = 128,
        n_layers: int | Mapping[str, int] = 1,
        n_experts: int = 4,
        loss: str = "cross_entropy",
        target_range: tuple[float, float] | str = (-1.0, 1.0),
        l2: float = 1e-5,
        dropout: float = 0.0,
        batch_norm: bool = False,
        batch_norm_inference: str = "population",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        block_size: int | str = "auto",
        epochs: int = 30,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.2,
        patience: int = 5,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        predict_std: bool = False,
    ) -> None:
        self.modalities = modalities
        self.rnn = rnn
        self.units = units
        self.n_layers = n_layers
        self.n_experts = n_experts
        self.loss = loss
        self.target_range = target_range
        self.l2 = l2
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_inference = batch_norm_inference
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.block_size = block_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.predict_std = predict_std

    # ------------------------------------------------------------------ input handling
    def _split_columns(self, n_columns: int) -> list[tuple[str, int]]:
        if self.modalities is None:
            return [(DEFAULT_MODALITY, n_columns)]
        spec = [(str(name), int(width)) for name, width in self.modalities.items()]
        if any(width < 1 for _, width in spec) or sum(w for _, w in spec) != n_columns:
            raise ValueError(
                f"modalities={dict(self.modalities)} describe {sum(w for _, w in spec)} columns "
                f"but X has {n_columns} features."
            )
        return spec

    def _array_windows(self, X: Any, y: Any = None, *, reset: bool) -> tuple[dict, Any]:
        """Validate plain-array input ``(n, d)`` or ``(n, L, d)`` and split it into modalities."""
        check_has_movies(X)  # an empty list is no movies, not a 1-D array
        if (
            is_movie_sequence(X) and not isinstance(X, np.ndarray) and len(X) > 0
            and (isinstance(X[0], Mapping) or np.ndim(X[0]) >= 2)
        ):
            raise TypeError(
                "GRUMoERegressor needs windows: put a Windower before it, e.g. "
                "make_pipeline(Windower(length=60), GRUMoERegressor()), or pass a (n, L, d) array of windows."
            )
        if getattr(X, "ndim", None) == 3:
            X = check_array(X, allow_nd=True, dtype=np.float32, ensure_min_samples=1)
            if reset:
                self.n_features_in_ = X.shape[2]
            elif X.shape[2] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[2]} features, but GRUMoERegressor is expecting "
                    f"{self.n_features_in_} features as input (X has shape {X.shape})."
                )
            if reset and y is None:
                raise ValueError("GRUMoERegressor requires y to be passed, but the target y is None.")
            if y is not None:
                y = check_array(y, ensure_2d=False, dtype=np.float64)
                if len(y) != len(X):
                    raise ValueError(f"X has {len(X)} windows (shape {X.shape}) but y has {len(y)} rows.")
            windows = X
        else:
            if reset:  # fit: y is required (validate_data says so in scikit-learn's words)
                X, y = validate_data(self, X, y, reset=True, dtype=np.float32, multi_output=True, y_numeric=True)
            else:
                X = validate_data(self, X, reset=False, dtype=np.float32)
            windows = X[:, None, :]
        spec = self._split_columns(windows.shape[2]) if reset else self.modalities_
        split, offset = {}, 0
        for name, width in spec:
            split[name] = np.ascontiguousarray(windows[:, :, offset:offset + width])
            offset += width
        if reset:
            self.modalities_ = spec
        return split, y

    def _validate_hyper(self, names: list[str]) -> tuple[dict, dict]:
        """``units`` and ``n_layers`` as one positive int per modality."""

        def per_modality(value: Any, what: str) -> dict:
            if isinstance(value, Mapping):
                unknown = sorted(set(value) - set(names))
                missing = sorted(set(names) - set(value))
                if unknown or missing:
                    raise ValueError(
                        f"{what}={dict(value)} must name exactly the modalities {names}"
                        + (f"; unknown {unknown}" if unknown else "") + (f"; missing {missing}" if missing else "")
                    )
                result = {name: int(value[name]) for name in names}
            else:
                result = {name: int(value) for name in names}
            for name, v in result.items():
                if v < 1:
                    raise ValueError(f"{what} for modality {name!r} must be >= 1, got {v}.")
            return result

        return per_modality(self.units, "units"), per_modality(self.n_layers, "n_layers")

    def _target_range(self, targets: list[np.ndarray]) -> tuple[float, float]:
        return resolve_target_range(self.target_range, targets)
        if len(self.target_range) != 2 or not self.target_range[0] < self.target_range[1]:
            raise ValueError(f"target_range must be (low, high) with low < high, got {self.target_range!r}.")
        low, high = float(self.target_range[0]), float(self.target_range[1])
        for index, t in enumerate(targets):
            outside = (t < low) | (t > high)
            if outside.any():
                row, col = np.argwhere(outside)[0]
                raise ValueError(
                    f"y[{index}] has value {t[row, col]:.4g} at row {row}, column {col}, outside "
                    f"target_range=({low}, {high}); rescale the targets or set target_range='auto'."
                )
        return low, high

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: Any, y: Any) -> "GRUMoERegressor":
        """Train the network.

        Parameters
        ----------
        X : WindowedMovies or ndarray of shape (n, L, d) or (n, d)
            The output of :class:`~sklearn_emotion.Windower` (movies), or explicit windows (a 2-D array
            is ``n`` windows of one second).
        y : sequence of ndarray of shape (T, k), or ndarray of shape (n,) or (n, k)
            Targets per movie (NaN for unannotated seconds) or per window.  With ``predict_std``,
            ``(T, 4)`` per movie: valence, arousal, valence_std, arousal_std (``(n, 2k)`` arrays).

        Returns
        -------
        self
        """
        self._validate_params()
        from .training import describe, train_epochs

        rng = private_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        data, targets = self._validate_training_data(X, y)
        units, n_layers = self._validate_hyper([name for name, _ in self.modalities_])
        if self.predict_std:
            scaled = self._scaled_with_std(targets)
        else:
            self.__dict__.pop("std_max_", None)  # from an earlier fit with predict_std=True
            self.target_range_ = self._target_range(targets)
            low, high = self.target_range_
            scaled = [((t - low) / (high - low)).astype(np.float32) for t in targets]
        train_idx, train, validation = self._batches(data, scaled, rng, seed)
        n_network_outputs = 2 * self.n_outputs_ if self.predict_std else self.n_outputs_
        self._network_config = dict(
            modalities=self.modalities_, window_length=self.window_length_, cell=self.rnn, units=units,
            n_layers=n_layers, n_experts=self.n_experts, n_outputs=n_network_outputs, l2=self.l2,
            dropout=self.dropout, batch_norm=self.batch_norm,
            batch_norm_inference=self.batch_norm_inference, seed=seed,
        )
        self.network_ = self._compiled_network(self._training_level(scaled, train_idx))
        record = train_epochs(self.network_, train, validation, epochs=self.epochs, patience=self.patience,
                              early_stopping=self._early_stopping() is not False, verbose=self.verbose)
        self.history_, self.n_epochs_, self.best_epoch_ = record.history, record.n_epochs, record.best_epoch
        self.stopping_ = record.stopping
        unit = "movie(s)" if self._input_mode == "movies" else "windows"
        self.stopping_summary_ = describe(record, self.epochs, self.patience, f"{self.validation_size_} {unit}")
        if self.verbose:
            print(f"GRUMoERegressor: {self.stopping_summary_}.", flush=True)
        if record.stopping == "val_loss" and record.best_epoch <= 2 < self.epochs:
            warnings.warn(
                f"GRUMoERegressor: the best validation epoch was epoch {record.best_epoch} of {record.n_epochs}: "
                "the kept model has barely trained, its predictions are unreliable. The held-out movies "
                "may differ from the training ones, or learning_rate may be too high.",
                UserWarning, stacklevel=2,
            )
        return self

    def _scaled_with_std(self, targets: list[np.ndarray]) -> list[np.ndarray]:
        """Targets ``(T, 2k)`` (means, then stds) on the network's scale; sets ``target_range_``, ``std_max_``.

        Means are mapped from ``target_range_`` to ``[0, 1]``, stds divided by ``std_max_``.
        """
        k = self.n_outputs_
        means = [t[:, :k] for t in targets]
        stds = [t[:, k:] for t in targets]
        self.target_range_ = self._target_range(means)
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
                f"GRUMoERegressor: std column(s) {list(np.flatnonzero(unknown) + k)} of y are NaN "
                "everywhere; their predicted std is not learned.", UserWarning, stacklevel=3,
            )
        self.std_max_ = np.where(unknown | ~(largest > 0), 1.0, largest)
        return [
            np.hstack([(m - low) / (high - low), s / self.std_max_]).astype(np.float32)
            for m, s in zip(means, stds)
        ]

    def _validate_training_data(self, X: Any, y: Any) -> tuple[Any, list[np.ndarray]]:
        """Movies (or window arrays per modality) and their ``(T, k)`` targets; sets the input attributes."""
        if isinstance(X, WindowedMovies):
            for attribute in ("n_features_in_", "feature_names_in_"):  # plain-array state of an earlier fit
                self.__dict__.pop(attribute, None)
            # with predict_std, movies' targets are (T, 4): valence, arousal, valence_std, arousal_std
            targets = as_targets(y, X.lengths, n_targets=2 if self.predict_std else None,
                                 with_std=bool(self.predict_std))
            self.modalities_ = [(name, array.shape[1]) for name, array in X.movies[0].items()]
            if self.modalities is not None and [n for n, _ in self.modalities_] != list(self.modalities):
                raise ValueError(
                    f"modalities={list(self.modalities)} does not match the movies' modalities "
                    f"{[n for n, _ in self.modalities_]}; leave modalities=None for mappings."
                )
            self._check_movie_modalities(X)  # the same modalities and widths in every movie
            self.window_length_, self._input_mode, self._y_1d = X.length, "movies", False
            data = X.movies
        else:
            data, y_array = self._array_windows(X, y, reset=True)
            self._y_1d = y_array.ndim == 1
            targets = [y_array.reshape(len(y_array), -1)]
            if self.predict_std:
                if self._y_1d:
                    raise ValueError(
                        "predict_std=True needs y of shape (n, 2k): the k mean targets, then their k "
                        "standard deviations; got a 1-D y."
                    )
                as_targets(targets, n_targets=None, with_std=True)
            self.window_length_ = next(iter(data.values())).shape[1]
            self._input_mode = "arrays"
        self.n_outputs_ = targets[0].shape[1] // 2 if self.predict_std else targets[0].shape[1]
        return data, targets

    def _batches(self, data: Any, scaled: list, rng: np.random.RandomState, seed: int) -> tuple:
        """Training indices, training batches and validation batches (None when nothing is held out)."""
        from .batches import BlockBatches, WindowArrayBatches

        if self._input_mode == "movies":
            train_idx, val_idx = self._validation_split(len(data), rng, what="movies")
            self._resolve_layout(sum(movie_length(data[i]) for i in train_idx))
            block, n_blocks = self._block_layout()

            def batches(rows: np.ndarray, shuffle: bool) -> BlockBatches:
                return BlockBatches([data[i] for i in rows], [scaled[i] for i in rows], self.modalities_,
                                    self.window_length_, block, n_blocks, shuffle, seed)
        else:
            train_idx, val_idx = self._validation_split(len(scaled[0]), rng, what="windows")
            self._resolve_layout(len(train_idx))

            def batches(rows: np.ndarray, shuffle: bool) -> WindowArrayBatches:
                return WindowArrayBatches({name: array[rows] for name, array in data.items()},
                                          scaled[0][rows], self.batch_size_, shuffle, seed)
        return train_idx, batches(train_idx, True), None if val_idx is None else batches(val_idx, False)

    def _compiled_network(self, level: np.ndarray) -> Any:
        """The network of ``_network_config``, built, starting at ``level`` and compiled with Adam."""
        from .._backend import require_tensorflow

        require_tensorflow()
        import keras  # deferred: importing TensorFlow is slow and not needed to build the estimator

        from .network import GRUMoENetwork, masked_loss

        network = GRUMoENetwork(**self._network_config)
        network.build_for_blocks(1)
        network.start_at_level(level)
        optimizer = keras.optimizers.Adam(self.learning_rate)
        # Creating the optimizer's slots eagerly, not while tracing the train step, halves tracing time.
        optimizer.build(network.trainable_variables)
        network.compile(optimizer=optimizer, loss=masked_loss(self.loss))
        return network

    def _resolve_layout(self, n_train_windows: int) -> None:
        """``batch_size_`` and ``block_size_``: the given values, or sized to the training windows.

        ``"auto"`` aims at about 32 gradient updates per epoch (a batch of ``n / 32`` windows, at
        least 32 and at most the paper's 512: a LIRIS-ACCEDE-sized corpus keeps 512, a corpus of two
        short movies gets tens of updates instead of one), and blocks of an eighth of the batch (8 to 64
        windows) so that every batch mixes at least 4 stretches of the corpus.
        """
        if self.batch_size == "auto":
            self.batch_size_ = int(np.clip(n_train_windows // 32, 32, 512))
        else:
            self.batch_size_ = int(self.batch_size)
        if self.block_size == "auto":
            self.block_size_ = int(np.clip(self.batch_size_ // 8, 8, 64))
        else:
            self.block_size_ = int(self.block_size)

    def _block_layout(self) -> tuple[int, int]:
        """Windows per block and blocks per batch (``block * n_blocks <= batch_size_``)."""
        block = min(self.block_size_, self.batch_size_)
        return block, max(1, self.batch_size_ // block)

    def _training_level(self, scaled: list[np.ndarray], train_idx: np.ndarray) -> np.ndarray:
        """Mean of the training targets on the network's ``[0, 1]`` scale, per output."""
        if self._input_mode == "arrays":  # one target array whose rows are windows
            values = scaled[0][train_idx]
        else:
            values = np.concatenate([scaled[i] for i in train_idx])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column without annotation: level 0.5
            level = np.nanmean(values, axis=0)
        return np.where(np.isnan(level), 0.5, level)

    def _early_stopping(self) -> bool | str:
        """``early_stopping`` as ``"auto"``, True or False (NumPy booleans included)."""
        return "auto" if isinstance(self.early_stopping, str) else bool(self.early_stopping)

    def _validation_split(self, n: int, rng: np.random.RandomState, what: str) -> tuple[np.ndarray, Any]:
        """Training and held-out indices (movies, or windows for plain arrays); ``None`` held out when
        training stops on the training loss instead.

        ``early_stopping="auto"`` holds out movies only when ``validation_fraction`` of them is at
        least 3 movies (10 windows for plain arrays): a smaller validation set would pick the stopping
        epoch by chance.  ``True`` holds out whatever ``validation_fraction`` gives (at least 1), with
        a warning when that is 1 or 2 movies.
        """
        n_val = min(n - 1, max(1, int(round(self.validation_fraction * n))))
        enough = 3 if what == "movies" else 10
        self.validation_size_ = 0
        mode = self._early_stopping()
        if mode is False or n < 2 or (mode == "auto" and n_val < enough):
            return np.arange(n), None
        if what == "movies" and n_val < enough:
            warnings.warn(
                f"GRUMoERegressor: early stopping on {n_val} held-out movie(s) of {n}; the best epoch "
                "will be chosen on too few movies to be reliable (early_stopping='auto' stops on the "
                "training loss instead).", UserWarning, stacklevel=4,
            )
        order = rng.permutation(n)
        self.validation_size_ = n_val
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predict every window's targets and, on request, the viewers' spread around them.

        Parameters
        ----------
        X : WindowedMovies or ndarray of shape (n, L, d) or (n, d)
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
            One ``(T, k)`` array per movie (valence, arousal) for windowed movies; an array for arrays.
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
                "predict(X, return_std=True): this GRUMoERegressor was fitted with predict_std=False, so "
                "it predicts the mean curves only. Fit it with predict_std=True on targets with the "
                "viewers' standard deviations (columns valence, arousal, valence_std, arousal_std) to "
                "predict their spread."
            )
        outputs = self._network_outputs(X)
        low, high = self.target_range_
        k = self.n_outputs_
        if self._input_mode == "movies":
            if not hasattr(self, "std_max_"):
                return [low + (high - low) * out for out in outputs]
            means = [low + (high - low) * out[:, :k] for out in outputs]
            return (means, [self.std_max_ * out[:, k:] for out in outputs]) if return_std else means
        if not hasattr(self, "std_max_"):
            result = low + (high - low) * outputs
            return result[:, 0] if self._y_1d else result
        means = low + (high - low) * outputs[:, :k]
        return (means, self.std_max_ * outputs[:, k:]) if return_std else means

    def _network_outputs(self, X: Any) -> Any:
        """The network's ``[0, 1]`` outputs: one ``(T, n_network_outputs)`` array per movie, or one array."""
        from .training import op_determinism

        with op_determinism():  # deterministic kernels for predictions too (a GPU's differ otherwise)
            return self._network_outputs_of(X)

    def _network_outputs_of(self, X: Any) -> Any:
        from .batches import iter_prediction_batches, window_array_inputs

        n_network_outputs = self._network_config["n_outputs"]
        if self._input_mode == "movies":
            if not isinstance(X, WindowedMovies):
                raise TypeError(
                    "This model was fitted on windowed movies: predict needs the Windower's output "
                    f"(a WindowedMovies), got {type(X).__name__}."
                )
            if X.length != self.window_length_:
                raise ValueError(f"X has {X.length}-s windows but the model was fitted on {self.window_length_}-s windows.")
            self._check_movie_modalities(X)
            block, n_blocks = self._block_layout()
            outputs = [np.empty((movie_length(m), n_network_outputs), np.float64) for m in X.movies]
            for inputs, placements in iter_prediction_batches(
                X.movies, self.modalities_, self.window_length_, block, n_blocks
            ):
                p = np.asarray(self.network_.predict_on_batch(inputs)).reshape(n_blocks, block, -1)
                for slot, movie_index, start, n_windows in placements:
                    outputs[movie_index][start:start + n_windows] = p[slot, :n_windows]
            return outputs

        windows, _ = self._array_windows(X, reset=False)
        if next(iter(windows.values())).shape[1] != self.window_length_:
            raise ValueError(
                f"X has windows of {next(iter(windows.values())).shape[1]} steps but the model was fitted "
                f"on {self.window_length_}-step windows."
            )
        n = len(next(iter(windows.values())))
        result = np.empty((n, n_network_outputs), np.float64)
        for start in range(0, n, self.batch_size_):
            rows = np.arange(start, min(start + self.batch_size_, n))
            inputs = window_array_inputs(windows, rows, pad_to=self.batch_size_)
            result[rows] = np.asarray(self.network_.predict_on_batch(inputs))[:len(rows)]
        return result

    def _check_movie_modalities(self, X: WindowedMovies) -> None:
        expected = dict(self.modalities_)
        for index, movie in enumerate(X.movies):
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
        if "batch_size_" not in state and "_network_config" in state:  # fitted by 0.1: sizes were ints
            self.batch_size_, self.block_size_ = int(self.batch_size), int(self.block_size)
        if weights is not None:
            from .network import GRUMoENetwork

            # Only the network's own settings: a crafted file must not pass other keywords to keras.Model.
            config = {key: self._network_config[key] for key in _NETWORK_CONFIG_KEYS}
            network = GRUMoENetwork(**config)
            network.build_for_blocks(1)
            network.set_weights(weights)
            self.network_ = network

    def save(self, path: str | os.PathLike) -> None:
        """Save this estimator alone with joblib, atomically; ``joblib.load(path)`` returns it.

        The same writer as :func:`sklearn_emotion.persistence.save_model`, which saves a model
        (often a whole pipeline) together with its modalities for ``sklearn-emotion predict``.
        """
        from ..persistence import write_joblib

        write_joblib(path, self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = False
        return tags
