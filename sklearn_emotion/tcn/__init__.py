"""An encoder-decoder temporal convolutional network (Lea et al., 2017) predicting whole movies.

* :mod:`.estimator` - :class:`TCNRegressor`, the scikit-learn side: parameters, validation of movies,
  crops for training, prediction of whole movies; training, prediction (``return_std``) and
  persistence come from :class:`sklearn_emotion.sequence_regressor.BaseSequenceRegressor`;
* :mod:`.network` - :class:`~.network.TCNNetwork`, the Keras model (masked padding, causal option);
* :mod:`.batches` - crops and padded movies as network inputs.

The epoch loop and the masked loss are in :mod:`sklearn_emotion.sequence_regressor`.  Only
:mod:`.estimator` and :mod:`.batches` load without TensorFlow.
"""

from .estimator import TCNRegressor

__all__ = ["TCNRegressor"]
