"""The Keras model behind :class:`~sklearn_emotion.TCNRegressor`: an encoder-decoder TCN.

Architecture (Lea et al., 2017, "Temporal Convolutional Networks for Action Segmentation and
Detection", the ED-TCN), on one early-fused input (the modalities concatenated per second)::

    features (n, S, d), mask (n, S)          S a multiple of 2 ** levels
      [projection:          Conv1D(projection, 1), linear, per second]
      encoder, level 1..L:  Conv1D(filters_l, kernel_size) -> ReLU -> dropout -> x mask = e_l -> MaxPool1D(2)
      decoder, level L..1:  UpSampling1D(2) [-> shift right by one step if causal] [-> concat e_l]
                            -> Conv1D(filters_l, kernel_size) -> ReLU -> dropout -> x mask
      output:               Conv1D(n_outputs, 1) -> sigmoid        (n, S, n_outputs) in [0, 1]

Two additions to Lea et al.'s ED-TCN, both optional: the per-second linear ``projection`` of wide
embeddings (thousands of columns would give the first convolution ``kernel_size`` times as many
weights) and U-Net-like ``skip_connections`` (each decoder level also reads the encoder's output
``e_l`` at its resolution).

**Padding.**  Every hidden sequence is multiplied by the mask of its resolution (the input mask
max-pooled), so padded seconds are exact zeros at every layer, which is what the convolutions' own
zero padding assumes: a movie's predictions do not depend on how much padding follows it (in a
batch or to reach a multiple of ``2 ** levels``).

**Causality** (``causal=True``).  Convolutions pad on the left only, so a step sees itself and the
past.  Pooling and upsampling would still leak: pooled step ``i`` summarises steps ``2i`` and
``2i + 1``, and upsampling copies it back to both, so step ``2i`` would see step ``2i + 1``.  After each
upsampling the sequence is therefore shifted right by one step (a zero in front): step ``j`` reads
pooled step ``(j - 1) // 2``, which summarises steps ``<= j`` only.  By induction over the levels the
output at second ``t`` depends on inputs at seconds ``<= t`` only (``tests/test_tcn.py`` checks it).
The price: through the pooled path, the last ``1`` to ``2 ** levels - 1`` seconds before an output
arrive late or not at all, depending on its position in a pooling block; the skip connections bring
them back (``e_1`` holds second ``t`` at step ``t``), which is why they are on by default.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = ["TCNNetwork", "receptive_field"]


def receptive_field(levels: int, kernel_size: int, causal: bool) -> tuple[int, int]:
    """Seconds of the past and of the future that can reach an output second.

    Each level's encoder and decoder convolution, at the resolution ``2 ** (level - 1)`` seconds,
    widens the field by ``(kernel_size - 1) * 2 ** (level - 1)`` seconds (split between past and
    future as Keras' ``"same"`` padding splits a kernel, when acausal); pooling adds ``2 ** levels - 1``
    seconds on each side, and the causal shifts as many to the past.  (Measured by perturbing single
    input seconds of random networks in ``tests/test_tcn.py``.)

    Parameters
    ----------
    levels : int
        Encoder (and decoder) levels.
    kernel_size : int
        Width of every convolution, in steps of its resolution.
    causal : bool
        Causal convolutions (nothing from the future).

    Returns
    -------
    (int, int)
        Past and future seconds.
    """
    steps = 2 ** levels - 1  # sum of the resolutions 2 ** (level - 1), in seconds
    if causal:
        return 2 * (kernel_size - 1) * steps + 2 * steps, 0
    return 2 * ((kernel_size - 1) // 2) * steps + steps, 2 * (kernel_size // 2) * steps + steps


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class TCNNetwork(keras.Model):
    """Encoder-decoder temporal convolutional network (ED-TCN) with masked padding.

    Parameters
    ----------
    n_features : int
        Input width (all modalities concatenated).
    n_outputs : int
        Targets per second.
    filters : list of int
        Filters of the convolutions of each level, from the finest (level 1) to the coarsest.
    kernel_size : int
        Width of every convolution (steps of its level's resolution).
    causal : bool
        Pad convolutions on the left only and shift after upsampling: no output sees the future.
    dropout : float
        Rate of (whole-channel) spatial dropout after every hidden convolution.
    l2 : float
        L2 penalty on every kernel.
    seed : int
        Seed of every initializer and of dropout.
    projection : int, optional
        Width of a per-second linear projection (1x1 convolution) of the features before the
        encoder; ``None``: the encoder reads the features themselves.
    skip_connections : bool, default=False
        Concatenate the encoder's output of each level to the decoder's input at that level.
    """

    def __init__(
        self, n_features: int, n_outputs: int, filters: list, kernel_size: int, causal: bool,
        dropout: float, l2: float, seed: int, projection: int | None = None,
        skip_connections: bool = False, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.n_features = int(n_features)
        self.n_outputs = int(n_outputs)
        self.filters = [int(f) for f in filters]
        self.kernel_size = int(kernel_size)
        self.causal = bool(causal)
        self.dropout_rate = float(dropout)
        self.l2 = float(l2)
        self.seed = int(seed)
        self.projection = None if projection is None else int(projection)
        self.skip_connections = bool(skip_connections)
        seeds = iter(np.random.RandomState(self.seed).randint(0, 2**31 - 2, size=8 * len(self.filters) + 8).tolist())
        padding = "causal" if self.causal else "same"
        regularizer = keras.regularizers.L2(self.l2) if self.l2 > 0 else None

        def conv(width: int, name: str) -> keras.layers.Conv1D:
            return keras.layers.Conv1D(
                width, self.kernel_size, padding=padding, activation="relu", name=name,
                kernel_initializer=keras.initializers.HeUniform(seed=next(seeds)),
                kernel_regularizer=regularizer,
            )

        def dropout_layer(name: str) -> Any:
            if self.dropout_rate <= 0:
                return None
            return keras.layers.SpatialDropout1D(self.dropout_rate, seed=next(seeds), name=name)

        self.projection_layer = None if self.projection is None else keras.layers.Conv1D(
            self.projection, 1, name="projection", kernel_regularizer=regularizer,
            kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
        )
        levels = range(len(self.filters))
        self.encoder = [conv(self.filters[i], f"encoder_{i + 1}") for i in levels]
        self.encoder_dropout = [dropout_layer(f"encoder_dropout_{i + 1}") for i in levels]
        self.decoder = [conv(self.filters[i], f"decoder_{i + 1}") for i in levels]
        self.decoder_dropout = [dropout_layer(f"decoder_dropout_{i + 1}") for i in levels]
        self.pool = keras.layers.MaxPooling1D(2, name="pool")
        self.upsample = keras.layers.UpSampling1D(2, name="upsample")
        self.output_layer = keras.layers.Conv1D(
            self.n_outputs, 1, name="output",
            kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)), kernel_regularizer=regularizer,
        )

    @property
    def pooling_factor(self) -> int:
        """Input lengths must be multiples of this (``2 ** levels``)."""
        return 2 ** len(self.filters)

    def _shift_right(self, x: Any) -> Any:
        """``x`` delayed by one step (a zero first step, the last step dropped)."""
        return ops.pad(x, ((0, 0), (1, 0), (0, 0)))[:, :-1]

    def call(self, inputs: dict, training: bool | None = None) -> Any:
        masks = [ops.expand_dims(ops.cast(inputs["mask"], "float32"), -1)]
        hidden = ops.cast(inputs["features"], "float32") * masks[0]
        if self.projection_layer is not None:  # per second, linear: padded seconds stay zero
            hidden = self.projection_layer(hidden) * masks[0]
        skips = []
        for conv, dropout in zip(self.encoder, self.encoder_dropout):
            hidden = conv(hidden)
            if dropout is not None:
                hidden = dropout(hidden, training=training)
            skips.append(hidden * masks[-1])
            hidden = self.pool(skips[-1])
            masks.append(self.pool(masks[-1]))
        for level in reversed(range(len(self.filters))):
            hidden = self.upsample(hidden)
            if self.causal:
                hidden = self._shift_right(hidden)
            if self.skip_connections:
                hidden = ops.concatenate([hidden, skips[level]], axis=-1)
            hidden = self.decoder[level](hidden * masks[level])
            if self.decoder_dropout[level] is not None:
                hidden = self.decoder_dropout[level](hidden, training=training)
            hidden = hidden * masks[level]
        return ops.sigmoid(self.output_layer(hidden))

    def build_for_inputs(self) -> None:
        """Create the weights by running the model once on zeros."""
        length = self.pooling_factor
        self({"features": np.zeros((1, length, self.n_features), np.float32),
              "mask": np.ones((1, length), np.float32)}, training=False)

    def start_at_level(self, level: Any) -> None:
        """Set the output biases so that the untrained network predicts about ``level`` (one per output).

        The output convolution's kernel is scaled down tenfold, so that the untrained network's
        curves stay near the level (the training targets' mean): training starts from the
        constant predictor.
        """
        level = np.clip(np.asarray(level, np.float64).reshape(-1), 0.02, 0.98)
        if level.shape != (self.n_outputs,):
            raise ValueError(f"level must have {self.n_outputs} values, got shape {level.shape}.")
        self.output_layer.bias.assign(np.log(level / (1.0 - level)).astype(np.float32))
        self.output_layer.kernel.assign(np.asarray(self.output_layer.kernel) * 0.1)

    def get_config(self) -> dict:
        return {
            "n_features": self.n_features, "n_outputs": self.n_outputs, "filters": self.filters,
            "kernel_size": self.kernel_size, "causal": self.causal, "dropout": self.dropout_rate,
            "l2": self.l2, "seed": self.seed, "projection": self.projection,
            "skip_connections": self.skip_connections,
            "name": self.name,
        }
