"""Several raters' per-second ratings of one movie -> the mean annotation, the disagreement, the agreement.

Per dimension (valence, arousal) and second: the mean across the raters who rated it, and their
standard deviation (``ddof=1``: the spread of the population of viewers the raters sample, the
disagreement target that ``fit`` learns).  Optionally each rater is first normalised
(``center``: minus the rater's mean; ``zscore``: also divided by the rater's standard deviation)
and shifted earlier by its reaction lag (:func:`~sklearn_emotion.annotation.estimate_rater_lags`).
The agreement is that of the ratings as rated (shifted, not normalised): normalising would remove
the very differences of offset and scale between raters that ICC(2,.) and Lin's CCC measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import TARGET_NAMES
from .agreement import AGREEMENT_KEYS, agreement, rater_correlations
from .lags import estimate_rater_lags

__all__ = ["NORMALIZATIONS", "MergedRatings", "normalize_ratings", "shift_earlier", "merge_raters"]

#: The per-rater normalisations of :func:`merge_raters`.
NORMALIZATIONS = ("none", "center", "zscore")


@dataclass(frozen=True)
class MergedRatings:
    """The result of :func:`merge_raters` for one movie.

    Attributes
    ----------
    raters : tuple of str
        The raters, in the order of the rater axes below.
    ratings : ndarray of shape (n_seconds, n_raters, 2)
        Each rater's valence and arousal as merged: normalised, shifted by its lag, NaN-padded.
    mean, std : ndarray of shape (n_seconds, 2)
        Per second and dimension, the raters' mean and standard deviation (``ddof=1``); NaN where no
        rater (mean) or fewer than 2 raters (std) rated that second.
    n_rated : ndarray of shape (n_seconds, 2)
        How many raters rated each second.
    lags : ndarray of shape (n_raters, 2) or None
        Each rater's estimated lag per dimension in seconds (earliest rater 0, positive = later), by
        which its ratings were shifted earlier; NaN for a dimension the rater did not rate at all;
        None when lags were not compensated.
    agreement : dict of str to dict of str to float
        Per dimension (``"valence"``, ``"arousal"``), :func:`~sklearn_emotion.annotation.agreement`
        of the raters who rated that dimension, over the seconds they all rated (all NaN when fewer
        than 2 raters or 2 such seconds); of their ratings as rated, shifted by their lags but not
        normalised, so that differences of offset and scale between raters show.
    rater_correlations : ndarray of shape (n_raters, 2)
        Each rater's Pearson correlation with the mean of the others, per dimension (NaN for a
        dimension the rater did not rate).

    Examples
    --------
    Three raters of one 60-s movie, each the true curves plus noise:

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import merge_raters
    >>> rng = np.random.default_rng(0)
    >>> truth = np.column_stack([np.sin(np.arange(60) / 6), np.cos(np.arange(60) / 9)])
    >>> ratings = {name: truth + rng.normal(scale=0.1, size=truth.shape) for name in ("ann", "bob", "cid")}
    >>> merged = merge_raters(ratings)
    >>> merged.raters, merged.ratings.shape, merged.mean.shape, merged.n_rated[0]
    (('ann', 'bob', 'cid'), (60, 3, 2), (60, 2), array([3, 3]))
    >>> sorted(merged.agreement), merged.lags is None
    (['arousal', 'valence'], True)
    >>> bool(merged.rater_correlations.min() > 0.9)  # each rater follows the others' mean closely
    True
    """

    raters: tuple[str, ...]
    ratings: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n_rated: np.ndarray
    lags: np.ndarray | None
    agreement: dict[str, dict[str, float]]
    rater_correlations: np.ndarray

    @property
    def curves(self) -> np.ndarray:
        """``(n_seconds, 4)``: valence, arousal, valence_std, arousal_std, as ``write_curves`` takes them."""
        return np.hstack([self.mean, self.std])


def _stack(ratings: Mapping[str, Any] | Sequence[Any]) -> tuple[tuple[str, ...], np.ndarray]:
    """Raters' names and their ratings as one ``(n_seconds, n_raters, 2)`` array, shorter raters NaN-padded."""
    named = dict(ratings) if isinstance(ratings, Mapping) else {str(i): r for i, r in enumerate(ratings)}
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in named.items()}
    shapes = {name: array.shape for name, array in arrays.items()}
    if any(array.ndim != 2 or array.shape[1] != len(TARGET_NAMES) for array in arrays.values()):
        raise ValueError(f"each rater's ratings must be a (n_seconds, 2) valence/arousal array, got {shapes}.")
    if len(arrays) < 2:
        raise ValueError(f"merging needs at least 2 raters, got {len(arrays)} ({', '.join(arrays) or 'none'}): "
                         "a single rater gives no mean across raters, no std and no agreement.")
    if any(np.isinf(array).any() for array in arrays.values()):
        raise ValueError(f"the ratings of rater(s) {[n for n, a in arrays.items() if np.isinf(a).any()]} are infinite.")
    n_seconds = max(array.shape[0] for array in arrays.values())
    stacked = np.full((n_seconds, len(arrays), len(TARGET_NAMES)), np.nan)
    for column, array in enumerate(arrays.values()):
        stacked[: len(array), column] = array
    return tuple(arrays), stacked


def normalize_ratings(ratings: np.ndarray, normalize: str, raters: Sequence[str] = ()) -> np.ndarray:
    """Normalise each rater (axis 1) per dimension (axis 2) over the seconds it rated.

    ``"none"`` returns a copy; ``"center"`` subtracts the rater's mean (raters who use different
    parts of the scale); ``"zscore"`` also divides by its standard deviation (``ddof=0``; raters who
    move the pointer more or less).  A rater whose ratings of a dimension are constant cannot be
    z-scored: a ``ValueError`` names it.

    Examples
    --------
    Two seconds, two raters, two dimensions; the second rater uses a higher part of the scale:

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import normalize_ratings
    >>> stacked = np.array([[[0.1, 0.0], [0.5, 0.2]], [[0.3, 0.2], [0.7, 0.6]]])  # (seconds, raters, dimensions)
    >>> normalize_ratings(stacked, "center")
    array([[[-0.1, -0.1],
            [-0.1, -0.2]],
    <BLANKLINE>
           [[ 0.1,  0.1],
            [ 0.1,  0.2]]])
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZATIONS)}, got {normalize!r}.")
    ratings = np.array(ratings, dtype=np.float64)
    if normalize == "none":
        return ratings
    rated = ~np.isnan(ratings).all(axis=0)  # (n_raters, 2): dimensions a rater rated at all
    mean = np.nanmean(np.where(rated, ratings, 0.0), axis=0)
    ratings -= mean
    if normalize == "zscore":
        std = np.nanstd(np.where(rated, ratings, 0.0), axis=0)
        constant = np.argwhere(rated & (std == 0))
        if len(constant):
            rater, dimension = constant[0]
            name = raters[rater] if len(raters) > rater else str(rater)
            raise ValueError(f"rater {name}'s {TARGET_NAMES[dimension]} is constant: it cannot be z-scored "
                             "(use normalize='center', or leave the rater out).")
        ratings /= np.where(rated, std, 1.0)
    return ratings


def shift_earlier(values: np.ndarray, lag: float) -> np.ndarray:
    """``values[t + lag]`` for every second ``t``: a rating ``lag`` seconds late moved back in time.

    A fractional lag interpolates linearly between the two neighbouring seconds (NaN when either
    is NaN); seconds past the end are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.annotation import shift_earlier
    >>> shift_earlier(np.array([0.0, 1.0, 2.0, 3.0]), 1.5)
    array([1.5, 2.5, nan, nan])
    """
    values = np.asarray(values, dtype=np.float64)
    padded = np.append(values, np.nan)  # index len(values): past the end

    def at(index: np.ndarray) -> np.ndarray:
        return padded[np.where((index >= 0) & (index < len(values)), index, len(values))]

    position = np.arange(len(values)) + lag
    whole = np.floor(position).astype(np.intp)
    fraction = position - whole
    # the fraction is one number: where it is 0 the neighbour (maybe NaN) must not count at all
    return at(whole) if fraction[0] == 0 else (1 - fraction) * at(whole) + fraction * at(whole + 1)


def _raters_of(table: np.ndarray) -> np.ndarray:
    """The columns (raters) of one dimension's ``(n_seconds, n_raters)`` table that rated it at all."""
    return ~np.isnan(table).all(axis=0)


def _dimension_agreement(table: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """:func:`agreement` and :func:`rater_correlations` of one dimension among the raters who rated it.

    A rater who left the dimension out entirely (``annotate --dimension``) is not counted (its
    correlation NaN); all NaN when fewer than 2 raters, or 2 seconds rated by all of them, remain.
    """
    rated = _raters_of(table)
    correlations = np.full(table.shape[1], np.nan)
    if rated.sum() < 2 or (~np.isnan(table[:, rated]).any(axis=1)).sum() < 2:
        return dict.fromkeys(AGREEMENT_KEYS, float("nan")), correlations
    with np.errstate(invalid="ignore", divide="ignore"):
        correlations[rated] = rater_correlations(table[:, rated])
        return agreement(table[:, rated]), correlations


def _estimate_lags(stacked: np.ndarray, max_lag: float, raters: Sequence[str]) -> np.ndarray:
    """Each rater's lag per dimension, ``(n_raters, 2)``, among the raters who rated that dimension.

    The others' lag is NaN, a lone rater's 0.  An error names the dimension and the raters
    (``raters``: the names of the columns).
    """
    lags = np.full(stacked.shape[1:], np.nan)
    for dimension in range(stacked.shape[2]):
        rated = _raters_of(stacked[:, :, dimension])
        if rated.sum() == 1:
            lags[rated, dimension] = 0.0
        elif rated.sum() > 1:
            names = [name for name, used in zip(raters, rated) if used]
            try:
                lags[rated, dimension] = estimate_rater_lags(stacked[:, rated, dimension], max_lag=max_lag,
                                                             raters=names)
            except ValueError as error:
                raise ValueError(f"{TARGET_NAMES[dimension]}: {error}") from error
    return lags


def _shift_all(stacked: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Each rater (axis 1) and dimension (axis 2) shifted earlier by its lag (a NaN lag: not rated)."""
    shifted = np.array(stacked, dtype=np.float64)
    for rater, dimension in np.argwhere(~np.isnan(lags)):
        shifted[:, rater, dimension] = shift_earlier(stacked[:, rater, dimension], lags[rater, dimension])
    return shifted


def merge_raters(ratings: Mapping[str, Any] | Sequence[Any], *, normalize: str = "none",
                 max_lag: float | None = None) -> MergedRatings:
    """Merge several raters' per-second ratings of one movie into mean, std and agreement.

    Parameters
    ----------
    ratings : mapping of str to array-like of shape (n_seconds_i, 2), or a sequence of them
        Each rater's valence and arousal per second (e.g. ``DIR/<rater>/<movie>.csv`` read with
        :func:`sklearn_emotion.files.read_curves`); NaN = not rated.  Raters of different lengths are
        padded with NaN to the longest.  A sequence names the raters ``"0"``, ``"1"``, ...
    normalize : {"none", "center", "zscore"}, default="none"
        Per-rater normalisation before merging (:func:`normalize_ratings`) of the mean and std; the
        agreement is computed on the ratings before normalising.
    max_lag : float, optional
        When given, each rater's lag per dimension is estimated within ``+-max_lag`` seconds
        (:func:`~sklearn_emotion.annotation.estimate_rater_lags`) and its ratings are shifted
        earlier by it (:func:`shift_earlier`) before merging.

    Returns
    -------
    MergedRatings

    Raises
    ------
    ValueError
        With fewer than 2 raters (a single rater has no spread and no agreement to report), ratings
        that are not ``(n_seconds, 2)``, an unknown ``normalize``, or lags that cannot be estimated.

    Examples
    --------
    Three raters of one 60-s movie: the second rates 0.1 higher, the third 2 seconds late:

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import merge_raters
    >>> truth = np.column_stack([np.sin(np.arange(62) / 6), np.cos(np.arange(62) / 9)])
    >>> merged = merge_raters({"ann": truth[2:], "bob": truth[2:] + 0.1, "cid": truth[:60]}, max_lag=5)
    >>> merged.lags.round()  # seconds, per rater and dimension (valence, arousal)
    array([[0., 0.],
           [0., 0.],
           [2., 2.]])
    >>> merged.mean.shape, merged.n_rated[0]
    ((60, 2), array([3, 3]))
    >>> round(merged.agreement["valence"]["mean_pearson"], 2)
    1.0
    """
    raters, raw = _stack(ratings)
    stacked = normalize_ratings(raw, normalize, raters)
    lags = None
    if max_lag is not None:  # Pearson's r, hence the lags, are the same before and after normalising
        lags = _estimate_lags(raw, max_lag, raters)
        raw, stacked = _shift_all(raw, lags), _shift_all(stacked, lags)
    n_rated = (~np.isnan(stacked)).sum(axis=1)
    mean, variance = np.full(n_rated.shape, np.nan), np.full(n_rated.shape, np.nan)
    np.divide(np.nansum(stacked, axis=1), n_rated, out=mean, where=n_rated > 0)
    np.divide(np.nansum((stacked - mean[:, None]) ** 2, axis=1), n_rated - 1, out=variance, where=n_rated > 1)
    std = np.sqrt(variance)
    # the agreement of the ratings as rated (only shifted): normalising would hide the offsets and scales it
    # measures (ICC(2,.) against ICC(3,.), CCC against Pearson)
    tables = [_dimension_agreement(raw[:, :, d]) for d in range(len(TARGET_NAMES))]
    return MergedRatings(
        raters=raters, ratings=stacked, mean=mean, std=std, n_rated=n_rated, lags=lags,
        agreement={name: table for name, (table, _) in zip(TARGET_NAMES, tables)},
        rater_correlations=np.column_stack([correlations for _, correlations in tables]),
    )
