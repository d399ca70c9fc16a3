"""Keras layers of the GRU mixture-of-experts network.

* :class:`WindowedRecurrence` runs a GRU or LSTM over every sliding window of a block of contiguous
  seconds.  The input projection ``x_t @ W + b`` of each second is computed once and shared by all the
  windows that contain it; only the recurrence runs per window.  Its weights have the layout of
  ``keras.layers.GRU`` (``reset_after=True``) and ``keras.layers.LSTM``, so the two compute the same
  function (see :mod:`sklearn_emotion.gru_moe.reference`).
* :class:`ContextGate`: ``y = x * sigmoid(x W + b)`` (Miech et al., 2017), the fusion gate of the paper.
* :class:`MixtureOfExperts`: per output, logistic-regression experts mixed by a softmax gating network
  with one extra "dummy" expert that always predicts 0 (the YouTube-8M formulation the paper follows).
* :class:`MaskedBatchNormalization`: batch normalisation that ignores padding windows in its batch
  statistics and can, on request, normalise with batch statistics at inference (paper, section 3).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["WindowedRecurrence", "ContextGate", "MixtureOfExperts", "MaskedBatchNormalization"]

_GATES = {"gru": 3, "lstm": 4}


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class WindowedRecurrence(keras.layers.Layer):
    """GRU or LSTM over all sliding windows of blocks of contiguous seconds.

    Input ``x`` of shape ``(n_blocks, S, d)`` and ``step_mask`` of shape ``(n_blocks, S)`` hold blocks
    of ``S = B + L - 1`` consecutive seconds; the ``B`` windows of length ``L = window_length`` of a block
    are ``x[:, j:j + L]`` for ``j = 0 .. B-1``.  A plain batch of windows is the special case ``B = 1``.
    Masked steps leave the state unchanged (they only occur as left padding of a movie's first seconds,
    so a masked window is the recurrence over its shorter, real history).

    The ``L`` steps run in a symbolic loop (``keras.ops.scan``).

    Output: the last hidden state of each window, ``(n_blocks * B, units)``, or with
    ``return_sequences=True`` every step's state, ``(n_blocks * B, L, units)``.
    """

    def __init__(
        self,
        units: int,
        window_length: int,
        cell: str = "gru",
        return_sequences: bool = False,
        kernel_regularizer: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if cell not in _GATES:
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}.")
        self.units = int(units)
        self.window_length = int(window_length)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.seed = seed

    def build(self, input_shape: Any) -> None:
        d = input_shape[-1]
        width = _GATES[self.cell] * self.units
        seed = self.seed
        self.kernel = self.add_weight(
            name="kernel", shape=(d, width),
            initializer=keras.initializers.GlorotUniform(seed=seed),
            regularizer=self.kernel_regularizer,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width),
            initializer=keras.initializers.Orthogonal(seed=None if seed is None else seed + 1),
            regularizer=self.kernel_regularizer,
        )
        if self.cell == "gru":
            # reset_after=True layout: row 0 input bias, row 1 recurrent bias.
            self.bias = self.add_weight(name="bias", shape=(2, width), initializer="zeros")
        else:
            def unit_forget_bias(shape: Any, dtype: Any = None) -> Any:
                u = self.units
                return ops.concatenate([ops.zeros((u,)), ops.ones((u,)), ops.zeros((2 * u,))])

            self.bias = self.add_weight(name="bias", shape=(width,), initializer=unit_forget_bias)

    def call(self, x: Any, step_mask: Any) -> Any:
        length = self.window_length
        n_blocks, n_steps = ops.shape(x)[0], ops.shape(x)[1]
        per_block = n_steps - length + 1
        width = _GATES[self.cell] * self.units
        input_bias = self.bias[0] if self.cell == "gru" else self.bias
        # The shared part: one input projection per second, not one per (window, step).
        projected = ops.matmul(x, self.kernel) + input_bias
        step_mask = ops.expand_dims(ops.cast(step_mask, projected.dtype), -1)
        n_windows = n_blocks * per_block

        def step(carry: Any, k: Any) -> tuple[Any, Any]:
            state, cell_state = carry
            # Step k of every window of a block is the block's seconds k .. k + B - 1.
            x_k = ops.reshape(ops.slice(projected, (0, k, 0), (n_blocks, per_block, width)), (-1, width))
            m_k = ops.reshape(ops.slice(step_mask, (0, k, 0), (n_blocks, per_block, 1)), (-1, 1))
            if self.cell == "gru":
                new_state = self._gru_step(x_k, state)
            else:
                new_state, new_cell = self._lstm_step(x_k, state, cell_state)
                cell_state = m_k * new_cell + (1.0 - m_k) * cell_state
            state = m_k * new_state + (1.0 - m_k) * state
            carry = (state, cell_state)
            # keras.ops.scan (TF backend) needs per-step outputs shaped like the carry.
            return carry, (carry if self.return_sequences else None)

        zeros = ops.zeros((n_windows, self.units), dtype=projected.dtype)
        # A symbolic loop: unrolling the L steps into the graph measured slower here and traced 5x longer.
        (state, _), sequence = ops.scan(step, (zeros, zeros), ops.arange(length, dtype="int32"))
        if self.return_sequences:
            return ops.transpose(sequence[0], (1, 0, 2))
        return state

    def _gru_step(self, x_k: Any, state: Any) -> Any:
        x_z, x_r, x_h = ops.split(x_k, 3, axis=-1)
        inner = ops.matmul(state, self.recurrent_kernel) + self.bias[1]
        h_z, h_r, h_h = ops.split(inner, 3, axis=-1)
        z = ops.sigmoid(x_z + h_z)
        r = ops.sigmoid(x_r + h_r)
        candidate = ops.tanh(x_h + r * h_h)
        return z * state + (1.0 - z) * candidate

    def _lstm_step(self, x_k: Any, state: Any, carry: Any) -> tuple[Any, Any]:
        z = x_k + ops.matmul(state, self.recurrent_kernel)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        new_carry = ops.sigmoid(z_f) * carry + ops.sigmoid(z_i) * ops.tanh(z_c)
        return ops.sigmoid(z_o) * ops.tanh(new_carry), new_carry

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.return_sequences:
            return (None, self.window_length, self.units)
        return (None, self.units)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            units=self.units, window_length=self.window_length, cell=self.cell,
            return_sequences=self.return_sequences,
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class ContextGate(keras.layers.Layer):
    """Context gating ``y = x * sigmoid(x W + b)``: learned, input-dependent feature re-weighting."""

    def __init__(
        self, kernel_regularizer: Any = None, seed: int | None = None, bias_initial_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.seed = seed
        self.bias_initial_value = float(bias_initial_value)

    def build(self, input_shape: Any) -> None:
        d = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(d, d), initializer=keras.initializers.GlorotUniform(seed=self.seed),
            regularizer=self.kernel_regularizer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(d,), initializer=keras.initializers.Constant(self.bias_initial_value)
        )

    def call(self, x: Any) -> Any:
        return x * ops.sigmoid(ops.matmul(x, self.kernel) + self.bias)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer), seed=self.seed,
            bias_initial_value=self.bias_initial_value,
        )
        return config


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class MixtureOfExperts(keras.layers.Layer):
    """Mixture of logistic-regression experts with a softmax gating network.

    For each output ``k``: ``g = softmax(x G_k + c_k)`` over ``n_experts + 1`` experts (the last a dummy
    expert predicting 0), ``e_i = sigmoid(x E_{k,i} + b_{k,i})``, and ``p_k = sum_i g_i e_i`` in ``[0, 1]``.
    """

    def __init__(
        self, n_outputs: int, n_experts: int = 4, kernel_regularizer: Any = None,
        seed: int | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.n_outputs = int(n_outputs)
        self.n_experts = int(n_experts)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.seed = seed

    def build(self, input_shape: Any) -> None:
        d = input_shape[-1]
        k, e = self.n_outputs, self.n_experts
        self.gate_kernel = self.add_weight(
            name="gate_kernel", shape=(d, k * (e + 1)),
            initializer=keras.initializers.GlorotUniform(seed=self.seed), regularizer=self.kernel_regularizer,
        )
        self.gate_bias = self.add_weight(name="gate_bias", shape=(k * (e + 1),), initializer="zeros")
        self.expert_kernel = self.add_weight(
            name="expert_kernel", shape=(d, k * e),
            initializer=keras.initializers.GlorotUniform(seed=None if self.seed is None else self.seed + 1),
            regularizer=self.kernel_regularizer,
        )
        self.expert_bias = self.add_weight(name="expert_bias", shape=(k * e,), initializer="zeros")

    def call(self, x: Any) -> Any:
        k, e = self.n_outputs, self.n_experts
        gates = ops.softmax(
            ops.reshape(ops.matmul(x, self.gate_kernel) + self.gate_bias, (-1, k, e + 1)), axis=-1
        )
        experts = ops.sigmoid(ops.reshape(ops.matmul(x, self.expert_kernel) + self.expert_bias, (-1, k, e)))
        return ops.sum(gates[:, :, :e] * experts, axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.n_outputs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            n_outputs=self.n_outputs, n_experts=self.n_experts,
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer), seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class MaskedBatchNormalization(keras.layers.Layer):
    """Batch normalisation over the valid rows of a batch.

    ``sample_mask`` (``(n,)``, 1 for real windows, 0 for padding) keeps padding out of the batch
    statistics.  With ``batch_statistics_at_inference=True`` the layer normalises with the statistics of
    the inference batch instead of the population statistics learned in training, the variant the paper
    found to help valence (section 3); the moving statistics are never updated at inference.
    """

    def __init__(
        self, momentum: float = 0.99, epsilon: float = 1e-3,
        batch_statistics_at_inference: bool = False, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.batch_statistics_at_inference = bool(batch_statistics_at_inference)

    def build(self, input_shape: Any) -> None:
        d = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(d,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(d,), initializer="zeros")
        self.moving_mean = self.add_weight(name="moving_mean", shape=(d,), initializer="zeros", trainable=False)
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=(d,), initializer="ones", trainable=False
        )

    def call(self, x: Any, sample_mask: Any = None, training: bool | None = None) -> Any:
        if training or self.batch_statistics_at_inference:
            if sample_mask is None:
                weights = ops.ones((ops.shape(x)[0], 1), dtype=x.dtype)
            else:
                weights = ops.reshape(ops.cast(sample_mask, x.dtype), (-1, 1))
            count = ops.maximum(ops.sum(weights), 1.0)
            mean = ops.sum(weights * x, axis=0) / count
            variance = ops.sum(weights * ops.square(x - mean), axis=0) / count
            if training:
                self.moving_mean.assign(self.momentum * self.moving_mean + (1.0 - self.momentum) * mean)
                self.moving_variance.assign(
                    self.momentum * self.moving_variance + (1.0 - self.momentum) * variance
                )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            momentum=self.momentum, epsilon=self.epsilon,
            batch_statistics_at_inference=self.batch_statistics_at_inference,
        )
        return config
