"""The native libraries' logs are hidden by default, from Python as on the command line (issue 19, items 18, 23).

TensorFlow, LiteRT, XNNPACK and MediaPipe write informational lines from C++ to the standard-error
descriptor; the full-range sparse face detector alone printed 46 "Sparsity tensors may not yet be
fully supported" lines.  Each check runs in a fresh interpreter, where those libraries load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("av")
pytest.importorskip("ai_edge_litert")
pytest.importorskip("mediapipe")
pytest.importorskip("tensorflow")

TESTS = Path(__file__).parent
#: Pieces of the lines that must not appear (one per kind the issue lists, and the sparsity notice).
NATIVE = ("oneDNN", "cpu_feature_guard", "This TensorFlow binary is optimized", "XNNPACK", "not aligned",
          "LiteRT", "Accelerator", "Sparsity tensors", "retracing", "InitGoogle", "absl::InitializeLog")

_SCRIPT = """
import sys, warnings
sys.path.insert(0, {tests!r})
import numpy as np
import sklearn_emotion
from sklearn.pipeline import make_pipeline
from sklearn_emotion import FaceEmbedder, GRUMoERegressor, ImageEmbedder, Windower
from media_videos import photo, write_video

rng = np.random.default_rng(0)
X = [{{"image": rng.normal(size=(n, 4)).astype("float32")}} for n in (12, 15, 9, 11)]
y = [rng.uniform(-1, 1, size=(len(m["image"]), 2)) for m in X]
for train, test in (((0, 1), (2, 3)), ((2, 3), (0, 1))):  # a tiny cross-validation
    model = make_pipeline(Windower(length=5), GRUMoERegressor(epochs=2, units=4, random_state=0))
    model.fit([X[i] for i in train], [y[i] for i in train])
    model.predict([X[i] for i in test])
video = write_video({video!r}, [photo("astronaut", (96, 128))] * 6, fps=3)
image = ImageEmbedder({weights!r} + "/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite").fit([])
face = FaceEmbedder(detector={weights!r} + "/face_detection_full_range_sparse.tflite",
                    face_model={weights!r} + "/fer2013_mini_XCEPTION.102-0.66.hdf5").fit([])
rows = image.transform([str(video)])[0], face.transform([str(video)])[0]
warnings.warn("the user's own warning")  # Python's warnings are not touched
print("user text on stderr", file=sys.stderr)
print("DONE", [r.shape for r in rows])
"""


def _start(folder: Path, shared_weights: Path, **env: str) -> subprocess.Popen:
    script = _SCRIPT.format(tests=os.fspath(TESTS), video=os.fspath(folder / "movie.mp4"),
                            weights=os.fspath(shared_weights))
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("TF_CPP_MIN_LOG_LEVEL", "SKLEARN_EMOTION_NATIVE_LOGS", "GLOG_minloglevel")}
    environment.update(env)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment)


def _finished(process: subprocess.Popen, done: str = "DONE") -> str:
    """The standard error of ``process``, once it exited 0 having printed ``done``."""
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    assert done in stdout
    return stderr


@pytest.fixture(scope="module")
def scripts(tmp_path_factory, shared_weights):
    """The script in two fresh interpreters started at once: "quiet" (the default) and "logs" (on request)."""
    started = {"quiet": _start(tmp_path_factory.mktemp("quiet"), shared_weights),
               "logs": _start(tmp_path_factory.mktemp("logs"), shared_weights, SKLEARN_EMOTION_NATIVE_LOGS="1")}
    yield started
    for process in started.values():
        if process.returncode is None:  # its test did not wait for it (deselected or stopped early)
            process.kill()
            process.communicate()


@pytest.mark.subprocess
def test_used_from_python_the_native_libraries_are_quiet(scripts):
    stderr = _finished(scripts["quiet"])
    leaked = [line for line in stderr.splitlines() if any(piece in line for piece in NATIVE)]
    assert leaked == []
    assert "UserWarning: the user's own warning" in stderr and "user text on stderr" in stderr


@pytest.mark.subprocess
def test_the_native_logs_come_back_on_request(scripts):
    stderr = _finished(scripts["logs"])
    assert stderr.count("Sparsity tensors may not yet be fully supported") == 46
    assert "XNNPACK" in stderr


def test_a_hidden_block_gives_back_everything_else(capfd):
    from sklearn_emotion._backend import native_logs_hidden

    with native_logs_hidden():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"E0000 00:00:1.0 1 real_error.cc:1] a native error is kept\n")
        with native_logs_hidden():  # nested
            print("a Python message is kept", file=sys.stderr, flush=True)
    err = capfd.readouterr().err
    assert sorted(err.splitlines()) == ["E0000 00:00:1.0 1 real_error.cc:1] a native error is kept",
                                        "a Python message is kept"]


@pytest.mark.subprocess
def test_the_command_line_hides_the_sparse_detectors_notices(tmp_path, shared_weights):
    """``sklearn-emotion extract --face <full-range sparse detector>``: no sparsity notice unless --verbose."""
    sys.path.insert(0, os.fspath(TESTS))
    from media_videos import photo, write_video

    write_video(tmp_path / "movies" / "film.mp4", [photo("astronaut", (96, 128))] * 6, fps=3)
    program = Path(sys.executable).with_name("sklearn-emotion")
    if not program.is_file():
        pytest.skip("the sklearn-emotion program is not installed beside this Python")
    argv = [os.fspath(program), "extract", os.fspath(tmp_path / "movies"), "--no-progress",
            "--image", "none", "--audio", "none", "--face", os.fspath(shared_weights / "face_detection_full_range_sparse.tflite"),
            "--face-model", os.fspath(shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5")]
    environment = {k: v for k, v in os.environ.items() if k != "SKLEARN_EMOTION_NATIVE_LOGS"}
    # Both runs at once: each spends most of its time loading the libraries.
    quiet, verbose = [subprocess.Popen([*argv, "-o", os.fspath(tmp_path / name), *extra], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, env=environment)
                      for name, extra in (("quiet", []), ("verbose", ["--verbose"]))]
    quiet_err = _finished(quiet, done="")
    assert "Sparsity" not in quiet_err and "XNNPACK" not in quiet_err
    assert _finished(verbose, done="").count("Sparsity tensors may not yet be fully supported") == 46


def test_only_tensorflows_retracing_warning_is_filtered(caplog, monkeypatch):
    import logging

    from sklearn_emotion import set_native_logs

    monkeypatch.delenv("SKLEARN_EMOTION_NATIVE_LOGS", raising=False)
    logger = logging.getLogger("tensorflow")
    retracing = "5 out of the last 5 calls to <function f> triggered tf.function retracing. Tracing is expensive"
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        logger.warning(retracing)
        logger.warning("another TensorFlow warning")
        assert [record.getMessage() for record in caplog.records] == ["another TensorFlow warning"]
        monkeypatch.setenv("SKLEARN_EMOTION_NATIVE_LOGS", "0")
        set_native_logs(True)  # (monkeypatch restores the variable it sets)
        logger.warning(retracing)
    assert caplog.records[-1].getMessage() == retracing
