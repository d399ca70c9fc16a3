"""Deprecated: moved to :mod:`sklearn_emotion.gru_moe.batches` in 0.2."""

from ._compat import alias_module

alias_module(__name__, "sklearn_emotion.gru_moe.batches", globals())
