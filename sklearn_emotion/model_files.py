"""Portable feature specifications: model files named by file name and SHA-256, not by absolute path.

A feature specification (see :mod:`sklearn_emotion.extraction`) names the pretrained model files of
its embedders by path, e.g. ``{"audio": {"backbone": "/home/me/weights/yamnet.tflite"}}``.  A model
saved with such a path would only find its backbone on the machine (and in the folder) where it was
trained, so :func:`sklearn_emotion.persistence.save_model` stores each model file as a *reference*
instead::

    {"audio": {"backbone": {"model_file": "yamnet.tflite",
                            "sha256": "...64 hex digits...",
                            "path": "/home/me/weights/yamnet.tflite"}}}

(``path``: where it was when the model was saved, only a hint).  :func:`resolve_feature_spec` turns
the references back into local paths, looking for each file, in this order:

1. at its recorded ``path``, when the file there has the same SHA-256;
2. in the places every model file is looked up in, in their order
   (:func:`sklearn_emotion.media.models.model_places`): the folder given (``weights_dir``),
   ``$SKLEARN_EMOTION_WEIGHTS``, the model cache, ``../shared/weights`` beside the checkout; under its
   name or, for an official model (:data:`sklearn_emotion.media.models.OFFICIAL_MODELS`), any of its
   names.

A file is only taken when its SHA-256 is the recorded one: features from another file would not be
the features the model was trained on.  When none is found, a one-line ``ValueError``
(:class:`MissingModelFileError`) names the file, its SHA-256 and where it was looked for.

Weight-free settings (``"colour-layout"``, ``"descriptors"``) and model names (``"yamnet"``,
``"InceptionV3"``) are kept as they are.  A TensorFlow checkpoint prefix (VGGish's
``vggish_model.ckpt``: files ``.index`` and ``.data-*``) is referenced like a file; its digest covers
all its parts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .media.cache import content_digest
from .media.models import OFFICIAL_MODELS, ModelPlace, describe_places, model_places

__all__ = [
    "MODEL_FILE_KEYS",
    "MissingModelFileError",
    "is_model_file_reference",
    "portable_feature_spec",
    "resolve_feature_spec",
]

#: Options of a feature specification's modalities that may name model files.
MODEL_FILE_KEYS = ("backbone", "detector", "face_model", "face_weights", "weights", "pca_params")
_REFERENCE_KEYS = {"model_file", "sha256"}


class MissingModelFileError(ValueError):
    """A model file that a saved model's features need is not found (or differs); one line."""


def is_model_file_reference(value: Any) -> bool:
    """Whether ``value`` is a model-file reference written by :func:`portable_feature_spec`."""
    return isinstance(value, Mapping) and _REFERENCE_KEYS <= set(value)


def _checkpoint_parts(prefix: Path) -> list[Path]:
    """The files of a TensorFlow checkpoint ``prefix`` (``prefix.index``, ``prefix.data-*``); [] if none."""
    index = prefix.parent / f"{prefix.name}.index"
    if not index.is_file():
        return []
    return [index] + sorted(prefix.parent.glob(f"{prefix.name}.data-*"))


def _digest(path: Path) -> str | None:
    """SHA-256 of a model file, or of a checkpoint's parts; None when ``path`` is neither."""
    if path.is_file():
        return content_digest(path)
    parts = _checkpoint_parts(path)
    if not parts:
        return None
    combined = hashlib.sha256()
    for part in parts:
        combined.update(f"{part.name[len(path.name):]} {content_digest(part)}\n".encode())
    return combined.hexdigest()


def _looks_like_path(value: Any) -> bool:
    if not isinstance(value, (str, os.PathLike)):
        return False
    text = os.fspath(value)
    return os.sep in text or (os.altsep is not None and os.altsep in text) or bool(Path(text).suffix)


def portable_feature_spec(spec: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
    """``spec`` with each existing model file replaced by a reference (name, SHA-256, path).

    Values that are not paths of existing files or checkpoints (weight-free settings, model names,
    references already) are kept.  A path that does not exist (any more) is kept as a reference
    without digest (``"sha256": None``), found again by name only.
    """
    if spec is None:
        return None
    portable: dict[str, dict[str, Any]] = {}
    for modality, options in spec.items():
        options = dict(options)
        for key in MODEL_FILE_KEYS:
            value = options.get(key)
            if is_model_file_reference(value) or not _looks_like_path(value):
                continue
            path = Path(value).expanduser()
            digest = _digest(path)
            if digest is None and not path.is_absolute():
                continue  # a name such as "yamnet.tflite" the embedder resolves itself
            options[key] = {"model_file": path.name, "sha256": digest, "path": os.fspath(path.resolve())}
        portable[str(modality)] = options
    return portable


def _candidate_names(name: str) -> list[str]:
    """``name`` and, for an official model known by it, its other file names."""
    names = [name]
    for model in OFFICIAL_MODELS.values():
        known = [model.filename, *model.local_names]
        if name in known:
            names += [n for n in known if n not in names]
    return names


def _resolve_one(reference: Mapping[str, Any], places: Sequence[ModelPlace], where: str) -> str:
    name, wanted, saved = str(reference["model_file"]), reference.get("sha256"), reference.get("path")
    if Path(name).name != name or name in ("", ".", ".."):
        raise MissingModelFileError(f"{where}: {name!r} is not a file name.")
    different: list[str] = []
    candidates: list[Path] = [Path(saved)] if isinstance(saved, str) and saved else []
    candidates += [place.folder / candidate for place in places for candidate in _candidate_names(name)]
    for path in candidates:
        digest = _digest(path)
        if digest is None:
            continue
        if wanted is None or digest == wanted:
            return os.fspath(path.resolve())
        different.append(f"{path} has SHA-256 {digest}")
    looked = ", ".join([*([str(saved)] if saved else []), describe_places(places)])
    message = f"{where} needs the model file {name} (SHA-256 {wanted or 'not recorded'}), which is not found"
    if different:
        message += f" with that content ({'; '.join(different)})"
    message += (f"; looked at {looked}. Put that file in the weights folder (--weights-dir or "
                "$SKLEARN_EMOTION_WEIGHTS) or in the model cache.")
    raise MissingModelFileError(message)


def resolve_feature_spec(
    spec: Mapping[str, Mapping[str, Any]] | None,
    weights_dir: str | os.PathLike | None = None,
    *,
    source: str | os.PathLike | None = None,
) -> dict[str, dict[str, Any]] | None:
    """``spec`` with each model-file reference replaced by the path of a local file with that content.

    Parameters
    ----------
    spec : dict or None
        A feature specification, portable (as stored in saved models) or not.
    weights_dir : str or path-like, optional
        Folder to look in first (before ``$SKLEARN_EMOTION_WEIGHTS``, the model cache and ``../shared/weights``).
    source : str or path-like, optional
        What the specification comes from (e.g. the model file), named in errors.

    Returns
    -------
    dict or None
        A specification :func:`sklearn_emotion.extraction.extract_features` takes (a video modality
        without ``frame_selection``, from a model saved by 0.2, gets ``"exact"``).

    Raises
    ------
    MissingModelFileError
        A ``ValueError``, one line naming the first missing file, its SHA-256 and where it was looked for.
    """
    if spec is None:
        return None
    places: list[ModelPlace] | None = None
    resolved: dict[str, dict[str, Any]] = {}
    for modality, options in spec.items():
        options = dict(options)
        for key, value in options.items():
            if is_model_file_reference(value):
                if places is None:
                    places = model_places(weights_dir)
                where = f"{source}, {modality} {key}" if source is not None else f"{modality} {key}"
                options[key] = _resolve_one(value, places, where)
        resolved[modality] = options
    from .extraction import recorded_feature_spec

    return recorded_feature_spec(resolved)  # a model of 0.2 (no frame_selection) extracted with the exact rule
