"""joblib's Dask backend on a real ``distributed.LocalCluster`` (worker processes).

Extraction of a corpus of video files (one task per movie) and a ``GridSearchCV`` of a GRU-MoE
pipeline (one task per fit) give the serial results; the work runs in the worker processes, which
stay the same processes throughout (TensorFlow imported once each) and load each model once.
See docs/distributed.md.
"""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import joblib
import numpy as np
import pytest

pytestmark = pytest.mark.distributed

pytest.importorskip("distributed")
pytest.importorskip("av")
pytest.importorskip("skimage")

from distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from media_videos import photo, tone, write_video  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_emotion import (  # noqa: E402
    GRUMoERegressor,
    ImageEmbedder,
    ModalityUnion,
    MovieStandardScaler,
    Windower,
)
from sklearn_emotion.extraction import colour_layout_model, feature_union  # noqa: E402
from sklearn_emotion.scoring import get_movie_scorer  # noqa: E402

#: The weight-free features (no pretrained model needed): colour layout of the frames, audio descriptors.
WEIGHT_FREE_SPEC = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
#: What the issue asks of distributed results: equal to the serial ones within float tolerance.
ATOL = 1e-5
#: The environment the tests rely on (set by conftest.py before anything imports TensorFlow), given to the workers.
WORKER_ENV = ("KERAS_HOME", "SKLEARN_EMOTION_HOME", "TF_CPP_MIN_LOG_LEVEL")


def _worker_state():
    """What a worker process holds: its pid, whether TensorFlow is imported, the cached models' keys."""
    import os
    import sys

    from sklearn_emotion.media import backbones

    return {"pid": os.getpid(), "tensorflow": "tensorflow" in sys.modules, "models": list(backbones._MODELS)}


# Sent to the workers by value (cloudpickle pickles __main__'s functions so), not imported from this module.
_worker_state.__module__ = "__main__"


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, with the tests' KERAS_HOME, model cache and TensorFlow log level."""
    env = {name: os.environ[name] for name in WORKER_ENV if name in os.environ}
    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=logging.ERROR, env=env)
    client = Client(local)
    try:
        assert client.run(lambda: {name: os.environ[name] for name in env}) == {
            address: env for address in client.scheduler_info()["workers"]
        }
        yield SimpleNamespace(client=client, workers=set(client.scheduler_info()["workers"]),
                              start_pids=client.run(os.getpid))
    finally:
        client.close()
        local.close()


def _tasks(stream, function_name):
    """``{worker address: number of tasks}`` of the recorded tasks running ``function_name``."""
    counts = {}
    for task in stream.data:
        if function_name in task["key"]:
            counts[task["worker"]] = counts.get(task["worker"], 0) + 1
    return counts


# -- corpus extraction --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def movie_files(tmp_path_factory):
    """Four small movies (160 x 120, 3 or 4 s, with a tone of their own as audio)."""
    folder = tmp_path_factory.mktemp("distributed")
    names = ("astronaut", "chelsea", "coffee")
    paths = []
    for index in range(4):
        seconds = 3 + index % 2
        photos = [photo(names[(index + t) % 3], (160, 120)) for t in range(seconds)]
        audio = tone(seconds + 0.5, 16000, frequency=300.0 + 100 * index)
        paths.append(os.fspath(write_video(folder / f"movie{index}.mp4", photos, audio=audio)))
    return paths


@pytest.fixture(scope="module")
def extraction(cluster, movie_files):
    """The weight-free features of the movies, serially in this process and through the cluster."""
    serial = feature_union(WEIGHT_FREE_SPEC).fit_transform(movie_files)
    with get_task_stream(cluster.client) as stream, joblib.parallel_config(backend="dask", n_jobs=-1):
        dask = feature_union(WEIGHT_FREE_SPEC).fit_transform(movie_files)
    return SimpleNamespace(serial=serial, dask=dask, tasks=_tasks(stream, "_extract_one"),
                           worker_states=cluster.client.run(_worker_state))


def test_extraction_through_the_dask_backend_equals_the_serial_one(extraction):
    assert len(extraction.dask) == len(extraction.serial) == 4
    for index, (serial, dask) in enumerate(zip(extraction.serial, extraction.dask)):
        assert list(dask) == list(serial) == ["image", "audio"], index
        for modality in serial:
            assert dask[modality].shape == serial[modality].shape, (index, modality)
            assert dask[modality].shape[0] in (3, 4), (index, modality)
            np.testing.assert_allclose(dask[modality], serial[modality], rtol=0, atol=ATOL,
                                       err_msg=f"movie {index}, {modality}")


def test_extraction_ran_in_the_worker_processes(cluster, extraction):
    # The scheduler saw the per-movie tasks run on the cluster's workers, not in this process...
    assert extraction.tasks, "no extraction task reached the cluster"
    assert set(extraction.tasks) <= cluster.workers
    assert os.getpid() not in cluster.start_pids.values()
    # ...and every worker that ran one embedded frames there: its own copy of the image model.
    for address in extraction.tasks:
        assert any(key[0] == "image" for key in extraction.worker_states[address]["models"]), address


# -- grid search of a GRU-MoE pipeline ----------------------------------------------------------
def _movies(n_movies=6, seed=0):
    """Movies whose valence/arousal follow running sums of their features; two movies per group."""
    rng = np.random.RandomState(seed)
    X, Y = [], []
    for _ in range(n_movies):
        x = rng.randn(rng.randint(30, 45), 4).astype(np.float32)
        past = np.cumsum(x, axis=0) / np.sqrt(np.arange(1, len(x) + 1))[:, None]
        Y.append((0.8 * np.tanh(np.c_[past[:, 0], past[:, 1] - past[:, 2]])).astype(np.float32))
        X.append({"image": x[:, :3], "audio": x[:, 3:]})
    return X, Y, np.arange(n_movies) // 2


def _search(**params):
    pipeline = make_pipeline(
        MovieStandardScaler(), Windower(length=4),
        GRUMoERegressor(units=4, n_experts=2, epochs=2, batch_size=32, block_size=8, random_state=0),
    )
    return GridSearchCV(pipeline, {"windower__length": [4, 8]}, cv=GroupKFold(2),
                        scoring=get_movie_scorer("neg_mse"), **params)


@pytest.fixture(scope="module")
def search(cluster):
    """The same grid search (2 candidates x 2 folds), serially in this process and through the cluster."""
    X, Y, groups = _movies()
    serial = _search().fit(X, Y, groups=groups)
    with get_task_stream(cluster.client) as stream, joblib.parallel_config(backend="dask"):
        dask = _search(n_jobs=-1).fit(X, Y, groups=groups)
    return SimpleNamespace(serial=serial, dask=dask, tasks=_tasks(stream, "_fit_and_score"))


def test_grid_search_through_the_dask_backend_equals_the_serial_one(cluster, search):
    serial, dask = search.serial.cv_results_, search.dask.cv_results_
    assert dask["params"] == serial["params"]
    for name in ("mean_test_score", "split0_test_score", "split1_test_score"):
        assert np.all(np.isfinite(serial[name])), name
        np.testing.assert_allclose(dask[name], serial[name], rtol=0, atol=ATOL, err_msg=name)
    assert search.dask.best_params_ == search.serial.best_params_
    # The fits ran on the cluster's workers.
    assert search.tasks and set(search.tasks) <= cluster.workers


# -- TensorFlow and the models, once per worker -------------------------------------------------
def test_tensorflow_is_loaded_once_per_worker(cluster, extraction, search):
    states = cluster.client.run(_worker_state)
    # The same two processes served every task (none was restarted or replaced)...
    assert {address: state["pid"] for address, state in states.items()} == cluster.start_pids
    # ...several tasks each on the whole: a worker keeps TensorFlow from one task to the next.
    assert sum(extraction.tasks.values()) + sum(search.tasks.values()) > len(cluster.workers)
    for address in set(extraction.tasks) | set(search.tasks):
        assert states[address]["tensorflow"], address


def test_a_model_file_is_loaded_once_per_worker(cluster, movie_files, tmp_path):
    """The cached_model registry of each worker holds a model file once, whatever the movies it embedded."""
    path = os.fspath(tmp_path / "colour_layout.keras")
    colour_layout_model().save(path)
    union = ModalityUnion([("image", ImageEmbedder(path, preprocessing="unit"))]).fit([])
    with get_task_stream(cluster.client) as stream, joblib.parallel_config(backend="dask", n_jobs=-1):
        features = union.transform(movie_files)
    tasks = _tasks(stream, "_extract_one")
    assert [movie["image"].shape[1] for movie in features] == [51] * 4
    assert tasks and set(tasks) <= cluster.workers and sum(tasks.values()) > len(tasks)  # a worker embedded 2+
    states = cluster.client.run(_worker_state)
    for address, count in tasks.items():
        loaded = [key for key in states[address]["models"] if key[0] == "image" and key[1] == path]
        assert len(loaded) == 1, (address, count, loaded)


def test_an_in_memory_keras_model_is_loaded_once_per_worker(extraction):
    assert sum(extraction.tasks.values()) > len(extraction.tasks)  # a worker embedded 2+ movies
    for address, count in extraction.tasks.items():
        # Right after the extraction, the weight-free colour layout is the workers' only image model.
        loaded = [key for key in extraction.worker_states[address]["models"] if key[0] == "image"]
        assert len(loaded) == 1, (address, count, loaded)
