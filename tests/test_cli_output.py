"""What the command line prints: quiet native logs, one-line warnings, one error path (``--debug``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion import cli
from sklearn_emotion.cli._quiet import NATIVE_LOG
from sklearn_emotion.files import save_features

sys.path.insert(0, os.path.dirname(__file__))
from media_videos import photo, tone, write_video  # noqa: E402

# Real lines these libraries wrote to standard error during `extract` (TensorFlow 2.21, LiteRT, MediaPipe).
NOISE = [
    "I0000 00:00:1795940985.446924   21690 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "W0000 00:00:1795941972.045441   18513 inference_runner_litert.cc:1433] Input tensor memory is not aligned "
    "according to LiteRt's memory alignment requirements. Reallocating memory and copying data.",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    "INFO: [accelerator_registry.cc:43] DestroyAccelerator: ptr=0x7f8470004600, name=CpuAccelerator",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "WARNING: Logging before InitGoogle() is written to STDERR",
]
KEPT = [
    "E0000 00:00:1795941972.045441   18513 model.cc:12] Failed to load the model file.",
    "sklearn-emotion extract: error: movie.mp4: cannot open",
    "warning: movie_0: features have 30 rows, annotations 25",
    "Traceback (most recent call last):",
]


def test_the_filter_drops_native_logs_and_keeps_errors():
    assert all(NATIVE_LOG.match(line) for line in NOISE)
    assert not any(NATIVE_LOG.match(line) for line in KEPT)


def _cli(*argv, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SKLEARN_EMOTION_WEIGHTS": ""}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell: no log settings
    return subprocess.run([sys.executable, "-m", "sklearn_emotion", *map(os.fspath, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.subprocess
def test_extract_is_quiet_unless_verbose(tmp_path, shared_weights):
    photos = [photo(name, (160, 120)) for name in ("astronaut", "chelsea", "coffee")]
    movie = write_video(tmp_path / "movie.mp4", photos, fps=1, audio=tone(3, 16000))
    quiet = _cli("extract", movie, "-o", "quiet", "--weights-dir", shared_weights, "--no-progress", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.strip() == "", quiet.stderr
    verbose = _cli("extract", movie, "-o", "verbose", "--weights-dir", shared_weights, "--no-progress", "--verbose",
                   cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert any(NATIVE_LOG.match(line) for line in verbose.stderr.splitlines())  # what the filter hides


@pytest.mark.subprocess
def test_warnings_are_one_line_without_source_location(tmp_path):
    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir()
    rng = np.random.default_rng(0)
    for index in range(2):
        save_features(features / f"movie_{index}.npz", {"image": rng.normal(size=(30, 3)).astype(np.float32)})
        rows = ["Time,Valence,Arousal"] + [f"{t},{rng.uniform(-1, 1):.3f},{rng.uniform(-1, 1):.3f}" for t in range(29)]
        (annotations / f"movie_{index}.csv").write_text("\n".join(rows) + "\n")
    result = _cli("fit", features, annotations, "-o", "model", "--model", "baseline", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("warning: ") for line in lines), result.stderr
    assert "movie_0" in result.stderr and ".py:" not in result.stderr


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    def broken(args):
        raise KeyError("feature_spec")

    monkeypatch.setattr(cli.evaluate, "run", broken)
    assert cli.main(["evaluate", "predictions", "annotations"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("sklearn-emotion evaluate: error: unexpected KeyError: 'feature_spec' "
                           "(--debug shows the traceback)")
    assert cli.main(["evaluate", "predictions", "annotations", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.rstrip().endswith("(--debug shows the traceback)")


@pytest.mark.parametrize("error", [ValueError("movie.mp4: cannot decode"), OSError("disk full")])
def test_expected_errors_are_their_message(capsys, monkeypatch, error):
    def broken(args):
        raise error

    monkeypatch.setattr(cli.evaluate, "run", broken)
    assert cli.main(["evaluate", "predictions", "annotations"]) == 1
    assert capsys.readouterr().err == f"sklearn-emotion evaluate: error: {error}\n"


@pytest.mark.subprocess
def test_files_written_by_the_commands_follow_the_umask(tmp_path):
    """Every file extract, fit and predict write is 0644 under umask 022, like any program's."""
    photos = [photo(name, (160, 120)) for name in ("astronaut", "chelsea", "coffee")]
    movies = tmp_path / "movies"
    movies.mkdir()
    for index in range(2):
        write_video(movies / f"movie_{index}.mp4", photos * 3, fps=1, audio=tone(9, 16000, 300.0 + 100 * index))
        rows = ["Time,Valence,Arousal"] + [f"{t},{0.1 * index:.2f},{-0.1:.2f}" for t in range(9)]
        (movies / f"movie_{index}.csv").write_text("\n".join(rows) + "\n")

    def run(*argv):
        env = {**os.environ, "SKLEARN_EMOTION_WEIGHTS": ""}
        result = subprocess.run([sys.executable, "-m", "sklearn_emotion", *map(os.fspath, argv), "--no-progress"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                                preexec_fn=lambda: os.umask(0o022))
        assert result.returncode == 0, result.stderr

    run("extract", movies, "-o", "features")
    run("fit", "features", movies, "-o", "model.skops", "--model", "baseline")
    run("predict", "model.skops", "features", "-o", "predictions")
    written = [tmp_path / "model.skops", *(tmp_path / "features").rglob("*"), *(tmp_path / "predictions").rglob("*")]
    files = [path for path in written if path.is_file() and path.name != ".features.lock"]
    assert len(files) >= 2 + 2 + 1 + 2 + 2 + 1  # npz, records, manifest, csv, png, predictions.json
    modes = {path.relative_to(tmp_path).as_posix(): oct(path.stat().st_mode & 0o777) for path in files}
    assert set(modes.values()) == {"0o644"}, modes
