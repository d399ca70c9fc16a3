"""Model files run no code: through the real command line, in fresh processes.

* a crafted pickle whose loading would create a file is refused (the file is not created) unless
  ``--trust-model``; the genuine 0.1 model loads with it;
* a skops model file naming a type outside the allow-list is refused in one line naming the type,
  and the type's module is never imported;
* the paper pipeline, ``RunAveragingRegressor``, the baseline and a grid search's
  ``best_estimator_`` predict identically after loading in a new process;
* a model's feature settings name their model files by name and SHA-256: the model predicts a video
  once the files are in another weights folder, and names a missing or changed file in one line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.files import load_features, read_curves, save_features
from sklearn_emotion.persistence import (
    MODEL_FORMAT,
    SavedModel,
    UnsafeModelError,
    allowed_types,
    load_model,
    save_model,
)

REPO_DIR = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


# ------------------------------------------------------------------------------------ helpers
def _env(tmp_path: Path, *extra_paths: Path, **variables: str) -> dict[str, str]:
    """The environment of a fresh ``sklearn-emotion`` process: this checkout, an empty model cache."""
    env = dict(os.environ, SKLEARN_EMOTION_HOME=str(tmp_path / "home"), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("SKLEARN_EMOTION_WEIGHTS", None)
    env.update(variables)
    paths = [str(REPO_DIR), *map(str, extra_paths), os.environ.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return env


def _start(tmp_path: Path, *argv: object, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python -m sklearn_emotion ARGV`` started in ``tmp_path`` (no ../shared/weights from there)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sklearn_emotion", *map(str, argv)], cwd=tmp_path, env=env or _env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def _cli(tmp_path: Path, *argv: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    return _finish(_start(tmp_path, *argv, env=env))


def _error_line(err: str) -> str:
    """The one error line of a failed command (stderr may also hold library warnings before it)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("sklearn-emotion predict: error:")]
    assert len(errors) == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return errors[0]


def _feature_corpus(folder: Path, n_movies: int = 3, seed: int = 0) -> tuple[list[Path], list[dict], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    files, movies, curves = [], [], []
    for index in range(n_movies):
        n = int(rng.integers(25, 35))
        drivers = np.cumsum(rng.normal(0, 0.2, size=(n, 2)), axis=0)
        movie = {"image": np.hstack([drivers, rng.normal(size=(n, 3))]).astype(np.float32),
                 "audio": rng.normal(size=(n, 2)).astype(np.float32)}
        files.append(save_features(folder / f"movie_{index}.npz", movie))
        movies.append(load_features(files[-1]))
        curves.append(np.tanh(drivers / 2))
    return files, movies, curves


def _write_like_an_attacker(path: Path, estimator: object) -> Path:
    """A model file built by hand: any object skops can store, with the sklearn-emotion marker.

    (``save_model`` refuses to write types outside the allow-list; someone crafting a file does not
    use it.)
    """
    import skops.io as sio

    buffer = io.BytesIO(sio.dumps(estimator))
    meta = {"format": MODEL_FORMAT, "format_version": 2, "package_version": "0.2.0",
            "modalities": {"image": 5, "audio": 2}, "feature_spec": None, "info": {}}
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("sklearn-emotion.json", json.dumps(meta))
    path.write_bytes(buffer.getvalue())
    return path


class _RunsCodeWhenUnpickled:
    """Unpickling calls ``exec(code)``: what a crafted model file does."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return exec, (self.code,)


# ------------------------------------------------------------------------------------ pickles
@pytest.mark.subprocess
def test_a_crafted_pickle_is_refused_and_runs_nothing_unless_trusted(tmp_path):
    features = tmp_path / "features"
    _feature_corpus(features, n_movies=1)
    sentinel = tmp_path / "created-by-the-model-file"
    crafted = tmp_path / "crafted.joblib"
    payload = {"format": MODEL_FORMAT, "format_version": 1, "package_version": "0.1.0",
               "estimator": _RunsCodeWhenUnpickled(f"import pathlib; pathlib.Path({str(sentinel)!r}).touch()"),
               "modalities": {"image": 5, "audio": 2}}
    crafted.write_bytes(pickle.dumps(payload))
    crafted_v0 = tmp_path / "crafted-protocol-0.pkl"
    crafted_v0.write_bytes(pickle.dumps(payload, protocol=0))
    runs = [_start(tmp_path, "predict", model, features, "-o", tmp_path / "out", "--no-plot", "--no-progress")
            for model in (crafted, crafted_v0, DATA / "model_v0_1.joblib")]
    for model, run in zip((crafted, crafted_v0, DATA / "model_v0_1.joblib"), runs):
        code, _, err = _finish(run)
        assert code == 1
        line = _error_line(err)
        assert str(model) in line and "pickle-based model file" in line and "can run any code" in line
        assert "--trust-model" in line
    assert not sentinel.exists() and not (tmp_path / "out").exists()
    # The refusal mattered: trusted, the file does run its code.
    with pytest.raises(ValueError):  # it creates the file, then is no model (exec returns None)
        load_model(crafted, trust_pickle=True)
    assert sentinel.exists()


@pytest.mark.subprocess
def test_trust_model_loads_the_0_1_model_and_predicts_what_0_1_predicted(tmp_path):
    with np.load(DATA / "model_v0_1_expected.npz") as stored:
        for index in range(2):
            save_features(tmp_path / "features" / f"movie_{index}.npz",
                          {m: stored[f"movie_{index}__{m}"] for m in ("image", "audio")})
        expected = [stored[f"movie_{index}__predicted"] for index in range(2)]
    code, _, err = _cli(tmp_path, "predict", DATA / "model_v0_1.joblib", tmp_path / "features", "-o", tmp_path / "out",
                        "--no-plot", "--no-progress", "--trust-model")
    assert code == 0, err[-3000:]
    for index, curve in enumerate(expected):
        np.testing.assert_allclose(read_curves(tmp_path / "out" / f"movie_{index}.csv"), curve, atol=1e-5)


# ------------------------------------------------------------------------------------ the allow-list
EVIL_MODULE = '''
import os
import pathlib

pathlib.Path(os.environ["EVIL_SENTINEL"]).touch()  # importing this module creates a file

from sklearn.base import BaseEstimator, TransformerMixin


class Shifter(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X
'''


@pytest.mark.subprocess
def test_a_type_outside_the_allow_list_is_refused_before_anything_is_imported(tmp_path, monkeypatch):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from sklearn_emotion import PerSecondRegressor

    plugins, sentinel = tmp_path / "plugins", tmp_path / "imported-evil-module"
    plugins.mkdir()
    (plugins / "evil_estimators.py").write_text(EVIL_MODULE)
    monkeypatch.setenv("EVIL_SENTINEL", str(sentinel))
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.delitem(sys.modules, "evil_estimators", raising=False)
    import evil_estimators

    _, movies, curves = _feature_corpus(tmp_path / "features", n_movies=2)
    model = make_pipeline(evil_estimators.Shifter(), PerSecondRegressor(Ridge())).fit(movies, curves)
    # save_model does not write a file it could not load ...
    with pytest.raises(ValueError, match=r"holds evil_estimators\.Shifter, outside the types a model file may hold"):
        save_model(tmp_path / "model.skops", SavedModel(model, {"image": 5, "audio": 2}))
    assert not (tmp_path / "model.skops").exists()
    # ... and a file made by hand is refused by predict, in one line, before importing anything.
    crafted = _write_like_an_attacker(tmp_path / "crafted.skops", model)
    sentinel.unlink()
    code, _, err = _cli(tmp_path, "predict", crafted, tmp_path / "features", "-o", tmp_path / "out", "--no-progress",
                        env=_env(tmp_path, plugins, EVIL_SENTINEL=str(sentinel)))
    assert code == 1
    line = _error_line(err)
    assert str(crafted) in line and "evil_estimators.Shifter" in line and "sklearn_emotion." not in line
    assert "does not load" in line and "nothing from the file was run" in line
    assert not sentinel.exists() and not (tmp_path / "out").exists()


def test_tree_structures_are_refused_as_skops_refuses_them(tmp_path):
    from sklearn.neighbors import KNeighborsRegressor

    from sklearn_emotion import PerSecondRegressor

    _, movies, curves = _feature_corpus(tmp_path / "features", n_movies=2)
    model = PerSecondRegressor(KNeighborsRegressor(algorithm="kd_tree")).fit(movies, curves)
    with pytest.raises(ValueError, match=r"sklearn\.neighbors\._kd_tree\.KDTree.*tree structures are refused"):
        save_model(tmp_path / "knn.skops", SavedModel(model, {"image": 5, "audio": 2}))
    crafted = _write_like_an_attacker(tmp_path / "knn.skops", model)
    with pytest.raises(UnsafeModelError, match=r"knn\.skops holds types .*sklearn\.neighbors\._kd_tree\.KDTree") as raised:
        load_model(crafted)
    assert "\n" not in str(raised.value)


def test_references_to_functions_outside_numpy_and_scipy_are_refused(tmp_path):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_emotion import PerSecondRegressor

    for function, name in ((exec, "builtins.exec"), (os.system, f"{os.system.__module__}.system")):
        model = PerSecondRegressor(make_pipeline(FunctionTransformer(function), Ridge()))
        crafted = _write_like_an_attacker(tmp_path / "function.skops", model)
        with pytest.raises(UnsafeModelError, match=rf"holds types .*{name}") as raised:
            load_model(crafted)
        assert "\n" not in str(raised.value)
    import numpy

    model = PerSecondRegressor(make_pipeline(FunctionTransformer(numpy.tanh), Ridge()))  # a NumPy ufunc: data
    assert load_model(_write_like_an_attacker(tmp_path / "ufunc.skops", model)).estimator.estimator[0].func is numpy.tanh


def test_the_allow_list_is_fixed_and_names_existing_classes():
    import importlib

    from sklearn_emotion.persistence import PACKAGE_TYPES

    allowed = allowed_types()
    for name in PACKAGE_TYPES:
        module, _, attribute = name.rpartition(".")
        assert getattr(importlib.import_module(module), attribute).__module__ == module
        assert name in allowed
    # Every public estimator of the package is listed, the media embedders excepted (they name model files
    # by path; a model for videos stores its feature settings instead).
    from sklearn.base import BaseEstimator

    import sklearn_emotion

    classes = [getattr(sklearn_emotion, name) for name in sklearn_emotion.__all__]
    public = {f"{cls.__module__}.{cls.__qualname__}" for cls in classes
              if isinstance(cls, type) and issubclass(cls, BaseEstimator)
              and not cls.__module__.startswith("sklearn_emotion.media")}
    assert public == set(PACKAGE_TYPES)
    for name in ("sklearn.pipeline.Pipeline", "sklearn.linear_model._ridge.RidgeCV", "numpy.float64"):
        assert name in allowed
    for name in ("builtins.exec", "builtins.eval", "os.system", "posix.system", "subprocess.Popen",
                 "sklearn.tree._tree.Tree", "sklearn_emotion.media.image.ImageEmbedder"):
        assert name not in allowed


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.subprocess
def test_saved_models_predict_identically_in_new_processes(tmp_path):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from sklearn_emotion import (
        ButterworthSmoother,
        GRUMoERegressor,
        MovieStandardScaler,
        PerSecondRegressor,
        RunAveragingRegressor,
        SmoothedRegressor,
        Windower,
    )
    from sklearn_emotion.demo import DemoConfig, baseline_model, paper_pipeline

    features = tmp_path / "features"
    files, movies, curves = _feature_corpus(features, n_movies=4)
    paper = paper_pipeline(DemoConfig(window=5, units=4), random_state=3)
    paper.set_params(smoothedregressor__regressor__epochs=2)
    runs = RunAveragingRegressor.from_seeds(
        make_pipeline(MovieStandardScaler(), Windower(5), GRUMoERegressor(units=4, epochs=2, batch_norm=True)),
        n_runs=2, random_state=0,
    )
    search = GridSearchCV(
        make_pipeline(MovieStandardScaler(), SmoothedRegressor(PerSecondRegressor(Ridge()), ButterworthSmoother())),
        {"smoothedregressor__regressor__estimator__alpha": [0.1, 10.0]}, cv=2,
    )
    models = {
        "paper": paper.fit(movies, curves),
        "runs": runs.fit(movies, curves),
        "baseline": baseline_model(DemoConfig()).fit(movies, curves),
        "grid": search.fit(movies, curves).best_estimator_,
    }
    started = {}
    for name, model in models.items():
        path = save_model(tmp_path / f"{name}.skops", SavedModel(model, {"image": 5, "audio": 2}))
        started[name] = _start(tmp_path, "predict", path, features, "-o", tmp_path / name, "--no-plot", "--no-progress")
    for name, process in started.items():
        code, _, err = _finish(process)
        assert code == 0, f"{name}: {err[-3000:]}"
        for file, curve in zip(files, models[name].predict(movies)):
            np.testing.assert_allclose(read_curves(tmp_path / name / f"{file.stem}.csv"), curve, atol=2e-6,
                                       err_msg=name)


# ------------------------------------------------------------------------------------ portable feature settings
@pytest.mark.subprocess
def test_model_files_are_found_by_name_and_hash_in_another_weights_folder(tmp_path):
    import keras
    from sklearn.linear_model import Ridge

    from sklearn_emotion import PerSecondRegressor
    from sklearn_emotion.datasets import make_movie_files
    from sklearn_emotion.extraction import extract_features

    corpus = make_movie_files(tmp_path / "videos", 1, min_seconds=6, max_seconds=6, width=64, height=48,
                              random_state=0)
    video = min((tmp_path / "videos").glob("*.mp4"))
    first = tmp_path / "weights-a"
    first.mkdir()
    inputs = keras.Input((16, 16, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    keras.Model(inputs, keras.layers.Dense(3, kernel_initializer="glorot_uniform")(pooled)).save(first / "tiny.keras")
    spec = {"image": {"backbone": str(first / "tiny.keras"), "preprocessing": "unit"},
            "audio": {"backbone": "descriptors"}}
    movies = extract_features([video], spec)
    targets = [np.resize(curve, (len(movies[0]["image"]), 2)) for curve in corpus.y]
    model = PerSecondRegressor(Ridge()).fit(movies, targets)
    widths = {name: int(array.shape[1]) for name, array in movies[0].items()}
    path = save_model(tmp_path / "model.skops", SavedModel(model, widths, spec))
    digest = hashlib.sha256((first / "tiny.keras").read_bytes()).hexdigest()
    assert str(first) not in json.dumps(load_model(path).feature_spec["image"]["backbone"]["model_file"])
    # Another machine: folder A is gone, its files are in B ($SKLEARN_EMOTION_WEIGHTS); C holds another
    # file of the same name, D nothing.
    second, changed, empty = tmp_path / "weights-b", tmp_path / "weights-c", tmp_path / "weights-d"
    first.rename(second)
    changed.mkdir()
    empty.mkdir()
    (changed / "tiny.keras").write_bytes((second / "tiny.keras").read_bytes() + b"\0")
    runs = {folder.name: _start(tmp_path, "predict", path, video, "-o", tmp_path / f"out-{folder.name}",
                                "--no-plot", "--no-progress", env=_env(tmp_path, SKLEARN_EMOTION_WEIGHTS=str(folder)))
            for folder in (second, changed, empty)}
    code, _, err = _finish(runs["weights-b"])
    assert code == 0, err[-3000:]
    np.testing.assert_allclose(read_curves(tmp_path / "out-weights-b" / f"{video.stem}.csv"), model.predict(movies)[0],
                               atol=2e-6)
    lines = {}
    for name in ("weights-c", "weights-d"):
        code, _, err = _finish(runs[name])
        assert code == 1
        lines[name] = _error_line(err)
        assert "tiny.keras" in lines[name] and digest in lines[name] and str(path) in lines[name]
        assert "not found" in lines[name] and str(tmp_path / name) in lines[name]
    other = hashlib.sha256((changed / "tiny.keras").read_bytes()).hexdigest()
    assert f"{changed / 'tiny.keras'} has SHA-256 {other}" in lines["weights-c"]
    assert not (tmp_path / "out-weights-c").exists() and not (tmp_path / "out-weights-d").exists()


def test_predict_help_says_model_files_are_safe_and_pickles_need_trust_model(capsys):
    from sklearn_emotion.cli import main

    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "safe to share" in text and ".skops" in text and "--trust-model" in text and "any code" in text
    assert "--weights-dir" in text and "SHA-256" in text
