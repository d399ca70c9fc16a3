"""1 Hz decoding: seconds counted right, the right frame per second, rotation, VFR, bad files."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")

from media_videos import photo, read_index, tone, write_audio, write_video  # noqa: E402

from sklearn_emotion.media.decoding import (  # noqa: E402
    _iter_chosen_frames,
    MediaDecodeError,
    MissingStreamError,
    iter_audio_windows,
    iter_frames,
    probe,
    read_audio,
)

SIZE = (160, 120)
FPS = 5


@pytest.fixture(scope="module")
def photos():
    return [photo(name, SIZE) for name in ("astronaut", "chelsea", "coffee", "chelsea")]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm", ".avi"])
def test_one_frame_per_whole_second_is_the_middle_frame(tmp_path, photos, suffix):
    path = write_video(tmp_path / f"movie{suffix}", photos, fps=FPS, audio=tone(len(photos), 16000))
    decoded = list(iter_frames(path))
    assert [t for t, _ in decoded] == list(range(len(photos)))
    # At 5 fps frames start at k/5 s; the one on screen at t + 0.5 s is frame 5t + 2.
    assert [read_index(frame) for _, frame in decoded] == [FPS * t + 2 for t in range(len(photos))]
    assert all(frame.shape == (SIZE[1], SIZE[0], 3) and frame.dtype == np.uint8 for _, frame in decoded)


def test_partial_last_second_is_dropped(tmp_path, photos):
    # 3 s of photos but frames only up to 2.6 s (+ one frame interval): 2 whole seconds.
    times = [k / FPS for k in range(14)]
    path = write_video(tmp_path / "short.mkv", photos[:3], frame_times=times)
    assert [t for t, _ in iter_frames(path)] == [0, 1]


def test_variable_frame_rate_uses_presentation_times(tmp_path, photos):
    times = [0.0, 0.1, 0.7, 0.9, 1.3, 1.45, 1.55, 2.2, 2.6, 2.9, 3.0, 3.3, 3.8, 4.1]
    path = write_video(tmp_path / "vfr.mp4", photos, frame_times=times)
    chosen = [read_index(frame) for _, frame in iter_frames(path)]
    # Last frame with time <= t + 0.5: 0.1 s (index 1), 1.45 s (5), 2.2 s (7), 3.3 s (11).
    assert chosen == [1, 5, 7, 11]


def test_long_gap_repeats_the_frame_on_screen(tmp_path, photos):
    times = [0.0, 0.2, 2.7, 3.1, 3.6, 3.9]
    path = write_video(tmp_path / "gap.mkv", photos, frame_times=times)
    assert [read_index(frame) for _, frame in iter_frames(path)] == [1, 1, 1, 3]  # 0.2 s frame stays on screen until 2.7 s


def test_the_last_frame_ends_where_the_container_says(tmp_path, photos):
    # The frames above without their last one: the file then ends at 3.8 s (its last frame, at 3.6 s,
    # lasts 0.2 s), so 3 whole seconds -- not 4, as if the last frame lasted the 0.5-s gap before it.
    path = write_video(tmp_path / "gap.mkv", photos, frame_times=[0.0, 0.2, 2.7, 3.1, 3.6])
    assert [read_index(frame) for _, frame in iter_frames(path)] == [1, 1, 1]


@pytest.mark.parametrize("rotation", [90, -90])
def test_rotation_metadata_makes_frames_upright(tmp_path, photos, rotation):
    path = write_video(tmp_path / "rotated.mp4", photos, fps=FPS, rotation=rotation)
    decoded = list(iter_frames(path))
    assert decoded[0][1].shape == (SIZE[0], SIZE[1], 3)
    # Undo the display rotation (counter-clockwise by ``rotation``): the painted index reads back.
    coded = np.rot90(decoded[1][1], k=-rotation // 90)
    assert read_index(coded) == FPS + 2
    resized = list(iter_frames(path, size=(60, 80)))
    assert resized[0][1].shape == (80, 60, 3)


def test_resize_on_decode(tmp_path, photos):
    path = write_video(tmp_path / "movie.mp4", photos, fps=FPS)
    frames = [frame for _, frame in iter_frames(path, size=(224, 224))]
    assert frames[0].shape == (224, 224, 3)
    assert [read_index(frame) for frame in frames] == [FPS * t + 2 for t in range(len(photos))]


def test_probe_reports_streams(tmp_path, photos):
    path = write_video(tmp_path / "movie.mp4", photos, fps=FPS, audio=tone(4, 16000))
    info = probe(path)
    assert info.has_video and info.has_audio
    assert info.n_seconds == 4
    assert (info.width, info.height) == SIZE


def test_audio_windows_cover_every_whole_second(tmp_path):
    rate = 16000
    samples = tone(3.5, 8000, frequency=300)  # decoded from 8 kHz, resampled to 16 kHz
    for suffix in (".wav", ".mp3"):
        path = write_audio(tmp_path / f"tone{suffix}", samples, sample_rate=8000)
        windows = list(iter_audio_windows(path, sample_rate=rate, window=15600))
        assert [t for t, _ in windows] == [0, 1, 2]
        assert all(w.shape == (15600,) and w.dtype == np.float32 for _, w in windows)
        rms = np.sqrt(np.mean(windows[1][1] ** 2))
        assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)


def test_audio_windows_match_the_whole_track(tmp_path):
    rate = 16000
    waveform = np.random.default_rng(0).uniform(-0.5, 0.5, int(3.3 * rate)).astype(np.float32)
    path = write_audio(tmp_path / "noise.wav", waveform, sample_rate=rate)
    whole = read_audio(path, sample_rate=rate)
    windows = dict(iter_audio_windows(path, sample_rate=rate, window=int(1.5 * rate)))
    assert sorted(windows) == [0, 1, 2]
    np.testing.assert_array_equal(windows[1], whole[rate : rate + int(1.5 * rate)])
    # The last window runs past the end of the track: zero padded.
    tail = whole[2 * rate :]
    np.testing.assert_array_equal(windows[2][: len(tail)], tail)
    assert not windows[2][len(tail) :].any()
    # Already-decoded input gives the same windows.
    decoded = dict(iter_audio_windows((whole, rate), sample_rate=rate, window=int(1.5 * rate)))
    np.testing.assert_array_equal(decoded[2], windows[2])


def test_corrupt_file_names_the_file(tmp_path):
    path = tmp_path / "garbage.mp4"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(MediaDecodeError, match="garbage.mp4"):
        list(iter_frames(path))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_truncated_file_names_the_file(tmp_path, photos, suffix):
    whole = write_video(tmp_path / f"whole{suffix}", photos * 2, fps=FPS)
    data = whole.read_bytes()
    path = tmp_path / f"truncated{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaDecodeError, match=f"truncated{suffix}"):
        list(iter_frames(path))


def test_missing_video_stream_names_the_file(tmp_path):
    path = write_audio(tmp_path / "only_audio.wav", tone(2, 16000))
    with pytest.raises(MissingStreamError, match="only_audio.wav.*no video"):
        list(iter_frames(path))


def test_missing_audio_track_names_the_file(tmp_path, photos):
    path = write_video(tmp_path / "silent.mp4", photos, fps=FPS)
    with pytest.raises(MissingStreamError, match="silent.mp4.*no audio"):
        list(iter_audio_windows(path, sample_rate=16000, window=16000))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.mp4"):
        list(iter_frames(tmp_path / "nothing.mp4"))


def test_decoding_streams_without_holding_all_frames(tmp_path, photos):
    # The generator yields the first second before the file is decoded to its end.
    path = write_video(tmp_path / "movie.mkv", photos * 3, fps=FPS)
    frames = iter_frames(path)
    t, _ = next(frames)
    assert t == 0
    frames.close()


def test_audio_longer_than_video_is_not_truncation(tmp_path, photos):
    path = write_video(tmp_path / "long_audio.mkv", photos, fps=FPS, audio=tone(7.2, 16000))
    assert [t for t, _ in iter_frames(path)] == [0, 1, 2, 3]
    assert len(list(iter_audio_windows(path, sample_rate=16000, window=16000))) == 7


def test_max_side_shrinks_keeping_aspect(tmp_path, photos):
    path = write_video(tmp_path / "movie.mp4", photos, fps=FPS)
    frames = [frame for _, frame in iter_frames(path, max_side=80)]
    assert frames[0].shape == (60, 80, 3)


def test_a_long_still_frame_is_streamed(tmp_path, photos):
    # Two frames 40 s apart: the seconds in between are yielded one by one, not accumulated.
    path = write_video(tmp_path / "still.mkv", photos[:1] * 41, frame_times=[0.0, 40.0, 40.2])
    chosen = _iter_chosen_frames(str(path), True)  # the generator behind iter_frames
    [next(chosen) for _ in range(3)]
    assert len(chosen.gi_frame.f_locals["ready"]) <= 1
    frames = iter_frames(path)
    first = [next(frames) for _ in range(3)]
    assert [t for t, _ in first] == [0, 1, 2]
    rest = list(frames)
    # The movie ends at 40.4 s (last frame: 40.2 s + the 0.2 s interval before it): 40 whole seconds.
    assert [t for t, _ in first + rest] == list(range(40))
    assert all(read_index(f) == 0 for _, f in first + rest)
