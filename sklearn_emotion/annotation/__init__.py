"""Continuous annotation by several raters: their traces, per-second ratings, lags, agreement and merge.

* :mod:`.traces` - a rater's raw trace file (``video_time,valence,arousal``): :func:`read_trace`,
  :func:`write_trace`, and :func:`trace_to_seconds` (the per-second means).
"""

from __future__ import annotations

from .traces import TRACE_COLUMNS, TRACE_SUFFIX, read_trace, trace_to_seconds, write_trace

__all__ = ["TRACE_COLUMNS", "TRACE_SUFFIX", "read_trace", "write_trace", "trace_to_seconds"]
