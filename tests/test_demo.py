"""The offline demo and its movie generator: the generated movies really carry the curves, and
`sklearn-emotion demo --quick` runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.datasets import make_movie_files
from sklearn_emotion.datasets.movies import write_movie_file
from sklearn_emotion.demo import (
    QUICK,
    DemoConfig,
    DemoMovie,
    emotion_curves,
    make_corpus,
    render_frame,
    synthesize_audio,
)
from sklearn_emotion.files import read_curves
from sklearn_emotion.media.decoding import iter_audio_windows, iter_frames

TINY = DemoConfig(n_movies=2, min_seconds=20, max_seconds=24)


def test_curves_follow_the_scenes_with_a_lag():
    drivers, curves, scenes = emotion_curves(120, lag=4.0, rng=np.random.default_rng(0))
    assert drivers.shape == curves.shape == (120, 2)
    assert np.abs(curves).max() <= 1 and scenes[0][0] == 0 and scenes[-1][1] == 120
    assert all(8 <= stop - start <= 20 for start, stop, _ in scenes[:-1])
    # The annotation lags: it correlates best with the drivers a few seconds earlier.
    lags = [np.corrcoef(drivers[: 120 - k, 0], curves[k:, 0])[0, 1] for k in range(8)]
    assert 1 <= int(np.argmax(lags)) <= 6


def test_frames_and_sound_encode_valence_and_arousal():
    rng = np.random.default_rng(0)
    photo = np.full((60, 80, 3), 0.6, dtype=np.float32)
    dark, bright = render_frame(photo, -0.8, -0.9, rng), render_frame(photo, 0.8, -0.9, rng)
    assert bright.mean() > dark.mean() + 40
    assert bright[..., 0].mean() > bright[..., 2].mean() and dark[..., 2].mean() > dark[..., 0].mean()
    calm, excited = render_frame(photo, 0, -1, rng), render_frame(photo, 0, 0.9, rng)
    assert excited.std() > calm.std() + 10  # grain and shake
    drivers = np.array([[0.0, -0.9], [0.0, 0.9], [-0.9, 0.0], [0.9, 0.0]])
    audio = synthesize_audio(drivers, rng).reshape(4, -1)
    rms = np.sqrt((audio**2).mean(axis=1))
    assert rms[1] > 2 * rms[0]  # louder when aroused
    spectrum = np.abs(np.fft.rfft(audio[2:], axis=1))
    assert np.argmax(spectrum[1]) > np.argmax(spectrum[0])  # higher pitch when positive


def _lagged(content: np.ndarray, lag: float) -> np.ndarray:
    out = content.copy()
    for t in range(1, len(out)):
        out[t] = out[t - 1] + (1 - np.exp(-1 / lag)) * (content[t] - out[t - 1])
    return out


def test_movie_files_decode_to_their_curves_and_are_reused(tmp_path):
    data = make_movie_files(tmp_path, 2, min_seconds=20, max_seconds=24, random_state=3)
    assert data.movies == ["movie_00", "movie_01"] and data.target_names == ("valence", "arousal")
    assert [v.name for v in data.videos] == ["movie_00.mp4", "movie_01.mp4"]
    for y, content, annotations in zip(data.y, data.content, data.annotation_files):
        assert 20 <= len(y) <= 24 and content.shape == y.shape
        np.testing.assert_array_equal(read_curves(annotations), y)
        np.testing.assert_allclose(y, _lagged(content, 4.0), atol=5e-5)  # 4 decimals in the file
    frames = np.stack([frame for _, frame in iter_frames(data.videos[0])])
    y, content = data.y[0], data.content[0]
    assert abs(len(frames) - len(y)) <= 1 and frames.shape[1:] == (120, 160, 3)
    n = min(len(frames), len(y))
    brightness = frames[:n].reshape(n, -1).mean(axis=1)
    # Brightness follows the content's valence, and the lagged annotation still closely.
    assert np.corrcoef(brightness, content[:n, 0])[0, 1] > np.corrcoef(brightness, y[:n, 0])[0, 1] > 0.5
    loudness = np.array([np.sqrt((w**2).mean()) for _, w in iter_audio_windows(data.videos[0], sample_rate=16000,
                                                                                  window=16000)])
    m = min(len(loudness), n)
    assert np.corrcoef(loudness[:m], y[:m, 1])[0, 1] > 0.5
    stamps = [video.stat().st_mtime_ns for video in data.videos]
    again = make_movie_files(tmp_path, 2, min_seconds=20, max_seconds=24, random_state=3)
    assert [video.stat().st_mtime_ns for video in again.videos] == stamps  # reused, not rewritten
    np.testing.assert_array_equal(again.content[1], data.content[1])
    other = make_movie_files(tmp_path, 2, min_seconds=20, max_seconds=24, random_state=4)
    assert not np.allclose(other.y[0][:5], data.y[0][:5])
    assert [video.stat().st_mtime_ns for video in other.videos] != stamps


def test_demo_corpus_is_the_movie_files_under_demo_names(tmp_path):
    movies = make_corpus(tmp_path, TINY, random_state=3)
    assert [m.name for m in movies] == ["demo_00", "demo_01"] and isinstance(movies[0], DemoMovie)
    data = make_movie_files(tmp_path, 2, min_seconds=20, max_seconds=24, prefix="demo", random_state=3)
    assert data.videos == [m.video for m in movies] and data.annotation_files == [m.annotations for m in movies]
    np.testing.assert_array_equal(data.y[1], movies[1].curves)


def test_movie_file_parameters_are_checked(tmp_path):
    with pytest.raises(ValueError, match="even"):
        make_movie_files(tmp_path, 1, width=161)
    with pytest.raises(ValueError, match="min_seconds=30 must not exceed max_seconds=20"):
        make_movie_files(tmp_path, 1, min_seconds=30, max_seconds=20)
    with pytest.raises(ValueError, match="'n_movies' parameter"):
        make_movie_files(tmp_path, 0)
    with pytest.raises(ValueError, match="x.gif.*suffix"):
        write_movie_file(tmp_path / "x.gif", [np.zeros((16, 16, 3), np.uint8)])
    with pytest.raises(ValueError, match="x.mp4: no frame"):
        write_movie_file(tmp_path / "x.mp4", [])
    with pytest.raises(ValueError, match="audio-only"):
        write_movie_file(tmp_path / "x.wav", None)
    assert not list(tmp_path.iterdir())


def test_an_interrupted_movie_leaves_no_file(tmp_path):
    def frames():
        yield np.zeros((16, 16, 3), np.uint8)
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError, match="renderer"):
        write_movie_file(tmp_path / "broken.mp4", frames(), audio=np.zeros(16000, np.float32))
    assert not list(tmp_path.iterdir())


@pytest.mark.keras
def test_quick_demo_weight_free_runs_and_reports_honestly(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/weights from here: the weight-free path
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    code = main(["demo", "--quick", "--output-dir", "out", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "no weights folder" in out and "WEIGHT-FREE 'colour-layout'" in out and "face: NOT USED" in out
    assert f"Corpus: {QUICK.n_movies} movies" in out
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    rows = results["scores"]
    assert set(rows) == {"Per-second Ridge (baseline)", "Per-second Ridge+Butterworth", "GRU+MoE, no smoothing",
                         "GRU+MoE+Butterworth (paper)"}
    for name, scores in rows.items():
        assert f"| {name}" in out  # every number computed is printed
        for key in ("Valence MSE", "Arousal MSE"):
            assert f"{scores[key]:.4f}" in out and 0 <= scores[key] < 4
    assert (tmp_path / "out" / "table.md").read_text().count("|") > 20
    assert (tmp_path / "out" / results["plot"].split("/")[-1]).stat().st_size > 20_000
    assert len(list((tmp_path / "out" / "predictions" / "paper").glob("*.csv"))) == QUICK.n_movies
    assert results["widths"] == {"image": 51, "audio": 112}


def test_demo_rejects_bad_folds(tmp_path):
    from sklearn_emotion.demo import run_demo

    with pytest.raises(ValueError, match="n_splits"):
        run_demo(tmp_path, config=DemoConfig(n_movies=2, n_splits=3), echo=lambda line: None)
