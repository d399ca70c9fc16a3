"""TCNRegressor: an encoder-decoder temporal convolutional network as a scikit-learn regressor."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import MovieRegressorMixin, private_random_state, resolve_target_range
from ..data import DEFAULT_MODALITY, as_movies, as_targets, is_movie_sequence, movie_length, stack_modalities
from .batches import CropBatches, MovieBatches, movie_inputs, padded_length

__all__ = ["TCNRegressor"]


class TCNRegressor(MovieRegressorMixin, BaseEstimator):
    """Encoder-decoder temporal convolutional network (Lea et al., 2017): whole movies in, curves out.

    Sequence to sequence: the network reads a whole movie (in training, crops of ``crop_length``
    seconds) and predicts valence and arousal for every second at once; no
    :class:`~sklearn_emotion.Windower` is needed.  The modalities are concatenated per second (early
    fusion) and projected per second to ``projection`` channels.  The encoder has ``levels`` levels
    of ``Conv1D -> ReLU -> dropout -> MaxPool(2)``, the decoder mirrors it with ``UpSampling(2) ->
    Conv1D -> ReLU -> dropout`` (each level also reading the encoder's output at its resolution:
    ``skip_connections``), and a sigmoid per second and target gives values in ``[0, 1]``, mapped
    back to ``target_range``.  Trained with Adam on the
    multilabel sigmoid cross-entropy of targets mapped to ``[0, 1]`` (or MSE), NaN targets masked,
    with early stopping on held-out movies as :class:`~sklearn_emotion.GRUMoERegressor`.

    Acausal by default, as in Lea et al.: a second's prediction uses the content before and after it.
    ``causal=True`` uses the past only, like the GRU's windows (see ``docs/tcn.md`` for how pooling is
    kept from leaking the future).  Movies of any length are predicted whole, padded to a multiple of
    ``2 ** levels`` seconds; the padding is masked at every layer, so it does not change predictions.
    Features should be standardised (e.g. :class:`~sklearn_emotion.MovieStandardScaler` first).

    Parameters
    ----------
    projection : int or None, default=64
        Width of a per-second linear projection (a 1x1 convolution) of the concatenated features
        before the encoder.  Embeddings of thousands of dimensions would otherwise give the first
        convolution ``kernel_size`` times as many weights, too many for a few movies.  ``None``: the
        encoder reads the features themselves (as in Lea et al.).
    filters : int or sequence of int, default=64
        Filters of the convolutions of each level (encoder and decoder alike), from the finest level
        to the coarsest; an int for every level.  A sequence must have ``levels`` values.
    levels : int, default=3
        Encoder levels (each halves the time resolution) and as many decoder levels.
    kernel_size : int, default=9
        Width of every convolution, in steps of its level's resolution (``2 ** (level - 1)``
        seconds).  With the defaults an output second sees 63 s on each side (126 s of the past
        when causal): ``sklearn_emotion.tcn.network.receptive_field(levels, kernel_size, causal)``.
    causal : bool, default=False
        Predict each second from the content up to it only.
    skip_connections : bool, default=True
        Give each decoder level the encoder's output of the same level too (concatenated), as in
        U-Net.  Lea et al.'s ED-TCN has none (``False``); without them a causal network cannot see
        the last seconds before each output (the shifts that keep pooling causal delay them), and
        on the demo corpus both variants predicted worse (``docs/tcn.md``).
    dropout : float, default=0.0
        Spatial (whole-channel) dropout rate after every hidden convolution.
    loss : {"cross_entropy", "mse"}, default="cross_entropy"
        Multilabel sigmoid cross-entropy on targets mapped to ``[0, 1]`` (the paper), or squared error.
    target_range : (float, float) or "auto", default=(-1.0, 1.0)
        Range of the targets, mapped linearly to ``[0, 1]``; ``"auto"`` uses the training targets'
        minimum and maximum.  Targets outside the range are an error.
    l2 : float, default=1e-4
        L2 penalty on every kernel.
    learning_rate : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=8
        Crops per gradient step (and held-out movies per validation batch).
    crop_length : int, default=256
        Seconds per training crop, rounded up to a multiple of ``2 ** levels`` (and down to the
        longest training movie, so that short movies train whole).
    epochs : int, default=100
        Maximum number of epochs.  An epoch cuts every training movie into consecutive crops from
        a random offset, so that each second is seen once, and repeats that until it has at least
        8 batches (a corpus of two short movies sees each second several times per epoch).
    early_stopping : bool or "auto", default="auto"
        As in :class:`~sklearn_emotion.GRUMoERegressor`: ``"auto"`` watches the loss of
        ``validation_fraction`` of the movies, held out, when that is at least 3 movies, and
        otherwise the training loss; ``True`` always holds movies out; ``False`` runs every epoch
        and keeps the last weights.
    validation_fraction : float, default=0.2
        Share of the movies held out for early stopping.
    patience : int, default=10
        Epochs without improvement of the watched loss before training stops.
    random_state : int, RandomState instance or None, default=None
        Controls weight initialisation, dropout, the validation split and the crops, without
        touching global random state.
        An int gives bitwise the same fit in any process of the same machine and TensorFlow
        intra-op thread count: training and prediction run under TensorFlow's op determinism,
        switched on for the call and back off afterwards (see docs/reproducing_the_paper.md).
    verbose : int, default=0
        1 or more: print one line per epoch and, at the end, which epoch's weights were kept.

    Attributes
    ----------
    network_ : TCNNetwork
        The trained Keras model.
    modalities_ : list of (str, int)
        Modality names and widths, concatenated in this order.
    n_features_in_ : int
        Total feature width.
    target_range_ : tuple of float
    n_outputs_ : int
    crop_length_ : int
        Crop length used in training.
    history_ : dict
        Mean training loss per epoch (``"loss"``) and, with held-out movies, validation loss (``"val_loss"``).
    n_epochs_ : int
        Epochs actually run.
    best_epoch_ : int
        Epoch (from 1) whose weights were kept.
    stopping_ : {"val_loss", "loss", "epochs"}
        What ended training: the held-out loss, the training loss, or the number of epochs.
    stopping_summary_ : str
        One sentence saying so.
    validation_size_ : int
        Movies held out for early stopping; 0 when none.

    Notes
    -----
    Input: a sequence of movies (``(T, d)`` arrays or mappings ``modality -> (T, d_m)``) with ``y``
    one ``(T, k)`` array per movie, or, for scikit-learn's tooling, a single 2-D array ``(T, d)``
    read as **one movie**, with ``y`` of shape ``(T,)`` or ``(T, k)``; ``predict`` answers in the
    same form.  Before training, the output biases are set so that the untrained network predicts
    the training targets' mean.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_emotion import MovieStandardScaler, TCNRegressor
    >>> model = make_pipeline(MovieStandardScaler(), TCNRegressor(random_state=0))
    >>> # model.fit(movies, annotations).predict(new_movies) -> list of (T, 2) arrays
    """

    _parameter_constraints: dict = {
        "projection": [Interval(Integral, 1, None, closed="left"), None],
        "filters": [Interval(Integral, 1, None, closed="left"), Sequence],
        "levels": [Interval(Integral, 1, 10, closed="both")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "causal": ["boolean"],
        "skip_connections": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions({"cross_entropy", "mse"})],
        "target_range": [tuple, list, StrOptions({"auto"})],
        "l2": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "crop_length": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        projection: int | None = 64,
        filters: int | Sequence[int] = 64,
        levels: int = 3,
        kernel_size: int = 9,
        causal: bool = False,
        skip_connections: bool = True,
        dropout: float = 0.0,
        loss: str = "cross_entropy",
        target_range: tuple[float, float] | str = (-1.0, 1.0),
        l2: float = 1e-4,
        learning_rate: float = 1e-3,
        batch_size: int = 8,
        crop_length: int = 256,
        epochs: int = 100,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.2,
        patience: int = 10,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.projection = projection
        self.filters = filters
        self.levels = levels
        self.kernel_size = kernel_size
        self.causal = causal
        self.skip_connections = skip_connections
        self.dropout = dropout
        self.loss = loss
        self.target_range = target_range
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.crop_length = crop_length
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ input handling
    def _filters(self) -> list[int]:
        """``filters`` as one positive int per level."""
        if isinstance(self.filters, (Integral, np.integer)):
            return [int(self.filters)] * int(self.levels)
        values = list(self.filters)
        if len(values) != self.levels or not all(isinstance(v, (Integral, np.integer)) and v >= 1 for v in values):
            raise ValueError(
                f"filters={self.filters!r} must be a positive int or {self.levels} positive ints (one per level)."
            )
        return [int(v) for v in values]

    @staticmethod
    def _refuse_windows(X: Any) -> None:
        from ..windowing import WindowedMovies

        if isinstance(X, WindowedMovies):
            raise TypeError(
                "TCNRegressor reads whole movies and predicts every second at once: remove the Windower "
                "before it (make_pipeline(MovieStandardScaler(), TCNRegressor()))."
            )

    @staticmethod
    def _refuse_rows(X: Any) -> None:
        """A list of 1-D rows is not a movie: say how to pass one."""
        if len(X) > 0 and not isinstance(X[0], Mapping) and np.ndim(X[0]) < 2:
            raise ValueError(
                f"X is a sequence, read as movies, but X[0] has shape {np.shape(X[0])}: each movie must be "
                "a (T, d) array or a mapping of them. Pass a single movie as one 2-D array (np.asarray(X))."
            )

    def _training_data(self, X: Any, y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each movie's features, modalities concatenated ``(T, d)``, and its targets ``(T, k)``."""
        self._refuse_windows(X)
        if is_movie_sequence(X):
            self._refuse_rows(X)
            for attribute in ("feature_names_in_",):  # plain-array state of an earlier fit
                self.__dict__.pop(attribute, None)
            movies = as_movies(X)
            targets = as_targets(y, [movie_length(m) for m in movies], n_targets=None)
            self.modalities_ = [(name, array.shape[1]) for name, array in movies[0].items()]
            self.n_features_in_ = sum(width for _, width in self.modalities_)
            self._check_widths(movies)
            self._y_1d = False
            features = [stack_modalities(m, [n for n, _ in self.modalities_]) for m in movies]
        else:
            X, y = validate_data(self, X, y, reset=True, dtype=np.float32, multi_output=True, y_numeric=True)
            self._y_1d = y.ndim == 1
            self.modalities_ = [(DEFAULT_MODALITY, X.shape[1])]
            features, targets = [np.ascontiguousarray(X)], [np.asarray(y, np.float64).reshape(len(y), -1)]
        self.n_outputs_ = targets[0].shape[1]
        return features, targets

    def _check_widths(self, movies: list[dict]) -> None:
        expected = dict(self.modalities_)
        for index, movie in enumerate(movies):
            for name, array in movie.items():
                if array.shape[1] != expected[name]:
                    raise ValueError(
                        f"movie {index}, modality {name!r}: {array.shape[1]} features (shape {array.shape}) "
                        f"but the model expects {expected[name]}."
                    )

    def _prediction_data(self, X: Any) -> tuple[list[np.ndarray], bool]:
        """Features of each movie to predict, and whether ``X`` was a single 2-D array."""
        self._refuse_windows(X)
        names = [name for name, _ in self.modalities_]
        if is_movie_sequence(X):
            self._refuse_rows(X)
            movies = as_movies(X, modalities=names)
            self._check_widths(movies)
            return [stack_modalities(m, names) for m in movies], False
        if names != [DEFAULT_MODALITY]:
            raise TypeError(
                f"This model was fitted on movies with modalities {names}: predict needs a sequence of "
                "such movies, not a single array."
            )
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return [np.ascontiguousarray(X)], True

    def _target_range(self, targets: list[np.ndarray]) -> tuple[float, float]:
        return resolve_target_range(self.target_range, targets)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> "TCNRegressor":
        """Train the network on crops of the movies.

        Parameters
        ----------
        X : sequence of movies, or ndarray of shape (T, d)
            ``(T, d)`` arrays or mappings ``modality -> (T, d_m)`` array; a single 2-D array is one movie.
        y : sequence of ndarray of shape (T, k), or ndarray of shape (T,) or (T, k)
            Targets per movie, NaN for unannotated seconds.

        Returns
        -------
        self
        """
        self._validate_params()
        from ..gru_moe.training import describe

        rng = private_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        features, targets = self._training_data(X, y)
        filters = self._filters()
        self.target_range_ = self._target_range(targets)
        low, high = self.target_range_
        scaled = [((t - low) / (high - low)).astype(np.float32) for t in targets]
        train_idx, val_idx = self._validation_split(len(features), rng)
        self._network_config = dict(
            n_features=self.n_features_in_, n_outputs=self.n_outputs_, filters=filters,
            kernel_size=int(self.kernel_size), causal=bool(self.causal), dropout=float(self.dropout),
            l2=float(self.l2), seed=seed, projection=None if self.projection is None else int(self.projection),
            skip_connections=bool(self.skip_connections),
        )
        factor = 2 ** len(filters)
        longest = max(len(features[i]) for i in train_idx)
        self.crop_length_ = min(padded_length(self.crop_length, factor), padded_length(longest, factor))
        train = CropBatches([features[i] for i in train_idx], [scaled[i] for i in train_idx],
                            self.crop_length_, self.batch_size, seed)
        validation = None if val_idx is None else MovieBatches(
            [features[i] for i in val_idx], [scaled[i] for i in val_idx], factor, self.batch_size)
        self.network_ = self._compiled_network(self._training_level([scaled[i] for i in train_idx]))
        record = self._train(train, validation)
        self.history_, self.n_epochs_, self.best_epoch_ = record.history, record.n_epochs, record.best_epoch
        self.stopping_ = record.stopping
        self.stopping_summary_ = describe(record, self.epochs, self.patience, f"{self.validation_size_} movie(s)")
        if self.verbose:
            print(f"TCNRegressor: {self.stopping_summary_}.", flush=True)
        if record.stopping == "val_loss" and record.best_epoch <= 2 < self.epochs:
            warnings.warn(
                f"TCNRegressor: the best validation epoch was epoch {record.best_epoch} of {record.n_epochs}: "
                "the kept model has barely trained, its predictions are unreliable. The held-out movies "
                "may differ from the training ones, or learning_rate may be too high.",
                UserWarning, stacklevel=2,
            )
        return self

    def _train(self, train: CropBatches, validation: MovieBatches | None) -> Any:
        """The epoch loop of :mod:`sklearn_emotion.gru_moe.training`, with this estimator's name in errors."""
        from ..gru_moe.training import train_epochs

        try:
            return train_epochs(self.network_, train, validation, epochs=self.epochs, patience=self.patience,
                                early_stopping=self._early_stopping() is not False, verbose=self.verbose)
        except FloatingPointError as exc:
            raise FloatingPointError(str(exc).replace("GRUMoERegressor", "TCNRegressor")) from None

    def _compiled_network(self, level: np.ndarray) -> Any:
        """The network of ``_network_config``, built, starting at ``level`` and compiled with Adam."""
        from .._backend import require_tensorflow

        require_tensorflow()
        import keras  # deferred: importing TensorFlow is slow and not needed to build the estimator

        from ..gru_moe.network import masked_loss
        from .network import TCNNetwork

        network = TCNNetwork(**self._network_config)
        network.build_for_inputs()
        network.start_at_level(level)
        optimizer = keras.optimizers.Adam(self.learning_rate)
        optimizer.build(network.trainable_variables)
        network.compile(optimizer=optimizer, loss=masked_loss(self.loss))
        return network

    @staticmethod
    def _training_level(scaled: list[np.ndarray]) -> np.ndarray:
        """Mean of the training targets on the network's ``[0, 1]`` scale, per output (0.5 if none)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column without annotation
            level = np.nanmean(np.concatenate(scaled), axis=0)
        return np.where(np.isnan(level), 0.5, level)

    def _early_stopping(self) -> bool | str:
        """``early_stopping`` as ``"auto"``, True or False (NumPy booleans included)."""
        return "auto" if isinstance(self.early_stopping, str) else bool(self.early_stopping)

    def _validation_split(self, n: int, rng: np.random.RandomState) -> tuple[np.ndarray, Any]:
        """Training and held-out movie indices (``None`` held out: stop on the training loss).

        The rule of :class:`~sklearn_emotion.GRUMoERegressor`: ``"auto"`` holds out movies only when
        ``validation_fraction`` of them is at least 3 movies; ``True`` holds out at least one, with a
        warning when that is 1 or 2.
        """
        n_val = min(n - 1, max(1, int(round(self.validation_fraction * n))))
        self.validation_size_ = 0
        mode = self._early_stopping()
        if mode is False or n < 2 or (mode == "auto" and n_val < 3):
            return np.arange(n), None
        if n_val < 3:
            warnings.warn(
                f"TCNRegressor: early stopping on {n_val} held-out movie(s) of {n}; the best epoch will be "
                "chosen on too few movies to be reliable (early_stopping='auto' stops on the training loss "
                "instead).", UserWarning, stacklevel=3,
            )
        order = rng.permutation(n)
        self.validation_size_ = n_val
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    # ------------------------------------------------------------------ predict
    def predict(self, X: Any) -> Any:
        """Predict every second of every movie.

        Parameters
        ----------
        X : sequence of movies, or ndarray of shape (T, d)
            Same kind of input as in ``fit``; movies of any length.

        Returns
        -------
        list of ndarray of shape (T, k), or ndarray of shape (T,) or (T, k)
            One ``(T, k)`` array per movie (valence, arousal), float64; an array for a single array.
        """
        from ..gru_moe.training import op_determinism

        check_is_fitted(self, "network_")
        features, single = self._prediction_data(X)
        low, high = self.target_range_
        factor = self.network_.pooling_factor
        outputs = []
        with op_determinism():  # deterministic kernels for predictions too (a GPU's differ otherwise)
            for sequence in features:  # each movie whole, in one call (eager: no retracing per length)
                inputs = movie_inputs([sequence], padded_length(len(sequence), factor))
                scaled = np.asarray(self.network_(inputs, training=False), np.float64)[0, :len(sequence)]
                outputs.append(low + (high - low) * scaled)
        if single:
            return outputs[0][:, 0] if self._y_1d else outputs[0]
        return outputs

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
        if weights is not None:
            from .network import TCNNetwork

            network = TCNNetwork(**self._network_config)
            network.build_for_inputs()
            network.set_weights(weights)
            self.network_ = network

    def save(self, path: str | os.PathLike) -> None:
        """Save this estimator alone with joblib, atomically; ``joblib.load(path)`` returns it.

        Parameters
        ----------
        path : str or path-like
            Destination file.
        """
        from ..persistence import write_joblib

        write_joblib(path, self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True   # one movie
        tags.input_tags.three_d_array = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = False
        return tags
