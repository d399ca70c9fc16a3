"""`sklearn-emotion report`: offline HTML pages that play a movie over its emotion curves.

The pages are checked as text (self-contained, the video linked relatively, the data inside) and in a
real headless Chromium through selenium: the video becomes playable, the cursor follows
``currentTime``, a click on a curve and a peak button seek the video, the arrow keys seek, playback
moves the cursor, and the screenshot shows the curves.  The browser tests skip, with the reason, only
where no Chromium/chromedriver/selenium is installed (Debian: ``apt-get install chromium
chromium-driver``; ``pip install selenium``).

Set ``SKLEARN_EMOTION_REPORT_SCREENSHOT=docs/images/report.png`` to save the screenshot of the
command's page (the one in docs/report.md).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.report import INDEX_PAGE, MovieReport, find_peaks, make_proxy, write_report
from sklearn_emotion.workflows import predict_movies

sys.path.insert(0, os.path.dirname(__file__))
from report_browser import (  # noqa: E402
    chromium_driver, click_at, geometry, not_blank, open_page, page_data, pixels_near, wait_for_cursor)

SPEC = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two real H.264/AAC movies of 20-24 s with their annotations (make_movie_files)."""
    from sklearn_emotion.datasets import make_movie_files

    return make_movie_files(tmp_path_factory.mktemp("movies"), 2, min_seconds=20, max_seconds=24, random_state=3)


@pytest.fixture(scope="module")
def model_file(corpus, tmp_path_factory):
    """A baseline model (ridge on weight-free features) saved as `fit` saves it, with its feature spec."""
    from sklearn.linear_model import RidgeCV

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.extraction import extract_features
    from sklearn_emotion.persistence import SavedModel, save_model

    features = extract_features(corpus.videos, SPEC)
    targets = [y[: len(next(iter(f.values())))] for f, y in zip(features, corpus.y)]
    estimator = PerSecondRegressor(RidgeCV()).fit(features, targets)
    widths = {name: int(array.shape[1]) for name, array in features[0].items()}
    path = tmp_path_factory.mktemp("model") / "baseline.skops"
    return save_model(path, SavedModel(estimator, widths, SPEC, info={"model": "baseline"}))


@pytest.fixture(scope="module")
def cli_report(corpus, model_file, tmp_path_factory):
    """The folder `sklearn-emotion report MODEL VIDEO VIDEO -o DIR --annotations DIR` writes."""
    output = tmp_path_factory.mktemp("report")
    code = main(["report", os.fspath(model_file), *map(os.fspath, corpus.videos), "-o", os.fspath(output),
                 "--annotations", os.fspath(corpus.folder), "--no-progress", "--peak-distance", "4"])
    assert code == 0
    return output


def _synthetic(corpus, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A prediction near the annotation and a standard deviation with a clear bump at second 12."""
    truth = corpus.y[index]
    predicted = np.clip(truth + 0.1 * np.sin(np.arange(len(truth)))[:, None], -1, 1)
    std = np.full(truth.shape, 0.05)
    std[10:15] = np.array([0.2, 0.25, 0.3, 0.25, 0.2])[:, None]
    return predicted, std


# ------------------------------------------------------------------------------------ the pages as text
def test_a_page_is_self_contained_and_links_the_video_relatively(corpus, tmp_path):
    predicted, _ = _synthetic(corpus)
    pages = write_report(tmp_path / "out", [MovieReport("film", corpus.videos[0], predicted)], model_name="m")
    assert pages == [tmp_path / "out" / "film.html"]  # one movie: no index
    text = pages[0].read_text(encoding="utf-8")
    assert "http:" not in text and "https:" not in text
    assert "//" not in re.sub(r"<script>.*?</script>", "", text, flags=re.DOTALL)  # no protocol-relative URL
    assert not re.search(r"<(link|img|iframe|object|embed)\b", text)
    assert not re.search(r"<script[^>]*\bsrc=", text) and "<style>" in text and "<script>" in text
    src = re.search(r'<video id="video"[^>]*\bsrc="([^"]+)"', text).group(1)
    assert not urlparse(src).scheme and not src.startswith("/")
    assert Path(unquote(urlparse(urljoin(pages[0].as_uri(), src)).path)) == corpus.videos[0].resolve()
    data = page_data(text)
    assert len(data["prediction"]) == len(predicted) and data["annotation"] is None and data["std"] is None
    assert np.allclose(np.array(data["prediction"], dtype=float), predicted, atol=1e-4)
    assert data["duration"] >= len(predicted) and 'class="band"' not in text and "Disagreement" not in text
    assert "#ff7f0e" in text  # the model's colour of every plot (tab:orange)


def test_annotations_scores_and_the_band_of_the_standard_deviation(corpus, tmp_path):
    from sklearn_emotion.metrics import mediaeval_scores

    predicted, std = _synthetic(corpus)
    truth = corpus.y[0]
    movie = MovieReport("film", corpus.videos[0], predicted, annotations=truth, std=std)
    text = write_report(tmp_path, [movie], min_distance=5)[0].read_text(encoding="utf-8")
    data = page_data(text)
    expected = mediaeval_scores([truth], [predicted])
    assert data["scores"] == pytest.approx(expected, abs=1e-6)
    assert f"{expected['Valence MSE']:.4f}" in text and "Scores against the annotation" in text
    assert re.search(r'<path class="band" d="M[^"]+Z"', text) and "#1f77b4" in text  # annotation: tab:blue
    assert 12 in data["std_peaks"] and "Disagreement peaks" in text
    assert f'data-seek="{data["std_peaks"][0]}"' in text
    assert data["std"] is not None and np.allclose(np.array(data["std"]), std)


def test_several_movies_get_an_index_and_links_between_pages(corpus, tmp_path):
    movies = [MovieReport(name, video, _synthetic(corpus, i)[0], annotations=corpus.y[i] if i == 0 else None)
              for i, (name, video) in enumerate(zip(corpus.movies, corpus.videos))]
    pages = write_report(tmp_path, movies, model_name="baseline.skops (baseline)")
    assert [p.name for p in pages] == [f"{corpus.movies[0]}.html", f"{corpus.movies[1]}.html", INDEX_PAGE]
    index = pages[-1].read_text(encoding="utf-8")
    for name in corpus.movies:
        assert f'href="{name}.html"' in index
    assert "no annotation" in index and "baseline.skops (baseline)" in index
    first = pages[0].read_text(encoding="utf-8")
    assert f'href="{INDEX_PAGE}"' in first and f'href="{corpus.movies[1]}.html" rel="next"' in first


def test_names_are_escaped_and_the_data_cannot_close_its_script(corpus, tmp_path):
    name = "a<b>&'\"c"
    predicted, _ = _synthetic(corpus)
    text = write_report(tmp_path, [MovieReport(name, corpus.videos[0], predicted)], model_name="<i>m</i>")[0] \
        .read_text(encoding="utf-8")
    assert "<b>" not in text and "<i>m</i>" not in text and "a&lt;b&gt;&amp;" in text
    json_text = re.search(r'id="report-data">(.*?)</script>', text, re.DOTALL).group(1)
    assert "<" not in json_text and page_data(text)["name"] == name


def test_a_video_path_with_spaces_is_a_quoted_relative_url(corpus, tmp_path):
    folder = tmp_path / "my movies"
    folder.mkdir()
    video = shutil.copy(corpus.videos[0], folder / "the film.mp4")
    page = write_report(tmp_path / "out", [MovieReport("film", video, _synthetic(corpus)[0])])[0]
    assert 'src="../my%20movies/the%20film.mp4"' in page.read_text(encoding="utf-8")


def test_wrong_inputs_are_one_clear_error(corpus, tmp_path):
    predicted, std = _synthetic(corpus)
    with pytest.raises(ValueError, match=r"shape \(T, 2\)"):
        MovieReport("film", corpus.videos[0], predicted[:, 0])
    with pytest.raises(ValueError, match="std has shape"):
        MovieReport("film", corpus.videos[0], predicted, std=std[:-1])
    with pytest.raises(ValueError, match="cannot name a page"):
        MovieReport("../film", corpus.videos[0], predicted)
    movie = MovieReport("film", corpus.videos[0], predicted)
    with pytest.raises(ValueError, match="same name"):
        write_report(tmp_path, [movie, movie])
    with pytest.raises(FileNotFoundError, match="video file not found"):
        write_report(tmp_path, [MovieReport("film", tmp_path / "missing.mp4", predicted)])
    with pytest.raises(ValueError, match="at least one movie"):
        write_report(tmp_path, [])


def test_peaks_are_the_highest_local_maxima_apart():
    t = np.arange(120, dtype=float)
    curve = sum(h * np.exp(-0.5 * ((t - c) / 2) ** 2) for c, h in ((20, 0.5), (28, 0.6), (60, 0.9), (100, 0.7)))
    assert find_peaks(curve, 3, min_distance=10).tolist() == [28, 60, 100]  # 20 is too close to the higher 28
    assert find_peaks(curve, 2, min_distance=10).tolist() == [60, 100]
    assert find_peaks(curve, 5, min_distance=3).tolist() == [20, 28, 60, 100]
    curve[55:65] = np.nan  # a gap: no peak inside it
    assert 60 not in find_peaks(curve, 5, min_distance=3, smoothing=1).tolist()
    assert find_peaks(np.full(10, np.nan)).size == 0 and find_peaks(curve, 0).size == 0


def test_the_proxy_is_a_small_webm_with_the_movie_timing(corpus, tmp_path):
    from sklearn_emotion.media.decoding import probe

    proxy = make_proxy(corpus.videos[0], tmp_path / "film.webm", max_height=64)
    original, copy = probe(corpus.videos[0]), probe(proxy)
    assert copy.has_video and copy.has_audio and copy.height == 64 and copy.width % 2 == 0
    assert abs(copy.video_duration - original.video_duration) < 0.3
    import av

    with av.open(os.fspath(proxy)) as container:
        assert [s.codec_context.name for s in container.streams] == ["vp9", "opus"]
    page = write_report(tmp_path / "out", [MovieReport("film", corpus.videos[0], _synthetic(corpus)[0])],
                        proxy=True)[0]
    assert 'src="media/film.webm"' in page.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "media" / "film.webm").is_file()


def test_predict_movies_asks_for_the_std_only_when_the_model_predicts_it():
    class Plain:
        def predict(self, movies):
            return [np.zeros((3, 2))]

    class WithStd(Plain):
        predict_std = True  # fitted to predict the viewers' standard deviation

        def predict(self, movies, return_std=False):
            if return_std and not self.predict_std:
                raise ValueError("fitted with predict_std=False")
            return ([np.zeros((3, 2))], [np.ones((3, 2))]) if return_std else super().predict(movies)

    class MeanOnly(WithStd):  # takes return_std, but was fitted without the standard deviation
        predict_std = False

    (mean,), std = predict_movies(Plain(), [{}])
    assert mean.shape == (3, 2) and std is None
    (mean,), (std,) = predict_movies(WithStd(), [{}])
    assert mean.shape == (3, 2) and np.all(std == 1)
    (mean,), std = predict_movies(MeanOnly(), [{}])
    assert mean.shape == (3, 2) and std is None


def test_predict_movies_names_the_movie_of_a_non_finite_prediction():
    class Broken:
        def predict(self, movies):
            return [np.zeros((3, 2)), np.array([[0.0, 0.0], [np.nan, 0.0], [0.0, np.inf]])]

    with pytest.raises(ValueError, match=r"movie film: .* NaN or infinity as valence/arousal at 2 of 3 .*second 1"):
        predict_movies(Broken(), [{}, {}], names=["good", "film"])


# ------------------------------------------------------------------------------------ the command
def test_report_help_documents_the_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("usage: sklearn-emotion report", "MODEL", "VIDEO", "--annotations", "--proxy", "index.html",
                 "no network", "cursor", "seeks", "peaks", "WebM", "--trust-model"):
        assert word in text, word


def test_the_command_writes_a_page_per_movie_and_an_index(cli_report, corpus):
    for index, name in enumerate(corpus.movies):
        text = (cli_report / f"{name}.html").read_text(encoding="utf-8")
        data = page_data(text)
        assert data["annotation"] is not None and data["scores"] is not None and data["std"] is None
        assert len(data["prediction"]) == len(corpus.y[index]) and "baseline.skops (baseline)" in text
    assert (cli_report / INDEX_PAGE).is_file()


def test_command_errors_are_one_line(corpus, model_file, tmp_path, capsys):
    code = main(["report", os.fspath(model_file), os.fspath(corpus.videos[0]), "-o", os.fspath(tmp_path),
                 "--annotations", os.fspath(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "annotation folder not found" in err
    twin = tmp_path / "other" / corpus.videos[0].name
    twin.parent.mkdir()
    shutil.copy(corpus.videos[0], twin)
    code = main(["report", os.fspath(model_file), os.fspath(corpus.videos[0]), os.fspath(twin), "-o",
                 os.fspath(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "movie_00" in err and not (tmp_path / "out").exists()
    code = main(["report", os.fspath(tmp_path / "missing.skops"), os.fspath(corpus.videos[0]), "-o",
                 os.fspath(tmp_path / "out")])
    assert code == 1 and capsys.readouterr().err.startswith("sklearn-emotion report: error:")


# ------------------------------------------------------------------------------------ in a real browser
@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium driven by selenium (skips saying what to install when there is none)."""
    driver = chromium_driver()
    yield driver
    driver.quit()


@pytest.mark.browser
def test_the_report_plays_and_seeks_in_chromium(chromium, cli_report, corpus):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = chromium
    open_page(driver, cli_report / f"{corpus.movies[0]}.html")
    duration = geometry(driver, "valence")["duration"]
    assert abs(driver.execute_script("return document.getElementById('video').duration") - duration) < 1.0
    # setting currentTime moves the cursor of both plots to that time
    for seconds in (0.6 * duration, 0.2 * duration):
        driver.execute_script("document.getElementById('video').currentTime = arguments[0];", seconds)
        wait_for_cursor(driver, seconds)
    # a click on a curve seeks the video to the time under the pointer
    for target, fraction in (("arousal", 0.75), ("valence", 0.3)):
        expected = click_at(driver, target, fraction)
        assert abs(geometry(driver, target)["time"] - expected) < 0.3, (target, fraction)
        wait_for_cursor(driver, geometry(driver, target)["time"])
    # a focused curve is a slider: the arrow keys seek by a second
    before = geometry(driver, "valence")["time"]
    driver.find_element(By.ID, "plot-valence").send_keys(Keys.ARROW_RIGHT)
    assert abs(geometry(driver, "valence")["time"] - (before + 1)) < 0.05
    # a peak button seeks to its second
    button = driver.find_element(By.CSS_SELECTOR, "button[data-seek]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    assert geometry(driver, "arousal")["time"] == pytest.approx(float(button.get_attribute("data-seek")), abs=0.05)
    # playback advances the video and the cursor follows it
    start = geometry(driver, "valence")["time"]
    assert driver.execute_script("return document.getElementById('video').play().then(() => true, e => String(e));")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: geometry(d, "valence")["time"] > start + 0.5, "the video did not play")
    driver.execute_script("document.getElementById('video').pause();")
    wait_for_cursor(driver, geometry(driver, "valence")["time"])
    # the screenshot shows the video and the curves (prediction orange, annotation blue)
    driver.execute_script("window.scrollTo(0, 0); var v = document.getElementById('video');"
                          "v.currentTime = arguments[0];", 0.45 * duration)
    wait_for_cursor(driver, 0.45 * duration)
    png = driver.get_screenshot_as_png()
    image = not_blank(png)
    assert pixels_near(image, "#ff7f0e") > 300 and pixels_near(image, "#1f77b4") > 300
    box = driver.execute_script("var r = document.getElementById('video').getBoundingClientRect();"
                                "return [r.left, r.top, r.right, r.bottom];")
    left, top, right, bottom = (int(v) for v in box)
    assert image[top:bottom, left:right].std() > 5, "the video shows no picture"
    if os.environ.get("SKLEARN_EMOTION_REPORT_SCREENSHOT"):
        Path(os.environ["SKLEARN_EMOTION_REPORT_SCREENSHOT"]).write_bytes(png)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


@pytest.mark.browser
def test_a_proxy_page_with_a_band_plays_in_chromium(chromium, corpus, tmp_path):
    predicted, std = _synthetic(corpus, 1)
    movie = MovieReport("proxy", corpus.videos[1], predicted, annotations=corpus.y[1], std=std)
    page = write_report(tmp_path, [movie], proxy=True, proxy_height=120)[0]
    open_page(chromium, page)
    assert chromium.execute_script("return document.getElementById('video').currentSrc").endswith("media/proxy.webm")
    band = chromium.execute_script("return document.querySelector('#plot-arousal path.band')"
                                   ".getBoundingClientRect().width")
    assert band > 100
    expected = click_at(chromium, "valence", 0.5)
    assert abs(geometry(chromium, "valence")["time"] - expected) < 0.3
    not_blank(chromium.get_screenshot_as_png())


@pytest.mark.browser
def test_a_video_that_cannot_be_loaded_says_what_to_do(chromium, corpus, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    video = Path(shutil.copy(corpus.videos[0], tmp_path / "moved.mp4"))
    page = write_report(tmp_path / "out", [MovieReport("film", video, _synthetic(corpus)[0])])[0]
    video.unlink()  # the movie moved after the report was written
    chromium.get(page.as_uri())
    message = WebDriverWait(chromium, 20).until(lambda d: d.execute_script(
        "var box = document.getElementById('video-error'); return box.hidden ? null : box.textContent;"))
    assert "moved.mp4" in message and "--proxy" in message


def test_two_videos_of_one_name_are_refused_before_the_model_is_read(tmp_path):
    from sklearn_emotion.workflows.report import report_to_folder

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "film.mp4").write_bytes(b"not decoded: refused before")
    with pytest.raises(ValueError, match=r"share the movie name\(s\) \['film'\]"):
        report_to_folder(tmp_path / "no-model.skops", [tmp_path / "a", tmp_path / "b"], tmp_path / "out")
    assert not (tmp_path / "out").exists()
