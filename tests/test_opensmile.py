"""openSMILE audio functionals (the MediaEval baseline's audio features) through AudioEmbedder and the CLI.

Every row is checked against ``opensmile.Smile(...).process_signal`` run on exactly the samples of
that second's centred window, cut here from the whole decoded track.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("av")

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_audio, write_video  # noqa: E402
from opensmile_reference import opensmile_rows  # noqa: E402

from sklearn_emotion.media import AudioEmbedder, MissingStreamError  # noqa: E402
from sklearn_emotion.media.audio import SilenceWarning, audio_backbone  # noqa: E402
from sklearn_emotion.media.decoding import read_audio  # noqa: E402
from sklearn_emotion.media.opensmile_features import (  # noqa: E402
    OPENSMILE_FEATURE_SETS,
    iter_centred_windows,
    require_opensmile,
    window_layout,
)

RATE = 16000
SIZES = {"egemaps": 88, "compare": 6373, "emobase": 988, "is10": 1582}


@pytest.fixture(scope="module")
def opensmile():
    # Through the package, which loads openSMILE's library safely beside TensorFlow (see the last test).
    try:
        return require_opensmile()
    except ImportError:
        pytest.skip("the optional opensmile package is not installed")


def reference_rows(opensmile, name: str, waveform: np.ndarray, before: float = 2, after: float = 3) -> np.ndarray:
    """What the issue asks for, written out: second t <- functionals of [t - before, t + after) s, clipped."""
    windows = [waveform[max(0, round((t - before) * RATE)) : min(len(waveform), round((t + after) * RATE))]
               for t in range(len(waveform) // RATE)]
    return opensmile_rows(OPENSMILE_FEATURE_SETS[name], windows, RATE)[0]


def varied_sound(seconds: float, seed: int = 0) -> np.ndarray:
    """A gliding, amplitude-modulated harmonic tone over noise: every second sounds different."""
    t = np.arange(round(seconds * RATE)) / RATE
    pitch = 120 + 40 * t + 30 * np.sin(2 * np.pi * 0.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 6)) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t) ** 2)
    noise = np.random.default_rng(seed).normal(scale=0.02, size=len(t))
    return (0.2 * voiced + noise).astype(np.float32)


@pytest.fixture(scope="module")
def sound():
    return varied_sound(7.4)  # 7 whole seconds and a partial one


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
@pytest.mark.parametrize("name", sorted(OPENSMILE_FEATURE_SETS))
def test_rows_equal_the_opensmile_reference(opensmile, sound, name):
    embedder = AudioEmbedder(name)
    (rows,) = embedder.transform([(sound, RATE)])
    expected = reference_rows(opensmile, name, sound)
    assert rows.shape == expected.shape == (7, SIZES[name]) and rows.dtype == np.float32
    np.testing.assert_allclose(rows, expected, rtol=1e-6, atol=1e-7)
    names = list(embedder.get_feature_names_out())
    assert names == [f"audio_{n}" for n in opensmile_rows(OPENSMILE_FEATURE_SETS[name], [sound[:RATE]], RATE)[1]]
    # The window layout matters: a window starting at the second (not centred) gives other rows.
    assert not np.allclose(rows[3:5], reference_rows(opensmile, name, sound, before=0, after=5)[3:5])


def test_egemaps_names_and_the_window_layout(opensmile):
    names = AudioEmbedder("egemaps").get_feature_names_out()
    assert len(names) == 88 and "audio_F0semitoneFrom27.5Hz_sma3nz_amean" in names
    assert window_layout(5) == (-2 * RATE, 5 * RATE) and window_layout(1) == (0, RATE)
    assert window_layout(2) == (-RATE // 2, 2 * RATE)
    with pytest.raises(ValueError, match="'window' parameter of AudioEmbedder"):
        AudioEmbedder("egemaps", window=0.5).fit()


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
def test_the_window_parameter_gives_the_rows_of_its_windows(opensmile, sound):
    (three,) = AudioEmbedder("egemaps", window=3).transform([(sound, RATE)])
    np.testing.assert_allclose(three, reference_rows(opensmile, "egemaps", sound, 1, 2), rtol=1e-6, atol=1e-7)
    (two,) = AudioEmbedder("egemaps", window=2.0).transform([(sound, RATE)])
    np.testing.assert_allclose(two, reference_rows(opensmile, "egemaps", sound, 0.5, 1.5), rtol=1e-6, atol=1e-7)


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
def test_a_real_song_file_streams_to_the_reference(opensmile, shared_data, tmp_path):
    song = shared_data / "emomusic" / "audio" / "2.mp3"
    clip = read_audio(song, sample_rate=RATE)[: int(11.5 * RATE)]
    path = write_audio(tmp_path / "clip.wav", clip)  # 16-bit PCM: decoding it gives the samples exactly
    decoded = read_audio(path, sample_rate=RATE)
    (rows,) = AudioEmbedder("egemaps", batch_size=4).transform([path])
    np.testing.assert_allclose(rows, reference_rows(opensmile, "egemaps", decoded), rtol=1e-6, atol=1e-7)
    assert rows.shape == (11, 88) and np.ptp(rows, axis=0).max() > 0


@pytest.mark.parametrize("window", [5.0, 1.0, 2.0, 8.0])
def test_streamed_windows_are_slices_of_the_track(tmp_path, window):
    waveform = varied_sound(13.7, seed=1)
    path = write_audio(tmp_path / "long.wav", waveform)
    track = read_audio(path, sample_rate=RATE)
    start, length = window_layout(window)
    streamed = list(iter_centred_windows(path, sample_rate=RATE, start=start, length=length))
    in_memory = list(iter_centred_windows((track, RATE), sample_rate=RATE, start=start, length=length))
    assert [t for t, _ in streamed] == [t for t, _ in in_memory] == list(range(13))
    for t, samples in streamed:
        begin = max(0, t * RATE + start)
        np.testing.assert_array_equal(samples, track[begin : t * RATE + start + length])
        np.testing.assert_array_equal(samples, in_memory[t][1])
    assert len(streamed[-1][1]) == min(len(track), 12 * RATE + start + length) - (12 * RATE + start)


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
def test_audio_of_a_movie_and_silence(opensmile, tmp_path):
    frames = [photo("coffee", (160, 120))] * 4
    movie = write_video(tmp_path / "movie.mp4", frames, audio=varied_sound(4))
    (rows,) = AudioEmbedder("emobase").transform([movie])
    decoded = read_audio(movie, sample_rate=RATE)
    np.testing.assert_allclose(rows, reference_rows(opensmile, "emobase", decoded), rtol=1e-6, atol=1e-7)
    mute = write_video(tmp_path / "mute.mp4", frames)
    with pytest.raises(MissingStreamError, match="mute.mp4"):
        AudioEmbedder("emobase").transform([mute])
    with pytest.warns(SilenceWarning, match="mute.mp4"):
        (silent,) = AudioEmbedder("emobase", missing_audio="silence").transform([mute])
    assert silent.shape == (4, 988)
    model = audio_backbone("emobase")
    np.testing.assert_array_equal(silent, np.repeat(model.embed([np.zeros(5 * RATE, np.float32)]), 4, axis=0))


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
def test_full_scale_samples_do_not_wrap(opensmile):
    # openSMILE reads 16-bit integers (x * 32768): a sample of +1.0 would wrap to -32768.
    square = np.where(np.sin(2 * np.pi * 200 * np.arange(3 * RATE) / RATE) >= 0, 1.0, -1.0).astype(np.float32)
    (rows,) = AudioEmbedder("egemaps").transform([(square, RATE)])
    expected = reference_rows(opensmile, "egemaps", np.clip(square, -1, 32767 / 32768))
    np.testing.assert_allclose(rows, expected, rtol=1e-6, atol=1e-7)


def test_cache_keys_follow_the_window_and_the_opensmile_release(opensmile, sound, tmp_path):
    description = AudioEmbedder("egemaps").cache_description()
    assert description["window"] == 5.0 and description["opensmile"] == opensmile.__version__
    assert "weights" not in description and "pca_params" not in description
    assert AudioEmbedder("egemaps", window=3).cache_description() != description
    assert "window" not in AudioEmbedder("descriptors").cache_description()
    cached = AudioEmbedder("egemaps", cache_dir=tmp_path)
    first, again = cached.transform([(sound, RATE)])[0], cached.transform([(sound, RATE)])[0]
    np.testing.assert_array_equal(first, again)
    assert len(list(tmp_path.rglob("*.npy"))) == 1


def test_without_the_opensmile_package_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "opensmile", None)  # import opensmile now raises ImportError
    embedder = AudioEmbedder("compare", window=4.25)  # a window no other test loads (per-process model cache)
    for call in (lambda: embedder.transform([(tone(2, RATE), RATE)]), embedder.get_feature_names_out):
        with pytest.raises(ImportError, match=r'sklearn-emotion\[opensmile\].*research, teaching and personal use'):
            call()


@pytest.mark.subprocess  # the reference rows come from openSMILE in a fresh interpreter
def test_extract_command_with_opensmile_audio(opensmile, tmp_path, monkeypatch, capsys):
    from sklearn_emotion.cli import main
    from sklearn_emotion.files import load_features

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    songs = tmp_path / "songs"
    songs.mkdir()
    write_audio(songs / "song.wav", varied_sound(6.5, seed=2))
    code = main(["extract", os.fspath(songs), "-o", "features", "--image", "none", "--face", "none",
                 "--audio", "compare", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    arrays = load_features(Path("features") / "song.npz")
    assert list(arrays) == ["audio"]
    decoded = read_audio(songs / "song.wav", sample_rate=RATE)
    np.testing.assert_allclose(arrays["audio"], reference_rows(opensmile, "compare", decoded), rtol=1e-6, atol=1e-7)


@pytest.mark.subprocess  # a fresh interpreter
def test_opensmile_after_tensorflow_does_not_crash(opensmile):  # a fresh interpreter: 4-20 s
    """TensorFlow exports FFT functions named as openSMILE's: loaded after it, openSMILE used to abort."""
    pytest.importorskip("tensorflow")
    import subprocess

    script = (
        "import numpy as np, tensorflow\n"
        "from sklearn_emotion.media import AudioEmbedder\n"
        "t = np.arange(3 * 16000) / 16000\n"
        "wave = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)\n"
        "rows = AudioEmbedder('egemaps').transform([(wave, 16000)])[0]\n"
        "print(rows.shape, np.isfinite(rows).sum())\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300,
                         env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "(3, 88)" in run.stdout
