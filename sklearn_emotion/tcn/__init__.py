"""An encoder-decoder temporal convolutional network (Lea et al., 2017) predicting whole movies.

* :mod:`.estimator` - :class:`TCNRegressor`, the scikit-learn side: parameters, validation of movies,
  the training set-up (crops, early stopping), prediction of whole movies, persistence;
* :mod:`.network` - :class:`~.network.TCNNetwork`, the Keras model (masked padding, causal option);
* :mod:`.batches` - crops and padded movies as network inputs.

The epoch loop and the masked loss are those of :mod:`sklearn_emotion.gru_moe`.  Only
:mod:`.estimator` and :mod:`.batches` load without TensorFlow.
"""

from .estimator import TCNRegressor

__all__ = ["TCNRegressor"]
