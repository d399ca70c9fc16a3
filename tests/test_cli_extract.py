"""`sklearn-emotion extract` on a real corpus: failures, interruptions, replaced files, audio-only, concurrency."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_audio, write_video  # noqa: E402

from sklearn_emotion.cli import main  # noqa: E402
from sklearn_emotion.files import load_features  # noqa: E402

SIZE = (160, 120)
RATE = 16000


def _movie(path: Path, seconds: int, frequency: float = 440.0, audio: bool = True, size: tuple = SIZE,
           fps: int = 1) -> Path:
    photos = [photo(name, size) for name in ("astronaut", "chelsea", "coffee")]
    per_second = [photos[(t // 3) % 3] for t in range(seconds)]  # one photo per second, shown fps times
    return write_video(path, per_second, fps=fps, audio=tone(seconds, RATE, frequency) if audio else None)


@pytest.fixture
def weight_free(tmp_path, monkeypatch):
    """Run from an empty folder without a weights folder: fast, deterministic weight-free features."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    return work


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return [_movie(folder / f"movie_{i}.mp4", 6 + i, 300.0 + 40 * i) for i in range(3)]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([os.fspath(a) for a in argv] + ["--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "features.json").read_text())


def _cli(*argv, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "SKLEARN_EMOTION_WEIGHTS": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "sklearn_emotion", "extract", *map(os.fspath, argv), "--no-progress"]
    # As a program started from a terminal: Ctrl-C interrupts it, even when this test process was started
    # in the background by a shell that made it ignore SIGINT (a child inherits that, and Python keeps it).
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_a_corrupt_movie_fails_alone_and_is_named(weight_free, corpus, capsys):
    folder = weight_free / "movies"
    folder.mkdir()
    for movie in corpus:
        shutil.copy(movie, folder)
    (folder / "broken.mp4").write_bytes(corpus[0].read_bytes()[: 3000])  # a cut download
    code, out, err = _run(capsys, "extract", folder, "-o", "features")
    assert code == 1
    assert "1 movie(s) failed" in err and "broken.mp4" in err and "rerun to retry" in err
    assert "FAILED" in out and "Features of 3 of 4 movie(s)" in out
    assert "Keras networks run on" in out  # the device line
    for movie in corpus:
        assert (weight_free / "features" / f"{movie.stem}.npz").is_file()
    assert sorted(_manifest(weight_free / "features")["movies"]) == [m.stem for m in corpus]
    # The rerun does only the failed movie (and fails on it again).
    code, out, err = _run(capsys, "extract", folder, "-o", "features")
    assert code == 1 and "3 movie(s) already extracted" in out and "Extracting 1 movie(s)" in out


@pytest.mark.subprocess
def test_an_interrupted_run_resumes_to_the_same_features(weight_free):
    movies = weight_free / "movies"
    movies.mkdir()
    # Long enough (several seconds each, even on a busy machine) that the interruption lands while later
    # movies are still to do, however late this process gets to notice the first feature file.
    for i in range(6):
        _movie(movies / f"long_{i}.mp4", 120, 250.0 + 30 * i, size=(480, 360), fps=4)
    reference = _cli(movies, "-o", "reference", cwd=weight_free)
    assert reference.wait(timeout=300) == 0, reference.stderr.read()[-2000:]
    run = _cli(movies, "-o", "features", cwd=weight_free)
    deadline = time.monotonic() + 240
    while not list((weight_free / "features").glob("*.npz")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130 and "interrupted" in err
    kept = sorted(p.stem for p in (weight_free / "features").glob("*.npz"))
    assert 1 <= len(kept) < 6  # the first movie is kept, not all were done
    assert sorted(_manifest(weight_free / "features")["movies"]) == kept
    rerun = _cli(movies, "-o", "features", cwd=weight_free)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err[-2000:]
    assert f"{len(kept)} movie(s) already extracted" in out
    for i in range(6):
        resumed = load_features(weight_free / "features" / f"long_{i}.npz")
        expected = load_features(weight_free / "reference" / f"long_{i}.npz")
        assert resumed.keys() == expected.keys()
        for modality in expected:
            np.testing.assert_array_equal(resumed[modality], expected[modality])


def test_a_replaced_video_is_extracted_again(weight_free, corpus, capsys):
    folder = weight_free / "movies"
    folder.mkdir()
    shutil.copy(corpus[0], folder / "scene.mp4")
    assert _run(capsys, "extract", folder, "-o", "features")[0] == 0
    before = load_features(weight_free / "features" / "scene.npz")
    shutil.copy(corpus[2], folder / "scene.mp4")  # same name, other content
    code, out, _ = _run(capsys, "extract", folder, "-o", "features")
    assert code == 0 and "already extracted" not in out and "Extracting 1 movie(s)" in out
    after = load_features(weight_free / "features" / "scene.npz")
    assert after["image"].shape[0] == 8 != before["image"].shape[0]
    record = _manifest(weight_free / "features")["movies"]["scene"]
    from sklearn_emotion.media.cache import content_digest

    assert record["content"] == content_digest(folder / "scene.mp4") and record["seconds"] == 8


def test_a_mute_video_fails_alone_unless_silence_is_asked_for(weight_free, corpus, capsys):
    folder = weight_free / "movies"
    folder.mkdir()
    shutil.copy(corpus[0], folder)
    _movie(folder / "mute.mp4", 5, audio=False)
    code, out, err = _run(capsys, "extract", folder, "-o", "features")
    assert code == 1 and "mute.mp4" in err and "no audio track" in err and "--missing-audio silence" in err
    assert (weight_free / "features" / f"{corpus[0].stem}.npz").is_file()
    assert not (weight_free / "features" / "mute.npz").exists()
    with pytest.warns(UserWarning, match=r"mute.mp4 has no audio track"):
        code, out, err = _run(capsys, "extract", folder, "-o", "features", "--missing-audio", "silence")
    assert code == 0, err
    audio = load_features(weight_free / "features" / "mute.npz")["audio"]
    assert audio.shape[0] == 5 and np.ptp(audio, axis=0).max() == 0  # every second is the same silence


def test_an_audio_folder_extracts_audio_only(weight_free, capsys):
    folder = weight_free / "songs"
    folder.mkdir()
    for i, suffix in enumerate((".mp3", ".wav", ".flac")):
        write_audio(folder / f"song_{i}{suffix}", tone(4 + i, RATE, 200.0 * (i + 1)), RATE)
    code, _, err = _run(capsys, "extract", folder, "-o", "features")
    assert code == 1 and "No video file" in err and "--image none --face none" in err
    code, out, err = _run(capsys, "extract", folder, "-o", "features", "--image", "none", "--face", "none")
    assert code == 0, err
    for i in range(3):
        arrays = load_features(weight_free / "features" / f"song_{i}.npz")
        assert list(arrays) == ["audio"] and arrays["audio"].shape == (4 + i, 112)


@pytest.mark.subprocess
def test_two_concurrent_runs_leave_a_complete_manifest(weight_free, corpus):
    halves = [weight_free / "a", weight_free / "b"]
    for half, movies in zip(halves, (corpus[:2], corpus[2:])):
        half.mkdir()
        for movie in movies:
            shutil.copy(movie, half)
    runs = [_cli(half, "-o", "features", cwd=weight_free) for half in halves]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
    manifest = _manifest(weight_free / "features")
    assert sorted(manifest["movies"]) == sorted(m.stem for m in corpus)
    assert all((weight_free / "features" / f"{m.stem}.npz").is_file() for m in corpus)


@pytest.mark.keras
def test_local_weight_files_for_named_backbones(weight_free, corpus, capsys, tmp_path):
    """Offline, --image-weights / --audio-weights / --pca-params take the paper's backbones from local files."""
    import keras

    from sklearn_emotion.media.vggish import build_vggish

    image_weights = tmp_path / "mobilenet_notop.weights.h5"
    keras.applications.MobileNet(include_top=False, pooling="avg", weights=None, input_shape=(224, 224, 3)
                                 ).save_weights(image_weights)
    audio_weights = tmp_path / "vggish.weights.h5"
    build_vggish().save_weights(audio_weights)
    rng = np.random.default_rng(0)
    pca = tmp_path / "vggish_pca_params.npz"
    np.savez(pca, pca_eigen_vectors=np.linalg.qr(rng.normal(size=(128, 128)))[0], pca_means=rng.normal(size=(128, 1)))
    code, _, err = _run(capsys, "extract", corpus[0], "-o", "features", "--image", "MobileNet", "--image-weights",
                        image_weights, "--audio", "vggish", "--audio-weights", audio_weights, "--pca-params", pca)
    assert code == 0, err
    arrays = load_features(weight_free / "features" / f"{corpus[0].stem}.npz")
    assert arrays["image"].shape == (6, 1024) and arrays["audio"].shape == (6, 128)
    spec = _manifest(weight_free / "features")["feature_spec"]
    assert spec["image"]["weights"] == os.fspath(image_weights) and spec["audio"]["pca_params"] == os.fspath(pca)
    code, _, err = _run(capsys, "extract", corpus[0], "-o", "other", "--audio-weights", tmp_path / "missing.h5")
    assert code == 1 and "--audio-weights: file not found" in err


def test_an_unavailable_named_backbone_is_one_line(weight_free, corpus, capsys, monkeypatch):
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(weight_free / "home"))  # nothing cached there
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    code, out, err = _run(capsys, "extract", corpus[0], "-o", "features", "--audio", "vggish")
    assert code == 1 and "Traceback" not in err
    assert "vggish" in err and "--audio-weights" in err and "--pca-params" in err
    # No feature file; the settings recorded before the first movie list no movie (and hold the folder for no one:
    # a folder without feature files takes any settings).
    assert not list((weight_free / "features").glob("*.npz"))
    assert _manifest(weight_free / "features")["movies"] == {}
