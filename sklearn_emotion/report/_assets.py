"""The style sheet and the script every report page carries inline (no file, no network).

The script reads the page's data from ``<script type="application/json" id="report-data">`` and
needs nothing else: the curves are drawn by the page's inline SVG (in seconds: the SVG's x axis
*is* the movie's time, so the cursor's ``x`` is ``video.currentTime``), the script only moves the
cursor, seeks the video and writes the read-out.
"""

from __future__ import annotations

#: Inline CSS of the movie and index pages.  ``{model}``, ``{annotation}`` are the role colours.
STYLE = """
:root { --model: {model}; --annotation: {annotation}; --ink: #1d1d1f; --muted: #5b5b66; --rule: #d9d9e0;
        --panel: #fbfbfd; --cursor: #c2185b; --focus: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #fff; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 8px; }
header .sub { margin: 0 0 8px; }
h1 { font-size: 1.5rem; margin: 0.2em 0; overflow-wrap: anywhere; }
h2 { font-size: 1.05rem; margin: 1em 0 0.4em; }
.sub, footer, .hint { color: var(--muted); }
nav { display: flex; gap: 1em; flex-wrap: wrap; font-size: 0.95rem; }
a { color: var(--focus); }
main.movie { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; }
@media (min-width: 1000px) { main.movie { grid-template-columns: minmax(0, 3fr) minmax(240px, 1fr); } }
.player video { display: block; width: 100%; max-height: 45vh; background: #000; border-radius: 6px; }
.error { color: #b00020; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; margin: 10px 0 4px; font-size: 0.9rem; }
.swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; vertical-align: middle;
          margin-right: 6px; }
.swatch.model { border-color: var(--model); }
.swatch.annotation { border-color: var(--annotation); }
.swatch.band { height: 10px; border: 0; background: var(--model); opacity: 0.25; }
.swatch.area { height: 10px; width: 14px; border: 0; }
.swatch.cursor { border-color: var(--cursor); width: 3px; height: 14px; border-top: 0;
                 border-left: 2px solid var(--cursor); }
.readout { font-variant-numeric: tabular-nums; min-height: 1.5em; font-size: 0.95rem; }
.panel { margin: 4px 0 0; }
.panel figcaption { font-weight: 600; font-size: 0.9rem; margin-left: 3em; }
.frame { display: grid; grid-template-columns: 3em minmax(0, 1fr); }
.yaxis { position: relative; }
.ytick { position: absolute; right: 6px; transform: translateY(-50%); font-size: 0.75rem; color: var(--muted);
         font-weight: 400; font-variant-numeric: tabular-nums; }
.plot { position: relative; height: 125px; background: var(--panel); border: 1px solid var(--rule);
        border-radius: 4px; cursor: crosshair; touch-action: manipulation; }
.plot:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.plot svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
svg * { vector-effect: non-scaling-stroke; }
.grid { stroke: var(--rule); stroke-width: 1; }
.grid.zero { stroke: #a9a9b3; }
.curve { fill: none; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.curve.model { stroke: var(--model); }
.curve.annotation { stroke: var(--annotation); stroke-width: 2.5; }
.band { fill: var(--model); fill-opacity: 0.25; stroke: none; }
.peak-mark { stroke: var(--model); stroke-width: 1; stroke-dasharray: 3 3; }
.cursor { stroke: var(--cursor); stroke-width: 2; }
.hover { stroke: #6b6b75; stroke-width: 1; visibility: hidden; }
.plot:hover .hover { visibility: visible; }
.tip { position: absolute; top: -1.6em; transform: translateX(-50%); font-size: 0.75rem; background: var(--ink);
       color: #fff; padding: 0 4px; border-radius: 3px; pointer-events: none; visibility: hidden;
       white-space: nowrap; }
.plot:hover .tip { visibility: visible; }
.drivers-frame { margin-top: 3px; }
.drivers { position: relative; height: 56px; background: var(--panel); border: 1px solid var(--rule);
           border-radius: 4px; cursor: crosshair; }
.drivers svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
.driver { stroke: none; }
.drivers-legend .what { color: var(--muted); }
.driver-name { color: var(--muted); white-space: nowrap; }
.driver-name .swatch.area { width: 10px; height: 10px; margin: 0 3px 0 4px; }
.time-axis { position: relative; height: 1.6em; margin-left: 3em; font-size: 0.75rem; color: var(--muted);
             font-variant-numeric: tabular-nums; }
.time-axis span { position: absolute; transform: translateX(-50%); top: 2px; }
.time-axis span.first { transform: none; }
aside section { margin-bottom: 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px 3px 0; text-align: right; border-bottom: 1px solid var(--rule); }
th:first-child, td:first-child { text-align: left; }
.peaks { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.peaks button { font: inherit; font-size: 0.9rem; font-variant-numeric: tabular-nums; cursor: pointer;
                border: 1px solid var(--rule); background: #fff; border-radius: 14px; padding: 2px 10px; }
.peaks button:hover { border-color: var(--model); }
.peaks button:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.peaks .value { color: var(--muted); }
footer { padding: 16px; font-size: 0.85rem; }
kbd { border: 1px solid var(--rule); border-radius: 3px; padding: 0 4px; font-size: 0.85em; }
.index table { width: 100%; margin-top: 10px; }
.index svg { width: 160px; height: 36px; display: block; }
.index th.spark { text-align: left; }
.index td.spark { padding: 2px 10px 2px 0; }
.index .spark .curve { stroke-width: 1.5; }
td.none { color: var(--muted); }
@media (max-width: 600px) { .plot { height: 110px; } }
"""

#: Inline JavaScript of a movie page: cursor, seeking (click, keys, peak buttons), read-out, errors.
SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var video = document.getElementById("video");
  var plots = Array.prototype.slice.call(document.querySelectorAll(".plot"));
  var cursors = Array.prototype.slice.call(document.querySelectorAll("line.cursor"));
  var readout = document.getElementById("readout");
  var driversReadout = document.getElementById("drivers-readout");
  var bands = Array.prototype.slice.call(document.querySelectorAll(".drivers"));
  var duration = data.duration;
  var frame = null;

  function clamp(t) { return Math.min(Math.max(t, 0), duration); }
  function clock(t) {
    t = Math.max(0, Math.floor(t));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function number(v) {
    return (v === null || v === undefined) ? "\u2013" : (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2);
  }
  function at(rows, second, column) {
    if (!rows || second < 0 || second >= rows.length) { return null; }
    return rows[second][column];
  }
  function describe(t, column) {
    var second = Math.floor(t);
    var text = number(at(data.prediction, second, column));
    var spread = at(data.std, second, column);
    if (spread !== null) { text += " \u00b1 " + Math.abs(spread).toFixed(2); }
    if (data.annotation) { text += " (annotation " + number(at(data.annotation, second, column)) + ")"; }
    return text;
  }
  function drivers(second, column) {
    // the modalities' contributions to this second's output, largest first: "audio +0.21, image -0.03"
    var rows = data.drivers.values[second];
    if (!rows) { return "\u2013"; }
    return data.drivers.modalities.map(function (name, m) { return [name, rows[m][column]]; })
      .filter(function (pair) { return pair[1] !== null; })
      .sort(function (a, b) { return Math.abs(b[1]) - Math.abs(a[1]); })
      .map(function (pair) { return pair[0] + " " + (pair[1] < 0 ? "\u2212" : "+") + Math.abs(pair[1]).toFixed(2); })
      .join(", ");
  }
  function update() {
    var t = video.currentTime || 0;
    var x = String(clamp(t));
    cursors.forEach(function (c) { c.setAttribute("x1", x); c.setAttribute("x2", x); });
    var valence = describe(t, 0), arousal = describe(t, 1);
    readout.textContent = clock(t) + "  \u00b7  valence " + valence + "  \u00b7  arousal " + arousal;
    if (driversReadout) {
      var second = Math.floor(t);
      driversReadout.textContent = "what drives it: valence " + drivers(second, 0) + "  \u00b7  arousal " +
        drivers(second, 1);
    }
    plots.forEach(function (p) {
      p.setAttribute("aria-valuenow", t.toFixed(1));
      p.setAttribute("aria-valuetext", clock(t) + ", " + p.dataset.target + " " +
                     (p.dataset.target === "valence" ? valence : arousal));
    });
  }
  function loop() {
    update();
    frame = (!video.paused && !video.ended) ? window.requestAnimationFrame(loop) : null;
  }
  function seek(t) {
    video.currentTime = clamp(t);
    update();
  }
  function timeAt(plot, clientX) {
    var box = plot.getBoundingClientRect();
    return clamp((clientX - box.left) / box.width * duration);
  }
  function toggle() { if (video.paused) { video.play(); } else { video.pause(); } }

  ["timeupdate", "seeking", "seeked", "loadedmetadata", "pause", "ended"].forEach(function (name) {
    video.addEventListener(name, update);
  });
  video.addEventListener("play", function () { if (frame === null) { frame = window.requestAnimationFrame(loop); } });
  video.addEventListener("error", function () {
    var box = document.getElementById("video-error");
    var code = video.error ? video.error.code : 0;
    box.textContent = "This browser cannot load or play " + data.video + (code ? " (media error " + code + ")" : "") +
      ". Check that the file is still there (the page links it by a relative path), open the page in another " +
      "browser, or write the report again with --proxy: it makes a small WebM copy that every browser plays.";
    box.hidden = false;
  });
  plots.forEach(function (plot) {
    var hover = plot.querySelector("line.hover"), tip = plot.querySelector(".tip");
    plot.addEventListener("click", function (event) { seek(timeAt(plot, event.clientX)); });
    plot.addEventListener("mousemove", function (event) {
      var t = timeAt(plot, event.clientX);
      hover.setAttribute("x1", String(t)); hover.setAttribute("x2", String(t));
      tip.textContent = clock(t);
      tip.style.left = (100 * t / duration) + "%";
    });
    plot.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 10 : 1, t = video.currentTime || 0;
      var moves = { ArrowLeft: t - step, ArrowDown: t - step, ArrowRight: t + step, ArrowUp: t + step,
                    PageDown: t - 10, PageUp: t + 10, Home: 0, End: duration };
      if (event.key in moves) { seek(moves[event.key]); }
      else if (event.key === " " || event.key === "Enter" || event.key === "k") { toggle(); }
      else { return; }
      event.preventDefault();
    });
  });
  bands.forEach(function (band) {
    band.addEventListener("click", function (event) { seek(timeAt(band, event.clientX)); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-seek]"), function (button) {
    button.addEventListener("click", function () { seek(parseFloat(button.dataset.seek)); });
  });
  update();
})();
"""
