"""PNG plots of per-second valence and arousal curves (prediction, truth, baselines)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .files import atomic_write_bytes

__all__ = ["plot_curves"]


def plot_curves(
    path: str | os.PathLike,
    curves: Mapping[str, np.ndarray],
    *,
    title: str | None = None,
    dpi: int = 100,
) -> Path:
    """Draw valence (top) and arousal (bottom) over time, one line per labelled curve, as a PNG.

    Parameters
    ----------
    path : str or path-like
        The PNG file, written atomically.
    curves : mapping of str to array of shape (T, 2)
        Label -> per-second valence and arousal (NaN seconds are gaps).  Curves may differ in length.
    title : str, optional
    dpi : int, default=100

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display needed; keeps working on servers
    from matplotlib.figure import Figure

    if not curves:
        raise ValueError("plot_curves needs at least one curve.")
    checked = {}
    for label, curve in curves.items():
        array = np.asarray(curve, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(f"curve {label!r} must have shape (T, 2) (valence, arousal), got {array.shape}.")
        checked[label] = array
    figure = Figure(figsize=(10, 5.5), dpi=dpi, layout="constrained")
    axes = figure.subplots(2, 1, sharex=True)
    for column, (axis, name) in enumerate(zip(axes, ("Valence", "Arousal"))):
        for label, array in checked.items():
            axis.plot(np.arange(len(array)), array[:, column], label=label, linewidth=1.6)
        axis.set_ylabel(name)
        axis.set_ylim(-1.05, 1.05)
        axis.axhline(0.0, color="grey", linewidth=0.5)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize="small")
    axes[1].set_xlabel("time (s)")
    if title:
        figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write_bytes(path, lambda out: out.write(buffer.getvalue()))
