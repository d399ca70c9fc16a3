"""The README's Python example runs as written, and its model beats predicting the mean on held-out movies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.demo import DemoConfig, make_corpus
from sklearn_emotion.extraction import default_feature_spec, extract_features
from sklearn_emotion.files import save_features
from sklearn_emotion.metrics import movie_mean_squared_error

README = Path(__file__).resolve().parents[1] / "README.md"
#: Six generated movies of 30-40 s: the README's three folds train on four each.
CORPUS = DemoConfig(n_movies=6, min_seconds=30, max_seconds=40)


def readme_python() -> str:
    """The README's ```python blocks, in order, as one program."""
    blocks = re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"), flags=re.M | re.S)
    assert blocks, f"{README} has no ```python block"
    return "\n".join(blocks)


def test_the_readme_example_is_valid_python():
    compile(readme_python(), str(README), "exec")


@pytest.fixture(scope="module")
def demo_folders(tmp_path_factory) -> Path:
    """``features/`` (weight-free, as ``extract`` writes them) and ``annotations/`` of the demo's movies."""
    root = tmp_path_factory.mktemp("readme")
    movies = make_corpus(root / "corpus", CORPUS, random_state=0)
    with pytest.MonkeyPatch.context() as patch:  # no ../shared/weights from here, and the tests' cache is empty:
        patch.chdir(root)                         # weight-free image and audio, as the README says
        patch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
        spec, _ = default_feature_spec(None)
    assert {options.get("backbone") for options in spec.values()} <= {"colour-layout", "descriptors"}, spec
    (root / "annotations").mkdir()
    for movie, features in zip(movies, extract_features([m.video for m in movies], spec)):
        save_features(root / "features" / f"{movie.name}.npz", features)
        shutil.copy(movie.annotations, root / "annotations")
    return root


@pytest.mark.keras
def test_the_readme_model_beats_the_mean_on_held_out_movies(demo_folders, monkeypatch):
    monkeypatch.chdir(demo_folders)
    namespace: dict = {}
    exec(compile(readme_python(), str(README), "exec"), namespace)  # as written: default settings

    X, y, folds, scores = namespace["X"], namespace["y"], namespace["folds"], namespace["scores"]
    assert len(X) == CORPUS.n_movies and len(scores) == folds.get_n_splits()
    constant = []  # each fold's training-set mean, scored on the same held-out movies
    for train, test in folds.split(X):
        level = np.nanmean(np.concatenate([y[i] for i in train]), axis=0)
        truth = [y[i] for i in test]
        constant.append(-movie_mean_squared_error(truth, [np.tile(level, (len(t), 1)) for t in truth],
                                                  multioutput="uniform_average"))
    print(f"README model: held-out MSE {-np.mean(scores):.3f} per fold {-scores}; training mean: "
          f"{-np.mean(constant):.3f} per fold {-np.array(constant)}")  # the README's figures (pytest -s)
    assert np.all(scores > np.array(constant)), f"README model {scores} vs the training mean {constant} (neg MSE)"
