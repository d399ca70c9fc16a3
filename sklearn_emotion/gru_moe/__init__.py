"""The paper's model: recurrent branches per modality, context gates and a mixture of experts.

Networks apart from estimators, in the manner of aeon:

* :mod:`.estimator` - :class:`GRUMoERegressor`, the scikit-learn side: parameters, validation of
  movies and windows, the batch layout; training, prediction and persistence come from
  :class:`sklearn_emotion.sequence_regressor.BaseSequenceRegressor`, shared with the TCN;
* :mod:`.network` - :class:`GRUMoENetwork`, the Keras model;
* :mod:`.layers` - the windowed recurrence (block-shared input projections), context gate, mixture of
  experts and masked batch normalisation;
* :mod:`.batches` - how movies become network inputs without materialising windows
  (:func:`~.batches.empty_inputs` is the one definition of the input layout);
* :mod:`.reference` - the same network from stock Keras GRU/LSTM layers, which proves the fast path
  exact (tests) and measures its speed-up (benchmarks).

Only :mod:`.estimator` and :mod:`.batches` load without TensorFlow.
"""

from .estimator import GRUMoERegressor

__all__ = ["GRUMoERegressor"]
