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

#: The names show_versions prints, in its order: TENSORFLOW stands for the line(s) of the distribution(s)
#: installing TensorFlow, between scikit-learn and keras (one or more).
NAMES = ["sklearn-emotion", "Python", "platform", "scikit-learn", "TENSORFLOW", "keras", "av", "FFmpeg", "mediapipe",
         "librosa", "opensmile", "dask", "ai-edge-litert", "numpy", "scipy", "device"]


def _lines(text: str) -> dict[str, str]:
    pairs = [line.split(": ", 1) for line in text.splitlines()]
    assert all(len(pair) == 2 for pair in pairs), text  # every line is "name: version"
    return dict(pairs)


def _tensorflow_names(lines: dict[str, str]) -> list[str]:
    """The names of the TensorFlow line(s): those between scikit-learn and keras."""
    names = list(lines)
    return names[names.index("scikit-learn") + 1:names.index("keras")]


def _shape(lines: dict[str, str]) -> list[str]:
    """The names printed, the TensorFlow line(s) as one TENSORFLOW (compared with NAMES)."""
    tensorflow = _tensorflow_names(lines)
    names = [name for name in lines if name not in tensorflow]
    return names[:names.index("keras")] + ["TENSORFLOW"] * bool(tensorflow) + names[names.index("keras"):]


@pytest.fixture
def fake_device(monkeypatch):
    """The device line without importing TensorFlow (the subprocess test below checks the real one)."""
    monkeypatch.setattr(_show_versions, "_device", lambda: "DEVICE-LINE")


def test_one_line_per_name_with_the_installed_versions(capsys, fake_device):
    assert sklearn_emotion.show_versions is _show_versions.show_versions
    assert sklearn_emotion.show_versions() is None
    lines = _lines(capsys.readouterr().out)
    assert _shape(lines) == NAMES
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
    providers = importlib.metadata.packages_distributions().get("tensorflow", [])
    expected = {name.replace("_", "-").lower(): importlib.metadata.version(name) for name in providers}
    assert {name: lines[name] for name in _tensorflow_names(lines)} == (expected or {"tensorflow": "not installed"})
    assert lines["device"] == "DEVICE-LINE"


def test_every_tensorflow_build_installed_gets_its_line(capsys, monkeypatch, fake_device):
    # builds no fixed list names, and two at once (a broken environment): one line each, named as on PyPI
    versions = {"intel_tensorflow": "2.14.0", "tensorflow-rocm": "2.16.1"}
    real_version = importlib.metadata.version
    real_packages = importlib.metadata.packages_distributions()
    monkeypatch.setattr(importlib.metadata, "packages_distributions",
                        lambda: {**real_packages, "tensorflow": list(versions)})
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: versions.get(name.replace("-", "_"), versions.get(name)) or real_version(name))
    sklearn_emotion.show_versions()
    lines = _lines(capsys.readouterr().out)
    assert _shape(lines) == NAMES
    assert {name: lines[name] for name in _tensorflow_names(lines)} == {"intel-tensorflow": "2.14.0",
                                                                       "tensorflow-rocm": "2.16.1"}


def test_ffmpeg_line_gives_pyav_library_versions(capsys, fake_device):
    av = pytest.importorskip("av")
    sklearn_emotion.show_versions()
    ffmpeg = _lines(capsys.readouterr().out)["FFmpeg"]
    major, minor, micro = av.library_versions["libavcodec"]
    assert f"libavcodec {major}.{minor}.{micro}" in ffmpeg
    assert ffmpeg.startswith(str(av.ffmpeg_version_info))


def test_missing_packages_read_not_installed(capsys, monkeypatch, fake_device):
    real_version = importlib.metadata.version
    missing = {"av", "opensmile"}
    real_packages = importlib.metadata.packages_distributions()
    monkeypatch.setattr(importlib.metadata, "packages_distributions",
                        lambda: {name: providers for name, providers in real_packages.items() if name != "tensorflow"})

    def version(name: str) -> str:
        if name in missing:
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    sklearn_emotion.show_versions()
    lines = _lines(capsys.readouterr().out)
    assert _tensorflow_names(lines) == ["tensorflow"]
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
    assert _shape(lines) == NAMES
    if lines[_tensorflow_names(lines)[0]] != "not installed":
        assert lines["device"].startswith("Keras networks run on ")
    assert result.stderr == ""  # TensorFlow's start-up lines hidden, even with --verbose
