"""PNG plots of per-second valence and arousal curves (annotation, model, baselines) and of what drives them.

Every plot of the package gives a curve a colour by its *role* (:data:`ROLE_COLOURS`): the
annotation (ground truth) is blue, the model's prediction orange and a baseline green, in
``predict``, ``evaluate --plots`` and the demo alike.  Curves without a role take other colours.
The contributions of the modalities (``predict --explain``, the report's band) take a colour per
modality (:func:`modality_colours`), the same in the PNG plots and the HTML report.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .files import atomic_write_bytes

__all__ = ["MODALITY_COLOURS", "ROLES", "ROLE_COLOURS", "modality_colours", "plot_contributions", "plot_curves",
           "stacked_areas"]

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
#: Colour of the contributions of the package's modalities (none is a role's colour, nor the report's cursor).
MODALITY_COLOURS: dict[str, str] = {"image": "tab:purple", "audio": "tab:cyan", "face": "tab:pink"}
#: Colours of other modalities, in the order they come (a model has at most six modalities to explain).
_OTHER_MODALITY_COLOURS = ("tab:brown", "tab:olive", "tab:gray", "tab:red", "gold", "navy")


def modality_colours(modalities: Sequence[str]) -> dict[str, str]:
    """The CSS hex colour of each modality's contributions, the same in every plot and report page.

    The package's modalities have fixed colours (:data:`MODALITY_COLOURS`); others take the next
    unused colour of a fixed list, in the order given (so a model's modalities, in its order, always
    get the same colours).

    Parameters
    ----------
    modalities : sequence of str
        Modality names, e.g. ``["image", "audio", "face"]``.

    Returns
    -------
    dict of str to str
        Name -> ``"#rrggbb"``.

    Examples
    --------
    >>> from sklearn_emotion.plotting import modality_colours
    >>> modality_colours(["image", "audio", "face", "gaze"])  # a modality of its own gets the next free colour
    {'image': '#9467bd', 'audio': '#17becf', 'face': '#e377c2', 'gaze': '#8c564b'}
    """
    from matplotlib.colors import to_hex

    taken = {MODALITY_COLOURS[name] for name in modalities if name in MODALITY_COLOURS}
    spare = [colour for colour in _OTHER_MODALITY_COLOURS if colour not in taken]
    colours, others = {}, 0
    for name in modalities:
        if name in MODALITY_COLOURS:
            colours[name] = to_hex(MODALITY_COLOURS[name])
        else:
            colours[name] = to_hex(spare[others % len(spare)])
            others += 1
    return colours


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
        Resolution: the figure is 10 x 5.5 inches, so the PNG is ``10 * dpi`` x ``5.5 * dpi`` pixels.

    Returns
    -------
    Path
        ``path``, where the PNG image was written.

    Examples
    --------
    A minute:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.plotting import plot_curves
    >>> seconds = np.arange(60)
    >>> truth = np.column_stack([np.sin(seconds / 9), np.cos(seconds / 7)]) / 2
    >>> predicted = 0.8 * truth
    >>> path = plot_curves(Path(tempfile.mkdtemp()) / "film.png", {"annotation": truth, "GRU+MoE": predicted},
    ...                    roles={"annotation": "annotation", "GRU+MoE": "model"}, title="film")
    >>> path.name, path.read_bytes()[:4]
    ('film.png', b'\\x89PNG')
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
            axis.plot(np.arange(len(array)), values, label=_plain(label), **styles[label])
            if label in spreads:
                spread = spreads[label][:, column]
                axis.fill_between(np.arange(len(array)), values - spread, values + spread, alpha=0.2,
                                  linewidth=0, color=styles[label]["color"], label=_plain(f"{label} ± viewers' std"))
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
        figure.suptitle(_plain(title))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write_bytes(path, lambda out: out.write(buffer.getvalue()))


def _plain(text: str) -> str:
    """``text`` drawn as written: a ``$`` pair would be read as mathtext (and may fail at save)."""
    return text.replace("$", r"\$")


def stacked_areas(contributions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of each modality's area when signed contributions are stacked.

    Positive contributions pile up from 0 and negative ones down from 0, each modality in turn, so
    that the top edge is the sum of the positive parts and the bottom edge the sum of the negative
    ones (their sum is the prediction minus the all-absent prediction).

    Parameters
    ----------
    contributions : ndarray of shape (T, M)
        One output's contributions, one column per modality (NaN counts as 0).

    Returns
    -------
    lower, upper : ndarray of shape (T, M)

    Examples
    --------
    Two seconds, three modalities (a NaN counts as 0):

    >>> import numpy as np
    >>> from sklearn_emotion.plotting import stacked_areas
    >>> lower, upper = stacked_areas(np.array([[0.2, -0.1, 0.3], [-0.2, 0.1, np.nan]]))
    >>> lower
    array([[ 0. , -0.1,  0.2],
           [-0.2,  0. ,  0.1]])
    >>> upper
    array([[0.2, 0. , 0.5],
           [0. , 0.1, 0.1]])
    """
    values = np.nan_to_num(np.asarray(contributions, dtype=np.float64))
    positive, negative = np.clip(values, 0, None), np.clip(values, None, 0)
    above = np.cumsum(positive, axis=1) - positive  # what the modalities before stacked up
    below = np.cumsum(negative, axis=1) - negative
    return np.where(values >= 0, above, below + negative), np.where(values >= 0, above + positive, below)


def plot_contributions(
    path: str | os.PathLike,
    predicted: np.ndarray,
    contributions: np.ndarray,
    modalities: Sequence[str],
    baseline_prediction: np.ndarray,
    *,
    title: str | None = None,
    dpi: int = 100,
) -> Path:
    """Draw each output's predicted curve over the stacked contributions of the modalities, as a PNG.

    One panel per output (valence, arousal): above, the prediction (the model's colour) and the
    all-absent prediction (dashed grey); below it, on the same time axis, every modality's
    contribution stacked (positive ones up from 0, negative ones down, :func:`modality_colours`)
    and their sum, the prediction minus the all-absent prediction (a thin black line).

    Parameters
    ----------
    path : str or path-like
        The PNG file, written atomically (1000 x 700 pixels at the default ``dpi``).
    predicted : array-like of shape (T, 2)
        The predicted valence and arousal.
    contributions : array-like of shape (T, M, 2)
        Each modality's contribution to each output every second
        (:func:`sklearn_emotion.inspection.modality_contributions`).
    modalities : sequence of str
        The M modality names, in the order of ``contributions``' second axis.
    baseline_prediction : array-like of shape (T, 2)
        The prediction with every modality absent.
    title : str, optional
        Figure title; may span several lines.
    dpi : int, default=100
        Resolution of the 10 x 7-inch figure: its PNG is ``10 * dpi`` x ``7 * dpi`` pixels.

    Returns
    -------
    Path

    Examples
    --------
    A minute of a two-modality model's prediction, split into what each modality adds to the baseline:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.plotting import plot_contributions
    >>> rng = np.random.default_rng(0)
    >>> contributions = rng.normal(scale=0.1, size=(60, 2, 2))  # 60 seconds, 2 modalities, valence and arousal
    >>> baseline = np.zeros((60, 2))
    >>> path = plot_contributions(Path(tempfile.mkdtemp()) / "film.png", baseline + contributions.sum(axis=1),
    ...                           contributions, ["image", "audio"], baseline, title="film")
    >>> path.name, path.read_bytes()[:4]
    ('film.png', b'\\x89PNG')
    """
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display needed; keeps working on servers
    from matplotlib.figure import Figure

    predicted = np.asarray(predicted, dtype=np.float64)
    values = np.asarray(contributions, dtype=np.float64)
    absent = np.asarray(baseline_prediction, dtype=np.float64)
    modalities = [str(name) for name in modalities]
    if predicted.ndim != 2 or absent.shape != predicted.shape:
        raise ValueError(f"{path}: the prediction and the all-absent prediction must have one shape (T, n_outputs); "
                         f"got {predicted.shape} and {absent.shape}.")
    if values.shape != (len(predicted), len(modalities), predicted.shape[1]):
        raise ValueError(f"{path}: contributions must have shape (T, M, n_outputs) = "
                         f"{(len(predicted), len(modalities), predicted.shape[1])} for the modalities {modalities}; "
                         f"got {values.shape}.")
    colours = modality_colours(modalities)
    seconds = np.arange(len(predicted))
    figure = Figure(figsize=(10, 7), dpi=dpi, layout="constrained")
    axes = figure.subplots(2 * predicted.shape[1], 1, sharex=True, height_ratios=[3, 2] * predicted.shape[1])
    legends = []
    for column in range(predicted.shape[1]):
        name = ("Valence", "Arousal")[column] if predicted.shape[1] == 2 else f"output {column}"
        curve, parts = axes[2 * column], axes[2 * column + 1]
        # Legends from explicit handles and labels: a modality named "_x" would otherwise be left out.
        handles = [curve.plot(seconds, predicted[:, column], color=ROLE_COLOURS["model"], linewidth=1.6)[0],
                   curve.plot(seconds, absent[:, column], color="grey", linestyle="--", linewidth=1.0)[0]]
        legends.append((curve, handles, ["prediction", "all modalities\nabsent"]))
        extent = max(1.0, float(np.nanmax(np.abs(np.concatenate([predicted[:, column], absent[:, column]])),
                                          initial=0.0)))
        curve.set_ylim(-1.05 * extent, 1.05 * extent)
        curve.set_ylabel(name)
        lower, upper = stacked_areas(values[:, :, column])
        handles = [parts.fill_between(seconds, lower[:, index], upper[:, index], step="mid", linewidth=0,
                                      color=colours[modality]) for index, modality in enumerate(modalities)]
        handles += parts.plot(seconds, np.nansum(values[:, :, column], axis=1), color="black", linewidth=0.8,
                              drawstyle="steps-mid")
        legends.append((parts, handles, [_plain(name) for name in modalities] + ["sum:\nprediction\n- absent"]))
        parts.axhline(0.0, color="grey", linewidth=0.5)
        parts.set_ylabel(f"{name}\ncontributions", fontsize="small")
        for axis in (curve, parts):
            axis.grid(alpha=0.3)
    for axis, handles, labels in legends[:2]:  # beside the plots: no legend hides a second
        axis.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small")
    axes[-1].set_xlabel("time (s)")
    if title:
        figure.suptitle(_plain(title))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write_bytes(path, lambda out: out.write(buffer.getvalue()))
