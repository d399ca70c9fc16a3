"""Ready-made pipelines: the paper's system, the TCN and the per-second baseline, each in one call.

Every document, the command line, the demo, the examples and the benchmarks build their models here,
so that "the paper pipeline" means one thing: features standardised on the training seconds
(embeddings and descriptors come at very different scales; without it the network can do worse than
predicting the mean), then the model, then smoothing of the predicted curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline

__all__ = ["make_baseline_pipeline", "make_paper_pipeline", "make_smoother", "make_tcn_pipeline"]

#: The smoothers named by a string (``smoother=`` of the pipeline makers, ``fit --smoother``).
SMOOTHER_NAMES = ("butterworth", "moving-average", "none")


def make_smoother(smoother: Any = "butterworth") -> Any:
    """The smoother of the predicted curves: an estimator, or ``None`` for no smoothing.

    Parameters
    ----------
    smoother : {"butterworth", "moving-average", "none"}, estimator or None, default="butterworth"
        A name (each smoother with its own defaults), a smoother estimator used as given, or
        ``None``/``"none"`` for none.

    Returns
    -------
    estimator or None

    Examples
    --------
    >>> from sklearn_emotion.pipelines import make_smoother
    >>> make_smoother(), make_smoother("moving-average"), make_smoother("none")
    (ButterworthSmoother(), MovingAverageSmoother(), None)
    """
    from .smoothing import ButterworthSmoother, MovingAverageSmoother

    if smoother is None or (isinstance(smoother, str) and smoother == "none"):
        return None
    if isinstance(smoother, str):
        if smoother == "butterworth":
            return ButterworthSmoother()
        if smoother == "moving-average":
            return MovingAverageSmoother()
        raise ValueError(f"smoother={smoother!r}: expected one of {SMOOTHER_NAMES}, a smoother estimator or None.")
    return smoother


def _smoothed(regressor: Any, smoother: Any) -> Any:
    from .smoothing import SmoothedRegressor

    smoother = make_smoother(smoother)
    return regressor if smoother is None else SmoothedRegressor(regressor, smoother)


def make_paper_pipeline(*, window_length: int = 60, smoother: Any = "butterworth", **network_params: Any) -> Pipeline:
    """The paper's system: ``MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor)``.

    Parameters
    ----------
    window_length : int, default=60
        Seconds of context each prediction reads (the paper: 10, 30 or 60).
    smoother : {"butterworth", "moving-average", "none"}, estimator or None, default="butterworth"
        Smoothing of the predicted curves (:func:`make_smoother`); the paper's Butterworth filter by default.
    **network_params
        Parameters of :class:`~sklearn_emotion.GRUMoERegressor` (e.g. ``units=64, random_state=0``);
        every other parameter keeps the estimator's default.

    Returns
    -------
    Pipeline
        Unfitted; ``fit(movies, y)`` then ``predict(movies)`` gives one ``(T, 2)`` array per movie.

    Examples
    --------
    A tiny GRU-MoE (4 units, 2 experts, 10-s windows), trained for 2 epochs on three small movies:

    >>> import numpy as np
    >>> from sklearn_emotion.pipelines import make_paper_pipeline
    >>> model = make_paper_pipeline(window_length=10, units=4, n_experts=2, epochs=2, random_state=0)
    >>> [name for name, _ in model.steps]
    ['moviestandardscaler', 'windower', 'smoothedregressor']
    >>> rng = np.random.default_rng(0)
    >>> movies = [rng.normal(size=(seconds, 4)).astype("float32") for seconds in (40, 30, 50)]
    >>> annotations = [np.tanh(np.cumsum(movie[:, :2], axis=0) / 10) for movie in movies]
    >>> [curves.shape for curves in model.fit(movies, annotations).predict(movies)]
    [(40, 2), (30, 2), (50, 2)]
    """
    from .gru_moe import GRUMoERegressor
    from .preprocessing import MovieStandardScaler
    from .windowing import Windower

    head = _smoothed(GRUMoERegressor(**network_params), smoother)
    return make_pipeline(MovieStandardScaler(), Windower(length=window_length), head)


def make_tcn_pipeline(*, smoother: Any = "butterworth", **network_params: Any) -> Pipeline:
    """The temporal convolutional network: ``MovieStandardScaler -> SmoothedRegressor(TCNRegressor)``.

    Whole movies in, curves out: no :class:`~sklearn_emotion.Windower`.

    Parameters
    ----------
    smoother : {"butterworth", "moving-average", "none"}, estimator or None, default="butterworth"
        Smoothing of the predicted curves (:func:`make_smoother`).
    **network_params
        Parameters of :class:`~sklearn_emotion.TCNRegressor` (e.g. ``causal=True, random_state=0``).

    Returns
    -------
    Pipeline
        Unfitted.

    Examples
    --------
    A tiny network (2 levels of 4 filters), trained for 2 epochs on three small movies:

    >>> import numpy as np
    >>> from sklearn_emotion.pipelines import make_tcn_pipeline
    >>> model = make_tcn_pipeline(projection=4, filters=4, levels=2, kernel_size=3, epochs=2, random_state=0)
    >>> [name for name, _ in model.steps]
    ['moviestandardscaler', 'smoothedregressor']
    >>> rng = np.random.default_rng(0)
    >>> movies = [rng.normal(size=(seconds, 4)).astype("float32") for seconds in (40, 30, 50)]
    >>> annotations = [np.tanh(np.cumsum(movie[:, :2], axis=0) / 10) for movie in movies]
    >>> [curves.shape for curves in model.fit(movies, annotations).predict(movies)]
    [(40, 2), (30, 2), (50, 2)]
    """
    from .preprocessing import MovieStandardScaler
    from .tcn import TCNRegressor

    return make_pipeline(MovieStandardScaler(), _smoothed(TCNRegressor(**network_params), smoother))


def make_baseline_pipeline(*, alpha: float | None = None, smoother: Any = "none") -> Any:
    """The per-second baseline: each second's features -> Ridge, no temporal context.

    Parameters
    ----------
    alpha : float or None, default=None
        Ridge penalty; ``None`` chooses it among ``10**-2 .. 10**4`` by leave-one-out on the training
        seconds (``RidgeCV``), so that the baseline is tuned as fairly as the networks.
    smoother : {"butterworth", "moving-average", "none"}, estimator or None, default="none"
        Smoothing of the predicted curves (:func:`make_smoother`).

    Returns
    -------
    estimator
        ``PerSecondRegressor(Ridge)``, wrapped in ``SmoothedRegressor`` when smoothed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.pipelines import make_baseline_pipeline
    >>> rng = np.random.default_rng(0)
    >>> movies = [rng.normal(size=(seconds, 3)) for seconds in (30, 20)]
    >>> annotations = [np.tanh(movie[:, :2]) for movie in movies]
    >>> model = make_baseline_pipeline(alpha=1.0).fit(movies, annotations)
    >>> [curves.shape for curves in model.predict(movies)]
    [(30, 2), (20, 2)]
    >>> make_baseline_pipeline(smoother="butterworth")
    SmoothedRegressor(...)
    """
    from sklearn.linear_model import Ridge, RidgeCV

    from .per_second import PerSecondRegressor

    ridge = RidgeCV(alphas=np.logspace(-2, 4, 13)) if alpha is None else Ridge(alpha=alpha)
    return _smoothed(PerSecondRegressor(ridge), smoother)
