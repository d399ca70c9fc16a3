"""`predict --explain` and `report --explain` (issue 22): what each modality contributes, in files and pages.

The contributions are :func:`sklearn_emotion.inspection.modality_contributions`' (tested on their own in
test_inspection.py); here, what the commands make of them: the table ``<movie>_contributions.csv``
(columns, read back, and each row's contributions summing to the prediction minus the all-absent
prediction), its PNG (the modalities' colours drawn), the report's "what drives this moment" band (in
the page's data and drawn in headless Chromium: pixels of each modality's colour under the curves, a
cursor following the video, a click seeking it) and the modality named at each arousal peak.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_curves, save_features
from sklearn_emotion.plotting import MODALITY_COLOURS, ROLE_COLOURS, modality_colours, stacked_areas
from sklearn_emotion.report import MovieReport, write_report
from sklearn_emotion.files import contribution_columns, read_contributions, write_contributions
from sklearn_emotion.workflows.predict import CONTRIBUTIONS_FOLDER

sys.path.insert(0, os.path.dirname(__file__))
from report_browser import (  # noqa: E402
    chromium_driver, click_at, geometry, not_blank, open_page, page_data, pixels_near, wait_for_cursor)

WIDTHS = {"image": 3, "audio": 2, "face": 4}
#: Weight-free features (no pretrained file needed) and their widths, for the tests on videos.
SPEC = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}


def _movie(seed: int, seconds: int = 15, widths=WIDTHS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=(seconds, width)).astype(np.float32) for name, width in widths.items()}


def _model(path: Path, widths=WIDTHS, spec=None, seed: int = 0) -> Path:
    """A per-second ridge model trained on random movies, saved as `fit` saves one."""
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.persistence import SavedModel, save_model

    movies = [_movie(seed + k, widths=widths) for k in range(3)]
    rng = np.random.default_rng(seed + 50)
    targets = [np.tanh(0.5 * movie["image"][:, :2] + 0.1 * rng.normal(size=(15, 2))) for movie in movies]
    estimator = PerSecondRegressor(Ridge(alpha=0.1)).fit(movies, targets)
    return save_model(path, SavedModel(estimator, widths, spec, info={"model": "baseline"}))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([os.fspath(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check_table(folder: Path, name: str, modalities) -> tuple[np.ndarray, np.ndarray]:
    """The movie's contributions read back, once they are known to add up to its prediction file."""
    table = folder / CONTRIBUTIONS_FOLDER / f"{name}_contributions.csv"
    header = table.read_text().splitlines()[0].split(",")
    assert header == ["Time"] + [f"{m}_{o}" for m in modalities for o in ("Valence", "Arousal")] + [
        "baseline_Valence", "baseline_Arousal"]
    values, names, absent = read_contributions(table)
    predicted = read_curves(folder / f"{name}.csv")
    assert names == list(modalities) and values.shape == (len(predicted), len(modalities), 2)
    # efficiency, from the files (six decimals each): contributions + all-absent prediction = prediction
    np.testing.assert_allclose(values.sum(axis=1) + absent, predicted, atol=1e-5)
    assert np.abs(values).max() > 1e-3  # the modalities do contribute
    return values, predicted


# ------------------------------------------------------------------------------------ the table and its plot
def test_the_contributions_table_round_trips_and_refuses_what_it_cannot_hold(tmp_path):
    rng = np.random.default_rng(0)
    values, absent = rng.normal(size=(7, 2, 2)), rng.normal(size=(7, 2))
    path = write_contributions(tmp_path / "film_contributions.csv", values, ["image", "audio"], absent)
    assert path.read_text().splitlines()[0] == ("Time,image_Valence,image_Arousal,audio_Valence,audio_Arousal,"
                                                "baseline_Valence,baseline_Arousal")
    back, names, back_absent = read_contributions(path)
    assert names == ["image", "audio"]
    np.testing.assert_allclose(back, values, atol=5e-7)
    np.testing.assert_allclose(back_absent, absent, atol=5e-7)
    for bad in ("baseline", "two words", "a,b", ""):
        with pytest.raises(ValueError, match="cannot head a column"):
            contribution_columns([bad])
    with pytest.raises(ValueError, match=r"shape \(T, 2, 2\)"):
        write_contributions(tmp_path / "x.csv", values[:, :1], ["image", "audio"], absent)
    (tmp_path / "curves.csv").write_text("Time,Valence,Arousal\n0,0.1,0.2\n")
    with pytest.raises(ValueError, match="curves.csv: not a contributions table"):
        read_contributions(tmp_path / "curves.csv")


def test_stacked_areas_pile_positive_contributions_up_and_negative_ones_down():
    values = np.array([[0.3, -0.2, 0.1], [-0.1, -0.4, 0.5]])
    lower, upper = stacked_areas(values)
    np.testing.assert_allclose(upper - lower, np.abs(values))  # each modality's area is as tall as its value
    np.testing.assert_allclose(upper.max(axis=1), [0.4, 0.5])  # top: the sum of the positive parts
    np.testing.assert_allclose(lower.min(axis=1), [-0.2, -0.5])  # bottom: the sum of the negative ones
    np.testing.assert_allclose(lower[0], [0.0, -0.2, 0.3])
    np.testing.assert_allclose(upper[1], [0.0, -0.1, 0.5])


def test_modality_colours_are_fixed_distinct_and_no_roles():
    from matplotlib.colors import to_hex

    assert modality_colours(["audio", "image"]) == {"audio": "#17becf", "image": "#9467bd"}
    colours = modality_colours(["image", "audio", "face", "depth", "text", "motion"])
    assert len(set(colours.values())) == 6
    roles = {to_hex(colour) for colour in ROLE_COLOURS.values()} | {"#c2185b"}  # and the report's cursor
    assert set(colours.values()).isdisjoint(roles)
    assert modality_colours(["depth", "image"])["depth"] == colours["depth"]  # the same in every page and plot
    assert set(MODALITY_COLOURS) == {"image", "audio", "face"}


# ------------------------------------------------------------------------------------ predict --explain
def test_predict_explain_on_features_writes_tables_that_add_up(tmp_path, capsys):
    model = _model(tmp_path / "model.skops")
    inputs = [save_features(tmp_path / "features" / f"{name}.npz", _movie(seed))
              for name, seed in (("a", 100), ("b", 101))]
    code, out, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "plain", "--no-plot", "--no-progress")
    assert code == 0, err
    code, out, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "pred", "--explain", "--no-plot",
                          "--n-jobs", "2", "--no-progress")
    assert code == 0, err
    assert "contributions of the modalities image, audio, face" in out
    tables = {}
    for name in ("a", "b"):
        assert (tmp_path / "pred" / f"{name}.csv").read_bytes() == (tmp_path / "plain" / f"{name}.csv").read_bytes()
        tables[name], _ = _check_table(tmp_path / "pred", name, ["image", "audio", "face"])
        assert not (tmp_path / "pred" / CONTRIBUTIONS_FOLDER / f"{name}_contributions.png").exists()  # --no-plot
    # A linear model: a modality's contribution changes between two seconds by its own term's change alone.
    from sklearn_emotion.persistence import load_model

    estimator = load_model(model).estimator
    movie, values, start = _movie(100), tables["a"], 0
    for index, name in enumerate(estimator.modalities_):
        width = WIDTHS[name]
        coef = estimator.estimator_.coef_[:, start : start + width]
        start += width
        expected = (movie[name][5] - movie[name][2]) @ coef.T
        np.testing.assert_allclose(values[5, index] - values[2, index], expected, atol=2e-5)
    # evaluate still reads the folder: the tables are not in it, they are in contributions/
    assert sorted(p.name for p in (tmp_path / "pred").glob("*.csv")) == ["a.csv", "b.csv"]


def test_predict_explain_plots_the_modalities_in_their_colours(tmp_path, capsys):
    from PIL import Image

    model = _model(tmp_path / "model.skops")
    inputs = [save_features(tmp_path / "f" / "film.npz", _movie(7))]
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "pred", "--explain", "--no-progress")
    assert code == 0, err
    png = tmp_path / "pred" / CONTRIBUTIONS_FOLDER / "film_contributions.png"
    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert image.shape == (700, 1000, 3)
    for name, colour in modality_colours(list(WIDTHS)).items():
        assert pixels_near(image, colour, 12) > 200, name
    assert pixels_near(image, "#ff7f0e", 12) > 200  # the predicted curve, in the model's colour


def test_predicting_again_without_explain_or_by_another_model_removes_the_old_tables(tmp_path, capsys):
    first, second = _model(tmp_path / "first.skops"), _model(tmp_path / "second.skops", seed=9)
    inputs = [save_features(tmp_path / "f" / f"{name}.npz", _movie(seed)) for name, seed in (("a", 1), ("b", 2))]
    out = tmp_path / "pred"
    assert _run(capsys, "predict", first, *inputs, "-o", out, "--explain", "--no-progress")[0] == 0
    tables = out / CONTRIBUTIONS_FOLDER
    assert sorted(p.name for p in tables.iterdir()) == ["a_contributions.csv", "a_contributions.png",
                                                        "b_contributions.csv", "b_contributions.png"]
    assert _run(capsys, "predict", first, inputs[0], "-o", out, "--no-plot", "--no-progress")[0] == 0  # a's: stale
    assert sorted(p.name for p in tables.iterdir()) == ["b_contributions.csv", "b_contributions.png"]
    code, text, err = _run(capsys, "predict", second, inputs[0], "-o", out, "--overwrite", "--no-plot",
                           "--no-progress")
    assert code == 0, err
    assert list(tables.iterdir()) == []  # b's were the other model's


@pytest.mark.keras
def test_predict_explain_of_the_paper_pipeline_with_the_std(tmp_path, capsys):
    """The paper's system (scaler, windows, GRU-MoE, Butterworth) fitted to the viewers' std too: explained for
    its mean, each table adding up to the CSV's prediction (the 2^M variants are predicted in one batch)."""
    from sklearn_emotion import make_paper_pipeline
    from sklearn_emotion.persistence import SavedModel, save_model

    movies = [_movie(seed, seconds=40) for seed in range(4)]
    targets = [np.hstack([np.tanh(0.5 * m["image"][:, :2]), np.full((40, 2), 0.2)]) for m in movies]
    model = make_paper_pipeline(window_length=10, units=4, n_experts=2, epochs=2, predict_std=True, random_state=0)
    model.fit(movies, targets)
    path = save_model(tmp_path / "paper.skops", SavedModel(model, WIDTHS, None, info={"model": "paper"}))
    inputs = [save_features(tmp_path / "f" / "film.npz", _movie(9, seconds=40))]
    code, _, err = _run(capsys, "predict", path, *inputs, "-o", tmp_path / "pred", "--explain", "--no-progress")
    assert code == 0, err
    assert read_curves(tmp_path / "pred" / "film.csv", with_std=True).shape == (40, 4)
    _check_table(tmp_path / "pred", "film", list(WIDTHS))
    assert (tmp_path / "pred" / CONTRIBUTIONS_FOLDER / "film_contributions.png").is_file()


def test_a_modality_that_cannot_head_a_column_is_refused_before_any_work(tmp_path, capsys):
    model = _model(tmp_path / "model.skops", widths={"baseline": 2, "image": 3})
    inputs = [save_features(tmp_path / "f" / "a.npz", _movie(1, widths={"baseline": 2, "image": 3}))]
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "pred", "--explain", "--no-progress")
    assert code == 1 and "'baseline' cannot head a column" in err and err.count("\n") == 1
    assert not (tmp_path / "pred").exists()


def test_a_model_without_training_means_is_explained_against_each_movie_with_one_warning(tmp_path, capsys):
    from sklearn_emotion.persistence import SavedModel, load_model, save_model

    saved = load_model(_model(tmp_path / "new.skops"))
    del saved.estimator.feature_means_  # as a model fitted by sklearn-emotion < 0.3, which recorded none
    old = save_model(tmp_path / "old.skops", SavedModel(saved.estimator, WIDTHS, None, info={"model": "baseline"}))
    inputs = [save_features(tmp_path / "f" / f"{name}.npz", _movie(seed)) for name, seed in (("a", 1), ("b", 2))]
    with pytest.warns(UserWarning) as caught:
        code, _, err = _run(capsys, "predict", old, *inputs, "-o", tmp_path / "pred", "--explain", "--no-plot",
                            "--no-progress")
    assert code == 0, err
    said = [str(w.message) for w in caught if "training feature means" in str(w.message)]
    assert len(said) == 1 and "each movie's contributions are measured against that movie's own mean" in said[0]
    for name, seed in (("a", 1), ("b", 2)):  # the all-absent prediction: the movie's own mean features
        values, _ = _check_table(tmp_path / "pred", name, list(WIDTHS))
        _, _, absent = read_contributions(tmp_path / "pred" / CONTRIBUTIONS_FOLDER / f"{name}_contributions.csv")
        means = {k: np.tile(v.mean(axis=0), (len(v), 1)) for k, v in _movie(seed).items()}
        np.testing.assert_allclose(absent, saved.estimator.predict([means])[0], atol=1e-5)


@pytest.mark.parametrize("command, words", [
    ("predict", ("--explain", "2^M predictions per movie", "<movie>_contributions.csv", "baseline_Valence")),
    ("report", ("--explain", "2^M predictions per movie", "what drives this moment", "arousal peak"))])
def test_the_help_states_what_explain_does_and_costs(capsys, command, words):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    for word in words:
        assert word in text, word


# ------------------------------------------------------------------------------------ the report's band
def _explained_movie(video: Path, seconds: int = 24) -> MovieReport:
    """A prediction whose arousal peaks at 6 s (driven by audio) and 18 s (driven by image, audio against)."""
    t = np.arange(seconds)
    image = np.stack([0.2 * np.sin(t / 3), 0.5 * np.exp(-0.5 * ((t - 18) / 1.5) ** 2)], axis=1)
    audio = np.stack([0.1 * np.cos(t / 4), 0.6 * np.exp(-0.5 * ((t - 6) / 1.5) ** 2) - 0.1 * (t > 15)], axis=1)
    face = np.full((seconds, 2), 0.05)
    absent = np.full((seconds, 2), -0.2)
    return MovieReport("film", video, absent + image + audio + face,
                       contributions={"image": image, "audio": audio, "face": face})


def test_the_page_carries_the_band_and_names_each_peaks_modality(tmp_path):
    video = tmp_path / "film.mp4"
    video.write_bytes(b"not decoded: the page only links it")
    movie = _explained_movie(video)
    text = write_report(tmp_path / "out", [movie], min_distance=5)[0].read_text(encoding="utf-8")
    data = page_data(text)
    drivers = data["drivers"]
    assert drivers["modalities"] == ["image", "audio", "face"]
    assert drivers["colours"] == [modality_colours(["image", "audio", "face"])[m] for m in drivers["modalities"]]
    values = np.array(drivers["values"], dtype=float)  # [second][modality][output]
    np.testing.assert_allclose(values[:, 1, :], movie.contributions["audio"], atol=1e-4)
    assert data["peaks"] == [6, 18]
    assert [(p["second"], p["modality"]) for p in drivers["peaks"]] == [(6, "audio"), (18, "image")]
    for target in ("valence", "arousal"):
        band = re.search(rf'<div class="drivers" id="drivers-{target}".*?</svg>', text).group(0)
        for name, colour in zip(drivers["modalities"], drivers["colours"]):
            assert re.search(rf'<path class="driver" data-modality="{name}" fill="{colour}" d="M[^"]+Z"', band), name
        assert 'class="cursor"' in band
    peaks = re.search(r"<h2>Arousal peaks</h2>.*?</section>", text).group(0)
    assert re.search(r'data-seek="6".*?mostly audio \+0\.60.*?audio \+0\.60</span>', peaks)
    assert re.search(r'data-seek="18".*?image \+0\.50</span>', peaks) and "contributing most" in peaks
    assert "what drives this moment" in text and 'id="drivers-readout"' in text
    plain = write_report(tmp_path / "plain", [MovieReport("film", video, movie.predicted)])[0].read_text()
    assert 'class="drivers"' not in plain and "drivers" not in page_data(plain) and "mostly" not in plain


def test_band_names_are_escaped_and_shapes_checked(tmp_path):
    video = tmp_path / "film.mp4"
    video.write_bytes(b"x")
    predicted = np.zeros((5, 2))
    name = '<b>"x"</b>'
    text = write_report(tmp_path, [MovieReport("film", video, predicted, contributions={name: np.ones((5, 2))})],
                        n_peaks=0)[0].read_text(encoding="utf-8")
    assert "<b>" not in text and "&lt;b&gt;&quot;x&quot;" in text and page_data(text)["drivers"]["modalities"] == [name]
    with pytest.raises(ValueError, match=r"contributions of modality 'image' have shape \(4, 2\)"):
        MovieReport("film", video, predicted, contributions={"image": np.ones((4, 2))})
    with pytest.raises(ValueError, match="must map each modality"):
        MovieReport("film", video, predicted, contributions=np.ones((5, 1, 2)))


# ------------------------------------------------------------------------------------ in a real browser
@pytest.fixture(scope="module")
def chromium():
    driver = chromium_driver()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """A real 24-second H.264/AAC movie (make_movie_files)."""
    from sklearn_emotion.datasets import make_movie_files

    return make_movie_files(tmp_path_factory.mktemp("movie"), 1, min_seconds=24, max_seconds=24,
                            random_state=5).videos[0]


@pytest.mark.browser
def test_the_band_is_drawn_under_each_curve_and_follows_the_video_in_chromium(chromium, film, tmp_path):
    movie = _explained_movie(film)
    page = write_report(tmp_path, [movie], min_distance=5)[0]
    open_page(chromium, page)
    colours = modality_colours(["image", "audio", "face"])
    chromium.execute_script("document.getElementById('panel-valence').scrollIntoView({block: 'start'});"
                            "document.getElementById('video').currentTime = 10.5;")
    wait_for_cursor(chromium, 10.5, boxes=("plot", "drivers"))
    image = not_blank(chromium.get_screenshot_as_png())
    for target in ("valence", "arousal"):
        plot, band = geometry(chromium, target), geometry(chromium, target, "drivers")
        assert band["top"] >= plot["top"] + plot["height"] and abs(band["width"] - plot["width"]) < 1  # under it
        assert abs(band["left"] - plot["left"]) < 1  # same time axis as the curve
        inside = image[int(band["top"]) + 2 : int(band["top"] + band["height"]) - 2,
                       int(band["left"]) + 2 : int(band["left"] + band["width"]) - 2]
        for name, colour in colours.items():
            assert pixels_near(inside, colour, 12) > 40, (target, name)
    # the arousal band's audio area is tallest around its peak (6 s) and image's around 18 s
    arousal = geometry(chromium, "arousal", "drivers")
    top, bottom = int(arousal["top"]) + 1, int(arousal["top"] + arousal["height"]) - 1

    def column_pixels(second: float, colour: str) -> int:
        x = int(arousal["left"] + (second + 0.5) / arousal["duration"] * arousal["width"])
        return pixels_near(image[top:bottom, x : x + 1], colour, 12)

    assert column_pixels(6, colours["audio"]) > 3 * max(1, column_pixels(12, colours["audio"]))
    assert column_pixels(18, colours["image"]) > 3 * max(1, column_pixels(12, colours["image"]))
    readout = chromium.execute_script("return document.getElementById('drivers-readout').textContent")
    assert readout.startswith("what drives it: valence ") and "audio" in readout and "face +0.05" in readout
    # a click on the band seeks the video there
    expected = click_at(chromium, "arousal", 0.25, box="drivers")
    assert abs(geometry(chromium, "arousal")["time"] - expected) < 0.3
    assert chromium.find_element("css selector", 'button[data-seek="6"] .driver-name').text == "audio +0.60"
    errors = [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    if os.environ.get("SKLEARN_EMOTION_EXPLAIN_SCREENSHOT"):  # the picture of docs/report.md, at the audio peak
        chromium.execute_script("document.getElementById('video').currentTime = 6.5;")
        wait_for_cursor(chromium, 6.5, boxes=("plot", "drivers"))
        chromium.execute_script("document.getElementById('panel-valence').scrollIntoView({block: 'center'});")
        Path(os.environ["SKLEARN_EMOTION_EXPLAIN_SCREENSHOT"]).write_bytes(chromium.get_screenshot_as_png())


def test_the_docs_example_of_the_band_runs(tmp_path, monkeypatch):
    text = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text(encoding="utf-8")
    section = text[text.index("## What drives this moment") : text.index("## Offline, and where the movie is")]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    monkeypatch.chdir(tmp_path)
    _model(tmp_path / "model.skops")
    save_features(tmp_path / "features" / "film.npz", _movie(3))
    (tmp_path / "film.mp4").write_bytes(b"not decoded: the page links it")
    namespace: dict = {}
    exec(compile(code, "docs/report.md", "exec"), namespace)
    assert namespace["pages"] == [Path("report/film.html")]
    data = page_data((tmp_path / "report" / "film.html").read_text(encoding="utf-8"))
    assert data["drivers"]["modalities"] == ["image", "audio", "face"]
    values = np.array(data["drivers"]["values"], dtype=float)
    np.testing.assert_allclose(values.sum(axis=1) + namespace["explained"].baseline_prediction[0],
                               np.array(data["prediction"], dtype=float), atol=5e-4)  # four decimals each


# ------------------------------------------------------------------------------------ the commands on videos
@pytest.fixture(scope="module")
def video_model(film, tmp_path_factory):
    """A ridge model on the weight-free features of a real movie, saved with its feature settings."""
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.extraction import extract_features
    from sklearn_emotion.persistence import SavedModel, save_model

    (features,) = extract_features([film], SPEC)
    seconds = len(features["image"])
    rng = np.random.default_rng(0)
    targets = np.tanh(np.stack([features["image"][:, 0], features["audio"][:, 0]], axis=1)
                      / (1e-6 + np.abs(features["audio"][:, 0]).max()) + 0.1 * rng.normal(size=(seconds, 2)))
    estimator = PerSecondRegressor(Ridge(alpha=1.0)).fit([features], [targets])
    widths = {name: int(array.shape[1]) for name, array in features.items()}
    path = tmp_path_factory.mktemp("model") / "model.skops"
    return save_model(path, SavedModel(estimator, widths, SPEC, info={"model": "baseline"}))


@pytest.mark.slow
def test_predict_explain_on_a_video(film, video_model, tmp_path, capsys):
    code, out, err = _run(capsys, "predict", video_model, film, "-o", tmp_path / "pred", "--explain",
                          "--n-jobs", "2", "--no-progress")
    assert code == 0, err
    _check_table(tmp_path / "pred", film.stem, ["image", "audio"])
    assert (tmp_path / "pred" / CONTRIBUTIONS_FOLDER / f"{film.stem}_contributions.png").stat().st_size > 10_000


@pytest.mark.slow
def test_report_explain_on_a_video(film, video_model, tmp_path, capsys, monkeypatch):
    from sklearn_emotion import PerSecondRegressor

    seconds = []  # of each movie predicted: 2^M = 4 of the film (its curves are the explanation's f(all))
    predict = PerSecondRegressor.predict
    monkeypatch.setattr(PerSecondRegressor, "predict",
                        lambda self, X, **k: seconds.extend(len(m["image"]) for m in X) or predict(self, X, **k))
    code, out, err = _run(capsys, "report", video_model, film, "-o", tmp_path / "report", "--explain",
                          "--peak-distance", "4", "--no-progress")
    assert code == 0, err
    monkeypatch.undo()
    assert seconds.count(max(seconds)) == 2 ** 2, seconds
    text = (tmp_path / "report" / f"{film.stem}.html").read_text(encoding="utf-8")
    data = page_data(text)
    drivers = data["drivers"]
    assert drivers["modalities"] == ["image", "audio"]
    values = np.array(drivers["values"], dtype=float)
    assert values.shape == (len(data["prediction"]), 2, 2) and np.abs(values).max() > 1e-3
    # the same contributions as predict --explain writes (to the page's four decimals)
    assert _run(capsys, "predict", video_model, film, "-o", tmp_path / "pred", "--explain", "--no-plot",
                "--no-progress")[0] == 0
    table, _, _ = read_contributions(tmp_path / "pred" / CONTRIBUTIONS_FOLDER / f"{film.stem}_contributions.csv")
    np.testing.assert_allclose(values, table, atol=1e-4)
    np.testing.assert_allclose(np.array(data["prediction"], dtype=float), read_curves(tmp_path / "pred" / f"{film.stem}.csv"),
                               atol=1e-4)  # the page's curves: the prediction itself
    assert data["peaks"], "the prediction has arousal peaks"
    for peak in drivers["peaks"]:  # each peak names the modality of the largest absolute arousal contribution
        names = drivers["modalities"]
        assert peak["modality"] == names[int(np.argmax(np.abs(values[peak["second"], :, 1])))]
        assert f'data-seek="{peak["second"]}"' in text


# ------------------------------------------------------------------------------------ odd names, failed movies
def test_odd_modality_names_are_drawn_as_written(tmp_path, monkeypatch):
    """'$' is not mathtext and a name starting with '_' stays in the legend."""
    from matplotlib.figure import Figure

    from sklearn_emotion.plotting import plot_contributions

    figures = []
    savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self) or savefig(self, *a, **k))
    rng = np.random.default_rng(0)
    names = ["im$^$age", "_face", "audio"]
    path = plot_contributions(tmp_path / "x.png", rng.normal(size=(20, 2)), rng.normal(size=(20, 3, 2)), names,
                              np.zeros((20, 2)), title="film $1$: contributions")
    assert path.stat().st_size > 0
    legends = [axis.get_legend() for axis in figures[0].axes if axis.get_legend() is not None]
    shown = [text.get_text().replace("\\$", "$") for legend in legends for text in legend.get_texts()]
    for name in names:
        assert name in shown, (name, shown)
    assert figures[0]._suptitle.get_text().replace("\\$", "$") == "film $1$: contributions"


def test_a_movie_whose_png_fails_leaves_no_unrecorded_file(tmp_path, capsys):
    """A PNG that cannot be written (a folder stands in its place) fails the movie once its contributions are
    written: none of its files stay unless predictions.json records it, and the other movie is written."""
    import json

    model = _model(tmp_path / "model.skops")
    inputs = [save_features(tmp_path / "f" / f"{name}.npz", _movie(seed)) for name, seed in (("film", 1), ("b", 2))]
    out = tmp_path / "pred"
    (out / "film.png").mkdir(parents=True)
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", out, "--explain", "--no-progress")
    assert code == 1 and "film" in err
    recorded = json.loads((out / "predictions.json").read_text())["movies"]
    assert sorted(recorded) == ["b"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.suffix != ".lock")
    assert [f for f in files if "film" in f] == [], files
    assert f"{CONTRIBUTIONS_FOLDER}/b_contributions.csv" in files and "b.csv" in files


def test_predict_explain_costs_2_to_the_m_predictions_per_movie(tmp_path, capsys, monkeypatch):
    """Without a std, the curves are the explanation's f(all modalities): 8 movie predictions for 3 modalities,
    not 9, and the CSV is byte-identical to predict's without --explain."""
    from sklearn_emotion import PerSecondRegressor

    model = _model(tmp_path / "model.skops")
    inputs = [save_features(tmp_path / "f" / "film.npz", _movie(3))]
    assert _run(capsys, "predict", model, *inputs, "-o", tmp_path / "plain", "--no-plot", "--no-progress")[0] == 0
    seconds = []  # of each movie predicted (load_model's own check predicts a movie of its own too)
    predict = PerSecondRegressor.predict
    monkeypatch.setattr(PerSecondRegressor, "predict",
                        lambda self, X, **k: seconds.extend(len(m["image"]) for m in X) or predict(self, X, **k))
    code, _, err = _run(capsys, "predict", model, *inputs, "-o", tmp_path / "pred", "--explain", "--no-plot",
                        "--no-progress")
    assert code == 0, err
    assert seconds.count(len(_movie(3)["image"])) == 2 ** 3, seconds
    assert (tmp_path / "pred" / "film.csv").read_bytes() == (tmp_path / "plain" / "film.csv").read_bytes()
