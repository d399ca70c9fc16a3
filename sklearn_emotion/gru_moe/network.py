"""The Keras model behind :class:`~sklearn_emotion.GRUMoERegressor`.

Architecture (paper, section 2.3): one recurrent branch per modality (1 or more GRU/LSTM layers), the
last hidden state of each branch concatenated, optional batch normalisation and dropout, a context
gate, a mixture of logistic-regression experts, a second context gate, one output per target in
``[0, 1]``.

Inputs are blocks of contiguous seconds (see :mod:`sklearn_emotion.gru_moe.layers`): a dict with one
``(n_blocks, S, d_m)`` array per modality, ``"step_mask"`` ``(n_blocks, S)`` (0 for left padding before
a movie's first second) and ``"window_mask"`` ``(n_blocks, B)`` (0 for padding windows, which are kept
out of batch-normalisation statistics).  The output has one row per window, ``(n_blocks * B, n_outputs)``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from ..sequence_regressor.losses import masked_loss  # re-exported: the 0.1 alias sklearn_emotion.network has it
from .batches import empty_inputs
from .layers import ContextGate, MaskedBatchNormalization, MixtureOfExperts, WindowedRecurrence

__all__ = ["GRUMoENetwork", "masked_loss"]


@keras.saving.register_keras_serializable(package="sklearn_emotion")
class GRUMoENetwork(keras.Model):
    """Recurrent branches per modality, context gates and a mixture of experts.

    Parameters
    ----------
    modalities : list of (str, int)
        Modality names and feature widths, in input order.
    window_length : int
        Seconds of history per prediction (``L``).
    cell : {"gru", "lstm"}
    units, n_layers : dict str -> int
        Recurrent units and layers per modality.
    n_experts : int
    n_outputs : int
    l2 : float
        L2 penalty on every kernel.
    dropout : float
        Dropout rate on the fused branch states.
    batch_norm : bool
        Batch-normalise the fused branch states.
    batch_norm_inference : {"population", "batch"}
        Statistics used by batch normalisation at inference.
    seed : int
        Seed of every initializer and of dropout.
    """

    def __init__(
        self, modalities: list, window_length: int, cell: str, units: dict, n_layers: dict,
        n_experts: int, n_outputs: int, l2: float, dropout: float, batch_norm: bool,
        batch_norm_inference: str, seed: int, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.modality_specs = [(str(name), int(dim)) for name, dim in modalities]
        self.window_length = int(window_length)
        self.cell = cell
        self.units = {str(k): int(v) for k, v in units.items()}
        self.n_layers = {str(k): int(v) for k, v in n_layers.items()}
        self.n_experts = int(n_experts)
        self.n_outputs = int(n_outputs)
        self.l2 = float(l2)
        self.dropout_rate = float(dropout)
        self.batch_norm = bool(batch_norm)
        self.batch_norm_inference = batch_norm_inference
        self.seed = int(seed)

        seeds = iter(np.random.RandomState(self.seed).randint(0, 2**31 - 2, size=64).tolist())
        regularizer = keras.regularizers.L2(self.l2) if self.l2 > 0 else None
        self.branches = []
        for name, _ in self.modality_specs:
            depth = self.n_layers[name]
            self.branches.append([
                WindowedRecurrence(
                    self.units[name], self.window_length, cell=cell, return_sequences=i < depth - 1,
                    kernel_regularizer=regularizer, seed=next(seeds), name=f"{name}_{cell}_{i}",
                )
                for i in range(depth)
            ])
        self.fused_norm = (
            MaskedBatchNormalization(
                batch_statistics_at_inference=batch_norm_inference == "batch", name="fused_batch_norm"
            )
            if self.batch_norm else None
        )
        self.fused_dropout = (
            keras.layers.Dropout(self.dropout_rate, seed=next(seeds), name="fused_dropout")
            if self.dropout_rate > 0 else None
        )
        self.fusion_gate = ContextGate(kernel_regularizer=regularizer, seed=next(seeds), name="fusion_gate")
        self.experts = MixtureOfExperts(
            self.n_outputs, self.n_experts, kernel_regularizer=regularizer, seed=next(seeds), name="experts"
        )
        # The output gate multiplies the experts' [0, 1] predictions: starting it open (sigmoid(2) = 0.88)
        # instead of half-closed lets the first epochs fit the targets' level instead of the gate.
        self.output_gate = ContextGate(
            kernel_regularizer=regularizer, seed=next(seeds), bias_initial_value=2.0, name="output_gate"
        )

    # -- the per-modality encoders; the reference model overrides this with keras.layers.GRU/LSTM --
    def encode(self, inputs: dict) -> list:
        """Last hidden state of every window, one ``(n_windows, units)`` tensor per modality."""
        step_mask = inputs["step_mask"]
        states = []
        for (name, _), layers in zip(self.modality_specs, self.branches):
            hidden, mask = inputs[name], step_mask
            for i, layer in enumerate(layers):
                hidden = layer(hidden, mask)
                if i == 0 and len(layers) > 1:
                    mask = self._window_step_mask(step_mask)
            states.append(hidden)
        return states

    def _window_step_mask(self, step_mask: Any) -> Any:
        """Per-window step masks ``(n_blocks * B, L)`` of a block step mask ``(n_blocks, S)``."""
        length = self.window_length
        per_block = ops.shape(step_mask)[1] - length + 1
        columns = [step_mask[:, k:k + per_block] for k in range(length)]
        return ops.reshape(ops.stack(columns, axis=-1), (-1, length))

    def head(self, states: list, window_mask: Any, training: bool | None = None) -> Any:
        """Fusion, context gates and mixture of experts: ``(n_windows, n_outputs)`` in ``[0, 1]``."""
        fused = states[0] if len(states) == 1 else ops.concatenate(states, axis=-1)
        if self.fused_norm is not None:
            fused = self.fused_norm(fused, sample_mask=ops.reshape(window_mask, (-1,)), training=training)
        if self.fused_dropout is not None:
            fused = self.fused_dropout(fused, training=training)
        return self.output_gate(self.experts(self.fusion_gate(fused)))

    def start_at_level(self, level: Any) -> None:
        """Set the output biases so that the untrained network predicts about ``level`` (one per output).

        Each of the three factors of an output - the experts' sigmoid, the share of the real experts
        against the dummy one, the output gate - starts at ``level ** (1/3)``, so that their product is
        ``level`` and none of them starts saturated.  Called with the training targets' mean, it makes
        the untrained model the constant predictor instead of a model stuck at an arbitrary level.
        """
        level = np.clip(np.asarray(level, np.float64).reshape(-1), 0.02, 0.98)
        if level.shape != (self.n_outputs,):
            raise ValueError(f"level must have {self.n_outputs} values, got shape {level.shape}.")
        factor = level ** (1.0 / 3.0)
        logit = np.log(factor / (1.0 - factor))
        e = self.n_experts
        gate_bias = np.zeros((self.n_outputs, e + 1))
        # softmax share of the dummy expert = 1 - factor when the real experts' gate logits are 0
        gate_bias[:, e] = np.log(e * (1.0 - factor) / factor)
        self.experts.gate_bias.assign(gate_bias.reshape(-1).astype(np.float32))
        self.experts.expert_bias.assign(np.repeat(logit, e).astype(np.float32))
        # the gate's input is the mixture's output, factor ** 2: cancel its term x W so that it starts at `factor`
        kernel = np.asarray(self.output_gate.kernel, np.float64)
        self.output_gate.bias.assign((logit - (factor ** 2) @ kernel).astype(np.float32))

    def call(self, inputs: dict, training: bool | None = None) -> Any:
        return self.head(self.encode(inputs), inputs["window_mask"], training=training)

    def build_for_blocks(self, block_length: int = 1) -> None:
        """Create the weights by running the model once on zeros."""
        dummy = empty_inputs(self.modality_specs, 1, block_length, self.window_length)
        dummy["step_mask"][:] = 1.0
        dummy["window_mask"][:] = 1.0
        self(dummy, training=False)

    def get_config(self) -> dict:
        return {
            "modalities": self.modality_specs, "window_length": self.window_length, "cell": self.cell,
            "units": self.units, "n_layers": self.n_layers, "n_experts": self.n_experts,
            "n_outputs": self.n_outputs, "l2": self.l2, "dropout": self.dropout_rate,
            "batch_norm": self.batch_norm, "batch_norm_inference": self.batch_norm_inference,
            "seed": self.seed, "name": self.name,
        }
