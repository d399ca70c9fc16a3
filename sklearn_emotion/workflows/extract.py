"""Videos -> a folder of per-second features, every finished movie kept: the ``extract`` command.

:func:`extract_to_folder` writes ``<movie>.npz`` as soon as each movie is done and ``features.json``
(the settings, which ``fit`` records so that ``predict`` can take videos); a movie already extracted
with the same settings from the same file content is skipped, so an interrupted run resumes.  The
folder's bookkeeping (claim under a lock, records, manifest) is :class:`~sklearn_emotion.feature_folder.FeatureFolder`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .movies import AUDIO_SUFFIXES, VIDEO_SUFFIXES, MoviesFailedError, attempt_movie

__all__ = ["device_line", "keras_modalities", "extract_to_folder", "find_movies"]


def device_line(spec: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """Where the Keras networks of ``spec`` run, that it has none, or that TensorFlow is missing and what to install.

    TensorFlow is imported only when ``spec`` has a Keras network (:func:`keras_modalities`), or when no
    ``spec`` is given.
    """
    from .._backend import INSTALL_HINT, tensorflow_device

    modalities = None if spec is None else keras_modalities(spec)
    if modalities == []:
        return "Keras networks: none used by these features (their TFLite and MediaPipe models run on the CPU)."
    which = "" if modalities is None else f" for the {' and '.join(modalities)} features"
    try:
        return tensorflow_device() + which + "."
    except ImportError:
        return f"Keras networks{which}: TensorFlow is not installed ({INSTALL_HINT})."


def keras_modalities(spec: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The modalities of ``spec`` whose network runs with Keras, i.e. needs TensorFlow.

    Keras runs the named ``keras.applications`` models, Keras model files and objects, the weight-free
    colour layout and VGGish; ``.tflite`` files, YAMNet, MediaPipe's detector, openSMILE and the audio
    descriptors do not, nor the FER2013 face model, which runs as its cached TFLite conversion.
    """
    from ..extraction import WEIGHT_FREE_IMAGE
    from ..media import AudioEmbedder, FaceEmbedder, ImageEmbedder
    from ..media.backbones import runs_keras
    from ..media.models import OFFICIAL_MODELS, official_file

    found = []
    for modality, options in spec.items():
        kind = options.get("kind", modality)
        if kind == "image":
            backbone = options.get("backbone", ImageEmbedder.backbone)
            keras = backbone == WEIGHT_FREE_IMAGE or runs_keras(backbone)
        elif kind == "audio":
            keras = options.get("backbone", AudioEmbedder.backbone) == "vggish"
        elif kind == "face":
            model = options.get("face_model", FaceEmbedder.face_model)
            fer = OFFICIAL_MODELS["fer_mini_xception"]  # by name (never fetched here) or by its file's digest
            keras = model != fer.name and official_file(model, fer) is None and runs_keras(model)
        else:
            continue  # build_embedders refuses it
        if keras:
            found.append(modality)
    return found


def find_movies(paths: Sequence[str | os.PathLike], spec: Mapping[str, Any]) -> list[Path]:
    """The movie files named by ``paths`` (folders expanded, sorted); audio files too when ``spec`` is audio only.

    Raises
    ------
    FileNotFoundError, ValueError
        When a path is missing or a folder holds no movie (saying when it holds audio files instead).
    """
    from ..files import find_files

    audio_only = set(spec) == {"audio"}
    suffixes = VIDEO_SUFFIXES + AUDIO_SUFFIXES if audio_only else VIDEO_SUFFIXES
    try:
        return find_files(paths, suffixes, "movie or audio file" if audio_only else "video file")
    except (FileNotFoundError, ValueError) as error:
        folders = [Path(p) for p in paths if Path(p).is_dir()]
        if not audio_only and any(f.suffix.lower() in AUDIO_SUFFIXES for d in folders for f in d.iterdir()):
            raise type(error)(f"{error} It holds audio files: to extract audio features only, add "
                              "--image none --face none.") from None
        raise


def extract_to_folder(videos: Sequence[str | os.PathLike], output: str | os.PathLike,
                      spec: Mapping[str, Mapping[str, Any]], *, notes: Sequence[str] = (),
                      n_jobs: int | None = None, cache_dir: str | os.PathLike | None = None,
                      overwrite: bool = False, missing_audio: str = "error", progress: bool = True,
                      echo: Callable[[str], None] = print) -> list[str]:
    """Extract the features of each movie of ``videos`` into ``output``: the ``extract`` command.

    Parameters
    ----------
    videos : sequence of path-like
        Video files or folders of them (audio files too when ``spec`` has the audio modality alone).
    output : path-like
        The features folder: ``<movie>.npz`` per movie and ``features.json``.
    spec : dict
        The feature specification (:func:`sklearn_emotion.extraction.default_feature_spec`).
    notes : sequence of str
        Lines said before the work (e.g. where the models come from).
    n_jobs, cache_dir, progress
        As :func:`sklearn_emotion.extraction.feature_union`'s.
    overwrite : bool, default=False
        Extract every movie again, also into a folder recording other settings.
    missing_audio : {"error", "silence"}
        What a movie without sound track gets.
    echo : callable
        Prints the progress lines.

    Returns
    -------
    list of str
        The movies of ``videos`` whose features are in the folder.

    Raises
    ------
    MoviesFailedError
        A ``ValueError`` naming each movie that failed, once the others are saved.
    FolderSettingsError
        A ``ValueError``: the folder records other settings (and not ``overwrite``).
    ValueError, FileNotFoundError, OSError
        Before any movie: a missing input, ``output`` a file or read-only; after them, the manifest
        could not be written (the feature files are kept).

    Examples
    --------
    Two generated movies, with the weight-free image and audio features:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import make_movie_files
    >>> from sklearn_emotion.files import load_features
    >>> from sklearn_emotion.workflows import extract_to_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> data = make_movie_files(root / "movies", 2, min_seconds=4, max_seconds=5, random_state=0)
    >>> spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
    >>> extract_to_folder(data.videos, root / "features", spec, progress=False, echo=lambda line: None)
    ['movie_00', 'movie_01']
    >>> {name: features.shape for name, features in load_features(root / "features" / "movie_00.npz").items()}
    {'image': (5, 51), 'audio': (5, 112)}
    """
    from ..feature_folder import FeatureFolder
    from ..files import FEATURE_SUFFIX, check_writable
    from ..media.cache import content_digest

    videos = find_movies(videos, spec)
    for note in [*notes, device_line(spec)]:
        echo(note)
    folder = FeatureFolder(output)
    if folder.path.exists() and not folder.path.is_dir():
        raise ValueError(f"-o {folder.path}: a file of that name exists; the output must be a folder.")
    check_writable(folder.path)  # a read-only folder is found before any movie is extracted
    refusal = folder.refusal(spec)
    if refusal is not None and not overwrite:  # checked again under the lock before the first and every movie
        raise _settings_error(refusal)
    contents = {video: content_digest(video) for video in videos}  # the skip key: a replaced file is redone
    todo = [v for v in videos if overwrite or not folder.is_done(v.stem, contents[v], spec)]
    if len(todo) < len(videos):
        echo(f"{len(videos) - len(todo)} movie(s) already extracted in {folder.path}, skipped (--overwrite to redo).")
    failures: dict[Path, Exception] = {}
    try:
        if todo:
            _extract(folder, todo, contents, spec, failures, n_jobs=n_jobs, cache_dir=cache_dir, overwrite=overwrite,
                     missing_audio=missing_audio, progress=progress, echo=echo)
    finally:
        manifest, manifest_error = _write_manifest(folder, spec, missing_audio)
    done = [v.stem for v in videos if manifest is not None and v.stem in manifest["movies"]]
    if manifest is not None:
        echo(f"Features of {len(done)} of {len(videos)} movie(s) in {folder.path} (one {FEATURE_SUFFIX} per movie).")
    note = "" if manifest_error is None else _manifest_note(manifest_error, folder)
    if failures:
        raise MoviesFailedError(failures, "the others are saved, rerun to retry", note)
    if manifest_error is not None:
        raise OSError(note) from manifest_error
    return done


def _extract(folder: Any, todo: Sequence[Path], contents: Mapping[Path, str], spec: Mapping[str, Any],
             failures: dict[Path, Exception], *, n_jobs: int | None, cache_dir: str | os.PathLike | None,
             overwrite: bool, missing_audio: str, progress: bool, echo: Callable[[str], None]) -> None:
    """Claim ``folder`` for ``spec`` and save each movie of ``todo`` as soon as it is extracted."""
    from ..extraction import feature_union
    from ..feature_folder import FolderSettingsError

    union = feature_union(spec, n_jobs=n_jobs, cache_dir=cache_dir, progress=progress, missing_audio=missing_audio)
    try:  # the folder's settings are recorded before the first movie, so that another run sees them
        folder.claim(spec, missing_audio, overwrite=overwrite)
    except FolderSettingsError as error:
        raise _settings_error(error) from None

    def save(video: Path, features: Any) -> str:  # on disk at once: an interruption or a later failure keeps it
        # A FolderSettingsError or OSError here (e.g. a name too long) fails this movie alone.
        folder.save(video.stem, features, source=video, content=contents[video], spec=spec,
                    missing_audio=missing_audio)
        return video.stem

    echo(f"Extracting {len(todo)} movie(s)...")
    for index, result in union.iter_transform([os.fspath(v) for v in todo], on_error="return"):
        attempt_movie(todo[index], result, save, failures, echo)


def _settings_error(error: Exception) -> Exception:
    """The folder records other settings: the same error, saying what to do."""
    from ..feature_folder import FolderSettingsError

    return FolderSettingsError(f"{error}\nUse another output folder, or --overwrite to replace them.")


def _write_manifest(folder: Any, spec: Mapping[str, Any], missing_audio: str) -> tuple[Any, OSError | None]:
    """``(manifest, None)``, or ``(None, error)`` when it cannot be written (e.g. a full disk)."""
    try:
        return folder.write_manifest(spec, missing_audio), None
    except OSError as error:  # said with the failures, not instead of them
        return None, error


def _manifest_note(error: OSError, folder: Any) -> str:
    from ..feature_folder import MANIFEST
    from .movies import error_line

    return (f"{error_line(error)}: the feature files saved are kept, and the next run into {folder.path} writes "
            f"{MANIFEST} again.")
