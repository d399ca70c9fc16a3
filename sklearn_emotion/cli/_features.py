"""The feature options of ``extract`` (--weights-dir, --image, --audio, --face, ...) and the specification they make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..media.decoding import DEFAULT_FRAME_SELECTION as DEFAULT_SELECTION, FRAME_SELECTIONS
from ._common import CommandError
from ._options import LOOKUP_ORDER, add_weights_dir_option


#: The options choosing each modality's network and local weight files: name, metavar, help.
_FEATURE_OPTIONS = (
    ("--image", "BACKBONE", "image network: a keras.applications name (e.g. InceptionV3, needs its weights), a .tflite "
     "or Keras model file, 'colour-layout' (weight-free) or 'none'; VGG16 with --image-output fc1 gives fc6 (built "
     "with its classifier)"),
    ("--image-output", "TENSOR", "intermediate tensor/layer of the image network to read"),
    ("--audio", "BACKBONE", "audio network: vggish, yamnet, a YAMNet-like .tflite file, 'descriptors' (weight-free), "
     "openSMILE functionals egemaps, compare, emobase or is10 (the opensmile extra: research and personal use "
     "only), or 'none'"),
    ("--face", "DETECTOR", "MediaPipe face detector .tflite (or blaze_face_short_range, from the model cache or the "
     "weights folder), or 'none'"),
    ("--face-model", "MODEL", "network embedding the face crops (see docs/media.md); default: the FER2013 model of "
     "the model cache or the weights folder"),
    ("--image-weights", "FILE", "local weights file of a named --image network (e.g. the InceptionV3 'notop' .h5, or "
     "VGG16's file with the top for --image-output fc1), instead of downloading them"),
    ("--audio-weights", "FILE", "local VGGish weights (vggish_model.ckpt prefix or a Keras .weights.h5), instead of "
     "downloading them"),
    ("--pca-params", "FILE", "local VGGish PCA parameters (vggish_pca_params.npz), instead of downloading them"),
)


def add_feature_options(parser: argparse.ArgumentParser) -> None:
    """The options choosing the features: the weights folder, each modality's network, local weight files."""
    group = parser.add_argument_group("features (default: the models of the weights folder, else weight-free)")
    add_weights_dir_option(group, help="folder of small pretrained models, looked in first (order: "
                           f"{LOOKUP_ORDER}); where no model is found, weight-free features are used")
    for option, metavar, text in _FEATURE_OPTIONS:
        group.add_argument(option, metavar=metavar, help=text)
    group.add_argument("--frame-selection", choices=FRAME_SELECTIONS, default=DEFAULT_SELECTION,
                       help="each second's image/face frame: 'exact', on screen at t + 0.5 s (every frame decoded), "
                       "or 'fast', the decoded frame nearest to it (non-reference frames skipped; default: "
                       "%(default)s; docs/media.md)")


def feature_spec_from_args(args: argparse.Namespace) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The feature specification the options of ``args`` choose, and notes saying where its models come from."""
    from ..extraction import default_feature_spec, frame_selection_note, resolve_weights_dir, with_frame_selection

    folder, origin = resolve_weights_dir(args.weights_dir)
    # The order of media.models.locate_model: --weights-dir, $SKLEARN_EMOTION_WEIGHTS, the cache, ../shared/weights.
    spec, notes = default_feature_spec(folder)
    notes = [f"Features: {origin}."] + notes
    # --image/--audio name a backbone, --face a detector; "none" switches the modality off
    for modality, key in (("image", "backbone"), ("audio", "backbone"), ("face", "detector")):
        chosen = getattr(args, modality)
        if chosen is None:
            continue
        if chosen == "none":
            spec.pop(modality, None)
        elif modality == "face":  # its expression model: --face-model, else where the default features find it
            spec["face"] = {"detector": _local_model_file(chosen, "--face", folder),
                            "face_model": args.face_model or _local_model_file("fer_mini_xception", "--face-model",
                                                                               folder)}
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
    selection = getattr(args, "frame_selection", DEFAULT_SELECTION)
    note = frame_selection_note(spec, selection)
    return with_frame_selection(spec, selection), notes + ([note] if note else [])


def _local_model_file(value: str, option: str, folder: Path | None) -> str:
    """``value`` itself, or for an official model's name its file in the model cache or the weights folder (the
    command line never downloads: a name found nowhere is an error saying which options supply it)."""
    from ..extraction import locate_official_model
    from ..media.models import OFFICIAL_MODELS, ModelIntegrityError

    model = OFFICIAL_MODELS.get(value)
    if model is None:
        return value
    try:
        path, _ = locate_official_model(model, folder)
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
