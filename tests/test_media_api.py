"""scikit-learn conventions of the media transformers (construction, parameters, cloning, tags)."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from sklearn_emotion.media import AudioEmbedder, FaceEmbedder, ImageEmbedder, ModalityUnion

EMBEDDERS = [ImageEmbedder(), AudioEmbedder(), FaceEmbedder()]


@pytest.mark.parametrize("estimator", EMBEDDERS + [ModalityUnion([("image", ImageEmbedder())])], ids=repr)
def test_scikit_learn_conventions(estimator):
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    if not isinstance(estimator, ModalityUnion):
        check_parameters_default_constructible(name, estimator)
    copy = clone(estimator)
    assert copy.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()


@pytest.mark.parametrize("estimator", EMBEDDERS, ids=repr)
def test_stateless_tags_and_fit(estimator):
    tags = estimator.__sklearn_tags__()
    assert tags.requires_fit is False
    assert tags.input_tags.two_d_array is False
    assert estimator.fit(["unused.mp4"]) is estimator  # fit only checks the parameters


def test_params_are_stored_unchanged():
    embedder = ImageEmbedder("no-such-model", batch_size=-3, output=object)
    assert embedder.backbone == "no-such-model" and embedder.batch_size == -3  # validated in fit
    with pytest.raises(ValueError, match="batch_size"):
        embedder.fit([])
    with pytest.raises(ValueError, match="batch_size"):
        embedder.transform(["unused.mp4"])  # stateless: transform validates too


# Every parameter of every media estimator has a constraint; one wrong value per parameter is refused
# by fit with a ValueError naming the parameter.
BAD_VALUES = {
    ImageEmbedder: {
        "backbone": 3, "weights": 1.5, "output": 7, "preprocessing": "sharpen", "batch_size": 0,
        "n_jobs": "all", "cache_dir": 1, "progress": "yes", "frame_selection": "quick",
    },
    AudioEmbedder: {
        "backbone": "vgish", "weights": 2, "pca_params": 2, "output": "logits", "window": 0.5,
        "missing_audio": "zeros", "batch_size": -1, "n_jobs": 1.5, "cache_dir": 1, "progress": "no",
    },
    FaceEmbedder: {
        "detector": "model.h5", "face_model": 3, "face_weights": 3, "face_output": 3,
        "face_preprocessing": "nope", "n_faces": 0, "min_confidence": 1.5, "margin": -0.1,
        "max_side": 16, "batch_size": 0, "n_jobs": "2", "cache_dir": 1, "progress": 1.0, "frame_selection": "all",
    },
    ModalityUnion: {"transformer_list": "image", "n_jobs": "2", "max_length_difference": -1, "progress": "yes"},
}


def _default(cls):
    return cls([("image", ImageEmbedder())]) if cls is ModalityUnion else cls()


@pytest.mark.parametrize("cls", list(BAD_VALUES), ids=lambda cls: cls.__name__)
def test_every_parameter_is_constrained(cls):
    estimator = _default(cls)
    params = set(estimator.get_params(deep=False))
    assert set(cls._parameter_constraints) == params == set(BAD_VALUES[cls])
    estimator._validate_params()  # the defaults satisfy the constraints


@pytest.mark.parametrize(
    "cls, name, value", [(cls, n, v) for cls, bad in BAD_VALUES.items() for n, v in bad.items()],
    ids=lambda item: getattr(item, "__name__", str(item)),
)
def test_bad_parameter_values_are_refused_by_fit(cls, name, value):
    estimator = _default(cls).set_params(**{name: value})
    with pytest.raises(ValueError, match=f"'{name}' parameter of {cls.__name__}"):
        estimator.fit(["unused.mp4"])


def test_paths_names_and_models_are_accepted(tmp_path):
    ImageEmbedder(tmp_path / "model.tflite", weights=tmp_path / "w.h5", preprocessing=lambda x: x).fit()
    AudioEmbedder(str(tmp_path / "yamnet.TFLITE"), weights=None, pca_params=None).fit()
    FaceEmbedder(tmp_path / "detector.tflite", "InceptionV3", max_side=None, min_confidence=1).fit()
    with pytest.raises(ValueError, match="a path to a .tflite file"):
        AudioEmbedder(tmp_path / "yamnet.h5").fit()


def test_official_model_registry():
    from sklearn_emotion import extraction
    from sklearn_emotion.media import audio, face, vggish
    from sklearn_emotion.media.models import OFFICIAL_MODELS, official_model

    # The names the modules export are the registry's.
    assert face.DETECTOR_URL == OFFICIAL_MODELS["blaze_face_short_range"].url
    assert face.FER_URL == OFFICIAL_MODELS["fer_mini_xception"].url
    assert audio.YAMNET_URL == OFFICIAL_MODELS["yamnet"].url
    assert vggish.CHECKPOINT_URL == OFFICIAL_MODELS["vggish"].url
    assert vggish.PCA_PARAMS_URL == OFFICIAL_MODELS["vggish_pca"].url
    assert extraction.IMAGE_WEIGHTS_FILE == OFFICIAL_MODELS["mobilenet_v1_embedding"].weights_file
    assert extraction.AUDIO_WEIGHTS_FILE == OFFICIAL_MODELS["yamnet"].weights_file
    assert extraction.FACE_DETECTOR_FILE == OFFICIAL_MODELS["blaze_face_short_range"].weights_file
    assert extraction.FACE_MODEL_FILE == OFFICIAL_MODELS["fer_mini_xception"].weights_file
    for model in OFFICIAL_MODELS.values():
        assert model.url.startswith("https://") and model.url.endswith(model.filename)
        assert model.description and model.how_to
    with pytest.raises(KeyError, match="known"):
        official_model("inception")


def test_registry_finds_the_shared_weights(shared_weights):
    from sklearn_emotion.media.models import OFFICIAL_MODELS

    for name in ("mobilenet_v1_embedding", "yamnet", "blaze_face_short_range", "fer_mini_xception"):
        assert OFFICIAL_MODELS[name].find_in(shared_weights).is_file()
    assert OFFICIAL_MODELS["vggish"].find_in(shared_weights) is None
    assert OFFICIAL_MODELS["yamnet"].find_in(None) is None
