"""What every ``sklearn-emotion`` command shares: errors, output, input files, feature options."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ._options import LOOKUP_ORDER, add_weights_dir_option

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


def warn(command: str, message: str) -> None:
    """One warning line on stderr, like the error line of the command."""
    print(f"sklearn-emotion {command}: warning: {' '.join(message.split())}", file=sys.stderr, flush=True)


def non_negative_seconds(text: str) -> int:
    """argparse type of a number of seconds such as --max-length-difference: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: expected 0 or more seconds, got {value}")
    return value


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
        elif modality == "face":  # its expression model: --face-model, else where the default features find it
            spec["face"] = {"detector": _local_model_file(chosen, "--face", folder, args),
                            "face_model": args.face_model or _local_model_file("fer_mini_xception", "--face-model",
                                                                               folder, args)}
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
    if args.face_model:
        if "face" not in spec:
            raise CommandError("--face-model is given but the face modality is off.")
        spec["face"]["face_model"] = args.face_model
    for modality, options in spec.items():
        for key in ("backbone", "detector", "face_model"):
            value = options.get(key)
            if isinstance(value, str) and Path(value).suffix and Path(value).exists():
                options[key] = os.fspath(Path(value).resolve())
    if not spec:
        raise CommandError("every modality is switched off (--image none --audio none --face none).")
    return spec, notes


def _local_model_file(value: str, option: str, folder: Path | None, args: argparse.Namespace) -> str:
    """``value`` itself, or for an official model's name its file in the model cache or the weights folder.

    The command line never downloads a model by itself: a name found nowhere is an error saying which
    options supply it (part of :func:`feature_spec_from_args`).
    """
    from ..extraction import locate_official_model
    from ..media.models import OFFICIAL_MODELS, ModelIntegrityError

    model = OFFICIAL_MODELS.get(value)
    if model is None:
        return value
    try:
        path, _ = locate_official_model(model, folder, prefer_folder=args.weights_dir is not None)
    except ModelIntegrityError as error:
        raise CommandError(" ".join(str(error).split())) from None
    if path is None:
        where = f"nor in {folder}" if folder is not None else "and there is no weights folder"
        raise CommandError(
            f"{option}: {model.description} ({model.weights_file}) is not in the model cache {where}; pass "
            f"{option} FILE, or --weights-dir DIR with a folder holding it, or fetch it with "
            f"`sklearn-emotion models download {model.name}`."
        )
    return os.fspath(path)


def load_feature_folder_spec(files: Sequence[Path], movies: Sequence[dict]) -> dict[str, Any]:
    """The settings the feature files were extracted with, each file checked against its folder's records.

    ``extract`` records its settings in each folder's ``features.json`` (the manifest, listing every movie
    made with them with its widths and seconds) and in a record per movie (``.records/<movie>.json``).  A
    file that contradicts them is an error naming it: the model would store settings that did not make
    its features, and ``predict`` would extract videos differently from the training movies.

    Parameters
    ----------
    files : sequence of Path
        The feature files, as :func:`load_feature_corpus` returns them.
    movies : sequence of dict
        Their features.

    Returns
    -------
    dict
        ``feature_spec``: the settings that made every file, or None when unknown (no folder has a
        manifest, folders record different settings, or a file is vouched for by no manifest: neither
        listed in it nor recorded with its settings); ``missing_audio``: the folders' policy for videos
        without sound ("error" when unknown); ``sources``: each movie's video SHA-256 as recorded (None
        when unrecorded); ``warnings``: why the settings are unknown though some folder records them.

    Raises
    ------
    CommandError
        When a manifest is incomplete, a file's record names other settings than its folder's manifest,
        or a file has other modalities, widths or seconds than its record, its manifest entry or the
        manifest's settings say.
    """
    from ..feature_folder import MANIFEST, FeatureFolder, read_folder_settings

    by_folder: dict[Path, list[tuple[Path, dict]]] = {}
    for path, movie in zip(files, movies):
        by_folder.setdefault(Path(path).parent, []).append((Path(path), movie))
    settings: dict[Path, dict[str, Any]] = {}
    unvouched: list[str] = []
    sources: dict[str, str | None] = {}
    for folder, entries in by_folder.items():
        try:
            folder_settings = read_folder_settings(folder)
        except ValueError as error:
            raise CommandError(" ".join(str(error).split())) from None
        if folder_settings is None:
            unvouched += [f"{path} (no {MANIFEST} in {folder})" for path, _ in entries]
            sources.update((path.stem, None) for path, _ in entries)
            continue
        settings[folder] = folder_settings
        manifest_path = folder / MANIFEST
        listing = _manifest_movies(manifest_path)
        for path, movie in entries:
            spec, record, listed = folder_settings["feature_spec"], FeatureFolder(folder).record(path.stem), listing.get(path.stem)
            found = {"features": {k: int(v.shape[1]) for k, v in movie.items()},
                     "seconds": int(len(next(iter(movie.values()))))}
            if set(found["features"]) != set(spec):
                raise CommandError(
                    f"{path} has features of {', '.join(sorted(found['features']))} but {manifest_path} records "
                    f"settings for {', '.join(sorted(spec))}: it was not extracted with them. Extract it again "
                    "with `sklearn-emotion extract`, or move it out of the folder."
                )
            if record is not None and record.get("feature_spec") != spec:
                raise CommandError(
                    f"{path} was extracted with other settings ({_settings_text(record.get('feature_spec'))}) than "
                    f"{manifest_path} records ({_settings_text(spec)}). Extract it again with the folder's settings "
                    "(`sklearn-emotion extract`), or move it out of the folder."
                )
            for what, where in ((record, f"its record {folder / '.records' / (path.stem + '.json')}"),
                                (listed, manifest_path)):
                expected = {key: what.get(key) for key in found if what.get(key) is not None} if what else {}
                if any(expected[key] != found[key] for key in expected):
                    raise CommandError(
                        f"{path} has features {found['features']} over {found['seconds']} s but {where} says "
                        f"{expected.get('features', found['features'])} over {expected.get('seconds', found['seconds'])} s: "
                        "the file was replaced or edited after extraction. Extract it again with `sklearn-emotion "
                        "extract`, or move it out of the folder."
                    )
            if record is None and listed is None:  # made by another program or run: nothing says how
                unvouched.append(f"{path} (neither listed in {manifest_path} nor recorded)")
            content = (record or {}).get("content") or (listed or {}).get("content")
            sources[path.stem] = content if isinstance(content, str) else None
    unknown = {"feature_spec": None, "missing_audio": "error", "sources": sources}
    if not settings:
        return {**unknown, "warnings": []}
    warnings = []
    first = next(iter(settings.values()))
    if any(entry != first for entry in settings.values()):
        warnings.append(f"the folders {', '.join(map(str, settings))} record different feature settings")
    if unvouched:
        warnings.append(f"{len(unvouched)} feature file(s) are vouched for by no {MANIFEST}: "
                        + "; ".join(unvouched[:5]) + ("; ..." if len(unvouched) > 5 else ""))
    if warnings:
        return {**unknown, "warnings": warnings}
    return {**first, "sources": sources, "warnings": []}


def _manifest_movies(path: Path) -> dict[str, dict[str, Any]]:
    """The movies a manifest lists, each with what it records (widths, seconds, source digest)."""
    import json

    try:
        movies = json.loads(path.read_text()).get("movies")
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(movies, dict):
        return {}
    return {name: entry for name, entry in movies.items() if isinstance(entry, dict)}


def _settings_text(spec: Any) -> str:
    from ..extraction import describe_feature_spec

    if not isinstance(spec, dict) or not spec:
        return "none recorded"
    return "; ".join(describe_feature_spec(spec).splitlines())


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
    add_weights_dir_option(group, help="folder of small pretrained models, looked in first (order: "
                           f"{LOOKUP_ORDER}); where no model is found, weight-free features are used")
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
                       help="MediaPipe face detector .tflite (or blaze_face_short_range, from the model cache or the "
                            "weights folder), or 'none'")
    group.add_argument("--face-model", metavar="MODEL",
                       help="network embedding the face crops (see docs/media.md); default: the FER2013 model of the "
                            "model cache or the weights folder")
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


def video_features(model: Any, videos: Sequence[Path], args: argparse.Namespace) -> Iterator[tuple[int, Any]]:
    """``(index, features or exception)`` of each of ``videos`` as soon as it is extracted as the model's were.

    The model's files are found again by hash.  A video that fails (unreadable, no sound track under the
    ``error`` policy, other widths than the model's) yields its exception, naming it, and the others go on;
    what concerns every video (the model records no settings, a model file is missing) raises
    :class:`CommandError` at the call, before any work.  ``args.missing_audio`` (None: the policy the model records, else
    ``"error"``) says what a video without a sound track gets.
    """
    from ..extraction import feature_union
    from ..model_files import resolve_feature_spec

    if model.feature_spec is None:
        raise CommandError(
            f"{args.model} does not record how its features were extracted, so it cannot read videos; "
            "extract them with `sklearn-emotion extract` using the same options and pass the .npz files."
        )
    recorded = model.info.get("missing_audio", "error")  # set by `fit` from the features' features.json
    policy = getattr(args, "missing_audio", None) or recorded
    if policy not in ("error", "silence"):
        raise CommandError(f"{args.model} records the missing-audio policy {policy!r}; expected 'error' or "
                           "'silence' (pass --missing-audio).")
    try:
        spec = resolve_feature_spec(model.feature_spec, args.weights_dir, source=args.model)
        union = feature_union(spec, n_jobs=args.n_jobs, progress=progress_enabled(args), missing_audio=policy)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    note = " (a video without sound track gets the features of silence)" if policy == "silence" else ""

    def movies() -> Iterator[tuple[int, Any]]:  # the checks above run at the call, before any other work
        echo(f"Extracting features of {len(videos)} video(s){note}...")
        for index, result in union.iter_transform([os.fspath(video) for video in videos], on_error="return"):
            if not isinstance(result, Exception):
                try:
                    check_widths(model, Path(videos[index]).stem, result)
                except CommandError as error:
                    result = error
            yield index, result

    return movies()
