"""The official pretrained models the package knows by name, the cache they are downloaded into, and where
model files are found.

One registry, :data:`OFFICIAL_MODELS`, serves every place that needs a model by name: the embedders,
which download a model on first use (:meth:`OfficialModel.fetch`); ``sklearn-emotion models
download`` / ``models list``; and :func:`sklearn_emotion.extraction.default_feature_spec`.

Where model files are found
---------------------------
One resolver, :func:`locate_model`, finds an official model's file for the default features, the
command line and the named Keras networks; saved models find their files again (by SHA-256, in
:mod:`sklearn_emotion.model_files`) in the same places, :func:`model_places`, in this order:

1. the folder given explicitly (a function's ``weights_dir``, the command line's ``--weights-dir``);
2. ``$SKLEARN_EMOTION_WEIGHTS`` (:data:`WEIGHTS_ENV_VAR`);
3. the model cache (:func:`models_dir`), each file checked against its digest: a cached file that
   fails its check never shadows what follows;
4. ``../shared/weights`` beside the checkout (:data:`BESIDE_CHECKOUT`, from the current folder).

Until 0.2 the model cache came first unless a folder was given on the command line.

==========================  =====================================================================
name                        what it is
==========================  =====================================================================
``mobilenet_v1_embedding``  ImageNet MobileNet v1 cut at the average pool, 1024-d (TFLite)
``yamnet``                  AudioSet YAMNet, 1024-d embedding or 521 scores (TFLite)
``blaze_face_short_range``  MediaPipe BlazeFace short-range face detector (TFLite)
``fer_mini_xception``       FER2013 mini-Xception expression classifier, 7 scores (Keras)
``inception_v3_notop``      ImageNet InceptionV3 without its classifier (Keras weights, the paper's)
``vggish``                  AudioSet VGGish checkpoint (TensorFlow, the paper's)
``vggish_pca``              VGGish PCA whitening parameters of the AudioSet release
==========================  =====================================================================

The cache
---------
Downloads go to :func:`models_dir`
(``$SKLEARN_EMOTION_HOME/models``; by default the platform's cache folder, e.g.
``~/.cache/sklearn-emotion/models``).  Every download is written to a temporary file beside its
destination and renamed only once complete and checked, so the cache never holds a partial or
unverified file, and concurrent downloads of one file by several processes are safe.

Verification
------------
* A model whose publisher gives a digest is checked against it, at download and at every later use
  (InceptionV3: the MD5 that Keras publishes; the two files served from GitHub: the SHA-256 of the
  file whose git blob id the publisher's repository lists).
* Any other model (no digest can be known offline: YAMNet, BlazeFace, VGGish) is accepted only when
  its format is valid and it really loads (:func:`check_model_file`: a TFLite flatbuffer that a LiteRT
  interpreter allocates, an HDF5 Keras model or weights file that h5py opens, a Keras zip, a
  TensorFlow checkpoint, an ``.npz`` whose arrays load), so that an error page served with HTTP 200 is
  refused.  The SHA-256 of its first download is recorded in ``<cache>/SHA256SUMS`` (the format of
  ``sha256sum``); later uses, and later downloads of the same file, are checked against it and
  against the format again.  ``sklearn-emotion models download --force NAME`` downloads again and
  records the new file.

A failed check raises :class:`ModelIntegrityError` naming the file, what was expected and what was
found, and what to do; a failed download leaves no file in the cache.  :func:`locate_model` passes
over a cached file that fails its check, with a note, when ``../shared/weights`` has the model.

Mirror
------
``$SKLEARN_EMOTION_MODEL_MIRROR`` (:data:`MIRROR_ENV_VAR`): a base address (``http://``,
``https://``, ``file://`` or a local folder) under which every file is fetched by its cache file
name (then by its other known names) instead of from its official address; checks apply as usual.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import ssl
import zipfile
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..files import atomic_write_bytes, locked
from .cache import content_digest
from .errors import BackboneUnavailableError, ModelIntegrityError, ModelNotFoundError

__all__ = [
    "OfficialModel",
    "OFFICIAL_MODELS",
    "DEFAULT_MODELS",
    "ModelIntegrityError",
    "ModelStatus",
    "MIRROR_ENV_VAR",
    "RECORDS_FILE",
    "official_model",
    "official_file",
    "download",
    "DownloadProgress",
    "read_records",
    "record_sha256",
    "notify",
    "check_model_file",
    "size_text",
    "models_dir",
    "BackboneUnavailableError",
    "WEIGHTS_ENV_VAR",
    "BESIDE_CHECKOUT",
    "LOOKUP_ORDER",
    "ModelNotFoundError",
    "ModelPlace",
    "model_places",
    "describe_places",
    "locate_model",
]

#: Environment variable naming a mirror of the model files (see the module docstring).
MIRROR_ENV_VAR = "SKLEARN_EMOTION_MODEL_MIRROR"
#: File of the model cache recording the SHA-256 of each first download (``sha256sum`` format).
RECORDS_FILE = "SHA256SUMS"
_HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}
#: A download's progress callback: ``progress(bytes_so_far, total_bytes_or_None)``.
DownloadProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class OfficialModel:
    """A pretrained model with an official download address.

    Attributes
    ----------
    name : str
        Short name, as the embedders' parameters and ``sklearn-emotion models`` take it.
    filename : str
        Name of the downloaded file in the model cache
        (:func:`models_dir`).
    url : str
        Official download address.
    description : str
        What the model is, for messages.
    how_to : str
        How to supply a local copy instead (said when the download fails).
    local_names : tuple of str
        File names under which a weights folder may hold it, preferred first (an equivalent
        file of another release may have another name).
    digest : str, optional
        ``"algorithm:hex"`` (``md5``, ``sha1`` or ``sha256``) that the file must have, when its
        publisher gives one; otherwise the SHA-256 of the first download is recorded.
    digest_origin : str
        Who gives :attr:`digest`, said after the algorithm's name ("given by Keras (...)").
    licence : str
        Licence of the model file, as its publisher states it.
    default : bool
        Whether the default features use it (``sklearn-emotion models download`` without names).
    """

    name: str
    filename: str
    url: str
    description: str
    how_to: str
    local_names: tuple[str, ...] = ()
    digest: str | None = None
    digest_origin: str = ""
    licence: str = ""
    default: bool = False

    @property
    def weights_file(self) -> str:
        """The preferred file name in a weights folder."""
        return (self.local_names or (self.filename,))[0]

    @property
    def cache_path(self) -> Path:
        """Where the download is (or would be) cached."""
        return models_dir() / self.filename

    @property
    def verification(self) -> str:
        """How the file is checked, in words."""
        if self.digest is None:
            return "its format and loading, and the SHA-256 recorded at its first download"
        return f"{_HASH_NAMES[_split_digest(self.digest)[0]]} {_publisher(self)}"

    def find_in(self, folder: str | os.PathLike | None) -> Path | None:
        """The model's file in ``folder`` (the first of its names present), or None."""
        if folder is None:
            return None
        for name in self.local_names or (self.filename,):
            path = Path(folder) / name
            if path.is_file():
                return path
        return None

    def cached_file(self) -> Path | None:
        """The cached download, checked (see :meth:`fetch`), or None when it is not cached.

        Raises
        ------
        ModelIntegrityError
            When the cached file fails its check.
        """
        path = self.cache_path
        if not path.is_file():
            return None
        _check_cached(path, self)
        return path

    def fetch(self, *, force: bool = False, announce: bool = True, progress: DownloadProgress | None = None) -> Path:
        """The cached download of the model, downloading it (atomically, checked) the first time.

        Parameters
        ----------
        force : bool, default=False
            Download again even when cached, and record the new file's SHA-256 (a publisher's
            digest is still checked).
        announce : bool, default=True
            Say on standard error, in one line, what is downloaded, from where and how big.
        progress : callable, optional
            Called as ``progress(bytes_so_far, total_bytes_or_None)`` while downloading.

        Raises
        ------
        BackboneUnavailableError
            When the file is not cached and cannot be downloaded; the message says :attr:`how_to`.
        ModelIntegrityError
            When the download or the cached file fails its check.
        """
        return download(
            self.url, self.filename, how_to=self.how_to, model=self, force=force, announce=announce,
            progress=progress,
        )

    def status(self) -> ModelStatus:
        """Whether the model is cached and whether the cached file passes its check."""
        path = self.cache_path
        if not path.is_file():
            return ModelStatus(self, path, None, None, "not cached")
        size = path.stat().st_size
        try:
            how = _check_cached(path, self, record=False)
        except ModelIntegrityError as error:
            return ModelStatus(self, path, size, False, f"FAILS ITS CHECK: {error}")
        if how is None:
            return ModelStatus(
                self, path, size, None, f"no {RECORDS_FILE} record (put there by hand?); recorded at next use"
            )
        return ModelStatus(self, path, size, True, how)


@dataclass(frozen=True)
class ModelStatus:
    """What :meth:`OfficialModel.status` found: ``ok`` is None when there is nothing to check."""

    model: OfficialModel
    path: Path
    size: int | None
    ok: bool | None
    check: str

    @property
    def cached(self) -> bool:
        return self.size is not None


def _platform_cache_dir() -> Path:
    """The platform's folder for cached files of this user (``~/.cache``, ``~/Library/Caches``, ...)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:  # XDG: $XDG_CACHE_HOME when it is an absolute path, else ~/.cache
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = xdg if os.path.isabs(xdg) else Path.home() / ".cache"
    return Path(base)


def models_dir() -> Path:
    """Where downloaded model files are cached: ``$SKLEARN_EMOTION_HOME/models``.

    ``SKLEARN_EMOTION_HOME`` defaults to ``sklearn-emotion`` in the platform's cache folder:
    ``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%``
    on Windows.  ``sklearn-emotion models list`` shows it.
    """
    home = os.environ.get("SKLEARN_EMOTION_HOME") or _platform_cache_dir() / "sklearn-emotion"
    return Path(home).expanduser() / "models"


# ------------------------------------------------------------------------------------ digests
def _split_digest(digest: str) -> tuple[str, str]:
    algorithm, _, value = digest.partition(":")
    if algorithm not in _HASH_NAMES or not value:
        raise ValueError(f"digest {digest!r} must be 'md5:<hex>', 'sha1:<hex>' or 'sha256:<hex>'.")
    return algorithm, value.lower()


def read_records(folder: str | os.PathLike | None = None) -> dict[str, str]:
    """The SHA-256 recorded for each first download, ``{file name: hex}``, of the cache ``folder``."""
    path = Path(folder if folder is not None else models_dir()) / RECORDS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    records = {}
    for line in text.splitlines():
        value, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")  # sha256sum marks binary mode with '*'
        if value and name:
            records[name] = value.lower()
    return records


def record_sha256(folder: Path, filename: str, sha256: str) -> None:
    """Record ``filename``'s SHA-256 in the cache's records file (atomic, serialised between processes)."""
    with locked(folder / f".{RECORDS_FILE}.lock"):
        records = read_records(folder)
        if records.get(filename) == sha256:
            return
        records[filename] = sha256
        text = "".join(f"{value}  {name}\n" for name, value in sorted(records.items()))
        atomic_write_bytes(folder / RECORDS_FILE, lambda out: out.write(text.encode("utf-8")))


def _publisher(model: OfficialModel | None) -> str:
    """Who gives a digest, after its algorithm's name: "given by Keras", "of the file ..."."""
    if model is None:
        return "given by the caller"
    return model.digest_origin or "given by its publisher"


def _force_hint(name: str) -> str:
    return f"`sklearn-emotion models download --force {name}`"


# ------------------------------------------------------------------------------------ formats
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: The last 8 bytes of a TensorFlow (V1) checkpoint or of a V2 checkpoint's index: the table's magic number.
_TABLE_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")
_FORMATS = {".tflite": "a TFLite model", ".h5": "an HDF5 Keras file", ".hdf5": "an HDF5 Keras file",
            ".keras": "a Keras model file", ".ckpt": "a TensorFlow checkpoint", ".npz": "a NumPy .npz file"}


def _format_problem(path: Path, suffix: str, *, load: bool) -> str | None:
    """Why ``path`` is not a valid file of its format (``suffix``), or None (see :func:`check_model_file`)."""
    suffix = suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(8)
        size = handle.seek(0, os.SEEK_END)
    found = f"{size} bytes starting {head[:8]!r}"
    if suffix == ".tflite":
        if len(head) < 8 or head[4:8] != b"TFL3":
            return f"no TFLite flatbuffer identifier 'TFL3' at bytes 4-8 ({found})"
        if load:
            return _loads(lambda: _tflite_interpreter(path))
    elif suffix in (".h5", ".hdf5"):
        if not _hdf5_at_some_offset(path, size):
            return f"no HDF5 signature ({found})"
        if load:
            return _loads(lambda: _h5_keras(path))
    elif suffix in (".keras", ".npz"):
        if not zipfile.is_zipfile(path):
            return f"not a zip archive ({found})"
        if load:
            return _loads(lambda: _keras_zip(path) if suffix == ".keras" else _npz(path))
    elif suffix == ".ckpt":
        with open(path, "rb") as handle:
            handle.seek(max(0, size - 8))
            if handle.read(8) != _TABLE_MAGIC:
                return f"no TensorFlow checkpoint table at its end ({found})"
        if load and _tensorflow_available():
            return _loads(lambda: _checkpoint(path))
    return None


def _hdf5_at_some_offset(path: Path, size: int) -> bool:
    """HDF5's signature sits at 0, 512, 1024, 2048, ... (after an optional user block)."""
    offset = 0
    with open(path, "rb") as handle:
        while offset + 8 <= size:
            handle.seek(offset)
            if handle.read(8) == _HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
    return False


def _loads(load: Callable[[], object]) -> str | None:
    try:
        load()
    except ImportError:  # the library that reads it is not installed: the format check must do
        return None
    except Exception as error:  # noqa: BLE001 - any failure to load is the answer
        return f"it does not load: {type(error).__name__}: {' '.join(str(error).split())[:300]}"
    return None


def _tflite_interpreter(path: Path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    from .._backend import native_logs_hidden

    with native_logs_hidden():
        Interpreter(model_path=os.fspath(path)).allocate_tensors()


def _h5_keras(path: Path) -> None:
    import h5py

    with h5py.File(path, "r") as h5:
        if "model_config" not in h5.attrs and "layer_names" not in h5.attrs:
            raise ValueError("an HDF5 file holding neither a Keras model ('model_config') nor Keras weights "
                             "('layer_names')")


def _keras_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise ValueError("a zip archive without the config.json of a Keras model")


def _npz(path: Path) -> None:
    import numpy as np

    with np.load(path, allow_pickle=False) as arrays:
        if not arrays.files:
            raise ValueError("an .npz file without arrays")
        for name in arrays.files:
            arrays[name]


def _tensorflow_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


def _checkpoint(path: Path) -> None:
    import tensorflow as tf

    if not tf.train.load_checkpoint(os.fspath(path)).get_variable_to_shape_map():
        raise ValueError("a checkpoint without variables")


def check_model_file(path: str | os.PathLike, *, suffix: str | None = None, load: bool = True) -> None:
    """Check that ``path`` is a valid model file of its format and, when ``load``, that it loads.

    ``.tflite``: the flatbuffer identifier ``TFL3`` at bytes 4-8 and a LiteRT interpreter allocates
    its tensors; ``.h5``/``.hdf5``: HDF5's signature and h5py finds a Keras model or Keras weights;
    ``.keras``: a zip archive with ``config.json``; ``.ckpt``: a TensorFlow checkpoint table that
    TensorFlow reads (when installed); ``.npz``: a zip archive whose arrays load without pickle.
    Other suffixes are not checked.  A library that is not installed skips its loading check.

    Parameters
    ----------
    path : path-like
    suffix : str, optional
        The format, as a file suffix (default: that of ``path``).
    load : bool, default=True
        Also load the file, not only check its format.

    Raises
    ------
    ModelIntegrityError
        Naming the file, what it should be and what it is.
    """
    path = Path(path)
    suffix = suffix if suffix is not None else path.suffix
    problem = _format_problem(path, suffix, load=load)
    if problem is not None:
        raise ModelIntegrityError(f"{path} is not {_FORMATS[suffix.lower()]}: {problem}.")


_CHECKED: dict[str, tuple[int, int, str]] = {}
_CHECKED_LOCK = threading.Lock()


def _check_cached(path: Path, model: OfficialModel | None, *, digest: str | None = None,
                  record: bool = True) -> str | None:
    """Check a cached file against its publisher's digest or its recorded SHA-256.

    Returns a short sentence saying what it was checked against, or None when there was nothing to
    check it against (then, when ``record``, its SHA-256 is recorded now).  A file is hashed once
    per process while its size and modification time stay the same.
    """
    digest = model.digest if model is not None else digest
    name = model.name if model is not None else path.name
    stat = path.stat()
    if digest is not None:
        algorithm, expected = _split_digest(digest)
        against = f"{_HASH_NAMES[algorithm]} {_publisher(model)}"
    else:
        algorithm, expected = "sha256", read_records(path.parent).get(path.name)
        against = f"SHA-256 recorded at its first download ({path.parent / RECORDS_FILE})"
    key = (stat.st_size, stat.st_mtime_ns, f"{algorithm}:{expected}")
    with _CHECKED_LOCK:
        if expected is not None and _CHECKED.get(os.fspath(path)) == key:
            return f"matches the {against}"
    actual = content_digest(path, algorithm)
    if digest is None and (problem := _format_problem(path, path.suffix, load=True)) is not None:
        # No publisher's digest: a recorded SHA-256 only says the file did not change since it came.
        raise ModelIntegrityError(
            f"The cached file {path} ({name}) fails its check: it is not {_FORMATS[path.suffix.lower()]}: "
            f"{problem}; the download was something else (e.g. an error page). Delete it, or download it "
            f"again with {_force_hint(name)}."
        )
    if expected is None:
        if record:
            try:
                record_sha256(path.parent, path.name, actual)
            except OSError:  # a read-only cache (e.g. shared, or carried on a read-only medium): not recorded
                pass
        return None
    if actual != expected:
        raise ModelIntegrityError(
            f"The cached file {path} ({name}) fails its check: its {_HASH_NAMES[algorithm]} is {actual} but the "
            f"{against} is {expected}; it was modified or corrupted. Delete it, or download it again with "
            f"{_force_hint(name)}."
        )
    with _CHECKED_LOCK:
        _CHECKED[os.fspath(path)] = key
    return f"matches the {against}"


# ------------------------------------------------------------------------------------ downloads
def _sources(url: str, filename: str, alternatives: tuple[str, ...]) -> list[str]:
    """The addresses to try: the official one, or the mirror's file names."""
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if not mirror:
        return [url]
    if "://" not in mirror:  # a local folder
        mirror = Path(mirror).expanduser().resolve().as_uri()
    base = mirror.rstrip("/") + "/"
    return [base + urllib.parse.quote(name) for name in dict.fromkeys((filename, *alternatives))]


#: Errors of the connection (as opposed to errors writing the cache, e.g. a full disk).
_NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError)


def _is_missing(error: Exception) -> bool:
    """Whether a mirror simply does not have the file (then its next name is tried)."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code == 404
    return isinstance(error, urllib.error.URLError) and isinstance(error.reason, FileNotFoundError)


def size_text(size: int | None) -> str:
    """A byte count for people: "12.3 MB", "512 bytes", "size unknown"."""
    if size is None:
        return "size unknown"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def notify(text: str) -> None:
    """Say ``text`` on standard error as one ``sklearn-emotion: ...`` line (a download, a conversion)."""
    print(f"sklearn-emotion: {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class _Expected:
    """What a download must match: ``algorithm`` digest ``value``, given by ``against``; ``advice`` if not."""

    algorithm: str
    value: str
    against: str
    advice: str


def _receive(source: str, out: IO[bytes], target: Path, name: str, what: str, expected: _Expected | None,
             announce: bool, progress: DownloadProgress | None) -> str:
    """Stream ``source`` into ``out``, check it, and return its SHA-256 (raises before anything is kept)."""
    with urllib.request.urlopen(source, timeout=60) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if announce:
            notify(f"downloading {what} ({size_text(total)}) from {source} to {target}")
        hashes = {"sha256": hashlib.sha256()}
        if expected is not None:
            hashes.setdefault(expected.algorithm, hashlib.new(expected.algorithm))
        count = 0
        while block := response.read(1 << 20):
            out.write(block)
            for value in hashes.values():
                value.update(block)
            count += len(block)
            if progress is not None:
                progress(count, total)
    if total is not None and count != total:
        raise http.client.IncompleteRead(b"", total - count)
    if expected is not None and hashes[expected.algorithm].hexdigest() != expected.value:
        raise ModelIntegrityError(
            f"The download of {name} from {source} failed its check: its {_HASH_NAMES[expected.algorithm]} is "
            f"{hashes[expected.algorithm].hexdigest()} but the {expected.against} is {expected.value}. The file "
            f"was not kept; {expected.advice}"
        )
    out.flush()
    os.fsync(out.fileno())
    return hashes["sha256"].hexdigest()


def _expected(model: OfficialModel | None, digest: str | None, folder: Path, filename: str,
              force: bool) -> _Expected | None:
    """What the download of ``filename`` must match: its publisher's digest, else its record (unless forced)."""
    if digest is not None:
        algorithm, value = _split_digest(digest)
        return _Expected(algorithm, value, f"{_HASH_NAMES[algorithm]} {_publisher(model)}",
                         f"try again, or check ${MIRROR_ENV_VAR} if it is set.")
    recorded = None if force else read_records(folder).get(filename)
    if recorded is None:
        return None
    name = model.name if model is not None else filename
    return _Expected("sha256", recorded, f"SHA-256 recorded at its first download in {folder / RECORDS_FILE}",
                     f"if the publisher changed the file on purpose (features made with the two files differ), "
                     f"accept the new one with {_force_hint(name)}.")


def download(
    url: str,
    filename: str,
    *,
    how_to: str,
    model: OfficialModel | None = None,
    digest: str | None = None,
    force: bool = False,
    announce: bool = True,
    progress: DownloadProgress | None = None,
) -> Path:
    """Return the cached copy of ``url`` (checked), downloading it atomically when absent.

    Parameters
    ----------
    url : str
        Official download address (replaced by the mirror's when :data:`MIRROR_ENV_VAR` is set).
    filename : str
        Name of the cached file under :func:`models_dir`.
    how_to : str
        Sentence telling the user how to pass a local copy instead (used in the offline error).
    model : OfficialModel, optional
        The registry entry (its digest, name, description and other file names are used).
    digest : str, optional
        ``"algorithm:hex"`` the file must have, when no ``model`` is given.
    force, announce, progress
        See :meth:`OfficialModel.fetch`.

    Raises
    ------
    BackboneUnavailableError
        When the file is not cached and cannot be downloaded.
    ModelIntegrityError
        When the download, or the cached file, fails its check.
    """
    folder = models_dir()
    target = folder / filename
    if target.is_file() and not force:
        _check_cached(target, model, digest=digest)
        return target
    if model is not None:
        digest = model.digest
    name = model.name if model is not None else filename
    what = model.description if model is not None else filename
    expected = _expected(model, digest, folder, filename, force)
    sources = _sources(url, filename, model.local_names if model is not None else ())
    errors: list[str] = []
    sha256 = ""
    for source in sources:
        def write(out: IO[bytes], source: str = source) -> None:
            nonlocal sha256
            sha256 = _receive(source, out, target, name, what, expected, announce, progress)

        # Complete and synced under a temporary name (as atomic_write_bytes names them), checked, then renamed:
        # a failed or unchecked download leaves no file.
        staging = target.with_name(f".{filename[:200]}.{secrets.token_hex(8)}.tmp")
        try:
            try:
                atomic_write_bytes(staging, write)
                if digest is None and (problem := _format_problem(staging, target.suffix, load=True)) is not None:
                    raise ModelIntegrityError(
                        f"The download of {name} from {source} is not {_FORMATS[target.suffix.lower()]}: {problem}. "
                        f"The file was not kept; the address served something else (e.g. an error page): try "
                        f"again, or check ${MIRROR_ENV_VAR} if it is set."
                    )
                os.replace(staging, target)
            finally:
                staging.unlink(missing_ok=True)
        except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, _NETWORK_ERRORS):  # e.g. no space, no permission
                raise BackboneUnavailableError(
                    f"Cannot write the download of {what} to {target} ({exc}); set $SKLEARN_EMOTION_HOME to a "
                    f"writable folder with enough space. {how_to}"
                ) from exc
            if _is_missing(exc) and source != sources[-1]:
                errors.append(f"{source} (not found)")
                continue
            reason = (f"incomplete download, {exc.expected} bytes missing"
                      if isinstance(exc, http.client.IncompleteRead) else str(exc))
            tried = "; ".join([*errors, f"{source} ({reason})"])
            if os.environ.get(MIRROR_ENV_VAR, "").strip():
                where = f"the mirror: {tried} (${MIRROR_ENV_VAR}; unset it to download from {url})"
            else:
                where = (f"{tried}; this machine may be offline (a proxy is taken from $https_proxy; "
                         f"${MIRROR_ENV_VAR} can name a copy of the files)")
            raise BackboneUnavailableError(f"Cannot download {what} from {where}. {how_to}") from None
        break
    record_sha256(folder, filename, sha256)
    stat = target.stat()
    checked = f"{expected.algorithm}:{expected.value}" if digest is not None and expected else f"sha256:{sha256}"
    with _CHECKED_LOCK:
        _CHECKED[os.fspath(target)] = (stat.st_size, stat.st_mtime_ns, checked)
    return target


# ------------------------------------------------------------------------------------ the registry
_VGGISH_HOW_TO = (
    "Download vggish_model.ckpt and vggish_pca_params.npz from the AudioSet release "
    "(https://storage.googleapis.com/audioset/vggish_model.ckpt, "
    "https://storage.googleapis.com/audioset/vggish_pca_params.npz), or run `sklearn-emotion models download "
    "vggish vggish_pca` on a machine with network, and pass "
    "AudioEmbedder('vggish', weights='/path/vggish_model.ckpt', pca_params='/path/vggish_pca_params.npz')."
)
_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

OFFICIAL_MODELS: dict[str, OfficialModel] = {
    model.name: model
    for model in (
        OfficialModel(
            "mobilenet_v1_embedding",
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
            "https://github.com/google-coral/test_data/raw/master/"
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
            "ImageNet MobileNet v1 embedding (1024-d)",
            "Download it from google-coral/test_data and pass ImageEmbedder('/path/"
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite').",
            # git blob 8886421f40a40b431334610460fc04c924d57f20 at google-coral/test_data@104342d2d3480b3e
            digest="sha256:f409ef4f73fcbb9667841965623c5c8524aac33d41b9bf5f3667161fb4a76319",
            digest_origin="of the file google-coral/test_data publishes as git blob 8886421f (commit 104342d)",
            licence="Apache-2.0 (google-coral/test_data)",
            default=True,
        ),
        OfficialModel(
            "yamnet",
            "yamnet.tflite",
            "https://storage.googleapis.com/mediapipe-models/audio_classifier/yamnet/float32/latest/yamnet.tflite",
            "AudioSet YAMNet embedding (1024-d)",
            "Download yamnet.tflite (https://storage.googleapis.com/mediapipe-models/audio_classifier/yamnet/"
            "float32/latest/yamnet.tflite, or convert the official Keras YAMNet) and pass "
            "AudioEmbedder('/path/yamnet.tflite').",
            licence="Apache-2.0 (YAMNet, TensorFlow Models; MediaPipe models)",
            default=True,
        ),
        OfficialModel(
            "blaze_face_short_range",
            "blaze_face_short_range.tflite",
            "https://storage.googleapis.com/mediapipe-models/face_detector/blaze_face_short_range/float16/latest/"
            "blaze_face_short_range.tflite",
            "MediaPipe BlazeFace short-range face detector",
            "Download it (or take face_detection_short_range.tflite from a mediapipe<=0.10.21 wheel) and pass "
            "FaceEmbedder(detector='/path/face_detection_short_range.tflite').",
            # The same detector as shipped inside mediapipe<=0.10.21 wheels, then the official download.
            local_names=("face_detection_short_range.tflite", "blaze_face_short_range.tflite"),
            licence="Apache-2.0 (MediaPipe)",
            default=True,
        ),
        OfficialModel(
            "fer_mini_xception",
            "fer2013_mini_XCEPTION.102-0.66.hdf5",
            "https://github.com/oarriaga/face_classification/raw/master/trained_models/emotion_models/"
            "fer2013_mini_XCEPTION.102-0.66.hdf5",
            "FER2013 mini-Xception expression scores (7 emotions)",
            "Download it from oarriaga/face_classification and pass FaceEmbedder(face_model='/path/file.hdf5').",
            # git blob 4d6900b8fd0dd69328a641d36c1d8821c01b80d8 at oarriaga/face_classification@b861d21b0e76ca55
            digest="sha256:59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
            digest_origin="of the file oarriaga/face_classification publishes as git blob 4d6900b8 (commit b861d21)",
            licence="MIT (oarriaga/face_classification)",
            default=True,
        ),
        OfficialModel(
            "inception_v3_notop",
            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            _KERAS_WEIGHTS + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "ImageNet InceptionV3 weights without the classifier (Keras; the paper's image features)",
            "Download inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 (keras-applications release), or "
            "run `sklearn-emotion models download inception_v3_notop` on a machine with network, and pass "
            "ImageEmbedder('InceptionV3', weights='/path/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5').",
            digest="md5:bcbd6486424b2319ff4ef7d526e38f63",
            digest_origin="given by Keras (the file_hash of keras.applications.InceptionV3)",
            licence="Keras Applications weights (Keras is Apache-2.0; no separate licence is stated for the file)",
        ),
        OfficialModel(
            "vgg16",
            "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
            _KERAS_WEIGHTS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
            "ImageNet VGG16 with its classifier (Keras; layer 'fc1' = fc6, the MediaEval baseline's image features)",
            "Download vgg16_weights_tf_dim_ordering_tf_kernels.h5 (keras-applications release, 553 MB), or run "
            "`sklearn-emotion models download vgg16` on a machine with network, and pass "
            "ImageEmbedder('VGG16', weights='/path/vgg16_weights_tf_dim_ordering_tf_kernels.h5', output='fc1').",
            digest="md5:64373286793e3c8b2b4e3219cbf3544b",
            digest_origin="given by Keras (the file_hash of keras.applications.VGG16)",
            licence="Keras Applications weights (Keras is Apache-2.0; no separate licence is stated for the file)",
        ),
        OfficialModel(
            "vggish",
            "vggish_model.ckpt",
            "https://storage.googleapis.com/audioset/vggish_model.ckpt",
            "AudioSet VGGish checkpoint (128-d embedding; the paper's audio features)",
            _VGGISH_HOW_TO,
            licence="Apache-2.0 (TensorFlow Models, research/audioset/vggish)",
        ),
        OfficialModel(
            "vggish_pca",
            "vggish_pca_params.npz",
            "https://storage.googleapis.com/audioset/vggish_pca_params.npz",
            "PCA whitening and quantisation parameters of the AudioSet VGGish release",
            _VGGISH_HOW_TO,
            licence="Apache-2.0 (TensorFlow Models, research/audioset/vggish)",
        ),
    )
}

#: The models the default features use: what ``sklearn-emotion models download`` fetches without names.
DEFAULT_MODELS: tuple[str, ...] = tuple(name for name, model in OFFICIAL_MODELS.items() if model.default)


def official_model(name: str) -> OfficialModel:
    """The registry entry ``name`` of :data:`OFFICIAL_MODELS`, with an error listing the known names."""
    try:
        return OFFICIAL_MODELS[name]
    except KeyError:
        raise KeyError(f"No official model named {name!r}; known: {sorted(OFFICIAL_MODELS)}.") from None


def official_file(spec: object, model: OfficialModel) -> Path | None:
    """The file of ``model`` that ``spec`` names, or None when it names another model.

    ``spec`` names it by its name (the cached download is returned, fetched the first time), or as a
    file whose content has the publisher's digest (under any file name).  A model without a
    publisher's digest is recognised by its name only.

    Parameters
    ----------
    spec : object
        What a parameter was given: a name, a path, a model object.
    model : OfficialModel
        The registry entry (:data:`OFFICIAL_MODELS`).
    """
    if isinstance(spec, str) and spec == model.name:
        return model.fetch()
    if model.digest is None or not isinstance(spec, (str, os.PathLike)) or not os.path.isfile(spec):
        return None
    algorithm, value = _split_digest(model.digest)
    return Path(spec) if content_digest(spec, algorithm) == value else None


# ------------------------------------------------------------------------------------ where model files are found
#: Environment variable naming a folder of model files, looked in after a folder given explicitly.
WEIGHTS_ENV_VAR = "SKLEARN_EMOTION_WEIGHTS"
#: The folder of model files beside the checkout, relative to the current folder; looked in last.
BESIDE_CHECKOUT = Path("..") / "shared" / "weights"
#: The order in which model files are looked up, first to last, in words (for help texts and documentation;
#: the command line keeps a copy, so that its help needs no import of this module).
LOOKUP_ORDER = ("the folder given with --weights-dir, $SKLEARN_EMOTION_WEIGHTS, the model cache (digest-checked), "
                "../shared/weights beside the checkout")


@dataclass(frozen=True)
class ModelPlace:
    """A place model files are looked up in (see :func:`model_places`).

    Attributes
    ----------
    level : {"given", "environment", "cache", "beside"}
        Which of the four places it is.
    folder : Path
        The folder (the cache's may not exist yet).
    description : str
        What it is, for messages: "weights folder (given)", "model cache", ...
    """

    level: str
    folder: Path
    description: str

    def __str__(self) -> str:
        return f"the {self.description} {self.folder}"


def model_places(weights_dir: str | os.PathLike | None = None) -> list[ModelPlace]:
    """The places model files are looked up in, in order.

    1. ``weights_dir``, the folder given explicitly (function argument, ``--weights-dir``);
    2. ``$SKLEARN_EMOTION_WEIGHTS`` (:data:`WEIGHTS_ENV_VAR`) when set;
    3. the model cache (:func:`models_dir`, filled by ``sklearn-emotion models download``), whose files
       are checked against their digest (:meth:`OfficialModel.cached_file`);
    4. ``../shared/weights`` beside the checkout (:data:`BESIDE_CHECKOUT`, from the current folder),
       when it exists.

    Raises
    ------
    FileNotFoundError
        When ``weights_dir``, or the folder that ``$SKLEARN_EMOTION_WEIGHTS`` names, is not a folder.
    """
    places = []
    if weights_dir is not None:
        if not Path(weights_dir).is_dir():
            raise FileNotFoundError(f"Weights folder not found: {weights_dir}")
        places.append(ModelPlace("given", Path(weights_dir), "weights folder (given)"))
    env = os.environ.get(WEIGHTS_ENV_VAR)
    if env:
        if not Path(env).is_dir():
            raise FileNotFoundError(f"${WEIGHTS_ENV_VAR} names {env}, which is not a folder.")
        places.append(ModelPlace("environment", Path(env), f"weights folder (${WEIGHTS_ENV_VAR})"))
    places.append(ModelPlace("cache", models_dir(), "model cache"))
    if BESIDE_CHECKOUT.is_dir():
        places.append(ModelPlace("beside", BESIDE_CHECKOUT.resolve(), "weights folder beside the checkout"))
    # A folder named twice (e.g. --weights-dir ../shared/weights) is one place, at its first rank.
    unique: dict[Path, ModelPlace] = {}
    for place in places:
        unique.setdefault(place.folder.resolve(), place)
    return list(unique.values())


def describe_places(places: list[ModelPlace]) -> str:
    """The places of :func:`model_places` in one phrase, saying which optional ones are absent."""
    absent = [what for missing, what in ((not os.environ.get(WEIGHTS_ENV_VAR), f"${WEIGHTS_ENV_VAR} unset"),
                                         (not BESIDE_CHECKOUT.is_dir(), f"no {BESIDE_CHECKOUT}")) if missing]
    return ", ".join(map(str, places)) + (f" ({', '.join(absent)})" if absent else "")


def locate_model(model: OfficialModel | str, weights_dir: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The file of an official model, from the first of :func:`model_places` that has it.

    A folder's file is taken as it is (under any of the model's names, :meth:`OfficialModel.find_in`);
    the cached file only when it passes its check.  A cached file that fails its check never shadows
    the places after the cache: their file is used, and the source says why.  Nothing is downloaded.

    Parameters
    ----------
    model : OfficialModel or str
        The model, or its name in :data:`OFFICIAL_MODELS`.
    weights_dir : path-like, optional
        The folder given explicitly, looked in first.

    Returns
    -------
    path : Path
        The file (absolute).
    source : str
        Where it was found, for messages: "weights folder (given)", "model cache", ...

    Raises
    ------
    ModelNotFoundError
        A ``FileNotFoundError`` naming the model and every place looked in.
    ModelIntegrityError
        When the only copy is a cached file that fails its check (the message says how to download it again).
    """
    model = official_model(model) if isinstance(model, str) else model
    places = model_places(weights_dir)
    failed: ModelIntegrityError | None = None
    for place in places:
        if place.level != "cache":
            path = model.find_in(place.folder)
        else:
            try:
                path = model.cached_file()
            except ModelIntegrityError as error:
                failed, path = error, None
        if path is not None:
            refused = "" if failed is None else f" (NOT the model cache: {' '.join(str(failed).split())})"
            return path.resolve(), place.description + refused
    others = describe_places([place for place in places if place.level != "cache"]) if failed else ""
    if failed is not None:
        raise ModelIntegrityError(f"{' '.join(str(failed).split())} No other copy: looked in {others or 'no folder'}.")
    raise ModelNotFoundError(
        f"{model.description} ({model.weights_file}) is not found: looked in {describe_places(places)}. "
        f"`sklearn-emotion models download {model.name}` fetches it."
    )
