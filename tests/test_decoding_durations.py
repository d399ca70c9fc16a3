"""Files declaring absurd durations are refused at once, not after hours of one still frame (issue 19, item 9)."""

from __future__ import annotations

import os
import sys
import threading
import time
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_vfr_video, write_video  # noqa: E402

from sklearn_emotion.media import decoding  # noqa: E402
from sklearn_emotion.media.decoding import FrameRequest, MediaDecodeError, iter_frames  # noqa: E402
from sklearn_emotion.media.stages import AudioStage, VideoStage, extract_movie  # noqa: E402


class _Counting:
    """An embedder that counts the frames (or seconds) it is given."""

    def __init__(self, delay: float = 0.0):
        self.count = 0
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, batch: list) -> np.ndarray:
        with self._lock:
            self.count += len(batch)
        time.sleep(self.delay)
        return np.zeros((len(batch), 2), dtype=np.float32)


def _bomb(path, suffix=".mp4"):
    """A tiny file whose frames jump to 36,000 s (10 h of one still frame) beside 2 s of audio."""
    # Milliseconds: 36,000 s in 1/90000 units would overflow MP4's 32-bit sample durations.
    return write_vfr_video(path.with_suffix(suffix), [0.0, 1.0, 36000.0], end=36001.0, size=(32, 32),
                           audio=tone(2, 16000), time_base=Fraction(1, 1000))


def _counted_conversions(monkeypatch, limit: int = 100) -> list:
    """Count the frames converted; more than ``limit`` fails (the old decoder converted 36,000)."""
    converted = []
    real = decoding._frame_to_rgb

    def convert(frame, request):
        converted.append(1)
        if len(converted) > limit:
            raise RuntimeError(f"more than {limit} frames converted")
        return real(frame, request)

    monkeypatch.setattr(decoding, "_frame_to_rgb", convert)
    return converted


def _stages(image, audio):
    return {"image": VideoStage(FrameRequest(size=(8, 8)), image, 4),
            "audio": AudioStage(lambda movie, name, on_seconds: audio(list(range(2))))}


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_video_declared_hours_longer_than_audio_is_refused_before_decoding(tmp_path, monkeypatch, suffix):
    # Regression: 36,000 copies of one frame were converted and embedded (11 min) before the length rule.
    path = _bomb(tmp_path / "bomb", suffix)
    assert path.stat().st_size < 20_000 and decoding.probe(path).video_duration == pytest.approx(36001)
    converted = _counted_conversions(monkeypatch)
    image, audio = _Counting(), _Counting()
    with pytest.raises(ValueError, match=rf"bomb\{suffix}.*declares 36001\.0 s.*audio 2\.\d s.*before decoding"):
        extract_movie(path, _stages(image, audio), max_length_difference=1)
    assert converted == [] and image.count == 0 and audio.count == 0


def test_extract_refuses_the_file_naming_it_without_converting_a_frame(tmp_path, monkeypatch, capsys):
    from sklearn_emotion.cli import main

    path = _bomb(tmp_path / "bomb", ".mkv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    converted = _counted_conversions(monkeypatch)
    code = main(["extract", str(path), "-o", "out", "--image", "colour-layout", "--audio", "descriptors",
                 "--face", "none", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED" in captured.out and "bomb.mkv" in captured.err and "declares 36001.0 s" in captured.err
    assert converted == []


def _lying_mkv(tmp_path):
    """A video-only mkv whose frames jump to 36,000 s but whose headers say it lasts 2 s."""
    path = write_vfr_video(tmp_path / "liar.mkv", [0.0, 1.0, 36000.0], end=36001.0, size=(32, 32))
    data = path.read_bytes()
    # Segment duration (EBML 0x4489, a double in milliseconds) and the track's DURATION tag.
    import struct

    old_duration = b"\x44\x89\x88" + struct.pack(">d", 36001000.0)
    assert data.count(old_duration) == 1
    data = data.replace(old_duration, b"\x44\x89\x88" + struct.pack(">d", 2000.0))
    data = data.replace(b"10:00:01.000000000", b"00:00:02.000000000")
    path.write_bytes(data)
    return path


def test_a_stream_running_far_past_its_declared_end_is_refused(tmp_path):
    path = _lying_mkv(tmp_path)
    info = decoding.probe(path)
    assert info.duration == pytest.approx(2.0) and not info.has_audio
    seconds = []
    with pytest.raises(MediaDecodeError, match=r"liar\.mkv.*frame at 36000\.0 s.*declares at most 2\.0 s"):
        for t, _ in iter_frames(path):
            seconds.append(t)
            if len(seconds) > 100:
                pytest.fail("the decoder repeats the frame for every second up to 36,000 s")
    assert len(seconds) <= 1  # not 36,000 copies of the frame of 1 s


def test_a_modality_far_past_a_finished_one_is_stopped(tmp_path):
    # Decoded content, not headers: the audio is done at 2 s, so an 80-s video cannot pass the length rule.
    path = write_video(tmp_path / "movie.mkv", [photo("coffee", (32, 32))] * 80, fps=1)
    image = _Counting(delay=0.01)
    stages = {"image": VideoStage(FrameRequest(size=(8, 8)), image, 1),
              "audio": AudioStage(lambda movie, name, on_seconds: np.zeros((2, 3), np.float32))}
    with pytest.raises(ValueError, match=r"movie\.mkv.*audio has 2 s and image already"):
        extract_movie(path, stages, max_length_difference=1)
    assert image.count < 80
    # Without the rule (a lone embedder), every second is embedded.
    image = _Counting()
    out = extract_movie(path, {"image": VideoStage(FrameRequest(size=(8, 8)), image, 4)}, max_length_difference=1)
    assert out["image"].shape == (80, 2)


def test_declared_lengths_within_the_margin_are_left_to_the_length_rule(tmp_path):
    # A second of difference (rounding, a muxer's audio padding) is no reason to refuse before decoding.
    path = write_video(tmp_path / "movie.mp4", [photo("chelsea", (64, 48))] * 6, fps=2, audio=tone(5, 16000))
    video = _Counting()
    stages = {"image": VideoStage(FrameRequest(size=(8, 8)), video, 4),
              "audio": AudioStage(lambda movie, name, on_seconds: np.zeros((5, 3), np.float32))}
    out = extract_movie(path, stages, max_length_difference=1)
    assert out["image"].shape[0] == 6 and out["audio"].shape[0] == 5
