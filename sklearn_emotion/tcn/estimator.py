"""TCNRegressor: an encoder-decoder temporal convolutional network as a scikit-learn regressor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from ..data import DEFAULT_MODALITY, as_movies, is_movie_sequence, movie_length, stack_modalities
from ..sequence_regressor import BaseSequenceRegressor
from .batches import CropBatches, MovieBatches, movie_inputs, padded_length

__all__ = ["TCNRegressor"]


class TCNRegressor(BaseSequenceRegressor):
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
    with early stopping on held-out movies as :class:`~sklearn_emotion.GRUMoERegressor` (both share
    their training, prediction and persistence).

    With ``predict_std=True`` it also learns how much the viewers *disagree*, as the GRU-MoE does:
    trained on four columns per movie (valence, arousal, valence_std, arousal_std), the output
    convolution has a sigmoid per second for each std too, and ``predict(X, return_std=True)``
    returns them beside the mean curves.

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
        The loss of each second's sigmoid outputs against the targets mapped to ``[0, 1]``:
        multilabel cross-entropy (as the paper's GRU-MoE) or squared error.
    target_range : (float, float) or "auto", default=(-1.0, 1.0)
        The targets' range, mapped linearly to the sigmoid's ``[0, 1]``; ``"auto"``: from the
        smallest to the largest training target.  A target outside a fixed range is an error.  With
        ``predict_std``, the range of the mean columns only.
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
        Seeds the weights, dropout, the held-out movies and the crops; NumPy's global random state
        is neither used nor changed.  An int gives bitwise the same fit in any process of the same
        machine and TensorFlow intra-op thread count (training and prediction run under
        TensorFlow's op determinism; see docs/reproducing_the_paper.md).
    verbose : int, default=0
        1 or more: print one line per epoch and, at the end, which epoch's weights were kept.
    predict_std : bool, default=False
        Also learn the spread of the viewers' ratings.  ``y`` then has four columns per movie: the
        mean valence and arousal, then the standard deviations of the individual viewers' ratings
        around them (``valence_std``, ``arousal_std``; NaN = unknown, ignored by the loss); for a
        single array, ``2k`` columns: ``k`` means then their ``k`` stds.  Each std output is a
        sigmoid in ``[0, 1]`` times ``std_max_`` (the largest training std of its column), from the
        same output convolution as the means, trained with the same ``loss`` on ``std / std_max_``.
        ``predict(X, return_std=True)`` returns them.  ``False``: every column of ``y`` is a mean
        target.

    Attributes
    ----------
    network_ : TCNNetwork
        The trained Keras model.
    modalities_ : list of (str, int)
        Modality names and widths, concatenated in this order.
    feature_means_ : dict of str to ndarray of shape (d_m,)
        Each modality's mean over all training seconds (the default baseline of
        :func:`~sklearn_emotion.inspection.modality_contributions`).
    n_features_in_ : int
        Total feature width.
    target_range_ : tuple of float
    n_outputs_ : int
        Number of mean targets ``k``; with ``predict_std`` the network has ``2 * k`` outputs.
    std_max_ : ndarray of shape (n_outputs,)
        With ``predict_std`` only: the largest training standard deviation of each target (1 where
        none is positive); the predicted std lies in ``[0, std_max_]``.
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
    Three small movies of 4 features per second; a tiny network (2 levels of 4 filters) trained
    for 2 epochs:

    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_emotion import MovieStandardScaler, TCNRegressor
    >>> rng = np.random.default_rng(0)
    >>> movies = [rng.normal(size=(seconds, 4)).astype("float32") for seconds in (40, 30, 50)]
    >>> annotations = [np.tanh(np.cumsum(movie[:, :2], axis=0) / 10) for movie in movies]
    >>> tcn = TCNRegressor(projection=4, filters=4, levels=2, kernel_size=3, epochs=2, random_state=0)
    >>> model = make_pipeline(MovieStandardScaler(), tcn)
    >>> predictions = model.fit(movies, annotations).predict(movies)
    >>> [p.shape for p in predictions]
    [(40, 2), (30, 2), (50, 2)]
    >>> tcn.n_epochs_, bool(np.all(np.abs(predictions[0]) <= 1))
    (2, True)
    """

    _parameter_constraints: dict = {
        **BaseSequenceRegressor._parameter_constraints,
        "projection": [Interval(Integral, 1, None, closed="left"), None],
        "filters": [Interval(Integral, 1, None, closed="left"), Sequence],
        "levels": [Interval(Integral, 1, 10, closed="both")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "causal": ["boolean"],
        "skip_connections": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "crop_length": [Interval(Integral, 1, None, closed="left")],
    }
    _network_keys = ("n_features", "n_outputs", "filters", "kernel_size", "causal", "dropout", "l2", "seed",
                     "projection", "skip_connections")
    _input_tags = {"two_d_array": True, "three_d_array": False}  # a 2-D array is one movie

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
        predict_std: bool = False,
    ) -> None:
        self.projection = projection
        self.filters = filters
        self.levels = levels
        self.kernel_size = kernel_size
        self.causal = causal
        self.skip_connections = skip_connections
        self.dropout = dropout
        # the targets, then optimisation, then stopping and seeding
        self.loss = loss
        self.target_range = target_range
        self.predict_std = predict_std
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.crop_length = crop_length
        self.epochs = epochs
        self.patience = patience
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
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
            self.__dict__.pop("feature_names_in_", None)  # plain-array state of an earlier fit
            movies = as_movies(X)
            targets = self._movie_targets(y, [movie_length(m) for m in movies])
            self.modalities_ = [(name, array.shape[1]) for name, array in movies[0].items()]
            self.n_features_in_ = sum(width for _, width in self.modalities_)
            self._check_movie_modalities(movies)
            features = [stack_modalities(m, [n for n, _ in self.modalities_]) for m in movies]
        else:
            X, y = validate_data(self, X, y, reset=True, dtype=np.float32, multi_output=True, y_numeric=True)
            self.modalities_ = [(DEFAULT_MODALITY, X.shape[1])]
            features, targets = [np.ascontiguousarray(X)], self._array_targets(y)
        columns = targets[0].shape[1]
        self.n_outputs_ = columns // 2 if self.predict_std else columns
        return features, targets

    def _prediction_data(self, X: Any) -> tuple[list[np.ndarray], bool]:
        """Features of each movie to predict, and whether ``X`` was a single 2-D array."""
        self._refuse_windows(X)
        names = [name for name, _ in self.modalities_]
        if is_movie_sequence(X):
            self._refuse_rows(X)
            movies = as_movies(X, modalities=names)
            self._check_movie_modalities(movies)
            return [stack_modalities(m, names) for m in movies], False
        if names != [DEFAULT_MODALITY]:
            raise TypeError(
                f"This model was fitted on movies with modalities {names}: predict needs a sequence of "
                "such movies, not a single array."
            )
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return [np.ascontiguousarray(X)], True

    # ------------------------------------------------------------------ training set-up
    def _training_batches(self, features: list, scaled: list, rng: np.random.RandomState, seed: int) -> tuple:
        """Training targets, crops of the training movies, and the held-out movies whole (or None).

        Sets ``crop_length_``: ``crop_length`` rounded up to a multiple of ``2 ** levels`` and down to
        the longest training movie.
        """
        train_idx, val_idx = self._validation_split(len(features), rng)
        factor = 2 ** len(self._filters())
        longest = max(len(features[i]) for i in train_idx)
        self.crop_length_ = min(padded_length(self.crop_length, factor), padded_length(longest, factor))
        train_targets = [scaled[i] for i in train_idx]
        train = CropBatches([features[i] for i in train_idx], train_targets, self.crop_length_, self.batch_size, seed)
        validation = None if val_idx is None else MovieBatches(
            [features[i] for i in val_idx], [scaled[i] for i in val_idx], factor, self.batch_size)
        return train_targets, train, validation

    def _network_settings(self, seed: int) -> dict:
        """The keywords of :class:`~.network.TCNNetwork` (``_network_config``)."""
        return dict(
            n_features=self.n_features_in_, n_outputs=self._n_network_outputs(), filters=self._filters(),
            kernel_size=int(self.kernel_size), causal=bool(self.causal), dropout=float(self.dropout),
            l2=float(self.l2), seed=seed, projection=None if self.projection is None else int(self.projection),
            skip_connections=bool(self.skip_connections),
        )

    @staticmethod
    def _build_network(config: dict) -> Any:
        from .network import TCNNetwork

        network = TCNNetwork(**config)
        network.build_for_inputs()
        return network

    # ------------------------------------------------------------------ predict
    def _predict_outputs(self, X: Any) -> tuple[list[np.ndarray], bool]:
        """The network's ``[0, 1]`` outputs, one ``(T, n_network_outputs)`` array per movie, and
        whether ``X`` was a single array."""
        features, single = self._prediction_data(X)
        factor = self.network_.pooling_factor
        outputs = []
        for sequence in features:  # each movie whole, in one call (eager: no retracing per length)
            inputs = movie_inputs([sequence], padded_length(len(sequence), factor))
            outputs.append(np.asarray(self.network_(inputs, training=False), np.float64)[0, :len(sequence)])
        return outputs, single
