"""Variable frame rates: the last frame lasts its own duration, not the gap before it (issue 19, item 3)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import read_index, write_vfr_video  # noqa: E402

from sklearn_emotion.media.decoding import FRAME_OFFSET, iter_frames  # noqa: E402

GAPPY = [float(k) for k in range(11)] + [40.0]  # frames at 0..10 s, then one at 40 s; the file lasts 41 s


def _on_screen(times: list[float], n_seconds: int) -> list[int]:
    """The 1 Hz rule: for each second, the index of the last frame shown at or before its middle."""
    return [max(k for k, time in enumerate(times) if time <= t + FRAME_OFFSET) for t in range(n_seconds)]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".avi"])
def test_a_gap_before_the_last_frame_does_not_stretch_it(tmp_path, suffix):
    # Regression: the last frame lasted as long as the 30-s gap before it: 70 rows for a 41-s file.
    path = write_vfr_video(tmp_path / f"gappy{suffix}", GAPPY, end=41.0)
    decoded = list(iter_frames(path))
    assert [t for t, _ in decoded] == list(range(41))
    assert [read_index(frame) for _, frame in decoded] == _on_screen(GAPPY, 41)
    assert read_index(decoded[39][1]) == 10 and read_index(decoded[40][1]) == 11


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_two_frames_five_minutes_apart(tmp_path, suffix):
    # Regression: frames at 0 and 300 s gave 600 rows for a 301-s file.
    times = [0.0, 300.0]
    path = write_vfr_video(tmp_path / f"two{suffix}", times, end=301.0)
    chosen = [read_index(frame) for _, frame in iter_frames(path)]
    assert len(chosen) == 301
    assert chosen == _on_screen(times, 301)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_the_last_frame_lasts_its_own_duration(tmp_path, suffix):
    # A 40-ms last frame after a long gap: the movie ends at 40.04 s (40 whole seconds), not 70.
    path = write_vfr_video(tmp_path / f"short_last{suffix}", GAPPY, end=40.04)
    assert len(list(iter_frames(path))) == 40


def test_extract_gives_one_row_per_second_of_a_vfr_movie(tmp_path, monkeypatch, capsys):
    from sklearn_emotion.cli import main
    from sklearn_emotion.files import load_features

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    path = write_vfr_video(tmp_path / "gappy.mp4", GAPPY, end=41.0)
    code = main(["extract", str(path), "-o", "out", "--image", "colour-layout", "--audio", "none", "--face", "none",
                 "--no-progress"])
    assert code == 0, capsys.readouterr().err
    image = load_features(tmp_path / "out" / "gappy.npz")["image"]
    assert image.shape[0] == 41
    # Seconds 10-39 show the frame of 10 s, second 40 the frame of 40 s.
    np.testing.assert_array_equal(image[10], image[39])
    assert not np.array_equal(image[39], image[40])
