"""`sklearn-emotion annotate` in a real headless Chromium (selenium): the rater's side of issue 21.

A scripted rater (tests/annotation_rater.py) plays a real H.264/AAC movie at ``playbackRate`` > 1 and
moves the pointer over the page's pad along a known path, then uses the arrow keys and seeks back to
re-rate a span; the files on disk must follow what was done, at 20 samples per second of video time.
The server is killed with SIGKILL while the movie plays: the trace on disk must reach within 2 s of the
time played, and a restart must resume there.  These tests skip, saying what to install, where no
Chromium/chromedriver/selenium is found.

Set ``SKLEARN_EMOTION_ANNOTATE_SCREENSHOT=docs/images/annotate_page.png`` to save the screenshot of the
page while rating (the one in docs/annotate.md).
"""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from annotation_rater import (chromium_driver, open_movie, point_at, rate_movie, start_annotate, stop_annotate,
                              wait_saved)

from sklearn_emotion.annotation import read_trace, trace_to_seconds
from sklearn_emotion.annotation.server import AnnotationServer
from sklearn_emotion.files import read_curves

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def movies(tmp_path_factory):
    """Two real H.264/AAC movies of 16-18 s (make_movie_files)."""
    from sklearn_emotion.datasets import make_movie_files

    return make_movie_files(tmp_path_factory.mktemp("movies"), 2, min_seconds=16, max_seconds=18, random_state=5)


@pytest.fixture(scope="module")
def chromium():
    driver = chromium_driver()
    yield driver
    driver.quit()


def _path(t: float) -> tuple[float, float]:
    """The rater's known path: valence and arousal sweep the pad slowly (period ~19 s)."""
    return 0.8 * math.sin(t / 3), 0.7 * math.cos(t / 3)


def _lagged_error(trace: np.ndarray, path, max_lag: float = 0.5) -> np.ndarray:
    """Each sample's distance to the path at the best delay in [0, max_lag] s of video time (the
    pointer is set to path(t) for the t read just before the move, then held while the video plays on)."""
    errors = []
    for lag in np.arange(0, max_lag + 1e-9, 0.05):
        expected = np.array([path(max(t - lag, 0)) for t in trace[:, 0]])
        errors.append(np.abs(trace[:, 1:] - expected).max(axis=1))
    return np.min(errors, axis=0)


def _play_until(driver, seconds: float) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("document.getElementById('video').play();")
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return document.getElementById('video').currentTime") >= seconds)
    return driver.execute_script("var v = document.getElementById('video'); v.pause(); return v.currentTime;")


def test_the_page_loads_with_the_token_and_is_refused_without(chromium, movies, tmp_path):
    from selenium.webdriver.common.by import By

    with AnnotationServer(movies.videos, tmp_path / "alice", rater="alice").start() as server:
        chromium.get(server.url.split("?")[0])
        assert "403" in chromium.find_element(By.TAG_NAME, "body").text
        chromium.get(server.url.replace(server.token, server.token[:-2]))
        assert "403" in chromium.find_element(By.TAG_NAME, "body").text
        chromium.get(server.url)
        from selenium.webdriver.support.ui import WebDriverWait

        # the page's script draws the list once it has fetched the movies
        links = WebDriverWait(chromium, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#movies a.movie"))
        assert [link.text for link in links] == movies.movies
        assert chromium.find_element(By.CSS_SELECTOR, "#movies .progress-text").text == "not started"
        links[1].click()
        opened = open_movie(chromium, server.url, movies.movies[1])
        assert opened["time"] == 0 and abs(opened["duration"] - 17) < 2
        assert chromium.find_element(By.ID, "back").get_attribute("href") == server.url
        chromium.get(server.address("/video/5"))
        assert "404" in chromium.find_element(By.TAG_NAME, "body").text
        # from the page's own origin, with the token: no path outside the videos and the page's two files
        chromium.get(server.url)
        outside = ["/video/../../etc/passwd", "/video/%2e%2e/%2e%2e/etc/passwd", "/video/..%2f..%2fetc%2fpasswd",
                   "/video/0/../../store.py", "/static/annotate.html", "/static/store.py", "/static/%2e%2e/store.py",
                   "/static/..%2fstore.py", "/video/alpha.mp4", "/video/2"]
        answers = chromium.execute_script(
            "return Promise.all(arguments[0].map(path => fetch(path + '?token=' + arguments[1])"
            "  .then(r => r.text().then(body => [path, r.status, body.length]))))", outside, server.token)
        assert [path for path, *_ in answers] == outside
        assert all(status == 404 and size < 100 for _, status, size in answers), answers
        severe = [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"
                  and "403" not in entry["message"] and "404" not in entry["message"]]
        assert not severe, severe


def test_a_scripted_rater_is_recorded_on_video_time(chromium, movies, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    movie = movies.movies[0]
    with AnnotationServer(movies.videos, tmp_path / "alice", rater="alice").start() as server:
        rating = server.ratings[movie]
        played = rate_movie(chromium, server.url, movie, _path, playback_rate=2.0, stop=10.0)
        trace = read_trace(rating.trace_file)
        assert played["moves"] > 50 and played["end"] >= 10
        # 20 samples per second of video time (the issue asks >= 10), on the 0.05 s grid, over all that was played
        times = trace[:, 0]
        assert times[0] <= 0.05 and times[-1] >= played["end"] - 0.05
        assert np.diff(times).max() <= 0.05 + 1e-6 and np.allclose(times / 0.05, np.round(times / 0.05))
        assert np.bincount(np.floor(times).astype(int))[:10].min() >= 19
        # the values follow the pointer's path
        error = _lagged_error(trace, _path)
        assert np.mean(error) < 0.03 and np.quantile(error, 0.95) < 0.08, (np.mean(error), np.quantile(error, 0.95))
        if os.environ.get("SKLEARN_EMOTION_ANNOTATE_SCREENSHOT"):
            _screenshot(chromium, Path(os.environ["SKLEARN_EMOTION_ANNOTATE_SCREENSHOT"]))

        # the arrow keys: +4 steps of valence, -2 of arousal, then 2 s played without touching the pointer
        held = np.array(chromium.execute_script("var s = window.annotateStatus().value; return [s.valence, s.arousal];"))
        pad = chromium.find_element(By.ID, "pad")
        pad.send_keys(Keys.ARROW_RIGHT * 4 + Keys.ARROW_DOWN * 2)
        expected = held + [0.2, -0.1]
        assert "valence" in chromium.find_element(By.ID, "value").text
        start = chromium.execute_script("return document.getElementById('video').currentTime")
        end = _play_until(chromium, start + 2)
        wait_saved(chromium)
        trace = read_trace(rating.trace_file)
        keyed = trace[(trace[:, 0] > start + 0.1) & (trace[:, 0] <= end)]
        assert len(keyed) >= 35
        np.testing.assert_allclose(keyed[:, 1:], np.tile(expected, (len(keyed), 1)), atol=1e-6)

        # seeking back re-rates what is played again: the newest pass wins over [3, 5]
        chromium.execute_script("document.getElementById('video').currentTime = 3;")
        point_at(chromium, 0.9, -0.9)
        again = _play_until(chromium, 5.0)
        wait_saved(chromium)
        final = read_trace(rating.trace_file)
        span = (final[:, 0] >= 3) & (final[:, 0] <= again)
        assert (np.diff(final[:, 0]) > 0).all()  # one sample per moment: the old pass is gone there
        np.testing.assert_allclose(final[span, 1:], np.tile([0.9, -0.9], (span.sum(), 1)), atol=0.01)
        before = final[final[:, 0] < 2.9]
        assert np.quantile(_lagged_error(before, _path), 0.95) < 0.08  # the first pass kept elsewhere
        # the 1-Hz file is the trace's per-second mean, NaN after the last rated second
        duration = chromium.execute_script("return document.getElementById('video').duration")
        seconds = read_curves(rating.curve_file)
        assert len(seconds) == math.floor(duration)  # whole seconds, as extract counts them
        np.testing.assert_allclose(seconds, trace_to_seconds(final, duration=duration), atol=1e-6)
        assert np.isnan(seconds[math.ceil(end) + 1 :]).all()
        assert not [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"]


def test_one_dimension_on_a_vertical_scale(chromium, movies, tmp_path):
    movie = movies.movies[1]
    with AnnotationServer(movies.videos, tmp_path / "bob", rater="bob", dimension="arousal").start() as server:
        played = rate_movie(chromium, server.url, movie, _path, playback_rate=3.0, stop=6.0)
        trace = read_trace(server.ratings[movie].trace_file)
    assert np.isnan(trace[:, 1]).all() and not np.isnan(trace[:, 2]).any() and trace[-1, 0] >= played["end"] - 0.05
    error = _lagged_error(trace[:, [0, 2, 2]], lambda t: (_path(t)[1],) * 2)  # arousal alone, twice
    assert np.mean(error) < 0.03 and np.quantile(error, 0.95) < 0.08


def test_leaving_the_page_sends_what_was_not_sent_yet(chromium, movies, tmp_path):
    import time

    movie = movies.movies[1]
    with AnnotationServer(movies.videos, tmp_path / "dan", rater="dan").start() as server:
        rate_movie(chromium, server.url, movie, _path, playback_rate=2.0, stop=5.0, pause=False, wait=False)
        played = chromium.execute_script("return document.getElementById('video').currentTime")
        chromium.get(server.url)  # pagehide while playing: the page sends what it recorded since its last batch
        deadline, last = time.monotonic() + 10, 0.0
        while time.monotonic() < deadline and last < played - 0.05:
            time.sleep(0.1)
            trace = server.ratings[movie].trace
            last = trace[-1, 0] if len(trace) else 0.0
        assert last >= played - 0.05, (last, played)  # the periodic batches alone would be up to 1 s behind
        # the list of movies shows the progress saved
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        chromium.get(server.url)

        def progress_texts(driver):  # the list is filled by the page's script once it has fetched the movies
            texts = [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#movies .progress-text")]
            return texts if len(texts) == 2 and all(texts) else False

        progress = WebDriverWait(chromium, 20).until(progress_texts, "the list of movies was never shown")
        rated = server.ratings[movie].state()["rated"]
        assert progress == ["not started", f"{math.floor(100 * rated)} % rated"] and 0.2 < rated < 0.5, progress


def test_the_page_says_when_it_cannot_play_or_save(chromium, movies, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def status(driver):
        return driver.find_element(By.ID, "saved").text

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with AnnotationServer([broken], tmp_path / "eve", rater="eve").start() as server:
        chromium.get(server.movie_url(0))
        WebDriverWait(chromium, 20).until(lambda d: "cannot play the video" in status(d), "no message")
    server = AnnotationServer(movies.videos, tmp_path / "eve", rater="eve").start()
    try:
        rate_movie(chromium, server.url, movies.movies[0], _path, playback_rate=2.0, stop=2.0, pause=False)
        WebDriverWait(chromium, 10).until(lambda d: status(d).startswith("saved "), "nothing saved")
    finally:
        server.close()  # the server goes away while the movie plays on
    # "the annotate server is stopping" (503) on a connection kept open, then "the server does not answer"
    WebDriverWait(chromium, 10).until(lambda d: status(d).startswith("NOT SAVED: the "),
                                      "the page did not say that nothing is saved")
    chromium.execute_script("document.getElementById('video').pause();")


def test_a_page_whose_address_is_no_longer_valid_says_so_and_stops(chromium, movies, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = AnnotationServer(movies.videos, tmp_path / "dan", rater="dan").start()
    try:
        rate_movie(chromium, server.url, movies.movies[0], _path, playback_rate=2.0, stop=2.0, pause=False)
    finally:
        server.close()
    # the command run again on the same port: a new token, which this page does not carry
    with AnnotationServer(movies.videos, tmp_path / "dan", rater="dan", port=server.port).start():
        WebDriverWait(chromium, 15).until(
            lambda d: "address is no longer valid" in d.find_element(By.ID, "saved").text, "no message")
        status = chromium.execute_script("document.getElementById('video').pause(); return window.annotateStatus();")
        assert status["invalid"] and "open the address the command printed" in status["failure"]
        assert "403" in status["failure"]  # the server's own words, read as text
        chromium.execute_script("return new Promise(r => setTimeout(r, 2500))")
        assert not chromium.execute_script("return window.annotateStatus().sending")  # no more retries


@pytest.mark.subprocess
def test_a_killed_server_loses_at_most_2_s_and_a_restart_resumes_there(chromium, movies, tmp_path):
    from selenium.webdriver.common.by import By

    movie, video = movies.movies[0], movies.videos[0]
    process, url = start_annotate([video], tmp_path, "carol")
    try:
        rate_movie(chromium, url, movie, _path, playback_rate=1.0, stop=7.0, pause=False, wait=False)
        played = chromium.execute_script("return document.getElementById('video').currentTime")
        os.kill(process.pid, signal.SIGKILL)  # mid-movie, the video still playing
        assert process.wait(10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    trace = read_trace(tmp_path / "carol" / f"{movie}.trace.csv")
    assert played - 2 <= trace[-1, 0] <= played + 0.5, (played, trace[-1, 0])
    assert np.diff(trace[:, 0]).max() <= 0.05 + 1e-6
    # the restart resumes at the last rated second, and keeps what was saved
    process, url = start_annotate([video], tmp_path, "carol")
    try:
        opened = open_movie(chromium, url, movie)
        assert opened["time"] == math.floor(trace[-1, 0]) == opened["state"]["resume"]
        assert "resumed at" in chromium.find_element(By.ID, "saved").text
        np.testing.assert_allclose(read_trace(tmp_path / "carol" / f"{movie}.trace.csv"), trace)
    finally:
        assert stop_annotate(process) == 130
    assert any(f"{movie}: " in line for line in process.output_lines)


def _screenshot(driver, path: Path) -> None:
    """The page while rating: playing, the dot moved, "saved ... ago" shown (for docs/annotate.md)."""
    driver.execute_script("var v = document.getElementById('video'); v.playbackRate = 1; v.play();")
    point_at(driver, 0.55, 0.35)
    driver.execute_script("return new Promise(r => setTimeout(r, 1500))")
    path.write_bytes(driver.get_screenshot_as_png())
    driver.execute_script("document.getElementById('video').pause();")
    wait_saved(driver)
