"""What every ``sklearn-emotion`` command shares: errors, output, input files, feature options."""

from __future__ import annotations

import argparse
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: File suffixes taken as videos when a folder is given to ``extract`` or ``predict``.
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".flv")
#: File suffixes also taken by ``extract`` when only audio features are extracted.
AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".m4a", ".ogg", ".opus", ".aac")


class CommandError(Exception):
    """An error the user can fix (bad file, missing input); printed without a traceback."""


def wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


def echo(*parts: Any) -> None:
    print(*parts, flush=True)


def progress_enabled(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_progress", False)


def collect(paths: Sequence[str], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Files named by ``paths`` (folders expanded to their files with ``suffixes``, sorted)."""
    from ..files import find_files

    try:
        return find_files(paths, suffixes, what)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error


def feature_spec_from_args(args: argparse.Namespace) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from ..extraction import default_feature_spec, resolve_weights_dir

    folder, origin = resolve_weights_dir(args.weights_dir)
    # A folder given on the command line wins over the model cache; otherwise the cache comes first.
    spec, notes = default_feature_spec(folder, prefer_folder=args.weights_dir is not None)
    notes = [f"Features: {origin}."] + notes
    # --image/--audio name a backbone, --face a detector; "none" switches the modality off
    for modality, key in (("image", "backbone"), ("audio", "backbone"), ("face", "detector")):
        chosen = getattr(args, modality)
        if chosen is None:
            continue
        if chosen == "none":
            spec.pop(modality, None)
        else:
            spec[modality] = {key: chosen}
        notes.append(f"{modality}: --{modality} {chosen}")
    if args.image_output and "image" in spec:
        spec["image"]["output"] = args.image_output
    for modality, option, key in (("image", "image_weights", "weights"), ("audio", "audio_weights", "weights"),
                                  ("audio", "pca_params", "pca_params")):
        value = getattr(args, option, None)
        if value is None:
            continue
        if modality not in spec:
            raise CommandError(f"--{option.replace('_', '-')} is given but the {modality} modality is off.")
        if not Path(value).exists() and not Path(f"{value}.index").exists():  # a checkpoint is a prefix
            raise CommandError(f"--{option.replace('_', '-')}: file not found: {value}")
        spec[modality][key] = os.fspath(Path(value).resolve())
    if args.face_model and "face" in spec and args.face not in (None, "none"):
        spec["face"]["face_model"] = args.face_model
    for modality, options in spec.items():
        for key in ("backbone", "detector", "face_model"):
            value = options.get(key)
            if isinstance(value, str) and Path(value).suffix and Path(value).exists():
                options[key] = os.fspath(Path(value).resolve())
    if not spec:
        raise CommandError("every modality is switched off (--image none --audio none --face none).")
    return spec, notes


def load_feature_folder_spec(paths: Sequence[str]) -> dict[str, Any]:
    """The feature settings recorded by ``extract`` beside the given feature files.

    Returns ``{"feature_spec": dict or None, "missing_audio": "error" or "silence"}``: the settings
    of the folders' ``features.json`` when every folder that has one records the same (else
    ``None``), and the missing-audio policy they were extracted with ("error" when unknown).
    """
    from ..feature_folder import read_folder_spec

    folders = {entry if entry.is_dir() else entry.parent for entry in map(Path, paths)}
    settings = []
    for folder in sorted(folders):
        try:
            spec = read_folder_spec(folder)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if spec is not None:
            settings.append({"feature_spec": spec, "missing_audio": _folder_missing_audio(folder)})
    if settings and all(entry == settings[0] for entry in settings):
        return settings[0]
    return {"feature_spec": None, "missing_audio": "error"}


def _folder_missing_audio(folder: Path) -> str:
    """The missing-audio policy a feature folder's manifest records ("error" when it records none)."""
    import json

    from ..feature_folder import MANIFEST

    # TODO switch to feature_folder.read_folder_settings once it records the policy
    try:
        policy = json.loads((folder / MANIFEST).read_text()).get("missing_audio", "error")
    except (OSError, ValueError, AttributeError):
        return "error"
    return policy if policy in ("error", "silence") else "error"


def load_feature_corpus(paths: Sequence[str]) -> tuple[list[str], list[dict], list[Path]]:
    """The feature files named by ``paths``: movie names, features and files, all of the same widths."""
    from ..files import FEATURE_SUFFIX, find_feature_files, load_features

    try:
        files = find_feature_files(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    files = [f for f in files if f.suffix == FEATURE_SUFFIX] or files
    movies = [load_features(path) for path in files]
    names = [path.stem for path in files]
    first = {k: v.shape[1] for k, v in movies[0].items()}
    for name, movie in zip(names, movies):
        widths = {k: v.shape[1] for k, v in movie.items()}
        if widths != first:
            raise CommandError(f"movie {name} has features {widths} but {names[0]} has {first}.")
    return names, movies, files


def one_line(error: BaseException) -> str:
    """An exception as one line: its message, and its type when the message does not say much."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: {text}"


def add_feature_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("features (default: the models of the weights folder, else weight-free)")
    group.add_argument("--weights-dir", metavar="DIR",
                       help="folder of small pretrained models (default: $SKLEARN_EMOTION_WEIGHTS, "
                            "or ../shared/weights if it exists); without one, weight-free features are used")
    group.add_argument("--image", metavar="BACKBONE",
                       help="image network: a keras.applications name (e.g. InceptionV3, needs its weights), a "
                            ".tflite or Keras model file, 'colour-layout' (weight-free) or 'none'; VGG16 with --image-output fc1 "
                            "gives fc6 (built with its classifier)")
    group.add_argument("--image-output", metavar="TENSOR", help="intermediate tensor/layer of the image network to read")
    group.add_argument("--audio", metavar="BACKBONE",
                       help="audio network: vggish, yamnet, a YAMNet-like .tflite file, 'descriptors' (weight-free), "
                            "openSMILE functionals egemaps, compare, emobase or is10 (the opensmile extra: research "
                            "and personal use only), or 'none'")
    group.add_argument("--face", metavar="DETECTOR",
                       help="MediaPipe face detector .tflite (or blaze_face_short_range), or 'none'")
    group.add_argument("--face-model", metavar="MODEL", help="network embedding the face crops (see docs/media.md)")
    group.add_argument("--image-weights", metavar="FILE",
                       help="local weights file of a named --image network (e.g. the InceptionV3 'notop' .h5, or "
                            "VGG16's file with the top for --image-output fc1), instead of downloading them")
    group.add_argument("--audio-weights", metavar="FILE",
                       help="local VGGish weights (vggish_model.ckpt prefix or a Keras .weights.h5), "
                            "instead of downloading them")
    group.add_argument("--pca-params", metavar="FILE",
                       help="local VGGish PCA parameters (vggish_pca_params.npz), instead of downloading them")


def device_line() -> str:
    """Where the Keras networks run (imports TensorFlow), or that TensorFlow is missing and what to install."""
    from .._backend import INSTALL_HINT, tensorflow_device

    try:
        return tensorflow_device() + "."
    except ImportError:
        return f"Keras networks: TensorFlow is not installed ({INSTALL_HINT})."


def load_model_arg(args: argparse.Namespace) -> Any:
    """The model of ``args.model`` (``--trust-model`` for pickle files), or a one-line error."""
    from ..persistence import load_model

    try:
        return load_model(args.model, trust_pickle=args.trust_model)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(" ".join(str(exc).split())) from None


def check_widths(model: Any, name: str, movie: dict) -> None:
    """A movie's features have the modalities and widths the model was trained on."""
    widths = {k: int(v.shape[1]) for k, v in movie.items()}
    if widths != model.modalities:
        raise CommandError(f"movie {name} has features {widths} but the model was trained on {model.modalities}.")


def video_features(model: Any, videos: Sequence[Path], args: argparse.Namespace) -> list[dict]:
    """The features of ``videos`` extracted as the model's were (its model files found again by hash)."""
    from ..extraction import extract_features
    from ..model_files import resolve_feature_spec

    if model.feature_spec is None:
        raise CommandError(
            f"{args.model} does not record how its features were extracted, so it cannot read videos; "
            "extract them with `sklearn-emotion extract` using the same options and pass the .npz files."
        )
    try:
        spec = resolve_feature_spec(model.feature_spec, args.weights_dir, source=args.model)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    echo(f"Extracting features of {len(videos)} video(s)...")
    movies = extract_features(videos, spec, n_jobs=args.n_jobs, progress=progress_enabled(args))
    for video, movie in zip(videos, movies):
        check_widths(model, Path(video).stem, movie)
    return movies
