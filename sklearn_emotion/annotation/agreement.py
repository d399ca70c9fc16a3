"""How much raters agree: intraclass correlations (Shrout & Fleiss 1979), Cronbach's alpha, Pearson, Lin's CCC.

The ratings are an ``(n_targets, n_raters)`` table; for continuous annotation a target is a second
of a movie.  Every rater rates every target here (Shrout & Fleiss's design), so a target that any
rater left unrated (NaN) is dropped.

Reference: P. E. Shrout and J. L. Fleiss, "Intraclass correlations: uses in assessing rater
reliability", Psychological Bulletin 86(2), 420-428, 1979.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..metrics import pearson_r  # NaN for a constant rater: undefined

__all__ = ["AGREEMENT_KEYS", "agreement", "rater_correlations", "concordance_correlation"]

#: The keys of :func:`agreement`'s result, in order.
AGREEMENT_KEYS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)",
                  "cronbach_alpha", "mean_pearson", "mean_ccc")


def _complete_table(ratings: Any) -> np.ndarray:
    """``ratings`` as float64 ``(n_targets, n_raters)`` without the targets that hold a NaN, checked."""
    table = np.asarray(ratings, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"ratings must be a 2-D (n_targets, n_raters) array, got shape {table.shape}.")
    if np.isinf(table).any():
        raise ValueError("ratings contain infinite values.")
    n_raters = table.shape[1]
    if n_raters < 2:
        raise ValueError(f"agreement needs at least 2 raters (columns), got {n_raters} (shape {table.shape}).")
    complete = table[~np.isnan(table).any(axis=1)]
    if len(complete) < 2:
        raise ValueError(
            f"agreement needs at least 2 targets rated by all {n_raters} raters, got {len(complete)} "
            f"of {len(table)} (targets with a NaN are dropped)."
        )
    return complete


def concordance_correlation(x: Any, y: Any) -> float:
    """Lin's concordance correlation coefficient of two ratings (population moments).

    ``2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))**2)``: Pearson's r penalised for a shift
    or a change of scale between the two; 1 only when ``x == y``.  Pairs with a NaN are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.annotation import concordance_correlation
    >>> x = np.array([0.1, 0.2, 0.4, 0.3])
    >>> concordance_correlation(x, x)
    1.0
    >>> round(concordance_correlation(x, x + 0.2), 3)  # Pearson's r is 1, the shift is penalised
    0.385
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if len(x) < 2:
        return float("nan")
    covariance = np.mean((x - x.mean()) * (y - y.mean()))
    denominator = x.var() + y.var() + (x.mean() - y.mean()) ** 2
    return float(2 * covariance / denominator) if denominator > 0 else float("nan")


def _mean_squares(table: np.ndarray) -> tuple[float, float, float, float]:
    """The two-way ANOVA's mean squares: between targets, within targets, between raters (judges), error."""
    n, k = table.shape
    grand = table.mean()
    ss_total = ((table - grand) ** 2).sum()
    ss_targets = k * ((table.mean(axis=1) - grand) ** 2).sum()
    ss_raters = n * ((table.mean(axis=0) - grand) ** 2).sum()
    bms = ss_targets / (n - 1)
    wms = (ss_total - ss_targets) / (n * (k - 1))
    jms = ss_raters / (k - 1)
    ems = (ss_total - ss_targets - ss_raters) / ((n - 1) * (k - 1))
    return bms, wms, jms, ems


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator != 0 else float("nan")


def agreement(ratings: Any) -> dict[str, float]:
    """The raters' agreement on the targets they all rated.

    Parameters
    ----------
    ratings : array-like of shape (n_targets, n_raters)
        One column per rater; a target (row) with any NaN is dropped.

    Returns
    -------
    dict of str to float
        Exactly the keys of :data:`AGREEMENT_KEYS`:

        * ``"ICC(1,1)"``, ``"ICC(2,1)"``, ``"ICC(3,1)"``: Shrout & Fleiss's intraclass correlations
          of a single rater's ratings: (1) each target rated by its own random raters, (2) raters a
          random sample (their offsets count as disagreement: absolute agreement), (3) these raters
          only (offsets ignored: consistency);
        * ``"ICC(1,k)"``, ``"ICC(2,k)"``, ``"ICC(3,k)"``: the same for the mean of the k raters, the
          reliability of the merged annotation;
        * ``"cronbach_alpha"``: equal to ICC(3,k);
        * ``"mean_pearson"``, ``"mean_ccc"``: Pearson's r and Lin's concordance correlation
          coefficient averaged over the pairs of raters (NaN pairs, e.g. a constant rater, skipped).

    Raises
    ------
    ValueError
        With fewer than 2 raters, or fewer than 2 targets rated by every rater.

    Examples
    --------
    Three raters of 50 seconds, the third rating 0.3 higher than the others:

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import agreement
    >>> rng = np.random.default_rng(0)
    >>> truth = np.sin(np.arange(50) / 5)
    >>> ratings = np.column_stack([truth + rng.normal(scale=0.1, size=50) for _ in range(3)]) + [0, 0, 0.3]
    >>> scores = agreement(ratings)
    >>> round(scores["ICC(3,1)"], 3), round(scores["ICC(2,1)"], 3)  # consistency; absolute agreement
    (0.98, 0.922)
    >>> round(scores["mean_pearson"], 3), round(scores["mean_ccc"], 3)  # the offset counts in the CCC only
    (0.98, 0.922)
    """
    table = _complete_table(ratings)
    n, k = table.shape
    bms, wms, jms, ems = _mean_squares(table)
    item_variances = table.var(axis=0, ddof=1).sum()
    total_variance = table.sum(axis=1).var(ddof=1)
    pairs = list(itertools.combinations(range(k), 2))
    with np.errstate(invalid="ignore"):
        pearson = [pearson_r(table[:, i], table[:, j]) for i, j in pairs]
        ccc = [concordance_correlation(table[:, i], table[:, j]) for i, j in pairs]
    return {
        "ICC(1,1)": _ratio(bms - wms, bms + (k - 1) * wms),
        "ICC(2,1)": _ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC(3,1)": _ratio(bms - ems, bms + (k - 1) * ems),
        "ICC(1,k)": _ratio(bms - wms, bms),
        "ICC(2,k)": _ratio(bms - ems, bms + (jms - ems) / n),
        "ICC(3,k)": _ratio(bms - ems, bms),
        "cronbach_alpha": _ratio(k * (total_variance - item_variances), (k - 1) * total_variance),
        "mean_pearson": float(np.nanmean(pearson)) if not np.isnan(pearson).all() else float("nan"),
        "mean_ccc": float(np.nanmean(ccc)) if not np.isnan(ccc).all() else float("nan"),
    }


def rater_correlations(ratings: Any) -> np.ndarray:
    """Each rater's Pearson correlation with the mean of the other raters, on the targets all rated.

    A low value singles out a rater who rated differently (or lagged, or misunderstood the scale).

    Parameters
    ----------
    ratings : array-like of shape (n_targets, n_raters)
        As for :func:`agreement` (targets with a NaN dropped).

    Returns
    -------
    ndarray of shape (n_raters,)
        NaN for a rater whose ratings, or the others' mean, are constant.

    Examples
    --------
    The third rater rates something else:

    >>> import numpy as np
    >>> from sklearn_emotion.annotation import rater_correlations
    >>> rng = np.random.default_rng(0)
    >>> truth = np.sin(np.arange(50) / 5)
    >>> ratings = np.column_stack([truth + rng.normal(scale=0.1, size=50),
    ...                            truth + rng.normal(scale=0.1, size=50), rng.normal(size=50)])
    >>> rater_correlations(ratings).round(2)
    array([0.58, 0.6 , 0.05])
    """
    table = _complete_table(ratings)
    k = table.shape[1]
    others = (table.sum(axis=1, keepdims=True) - table) / (k - 1)
    return np.array([pearson_r(table[:, j], others[:, j]) for j in range(k)])
