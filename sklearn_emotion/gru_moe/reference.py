"""The naive model: the same network with stock ``keras.layers.GRU``/``LSTM`` on materialised windows.

It recomputes every second's input projection once per window that contains it (``L`` times) and
needs the ``(n, L, d)`` windows in memory.  It exists to prove that the block computation of
:class:`~sklearn_emotion.gru_moe.layers.WindowedRecurrence` is the same function (tests) and to measure the
speed-up against it (``benchmarks/train_scale.py``); it is not used for fitting.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from .network import GRUMoENetwork

__all__ = ["ReferenceNetwork", "blocks_to_windows"]


class ReferenceNetwork(GRUMoENetwork):
    """:class:`GRUMoENetwork` whose branches are ``keras.layers.GRU``/``LSTM`` over explicit windows.

    Inputs: one ``(n, L, d_m)`` array per modality, ``"step_mask"`` ``(n, L)`` and ``"window_mask"``
    ``(n, 1)``, as produced by :func:`blocks_to_windows`.
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        layer_class = keras.layers.GRU if self.cell == "gru" else keras.layers.LSTM
        extra = {"reset_after": True} if self.cell == "gru" else {}
        self.keras_branches = [
            [
                layer_class(self.units[name], return_sequences=i < self.n_layers[name] - 1,
                            name=f"keras_{name}_{self.cell}_{i}", **extra)
                for i in range(self.n_layers[name])
            ]
            for name, _ in self.modality_specs
        ]

    def encode(self, inputs: dict) -> list:
        mask = keras.ops.cast(inputs["step_mask"], "bool")
        states = []
        for (name, _), layers in zip(self.modality_specs, self.keras_branches):
            hidden = inputs[name]
            for layer in layers:
                hidden = layer(hidden, mask=mask)
            states.append(hidden)
        return states

    @classmethod
    def from_network(cls, network: GRUMoENetwork) -> "ReferenceNetwork":
        """A reference model holding a copy of ``network``'s weights (``network`` must be built)."""
        reference = cls(**network.get_config())
        reference.build_for_blocks(1)
        for fast_layers, keras_layers in zip(network.branches, reference.keras_branches):
            for fast, stock in zip(fast_layers, keras_layers):
                stock.set_weights([np.asarray(w) for w in fast.get_weights()])
        pairs = [
            (network.fused_norm, reference.fused_norm), (network.fusion_gate, reference.fusion_gate),
            (network.experts, reference.experts), (network.output_gate, reference.output_gate),
        ]
        for source, target in pairs:
            if source is not None:
                target.set_weights(source.get_weights())
        return reference


def blocks_to_windows(inputs: dict, window_length: int, modalities: list) -> dict:
    """Materialise the ``(n_blocks * B, L, d)`` windows of block inputs (what the naive model needs)."""
    step_mask = np.asarray(inputs["step_mask"])
    n_blocks, n_steps = step_mask.shape
    per_block = n_steps - window_length + 1
    # index[j, k] = row of step k of window j inside its block
    index = np.arange(per_block)[:, None] + np.arange(window_length)[None, :]
    windows = {
        name: np.asarray(inputs[name])[:, index, :].reshape(n_blocks * per_block, window_length, -1)
        for name, _ in modalities
    }
    windows["step_mask"] = step_mask[:, index].reshape(n_blocks * per_block, window_length)
    windows["window_mask"] = np.asarray(inputs["window_mask"]).reshape(-1, 1)
    return windows
