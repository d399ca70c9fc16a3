"""What the Keras sequence regressors share (private to the package; the estimators are public).

* :mod:`.base` - :class:`~.base.BaseSequenceRegressor`, the base class of
  :class:`~sklearn_emotion.GRUMoERegressor` and :class:`~sklearn_emotion.TCNRegressor`: targets
  and the viewers' std on the network's scale, validation split, early stopping and its summary,
  the compiled network, ``predict(X, return_std=...)``, persistence;
* :mod:`.training` - the epoch loop, early stopping and TensorFlow's op determinism;
* :mod:`.losses` - the masked losses (NaN targets ignored).

Only :mod:`.base` and :mod:`.training` load without TensorFlow.
"""

from .base import BaseSequenceRegressor

__all__ = ["BaseSequenceRegressor"]
