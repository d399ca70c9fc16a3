"""Which embedders turn videos into per-second features, for the command line and the demo.

A *feature specification* is a small JSON-able dictionary ``{modality: {"backbone": ..., ...}}``
describing the embedders of :mod:`sklearn_emotion.media`, e.g.::

    {"image": {"backbone": "/models/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"},
     "audio": {"backbone": "/models/yamnet.tflite"}}

It is stored in saved models so that ``sklearn-emotion predict`` extracts the same features from a
new video.  Image backbones are anything :class:`~sklearn_emotion.media.ImageEmbedder` accepts, or
``"colour-layout"``: a weight-free descriptor (mean colour of a 4 x 4 grid plus the global mean
colour, 51 values in [0, 1]).  Audio backbones are anything
:class:`~sklearn_emotion.media.AudioEmbedder` accepts (``"descriptors"`` is weight-free).

Default specification (:func:`default_feature_spec`): for each modality, the small real pretrained
model -- ImageNet MobileNet v1 (1024-d) for images, AudioSet YAMNet (1024-d) for audio, BlazeFace +
FER2013 mini-Xception for faces -- found by the one resolver of model files,
:func:`sklearn_emotion.media.models.locate_model`: in the folder given, then
``$SKLEARN_EMOTION_WEIGHTS``, then the model cache (``sklearn-emotion models download``; a cached
file is checked against its digest or its format, and one that fails its check is passed over, with
a note, when a later place has the model), then ``../shared/weights`` beside the checkout; a model
found nowhere makes its modality weight-free (no face features); the notes say which source each
modality uses.  :func:`resolve_weights_dir` says which folder is given and the order.  File names,
official download addresses and descriptions of these models come from the one registry
:data:`sklearn_emotion.media.models.OFFICIAL_MODELS`.

Frame selection: every video modality (image and face kinds) records its ``frame_selection``
(``"fast"`` or ``"exact"``, see :mod:`sklearn_emotion.media.decoding`); the default specification
uses :data:`~sklearn_emotion.media.decoding.DEFAULT_FRAME_SELECTION`.  Settings recorded without
one (features.json, feature records and models written by sklearn-emotion 0.2) were extracted with
the exact rule: :func:`recorded_feature_spec` reads them so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._compat import warn_ignored_parameter
from .media.decoding import DEFAULT_FRAME_SELECTION, RECORDED_FRAME_SELECTION, check_frame_selection
from .media.models import (
    BESIDE_CHECKOUT,
    OFFICIAL_MODELS,
    WEIGHTS_ENV_VAR,
    ModelNotFoundError,
    describe_places,
    locate_model,
    model_places,
)

__all__ = [
    "WEIGHTS_ENV_VAR",
    "IMAGE_WEIGHTS_FILE",
    "AUDIO_WEIGHTS_FILE",
    "FACE_DETECTOR_FILE",
    "FACE_MODEL_FILE",
    "WEIGHT_FREE_IMAGE",
    "WEIGHT_FREE_AUDIO",
    "resolve_weights_dir",
    "frame_selection_note",
    "default_feature_spec",
    "build_embedders",
    "feature_union",
    "extract_features",
    "describe_feature_spec",
    "VIDEO_KINDS",
    "with_frame_selection",
    "recorded_feature_spec",
    "colour_layout_model",
    "locate_official_model",
]

# The models of a weights folder (file names, addresses, descriptions: sklearn_emotion.media.models).
_IMAGE_MODEL = OFFICIAL_MODELS["mobilenet_v1_embedding"]
_AUDIO_MODEL = OFFICIAL_MODELS["yamnet"]
_FACE_DETECTOR = OFFICIAL_MODELS["blaze_face_short_range"]
_FACE_MODEL = OFFICIAL_MODELS["fer_mini_xception"]
IMAGE_WEIGHTS_FILE = _IMAGE_MODEL.weights_file
AUDIO_WEIGHTS_FILE = _AUDIO_MODEL.weights_file
FACE_DETECTOR_FILE = _FACE_DETECTOR.weights_file
FACE_MODEL_FILE = _FACE_MODEL.weights_file
WEIGHT_FREE_IMAGE = "colour-layout"
WEIGHT_FREE_AUDIO = "descriptors"
#: The kinds of modality whose embedders decode video frames (and so have a ``frame_selection``).
VIDEO_KINDS = ("image", "face")
_COLOUR_LAYOUT_SIDE = 32
_COLOUR_LAYOUT_GRID = 4


def resolve_weights_dir(explicit: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """The weights folder that comes before the model cache, and a sentence saying where model files come from.

    The folder is ``explicit`` (must exist), else ``$SKLEARN_EMOTION_WEIGHTS`` (must exist when set),
    else None: ``../shared/weights`` beside the checkout comes after the model cache, so it is not
    returned (the resolver, :func:`~sklearn_emotion.media.models.locate_model`, still looks there).
    Give the folder to :func:`default_feature_spec`.  The sentence lists every place in its order.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_emotion.extraction import resolve_weights_dir
    >>> folder = tempfile.mkdtemp()
    >>> found, sentence = resolve_weights_dir(folder)
    >>> str(found) == folder, isinstance(sentence, str)
    (True, True)
    >>> resolve_weights_dir(folder + "/missing")
    Traceback (most recent call last):
        ...
    FileNotFoundError: ...
    """
    places = model_places(explicit)
    folders = [place for place in places if place.level in ("given", "environment")]
    folder = folders[0].folder if folders else None
    if folder is None and len(places) == 1:
        return None, f"no weights folder (none given, ${WEIGHTS_ENV_VAR} unset, no {BESIDE_CHECKOUT}): the model cache"
    return folder, f"model files from {describe_places(places)}, in this order"


def locate_official_model(model: Any, folder: str | os.PathLike | None,
                          prefer_folder: bool | None = None) -> tuple[Path | None, str]:
    """The file of an official ``model`` and where it comes from, or ``(None, "")`` when it is nowhere.

    :func:`~sklearn_emotion.media.models.locate_model` with ``folder`` given explicitly (looked in first).
    ``prefer_folder`` is deprecated: ignored with a ``FutureWarning`` since 0.3, removed in 0.4.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.extraction import locate_official_model
    >>> from sklearn_emotion.media.models import OFFICIAL_MODELS
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "yamnet.tflite").touch()  # an empty stand-in: only the file's name is looked for
    >>> path, source = locate_official_model(OFFICIAL_MODELS["yamnet"], folder)  # the given folder comes first
    >>> path.name, source
    ('yamnet.tflite', 'weights folder (given)')
    """
    if prefer_folder is not None:
        warn_ignored_parameter("locate_official_model", "prefer_folder")
    try:
        return locate_model(model, folder)
    except ModelNotFoundError:
        return None, ""


def _nowhere(weights_dir: str | os.PathLike | None) -> str:
    return f"not in {describe_places(model_places(weights_dir))}"


def _is_video(modality: str, options: Mapping[str, Any]) -> bool:
    return options.get("kind", modality) in VIDEO_KINDS


def with_frame_selection(spec: Mapping[str, Mapping[str, Any]], frame_selection: str) -> dict[str, dict[str, Any]]:
    """A copy of ``spec`` whose every video modality (image, face) chooses frames by ``frame_selection``.

    Raises
    ------
    ValueError
        When ``frame_selection`` is not ``"fast"`` or ``"exact"``.

    Examples
    --------
    >>> from sklearn_emotion.extraction import with_frame_selection
    >>> spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
    >>> with_frame_selection(spec, "exact")  # only the video modalities choose frames
    {'image': {'backbone': 'colour-layout', 'frame_selection': 'exact'}, 'audio': {'backbone': 'descriptors'}}
    """
    check_frame_selection(frame_selection)
    return {modality: {**options, "frame_selection": frame_selection} if _is_video(modality, options) else dict(options)
            for modality, options in spec.items()}


def frame_selection_note(spec: Mapping[str, Mapping[str, Any]], frame_selection: str) -> str | None:
    """The note saying how ``spec``'s video modalities would choose frames by ``frame_selection`` (None: none).

    Examples
    --------
    >>> from sklearn_emotion.extraction import frame_selection_note
    >>> frame_selection_note({"image": {"backbone": "colour-layout"}}, "exact")
    'frames: --frame-selection exact (the frame on screen at t + 0.5 s, every frame decoded)'
    >>> frame_selection_note({"audio": {"backbone": "descriptors"}}, "fast") is None
    True
    """
    if not any(_is_video(modality, options) for modality, options in spec.items()):
        return None
    how = ("the decoded frame nearest to t + 0.5 s, non-reference frames never decoded" if frame_selection == "fast"
           else "the frame on screen at t + 0.5 s, every frame decoded")
    return f"frames: --frame-selection {frame_selection} ({how})"


def recorded_feature_spec(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A feature specification as read from a file: a video modality without ``frame_selection`` is ``"exact"``.

    features.json, feature records and models written before frame selections existed (0.2) were
    extracted with the exact rule, whatever today's default; reading them through this function
    makes them compare equal to a specification that says ``"exact"``, and unequal to ``"fast"``.

    Examples
    --------
    A specification written by sklearn-emotion 0.2 (no frame selection) was extracted with the exact rule:

    >>> from sklearn_emotion.extraction import recorded_feature_spec
    >>> recorded_feature_spec({"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}})
    {'image': {'frame_selection': 'exact', 'backbone': 'colour-layout'}, 'audio': {'backbone': 'descriptors'}}
    """
    return {modality: ({"frame_selection": RECORDED_FRAME_SELECTION, **options} if _is_video(modality, options)
                       else dict(options)) if isinstance(options, Mapping) else options
            for modality, options in spec.items()}


def default_feature_spec(
    weights_dir: str | os.PathLike | None, *, prefer_folder: bool | None = None,
    frame_selection: str = DEFAULT_FRAME_SELECTION,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The default embedders, and notes saying where each model comes from (or that it is weight-free).

    Each model is looked up by :func:`~sklearn_emotion.media.models.locate_model`: in ``weights_dir``,
    then ``$SKLEARN_EMOTION_WEIGHTS``, then the model cache (filled by ``sklearn-emotion models
    download``; a cached file is checked against its digest), then ``../shared/weights`` beside the
    checkout.  A modality whose model is nowhere is weight-free (image, audio) or not used (face).
    Nothing is downloaded.

    Parameters
    ----------
    weights_dir : path-like or None
        A folder of small pretrained models, looked in first (see :func:`resolve_weights_dir`).
    prefer_folder : bool or None, default=None
        Deprecated: ignored with a ``FutureWarning`` (``weights_dir`` always comes first; until 0.2 it
        did only with ``prefer_folder=True``); removed in 0.4.
    frame_selection : {"fast", "exact"}, default="fast"
        How the video modalities choose each second's frame (recorded in the specification; see
        :mod:`sklearn_emotion.media.decoding`, "Frame selection").

    Returns
    -------
    spec : dict
        ``{"image": {...}, "audio": {...}}`` (and ``"face"`` when its two models are found); image and
        face entries hold ``"frame_selection"``.
    notes : list of str
        One line per modality, saying what is used and from where (meant to be printed).

    Raises
    ------
    ModelIntegrityError
        When a cached model file fails its check (the message says how to download it again) and no
        place after the cache holds the model; when one does, its file is used and the note says why.

    Examples
    --------
    What is used depends on the model files found on this machine (none: weight-free image and audio
    features, no face features):

    >>> from sklearn_emotion.extraction import default_feature_spec, describe_feature_spec
    >>> spec, notes = default_feature_spec(None)
    >>> {"image", "audio"} <= set(spec), spec["image"]["frame_selection"]
    (True, 'fast')
    >>> print(describe_feature_spec(spec))  # doctest: +SKIP
    image: mobilenet_v1_1.0_224_quant_embedding_extractor.tflite
    audio: yamnet.tflite
    """
    if prefer_folder is not None:
        warn_ignored_parameter("default_feature_spec", "prefer_folder")
    spec: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for modality, model, fallback in (
        ("image", _IMAGE_MODEL, WEIGHT_FREE_IMAGE),
        ("audio", _AUDIO_MODEL, WEIGHT_FREE_AUDIO),
    ):
        path, source = locate_official_model(model, weights_dir)
        if path is not None:
            spec[modality] = {"backbone": os.fspath(path)}
            notes.append(f"{modality}: {model.description} from the {source}: {path}")
        else:
            spec[modality] = {"backbone": fallback}
            notes.append(f"{modality}: WEIGHT-FREE {fallback!r} features ({model.filename} {_nowhere(weights_dir)}; "
                         f"`sklearn-emotion models download` fetches it)")
    (detector, detector_source), (face_model, face_source) = (
        locate_official_model(_FACE_DETECTOR, weights_dir), locate_official_model(_FACE_MODEL, weights_dir)
    )
    if detector is not None and face_model is not None:
        spec["face"] = {"detector": os.fspath(detector), "face_model": os.fspath(face_model)}
        if (detector_source, detector.parent) == (face_source, face_model.parent):
            where = f"from the {detector_source}: {detector.parent}"
        else:
            where = (f"detector from the {detector_source}: {detector}, "
                     f"expression model from the {face_source}: {face_model}")
        notes.append(
            f"face: MediaPipe BlazeFace detection + FER2013 mini-Xception expression scores of the two "
            f"largest faces, {where}"
        )
    else:
        missing = " and ".join(model.filename for model, path in ((_FACE_DETECTOR, detector), (_FACE_MODEL, face_model))
                               if path is None)
        notes.append(f"face: NOT USED (the face features need pretrained weights: {missing} {_nowhere(weights_dir)}; "
                     "`sklearn-emotion models download` fetches them)")
    return with_frame_selection(spec, frame_selection), notes


def colour_layout_model() -> Any:
    """A weight-free Keras image descriptor: mean colour of a 4 x 4 grid and of the whole frame.

    Takes ``32 x 32`` RGB images scaled to [0, 1] (``preprocessing="unit"``) and returns 51 values.
    It has no trainable weight: every output is an average of pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.extraction import colour_layout_model
    >>> model = colour_layout_model()
    >>> model.input_shape, model.output_shape, model.count_params()
    ((None, 32, 32, 3), (None, 51), 0)
    >>> outputs = model(np.full((1, 32, 32, 3), 0.5, dtype="float32")).numpy()
    >>> float(outputs.min()), float(outputs.max())  # averages of pixels: a grey frame gives its grey
    (0.5, 0.5)
    """
    from ._backend import require_tensorflow

    require_tensorflow()
    import keras

    side, grid = _COLOUR_LAYOUT_SIDE, _COLOUR_LAYOUT_GRID
    inputs = keras.Input(shape=(side, side, 3), name="frame")
    layout = keras.layers.Flatten(name="grid_colours")(
        keras.layers.AveragePooling2D(pool_size=side // grid, name="grid_mean")(inputs)
    )
    overall = keras.layers.GlobalAveragePooling2D(name="mean_colour")(inputs)
    outputs = keras.layers.Concatenate(name="colour_layout")([layout, overall])
    return keras.Model(inputs, outputs, name="colour_layout")


def build_embedders(spec: Mapping[str, Mapping[str, Any]], *, n_jobs: int | None = None,
                    cache_dir: str | os.PathLike | None = None, progress: bool = False,
                    missing_audio: str = "error") -> dict[str, Any]:
    """The :mod:`sklearn_emotion.media` embedders described by ``spec``, by modality.

    ``missing_audio`` is given to the audio embedder: it says what a movie without audio track
    gets, not how features are made, so it is not part of the specification.  A video modality
    without ``frame_selection`` uses the exact rule (what such a specification, written by 0.2,
    meant: :func:`recorded_feature_spec`); :func:`default_feature_spec` always says which.

    Examples
    --------
    >>> spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}  # weight-free
    >>> from sklearn_emotion.extraction import build_embedders
    >>> {modality: type(embedder).__name__ for modality, embedder in build_embedders(spec).items()}
    {'image': 'ImageEmbedder', 'audio': 'AudioEmbedder'}
    """
    from .media import AudioEmbedder, FaceEmbedder, ImageEmbedder

    embedders: dict[str, Any] = {}
    common = dict(n_jobs=n_jobs, progress=progress)
    for modality, options in recorded_feature_spec(spec).items():  # no frame_selection: "exact", as 0.2 did
        options = dict(options)
        backbone = options.pop("backbone", None)
        kind = options.pop("kind", modality)
        cache = None if cache_dir is None else Path(cache_dir) / modality
        if kind == "image":
            if backbone == WEIGHT_FREE_IMAGE:
                embedders[modality] = ImageEmbedder(
                    colour_layout_model(), preprocessing="unit", cache_dir=cache, **common, **options
                )
            else:
                embedders[modality] = ImageEmbedder(backbone, cache_dir=cache, **common, **options)
        elif kind == "audio":
            embedders[modality] = AudioEmbedder(
                backbone, missing_audio=missing_audio, cache_dir=cache, **common, **options
            )
        elif kind == "face":
            if backbone is not None:
                options.setdefault("detector", backbone)
            embedders[modality] = FaceEmbedder(cache_dir=cache, **common, **options)
        else:
            raise ValueError(
                f"feature specification: modality {modality!r} has kind {kind!r}; known kinds are "
                "'image', 'audio' and 'face'."
            )
    if not embedders:
        raise ValueError("the feature specification names no modality.")
    return embedders


def feature_union(spec: Mapping[str, Mapping[str, Any]], *, n_jobs: int | None = None,
                  cache_dir: str | os.PathLike | None = None, progress: bool = False,
                  missing_audio: str = "error") -> Any:
    """A fitted :class:`~sklearn_emotion.media.ModalityUnion` of the embedders of ``spec``.

    It extracts movie by movie, one decoding pass each, ``n_jobs`` movies in parallel; its
    :meth:`~sklearn_emotion.media.ModalityUnion.iter_transform` gives each movie as soon as it is
    done.  A movie's video and audio tracks may differ by a fraction of a second, so its modalities
    are cut to the shortest (a difference of more than 1 s is an error naming the movie).

    Examples
    --------
    A 3-second movie file (:func:`~sklearn_emotion.datasets.make_test_movie`), decoded once for both
    modalities:

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.extraction import feature_union
    >>> union = feature_union({"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}})
    >>> movie = make_test_movie(tempfile.mkdtemp())
    >>> {modality: features.shape for modality, features in union.transform([movie])[0].items()}
    {'image': (3, 51), 'audio': (3, 112)}
    """
    from .media import ModalityUnion

    embedders = build_embedders(spec, cache_dir=cache_dir, missing_audio=missing_audio)
    return ModalityUnion(list(embedders.items()), n_jobs=n_jobs, progress=progress).fit([])


def extract_features(
    sources: Sequence[Any],
    spec: Mapping[str, Mapping[str, Any]],
    *,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    missing_audio: str = "error",
) -> list[dict[str, np.ndarray]]:
    """Per-second features ``{modality: (T, d_m)}`` of each movie file in ``sources``.

    The :func:`feature_union` of ``spec`` applied to every movie; the first failing movie raises
    an error naming it (use the union's ``iter_transform`` to go on past failures).

    Examples
    --------
    The colour layout of the frames and the sound descriptors (two weight-free backbones) of a 3-second
    movie file (:func:`~sklearn_emotion.datasets.make_test_movie`):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_test_movie
    >>> from sklearn_emotion.extraction import extract_features
    >>> spec = {"image": {"backbone": "colour-layout"}, "audio": {"backbone": "descriptors"}}
    >>> (features,) = extract_features([make_test_movie(tempfile.mkdtemp(), name="movie.mp4")], spec)
    >>> {modality: array.shape for modality, array in features.items()}
    {'image': (3, 51), 'audio': (3, 112)}
    """
    union = feature_union(spec, n_jobs=n_jobs, cache_dir=cache_dir, progress=progress, missing_audio=missing_audio)
    return union.transform([os.fspath(source) for source in sources])


def describe_feature_spec(spec: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per modality: its backbone (file names shortened).

    Examples
    --------
    >>> from sklearn_emotion.extraction import describe_feature_spec
    >>> print(describe_feature_spec({"image": {"backbone": "/models/mobilenet_v1.tflite"},
    ...                              "audio": {"backbone": "descriptors"}}))
    image: mobilenet_v1.tflite
    audio: descriptors
    """
    lines = []
    for modality, options in spec.items():
        backbone = options.get("backbone")
        shown = Path(backbone).name if isinstance(backbone, str) and os.sep in backbone else backbone
        extra = {k: v for k, v in options.items() if k != "backbone"}
        lines.append(f"{modality}: {shown}" + (f" {extra}" if extra else ""))
    return "\n".join(lines)
