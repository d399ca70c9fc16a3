"""The masked losses of the sequence regressors' networks: NaN targets (unannotated seconds, unknown
viewers' stds) are left out of the loss and of its average."""

from __future__ import annotations

from typing import Any

from keras import ops

__all__ = ["LOSSES", "masked_loss"]

#: The values of the estimators' ``loss`` parameter.
LOSSES = ("cross_entropy", "mse")


def masked_loss(kind: str) -> Any:
    """Loss on targets mapped to ``[0, 1]`` that ignores NaN targets, averaged over annotated values.

    ``kind="cross_entropy"``: multilabel sigmoid cross-entropy (the paper); ``"mse"``: squared error.
    """
    if kind not in LOSSES:
        raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {kind!r}.")

    def loss(y_true: Any, y_pred: Any) -> Any:
        y_pred = ops.cast(y_pred, "float32")
        y_true = ops.cast(y_true, "float32")
        valid = ops.logical_not(ops.isnan(y_true))
        target = ops.where(valid, y_true, 0.5)
        if kind == "cross_entropy":
            p = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
            values = -(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p))
        else:
            values = ops.square(target - y_pred)
        weights = ops.cast(valid, "float32")
        return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1.0)

    loss.__name__ = f"masked_{kind}"
    return loss
