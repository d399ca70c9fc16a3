"""The paper's model: recurrent branches per modality, context gates and a mixture of experts.

Networks apart from estimators, in the manner of aeon:

* :mod:`.estimator` - :class:`GRUMoERegressor`, the scikit-learn side: parameters, validation of
  movies and windows, the training set-up, prediction, persistence;
* :mod:`.network` - :class:`GRUMoENetwork`, the Keras model, and its masked loss;
* :mod:`.layers` - the windowed recurrence (block-shared input projections), context gate, mixture of
  experts and masked batch normalisation;
* :mod:`.batches` - how movies become network inputs without materialising windows
  (:func:`~.batches.empty_inputs` is the one definition of the input layout);
* :mod:`.training` - the epoch loop and early stopping;
* :mod:`.reference` - the same network from stock Keras GRU/LSTM layers, which proves the fast path
  exact (tests) and measures its speed-up (benchmarks).

Only :mod:`.estimator` and :mod:`.batches` load without TensorFlow.
"""

from .estimator import GRUMoERegressor

__all__ = ["GRUMoERegressor"]
