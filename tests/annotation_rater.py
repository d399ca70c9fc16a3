"""A scripted rater for ``sklearn-emotion annotate``, driving the real page in headless Chromium (selenium).

Used by the annotation tests (tests/test_annotate_browser.py, tests/test_annotation_loop.py)::

    from annotation_rater import chromium_driver, rate_movie, start_annotate, stop_annotate

    process, url = start_annotate([video], ratings_dir, "alice")        # the CLI, as a subprocess
    driver = chromium_driver()                                          # skips the test without Chromium
    try:
        result = rate_movie(driver, url, "demo_00", lambda t: (np.sin(t / 5), 0.5), playback_rate=4)
    finally:
        driver.quit()
        stop_annotate(process)                                          # Ctrl-C: exit status 130

* :func:`start_annotate` runs ``python -m sklearn_emotion annotate VIDEOS -o OUTPUT --rater RATER
  --no-browser`` and returns ``(process, url)`` once the command prints its URL (the list page, token
  included); :func:`stop_annotate` sends SIGINT and returns the exit status.
* :func:`chromium_driver` (from tests/report_browser.py) is a headless Chromium allowed to autoplay.
* :func:`rate_movie` opens the movie's page, sets ``playbackRate``, plays, and while the video plays
  moves the pointer over the pad (or the vertical scale with ``--dimension valence|arousal``) to
  ``path(t)``, ``t`` the video's ``currentTime`` read just before each move (a move takes a selenium
  round trip, some 10-50 ms of wall time, so the value held lags ``path`` by that times the playback
  rate).  It stops at ``stop`` seconds of video time or at the end, pauses (unless ``pause=False``),
  then waits until the page has saved everything (unless ``wait=False``; never when not paused,
  since a playing page always has samples to send), and returns a dict:
  ``start`` (the video time it started at: the resume point), ``end`` (the last ``currentTime``
  read), ``moves`` (pointer moves made), ``status`` (the page's ``window.annotateStatus()``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from report_browser import chromium_driver  # noqa: F401 - re-exported: a rater needs a browser

ROOT = Path(__file__).resolve().parents[1]


def start_annotate(videos: Sequence[str | os.PathLike], output: str | os.PathLike, rater: str, *,
                   args: Sequence[str] = (), timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Run ``sklearn-emotion annotate`` in a subprocess; ``(process, url)`` once it has printed the URL."""
    command = [sys.executable, "-m", "sklearn_emotion", "annotate", *map(os.fspath, videos), "-o", os.fspath(output),
               "--rater", rater, "--no-browser", *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:  # keeps reading (the summary at exit) so the pipe never fills
        for line in process.stdout:
            lines.append(line)
            if line.startswith("http://"):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout):
        process.kill()
        raise AssertionError(f"annotate printed no URL in {timeout} s: {''.join(lines)} {process.stderr.read()}")
    process.output_lines = lines  # what it printed so far (and later)
    return process, next(line.strip() for line in lines if line.startswith("http://"))


def stop_annotate(process: subprocess.Popen, timeout: float = 30.0) -> int:
    """Ctrl-C the command (SIGINT) and wait for it: its exit status (130 after a clean stop)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def api(url: str, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    """``(status, body)`` of ``path`` on the server of ``url`` (its token added), a POST when ``data``."""
    parts = urlsplit(url)
    request = urllib.request.Request(urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")), data=data,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def movie_url(url: str, movie: str) -> str:
    """The rating page of ``movie`` (by name) on the server of ``url``."""
    status, body = api(url, "/api/movies")
    names = [state["movie"] for state in json.loads(body)]
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/movie/{names.index(movie)}", parts.query, ""))


def open_movie(driver, url: str, movie: str, timeout: float = 30.0) -> dict:
    """Open ``movie``'s page and wait until its video can play and any resume seek is done; its status."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(movie_url(url, movie))
    ready = WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "var v = document.getElementById('video'); if (v.error) return {error: v.error.code};"
        "if (v.readyState < 2 || v.seeking || !window.annotateStatus) return null;"
        "var s = window.annotateStatus(); if (s.state.samples && s.state.resume > 0 &&"
        "    s.state.resume < v.duration - 0.5 && Math.abs(v.currentTime - s.state.resume) > 0.01) return null;"
        "return {time: v.currentTime, duration: v.duration, state: s.state};"))
    assert "error" not in ready, f"the video did not load: MediaError code {ready['error']}"
    return ready


def pad_geometry(driver) -> dict:
    return driver.execute_script("var p = document.getElementById('pad');"  # the inside of its border
                                 "return {width: p.clientWidth, height: p.clientHeight};")


def point_at(driver, valence: float, arousal: float, geometry: dict | None = None,
             dimension: str = "both") -> None:
    """Move the pointer over the pad (or scale) to the point of ``(valence, arousal)``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    geometry = geometry or pad_geometry(driver)
    if dimension == "both":
        x, y = valence, arousal
    else:
        x, y = 0.0, valence if dimension == "valence" else arousal
    # Offsets from the centre of the element (selenium 4), kept 2 pixels inside the edges.
    half_width, half_height = geometry["width"] / 2, geometry["height"] / 2
    dx = round(max(-half_width + 2, min(half_width - 2, x * half_width)))
    dy = round(max(-half_height + 2, min(half_height - 2, -y * half_height)))
    ActionChains(driver, duration=0).move_to_element_with_offset(driver.find_element(By.ID, "pad"), dx, dy).perform()


def wait_saved(driver, timeout: float = 30.0) -> dict:
    """Wait until the page has nothing left to send; its status."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "var s = window.annotateStatus(); return (!s.pending && !s.queued && !s.sending) ? s : null;"),
        "the page did not save its samples")


def rate_movie(driver, url: str, movie: str, path: Callable[[float], tuple[float, float]], *,
               playback_rate: float = 1.0, stop: float | None = None, pause: bool = True,
               wait: bool = True, timeout: float | None = None) -> dict:
    """Play ``movie`` on its page and follow ``path(t) -> (valence, arousal)`` with the pointer (see above)."""
    opened = open_movie(driver, url, movie)
    dimension = driver.execute_script("return JSON.parse(document.getElementById('config').textContent).dimension")
    geometry = pad_geometry(driver)
    point_at(driver, *path(opened["time"]), geometry, dimension)
    driver.execute_script("var v = document.getElementById('video'); v.playbackRate = arguments[0];", playback_rate)
    played = driver.execute_script("return document.getElementById('video').play().then(() => true, e => String(e));")
    assert played is True, f"the video did not play: {played}"
    limit = time.monotonic() + (timeout or 60 + 2 * opened["duration"] / playback_rate)
    moves, now = 0, opened["time"]
    while time.monotonic() < limit:
        now, ended = driver.execute_script("var v = document.getElementById('video'); return [v.currentTime, v.ended];")
        if ended or (stop is not None and now >= stop):
            break
        point_at(driver, *path(now), geometry, dimension)
        moves += 1
    else:
        raise AssertionError(f"{movie} did not reach {stop or 'its end'} in time (at {now:.1f} s)")
    if pause:
        now = driver.execute_script("var v = document.getElementById('video'); v.pause(); return v.currentTime;")
    # While the video plays, samples keep coming: only a paused page ever has nothing left to send.
    status = wait_saved(driver) if pause and wait else driver.execute_script("return window.annotateStatus();")
    return {"start": opened["time"], "end": now, "moves": moves, "status": status}
