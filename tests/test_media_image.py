"""ImageEmbedder with real pretrained models on real photos encoded in real videos."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")
pytest.importorskip("ai_edge_litert")

from media_videos import photo, write_video  # noqa: E402

from sklearn_emotion.media import ImageEmbedder  # noqa: E402
from sklearn_emotion.media.image import image_backbone, image_features  # noqa: E402
from sklearn_emotion.media.backbones import BackboneUnavailableError, preprocess_images  # noqa: E402
from sklearn_emotion.media.decoding import resize_frame  # noqa: E402

SIZE = (320, 240)
CAT_CLASSES = {282, 283, 284, 285, 286}  # tabby, tiger cat, Persian, Siamese, Egyptian (1 = first class)
ESPRESSO = 968


@pytest.fixture(scope="module")
def frames():
    """A decoded movie (one uint8 RGB frame a second): the astronaut, the cat, the espresso."""
    return np.stack([photo(name, SIZE) for name in ("astronaut", "chelsea", "coffee")])


@pytest.fixture(scope="module")
def movie(tmp_path_factory, frames):
    return write_video(tmp_path_factory.mktemp("image") / "movie.mp4", frames, fps=5)


@pytest.fixture(scope="module")
def classifier(shared_weights):
    return str(shared_weights / "mobilenet_v2_1.0_224_quant.tflite")


def test_cat_and_coffee_seconds_are_recognised(movie, classifier):
    (scores,) = ImageEmbedder(classifier).fit_transform([movie])
    assert scores.shape == (3, 1001) and scores.dtype == np.float32
    top = scores.argmax(axis=1)
    assert top[1] in CAT_CLASSES
    assert top[2] == ESPRESSO
    assert top[0] not in CAT_CLASSES | {ESPRESSO}
    # Dequantised 8-bit softmax: probabilities (tiny ones round to 0, so sums fall a little short).
    assert (scores >= 0).all() and (scores.sum(axis=1) > 0.8).all() and (scores.sum(axis=1) < 1.01).all()


def test_the_feature_function_is_what_the_embedder_computes(movie, classifier):
    (expected,) = ImageEmbedder(classifier, batch_size=2).transform([movie])
    done = []
    network = image_backbone(classifier)
    assert image_backbone(classifier) is network  # loaded once per process
    features = image_features(movie, network, batch_size=2, on_seconds=done.append)
    np.testing.assert_array_equal(features, expected)
    assert done == [2, 1] and features.dtype == np.float32
    with pytest.raises(ValueError, match="clip 7.*shape"):
        image_features(np.zeros((3, 10, 10)), network, name="clip 7")


def test_decoded_frames_give_the_same_classes(frames, classifier):
    (scores,) = ImageEmbedder(classifier).transform([frames])
    assert scores.argmax(axis=1)[1] in CAT_CLASSES
    assert scores.argmax(axis=1)[2] == ESPRESSO


def test_tflite_embedding_tensors(movie, shared_weights, classifier):
    embedder = ImageEmbedder(classifier, output="MobilenetV2/Logits/AvgPool")
    (features,) = embedder.transform([movie])
    assert features.shape == (3, 1280)
    assert (features >= 0).all() and features.std(axis=0).max() > 0
    assert list(embedder.get_feature_names_out()[:2]) == ["image_0", "image_1"]
    assert len(embedder.get_feature_names_out()) == 1280
    extractor = ImageEmbedder(str(shared_weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"))
    (features,) = extractor.transform([movie])
    assert features.shape == (3, 1024)
    # The cat and the astronaut are further apart than two decodes of the cat.
    assert np.linalg.norm(features[0] - features[1]) > 1.0


def test_keras_model_object_and_preprocessing(frames):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((32, 48, 3)), keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()])
    (features,) = ImageEmbedder(model, preprocessing="tf").transform([frames])
    assert features.shape == (3, 4)
    expected = np.asarray(model(preprocess_images(np.stack([resize_frame(f, (48, 32)) for f in frames]), "tf")))
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_keras_layer_output(frames):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((32, 48, 3)), keras.layers.Conv2D(4, 3, name="conv"), keras.layers.Flatten()])
    (features,) = ImageEmbedder(model, output="conv").transform([frames])
    assert features.shape == (3, 30 * 46 * 4)
    with pytest.raises(ValueError, match="no layer 'nothing'"):
        ImageEmbedder(model, output="nothing").transform([frames])


@pytest.mark.keras
def test_named_backbone_with_a_local_weights_file(tmp_path, frames):
    keras = pytest.importorskip("keras")
    # A weights file of the right architecture (untrained here: this checks the loading path).
    architecture = keras.applications.MobileNetV3Small(
        include_top=False, pooling="avg", weights=None, input_shape=(224, 224, 3)
    )
    path = tmp_path / "mobilenet_v3_small_notop.weights.h5"
    architecture.save_weights(path)
    embedder = ImageEmbedder("mobilenet_v3_small", weights=path)
    (features,) = embedder.transform([frames])
    assert features.shape == (3, len(embedder.get_feature_names_out())) == (3, 576)
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        ImageEmbedder("MobileNetV3Small", weights=tmp_path / "absent.h5").transform([frames])


@pytest.mark.subprocess  # loky starts two Python workers; the threading test below is the quick check
def test_parallel_over_movies_matches_sequential(movie, frames, classifier):
    movies = [movie, frames[::-1]]
    sequential = ImageEmbedder(classifier).transform(movies)
    parallel = ImageEmbedder(classifier, n_jobs=2, batch_size=2).transform(movies)
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)


def test_joblib_backend_from_the_surrounding_configuration(movie, frames, classifier):
    import joblib

    movies = [movie, frames]
    sequential = ImageEmbedder(classifier).transform(movies)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = ImageEmbedder(classifier).transform(movies)
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a, b)


def test_named_backbone_offline_fails_clearly(movie):
    pytest.importorskip("keras")
    embedder = ImageEmbedder("mobilenet_v3_small")  # any named network: a small one is quick to build
    try:
        features = embedder.transform([movie])
    except BackboneUnavailableError as exc:
        assert "MobileNetV3Small" in str(exc) and "weights=" in str(exc)
    else:  # online machine: the official weights were downloaded
        assert features[0].shape == (3, 576)


def test_random_weights_are_refused(movie):
    with pytest.raises(ValueError, match="random weights"):
        ImageEmbedder("MobileNetV2", weights=None).transform([movie])


def test_bad_inputs_name_the_movie(movie, tmp_path, classifier):
    embedder = ImageEmbedder(classifier)
    with pytest.raises(ValueError, match="movie 1.*shape"):
        embedder.transform([movie, np.zeros((3, 10, 10))])
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        embedder.transform([movie, tmp_path / "missing.mp4"])
    with pytest.raises(TypeError, match="sequence of movies"):
        embedder.transform(str(movie))
    with pytest.raises(ValueError, match="Unknown backbone"):
        ImageEmbedder("NoSuchNet").transform([movie])
    with pytest.raises(ValueError, match="batch_size"):
        ImageEmbedder(classifier, batch_size=0).fit([movie])


def test_errors_inside_a_movie_name_it(frames):
    keras = pytest.importorskip("keras")
    two_channels = keras.Sequential([keras.Input((32, 32, 2)), keras.layers.GlobalAveragePooling2D()])
    with pytest.raises(ValueError, match="2-channel") as info:
        ImageEmbedder(two_channels).transform([frames])
    assert "ImageEmbedder embedded movie 0" in " ".join(getattr(info.value, "__notes__", []))


@pytest.mark.keras  # builds InceptionV3 twice (about 20 s of CPU)
def test_default_inception_v3_shape_with_a_local_weights_file(tmp_path, frames):
    keras = pytest.importorskip("keras")
    # The paper's backbone: InceptionV3 without classifier, 299 x 299, global average pooled.
    architecture = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None, input_shape=(299, 299, 3))
    path = tmp_path / "inception_v3_notop.weights.h5"
    architecture.save_weights(path)
    embedder = ImageEmbedder(weights=path, batch_size=4)
    (features,) = embedder.transform([frames])
    assert features.shape == (3, 2048)
    assert len(embedder.get_feature_names_out()) == 2048


@pytest.fixture(scope="module")
def vgg16_with_top(tmp_path_factory, frames):
    """A VGG16 weights file with the classifier (untrained here) and the fc1 (fc6) values of the photos."""
    keras = pytest.importorskip("keras")
    from keras.applications.vgg16 import preprocess_input

    architecture = keras.applications.VGG16(weights=None)  # 138 M parameters: a 553 MB file
    path = tmp_path_factory.mktemp("vgg16") / "vgg16.weights.h5"
    architecture.save_weights(path)
    pixels = preprocess_input(np.stack([resize_frame(p, (224, 224)) for p in frames]).astype(np.float32))
    fc6 = np.asarray(keras.Model(architecture.inputs, architecture.get_layer("fc1").output)(pixels))
    del architecture
    yield path, fc6
    _forget_loaded_models()


def _forget_loaded_models():
    """Drop the per-process model cache and Keras state: VGG16 with its top holds about 0.6 GB."""
    import gc

    import keras

    from sklearn_emotion.media import backbones

    with backbones._MODELS_LOCK:
        backbones._MODELS.clear()
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.keras  # builds VGG16 with its top (138 M parameters) three times, about 30 s of CPU
@pytest.mark.filterwarnings("ignore:Skipping nested container:UserWarning")  # the refused notop file
def test_named_vgg16_fc6_is_built_with_its_top(vgg16_with_top, frames, tmp_path, monkeypatch):
    """The MediaEval baseline's image half: ImageEmbedder("VGG16", output="fc1") reads fc6 (4096 values)."""
    keras = pytest.importorskip("keras")
    path, fc6 = vgg16_with_top
    embedder = ImageEmbedder("VGG16", weights=path, output="fc1")
    (features,) = embedder.transform([frames])
    assert features.shape == (3, 4096) and len(embedder.get_feature_names_out()) == 4096
    np.testing.assert_allclose(features, fc6, rtol=1e-4, atol=1e-4)  # the file's weights, not a fresh init
    _forget_loaded_models()
    # A layer of the body keeps the model without its top, and its 'notop' weights file.
    from keras.applications.vgg16 import preprocess_input

    notop = tmp_path / "vgg16_notop.weights.h5"
    body = keras.applications.VGG16(include_top=False, pooling="avg", weights=None)
    body.save_weights(notop)
    pixels = preprocess_input(np.stack([resize_frame(p, (224, 224)) for p in frames]).astype(np.float32))
    expected = np.asarray(keras.Model(body.inputs, body.get_layer("block5_pool").output)(pixels)).reshape(3, -1)
    (pooled,) = ImageEmbedder("VGG16", weights=notop, output="block5_pool").transform([frames])
    assert pooled.shape == (3, 7 * 7 * 512)
    np.testing.assert_allclose(pooled, expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match=r"into VGG16 with its top \('fc1' is not a layer of its body\)"):
        ImageEmbedder("VGG16", weights=notop, output="fc1").transform([frames])
    _forget_loaded_models()
    # Offline, the ImageNet weights with the top cannot be downloaded: the error says what to pass.
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(BackboneUnavailableError, match=r"weights file with the top.*output='fc1'"):
        ImageEmbedder("VGG16", output="fc1").transform([frames])
    _forget_loaded_models()


@pytest.mark.keras  # VGG16 with its top again, through the command line
def test_extract_command_with_the_mediaeval_baseline_features(vgg16_with_top, frames, tmp_path, monkeypatch, capsys):
    """`extract --image VGG16 --image-output fc1 --audio egemaps`: the previous year's VGG16 fc6 + openSMILE."""
    from media_videos import tone
    from opensmile_reference import opensmile_rows

    from sklearn_emotion.media.opensmile_features import require_opensmile

    try:
        require_opensmile()
    except ImportError:
        pytest.skip("the optional opensmile package is not installed")

    from sklearn_emotion.cli import main
    from sklearn_emotion.files import load_features
    from sklearn_emotion.media.decoding import read_audio

    path, _ = vgg16_with_top
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKLEARN_EMOTION_WEIGHTS", raising=False)
    movie = write_video(tmp_path / "movie.mp4", frames, fps=5, audio=tone(3, 16000, 330.0))
    code = main(["extract", str(movie), "-o", "features", "--image", "VGG16", "--image-output", "fc1",
                 "--image-weights", str(path), "--audio", "egemaps", "--face", "none", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    arrays = load_features(tmp_path / "features" / "movie.npz")
    assert arrays["image"].shape == (3, 4096) and arrays["audio"].shape == (3, 88)
    (expected,) = ImageEmbedder("VGG16", weights=path, output="fc1").transform([movie])
    np.testing.assert_allclose(arrays["image"], expected, rtol=1e-5, atol=1e-5)
    waveform = read_audio(movie, sample_rate=16000)
    reference, _ = opensmile_rows("eGeMAPSv02", [waveform[max(0, (t - 2) * 16000) : (t + 3) * 16000]
                                                 for t in range(3)], 16000)
    np.testing.assert_allclose(arrays["audio"], reference, rtol=1e-6, atol=1e-7)
    _forget_loaded_models()
