// sklearn-emotion annotate: the list of movies, and the page that records a rater's continuous
// valence/arousal rating tied to the video's currentTime. No network beyond the local server, no library.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const STEP = 0.05;          // samples on a grid of video time: 20 per second of video, at any playback rate
  const KEY_STEP = 0.05;      // an arrow key moves the value by this much
  const BATCH_MS = 1000;      // samples are sent at least this often while playing (the issue asks 2 s)
  const RETRY_MS = 1000;

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }
  const percent = (fraction) => (fraction === null || fraction === undefined) ? "not started"
    : `${Math.floor(100 * fraction)} % rated`;
  const clock = (seconds) => {
    if (!Number.isFinite(seconds)) return "-:--";
    const m = Math.floor(seconds / 60), s = seconds - 60 * m;
    return `${m}:${s < 10 ? "0" : ""}${s.toFixed(1)}`;
  };
  const signed = (x) => x === null ? "-" : (x >= 0 ? "+" : "\u2212") + Math.abs(x).toFixed(2);
  const clamp = (x) => Math.max(-1, Math.min(1, Math.round(x * 1000) / 1000));

  // ------------------------------------------------------------------ the list of movies
  function renderIndex(app) {
    const rows = config.movies.map((movie) => el("li", {},
      el("a", {href: movie.url, class: "movie"}, movie.name),
      el("progress", {max: "1", value: String(movie.state.rated || 0)}),
      el("span", {class: "progress-text"}, percent(movie.state.samples ? movie.state.rated : null)),
      el("span", {class: "resume"}, movie.state.samples ? `resumes at ${clock(movie.state.resume)}` : "")));
    app.replaceChildren(
      el("h1", {}, `Movies to rate (${config.rater})`),
      el("p", {class: "help"}, "Open a movie, play it, and rate what you feel while it plays. Take a rest between "
        + "movies. Your ratings are saved as you go: come back any time to continue."),
      el("ol", {id: "movies"}, ...rows));
  }

  // ------------------------------------------------------------------ the rating page
  function renderMovie(app) {
    const movie = config.movies[config.movie];
    const both = config.dimension === "both";
    const video = el("video", {id: "video", src: config.video_url, controls: "", preload: "auto", playsinline: ""});
    const dot = el("div", {id: "dot"});
    const labels = both
      ? [el("span", {class: "label top"}, "arousal +1 (excited)"), el("span", {class: "label bottom"}, "arousal \u22121 (calm)"),
         el("span", {class: "label left"}, "valence \u22121 (unpleasant)"), el("span", {class: "label right"}, "valence +1 (pleasant)")]
      : [el("span", {class: "label top"}, `${config.dimension} +1`), el("span", {class: "label bottom"}, `${config.dimension} \u22121`)];
    const pad = el("div", {id: "pad", class: both ? "pad" : "scale", tabindex: "0", role: "slider",
      "aria-label": both ? "valence and arousal" : config.dimension}, el("div", {class: "cross-h"}),
      both ? el("div", {class: "cross-v"}) : "", ...labels, dot);
    const valueText = el("div", {id: "value"});
    const rated = el("span", {id: "rated"});
    const saved = el("span", {id: "saved"});
    const timeText = el("span", {id: "time"});
    const keys = both ? "\u2190/\u2192 valence, \u2191/\u2193 arousal" : (config.dimension === "valence"
      ? "\u2191/\u2193 (or \u2190/\u2192)" : "\u2191/\u2193");
    app.replaceChildren(
      el("header", {}, config.movies.length > 1 ? el("a", {href: config.index_url, id: "back"}, "\u2190 all movies") : "",
        el("h1", {}, movie.name), el("span", {class: "rater"}, `rater: ${config.rater}`)),
      el("div", {class: "stage"},
        el("div", {class: "player"}, video, el("div", {id: "status"}, timeText, rated, saved)),
        el("div", {class: "rating"}, pad, valueText,
          el("p", {class: "help"}, "Play the video and keep the dot on what you feel, all the time: move the pointer "
            + `over the ${both ? "pad" : "scale"} (or hold the button and drag), or use the arrow keys (${keys}, `
            + `step ${KEY_STEP}); space plays and pauses. Pause when you need to; seek back to rate a part again `
            + "(the newest rating wins). The rating follows the video's time, so any playback speed is fine."))));

    // -------------------------------------------------------------- the current value
    const value = {valence: both || config.dimension === "valence" ? 0 : null,
                   arousal: both || config.dimension === "arousal" ? 0 : null};
    function show() {
      const x = both ? value.valence : 0, y = both ? value.arousal : value[config.dimension];
      dot.style.left = `${(both ? (x + 1) / 2 : 0.5) * 100}%`;
      dot.style.top = `${(1 - y) / 2 * 100}%`;
      valueText.textContent = both ? `valence ${signed(value.valence)} \u00b7 arousal ${signed(value.arousal)}`
        : `${config.dimension} ${signed(value[config.dimension])}`;
    }
    function setFromPointer(event) {
      const box = pad.getBoundingClientRect();  // the inside of the border is [-1, 1]
      const x = clamp((event.clientX - box.left - pad.clientLeft) / pad.clientWidth * 2 - 1);
      const y = clamp(1 - (event.clientY - box.top - pad.clientTop) / pad.clientHeight * 2);
      if (both) { value.valence = x; value.arousal = y; } else { value[config.dimension] = y; }
      show();
    }
    pad.addEventListener("pointermove", setFromPointer);  // over the pad, or dragging (captured)
    pad.addEventListener("pointerdown", (event) => { pad.setPointerCapture(event.pointerId); setFromPointer(event); pad.focus(); });
    pad.addEventListener("pointerup", (event) => pad.releasePointerCapture(event.pointerId));
    window.addEventListener("keydown", (event) => {
      // Capture phase: the arrows rate, even while the video's own controls have the focus (they would seek).
      const moves = {ArrowUp: [0, 1], ArrowDown: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]}[event.key];
      if (moves) {
        event.preventDefault(); event.stopPropagation();
        if (both) {
          value.valence = clamp(value.valence + moves[0] * KEY_STEP);
          value.arousal = clamp(value.arousal + moves[1] * KEY_STEP);
        } else {
          const step = moves[1] || (config.dimension === "valence" ? moves[0] : 0);
          value[config.dimension] = clamp(value[config.dimension] + step * KEY_STEP);
        }
        show();
      } else if (event.key === " " && !(event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement)) {
        event.preventDefault(); event.stopPropagation();
        if (video.paused) video.play(); else video.pause();
      }
    }, true);

    // -------------------------------------------------------------- sampling on video time
    let state = movie.state;
    let lastPass = state.last_pass || 0;
    let pass = null;      // the current pass: {id, seq, lastK (last grid index recorded), lastT}
    let pending = [];     // samples of the current pass not yet in a batch
    const queue = [];     // batches not yet saved, oldest first
    let lastCut = performance.now(), lastSaved = null, failure = null, sending = false;
    const duration = () => Number.isFinite(video.duration) && video.duration > 0 ? video.duration : null;

    function newPass(t) {
      lastPass = Math.max(Date.now(), lastPass + 1);  // larger = newer: the newest pass wins
      // From the grid point at or before t: a pass covers, without a gap, every moment it replays.
      pass = {id: lastPass, seq: 0, lastK: Math.floor(t / STEP + 1e-6) - 1, lastT: t};
    }
    function cut() {  // the pending samples become a batch, sent in order
      lastCut = performance.now();
      if (pass !== null && pending.length) {
        queue.push({pass: pass.id, seq: pass.seq++, duration: duration(), samples: pending});
        pending = [];
      }
      send();
    }
    function endPass() { cut(); pass = null; }
    function advance(now) {  // record the grid points of video time up to `now`, holding the current value
      const gap = 1.0 * Math.max(1, video.playbackRate);
      if (pass === null) newPass(now);
      else if (now < pass.lastT - 0.001 || now - pass.lastT > gap) { endPass(); newPass(now); }  // a jump: a seek
      const last = Math.floor(now / STEP + 1e-6);
      for (let k = pass.lastK + 1; k <= last; k++) {
        pending.push([Math.round(k * STEP * 1000) / 1000, value.valence, value.arousal]);
      }
      pass.lastK = Math.max(pass.lastK, last);
      pass.lastT = now;
      if (performance.now() - lastCut >= BATCH_MS) cut();
    }
    function tick() {
      if (!video.paused && !video.seeking && video.readyState >= 2) advance(video.currentTime);
      requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
    video.addEventListener("play", () => { if (pass === null && !video.seeking) newPass(video.currentTime); });
    video.addEventListener("seeking", endPass);
    video.addEventListener("pause", () => { if (pass !== null && !video.seeking) advance(video.currentTime); endPass(); });
    video.addEventListener("loadedmetadata", () => {
      if (state.resume > 0 && state.resume < video.duration - 0.5) video.currentTime = state.resume;  // resume
      showStatus();
    });
    let unplayable = null;
    video.addEventListener("error", () => {
      unplayable = "this browser cannot play the video: convert it (e.g. to H.264/AAC MP4 or VP9/Opus WebM)";
      showStatus();
    });

    // -------------------------------------------------------------- saving
    let invalid = false;  // the server refuses this page's address (restarted: a new token): retrying is useless
    function send() {
      if (sending || invalid || !queue.length) return;
      sending = true;
      fetch(config.samples_url, {method: "POST", headers: {"Content-Type": "application/json"},
                                 body: JSON.stringify(queue[0])})
        .then((response) => response.text().then((text) => {  // a refusal (403, 404) is plain text, not JSON
          let body;
          try { body = JSON.parse(text); } catch (error) { body = {error: text.trim()}; }
          return [response.status, body || {}];
        }))
        .then(([status, body]) => {
          if (status === 200) { queue.shift(); state = body; lastSaved = performance.now(); failure = null; }
          else if (status === 400) { queue.shift(); failure = `a batch was refused: ${body.error}`; }
          else if (status === 403 || status === 404) {
            invalid = true;
            failure = "this page's address is no longer valid: open the address the command printed "
              + `(the server said: ${body.error || status})`;
          }
          else failure = body.error || `HTTP ${status}`;
        })
        .catch(() => { failure = "the server does not answer (is sklearn-emotion annotate still running?)"; })
        .finally(() => { sending = false; showStatus(); if (queue.length && !invalid) setTimeout(send, failure ? RETRY_MS : 0); });
    }
    function flushNow() {  // the page goes away or is hidden: stop, and send what is left in one beacon
      if (!video.paused) { if (pass !== null) advance(video.currentTime); video.pause(); }
      cut();
      if (queue.length && !invalid) navigator.sendBeacon(config.samples_url, new Blob([JSON.stringify(queue)], {type: "text/plain"}));
    }
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushNow(); });
    window.addEventListener("pagehide", flushNow);
    function showStatus() {
      timeText.textContent = `${clock(video.currentTime)} / ${clock(duration())}`;
      rated.textContent = percent(state.samples ? state.rated : null);
      const unsaved = queue.length;  // batches cut but not yet saved (a slow or absent server)
      if (unplayable) { saved.textContent = unplayable; saved.className = "failure"; }
      else if (failure) { saved.textContent = `NOT SAVED: ${failure}`; saved.className = "failure"; }
      else if (lastSaved === null) { saved.textContent = state.samples ? `resumed at ${clock(state.resume)}` : "nothing rated yet"; saved.className = ""; }
      else {
        saved.textContent = `saved ${((performance.now() - lastSaved) / 1000).toFixed(1)} s ago` + (unsaved > 1 ? `, ${unsaved} batches waiting` : "");
        saved.className = "ok";
      }
    }
    setInterval(() => { if (pending.length && performance.now() - lastCut >= BATCH_MS) cut(); showStatus(); }, 200);
    show();
    showStatus();
    // For scripted raters and tests: what the page holds right now.
    window.annotateStatus = () => ({value: {...value}, pass: pass && pass.id, pending: pending.length,
      queued: queue.length, sending, failure, invalid, state, savedAgo: lastSaved === null ? null : (performance.now() - lastSaved) / 1000});
  }

  const app = document.getElementById("app");
  if (config.movie === null) renderIndex(app); else renderMovie(app);
})();
