"""Shared test configuration: private KERAS_HOME and model cache, quiet TensorFlow, and the shared real data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before TensorFlow or Keras is imported by any test module.
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="keras-home-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# An empty model cache and no mirror: a developer's downloaded models must not change what tests see.
os.environ["SKLEARN_EMOTION_HOME"] = tempfile.mkdtemp(prefix="sklearn-emotion-home-")
os.environ.pop("SKLEARN_EMOTION_MODEL_MIRROR", None)

REPO_DIR = Path(__file__).resolve().parents[1]
#: ``../shared`` beside the repository: real annotations, audio and small pretrained models.
SHARED_DIR = Path(os.environ.get("SKLEARN_EMOTION_SHARED", REPO_DIR.parent / "shared"))


def _shared_subdir(name: str) -> Path:
    path = SHARED_DIR / name
    if not path.is_dir():
        pytest.skip(f"shared folder {path} is absent: the real {name} are only available beside the repository")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (LIRIS-ACCEDE annotations, emoMusic); skips when absent."""
    return _shared_subdir("data")


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    """``../shared/weights`` (BlazeFace, FaceMesh, MobileNet, YAMNet, FER); skips when absent."""
    return _shared_subdir("weights")


#: Categories of costly tests (pyproject.toml describes each); every test in one is also ``slow``.
SLOW_CATEGORIES = ("keras", "subprocess", "distributed", "browser")


@pytest.hookimpl(tryfirst=True)  # before the -m selection sees the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add ``slow`` to every test marked with a category, so ``-m "not slow"`` leaves them all out."""
    for item in items:
        if item.get_closest_marker("slow") is None and any(item.get_closest_marker(c) for c in SLOW_CATEGORIES):
            item.add_marker(pytest.mark.slow)
