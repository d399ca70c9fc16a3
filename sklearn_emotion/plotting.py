"""PNG plots of per-second valence and arousal curves (annotation, model, baselines).

Every plot of the package gives a curve a colour by its *role* (:data:`ROLE_COLOURS`): the
annotation (ground truth) is blue, the model's prediction orange and a baseline green, in
``predict``, ``evaluate --plots`` and the demo alike.  Curves without a role take other colours.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .files import atomic_write_bytes

__all__ = ["ROLES", "ROLE_COLOURS", "plot_curves"]

#: Colour of a curve by its role, the same in every plot (matplotlib's first three default colours,
#: so the demo's figure keeps its look: annotation blue, the package's model orange, baseline green).
ROLE_COLOURS: dict[str, str] = {"annotation": "tab:blue", "model": "tab:orange", "baseline": "tab:green"}
#: The roles a curve can have.
ROLES: tuple[str, ...] = tuple(ROLE_COLOURS)
#: Colours of curves without a role: none of them is a role's colour.
_OTHER_COLOURS = ("tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:red", "tab:gray")
#: Line styles of the second, third... curve of one role (same colour, told apart by the style).
_STYLES = ("-", "--", ":", "-.")
_LINE_WIDTH = {"annotation": 2.0}


def _styles(labels: list[str], roles: Mapping[str, str]) -> dict[str, dict]:
    """Colour, line style and width of every labelled curve, from its role."""
    unknown = sorted(set(roles) - set(labels))
    if unknown:
        raise ValueError(f"roles name curve(s) {unknown} that are not among the curves {labels}.")
    for label, role in roles.items():
        if role not in ROLE_COLOURS:
            raise ValueError(f"the role of curve {label!r} must be one of {ROLES}, got {role!r}.")
    seen: dict[str, int] = {}
    styles, others = {}, 0
    for label in labels:
        role = roles.get(label)
        if role is None:
            colour, style = _OTHER_COLOURS[others % len(_OTHER_COLOURS)], "-"
            others += 1
        else:
            colour, style = ROLE_COLOURS[role], _STYLES[seen.get(role, 0) % len(_STYLES)]
            seen[role] = seen.get(role, 0) + 1
        styles[label] = {"color": colour, "linestyle": style, "linewidth": _LINE_WIDTH.get(role, 1.6)}
    return styles


def _isolated(values: np.ndarray) -> np.ndarray:
    """Indices of finite values whose neighbours are both missing (NaN or outside the curve)."""
    finite = np.isfinite(values)
    before = np.concatenate([[False], finite[:-1]])
    after = np.concatenate([finite[1:], [False]])
    return np.flatnonzero(finite & ~before & ~after)


def plot_curves(
    path: str | os.PathLike,
    curves: Mapping[str, np.ndarray],
    *,
    roles: Mapping[str, str] | None = None,
    bands: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
    dpi: int = 100,
) -> Path:
    """Draw valence (top) and arousal (bottom) over time, one line per labelled curve, as a PNG.

    Parameters
    ----------
    path : str or path-like
        The PNG file, written atomically (1000 x 550 pixels at the default ``dpi``).
    curves : mapping of str to array of shape (T, 2)
        Label (shown in the legend) -> per-second valence and arousal.  NaN seconds (e.g.
        unannotated ones) are gaps.  Curves may differ in length.
    roles : mapping of str to str, optional
        Label -> role among :data:`ROLES` (``"annotation"``, ``"model"``, ``"baseline"``), which
        sets the colour (:data:`ROLE_COLOURS`); a second curve of the same role is dashed.  Curves
        without a role take colours that are no role's.
    bands : mapping of str to array of shape (T, 2), optional
        Label of a curve -> a non-negative spread per second (e.g. the predicted standard deviation
        of the viewers' ratings): a translucent band ``curve ± spread`` in the curve's colour.
    title : str, optional
        Figure title; may span several lines.
    dpi : int, default=100

    Returns
    -------
    Path

    Examples
    --------
    >>> plot_curves("film.png", {"annotation": truth, "GRU+MoE": predicted},
    ...             roles={"annotation": "annotation", "GRU+MoE": "model"}, title="film")  # doctest: +SKIP
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
    spreads = {}
    for label, spread in (bands or {}).items():
        if label not in checked:
            raise ValueError(f"bands name curve {label!r}, which is not among the curves {list(checked)}.")
        array = np.asarray(spread, dtype=np.float64)
        if array.shape != checked[label].shape:
            raise ValueError(f"the band of {label!r} has shape {array.shape}, its curve {checked[label].shape}.")
        spreads[label] = array
    styles = _styles(list(checked), roles or {})
    figure = Figure(figsize=(10, 5.5), dpi=dpi, layout="constrained")
    axes = figure.subplots(2, 1, sharex=True)
    for column, (axis, name) in enumerate(zip(axes, ("Valence", "Arousal"))):
        extent = 1.0
        for label, array in checked.items():
            values = array[:, column]
            axis.plot(np.arange(len(array)), values, label=label, **styles[label])
            if label in spreads:
                spread = spreads[label][:, column]
                axis.fill_between(np.arange(len(array)), values - spread, values + spread, alpha=0.2,
                                  linewidth=0, color=styles[label]["color"], label=f"{label} ± viewers' std")
                reach = np.abs(values) + spread
                reach = reach[np.isfinite(reach)]
                if reach.size:  # keep the whole band in view
                    extent = max(extent, float(reach.max()))
            alone = _isolated(values)  # seconds between two gaps: no line shows them, a dot does
            if alone.size:
                axis.plot(alone, values[alone], linestyle="none", marker="o", markersize=3,
                          color=styles[label]["color"])
            finite = values[np.isfinite(values)]
            if finite.size:
                extent = max(extent, float(np.abs(finite).max()))
        axis.set_ylabel(name)
        axis.set_ylim(-1.05 * extent, 1.05 * extent)  # [-1, 1] unless a curve goes beyond
        axis.axhline(0.0, color="grey", linewidth=0.5)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize="small")
    axes[1].set_xlabel("time (s)")
    if title:
        figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write_bytes(path, lambda out: out.write(buffer.getvalue()))
