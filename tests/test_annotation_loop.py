"""The whole loop of issue 21 on the demo movies, as docs/annotate.md writes it: three scripted raters
in headless Chromium -> `annotations merge` -> `fit` (learning the std) -> `predict` -> `evaluate` ->
`report`; the merged mean follows the true curves and the model beats the constant on held-out movies."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_annotations, read_curves
from sklearn_emotion.metrics import movie_mean_squared_error

DOC = Path(__file__).resolve().parents[1] / "docs" / "annotate.md"
#: Each scripted rater's reaction lag (s) and the std of its hand's jitter.
RATERS = {"alice": 0.0, "bob": 1.0, "carol": 2.0}
NOISE = 0.03
#: Video seconds per wall-clock second while rating (each pointer move lags its target by a selenium round trip).
PLAYBACK_RATE = 6


def loop_commands() -> list[str]:
    """The shell commands of the doc's loop block (after ``<!-- loop -->``), in order."""
    found = re.search(r"<!-- loop -->\n```shell\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)
    assert found, f"{DOC} has no loop block"
    return [line for line in found.group(1).splitlines() if line.strip() and not line.startswith("#")]


def _expand(argv: list[str], folder: Path) -> list[str]:
    """Shell globbing, relative to ``folder``."""
    out = []
    for word in argv:
        matches = sorted(glob.glob(word, root_dir=folder)) if any(c in word for c in "*?[") else [word]
        assert matches, f"{word} matches nothing in {folder}"
        out += matches
    return out


def _rate(argv: list[str], folder: Path, truths: dict[str, np.ndarray]) -> None:
    """Run `annotate` as the doc writes it, a scripted rater following the true curves with its lag."""
    from annotation_rater import chromium_driver, rate_movie, start_annotate, stop_annotate

    videos = [folder / word for word in argv if word.endswith(".mp4")]
    rater = argv[argv.index("--rater") + 1]
    output = folder / argv[argv.index("-o") + 1]
    rng = np.random.default_rng(len(rater))
    lag = RATERS[rater]

    def path_of(truth: np.ndarray):
        centres = np.arange(len(truth)) + 0.5  # second t rates [t, t+1)
        return lambda t: tuple(np.clip([np.interp(t - lag, centres, truth[:, d]) + rng.normal(0, NOISE)
                                        for d in range(2)], -1, 1))

    process, url = start_annotate(videos, output, rater)
    driver = chromium_driver()
    try:
        for video in videos:
            result = rate_movie(driver, url, video.stem, path_of(truths[video.stem]), playback_rate=PLAYBACK_RATE)
            assert result["moves"] > 20, result
    finally:
        driver.quit()
        assert stop_annotate(process) == 130, "".join(process.output_lines)


@pytest.mark.browser
@pytest.mark.keras
@pytest.mark.subprocess
def test_the_documented_loop_rates_merges_fits_predicts_and_reports(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)  # weight-free features, as on a fresh install
    commands = loop_commands()
    assert sum(line.startswith("sklearn-emotion annotate ") for line in commands) == len(RATERS)
    truths: dict[str, np.ndarray] = {}
    for line in commands:
        argv = shlex.split(line)
        if argv[0] == "python":
            assert argv[1] == "-c"
            exec(compile(argv[2], f"{DOC} (loop)", "exec"), {})
            truths = {path.stem: read_annotations(tmp_path / "movies", path.stem)
                      for path in sorted((tmp_path / "movies").glob("*.mp4"))}
        elif argv[1] == "annotate":
            _rate(_expand(argv[2:], tmp_path), tmp_path, truths)
        else:
            assert argv[0] == "sklearn-emotion", line
            code = main(_expand(argv[1:], tmp_path))
            captured = capsys.readouterr()
            assert code == 0, f"{line}\n{captured.out}\n{captured.err}"
            print(f"$ {line}\n{captured.out}")

    rated = sorted(p.stem for p in (tmp_path / "annotations").glob("demo_*.csv"))
    held_out = sorted(set(truths) - set(rated))
    assert rated == ["demo_00", "demo_01", "demo_02", "demo_03"] and held_out == ["demo_04", "demo_05"]
    # the merged mean follows the truth (the raters' lags compensated, up to the earliest rater's)
    for movie in rated:
        merged = read_curves(tmp_path / "annotations" / f"{movie}.csv", with_std=True)
        truth = truths[movie][: len(merged)]
        rated_seconds = ~np.isnan(merged[: len(truth), :2]).any(axis=1)
        assert rated_seconds.mean() > 0.9, movie
        for d in range(2):
            mean, true = merged[: len(truth), d][rated_seconds], truth[rated_seconds, d]
            assert np.corrcoef(mean, true)[0, 1] > 0.9 and np.mean((mean - true) ** 2) < 0.02, (movie, d)
        assert np.nanmedian(merged[:, 2:]) < 0.2  # the raters' disagreement: noise and residual lag
    rows = (tmp_path / "annotations" / "raters.csv").read_text().splitlines()[1:]
    lags = np.array([row.split(",")[4] for row in rows], dtype=float).reshape(len(rated), 2, len(RATERS))
    print("lags (s) per movie, dimension, rater:", lags.round(2).tolist())
    np.testing.assert_allclose(np.median(lags, axis=(0, 1)), list(RATERS.values()), atol=0.6)

    # the model learnt the std, and beats the training annotations' mean on the movies nobody rated
    predictions = {m: read_curves(tmp_path / "predictions" / f"{m}.csv", with_std=True) for m in held_out}
    assert all(np.isfinite(p).all() for p in predictions.values()), "the model predicts the std"
    level = np.nanmean(np.concatenate([read_curves(tmp_path / "annotations" / f"{m}.csv") for m in rated]), axis=0)
    truth = [truths[m][: len(predictions[m])] for m in held_out]
    model = movie_mean_squared_error(truth, [predictions[m][: len(t), :2] for m, t in zip(held_out, truth)],
                                     multioutput="uniform_average")
    constant = movie_mean_squared_error(truth, [np.tile(level, (len(t), 1)) for t in truth],
                                        multioutput="uniform_average")
    print(f"held-out MSE: model {model:.4f}, the training annotations' mean {constant:.4f}")
    assert model < constant
    assert (tmp_path / "report" / "demo_04.html").is_file() and (tmp_path / "report" / "index.html").is_file()
