"""Downloading the official models for real, from a local HTTP server standing in for their publishers.

A ``ThreadingHTTPServer`` on 127.0.0.1 serves copies of the small real models of ``../shared/weights``
(under their official file names, or under the folder's own names); ``$SKLEARN_EMOTION_MODEL_MIRROR``
points the downloads at it and ``$SKLEARN_EMOTION_HOME`` is a fresh temporary folder, so nothing here
touches the network or the developer's cache.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.media.backbones import BackboneUnavailableError, models_dir
from sklearn_emotion.media.models import (
    MIRROR_ENV_VAR,
    OFFICIAL_MODELS,
    RECORDS_FILE,
    ModelIntegrityError,
    read_records,
)

#: The official (cache) file name of each small model -> its file in ../shared/weights.
SERVED = {
    "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite": "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
    "yamnet.tflite": "yamnet.tflite",
    "blaze_face_short_range.tflite": "face_detection_short_range.tflite",
    "fer2013_mini_XCEPTION.102-0.66.hdf5": "fer2013_mini_XCEPTION.102-0.66.hdf5",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data) + b"\0")  # other content and other size


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def serve() -> Iterator:
    """``serve(folder)`` -> the base address of an HTTP server on 127.0.0.1 serving ``folder``."""
    servers = []

    def start(folder: Path, handler: type = _Quiet) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def official(tmp_path, shared_weights) -> Path:
    """A folder holding copies of the shared models under their official file names."""
    folder = tmp_path / "served"
    folder.mkdir()
    for official_name, shared_name in SERVED.items():
        shutil.copyfile(shared_weights / shared_name, folder / official_name)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty ``$SKLEARN_EMOTION_HOME``; returns its model cache folder."""
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(tmp_path / "home"))
    monkeypatch.delenv(MIRROR_ENV_VAR, raising=False)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    assert models_dir() == tmp_path / "home" / "models"
    return models_dir()


@pytest.fixture
def mirror(official, serve, cache, monkeypatch) -> Path:
    """The official copies served over HTTP and set as the mirror; returns the served folder."""
    monkeypatch.setenv(MIRROR_ENV_VAR, serve(official))
    return official


def _rows(out: str) -> dict[str, str]:
    """The first line of each model in the output of ``models list``."""
    return {line.split()[0]: line for line in out.splitlines()
            if line.split()[:1] and line.split()[0] in OFFICIAL_MODELS}


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["models", *map(os.fspath, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------------ downloads
def test_download_says_what_writes_atomically_records_and_the_detector_loads(mirror, cache, shared_weights, capsys):
    from sklearn_emotion.media.face import face_detector

    model = OFFICIAL_MODELS["blaze_face_short_range"]
    path = model.fetch()
    assert path == cache / "blaze_face_short_range.tflite"
    assert path.read_bytes() == (shared_weights / "face_detection_short_range.tflite").read_bytes()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "downloading MediaPipe BlazeFace" in err and "(229.7 kB)" in err
    assert os.environ[MIRROR_ENV_VAR] + "blaze_face_short_range.tflite" in err and os.fspath(path) in err
    # No digest is published for it: the first download's SHA-256 is recorded, in sha256sum's format.
    assert read_records() == {path.name: _sha256(path)}
    assert (cache / RECORDS_FILE).read_text() == f"{_sha256(path)}  {path.name}\n"
    assert [p.name for p in _files(cache) if not p.name.startswith(".")] == [RECORDS_FILE, path.name]
    # Cached: no second download (the served copy is gone) and no message.
    (mirror / path.name).unlink()
    assert model.fetch() == path and capsys.readouterr().err == ""
    # The downloaded file is the real detector: it finds the astronaut's face.
    from skimage import data

    faces = face_detector("blaze_face_short_range").detect(data.astronaut())
    assert len(faces) == 1 and faces[0][0] > 0.8


def test_a_published_digest_is_checked(mirror, cache, capsys):
    # The SHA-256 pinned for the coral MobileNet file (that of the publisher's git blob) accepts the real file.
    mobilenet = OFFICIAL_MODELS["mobilenet_v1_embedding"]
    assert mobilenet.fetch(announce=False).is_file()
    assert "SHA-256 of the file google-coral/test_data publishes" in mobilenet.status().check
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", ["fer_mini_xception", "inception_v3_notop"])
def test_a_corrupted_download_fails_its_check_and_leaves_no_file(mirror, cache, shared_weights, name):
    model = OFFICIAL_MODELS[name]
    if name == "inception_v3_notop":  # not available offline: any other file fails Keras's MD5
        (mirror / model.filename).write_bytes((shared_weights / "face_landmark.tflite").read_bytes())
        algorithm = "MD5"
    else:
        _corrupt(mirror / model.filename)
        algorithm = "SHA-256"
    expected = model.digest.split(":")[1]
    actual = hashlib.new(algorithm.replace("-", "").lower(), (mirror / model.filename).read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError, match="failed its check") as caught:
        model.fetch(announce=False)
    message = str(caught.value)
    assert algorithm in message and expected in message and actual in message and "not kept" in message
    assert os.environ[MIRROR_ENV_VAR] + model.filename in message
    assert _files(cache) == []  # neither the file, nor a temporary file, nor a record


def test_a_recorded_sha256_guards_the_cached_file_and_later_downloads(mirror, cache, capsys):
    model = OFFICIAL_MODELS["yamnet"]
    path = model.fetch(announce=False)
    first = _sha256(path)
    assert read_records()["yamnet.tflite"] == first
    assert "SHA-256 recorded at its first download" in model.status().check
    # The cached copy is corrupted: every use says so, with the way out.
    _corrupt(path)
    for use in (model.fetch, model.cached_file):
        with pytest.raises(ModelIntegrityError, match=r"fails its check.*--force yamnet"):
            use()
    code, out, err = _run(capsys, "list")
    assert code == 1 and "FAILS ITS CHECK" in out
    assert err.startswith("sklearn-emotion models: error: yamnet") and err.count("\n") == 1
    # Deleted, then downloaded again: another file at the address fails the record and is not kept.
    path.unlink()
    _corrupt(mirror / "yamnet.tflite")
    with pytest.raises(ModelIntegrityError, match=r"recorded at its first download.*--force yamnet"):
        model.fetch(announce=False)
    assert not path.exists() and [p.name for p in _files(cache) if not p.name.startswith(".")] == [RECORDS_FILE]
    # --force accepts the new file and records it.
    code, out, _ = _run(capsys, "download", "--force", "--no-progress", "yamnet")
    assert code == 0 and "yamnet: downloaded" in out
    assert read_records()["yamnet.tflite"] == _sha256(path) == _sha256(mirror / "yamnet.tflite") != first


def test_truncated_and_unreachable_downloads_leave_no_file(official, serve, cache, monkeypatch):
    class Truncating(_Quiet):
        def do_GET(self):  # noqa: N802 - the base class's name
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)

    monkeypatch.setenv(MIRROR_ENV_VAR, serve(official, Truncating))
    with pytest.raises(BackboneUnavailableError, match="incomplete download, 990 bytes missing") as caught:
        OFFICIAL_MODELS["yamnet"].fetch(announce=False)
    assert "AudioEmbedder('/path/yamnet.tflite')" in str(caught.value)  # how to pass a local file instead
    monkeypatch.setenv(MIRROR_ENV_VAR, "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(BackboneUnavailableError, match=f"Cannot download .* from the mirror.*{MIRROR_ENV_VAR}; unset"):
        OFFICIAL_MODELS["yamnet"].fetch(announce=False)
    assert _files(cache) == []


def test_a_mirror_of_the_weights_folder_is_found_by_its_own_names(serve, cache, shared_weights, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV_VAR, serve(shared_weights))  # face_detection_short_range.tflite, not blaze_...
    path = OFFICIAL_MODELS["blaze_face_short_range"].fetch(announce=False)
    assert path.name == "blaze_face_short_range.tflite"
    assert path.read_bytes() == (shared_weights / "face_detection_short_range.tflite").read_bytes()
    # A local folder works as a mirror too.
    monkeypatch.setenv(MIRROR_ENV_VAR, os.fspath(shared_weights))
    assert OFFICIAL_MODELS["fer_mini_xception"].fetch(announce=False).is_file()


def test_models_dir_follows_the_platform_cache(monkeypatch, tmp_path):
    import sys

    monkeypatch.delenv("SKLEARN_EMOTION_HOME", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG_CACHE_HOME is the Linux cache folder")
    monkeypatch.setenv("XDG_CACHE_HOME", os.fspath(tmp_path))
    assert models_dir() == tmp_path / "sklearn-emotion" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert models_dir() == Path.home() / ".cache" / "sklearn-emotion" / "models"


# ------------------------------------------------------------------------------------ command line
def test_models_list_and_download_on_the_command_line(mirror, cache, capsys):
    code, out, _ = _run(capsys, "list")
    assert code == 0 and f"Model cache: {cache}" in out
    rows = _rows(out)
    assert list(rows) == list(OFFICIAL_MODELS) and all("not cached" in row for row in rows.values())
    assert f"Downloads from the mirror {os.environ[MIRROR_ENV_VAR]}" in out
    code, out, err = _run(capsys, "download", "--no-progress")
    assert code == 0, err
    defaults = ["mobilenet_v1_embedding", "yamnet", "blaze_face_short_range", "fer_mini_xception"]
    for name in defaults:
        assert f"{name}: downloaded, {cache / OFFICIAL_MODELS[name].filename}" in out
    assert "4 model(s) ready." in out
    code, out, _ = _run(capsys, "list")
    assert code == 0
    rows = _rows(out)
    for name in defaults:
        assert rows[name].split()[1] == "cached"
    assert "recorded at its first download" in out and "google-coral/test_data publishes" in out
    assert "not cached" in rows["inception_v3_notop"] and "not cached" in rows["vggish"]
    code, out, _ = _run(capsys, "download", "--no-progress", "fer_mini_xception")
    assert code == 0 and "fer_mini_xception: already cached" in out


def test_models_download_errors_are_one_line(mirror, cache, capsys):
    code, out, err = _run(capsys, "download", "unknown")
    assert code == 1 and err.count("\n") == 1
    assert "error: unknown model 'unknown'; known: mobilenet_v1_embedding, yamnet" in err and "'all'" in err
    # The paper's VGGish is not on this mirror: a one-line error naming the address, nothing kept.
    code, out, err = _run(capsys, "download", "--no-progress", "vggish")
    assert code == 1 and err.count("\n") == 1 and "vggish: FAILED" in out
    assert "error: vggish: Cannot download" in err and "vggish_model.ckpt" in err
    assert _files(cache) == []


# ------------------------------------------------------------------------------------ default features
def test_default_feature_spec_takes_the_folder_given_then_the_cache(mirror, cache, shared_weights, tmp_path,
                                                                  monkeypatch):
    """Real downloads in the order of issue 20: a folder given first, then the cache (0.2: the cache first)."""
    from sklearn_emotion.extraction import default_feature_spec

    monkeypatch.chdir(tmp_path)  # no ../shared/weights from here
    spec, notes = default_feature_spec(shared_weights)  # empty cache: the weights folder
    assert spec["image"]["backbone"] == os.fspath(shared_weights / OFFICIAL_MODELS["mobilenet_v1_embedding"].filename)
    assert all("from the weights folder (given)" in note for note in notes)
    for name in ("mobilenet_v1_embedding", "yamnet"):
        OFFICIAL_MODELS[name].fetch(announce=False)
    spec, notes = default_feature_spec(shared_weights)  # the folder given still comes first
    assert spec["audio"]["backbone"] == os.fspath(shared_weights / "yamnet.tflite")
    spec, notes = default_feature_spec(None)  # no folder: the cache, and weight-free where it has nothing
    assert spec["image"]["backbone"] == os.fspath(cache / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")
    assert spec["audio"]["backbone"] == os.fspath(cache / "yamnet.tflite") and "face" not in spec
    assert notes[0].startswith("image: ImageNet MobileNet v1 embedding (1024-d) from the model cache")
    assert notes[1].startswith("audio: AudioSet YAMNet embedding (1024-d) from the model cache")
    assert notes[2].startswith("face: NOT USED") and "models download" in notes[2]
    _corrupt(cache / "yamnet.tflite")
    with pytest.raises(ModelIntegrityError, match="yamnet"):  # nowhere else to take it from: said
        default_feature_spec(None)


def test_a_named_image_network_takes_its_weights_from_the_cache(cache):
    """``ImageEmbedder("InceptionV3")`` uses the cached, checked Keras file: a damaged copy is refused, not downloaded over."""
    from sklearn_emotion.media.backbones import resolve_image_backbone

    cached = cache / OFFICIAL_MODELS["inception_v3_notop"].filename
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(b"not the published weights")
    with pytest.raises(ModelIntegrityError, match="inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        resolve_image_backbone("InceptionV3", weights="imagenet")


# ------------------------------------------------------------------------------------ wrong bytes (issue 19, item 4)
#: What a misconfigured mirror or a captive portal serves with HTTP 200.
ERROR_PAGE = b"<html><body><h1>Not found</h1><p>no such model</p></body></html>"


def test_an_error_page_served_as_a_model_is_refused_and_not_kept(official, serve, cache, monkeypatch, capsys):
    """yamnet has no published digest: a download is accepted only if it is a TFLite model that loads."""
    real = (official / "yamnet.tflite").read_bytes()
    (official / "yamnet.tflite").write_bytes(ERROR_PAGE)
    monkeypatch.setenv(MIRROR_ENV_VAR, serve(official))
    model = OFFICIAL_MODELS["yamnet"]
    with pytest.raises(ModelIntegrityError, match="is not a TFLite model: no TFLite flatbuffer identifier") as caught:
        model.fetch(announce=False)
    assert "not kept" in str(caught.value) and os.environ[MIRROR_ENV_VAR] + "yamnet.tflite" in str(caught.value)
    assert _files(cache) == []  # neither the page, nor a temporary file, nor a record
    code, out, err = _run(capsys, "download", "--no-progress", "yamnet")
    assert code == 1 and "yamnet: FAILED" in out and "is not a TFLite model" in err and _files(cache) == []
    # A flatbuffer's header on bytes that do not load is refused too; the real file is accepted.
    (official / "yamnet.tflite").write_bytes(b"\x1c\x00\x00\x00TFL3" + b"\x00" * 64)
    with pytest.raises(ModelIntegrityError, match="does not load"):
        model.fetch(announce=False)
    assert _files(cache) == []
    (official / "yamnet.tflite").write_bytes(real)
    assert model.fetch(announce=False).read_bytes() == real
    assert "its format and loading" in model.verification


def test_a_bad_cache_entry_is_not_vouched_for_and_does_not_shadow_the_weights_folder(cache, shared_weights, capsys,
                                                                                     tmp_path, monkeypatch):
    """A page stored by an earlier release, with its SHA-256 recorded: `models list` and the default features."""
    from sklearn_emotion.extraction import default_feature_spec
    from sklearn_emotion.media.models import record_sha256

    cache.mkdir(parents=True)
    (cache / "yamnet.tflite").write_bytes(ERROR_PAGE)
    record_sha256(cache, "yamnet.tflite", hashlib.sha256(ERROR_PAGE).hexdigest())
    code, out, err = _run(capsys, "list")
    assert code == 1 and _rows(out)["yamnet"].split()[1] == "FAILS"
    assert "is not a TFLite model" in out and "--force yamnet" in err
    beside = tmp_path / "work" / "checkout"
    beside.mkdir(parents=True)
    (tmp_path / "work" / "shared").symlink_to(shared_weights.parent)
    monkeypatch.chdir(beside)  # ../shared/weights, after the cache
    spec, notes = default_feature_spec(None)
    assert spec["audio"]["backbone"] == os.fspath((shared_weights / "yamnet.tflite").resolve())
    assert "NOT the model cache" in notes[1] and "is not a TFLite model" in notes[1]
    with pytest.raises(ModelIntegrityError, match="is not a TFLite model"):
        OFFICIAL_MODELS["yamnet"].fetch(announce=False)  # used by name: refused, with the way out


def test_each_format_is_checked_and_loaded(tmp_path, shared_weights):
    import h5py
    import numpy as np

    from sklearn_emotion.media.models import check_model_file

    for name in ("yamnet.tflite", "face_detection_short_range.tflite", "fer2013_mini_XCEPTION.102-0.66.hdf5"):
        check_model_file(shared_weights / name)
    np.savez(tmp_path / "pca.npz", pca_means=np.zeros(3), pca_eigen_vectors=np.eye(3))
    check_model_file(tmp_path / "pca.npz")
    with h5py.File(tmp_path / "plain.h5", "w") as h5:
        h5["x"] = np.zeros(3)
    bad = {
        "page.tflite": (ERROR_PAGE, "no TFLite flatbuffer identifier"),
        "page.hdf5": (ERROR_PAGE, "no HDF5 signature"),
        "page.npz": (ERROR_PAGE, "not a zip archive"),
        "page.keras": (ERROR_PAGE, "not a zip archive"),
        "page.ckpt": (ERROR_PAGE, "no TensorFlow checkpoint table"),
        "plain.h5": (None, "neither a Keras model"),
    }
    for name, (content, reason) in bad.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(ModelIntegrityError, match=reason):
            check_model_file(tmp_path / name)


@pytest.mark.subprocess  # TensorFlow writes the checkpoint in a fresh interpreter
def test_a_tensorflow_v1_checkpoint_like_vggishs_passes(tmp_path):
    """VGGish's vggish_model.ckpt is a one-file (V1) checkpoint: one is written in a fresh interpreter."""
    pytest.importorskip("tensorflow")
    import subprocess
    import sys

    from sklearn_emotion.media.models import check_model_file

    path = tmp_path / "model.ckpt"
    script = (
        "import sys, tensorflow as tf\n"
        "tf.compat.v1.disable_eager_execution()\n"
        "tf.compat.v1.get_variable('vggish/conv1/weights', shape=[3, 3], initializer=tf.compat.v1.ones_initializer())\n"
        "saver = tf.compat.v1.train.Saver(write_version=tf.compat.v1.train.SaverDef.V1)\n"
        "with tf.compat.v1.Session() as session:\n"
        "    session.run(tf.compat.v1.global_variables_initializer())\n"
        "    saver.save(session, sys.argv[1], write_meta_graph=False)\n"
    )
    subprocess.run([sys.executable, "-c", script, os.fspath(path)], check=True, capture_output=True, timeout=300)
    check_model_file(path)
    path.write_bytes(path.read_bytes()[:-1] + b"\0")  # the table's end damaged
    with pytest.raises(ModelIntegrityError, match="no TensorFlow checkpoint table"):
        check_model_file(path)
