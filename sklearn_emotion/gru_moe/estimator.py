"""GRUMoERegressor: the paper's recurrent mixture-of-experts model as a scikit-learn regressor."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, validate_data

from ..data import DEFAULT_MODALITY, check_has_movies, is_movie_sequence, movie_length
from ..sequence_regressor import BaseSequenceRegressor
from ..windowing import WindowedMovies

__all__ = ["GRUMoERegressor"]

#: The settings GRUMoENetwork is rebuilt from when a fitted estimator is loaded.
_NETWORK_CONFIG_KEYS = (
    "modalities", "window_length", "cell", "units", "n_layers", "n_experts", "n_outputs", "l2", "dropout",
    "batch_norm", "batch_norm_inference", "seed",
)


class GRUMoERegressor(BaseSequenceRegressor):
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
    feature_means_ : dict of str to ndarray of shape (d_m,)
        Fitted on windowed movies: each modality's mean over all training seconds (the default
        baseline of :func:`~sklearn_emotion.inspection.modality_contributions`).
    window_length_ : int
        Window length seen in ``fit``.
    target_range_ : tuple of float
    n_outputs_ : int
        Number of mean targets ``k`` (2: valence, arousal); with ``predict_std`` the network has
        ``2 * k`` outputs.
    std_max_ : ndarray of shape (n_outputs,)
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
    Three small movies of 4 features per second, whose valence and arousal follow their features'
    history; a tiny network trained for 2 epochs on 10-second windows:

    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_emotion import Windower, GRUMoERegressor
    >>> rng = np.random.default_rng(0)
    >>> movies = [rng.normal(size=(seconds, 4)).astype("float32") for seconds in (40, 30, 50)]
    >>> annotations = [np.tanh(np.cumsum(movie[:, :2], axis=0) / 10) for movie in movies]
    >>> model = make_pipeline(Windower(length=10),
    ...                       GRUMoERegressor(units=4, n_experts=2, epochs=2, random_state=0))
    >>> predictions = model.fit(movies, annotations).predict(movies)
    >>> [p.shape for p in predictions]
    [(40, 2), (30, 2), (50, 2)]
    >>> model[-1].n_epochs_, model[-1].stopping_
    (2, 'loss')
    >>> bool(np.all(np.abs(predictions[0]) <= 1))  # in the target range (-1, 1)
    True

    The paper's model is ``make_paper_pipeline()`` (60-s windows, 128 units, Butterworth smoothing).
    """

    _parameter_constraints: dict = {
        **BaseSequenceRegressor._parameter_constraints,
        "modalities": [Mapping, None],
        "rnn": [StrOptions({"gru", "lstm"})],
        "units": [Interval(Integral, 1, None, closed="left"), Mapping],
        "n_layers": [Interval(Integral, 1, None, closed="left"), Mapping],
        "n_experts": [Interval(Integral, 1, None, closed="left")],
        "batch_norm": ["boolean"],
        "batch_norm_inference": [StrOptions({"population", "batch"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "block_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    }
    _network_keys = _NETWORK_CONFIG_KEYS
    _input_tags = {"three_d_array": True}  # arrays of windows

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

    def _training_data(self, X: Any, y: Any) -> tuple[Any, list[np.ndarray]]:
        """Movies (or window arrays per modality) and their ``(T, k)`` targets; sets the input attributes."""
        if isinstance(X, WindowedMovies):
            for attribute in ("n_features_in_", "feature_names_in_"):  # plain-array state of an earlier fit
                self.__dict__.pop(attribute, None)
            targets = self._movie_targets(y, X.lengths)
            self.modalities_ = [(name, array.shape[1]) for name, array in X.movies[0].items()]
            if self.modalities is not None and [n for n, _ in self.modalities_] != list(self.modalities):
                raise ValueError(
                    f"modalities={list(self.modalities)} does not match the movies' modalities "
                    f"{[n for n, _ in self.modalities_]}; leave modalities=None for mappings."
                )
            self._check_movie_modalities(X.movies)  # the same modalities and widths in every movie
            self.window_length_, self._input_mode = X.length, "movies"
            data = X.movies
        else:
            data, y_array = self._array_windows(X, y, reset=True)
            targets = self._array_targets(y_array)
            self.window_length_ = next(iter(data.values())).shape[1]
            self._input_mode = "arrays"
        self.n_outputs_ = targets[0].shape[1] // 2 if self.predict_std else targets[0].shape[1]
        return data, targets

    def _training_batches(self, data: Any, scaled: list, rng: np.random.RandomState, seed: int) -> tuple:
        """Training targets, training batches and validation batches (None when nothing is held out)."""
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
        train_targets = [scaled[0][train_idx]] if self._input_mode == "arrays" else [scaled[i] for i in train_idx]
        return train_targets, batches(train_idx, True), None if val_idx is None else batches(val_idx, False)

    def _network_settings(self, seed: int) -> dict:
        """The keywords of :class:`~.network.GRUMoENetwork` (``_network_config``)."""
        units, n_layers = self._validate_hyper([name for name, _ in self.modalities_])
        return dict(
            modalities=self.modalities_, window_length=self.window_length_, cell=self.rnn, units=units,
            n_layers=n_layers, n_experts=self.n_experts, n_outputs=self._n_network_outputs(), l2=self.l2,
            dropout=self.dropout, batch_norm=self.batch_norm,
            batch_norm_inference=self.batch_norm_inference, seed=seed,
        )

    @staticmethod
    def _build_network(config: dict) -> Any:
        from .network import GRUMoENetwork

        network = GRUMoENetwork(**config)
        network.build_for_blocks(1)
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

    def _predict_outputs(self, X: Any) -> tuple[list[np.ndarray], bool]:
        """The network's ``[0, 1]`` outputs, one ``(T, n_network_outputs)`` array per movie (or one
        array of windows, and True)."""
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
            self._check_movie_modalities(X.movies)
            block, n_blocks = self._block_layout()
            outputs = [np.empty((movie_length(m), n_network_outputs), np.float64) for m in X.movies]
            for inputs, placements in iter_prediction_batches(
                X.movies, self.modalities_, self.window_length_, block, n_blocks
            ):
                p = np.asarray(self.network_.predict_on_batch(inputs)).reshape(n_blocks, block, -1)
                for slot, movie_index, start, n_windows in placements:
                    outputs[movie_index][start:start + n_windows] = p[slot, :n_windows]
            return outputs, False

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
        return [result], True

    def _upgrade_state(self, state: dict) -> None:
        if "batch_size_" not in state and "_network_config" in state:  # fitted by 0.1: sizes were ints
            self.batch_size_, self.block_size_ = int(self.batch_size), int(self.block_size)
