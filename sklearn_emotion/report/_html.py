"""HTML of the report pages: inline SVG curves, the scores table, the peak buttons, the index.

Everything a page needs is in the page (style, script, data); the only link to another file is the
``<video>``'s ``src`` (a relative URL) and, between pages, plain ``<a>`` links.  Curves are drawn
in an SVG whose user units are seconds (x) and minus the value (y, so that up is positive), stretched
to the plot's box (``preserveAspectRatio="none"``, strokes of constant width): the second ``t``
(covering ``[t, t + 1)``) is drawn at its middle, ``t + 0.5``; the stacked contributions of the
"what drives this moment" band are steps covering each whole second.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._assets import SCRIPT, STYLE

#: Where second ``t`` is drawn: its middle.
POINT_OFFSET = 0.5
_TARGETS = ("valence", "arousal")
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
_SCORE_ROWS = (("Valence", "Valence MSE", "Valence PCC"), ("Arousal", "Arousal MSE", "Arousal PCC"))


def escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a time in seconds, rounded down."""
    total = max(0, math.floor(seconds))
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _number(value: float, digits: int = 4) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def path_data(values: np.ndarray) -> str:
    """SVG path of a curve (one value a second), a new sub-path after every NaN gap.

    An isolated second (NaN on both sides) is a zero-length sub-path, which the round line caps show
    as a dot.
    """
    parts, pen_down = [], False
    for second, value in enumerate(values):
        if not np.isfinite(value):
            pen_down = False
            continue
        x, y = _number(second + POINT_OFFSET, 2), _number(-value)
        if pen_down:
            parts.append(f"L{x} {y}")
        else:
            parts.append(f"M{x} {y}L{x} {y}")
            pen_down = True
    return "".join(parts)


def band_data(mean: np.ndarray, std: np.ndarray) -> str:
    """SVG path of the band ``mean - std`` .. ``mean + std``: one closed polygon per run of finite seconds."""
    finite = np.isfinite(mean) & np.isfinite(std)
    parts, start = [], None
    for second in range(len(mean) + 1):
        if second < len(mean) and finite[second]:
            start = second if start is None else start
            continue
        if start is not None:
            seconds = np.arange(start, second)
            upper = [f"{_number(t + POINT_OFFSET, 2)} {_number(-(mean[t] + abs(std[t])))}" for t in seconds]
            lower = [f"{_number(t + POINT_OFFSET, 2)} {_number(-(mean[t] - abs(std[t])))}" for t in seconds[::-1]]
            if len(seconds) == 1:  # a one-second run: half a second each side
                t = seconds[0]
                upper = [f"{_number(t + 0.25, 2)} {_number(-(mean[t] + abs(std[t])))}",
                         f"{_number(t + 0.75, 2)} {_number(-(mean[t] + abs(std[t])))}"]
                lower = [f"{_number(t + 0.75, 2)} {_number(-(mean[t] - abs(std[t])))}",
                         f"{_number(t + 0.25, 2)} {_number(-(mean[t] - abs(std[t])))}"]
            parts.append("M" + "L".join(upper + lower) + "Z")
            start = None
    return "".join(parts)


def step_area_data(lower: np.ndarray, upper: np.ndarray) -> str:
    """SVG path of the area between two per-second edges, drawn as steps (second ``t`` covers ``[t, t + 1)``).

    One closed polygon per run of seconds where both edges are finite and differ; nothing where they
    are equal (a modality that contributes nothing then draws nothing).
    """
    shown = np.isfinite(lower) & np.isfinite(upper) & (lower != upper)
    parts, start = [], None
    for second in range(len(lower) + 1):
        if second < len(lower) and shown[second]:
            start = second if start is None else start
            continue
        if start is not None:  # along the top edge, then back along the bottom one: H and V keep it short
            top = "".join(f"V{_number(-upper[t])}H{t + 1}" for t in range(start, second))
            bottom = "".join(f"V{_number(-lower[t])}H{t}" for t in reversed(range(start, second)))
            parts.append(f"M{start} {_number(-lower[start])}{top}{bottom}Z")
            start = None
    return "".join(parts)


def time_ticks(duration: float, most: int = 10) -> list[float]:
    """Round times (every 1, 2, 5, 10, 15, 30 s, 1, 2, 5... min) from 0, at most ``most`` of them."""
    step = next((s for s in _TICK_STEPS if duration / s <= most), _TICK_STEPS[-1])
    return [float(t) for t in np.arange(0.0, duration + 1e-9, step)]


def value_ticks(limit: float) -> list[float]:
    step = 0.5 if limit <= 1.5 else 1.0
    top = math.floor(limit / step) * step
    return [float(v) for v in np.arange(-top, top + 1e-9, step)]


def _panel(page: Mapping[str, Any], column: int) -> str:
    """One target's figure: y labels, the SVG (grid, band, annotation, prediction, peaks, cursor, hover)."""
    target, duration, limit = _TARGETS[column], page["duration"], page["limit"]
    label = target.capitalize()
    grid = "".join(f'<line class="grid{" zero" if v == 0 else ""}" x1="0" x2="{_number(duration, 3)}" '
                   f'y1="{_number(-v)}" y2="{_number(-v)}"/>' for v in value_ticks(limit))
    grid += "".join(f'<line class="grid" x1="{_number(t, 3)}" x2="{_number(t, 3)}" y1="{_number(-limit)}" '
                    f'y2="{_number(limit)}"/>' for t in time_ticks(duration)[1:])
    layers = []
    if page["std"] is not None:
        layers.append(f'<path class="band" d="{band_data(page["predicted"][:, column], page["std"][:, column])}"/>')
    if page["annotations"] is not None:
        layers.append(f'<path class="curve annotation" d="{path_data(page["annotations"][:, column])}"/>')
    layers.append(f'<path class="curve model" d="{path_data(page["predicted"][:, column])}"/>')
    if column == 1:
        layers += [f'<line class="peak-mark" x1="{_number(t + POINT_OFFSET, 2)}" x2="{_number(t + POINT_OFFSET, 2)}" '
                   f'y1="{_number(-limit)}" y2="{_number(limit)}"/>' for t in page["peaks"]]
    extent = f'y1="{_number(-limit)}" y2="{_number(limit)}"'
    svg = (f'<svg viewBox="0 {_number(-limit)} {_number(duration, 3)} {_number(2 * limit)}" '
           f'preserveAspectRatio="none" aria-hidden="true" focusable="false">{grid}{"".join(layers)}'
           f'<line class="hover" x1="0" x2="0" {extent}/><line class="cursor" x1="0" x2="0" {extent}/></svg>')
    yticks = "".join(f'<span class="ytick" style="top:{_number(100 * (limit - v) / (2 * limit), 3)}%">'
                     f'{_number(v, 2).replace("-", "&minus;")}</span>' for v in value_ticks(limit))
    return (
        f'<figure class="panel" id="panel-{target}"><figcaption>{label}</figcaption><div class="frame">'
        f'<div class="yaxis" aria-hidden="true">{yticks}</div>'
        f'<div class="plot" id="plot-{target}" data-target="{target}" tabindex="0" role="slider" '
        f'aria-label="{label} over time: click or use the arrow keys to seek the movie" aria-valuemin="0" '
        f'aria-valuemax="{_number(duration, 3)}" aria-valuenow="0" aria-valuetext="0:00">{svg}'
        f'<span class="tip" aria-hidden="true"></span></div></div>{_drivers_band(page, column)}</figure>'
    )


def _drivers_band(page: Mapping[str, Any], column: int) -> str:
    """The "what drives this moment" band under a curve: each modality's contribution, stacked (or nothing)."""
    drivers = page["drivers"]
    if drivers is None:
        return ""
    target, duration, limit = _TARGETS[column], page["duration"], drivers["limit"]
    areas = "".join(f'<path class="driver" data-modality="{escape(name)}" fill="{escape(drivers["colours"][name])}" '
                    f'd="{step_area_data(drivers["lower"][column][:, m], drivers["upper"][column][:, m])}"/>'
                    for m, name in enumerate(drivers["modalities"]))
    extent = f'y1="{_number(-limit)}" y2="{_number(limit)}"'
    svg = (f'<svg viewBox="0 {_number(-limit)} {_number(duration, 3)} {_number(2 * limit)}" '
           f'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
           f'<line class="grid zero" x1="0" x2="{_number(duration, 3)}" y1="0" y2="0"/>{areas}'
           f'<line class="cursor" x1="0" x2="0" {extent}/></svg>')
    reach = _number(limit / 1.1, 2)
    yticks = (f'<span class="ytick" style="top:14%">+{reach}</span><span class="ytick" style="top:50%">0</span>'
              f'<span class="ytick" style="top:86%">&minus;{reach}</span>')
    return (f'<div class="frame drivers-frame"><div class="yaxis" aria-hidden="true">{yticks}</div>'
            f'<div class="drivers" id="drivers-{target}" data-target="{target}" title="What drives the '
            f'{target}: each modality&#39;s contribution (click to seek)">{svg}</div></div>')


def _time_axis(duration: float) -> str:
    spans = "".join(f'<span class="{"first" if t == 0 else "tick"}" style="left:{_number(100 * t / duration, 3)}%">'
                    f'{clock(t)}</span>' for t in time_ticks(duration))
    return f'<div class="time-axis" aria-hidden="true">{spans}</div>'


def _legend(page: Mapping[str, Any]) -> str:
    items = [f'<span><span class="swatch model"></span>prediction ({escape(page["model_name"])})</span>']
    if page["std"] is not None:
        items.append('<span><span class="swatch band"></span>prediction &plusmn; standard deviation</span>')
    if page["annotations"] is not None:
        items.append('<span><span class="swatch annotation"></span>annotation</span>')
    items.append('<span><span class="swatch cursor"></span>now playing</span>')
    legend = f'<div class="legend">{"".join(items)}</div>'
    drivers = page["drivers"]
    if drivers is not None:
        areas = "".join(f'<span><span class="swatch area" style="background:{escape(drivers["colours"][name])}">'
                        f'</span>{escape(name)}</span>' for name in drivers["modalities"])
        legend += (f'<div class="legend drivers-legend"><span class="what">Under each curve, what drives this '
                   f'moment (contribution of each modality, above or below 0):</span>{areas}</div>')
    return legend


def _score(value: float, digits: int) -> str:
    return "undefined" if value is None or not np.isfinite(value) else f"{value:.{digits}f}".replace("-", "&minus;")


def scores_table(scores: Mapping[str, float], caption: str = "") -> str:
    rows = "".join(f"<tr><th scope=\"row\">{name}</th><td>{_score(scores.get(mse), 4)}</td>"
                   f"<td>{_score(scores.get(pcc), 3)}</td></tr>" for name, mse, pcc in _SCORE_ROWS)
    caption = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<table class="scores">{caption}<thead><tr><th scope="col">Target</th><th scope="col">MSE</th>'
            f'<th scope="col">Pearson r</th></tr></thead><tbody>{rows}</tbody></table>')


def _peak_list(title: str, what: str, seconds: Sequence[int], values: np.ndarray, explain: str,
               drivers: Mapping[str, Any] | None = None) -> str:
    if len(seconds):
        items = "".join(
            f'<li><button type="button" data-seek="{int(t)}" aria-label="Seek to {clock(t)} ({what} '
            f'{values[t]:.2f}{_peak_driver(drivers, int(t), label=True)})">{clock(t)} '
            f'<span class="value">{_score(values[t], 2)}</span>{_peak_driver(drivers, int(t))}</button></li>'
            for t in seconds)
        body = f'<ul class="peaks">{items}</ul>'
    else:
        body = '<p class="hint">No peak: the curve has no local maximum.</p>'
    return f'<section><h2>{escape(title)}</h2><p class="hint">{explain}</p>{body}</section>'


def _peak_driver(drivers: Mapping[str, Any] | None, second: int, *, label: bool = False) -> str:
    """The modality contributing most to the peak at ``second`` (its name and signed contribution), or ""."""
    if drivers is None or second not in drivers["peak_drivers"]:
        return ""
    name, value = drivers["peak_drivers"][second]
    signed = f"{value:+.2f}"
    if label:
        return f", mostly {escape(name)} {signed}"
    colour = escape(drivers["colours"][name])
    return (f' <span class="driver-name" data-modality="{escape(name)}"><span class="swatch area" '
            f'style="background:{colour}"></span>{escape(name)} {signed.replace("-", "&minus;")}</span>')


def _sidebar(page: Mapping[str, Any]) -> str:
    parts = []
    if page["scores"] is not None:
        seconds = page["scored_seconds"]
        hint = "" if seconds is None else f'<p class="hint">over {seconds} annotated second(s)</p>'
        parts.append(f'<section><h2>Scores against the annotation</h2>{scores_table(page["scores"])}{hint}</section>')
    if page["n_peaks"] > 0:
        named = (" Each names the modality contributing most to its arousal (largest contribution in absolute "
                 "value)." if page["drivers"] is not None else "")
        parts.append(_peak_list("Arousal peaks", "arousal", page["peaks"], page["predicted"][:, 1],
                                "The most exciting moments the model sees (highest local maxima of the smoothed "
                                f"predicted arousal); click one to watch it.{named}", page["drivers"]))
    if page["std"] is not None and page["n_peaks"] > 0:
        parts.append(_peak_list("Disagreement peaks", "standard deviation", page["std_peaks"],
                                page["std"].mean(axis=1),
                                "Where the prediction is least certain (highest local maxima of the mean "
                                "standard deviation of valence and arousal)."))
    return f'<aside>{"".join(parts)}</aside>'


def _json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _rows(array: np.ndarray | None) -> list[list[float | None]] | None:
    if array is None:
        return None
    return [[round(float(v), 4) if np.isfinite(v) else None for v in row] for row in array]


#: ``<meta name=...>`` of a page naming the SHA-256 of the model file that made it (read by ``report_pages``).
MODEL_META = "sklearn-emotion-model"


def _head(title: str, model_colour: str, annotation_colour: str, version: str, model_sha256: str | None) -> str:
    style = STYLE.replace("{model}", model_colour).replace("{annotation}", annotation_colour)
    model = "" if model_sha256 is None else f'<meta name="{MODEL_META}" content="{escape(model_sha256)}">\n'
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="sklearn-emotion {escape(version)}">\n{model}'
            f'<title>{escape(title)}</title>\n<style>{style}</style>\n</head>\n')


def movie_page(page: Mapping[str, Any], *, nav: str, colours: Mapping[str, str], version: str,
               model_sha256: str | None = None) -> str:
    """The HTML of one movie's page (``page``: the fields :func:`sklearn_emotion.report.write_report` prepares)."""
    name = escape(page["name"])
    data = {"name": page["name"], "video": page["video_url"], "duration": round(page["duration"], 3),
            "offset": POINT_OFFSET, "prediction": _rows(page["predicted"]), "annotation": _rows(page["annotations"]),
            "std": _rows(page["std"]), "peaks": [int(t) for t in page["peaks"]],
            "std_peaks": [int(t) for t in page["std_peaks"]], "scores": page["scores"]}
    if data["scores"] is not None:
        data["scores"] = {k: (round(v, 6) if np.isfinite(v) else None) for k, v in data["scores"].items()}
    if page["drivers"] is not None:
        drivers = page["drivers"]
        data["drivers"] = {"modalities": drivers["modalities"],
                           "colours": [drivers["colours"][name] for name in drivers["modalities"]],
                           "values": [_rows(second) for second in drivers["values"]],  # [second][modality][output]
                           "peaks": [{"second": t, "modality": name, "value": round(value, 4)}
                                     for t, (name, value) in drivers["peak_drivers"].items()]}
    curves = "".join(_panel(page, column) for column in range(2))
    drivers_readout = "" if page["drivers"] is None else '<div id="drivers-readout" class="readout"></div>'
    return (
        _head(f"{page['name']}: emotion report", colours["model"], colours["annotation"], version, model_sha256)
        + f'<body>\n<header>{nav}<h1>{name}</h1><p class="sub">Valence (pleasant &harr; unpleasant) and arousal '
        f'(calm &harr; excited) every second, predicted by {escape(page["model_name"])}.</p></header>\n'
        f'<main class="movie"><div class="watch"><section class="player" aria-label="Movie">'
        f'<video id="video" controls preload="auto" playsinline src="{escape(page["video_url"])}"></video>'
        f'<p id="video-error" class="error" role="alert" hidden></p></section>'
        f'<section class="curves" aria-label="Emotion curves">{_legend(page)}'
        f'<div id="readout" class="readout"></div>{drivers_readout}{curves}{_time_axis(page["duration"])}'
        '</section></div>'
        f'{_sidebar(page)}</main>\n'
        '<footer>Click a curve, or focus it and press <kbd>&larr;</kbd> <kbd>&rarr;</kbd> (with <kbd>Shift</kbd>: '
        '10 s), <kbd>Home</kbd>, <kbd>End</kbd> to seek; <kbd>Space</kbd> plays or pauses. Second <i>t</i> of a '
        f'curve covers [<i>t</i>, <i>t</i>+1). Made by sklearn-emotion {escape(version)}; this page needs no '
        'network.</footer>\n'
        f'<script type="application/json" id="report-data">{_json(data)}</script>\n'
        f'<script>{SCRIPT}</script>\n</body>\n</html>\n'
    )


def sparkline(values: np.ndarray, limit: float, label: str) -> str:
    duration = max(len(values), 1)
    return (f'<svg viewBox="0 {_number(-limit)} {duration} {_number(2 * limit)}" preserveAspectRatio="none" '
            f'role="img" aria-label="{escape(label)}"><line class="grid zero" x1="0" x2="{duration}" y1="0" y2="0"/>'
            f'<path class="curve model" d="{path_data(values)}"/></svg>')


def index_page(entries: Sequence[Mapping[str, Any]], *, model_name: str, colours: Mapping[str, str],
               version: str, model_sha256: str | None = None) -> str:
    """The HTML of ``index.html``: one row per movie (link, length, sparklines, scores when known)."""
    scored = any(entry["scores"] is not None for entry in entries)
    head = ('<th scope="col">Movie</th><th scope="col">Length</th><th scope="col" class="spark">Valence</th>'
            '<th scope="col" class="spark">Arousal</th>')
    if scored:
        head += "".join(f'<th scope="col">{name} {kind}</th>' for name in ("Valence", "Arousal")
                        for kind in ("MSE", "r"))
    rows = []
    for entry in entries:
        cells = (f'<td><a href="{escape(entry["href"])}">{escape(entry["name"])}</a></td>'
                 f'<td>{clock(entry["duration"])}</td>')
        cells += "".join(f'<td class="spark">{sparkline(entry["predicted"][:, c], entry["limit"], f"predicted {t}")}'
                         "</td>" for c, t in enumerate(_TARGETS))
        if scored and entry["scores"] is None:
            cells += '<td class="none" colspan="4">no annotation</td>'
        elif scored:
            cells += "".join(f"<td>{_score(entry['scores'].get(f'{name} {kind}'), 4 if kind == 'MSE' else 3)}</td>"
                             for name in ("Valence", "Arousal") for kind in ("MSE", "PCC"))
        rows.append(f"<tr>{cells}</tr>")
    return (
        _head("Emotion report", colours["model"], colours["annotation"], version, model_sha256)
        + f'<body class="index">\n<header><h1>Emotion report</h1><p class="sub">{len(entries)} movies; valence and '
        f'arousal every second, predicted by {escape(model_name)}. Open a movie to watch it with its curves.</p>'
        f'</header>\n<main><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></main>\n'
        f'<footer>Made by sklearn-emotion {escape(version)}; these pages need no network.</footer>\n'
        '</body>\n</html>\n'
    )
