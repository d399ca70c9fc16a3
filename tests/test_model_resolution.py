"""One resolver for model files (issue 20): the folder given, $SKLEARN_EMOTION_WEIGHTS, the model cache
(digest-checked), ../shared/weights beside the checkout -- in that order, for every caller.

The model files here are a few bytes: folders are taken as they are, and a toy registry entry with a
published digest makes the cache's check real without loading any network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from sklearn_emotion.extraction import default_feature_spec, resolve_weights_dir
from sklearn_emotion.media.decoding import DEFAULT_FRAME_SELECTION
from sklearn_emotion.media.models import (
    LOOKUP_ORDER,
    OFFICIAL_MODELS,
    WEIGHTS_ENV_VAR,
    ModelIntegrityError,
    ModelNotFoundError,
    OfficialModel,
    locate_model,
    model_places,
    models_dir,
)
from sklearn_emotion.model_files import portable_feature_spec, resolve_feature_spec

GOOD = b"the published toy model"
TOY = OfficialModel("toy", "toy.tflite", "http://127.0.0.1:9/toy.tflite", "a toy model", "Pass its file.",
                    digest=f"sha256:{hashlib.sha256(GOOD).hexdigest()}")


@pytest.fixture
def places(tmp_path, monkeypatch) -> SimpleNamespace:
    """The four places, empty: a given folder, the env var's folder, the cache, ../shared/weights."""
    checkout, beside = tmp_path / "work" / "checkout", tmp_path / "work" / "shared" / "weights"
    given, env = tmp_path / "given", tmp_path / "env"
    for folder in (checkout, beside, given, env):
        folder.mkdir(parents=True)
    monkeypatch.chdir(checkout)
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", os.fspath(tmp_path / "home"))
    monkeypatch.delenv(WEIGHTS_ENV_VAR, raising=False)
    cache = models_dir()
    cache.mkdir(parents=True)
    return SimpleNamespace(given=given, env=env, cache=cache, beside=beside)


def _put(folder: Path, content: bytes = GOOD, name: str = "toy.tflite") -> Path:
    (folder / name).write_bytes(content)
    return (folder / name).resolve()


def test_each_place_wins_over_the_next(places, monkeypatch):
    files = {level: _put(getattr(places, level)) for level in ("given", "env", "cache", "beside")}
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env))
    assert locate_model(TOY, places.given) == (files["given"], "weights folder (given)")
    assert locate_model(TOY) == (files["env"], f"weights folder (${WEIGHTS_ENV_VAR})")  # nothing given
    files["env"].unlink()
    assert locate_model(TOY, places.given)[0] == files["given"]
    assert locate_model(TOY) == (files["cache"], "model cache")
    files["cache"].unlink()
    assert locate_model(TOY) == (files["beside"], "weights folder beside the checkout")
    assert [place.level for place in model_places(places.given)] == ["given", "environment", "cache", "beside"]


def test_the_given_folder_beats_the_environment_variable(places, monkeypatch):
    given, env = _put(places.given, b"given"), _put(places.env, b"env")
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env))
    assert locate_model(TOY, places.given)[0] == given
    assert locate_model(TOY, None)[0] == env
    assert resolve_weights_dir(places.given)[0] == places.given
    folder, sentence = resolve_weights_dir(None)
    assert folder == places.env and sentence.count(os.fspath(places.env)) == 1
    assert [place.level for place in model_places(folder)] == ["given", "cache", "beside"]  # not twice
    assert [place.level for place in model_places(places.beside)] == ["given", "environment", "cache"]


def test_a_bad_cache_entry_does_not_shadow_the_places_after_it(places, monkeypatch):
    _put(places.cache, b"modified on disk")
    beside = _put(places.beside)
    path, source = locate_model(TOY)
    assert path == beside and source.startswith("weights folder beside the checkout (NOT the model cache:")
    assert "toy.tflite" in source and "fails its check" in source
    env = _put(places.env)  # the places before the cache never look at it
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env))
    assert locate_model(TOY) == (env, f"weights folder (${WEIGHTS_ENV_VAR})")
    monkeypatch.delenv(WEIGHTS_ENV_VAR)
    beside.unlink()
    with pytest.raises(ModelIntegrityError, match="fails its check") as caught:  # the only copy is refused
        locate_model(TOY)
    assert "--force toy" in str(caught.value) and "No other copy" in str(caught.value)


def test_a_model_found_nowhere_is_an_error_naming_it_and_every_place(places, monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env))
    with pytest.raises(ModelNotFoundError) as caught:
        locate_model(TOY, places.given)
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError) and "a toy model (toy.tflite) is not found" in message
    for folder in (places.given, places.env, places.cache, places.beside.resolve()):
        assert os.fspath(folder) in message
    assert "models download toy" in message
    places.beside.rmdir()  # an absent ../shared/weights and an unset variable are said
    monkeypatch.delenv(WEIGHTS_ENV_VAR)
    with pytest.raises(ModelNotFoundError, match=rf"\${WEIGHTS_ENV_VAR} unset, no \.\./shared/weights"):
        locate_model(TOY)


def test_a_given_folder_or_variable_that_is_no_folder_is_an_error(places, monkeypatch):
    with pytest.raises(FileNotFoundError, match="Weights folder not found: .*nowhere"):
        locate_model(TOY, places.given / "nowhere")
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env / "nowhere"))
    with pytest.raises(FileNotFoundError, match=rf"\${WEIGHTS_ENV_VAR} names .*nowhere, which is not a folder"):
        locate_model(TOY)


def test_the_default_features_take_each_model_from_the_first_place_that_has_it(places, monkeypatch):
    """The folder beside the checkout now comes after the cache, and a folder given before both (0.2: cache first)."""
    image, audio = OFFICIAL_MODELS["mobilenet_v1_embedding"], OFFICIAL_MODELS["yamnet"]
    detector, expressions = OFFICIAL_MODELS["blaze_face_short_range"], OFFICIAL_MODELS["fer_mini_xception"]
    for model in (image, audio, detector, expressions):
        _put(places.beside, b"beside", model.weights_file)
    given_audio = _put(places.given, b"given", audio.weights_file)
    env_image = _put(places.env, b"env", image.weights_file)
    monkeypatch.setenv(WEIGHTS_ENV_VAR, os.fspath(places.env))
    spec, notes = default_feature_spec(places.given)
    assert spec["image"]["backbone"] == os.fspath(env_image) and spec["audio"]["backbone"] == os.fspath(given_audio)
    assert spec["face"] == {"detector": os.fspath((places.beside / detector.weights_file).resolve()),
                            "face_model": os.fspath((places.beside / expressions.weights_file).resolve()),
                            "frame_selection": DEFAULT_FRAME_SELECTION}
    assert notes[0].startswith(f"image: {image.description} from the weights folder (${WEIGHTS_ENV_VAR}): ")
    assert notes[1].startswith(f"audio: {audio.description} from the weights folder (given): ")
    assert "from the weights folder beside the checkout: " in notes[2]
    # A cached file that fails its check (MobileNet's digest is published) does not shadow the folder beside.
    monkeypatch.delenv(WEIGHTS_ENV_VAR)
    _put(places.cache, b"not MobileNet", image.filename)
    spec, notes = default_feature_spec(None)
    assert spec["image"]["backbone"] == os.fspath((places.beside / image.weights_file).resolve())
    assert "(NOT the model cache:" in notes[0]


def test_the_default_features_say_where_a_missing_model_was_looked_for(places):
    places.beside.rmdir()
    spec, notes = default_feature_spec(places.given)
    assert spec == {"image": {"backbone": "colour-layout", "frame_selection": DEFAULT_FRAME_SELECTION},
                    "audio": {"backbone": "descriptors"}}
    assert f"not in the weights folder (given) {places.given}, the model cache {places.cache}" in notes[0]
    assert notes[2].startswith("face: NOT USED") and "models download" in notes[2]


def test_saved_models_find_their_files_in_the_same_places(places, monkeypatch):
    """A reference by SHA-256 is found in the cache or beside the checkout, and a given folder comes first."""
    original = _put(places.given, name="yamnet.tflite")
    portable = portable_feature_spec({"audio": {"backbone": os.fspath(original)}})
    original.unlink()
    beside = _put(places.beside, name="yamnet.tflite")
    assert resolve_feature_spec(portable)["audio"]["backbone"] == os.fspath(beside)
    cached = _put(places.cache, name="yamnet.tflite")
    assert resolve_feature_spec(portable)["audio"]["backbone"] == os.fspath(cached)
    given = _put(places.given, name="yamnet.tflite")
    assert resolve_feature_spec(portable, places.given)["audio"]["backbone"] == os.fspath(given)


def test_the_order_is_said_in_one_phrase_that_the_command_line_repeats():
    from sklearn_emotion.cli import _options

    assert f"Model files are looked up in this order: {LOOKUP_ORDER}." == (
        "Model files are looked up in this order: the folder given with --weights-dir, $SKLEARN_EMOTION_WEIGHTS, "
        "the model cache (digest-checked), ../shared/weights beside the checkout."
    )
    assert _options.LOOKUP_ORDER == LOOKUP_ORDER  # its copy, so that --help does not load the media package
