"""sklearn_emotion.show_versions and ``sklearn-emotion --version [--verbose]``."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_emotion
from sklearn_emotion import _show_versions
from sklearn_emotion.cli import main

REPO_DIR = Path(__file__).resolve().parents[1]

#: The names show_versions prints, in its order (the TensorFlow line is the build installed).
NAMES = ["sklearn-emotion", "Python", "platform", "scikit-learn", "TENSORFLOW", "keras", "av", "FFmpeg", "mediapipe",
         "librosa", "opensmile", "dask", "ai-edge-litert", "numpy", "scipy", "device"]


def _lines(text: str) -> dict[str, str]:
    pairs = [line.split(": ", 1) for line in text.splitlines()]
    assert all(len(pair) == 2 for pair in pairs), text  # every line is "name: version"
    return dict(pairs)


@pytest.fixture
def fake_device(monkeypatch):
    """The device line without importing TensorFlow (the subprocess test below checks the real one)."""
    monkeypatch.setattr(_show_versions, "_device", lambda: "DEVICE-LINE")


def _tensorflow_name(lines: dict[str, str]) -> str:
    (name,) = [name for name in lines if name in _show_versions._TENSORFLOW_BUILDS]
    return name


def test_one_line_per_name_with_the_installed_versions(capsys, fake_device):
    assert sklearn_emotion.show_versions is _show_versions.show_versions
    assert sklearn_emotion.show_versions() is None
    lines = _lines(capsys.readouterr().out)
    names = [("TENSORFLOW" if name in _show_versions._TENSORFLOW_BUILDS else name) for name in lines]
    assert names == NAMES
    assert lines["sklearn-emotion"] == sklearn_emotion.__version__
    assert lines["Python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert sys.executable in lines["Python"]
    for name in ["scikit-learn", "keras", "av", "mediapipe", "librosa", "numpy", "scipy", "ai-edge-litert",
                 "opensmile", "dask"]:
        try:
            expected = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = "not installed"
        assert lines[name] == expected, name
    tensorflow = _tensorflow_name(lines)
    assert lines[tensorflow] == importlib.metadata.version(tensorflow)
    assert lines["device"] == "DEVICE-LINE"


def test_ffmpeg_line_gives_pyav_library_versions(capsys, fake_device):
    av = pytest.importorskip("av")
    sklearn_emotion.show_versions()
    ffmpeg = _lines(capsys.readouterr().out)["FFmpeg"]
    major, minor, micro = av.library_versions["libavcodec"]
    assert f"libavcodec {major}.{minor}.{micro}" in ffmpeg
    assert ffmpeg.startswith(str(av.ffmpeg_version_info))


def test_missing_packages_read_not_installed(capsys, monkeypatch, fake_device):
    real_version = importlib.metadata.version
    missing = {"av", "opensmile", *_show_versions._TENSORFLOW_BUILDS}

    def version(name: str) -> str:
        if name in missing:
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    sklearn_emotion.show_versions()
    lines = _lines(capsys.readouterr().out)
    assert lines["av"] == lines["FFmpeg"] == lines["opensmile"] == lines["tensorflow"] == "not installed"
    assert lines["numpy"] == real_version("numpy")


def test_device_without_tensorflow_reads_not_installed(monkeypatch):
    real_find_spec = _show_versions.importlib.util.find_spec
    monkeypatch.setattr(_show_versions.importlib.util, "find_spec",
                        lambda name, *args: None if name == "tensorflow" else real_find_spec(name, *args))
    assert _show_versions._device().startswith("not installed")


def test_plain_version_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"sklearn-emotion {sklearn_emotion.__version__}\n"


@pytest.mark.parametrize("argv", [["--version", "--verbose"], ["--verbose", "--version"]])
def test_version_verbose_prints_show_versions_in_either_order(capsys, fake_device, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    sklearn_emotion.show_versions()
    assert out == capsys.readouterr().out
    assert _lines(out)["device"] == "DEVICE-LINE"


def test_verbose_after_a_command_is_that_commands_option(capsys, fake_device):
    # `predict --version` is no option of predict: the usage error, not the versions
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--version", "--verbose"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "sklearn-emotion predict: error:" in captured.err


@pytest.mark.subprocess
def test_installed_command_prints_the_versions_and_the_real_device():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "sklearn_emotion", "--version", "--verbose"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = _lines(result.stdout)
    assert [("TENSORFLOW" if name in _show_versions._TENSORFLOW_BUILDS else name) for name in lines] == NAMES
    if lines[_tensorflow_name(lines)] != "not installed":
        assert lines["device"].startswith("Keras networks run on ")
    assert result.stderr == ""  # TensorFlow's start-up lines hidden, even with --verbose
