"""openSMILE beside TensorFlow in every import order (issue 19, item 8): each order in a fresh interpreter.

openSMILE's library and TensorFlow's export functions of the same names; loaded into one process after
TensorFlow, openSMILE aborted it (``malloc(): invalid size (unsorted)``) when the user had imported
``opensmile`` themselves.  The package now runs openSMILE in a worker process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("opensmile")
pytest.importorskip("tensorflow")

#: Import orders: the user's imports before building the embedder.
ORDERS = {
    "tensorflow, opensmile, package": "import tensorflow\nimport opensmile\nimport sklearn_emotion.media\n",
    "keras, package, opensmile": "import keras\nimport sklearn_emotion.media\nimport opensmile\n",
    "opensmile, tensorflow, package": "import opensmile\nimport tensorflow\nimport sklearn_emotion.media\n",
    "package, opensmile, tensorflow": "import sklearn_emotion.media\nimport opensmile\nimport tensorflow\n",
    "package, tensorflow, opensmile": "import sklearn_emotion\nimport tensorflow\nimport opensmile\n",
}

_USE = (
    "import numpy as np\n"
    "from sklearn_emotion.media import AudioEmbedder\n"
    "t = np.arange(3 * 16000) / 16000\n"
    "wave = (0.3 * np.sin(2 * np.pi * 330 * t) * (1 + t)).astype(np.float32)\n"
    "rows = AudioEmbedder('egemaps').transform([(wave, 16000)])[0]\n"
    "x = tensorflow.constant([1.0]) if 'tensorflow' in globals() else None\n"  # TensorFlow still usable
    "print('ROWS', rows.shape, bool(np.isfinite(rows).all()))\n"
)


@pytest.fixture(scope="module")
def interpreters(request):
    """The selected orders' interpreters, all started at once (each spends seconds importing): {order: process}."""
    selected = {item.callspec.params["order"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_every_import_order_is_safe"
                and item.module.__name__ == request.module.__name__}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = {order: subprocess.Popen([sys.executable, "-c", ORDERS[order] + _USE], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, env=env) for order in sorted(selected)}
    yield started
    for process in started.values():
        if process.returncode is None:  # its test did not wait for it (stopped early)
            process.kill()
            process.communicate()


@pytest.mark.subprocess
@pytest.mark.parametrize("order", sorted(ORDERS))
def test_every_import_order_is_safe(order, interpreters):
    stdout, stderr = interpreters[order].communicate(timeout=300)
    assert interpreters[order].returncode == 0, stderr[-2000:]
    assert "ROWS (3, 88) True" in stdout


def test_the_worker_restarts_when_it_died_and_stops_with_the_model():
    import numpy as np

    from sklearn_emotion.media.opensmile_features import OpenSmileFunctionals

    model = OpenSmileFunctionals("egemaps")
    process = model._worker._process
    wave = np.random.default_rng(0).normal(scale=0.1, size=16000).astype(np.float32)
    first = model.embed([wave])
    assert first.shape == (1, 88) and np.isfinite(first).all()
    process.kill()  # the worker died (e.g. killed by the system): the next call starts a fresh one
    process.wait()
    np.testing.assert_array_equal(model.embed([wave]), first)
    second = model._worker._process
    assert second.pid != process.pid
    del model
    assert second.wait(timeout=10) == 0  # released with the model, by the end of its input


@pytest.mark.subprocess
def test_an_interrupt_mid_exchange_stops_the_worker_quietly_and_the_next_call_works():
    script = (
        "import os, signal, threading, numpy as np\n"
        # Ctrl-C as in a terminal, whatever this run inherited (a job started with & ignores SIGINT)
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from sklearn_emotion.media.opensmile_features import OpenSmileFunctionals\n"
        "model = OpenSmileFunctionals('compare')\n"
        "process = model._worker._process\n"
        "windows = [np.random.default_rng(0).normal(scale=0.1, size=80000).astype(np.float32)] * 400\n"
        "threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
        "try:\n"
        "    model.embed(windows)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted, worker stopped:', process.poll() is not None)\n"
        "print('then', model.embed(windows[:1]).shape)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "interrupted, worker stopped: True" in run.stdout and "then (1, 6373)" in run.stdout
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr
