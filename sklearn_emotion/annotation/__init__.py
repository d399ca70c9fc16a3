"""Continuous annotation by several raters: their traces, per-second ratings, lags, agreement and merge.

* :mod:`.traces` - a rater's raw trace file (``video_time,valence,arousal``): :func:`read_trace`,
  :func:`write_trace`, and :func:`trace_to_seconds` (the per-second means);
* :mod:`.agreement` - :func:`agreement` (ICC(1,1) ... ICC(3,k) of Shrout & Fleiss 1979, Cronbach's
  alpha, mean pairwise Pearson and Lin's CCC), :func:`rater_correlations` (each rater against the
  others' mean), :func:`concordance_correlation`;
* :mod:`.lags` - :func:`estimate_rater_lags`: each rater's reaction lag from the pairwise
  cross-correlations;
* :mod:`.merge` - :func:`merge_raters`: raters' per-second ratings -> mean, std across raters
  (``ddof=1``), optional per-rater normalisation and lag compensation, agreement
  (:class:`MergedRatings`).

The browser tool that records the traces (``sklearn-emotion annotate``) lives in :mod:`.store` (a
rater's journal, trace and 1-Hz files of one movie) and :mod:`.server` (the local web server and its
page); ``sklearn-emotion annotations merge``
(:func:`sklearn_emotion.workflows.annotations.merge_annotation_folder`) merges a folder of ratings.
See docs/annotate.md.
"""

from __future__ import annotations

from .agreement import AGREEMENT_KEYS, agreement, concordance_correlation, rater_correlations
from .lags import estimate_rater_lags
from .merge import NORMALIZATIONS, MergedRatings, merge_raters, normalize_ratings, shift_earlier
from .traces import TRACE_COLUMNS, TRACE_SUFFIX, read_trace, trace_to_seconds, write_trace

__all__ = [
    "TRACE_COLUMNS", "TRACE_SUFFIX", "read_trace", "write_trace", "trace_to_seconds",
    "AGREEMENT_KEYS", "agreement", "rater_correlations", "concordance_correlation",
    "estimate_rater_lags",
    "NORMALIZATIONS", "MergedRatings", "merge_raters", "normalize_ratings", "shift_earlier",
]
