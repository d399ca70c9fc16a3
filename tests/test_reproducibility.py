"""Issue 19, item 21: the same random_state gives bitwise the same fit in two fresh processes.

Every random draw of GRUMoERegressor and TCNRegressor is seeded from ``random_state`` (weights,
dropout, shuffling, the validation split); TensorFlow's op determinism is switched on while they train
and predict, and switched back afterwards (no global state is left changed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("tensorflow")

# Small fits that use every seeded source: weights, dropout, shuffled batches, a validation split (16
# movies hold 3 out) and early stopping; one line per model: its name and the SHA-256 of its
# predictions and history.  Both models in one process: a fresh TensorFlow costs seconds.
CHILD = textwrap.dedent(
    """
    import hashlib
    import numpy as np
    from sklearn.pipeline import make_pipeline
    from sklearn_emotion import GRUMoERegressor, TCNRegressor, Windower

    rng = np.random.RandomState(0)
    X, y = [], []
    for _ in range(16):
        n = rng.randint(30, 50)
        x = rng.randn(n, 5).astype(np.float32)
        X.append({"image": x[:, :3], "audio": x[:, 3:]})
        y.append(0.8 * np.tanh(np.cumsum(x[:, :2], axis=0) / 5))
    models = {
        "gru": make_pipeline(Windower(length=8), GRUMoERegressor(
            units=6, n_experts=2, epochs=3, patience=2, dropout=0.2, learning_rate=0.01, random_state=0)),
        "tcn": TCNRegressor(filters=6, levels=2, epochs=3, patience=2, dropout=0.2, crop_length=16,
                            learning_rate=0.01, random_state=0),
    }
    for name, model in models.items():
        model.fit(X, y)
        last = model[-1] if hasattr(model, "steps") else model
        assert last.validation_size_ > 0
        digest = hashlib.sha256(np.concatenate(model.predict(X)).tobytes())
        digest.update(repr(last.history_).encode())
        print(name, digest.hexdigest())
    """
)


@pytest.fixture(scope="module")
def fresh_fits():
    # Two fresh processes at once, with different hash seeds: no set or dict of names may change the
    # order of anything.  One line per model from each.
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD], env=dict(os.environ, PYTHONHASHSEED=seed),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in ("1", "2")
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err[-3000:]
        results.append(dict(line.split() for line in out.strip().splitlines()[-2:]))
    return results


@pytest.mark.subprocess
@pytest.mark.parametrize("which", ["gru", "tcn"])
def test_two_fresh_processes_fit_bitwise_alike(which, fresh_fits):
    first, second = fresh_fits
    assert first[which] == second[which]


def _movies():
    rng = np.random.RandomState(1)
    X = [{"image": rng.randn(n, 3).astype(np.float32), "audio": rng.randn(n, 2).astype(np.float32)}
         for n in (30, 40, 35)]
    y = [0.5 * np.tanh(rng.randn(len(m["image"]), 2)) for m in X]
    return X, y


def _models():
    from sklearn.pipeline import make_pipeline

    from sklearn_emotion import GRUMoERegressor, TCNRegressor, Windower

    return {
        "gru": make_pipeline(Windower(length=5), GRUMoERegressor(units=4, n_experts=2, epochs=2, random_state=0)),
        "tcn": TCNRegressor(filters=4, levels=2, epochs=2, crop_length=16, random_state=0),
    }


@pytest.mark.keras
@pytest.mark.parametrize("which", ["gru", "tcn"])
@pytest.mark.parametrize("user_setting", [False, True])
def test_training_and_prediction_run_under_op_determinism_and_restore_the_users_setting(
    which, user_setting, monkeypatch,
):
    import keras
    from tensorflow.python.framework import config

    seen = []

    def spy_on(method):
        original = getattr(keras.Model, method)

        def spy(self, *args, **kwargs):
            seen.append(config.is_op_determinism_enabled())
            return original(self, *args, **kwargs)

        monkeypatch.setattr(keras.Model, method, spy)

    X, y = _movies()
    (config.enable_op_determinism if user_setting else config.disable_op_determinism)()
    try:
        spy_on("train_on_batch")
        model = _models()[which].fit(X, y)
        assert seen and all(seen), "training ran without op determinism"
        assert config.is_op_determinism_enabled() is user_setting
        seen.clear()
        spy_on("predict_on_batch" if which == "gru" else "__call__")  # the TCN calls its network
        model.predict(X)
        assert seen and all(seen), "prediction ran without op determinism"
        assert config.is_op_determinism_enabled() is user_setting
    finally:
        config.disable_op_determinism()
