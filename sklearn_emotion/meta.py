"""Deprecated: the meta-estimators moved in 0.2 to modules named after what they hold.

* :class:`~sklearn_emotion.smoothing.SmoothedRegressor` -> :mod:`sklearn_emotion.smoothing`
* :class:`~sklearn_emotion.ensemble.RunAveragingRegressor` -> :mod:`sklearn_emotion.ensemble`
* :class:`~sklearn_emotion.per_second.PerSecondRegressor` -> :mod:`sklearn_emotion.per_second`

All remain importable from :mod:`sklearn_emotion` itself.  Model files pickled by 0.1 name this
module; they still load (with a ``FutureWarning``).
"""

from ._compat import deprecated_names

__all__ = ["SmoothedRegressor", "RunAveragingRegressor", "PerSecondRegressor"]

__getattr__ = deprecated_names(__name__, {
    "SmoothedRegressor": "sklearn_emotion.smoothing",
    "RunAveragingRegressor": "sklearn_emotion.ensemble",
    "PerSecondRegressor": "sklearn_emotion.per_second",
})
