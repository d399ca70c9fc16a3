"""Zero-phase smoothing of per-second curves along time (Butterworth low-pass, moving averages).

The annotations of LIRIS-ACCEDE vary slowly (almost all of their variance lies below 0.03 Hz) while
per-second predictions carry high-frequency noise, so the predicted curves are low-pass filtered.
Every smoother here is *zero-phase* (no delay): the Butterworth filter runs forwards and backwards
(:func:`scipy.signal.sosfiltfilt`), the moving averages use centred, symmetric windows.  Curves are
sampled at 1 Hz, so frequencies are in Hz and the Nyquist frequency is 0.5 Hz.

Both smoothers are stateless scikit-learn transformers.  ``transform`` accepts

* a sequence of movies (each a ``(T, d)`` array or a mapping ``modality -> (T, d_m)`` array): the
  structure is kept, each array is smoothed along its first axis, column by column;
* a single 2-D array, read as *one* movie ``(T, d) -> (T, d)``.

``smooth(curve)`` smooths one ``(T, k)`` or ``(T,)`` array; :class:`SmoothedRegressor`
uses it on each predicted movie.

NaN rule (both smoothers): a NaN second is filled by linear interpolation between its finite
neighbours in the same column (the nearest finite value before the first or after the last finite
second), the column is smoothed, and the NaN seconds are NaN again in the output.  A column without
any finite value stays all NaN.  Infinite values are an error naming the movie.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy import ndimage, signal
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .base import MovieRegressorMixin, copy_inner_tags
from .data import check_has_movies, is_movie_sequence

__all__ = ["ButterworthSmoother", "MovingAverageSmoother", "SmoothedRegressor", "butterworth_padlen"]

#: Sampling frequency of every curve of the package (one row per second).
SAMPLING_FREQUENCY = 1.0


def butterworth_padlen(sos: np.ndarray) -> int:
    """The padding length :func:`scipy.signal.sosfiltfilt` uses by default for ``sos``.

    Parameters
    ----------
    sos : ndarray of shape (n_sections, 6)
        Second-order sections of the filter.

    Returns
    -------
    int
        ``3 * (2 * n_sections + 1 - n_trailing_zeros)``, as in SciPy.

    Examples
    --------
    >>> from scipy.signal import butter
    >>> from sklearn_emotion.smoothing import butterworth_padlen
    >>> sos = butter(4, 0.1, output="sos")  # order 4: two second-order sections
    >>> sos.shape, butterworth_padlen(sos)
    ((2, 6), 15)
    """
    sos = np.asarray(sos)
    trailing_zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - trailing_zeros)


def _fill_nan_by_interpolation(curves: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN seconds, column by column (all-NaN columns stay NaN)."""
    filled = curves.copy()
    seconds = np.arange(curves.shape[0])
    for column in range(curves.shape[1]):
        values = curves[:, column]
        finite = ~np.isnan(values)
        if finite.all() or not finite.any():
            continue
        filled[~finite, column] = np.interp(seconds[~finite], seconds[finite], values[finite])
    return filled


class _BaseSmoother(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Input handling shared by the smoothers; subclasses declare ``_parameter_constraints`` and implement
    ``_filter``."""

    def _check_params(self) -> None:
        """``_parameter_constraints`` (and, in subclasses, rules they cannot express): the smoothers are
        stateless, so ``transform`` and ``smooth`` validate too, not only ``fit``."""
        self._validate_params()

    def _filter(self, curves: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Smooth a finite float64 ``(T, k)`` array along axis 0."""
        raise NotImplementedError

    def fit(self, X: Any = None, y: Any = None) -> "_BaseSmoother":
        """Validate the parameters; the smoother learns nothing from data.

        Parameters
        ----------
        X : sequence of movies, array-like of shape (T, d), or None
            Ignored apart from validation; a single 2-D array sets ``n_features_in_``, which
            ``transform`` then checks for single arrays.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        if X is None or is_movie_sequence(X):
            # Movies may have any number of columns; only the single-array mode records a width.
            for attribute in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, attribute):
                    delattr(self, attribute)
            if X is not None:
                self._smooth_sequence(X, validate_only=True)
            return self
        validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite="allow-nan")
        return self

    def transform(self, X: Any) -> Any:
        """Smooth every movie along time.

        Parameters
        ----------
        X : sequence of movies, or array-like of shape (T, d)
            A sequence of ``(T, d)`` arrays or of mappings ``modality -> (T, d_m)`` array, or a
            single 2-D array read as one movie.

        Returns
        -------
        list of ndarray, list of dict of ndarray, or ndarray of shape (T, d)
            Same structure as ``X``, float64, each array of the same shape as its input.
        """
        self._check_params()
        if is_movie_sequence(X):
            return self._smooth_sequence(X)
        array = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        return self._smooth_checked(array, "X")

    def smooth(self, curve: Any) -> np.ndarray:
        """Smooth one curve along its first axis (time, 1 Hz).

        Parameters
        ----------
        curve : array-like of shape (T, k) or (T,)
            E.g. one movie's predicted valence and arousal.

        Returns
        -------
        ndarray of the same shape, float64
        """
        self._check_params()
        try:
            array = np.asarray(curve, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"curve must be numeric, got {type(curve).__name__} ({exc}).") from exc
        if array.ndim == 1:
            return self._smooth_checked(array[:, None], "curve")[:, 0]
        return self._smooth_checked(array, "curve")

    def _smooth_sequence(self, X: Any, *, validate_only: bool = False) -> list:
        """Smooth every movie of a sequence (or, with ``validate_only``, only check them)."""
        check_has_movies(X)
        smoothed: list = []
        for index, movie in enumerate(X):
            if isinstance(movie, Mapping):
                if len(movie) == 0:
                    raise ValueError(f"X[{index}]: the mapping of modalities is empty.")
                smoothed.append(
                    {
                        key: self._smooth_value(value, f"X[{index}][{key!r}]", validate_only)
                        for key, value in movie.items()
                    }
                )
            else:
                smoothed.append(self._smooth_value(movie, f"X[{index}]", validate_only))
        return smoothed

    def _smooth_value(self, value: Any, where: str, validate_only: bool = False) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: must be a numeric (T, d) array ({exc}).") from exc
        if array.ndim != 2:
            raise ValueError(f"{where}: must be a 2-D array (seconds, columns), got shape {array.shape}.")
        if validate_only:
            self._check_array(array, where)
            return array
        return self._smooth_checked(array, where)

    @staticmethod
    def _check_array(array: np.ndarray, where: str) -> None:
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(f"{where}: nothing to smooth, got shape {array.shape}.")
        if np.isinf(array).any():
            second, column = np.argwhere(np.isinf(array))[0]
            raise ValueError(
                f"{where}: array of shape {array.shape} contains infinity (first at second {second}, "
                f"column {column}); use NaN for missing seconds."
            )

    def _smooth_checked(self, array: np.ndarray, where: str) -> np.ndarray:
        """Check, then apply the NaN rule around ``_filter`` on a float64 2-D array."""
        self._check_array(array, where)
        missing = np.isnan(array)
        if not missing.any():
            return self._filter(array)
        smoothed = self._filter(_fill_nan_by_interpolation(array))
        smoothed[missing] = np.nan
        return smoothed

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless: transform works without fit
        tags.input_tags.allow_nan = True
        return tags


class ButterworthSmoother(_BaseSmoother):
    """Zero-phase Butterworth low-pass filter of per-second curves.

    The filter is ``scipy.signal.butter(order, cutoff, fs=1.0, output="sos")`` applied forwards and
    backwards with :func:`scipy.signal.sosfiltfilt` along time, with SciPy's default odd padding.  The
    forward-backward pass doubles the attenuation: the magnitude response is ``|H(f)|**2``, i.e. 0.5
    (-6 dB) at ``cutoff``, and there is no phase delay.

    Short movies: SciPy needs more seconds than its padding length ``3 * (2 * n_sections + 1)``
    (9 for order 2, see :func:`butterworth_padlen`).  A movie of ``T`` seconds with ``T`` not above
    that length is padded with ``T - 1`` seconds instead; a 1-second movie is returned unchanged.

    See the module docstring for the NaN rule.

    Parameters
    ----------
    order : int, default=2
        Order of the Butterworth design (the forward-backward filter has twice this order).
    cutoff : float, default=0.02
        Cutoff frequency in Hz, in ``(0, 0.5)``.  The defaults were measured on the LIRIS-ACCEDE
        annotations: about 98 % of their variance lies below 0.02 Hz, and order 2 at 0.02 Hz was the
        best design on average in a denoising experiment on noisy copies of the real curves; see
        ``docs/smoothing.md`` and ``benchmarks/annotation_spectrum.py``.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns, set only when ``fit`` is given a single 2-D array.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` is given a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.smoothing import ButterworthSmoother
    >>> curves = [np.random.default_rng(0).normal(size=(120, 2))]
    >>> smoothed = ButterworthSmoother(cutoff=0.05).transform(curves)
    >>> smoothed[0].shape
    (120, 2)
    """

    def __init__(self, order: int = 2, cutoff: float = 0.02) -> None:
        self.order = order
        self.cutoff = cutoff

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 1, None, closed="left")],
        # strictly between 0 and the Nyquist frequency of curves sampled at 1 Hz
        "cutoff": [Interval(Real, 0, SAMPLING_FREQUENCY / 2, closed="neither")],
    }

    def sos(self) -> np.ndarray:
        """Second-order sections of the filter design.

        Returns
        -------
        ndarray of shape (n_sections, 6)
        """
        self._check_params()
        return signal.butter(int(self.order), float(self.cutoff), fs=SAMPLING_FREQUENCY, output="sos")

    def _filter(self, curves: np.ndarray) -> np.ndarray:
        n_seconds = curves.shape[0]
        if n_seconds == 1:
            return curves.copy()
        sos = self.sos()
        if n_seconds > butterworth_padlen(sos):
            return signal.sosfiltfilt(sos, curves, axis=0)
        return signal.sosfiltfilt(sos, curves, axis=0, padlen=n_seconds - 1)


class MovingAverageSmoother(_BaseSmoother):
    """Centred (zero-phase) weighted moving average of per-second curves.

    Second ``t`` becomes the weighted mean of seconds ``t - h .. t + h`` with ``h = window // 2``.
    Near the start and end of a movie the window is cut to the seconds that exist and the weights
    are renormalised, so a constant curve stays constant and nothing is padded.

    See the module docstring for the NaN rule.

    Parameters
    ----------
    window : int, default=31
        Odd number of seconds of the window.  The default matches the default
        :class:`ButterworthSmoother`: at its cutoff of 0.02 Hz the zero-phase Butterworth filter has
        gain 0.5, and 31 s is the odd uniform window whose gain there is closest to 0.5 (0.478).
        ``window=1`` returns the curves unchanged.
    kind : {"uniform", "triangular"}, default="uniform"
        Weights of the window: equal weights, or ``h + 1 - |k|`` for offset ``k`` (a weighted
        moving average that favours the centre second).  A triangular window needs about twice the
        length of a uniform one for the same cutoff.

    Attributes
    ----------
    n_features_in_, feature_names_in_
        As for :class:`ButterworthSmoother`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.smoothing import MovingAverageSmoother
    >>> MovingAverageSmoother(window=3).smooth(np.array([0.0, 3.0, 0.0, 3.0]))
    array([1.5, 1. , 2. , 1.5])
    """

    def __init__(self, window: int = 31, kind: str = "uniform") -> None:
        self.window = window
        self.kind = kind

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "kind": [StrOptions({"uniform", "triangular"})],
    }

    def _check_params(self) -> None:
        super()._check_params()
        if self.window % 2 == 0:
            raise ValueError(f"window must be odd (a centred window of seconds), got {self.window!r}.")

    def weights(self) -> np.ndarray:
        """The (unnormalised) weights of the window, for offsets ``-h`` to ``h``.

        Returns
        -------
        ndarray of shape (window,)
        """
        self._check_params()
        half = int(self.window) // 2
        if self.kind == "uniform":
            return np.ones(2 * half + 1)
        return (half + 1 - np.abs(np.arange(-half, half + 1))).astype(np.float64)

    def _filter(self, curves: np.ndarray) -> np.ndarray:
        weights = self.weights()
        # Zero outside the movie, then divide by the weight that fell inside: renormalised edges.
        total = ndimage.correlate1d(curves, weights, axis=0, mode="constant", cval=0.0)
        inside = ndimage.correlate1d(np.ones(curves.shape[0]), weights, mode="constant", cval=0.0)
        return total / inside[:, None]


class SmoothedRegressor(MovieRegressorMixin, BaseEstimator):
    """A regressor whose predicted curves are smoothed along time, movie by movie.

    ``fit`` fits a clone of ``regressor`` on ``(X, y, **fit_params)``; ``predict`` smooths every
    predicted movie with ``smoother.smooth``.  ``X`` is handed to the regressor untouched, so it may
    be anything the regressor accepts (e.g. the lazy windows of :class:`~sklearn_emotion.windowing.Windower`).
    Nested parameters (``regressor__...``, ``smoother__cutoff``) can be tuned together in
    ``GridSearchCV``.

    ``predict(X, return_std=True)`` passes ``return_std`` to the regressor (one fitted with
    ``predict_std=True``) and smooths both the mean curves and the predicted viewers' standard
    deviation with the same smoother, then clips the std at 0 (a low-pass filter can undershoot).

    Parameters
    ----------
    regressor : estimator
        Sequence regressor whose ``predict`` returns one ``(T, k)`` array per movie.  If it returns a
        plain 2-D array instead (e.g. a scikit-learn regressor given one movie's ``(T, d)`` array),
        that array is smoothed as one movie and returned as an array.
    smoother : object with a ``smooth(curve)`` method, default=None
        E.g. :class:`~sklearn_emotion.smoothing.ButterworthSmoother` or
        :class:`~sklearn_emotion.smoothing.MovingAverageSmoother`.  ``None`` uses
        ``ButterworthSmoother()`` with its defaults (pass a smoother explicitly to tune its
        parameters).  It is cloned at ``fit``.

    Attributes
    ----------
    regressor_ : estimator
        The fitted clone of ``regressor``.
    smoother_ : object
        The smoother used by ``predict``.
    n_features_in_ : int
        Copied from ``regressor_`` when it has one.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_emotion import PerSecondRegressor, SmoothedRegressor
    >>> from sklearn_emotion.smoothing import ButterworthSmoother
    >>> model = SmoothedRegressor(PerSecondRegressor(Ridge()), ButterworthSmoother(cutoff=0.05))
    >>> sorted(model.get_params())[:3]
    ['regressor', 'regressor__estimator', 'regressor__estimator__alpha']
    """

    _parameter_constraints: dict = {
        "regressor": [HasMethods(["fit", "predict"])],
        "smoother": [HasMethods(["smooth"]), None],
    }

    def __init__(self, regressor: Any, smoother: Any = None) -> None:
        self.regressor = regressor
        self.smoother = smoother

    def fit(self, X: Any, y: Any, **fit_params: Any) -> "SmoothedRegressor":
        """Fit a clone of the regressor and prepare the smoother.

        Parameters
        ----------
        X : sequence of movies, or any input of the regressor
            Passed to ``regressor.fit`` unchanged.
        y : sequence of array-like of shape (T, 2)
            Per-movie targets, NaN for unannotated seconds.
        **fit_params : dict
            Passed to ``regressor.fit``.

        Returns
        -------
        self
        """
        self._validate_params()
        smoother = ButterworthSmoother() if self.smoother is None else clone(self.smoother)
        if isinstance(smoother, _BaseSmoother):
            smoother.fit()  # validates its parameters before the (long) regressor fit
        check_has_movies(X)
        self.regressor_ = clone(self.regressor).fit(X, y, **fit_params)
        self.smoother_ = smoother
        if hasattr(self.regressor_, "n_features_in_"):
            self.n_features_in_ = self.regressor_.n_features_in_
        return self

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predict with the regressor and smooth each movie's curves.

        Parameters
        ----------
        X : sequence of movies, or any input of the regressor
        return_std : bool, default=False
            Also return the regressor's predicted standard deviation of the individual viewers'
            ratings (``regressor.predict(X, return_std=True)``), smoothed like the mean and clipped
            at 0.

        Returns
        -------
        mean : list of ndarray of shape (T, 2), or ndarray
            Smoothed predictions, float64, in the structure the regressor returned.
        std : same structure as ``mean``, values >= 0
            Only with ``return_std=True``: the smoothed predicted std.
        """
        check_is_fitted(self)
        if not return_std:
            return self.smooth_predictions(self.regressor_.predict(X))
        mean, std = self.regressor_.predict(X, return_std=True)
        return self.smooth_predictions(mean), self.smooth_predictions(std, nonnegative=True)

    def smooth_predictions(self, predictions: Any, *, nonnegative: bool = False) -> list[np.ndarray] | np.ndarray:
        """Smooth predictions made by ``regressor_`` (or any per-movie curves).

        Parameters
        ----------
        predictions : sequence of array-like of shape (T, k), or array-like of shape (T, k)
            One array per movie, or a single movie.
        nonnegative : bool, default=False
            Clip the smoothed curves at 0 (for standard deviations, which filtering can push below).

        Returns
        -------
        list of ndarray, or ndarray
        """
        check_is_fitted(self)
        if not is_movie_sequence(predictions):
            smoothed = self.smoother_.smooth(predictions)
            return np.maximum(smoothed, 0.0) if nonnegative else smoothed
        smoothed = []
        for index, curve in enumerate(predictions):
            try:
                smoothed.append(self.smoother_.smooth(curve))
            except ValueError as exc:
                raise ValueError(f"predicted movie {index}: {exc}") from exc
        return [np.maximum(curve, 0.0) for curve in smoothed] if nonnegative else smoothed

    def __sklearn_tags__(self):
        return copy_inner_tags(super().__sklearn_tags__(), self.regressor)
